#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace chuhai {

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
    if (name == "trace")
        return spdlog::level::trace;
    if (name == "debug")
        return spdlog::level::debug;
    if (name == "info")
        return spdlog::level::info;
    if (name == "warn" || name == "warning")
        return spdlog::level::warn;
    if (name == "error")
        return spdlog::level::err;
    if (name == "critical")
        return spdlog::level::critical;
    if (name == "off")
        return spdlog::level::off;
    return std::nullopt;
}

namespace {

// systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected to stderr; logging to
// the journal directly only makes sense when stderr really is that stream.
bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr)
        return false;
    struct stat st {};
    if (::fstat(STDERR_FILENO, &st) != 0)
        return false;
    const std::string expected = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                                 std::to_string(static_cast<unsigned long long>(st.st_ino));
    return expected == stream;
}

}  // namespace

void init_logging(spdlog::level::level_enum level, LogTarget target) {
    const bool journal =
        target == LogTarget::journal || (target == LogTarget::automatic && stderr_is_journal());
    std::shared_ptr<spdlog::logger> logger;
    if (journal) {
        // The journal stamps each entry itself and maps spdlog levels to syslog priorities.
        auto sink = std::make_shared<spdlog::sinks::systemd_sink_mt>("chuhai");
        logger = std::make_shared<spdlog::logger>("chuhai", std::move(sink));
        logger->set_pattern("%v");
    } else {
        auto sink =
            std::make_shared<spdlog::sinks::stderr_color_sink_mt>(spdlog::color_mode::automatic);
        logger = std::make_shared<spdlog::logger>("chuhai", std::move(sink));
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    }
    logger->set_level(level);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace chuhai
