#include "digest/schedule.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <sstream>

#include "common/error.h"

namespace chuhai::digest {

namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;
using std::chrono::local_days;
using std::chrono::local_seconds;
using std::chrono::minutes;
using std::chrono::seconds;

// No zone shifts its clocks by more than two hours; searching three hours either side of a
// wall-clock time is therefore enough to see every instant that could be nearer.
constexpr seconds kMaxShift = hours{3};

constexpr std::array<const char*, 7> kDayNames = {"sunday",   "monday", "tuesday", "wednesday",
                                                  "thursday", "friday", "saturday"};

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::istringstream in{std::string(text)};
    std::string word;
    while (in >> word)
        words.push_back(word);
    return words;
}

std::optional<minutes> parse_clock(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() != colon + 3)
        return std::nullopt;
    int h = 0;
    for (std::size_t i = 0; i < colon; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(text[i])))
            return std::nullopt;
        h = h * 10 + (text[i] - '0');
    }
    if (!std::isdigit(static_cast<unsigned char>(text[colon + 1])) ||
        !std::isdigit(static_cast<unsigned char>(text[colon + 2])))
        return std::nullopt;
    const int m = (text[colon + 1] - '0') * 10 + (text[colon + 2] - '0');
    if (h > 23 || m > 59)
        return std::nullopt;
    return hours{h} + minutes{m};
}

std::optional<std::chrono::weekday> parse_day(std::string_view word) {
    const std::string w = lower(word);
    if (w.size() < 3)
        return std::nullopt;
    for (unsigned i = 0; i < kDayNames.size(); ++i) {
        const std::string_view name = kDayNames[i];
        // "mon", "monday", and the usual short forms "tue"/"tues", "thu"/"thur"/"thurs".
        if (name.substr(0, w.size()) == w)
            return std::chrono::weekday{i};
    }
    return std::nullopt;
}

char unit_suffix(std::string_view word) {
    const std::string unit = lower(word);
    if (unit == "minute" || unit == "minutes" || unit == "min" || unit == "mins")
        return 'm';
    if (unit == "hour" || unit == "hours")
        return 'h';
    return 0;
}

std::optional<minutes> parse_interval(const std::vector<std::string>& words) {
    std::string text;
    if (words.size() == 3 && unit_suffix(words[2]) != 0) {
        text = words[1] + unit_suffix(words[2]);  // "every 15 minutes", "every 2 hours"
    } else {
        for (std::size_t i = 1; i < words.size(); ++i)
            text += (i > 1 ? " " : "") + words[i];  // "every 30m", "every 1h 30m"
    }
    const auto d = parse_duration(text);
    if (!d || d->count() % 60 != 0)
        return std::nullopt;
    return std::chrono::duration_cast<minutes>(*d);
}

std::string clock_text(minutes m) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(m.count() / 60),
                  static_cast<int>(m.count() % 60));
    return buf;
}

[[noreturn]] void schedule_error(std::string_view text, const std::string& why,
                                 std::string_view where) {
    throw Error(ErrorKind::config,
                "invalid schedule '" + std::string(text) + "': " + why +
                    " (expected immediate, every 30m, daily 08:00 or weekly mon 08:00)",
                std::string(where));
}

// --- wall-clock slot enumeration -------------------------------------------------------

// The first local slot time >= l (never for `immediate`).
local_seconds next_local_slot(const Schedule& s, local_seconds l) {
    const local_days day = floor<days>(l);
    switch (s.kind) {
        case Schedule::Kind::every: {
            const seconds into_day = l - day;
            const seconds step = s.interval;
            const auto k = (into_day.count() + step.count() - 1) / step.count();
            const seconds candidate = step * k;
            if (candidate < days{1})
                return day + candidate;
            return day + days{1};
        }
        case Schedule::Kind::daily: {
            const local_seconds today = day + s.time_of_day;
            return today >= l ? today : today + days{1};
        }
        case Schedule::Kind::weekly: {
            for (int i = 0; i <= 7; ++i) {
                const local_days d = day + days{i};
                const local_seconds candidate = d + s.time_of_day;
                if (std::chrono::weekday{std::chrono::sys_days{d.time_since_epoch()}} == s.day &&
                    candidate >= l)
                    return candidate;
            }
            break;
        }
        case Schedule::Kind::immediate:
            break;
    }
    return l;
}

// The latest local slot time <= l.
local_seconds previous_local_slot(const Schedule& s, local_seconds l) {
    const local_days day = floor<days>(l);
    switch (s.kind) {
        case Schedule::Kind::every: {
            const seconds into_day = l - day;
            const seconds step = s.interval;
            return day + step * (into_day.count() / step.count());
        }
        case Schedule::Kind::daily: {
            const local_seconds today = day + s.time_of_day;
            return today <= l ? today : today - days{1};
        }
        case Schedule::Kind::weekly: {
            for (int i = 0; i <= 7; ++i) {
                const local_days d = day - days{i};
                const local_seconds candidate = d + s.time_of_day;
                if (std::chrono::weekday{std::chrono::sys_days{d.time_since_epoch()}} == s.day &&
                    candidate <= l)
                    return candidate;
            }
            break;
        }
        case Schedule::Kind::immediate:
            break;
    }
    return l;
}

// The instants a local slot time fires at (see the header for the DST rules).
std::vector<UtcTime> slot_instants(const Schedule& s, local_seconds l) {
    if (s.kind == Schedule::Kind::every)
        return s.zone.instants_of(l);
    return {s.zone.first_instant_reaching(l)};
}

}  // namespace

Schedule parse_schedule(std::string_view schedule, std::string_view time_zone,
                        std::string_view quiet_hours, std::string_view where) {
    Schedule s;
    s.zone = TimeZone::locate(time_zone, where);
    const auto words = split_words(schedule);
    if (words.empty())
        schedule_error(schedule, "empty", where);
    const std::string kind = lower(words[0]);
    if (kind == "immediate" && words.size() == 1) {
        s.kind = Schedule::Kind::immediate;
    } else if (kind == "every") {
        s.kind = Schedule::Kind::every;
        const auto interval = words.size() >= 2 ? parse_interval(words) : std::nullopt;
        if (!interval)
            schedule_error(schedule, "the interval must be whole minutes, e.g. 15m or 2h", where);
        if (*interval < minutes{1} || *interval > hours{24})
            schedule_error(schedule, "the interval must lie between 1 minute and 24 hours", where);
        s.interval = *interval;
    } else if (kind == "daily" || kind == "weekly") {
        s.kind = kind == "daily" ? Schedule::Kind::daily : Schedule::Kind::weekly;
        std::size_t i = 1;
        if (s.kind == Schedule::Kind::weekly) {
            const auto day = i < words.size() ? parse_day(words[i]) : std::nullopt;
            if (!day)
                schedule_error(schedule, "expected a day of the week after 'weekly'", where);
            s.day = *day;
            ++i;
        }
        if (i < words.size() && lower(words[i]) == "at")
            ++i;
        const auto clock = i + 1 == words.size() ? parse_clock(words[i]) : std::optional<minutes>{};
        if (!clock)
            schedule_error(schedule, "expected a time of day as HH:MM (00:00 to 23:59)", where);
        s.time_of_day = *clock;
    } else {
        schedule_error(schedule, "unknown kind '" + words[0] + "'", where);
    }

    if (!quiet_hours.empty()) {
        const std::string text(quiet_hours);
        const auto dash = text.find('-');
        const auto start =
            dash == std::string::npos ? std::nullopt : parse_clock(text.substr(0, dash));
        const auto end =
            dash == std::string::npos ? std::nullopt : parse_clock(text.substr(dash + 1));
        if (!start || !end || *start == *end) {
            throw Error(ErrorKind::config,
                        "invalid quiet hours '" + text +
                            "' (expected HH:MM-HH:MM with different times, e.g. 22:00-07:00)",
                        std::string(where));
        }
        s.quiet_hours = QuietHours{*start, *end};
    }
    return s;
}

std::string describe(const Schedule& s) {
    switch (s.kind) {
        case Schedule::Kind::immediate:
            return "immediate";
        case Schedule::Kind::every:
            return "every " + format_duration(s.interval);
        case Schedule::Kind::daily:
            return "daily " + clock_text(s.time_of_day);
        case Schedule::Kind::weekly:
            return std::string("weekly ") +
                   std::string(kDayNames[s.day.c_encoding()]).substr(0, 3) + " " +
                   clock_text(s.time_of_day);
    }
    return {};
}

UtcTime slot_after(const Schedule& s, UtcTime t) {
    if (s.kind == Schedule::Kind::immediate)
        return t + seconds{1};
    const local_seconds lt = s.zone.to_local(t);
    std::optional<UtcTime> best;
    local_seconds l = next_local_slot(s, lt - kMaxShift);
    // Walk forward through local slot times; stop once they lie so far past the best instant
    // found that no DST shift could make them earlier.
    for (int guard = 0; guard < 100000; ++guard) {
        if (best && l > s.zone.to_local(*best) + kMaxShift)
            break;
        for (const UtcTime instant : slot_instants(s, l)) {
            if (instant > t && (!best || instant < *best))
                best = instant;
        }
        l = next_local_slot(s, l + seconds{1});
    }
    if (!best)
        throw Error(ErrorKind::internal, "no schedule slot found after " + format_rfc3339(t));
    return *best;
}

UtcTime slot_at_or_before(const Schedule& s, UtcTime t) {
    if (s.kind == Schedule::Kind::immediate)
        return t;
    const local_seconds lt = s.zone.to_local(t);
    std::optional<UtcTime> best;
    local_seconds l = previous_local_slot(s, lt + kMaxShift);
    for (int guard = 0; guard < 100000; ++guard) {
        if (best && l < s.zone.to_local(*best) - kMaxShift)
            break;
        for (const UtcTime instant : slot_instants(s, l)) {
            if (instant <= t && (!best || instant > *best))
                best = instant;
        }
        l = previous_local_slot(s, l - seconds{1});
    }
    if (!best)
        throw Error(ErrorKind::internal, "no schedule slot found before " + format_rfc3339(t));
    return *best;
}

UtcTime initial_period_end(const Schedule& s, UtcTime now) {
    return slot_at_or_before(s, now);
}

bool in_quiet_hours(const Schedule& s, UtcTime t) {
    if (!s.quiet_hours)
        return false;
    const local_seconds l = s.zone.to_local(t);
    const seconds into_day = l - floor<days>(l);
    const seconds start = s.quiet_hours->start;
    const seconds end = s.quiet_hours->end;
    if (start < end)
        return into_day >= start && into_day < end;
    return into_day >= start || into_day < end;
}

UtcTime after_quiet_hours(const Schedule& s, UtcTime t) {
    if (!in_quiet_hours(s, t))
        return t;
    const local_seconds l = s.zone.to_local(t);
    const local_days day = floor<days>(l);
    local_seconds end = day + s.quiet_hours->end;
    if (end <= l)
        end += days{1};
    for (const UtcTime instant : s.zone.instants_of(end)) {
        if (instant > t)
            return instant;
    }
    return std::max(s.zone.first_instant_reaching(end), t);
}

UtcTime next_due(const Schedule& s, UtcTime last_period_end, UtcTime now) {
    UtcTime candidate;
    if (s.kind == Schedule::Kind::immediate)
        candidate = std::max(now, last_period_end + seconds{1});
    else
        candidate = std::max(slot_after(s, last_period_end), now);
    return after_quiet_hours(s, candidate);
}

std::optional<Period> due_period(const Schedule& s, UtcTime last_period_end, UtcTime now) {
    if (next_due(s, last_period_end, now) > now)
        return std::nullopt;
    const UtcTime end = s.kind == Schedule::Kind::immediate ? now : slot_at_or_before(s, now);
    if (end <= last_period_end)
        return std::nullopt;
    return Period{last_period_end, end};
}

std::vector<Period> recent_periods(const Schedule& s, const Period& current, int count) {
    std::vector<Period> periods;
    if (count <= 0)
        return periods;
    periods.push_back(current);
    const seconds length = current.end - current.start;
    while (static_cast<int>(periods.size()) < count) {
        const UtcTime end = periods.back().start;
        const UtcTime start = s.kind == Schedule::Kind::immediate
                                  ? end - length
                                  : slot_at_or_before(s, end - seconds{1});
        periods.push_back(Period{start, end});
    }
    std::reverse(periods.begin(), periods.end());
    return periods;
}

}  // namespace chuhai::digest
