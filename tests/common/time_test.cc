#include "common/time.h"

#include <gtest/gtest.h>

namespace chuhai {
namespace {

using namespace std::chrono;

TEST(Rfc3339, FormatsUtcWithZ) {
    const UtcTime t = sys_days{2025y / January / 2} + 3h + 4min + 5s;
    EXPECT_EQ(format_rfc3339(t), "2025-01-02T03:04:05Z");
}

TEST(Rfc3339, RoundTripsAndAppliesOffsets) {
    const auto t = parse_rfc3339("2025-01-02T03:04:05Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(format_rfc3339(*t), "2025-01-02T03:04:05Z");
    const auto beijing = parse_rfc3339("2025-01-02T11:04:05+08:00");
    ASSERT_TRUE(beijing);
    EXPECT_EQ(*beijing, *t);
    const auto fractional = parse_rfc3339("2025-01-02T03:04:05.123Z");
    ASSERT_TRUE(fractional);
    EXPECT_EQ(*fractional, *t);
}

TEST(Rfc3339, RejectsMalformed) {
    EXPECT_FALSE(parse_rfc3339(""));
    EXPECT_FALSE(parse_rfc3339("2025-13-02T03:04:05Z"));
    EXPECT_FALSE(parse_rfc3339("2025-02-30T03:04:05Z"));
    EXPECT_FALSE(parse_rfc3339("2025-01-02T03:04:05"));
    EXPECT_FALSE(parse_rfc3339("2025-01-02T03:04:05+0800"));
}

TEST(Duration, ParsesUnitsAndSums) {
    EXPECT_EQ(parse_duration("90"), seconds{90});
    EXPECT_EQ(parse_duration("15m"), minutes{15});
    EXPECT_EQ(parse_duration("2h"), hours{2});
    EXPECT_EQ(parse_duration("7d"), days{7});
    EXPECT_EQ(parse_duration("1d 3h"), days{1} + hours{3});
    EXPECT_FALSE(parse_duration(""));
    EXPECT_FALSE(parse_duration("soon"));
    EXPECT_FALSE(parse_duration("5y"));
    EXPECT_FALSE(parse_duration("-5m"));
    EXPECT_FALSE(parse_duration("99999999999999999999d"));
}

TEST(Duration, FormatsShortest) {
    EXPECT_EQ(format_duration(seconds{0}), "0s");
    EXPECT_EQ(format_duration(minutes{15}), "15m");
    EXPECT_EQ(format_duration(days{1} + hours{3}), "1d 3h");
}

TEST(ManualClock, MovesOnlyWhenTold) {
    ManualClock clock(sys_days{2026y / November / 22});
    const auto start = clock.now();
    clock.advance(minutes{5});
    EXPECT_EQ(clock.now() - start, minutes{5});
}

}  // namespace
}  // namespace chuhai
