#include "feed/dates.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace chuhai::feed {
namespace {

std::string parsed(std::string_view text, std::string_view zone = "UTC") {
    const auto t = parse_feed_date(text, zone);
    return t ? format_rfc3339(*t) : "null";
}

TEST(Dates, Rfc822Variants) {
    EXPECT_EQ(parsed("Thu, 01 Jan 2004 19:48:21 GMT"), "2004-01-01T19:48:21Z");
    EXPECT_EQ(parsed("Thu, 01 Jan 2004 19:48:21 +0800"), "2004-01-01T11:48:21Z");
    EXPECT_EQ(parsed("Thu, 1 Jan 2004 19:48 EST"), "2004-01-02T00:48:00Z");
    EXPECT_EQ(parsed("01 Jan 2004 19:48:21 PDT"), "2004-01-02T02:48:21Z");
    EXPECT_EQ(parsed("Thursday, 01 January 2004 19:48:21 UT"), "2004-01-01T19:48:21Z");
    EXPECT_EQ(parsed("Thu,01 Jan 04 19:48:21 Z"), "2004-01-01T19:48:21Z");
    EXPECT_EQ(parsed("Thu, 01 Sept 2004 19:48:21 -0130"), "2004-09-01T21:18:21Z");
    EXPECT_EQ(parsed("Mon, 26 January 2004 16:31:00 ET"), "2004-01-26T21:31:00Z");
    EXPECT_EQ(parsed("Wed, 17 Jan 2018 15:50:00 EST"), "2018-01-17T20:50:00Z");
    EXPECT_EQ(parsed("Fri, 10 Aug 2012 10:00:00 GMT+8"), "2012-08-10T02:00:00Z");
}

TEST(Dates, Iso8601AndW3cdtf) {
    EXPECT_EQ(parsed("2003-12-31T10:14:55Z"), "2003-12-31T10:14:55Z");
    EXPECT_EQ(parsed("2003-12-31T10:14:55.123-08:00"), "2003-12-31T18:14:55Z");
    EXPECT_EQ(parsed("2003-12-31T10:14:55+0100"), "2003-12-31T09:14:55Z");
    EXPECT_EQ(parsed("2003-12-31T10:14+08"), "2003-12-31T02:14:00Z");
    EXPECT_EQ(parsed("2003-12-31"), "2003-12-31T00:00:00Z");
    EXPECT_EQ(parsed("2003-12"), "2003-12-01T00:00:00Z");
    EXPECT_EQ(parsed("20031231T101455"), "2003-12-31T10:14:55Z");
    EXPECT_EQ(parsed("2003-12-31 10:14:55"), "2003-12-31T10:14:55Z");
}

TEST(Dates, ChineseForms) {
    EXPECT_EQ(parsed("2024年6月24日 10:30", "Asia/Shanghai"), "2024-06-24T02:30:00Z");
    EXPECT_EQ(parsed("2024年06月24日10时30分", "Asia/Shanghai"), "2024-06-24T02:30:00Z");
    EXPECT_EQ(parsed("2024年6月24日 下午3:05", "Asia/Shanghai"), "2024-06-24T07:05:00Z");
    EXPECT_EQ(parsed("２０２４年６月２４日 星期一 10：30", "Asia/Shanghai"),
              "2024-06-24T02:30:00Z");
    EXPECT_EQ(parsed("2024-06-24 10:30:00", "Asia/Shanghai"), "2024-06-24T02:30:00Z");
    EXPECT_EQ(parsed("2024/06/24 10:30", "Asia/Shanghai"), "2024-06-24T02:30:00Z");
    EXPECT_EQ(parsed("北京时间2024年6月24日 10:30"), "2024-06-24T02:30:00Z");
}

TEST(Dates, OtherSpellings) {
    EXPECT_EQ(parsed("Sun Jan  4 16:29:06 2004"), "2004-01-04T16:29:06Z");  // asctime
    EXPECT_EQ(parsed("January 4, 2004 10:00 PM"), "2004-01-04T22:00:00Z");
    EXPECT_EQ(parsed("Jan 4, 2004 12:15 am"), "2004-01-04T00:15:00Z");
    EXPECT_EQ(parsed("24.06.2024 10:30"), "2024-06-24T10:30:00Z");
    EXPECT_EQ(parsed("06/24/2024"), "2024-06-24T00:00:00Z");
    EXPECT_EQ(parsed("1719225000"), "2024-06-24T10:30:00Z");
}

TEST(Dates, OtherLanguagesMonthAndDayNames) {
    EXPECT_EQ(parsed("Seg, 12 Set 2011 17:00:00 -0300"), "2011-09-12T20:00:00Z");  // Portuguese
    EXPECT_EQ(parsed("mar, 24 dic 2024 10:00:00 +0100"), "2024-12-24T09:00:00Z");  // Spanish
    EXPECT_EQ(parsed("lun., 3 févr. 2025 08:00:00 GMT"), "2025-02-03T08:00:00Z");  // French
    EXPECT_EQ(parsed("Mo, 03 Mär 2025 08:00:00 +0100"), "2025-03-03T07:00:00Z");   // German
}

TEST(Dates, OffsetlessDatesFollowTheZoneIncludingDaylightSaving) {
    EXPECT_EQ(parsed("2024-07-01 12:00:00", "America/New_York"), "2024-07-01T16:00:00Z");
    EXPECT_EQ(parsed("2024-01-01 12:00:00", "America/New_York"), "2024-01-01T17:00:00Z");
    // An explicit offset wins over the zone.
    EXPECT_EQ(parsed("2024-01-01T12:00:00Z", "Asia/Shanghai"), "2024-01-01T12:00:00Z");
}

// RFC 822 makes CST US Central (UTC-6); Chinese, Hong Kong and Taiwanese sources mean China
// Standard Time (UTC+8).
TEST(Dates, CstFollowsTheSourcesZone) {
    const char* text = "Mon, 24 Jun 2024 10:30:00 CST";
    EXPECT_EQ(parsed(text), "2024-06-24T16:30:00Z");
    EXPECT_EQ(parsed(text, "America/Chicago"), "2024-06-24T16:30:00Z");
    EXPECT_EQ(parsed(text, "Europe/Berlin"), "2024-06-24T16:30:00Z");
    for (const char* zone : {"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC",
                             "Asia/Hong_Kong", "Asia/Taipei", "Asia/Macau"})
        EXPECT_EQ(parsed(text, zone), "2024-06-24T02:30:00Z") << zone;
    // Only the abbreviation changes: CDT and explicit offsets keep their meaning.
    EXPECT_EQ(parsed("Mon, 24 Jun 2024 10:30:00 CDT", "Asia/Shanghai"), "2024-06-24T15:30:00Z");
    EXPECT_EQ(parsed("Mon, 24 Jun 2024 10:30:00 -0600", "Asia/Shanghai"), "2024-06-24T16:30:00Z");
}

TEST(Dates, NonsenseIsNull) {
    for (const char* text : {"", "yesterday", "not a date at all", "2024-02-30", "2024-13-01",
                             "Thu, 32 Jan 2004 10:00:00 GMT", "25:61", "12345678901234567890",
                             "2004-01-01T25:00:00Z", "Blorb, 01 Jan 2004"})
        EXPECT_EQ(parsed(text), "null") << text;
}

TEST(Dates, UnknownZoneIsAConfigError) {
    EXPECT_THROW(DateParser("Not/AZone"), Error);
}

}  // namespace
}  // namespace chuhai::feed
