// Log messages and metric labels carry text from outside (server error messages, URLs, topic
// names): redaction and Prometheus escaping must take any bytes without crashing, and keep
// their promises on all of them.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/log.h"
#include "service/metrics.h"
#include "service/metrics_server.h"

namespace {

void check(bool condition) {
    if (!condition)
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    // A registered secret never survives redaction, wherever it sits in the text.
    static bool registered = false;
    if (!registered) {
        chuhai::register_secret("s3cr3t-p4ss");
        registered = true;
    }
    const std::string message = std::string(text) + "s3cr3t-p4ss" + std::string(text);
    const std::string redacted = chuhai::redact_secrets(message);
    check(redacted.find("s3cr3t-p4ss") == std::string::npos);

    const std::string url = chuhai::redact_url(text);
    if (text.find("://") == std::string_view::npos)
        check(url == text);

    // An escaped label value has no raw newline, and no quote that would end it early.
    const std::string label = chuhai::service::escape_label_value(text);
    check(label.find('\n') == std::string::npos);
    for (std::size_t i = 0; i < label.size(); ++i) {
        if (label[i] == '\\') {
            check(i + 1 < label.size());
            ++i;
        } else {
            check(label[i] != '"');
        }
    }
    check(chuhai::service::escape_help_text(text).find('\n') == std::string::npos);

    try {
        (void)chuhai::service::parse_listen_address(text);
    } catch (const chuhai::Error& e) {
        check(e.kind() == chuhai::ErrorKind::config);
    }
    return 0;
}
