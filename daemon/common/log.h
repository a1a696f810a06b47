#pragma once
// Process-wide logging through spdlog's default logger. Every stage logs with spdlog::info(...)
// etc.; sink failures are swallowed by spdlog's error handler so logging never throws into the
// caller.

#include <spdlog/spdlog.h>

#include <optional>
#include <string>
#include <string_view>

namespace chuhai {

enum class LogTarget {
    automatic,  // the journal when started by systemd (JOURNAL_STREAM set), else stderr
    stderr_text,
    journal,
};

// Parses "trace", "debug", "info", "warn"/"warning", "error", "critical", "off".
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// Replaces the default logger. Safe to call again (on reload) with another level.
void init_logging(spdlog::level::level_enum level, LogTarget target = LogTarget::automatic);

}  // namespace chuhai
