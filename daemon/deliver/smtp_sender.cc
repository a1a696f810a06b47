#include "deliver/smtp_sender.h"

#include <algorithm>
#include <cstring>
#include <random>

#include "common/error.h"
#include "common/log.h"
#include "deliver/curl_handles.h"
#include "deliver/digest_mail.h"

namespace chuhai::deliver {

namespace {

using detail::set_option;

// What the server said, collected from libcurl's protocol trace. Only incoming lines are kept;
// outgoing lines are looked at just to notice QUIT, because they carry AUTH secrets.
struct SmtpTranscript {
    std::string partial_line;
    std::string reply;       // the lines of the reply being received
    int last_code = 0;       // the last complete reply that did not answer QUIT
    std::string last_reply;  //   and its text
    bool quit_sent = false;

    void on_incoming(std::string_view data) {
        partial_line.append(data);
        std::size_t newline;
        while ((newline = partial_line.find('\n')) != std::string::npos) {
            std::string line = partial_line.substr(0, newline);
            partial_line.erase(0, newline + 1);
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            on_line(line);
        }
        if (partial_line.size() > kMaxReplyBytes)  // a server that never ends its line
            partial_line.resize(kMaxReplyBytes);
    }

    void on_line(const std::string& line) {
        const bool coded = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                           std::isdigit(static_cast<unsigned char>(line[1])) &&
                           std::isdigit(static_cast<unsigned char>(line[2]));
        if (reply.size() < kMaxReplyBytes)
            reply += (reply.empty() ? "" : " / ") + line;
        const bool continued = line.size() > 3 && line[3] == '-';
        if (!coded || continued)
            return;
        if (!quit_sent) {
            last_code = std::stoi(line.substr(0, 3));
            last_reply = bounded_reply(reply);
        }
        reply.clear();
    }
};

int on_curl_debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
    // Runs inside libcurl: nothing may escape.
    try {
        auto* transcript = static_cast<SmtpTranscript*>(user);
        if (type == CURLINFO_HEADER_IN) {
            transcript->on_incoming(std::string_view(data, size));
        } else if (type == CURLINFO_HEADER_OUT) {
            if (size >= 4 && strncasecmp(data, "QUIT", 4) == 0)
                transcript->quit_sent = true;
        }
    } catch (...) {
    }
    return 0;
}

struct Upload {
    std::string_view data;
    std::size_t offset = 0;
};

size_t on_curl_read(char* buffer, size_t size, size_t count, void* user) {
    auto* upload = static_cast<Upload*>(user);
    const std::size_t room = size * count;
    const std::size_t n = std::min(room, upload->data.size() - upload->offset);
    std::memcpy(buffer, upload->data.data() + upload->offset, n);
    upload->offset += n;
    return n;
}

// Failures libcurl reports before the server could answer, or about our own setup.
DeliveryStatus status_for_curl_error(CURLcode rc) {
    switch (rc) {
        case CURLE_USE_SSL_FAILED:            // no STARTTLS offered although required
        case CURLE_PEER_FAILED_VERIFICATION:  // certificate not trusted or wrong name
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_LOGIN_DENIED:
        case CURLE_AUTH_ERROR:
            return DeliveryStatus::permanent_failure;
        default:
            // Connection refused, DNS, timeouts, resets, TLS handshakes cut short: the server
            // may be back later.
            return DeliveryStatus::temporary_failure;
    }
}

// "<address>" for MAIL FROM and RCPT TO.
std::string in_angle_brackets(std::string_view address) {
    std::string out;
    out.reserve(address.size() + 2);
    out += '<';
    out += address;
    out += '>';
    return out;
}

std::string random_nonce() {
    std::random_device device;
    std::uniform_int_distribution<unsigned> digit(0, 35);
    std::string nonce;
    for (int i = 0; i < 12; ++i) {
        const unsigned d = digit(device);
        nonce += static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
    }
    return nonce;
}

}  // namespace

SmtpTls parse_smtp_tls(std::string_view text, std::string_view where) {
    if (text == "starttls")
        return SmtpTls::starttls;
    if (text == "none")
        return SmtpTls::none;
    if (text == "implicit" || text == "smtps")
        return SmtpTls::implicit;
    throw Error(ErrorKind::config,
                "invalid tls '" + std::string(text) + "' (expected starttls, implicit or none)",
                std::string(where));
}

void check_smtp_settings(const SmtpSettings& settings, std::string_view where) {
    const std::string at(where);
    const auto url = detail::parse_url(settings.url, at);
    if (url.scheme != "smtp" && url.scheme != "smtps") {
        throw Error(ErrorKind::config,
                    "mail server URL must start with smtp:// or smtps://: '" + settings.url + "'",
                    at);
    }
    if (url.host.empty())
        throw Error(ErrorKind::config, "mail server URL has no host: '" + settings.url + "'", at);
    if ((url.scheme == "smtps") != (settings.tls == SmtpTls::implicit)) {
        throw Error(ErrorKind::config,
                    url.scheme == "smtps"
                        ? "smtps:// is TLS from the first byte: leave starttls out"
                        : "implicit TLS needs an smtps:// URL (for STARTTLS use smtp:// with "
                          "starttls: required)",
                    at);
    }
    if (!settings.username.empty()) {
        if (settings.tls == SmtpTls::none && !detail::is_loopback_host(url.host)) {
            throw Error(ErrorKind::config,
                        "refusing to send a password in clear text to " + url.host +
                            ": use smtp:// with starttls: required, or smtps:// (starttls: "
                            "none is for a relay on this machine)",
                        at);
        }
        if (settings.password.empty())
            throw Error(ErrorKind::config, "an SMTP username needs a password file or credential",
                        at);
    } else if (!settings.password.empty()) {
        throw Error(ErrorKind::config, "an SMTP password needs a username", at);
    }
}

SmtpSender::SmtpSender(SmtpSettings settings, std::string_view where)
    : settings_(std::move(settings)) {
    check_smtp_settings(settings_, where);
    if (!settings_.username.empty())
        password_ = load_secret(settings_.password, "SMTP password");
    if (!settings_.ca_file.empty() && !std::filesystem::is_regular_file(settings_.ca_file)) {
        throw Error(ErrorKind::config, "CA file not found", settings_.ca_file.string());
    }
}

DeliveryOutcome SmtpSender::send(std::string_view envelope_from,
                                 const std::vector<std::string>& recipients,
                                 std::string_view message) const {
    if (!is_valid_address(envelope_from))
        throw Error(ErrorKind::config,
                    "invalid sender address '" + std::string(envelope_from) + "'");
    if (recipients.empty())
        throw Error(ErrorKind::config, "no recipient to send to");
    for (const auto& r : recipients) {
        if (!is_valid_address(r))
            throw Error(ErrorKind::config, "invalid recipient address '" + r + "'");
    }

    // Everything libcurl points into is declared before the handle, so it outlives the handle's
    // cleanup (which may still talk to the server and trace it).
    detail::CurlList rcpt;
    for (const auto& r : recipients)
        rcpt.append(in_angle_brackets(r));
    const std::string mail_from = in_angle_brackets(envelope_from);
    SmtpTranscript transcript;
    Upload upload{message, 0};
    char error_buffer[CURL_ERROR_SIZE] = {0};
    auto handle = detail::make_easy_handle();
    CURL* h = handle.get();

    set_option(h, CURLOPT_URL, settings_.url.c_str(), "CURLOPT_URL");
    set_option(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps", "CURLOPT_PROTOCOLS_STR");
    set_option(h, CURLOPT_USE_SSL,
               static_cast<long>(settings_.tls == SmtpTls::none ? CURLUSESSL_NONE : CURLUSESSL_ALL),
               "CURLOPT_USE_SSL");
    if (!settings_.ca_file.empty())
        set_option(h, CURLOPT_CAINFO, settings_.ca_file.c_str(), "CURLOPT_CAINFO");
    if (!settings_.username.empty()) {
        set_option(h, CURLOPT_USERNAME, settings_.username.c_str(), "CURLOPT_USERNAME");
        set_option(h, CURLOPT_PASSWORD, password_.reveal().c_str(), "CURLOPT_PASSWORD");
    }
    set_option(h, CURLOPT_MAIL_FROM, mail_from.c_str(), "CURLOPT_MAIL_FROM");
    set_option(h, CURLOPT_MAIL_RCPT, rcpt.get(), "CURLOPT_MAIL_RCPT");
    set_option(h, CURLOPT_UPLOAD, 1L, "CURLOPT_UPLOAD");
    set_option(h, CURLOPT_READFUNCTION, static_cast<curl_read_callback>(on_curl_read),
               "CURLOPT_READFUNCTION");
    set_option(h, CURLOPT_READDATA, static_cast<void*>(&upload), "CURLOPT_READDATA");
    set_option(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()),
               "CURLOPT_INFILESIZE_LARGE");
    set_option(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings_.connect_timeout.count()),
               "CURLOPT_CONNECTTIMEOUT");
    set_option(h, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout.count()), "CURLOPT_TIMEOUT");
    set_option(h, CURLOPT_NOSIGNAL, 1L, "CURLOPT_NOSIGNAL");
    set_option(h, CURLOPT_ERRORBUFFER, static_cast<char*>(error_buffer), "CURLOPT_ERRORBUFFER");
    // The trace is how the server's reply text reaches us; VERBOSE only routes it to the
    // callback, nothing is printed.
    set_option(h, CURLOPT_DEBUGFUNCTION, static_cast<curl_debug_callback>(on_curl_debug),
               "CURLOPT_DEBUGFUNCTION");
    set_option(h, CURLOPT_DEBUGDATA, static_cast<void*>(&transcript), "CURLOPT_DEBUGDATA");
    set_option(h, CURLOPT_VERBOSE, 1L, "CURLOPT_VERBOSE");
    detail::abort_when(h, abort_);

    const CURLcode rc = curl_easy_perform(h);

    DeliveryOutcome outcome;
    outcome.code = transcript.last_code;
    outcome.reply = transcript.last_reply;
    if (rc == CURLE_OK) {
        outcome.status = DeliveryStatus::delivered;
        return outcome;
    }
    outcome.detail = bounded_reply(error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc));
    if (transcript.last_code >= 500)
        outcome.status = DeliveryStatus::permanent_failure;
    else if (transcript.last_code >= 400)
        outcome.status = DeliveryStatus::temporary_failure;
    else
        outcome.status = status_for_curl_error(rc);
    return outcome;
}

DeliveryOutcome SmtpSender::send(const MailMessage& message) const {
    const std::string bytes = build_mime_message(message);
    std::vector<std::string> recipients;
    for (const auto& to : message.to)
        recipients.push_back(to.address);
    return send(message.from.address, recipients, bytes);
}

DeliveryOutcome SmtpSender::deliver(const PreparedDelivery& delivery) const {
    if (delivery.kind != PreparedDelivery::Kind::email)
        throw Error(ErrorKind::internal, "a webhook delivery was handed to the SMTP sender");
    return send(delivery.envelope_from, delivery.recipients, delivery.payload);
}

DeliveryOutcome SmtpSender::send_test_message(std::string_view channel, const Mailbox& from,
                                              const std::vector<Mailbox>& to, UtcTime now) const {
    return send(make_test_mail(channel, from, to, now, random_nonce()));
}

}  // namespace chuhai::deliver
