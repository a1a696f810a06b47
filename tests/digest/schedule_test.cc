#include "digest/schedule.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace chuhai::digest {
namespace {

using namespace std::chrono_literals;

UtcTime at(const char* rfc3339) {
    auto t = parse_rfc3339(rfc3339);
    if (!t)
        throw std::runtime_error(std::string("bad time in test: ") + rfc3339);
    return *t;
}

Schedule schedule(const char* text, const char* zone = "UTC", const char* quiet = "") {
    return parse_schedule(text, zone, quiet, "test.yaml:1:1");
}

TEST(ScheduleParse, AcceptsEveryDocumentedForm) {
    EXPECT_EQ(schedule("immediate").kind, Schedule::Kind::immediate);
    const auto every = schedule("every 30m");
    EXPECT_EQ(every.kind, Schedule::Kind::every);
    EXPECT_EQ(every.interval, 30min);
    EXPECT_EQ(schedule("every 2h").interval, 120min);
    EXPECT_EQ(schedule("every 1h 30m").interval, 90min);
    EXPECT_EQ(schedule("every 15 minutes").interval, 15min);
    EXPECT_EQ(schedule("every 2 hours").interval, 120min);
    const auto daily = schedule("daily 08:05");
    EXPECT_EQ(daily.kind, Schedule::Kind::daily);
    EXPECT_EQ(daily.time_of_day, 8h + 5min);
    EXPECT_EQ(schedule("Daily at 7:30").time_of_day, 7h + 30min);
    const auto weekly = schedule("weekly monday at 09:00", "Europe/Berlin");
    EXPECT_EQ(weekly.kind, Schedule::Kind::weekly);
    EXPECT_EQ(weekly.day, std::chrono::Monday);
    EXPECT_EQ(weekly.time_of_day, 9h);
    EXPECT_EQ(weekly.zone.name(), "Europe/Berlin");
    EXPECT_EQ(schedule("weekly Thu 18:00").day, std::chrono::Thursday);
    EXPECT_EQ(schedule("weekly sun 00:00").day, std::chrono::Sunday);
    const auto quiet = schedule("immediate", "UTC", "22:00-07:30");
    ASSERT_TRUE(quiet.quiet_hours);
    EXPECT_EQ(quiet.quiet_hours->start, 22h);
    EXPECT_EQ(quiet.quiet_hours->end, 7h + 30min);
}

TEST(ScheduleParse, DefaultsToUtc) {
    EXPECT_EQ(parse_schedule("daily 08:00", "").zone, TimeZone{});
    EXPECT_EQ(parse_schedule("daily 08:00", "").zone.name(), "UTC");
}

TEST(ScheduleParse, RejectsMalformedSchedulesNamingTheLocation) {
    for (const char* bad :
         {"", "hourly", "daily", "daily 25:00", "daily 8", "daily 08:60", "daily 08:00 extra",
          "weekly 08:00", "weekly funday 08:00", "every", "every 0m", "every 90s", "every 2d",
          "every 5 fortnights", "immediate now"}) {
        try {
            schedule(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::config) << bad;
            EXPECT_EQ(e.where(), "test.yaml:1:1") << bad;
            EXPECT_NE(e.message().find("invalid schedule"), std::string::npos) << e.what();
        }
    }
}

TEST(ScheduleParse, RejectsUnknownZonesAndBadQuietHours) {
    try {
        schedule("daily 08:00", "Mars/Olympus_Mons");
        ADD_FAILURE() << "accepted an unknown zone";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::config);
        EXPECT_NE(e.message().find("Mars/Olympus_Mons"), std::string::npos);
    }
    for (const char* bad : {"22:00", "22:00-22:00", "22-07", "22:00-7", "25:00-07:00"})
        EXPECT_THROW(schedule("daily 08:00", "UTC", bad), Error) << bad;
}

TEST(ScheduleParse, DescribeRoundTrips) {
    for (const char* text :
         {"immediate", "every 30m", "every 1h 30m", "daily 08:00", "weekly mon 09:15"}) {
        const auto s = schedule(text);
        EXPECT_EQ(describe(s), text);
        const auto again = schedule(describe(s).c_str());
        EXPECT_EQ(describe(again), describe(s));
    }
}

TEST(ScheduleSlots, DailyInUtcAndShanghai) {
    const auto utc = schedule("daily 08:00");
    EXPECT_EQ(slot_after(utc, at("2025-07-01T07:59:59Z")), at("2025-07-01T08:00:00Z"));
    EXPECT_EQ(slot_after(utc, at("2025-07-01T08:00:00Z")), at("2025-07-02T08:00:00Z"));
    EXPECT_EQ(slot_at_or_before(utc, at("2025-07-01T08:00:00Z")), at("2025-07-01T08:00:00Z"));
    EXPECT_EQ(slot_at_or_before(utc, at("2025-07-01T07:59:59Z")), at("2025-06-30T08:00:00Z"));

    const auto shanghai = schedule("daily 08:00", "Asia/Shanghai");  // UTC+8, no DST
    EXPECT_EQ(slot_after(shanghai, at("2025-07-01T00:00:00Z")), at("2025-07-02T00:00:00Z"));
    EXPECT_EQ(slot_after(shanghai, at("2025-06-30T23:59:59Z")), at("2025-07-01T00:00:00Z"));
}

TEST(ScheduleSlots, DailyAcrossSpringForwardKeepsTheWallClock) {
    // Berlin moves from CET (+1) to CEST (+2) on 2025-03-30 at 01:00 UTC.
    const auto s = schedule("daily 08:00", "Europe/Berlin");
    const auto saturday = slot_after(s, at("2025-03-29T00:00:00Z"));
    EXPECT_EQ(saturday, at("2025-03-29T07:00:00Z"));
    const auto sunday = slot_after(s, saturday);
    EXPECT_EQ(sunday, at("2025-03-30T06:00:00Z"));
    EXPECT_EQ(sunday - saturday, 23h);
}

TEST(ScheduleSlots, DailyTimeInTheSpringGapFiresWhenTheGapEnds) {
    // 02:30 does not exist in Berlin on 2025-03-30: the slot fires at 03:00 CEST.
    const auto s = schedule("daily 02:30", "Europe/Berlin");
    EXPECT_EQ(slot_after(s, at("2025-03-29T12:00:00Z")), at("2025-03-30T01:00:00Z"));
    EXPECT_EQ(slot_after(s, at("2025-03-30T01:00:00Z")), at("2025-03-31T00:30:00Z"));
    EXPECT_EQ(slot_at_or_before(s, at("2025-03-30T12:00:00Z")), at("2025-03-30T01:00:00Z"));
}

TEST(ScheduleSlots, DailyTimeInTheRepeatedHourFiresOnce) {
    // 02:30 happens twice in Berlin on 2025-10-26 (00:30 and 01:30 UTC): only the first counts.
    const auto s = schedule("daily 02:30", "Europe/Berlin");
    const auto first = slot_after(s, at("2025-10-25T12:00:00Z"));
    EXPECT_EQ(first, at("2025-10-26T00:30:00Z"));
    EXPECT_EQ(slot_after(s, first), at("2025-10-27T01:30:00Z"));
    EXPECT_EQ(slot_at_or_before(s, at("2025-10-26T01:45:00Z")), first);
}

// Walks `count` consecutive slots from `from` and checks they are `spacing` apart in real time.
void expect_even_spacing(const Schedule& s, UtcTime from, int count, std::chrono::seconds spacing) {
    UtcTime t = slot_after(s, from);
    for (int i = 0; i < count; ++i) {
        const UtcTime next = slot_after(s, t);
        EXPECT_EQ(next - t, spacing) << "after " << format_rfc3339(t);
        t = next;
    }
}

TEST(ScheduleSlots, EveryKeepsItsRealSpacingAcrossBothTransitions) {
    const auto berlin_hourly = schedule("every 1h", "Europe/Berlin");
    expect_even_spacing(berlin_hourly, at("2025-03-29T20:00:00Z"), 12, 1h);
    expect_even_spacing(berlin_hourly, at("2025-10-25T20:00:00Z"), 12, 1h);
    // The repeated hour is served twice: 02:00 CEST (00:00Z) and 02:00 CET (01:00Z).
    EXPECT_EQ(slot_after(berlin_hourly, at("2025-10-25T23:30:00Z")), at("2025-10-26T00:00:00Z"));
    EXPECT_EQ(slot_after(berlin_hourly, at("2025-10-26T00:00:00Z")), at("2025-10-26T01:00:00Z"));

    const auto new_york = schedule("every 30m", "America/New_York");
    expect_even_spacing(new_york, at("2025-03-09T04:00:00Z"), 12, 30min);
    expect_even_spacing(new_york, at("2025-11-02T03:00:00Z"), 12, 30min);
}

TEST(ScheduleSlots, EveryFollowsTheWallClockFromLocalMidnight) {
    const auto six = schedule("every 6h", "Europe/Berlin");
    EXPECT_EQ(slot_after(six, at("2025-07-01T00:00:00Z")), at("2025-07-01T04:00:00Z"));  // 06:00
    // On the spring-forward day 00:00 CET and 06:00 CEST are only five hours apart.
    EXPECT_EQ(slot_after(six, at("2025-03-29T22:00:00Z")), at("2025-03-29T23:00:00Z"));
    EXPECT_EQ(slot_after(six, at("2025-03-29T23:00:00Z")), at("2025-03-30T04:00:00Z"));

    const auto seven = schedule("every 7h");
    EXPECT_EQ(slot_after(seven, at("2025-07-01T14:00:00Z")), at("2025-07-01T21:00:00Z"));
    EXPECT_EQ(slot_after(seven, at("2025-07-01T21:00:00Z")), at("2025-07-02T00:00:00Z"));
}

TEST(ScheduleSlots, WeeklyPicksTheNamedDay) {
    const auto s = schedule("weekly mon 09:00", "Europe/Berlin");
    EXPECT_EQ(slot_after(s, at("2025-07-02T00:00:00Z")), at("2025-07-07T07:00:00Z"));
    EXPECT_EQ(slot_after(s, at("2025-07-07T07:00:00Z")), at("2025-07-14T07:00:00Z"));
    EXPECT_EQ(slot_at_or_before(s, at("2025-07-07T06:59:59Z")), at("2025-06-30T07:00:00Z"));
}

TEST(ScheduleSlots, AreConsistentEverywhere) {
    // For many instants around both 2025 transitions in several zones: the slot before and the
    // slot after bracket the instant, and no slot lies between them.
    const std::vector<Schedule> schedules = {
        schedule("every 45m", "Europe/Berlin"),      schedule("every 1h", "America/New_York"),
        schedule("every 5h", "Australia/Lord_Howe"), schedule("daily 02:30", "Europe/Berlin"),
        schedule("daily 01:30", "America/New_York"), schedule("weekly sun 02:15", "Europe/London"),
        schedule("daily 00:00", "America/Santiago"), schedule("every 1m", "Asia/Kolkata"),
    };
    const std::vector<UtcTime> centres = {at("2025-03-09T07:00:00Z"), at("2025-03-30T01:00:00Z"),
                                          at("2025-04-06T02:00:00Z"), at("2025-09-07T04:00:00Z"),
                                          at("2025-10-05T02:00:00Z"), at("2025-10-26T01:00:00Z"),
                                          at("2025-11-02T06:00:00Z")};
    for (const auto& s : schedules) {
        for (const UtcTime centre : centres) {
            for (std::chrono::minutes offset = -26h; offset <= 26h; offset += 37min) {
                const UtcTime t = centre + offset;
                const UtcTime after = slot_after(s, t);
                const UtcTime before = slot_at_or_before(s, t);
                ASSERT_GT(after, t) << describe(s) << " " << format_rfc3339(t);
                ASSERT_LE(before, t) << describe(s) << " " << format_rfc3339(t);
                ASSERT_EQ(slot_after(s, before), after) << describe(s) << " " << format_rfc3339(t);
                ASSERT_EQ(slot_at_or_before(s, after), after) << describe(s);
            }
        }
    }
}

TEST(ScheduleQuietHours, WindowsWrapPastMidnightInLocalTime) {
    const auto s = schedule("immediate", "Europe/Berlin", "22:00-07:00");
    EXPECT_FALSE(in_quiet_hours(s, at("2025-07-01T19:59:59Z")));  // 21:59:59 CEST
    EXPECT_TRUE(in_quiet_hours(s, at("2025-07-01T20:00:00Z")));   // 22:00
    EXPECT_TRUE(in_quiet_hours(s, at("2025-07-02T04:59:59Z")));   // 06:59:59
    EXPECT_FALSE(in_quiet_hours(s, at("2025-07-02T05:00:00Z")));  // 07:00
    EXPECT_EQ(after_quiet_hours(s, at("2025-07-01T21:00:00Z")), at("2025-07-02T05:00:00Z"));
    EXPECT_EQ(after_quiet_hours(s, at("2025-07-02T01:00:00Z")), at("2025-07-02T05:00:00Z"));
    EXPECT_EQ(after_quiet_hours(s, at("2025-07-02T12:00:00Z")), at("2025-07-02T12:00:00Z"));

    const auto lunch = schedule("immediate", "UTC", "12:00-13:00");
    EXPECT_TRUE(in_quiet_hours(lunch, at("2025-07-01T12:30:00Z")));
    EXPECT_FALSE(in_quiet_hours(lunch, at("2025-07-01T13:00:00Z")));
    EXPECT_FALSE(in_quiet_hours(lunch, at("2025-07-01T23:00:00Z")));
    EXPECT_EQ(after_quiet_hours(lunch, at("2025-07-01T12:30:00Z")), at("2025-07-01T13:00:00Z"));
}

TEST(ScheduleDue, DailyPeriodsFollowEachOtherWithoutGaps) {
    const auto s = schedule("daily 08:00");
    const UtcTime last = at("2025-07-01T08:00:00Z");
    EXPECT_EQ(next_due(s, last, at("2025-07-01T12:00:00Z")), at("2025-07-02T08:00:00Z"));
    EXPECT_FALSE(due_period(s, last, at("2025-07-02T07:59:59Z")));
    const auto period = due_period(s, last, at("2025-07-02T08:00:00Z"));
    ASSERT_TRUE(period);
    EXPECT_EQ(*period, (Period{at("2025-07-01T08:00:00Z"), at("2025-07-02T08:00:00Z")}));
    // The next one starts where this one ended.
    EXPECT_FALSE(due_period(s, period->end, at("2025-07-02T09:00:00Z")));
    EXPECT_TRUE(due_period(s, period->end, at("2025-07-03T08:00:01Z")));
}

TEST(ScheduleDue, MissedSlotsMergeIntoOneDigest) {
    const auto s = schedule("daily 08:00");
    const UtcTime last = at("2025-07-01T08:00:00Z");
    const UtcTime now = at("2025-07-05T10:00:00Z");  // the daemon was down for days
    EXPECT_EQ(next_due(s, last, now), now);
    const auto period = due_period(s, last, now);
    ASSERT_TRUE(period);
    EXPECT_EQ(*period, (Period{last, at("2025-07-05T08:00:00Z")}));
}

TEST(ScheduleDue, QuietHoursDelaySendingButNotThePeriodEnd) {
    const auto s = schedule("daily 23:00", "UTC", "22:00-07:00");
    const UtcTime last = at("2025-07-01T23:00:00Z");
    EXPECT_EQ(next_due(s, last, at("2025-07-02T12:00:00Z")), at("2025-07-03T07:00:00Z"));
    EXPECT_FALSE(due_period(s, last, at("2025-07-02T23:00:00Z")));
    EXPECT_FALSE(due_period(s, last, at("2025-07-03T06:59:59Z")));
    const auto period = due_period(s, last, at("2025-07-03T07:00:00Z"));
    ASSERT_TRUE(period);
    EXPECT_EQ(*period, (Period{last, at("2025-07-02T23:00:00Z")}));
}

TEST(ScheduleDue, ImmediateCoversUpToNowOutsideQuietHours) {
    const auto s = schedule("immediate", "UTC", "22:00-07:00");
    const UtcTime last = at("2025-07-01T10:00:00Z");
    const auto period = due_period(s, last, at("2025-07-01T10:05:00Z"));
    ASSERT_TRUE(period);
    EXPECT_EQ(*period, (Period{last, at("2025-07-01T10:05:00Z")}));
    EXPECT_FALSE(due_period(s, last, last));
    EXPECT_FALSE(due_period(s, last, at("2025-07-01T23:00:00Z")));
    EXPECT_EQ(next_due(s, last, at("2025-07-01T23:00:00Z")), at("2025-07-02T07:00:00Z"));
}

TEST(ScheduleDue, NewChannelsStartAtTheLatestSlot) {
    EXPECT_EQ(initial_period_end(schedule("daily 08:00"), at("2025-07-01T15:00:00Z")),
              at("2025-07-01T08:00:00Z"));
    EXPECT_EQ(initial_period_end(schedule("every 15m"), at("2025-07-01T15:07:00Z")),
              at("2025-07-01T15:00:00Z"));
    EXPECT_EQ(initial_period_end(schedule("immediate"), at("2025-07-01T15:07:00Z")),
              at("2025-07-01T15:07:00Z"));
}

TEST(ScheduleDue, RecentPeriodsStepBackOneSlotAtATime) {
    const auto s = schedule("daily 08:00");
    const Period current{at("2025-07-04T08:00:00Z"), at("2025-07-05T08:00:00Z")};
    const auto periods = recent_periods(s, current, 3);
    ASSERT_EQ(periods.size(), 3u);
    EXPECT_EQ(periods[0], (Period{at("2025-07-02T08:00:00Z"), at("2025-07-03T08:00:00Z")}));
    EXPECT_EQ(periods[1], (Period{at("2025-07-03T08:00:00Z"), at("2025-07-04T08:00:00Z")}));
    EXPECT_EQ(periods[2], current);

    const Period merged{at("2025-07-01T08:00:00Z"), at("2025-07-05T08:00:00Z")};
    EXPECT_EQ(recent_periods(s, merged, 2)[0],
              (Period{at("2025-06-30T08:00:00Z"), at("2025-07-01T08:00:00Z")}));

    const auto immediate = schedule("immediate");
    const Period burst{at("2025-07-01T10:00:00Z"), at("2025-07-01T10:05:00Z")};
    EXPECT_EQ(recent_periods(immediate, burst, 2)[0],
              (Period{at("2025-07-01T09:55:00Z"), at("2025-07-01T10:00:00Z")}));
    EXPECT_TRUE(recent_periods(s, current, 0).empty());
}

}  // namespace
}  // namespace chuhai::digest
