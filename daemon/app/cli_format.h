#pragma once
// How the subcommands print times (one spelling for the text output, one for JSON) and counts.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace chuhai::app {

// "2025-06-24 08:00" (UTC, to the minute): for tables and lists read by people.
std::string format_day_minute(UtcTime t);

// "1 source", "0 sources", "3 sources": a count and its noun for people to read. `plural` is
// the singular with an "s" unless given ("1 story", "2 stories").
std::string counted(long long count, std::string_view singular, std::string_view plural = {});

// RFC 3339 UTC, or null.
nlohmann::json time_json(const std::optional<UtcTime>& t);

}  // namespace chuhai::app
