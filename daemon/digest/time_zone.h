#pragma once
// An IANA time zone for schedules and for printing times in a channel's zone. Wraps
// howardhinnant date's tz database (the system's /usr/share/zoneinfo) so that its heavy header
// stays out of the rest of the code.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace date {
class time_zone;
}

namespace chuhai::digest {

class TimeZone {
  public:
    // UTC; also what a channel without a `timezone` key uses.
    TimeZone();
    // Looks the IANA name up ("Asia/Shanghai", "Europe/Berlin", "UTC"). Throws Error(config)
    // naming `where` and the name when the database does not know it.
    static TimeZone locate(std::string_view iana_name, std::string_view where = {});

    const std::string& name() const noexcept { return name_; }

    // The wall-clock time in this zone at the instant `t`.
    std::chrono::local_seconds to_local(UtcTime t) const;
    // Every instant at which the wall clock reads `local`, earliest first: none when `local`
    // falls into a gap (clocks moved forward), two when it falls into a repeated hour (clocks
    // moved back), one otherwise.
    std::vector<UtcTime> instants_of(std::chrono::local_seconds local) const;
    // The first instant at which the wall clock has reached `local`: the earliest of
    // instants_of(local), or the end of the gap when `local` does not exist that day.
    UtcTime first_instant_reaching(std::chrono::local_seconds local) const;

    // strftime-like formatting in this zone (date::format flags; %Z is the abbreviation).
    std::string format(UtcTime t, const char* pattern = "%Y-%m-%d %H:%M %Z") const;

    friend bool operator==(const TimeZone& a, const TimeZone& b) { return a.zone_ == b.zone_; }

  private:
    explicit TimeZone(const date::time_zone* zone);
    const date::time_zone* zone_;  // owned by the process-wide tz database, never freed
    std::string name_;
};

}  // namespace chuhai::digest
