#include "app/cli_format.h"

namespace chuhai::app {

std::string format_day_minute(UtcTime t) {
    // "2025-06-24T08:00:00Z" → "2025-06-24 08:00"
    std::string text = format_rfc3339(t);
    return text.substr(0, 10) + " " + text.substr(11, 5);
}

std::string counted(long long count, std::string_view singular, std::string_view plural) {
    std::string text = std::to_string(count) + " ";
    if (count == 1)
        text += singular;
    else if (plural.empty())
        text.append(singular).append("s");
    else
        text += plural;
    return text;
}

nlohmann::json time_json(const std::optional<UtcTime>& t) {
    return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
}

}  // namespace chuhai::app
