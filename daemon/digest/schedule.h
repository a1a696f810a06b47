#pragma once
// When a channel's digests go out and which stretch of time each one covers. Everything here is
// a pure function of the schedule, the end of the last period already digested and "now", so
// the daemon, `chuhai digest send` and the tests all agree.
//
// Slots are wall-clock times in the channel's time zone:
//   immediate          every delivery run (the caller decides whether there is anything new)
//   every N            at local midnight and every N after it, restarting at each midnight
//                      ("every 6h" = 00:00, 06:00, 12:00, 18:00; "every 7h" = 00, 07, 14, 21)
//   daily HH:MM        once a day
//   weekly DAY HH:MM   once a week
// Daylight-saving time: a daily or weekly slot that does not exist that day (02:30 when clocks
// jump from 02:00 to 03:00) fires when the gap ends; one that exists twice (clocks go back)
// fires at its first occurrence only. An `every` slot fires at each instant the wall clock
// shows it, so its spacing in real time stays N across both transitions.
//
// A period is [start, end) in UTC. It ends at the latest slot that has passed, and starts where
// the previous digest's period ended, so missed slots (the daemon was down) merge into one
// digest and no stretch of time is covered twice or skipped.
// Quiet hours delay sending (never the period's end) until the wall clock leaves the window.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "digest/time_zone.h"

namespace chuhai::digest {

struct Period {
    UtcTime start;
    UtcTime end;  // exclusive
    friend bool operator==(const Period&, const Period&) = default;
};

// A window of local wall-clock time, [start, end); wraps past midnight when start > end
// ("22:00-07:00"). start == end is rejected by the parser.
struct QuietHours {
    std::chrono::minutes start{0};  // minutes after local midnight
    std::chrono::minutes end{0};
    friend bool operator==(const QuietHours&, const QuietHours&) = default;
};

struct Schedule {
    enum class Kind { immediate, every, daily, weekly };
    Kind kind = Kind::daily;
    std::chrono::minutes interval{0};     // every: 1 minute .. 24 hours
    std::chrono::minutes time_of_day{0};  // daily, weekly: minutes after local midnight
    std::chrono::weekday day{1};          // weekly
    TimeZone zone;                        // default UTC
    std::optional<QuietHours> quiet_hours;
};

// Parses the `schedule` key: "immediate", "every 30m" / "every 2h" (any common/time.h
// duration in whole minutes), "daily 08:00" or "daily at 08:00", "weekly mon 08:00" or
// "weekly monday at 08:00" (English day names, any case). `quiet_hours` is "" or "HH:MM-HH:MM".
// Throws Error(config) naming `where` and the offending text.
Schedule parse_schedule(std::string_view schedule, std::string_view time_zone,
                        std::string_view quiet_hours = {}, std::string_view where = {});
// The canonical spelling of a schedule, as parse_schedule accepts it ("weekly mon 08:00").
std::string describe(const Schedule& schedule);

// The first slot strictly after `t`; for `immediate`, `t` itself plus one second.
UtcTime slot_after(const Schedule& schedule, UtcTime t);
// The latest slot at or before `t`; for `immediate`, `t`.
UtcTime slot_at_or_before(const Schedule& schedule, UtcTime t);

// What a channel that has never sent records as its "last period end": the latest slot at or
// before `now`, so its first digest covers the first full period after it was configured.
UtcTime initial_period_end(const Schedule& schedule, UtcTime now);

// True when the wall clock at `t` lies in the schedule's quiet hours.
bool in_quiet_hours(const Schedule& schedule, UtcTime t);
// `t` when it is outside quiet hours, else the instant they end.
UtcTime after_quiet_hours(const Schedule& schedule, UtcTime t);

// When the next digest is due: the first slot after `last_period_end`, or `now` when that slot
// has already passed (or for `immediate`), moved past quiet hours. Due when the result <= now.
UtcTime next_due(const Schedule& schedule, UtcTime last_period_end, UtcTime now);

// The period a digest built at `now` covers, or nullopt when none is due yet:
// [last_period_end, latest slot <= now) — for `immediate`, [last_period_end, now).
std::optional<Period> due_period(const Schedule& schedule, UtcTime last_period_end, UtcTime now);

// The `count` periods ending with `current`, oldest first, each one slot long, for the header's
// comparison (count 2: previous and current) and the mentions chart. For `immediate` the
// earlier periods have the current one's length.
std::vector<Period> recent_periods(const Schedule& schedule, const Period& current, int count);

}  // namespace chuhai::digest
