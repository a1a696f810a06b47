#pragma once
// How the subcommands print times: one spelling for the text output, one for JSON.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/time.h"

namespace chuhai::app {

// "2025-06-24 08:00" (UTC, to the minute): for tables and lists read by people.
std::string format_day_minute(UtcTime t);

// RFC 3339 UTC, or null.
nlohmann::json time_json(const std::optional<UtcTime>& t);

}  // namespace chuhai::app
