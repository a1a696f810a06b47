#pragma once
// Lenient feed dates → UTC. Feeds write dates every way there is: RFC 822/1123 with any zone
// name or offset, with or without weekday or seconds, with full day and month names, two-digit
// years; RFC 3339, ISO 8601 and W3CDTF (year, year-month, no seconds, fractions, offsets
// "+08", "+0800", "+08:00"); asctime; US "Jan 4, 2004 10:00 PM"; slashes ("2024/06/24");
// Chinese ("2024年6月24日 10:30", "2024年06月24日 下午3时05分", full-width digits); Unix
// seconds. A date without an offset is local time in the source's IANA timezone, which also
// decides what "CST" means: US Central, or China Standard Time (UTC+8) for a Chinese zone.

#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace date {
class time_zone;
}

namespace chuhai::feed {

class DateParser {
  public:
    // `timezone` is an IANA name ("Asia/Shanghai"); "" and "UTC" mean UTC. Throws
    // Error(config) naming the zone when the system's zone database does not know it.
    explicit DateParser(std::string_view timezone = "UTC");

    // The instant, or nullopt when the text is no date we can read (or names an impossible
    // one, such as February 30th).
    std::optional<UtcTime> parse(std::string_view text) const;

  private:
    const date::time_zone* zone_ = nullptr;  // nullptr: UTC
    // "CST": US Central (RFC 822) unless the source's zone is China's, Hong Kong's, Macau's or
    // Taiwan's, where it is China Standard Time.
    int cst_minutes_ = -6 * 60;
};

// One-off convenience over DateParser.
std::optional<UtcTime> parse_feed_date(std::string_view text, std::string_view timezone = "UTC");

}  // namespace chuhai::feed
