#include "fetch/http_headers.h"

#include <gtest/gtest.h>

#include "fetch/fetch_result.h"

namespace chuhai::fetch {
namespace {

using std::chrono::seconds;

UtcTime at(const char* rfc3339) {
    return *parse_rfc3339(rfc3339);
}

TEST(ResponseHeadParser, KeepsTheLastResponseOfInterimOnes) {
    ResponseHeadParser parser;
    parser.feed("HTTP/1.1 103 Early Hints\r\n");
    parser.feed("Link: </style.css>; rel=preload\r\n");
    parser.feed("\r\n");
    parser.feed("HTTP/1.1 200 OK\r\n");
    parser.feed("ETag: \"abc\"\r\n");
    parser.feed("last-modified:   Tue, 15 Nov 1994 12:45:26 GMT  \r\n");
    parser.feed("Content-Type: application/rss+xml; charset=utf-8\r\n");
    parser.feed("Cache-Control: public\r\n");
    parser.feed("Cache-Control: max-age=600\r\n");
    parser.feed("\r\n");
    const ResponseHead& head = parser.head();
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.etag, "\"abc\"");
    EXPECT_EQ(head.last_modified, "Tue, 15 Nov 1994 12:45:26 GMT");
    EXPECT_EQ(head.content_type, "application/rss+xml; charset=utf-8");
    EXPECT_EQ(head.cache_control, "public, max-age=600");
    EXPECT_GT(parser.bytes(), 100u);
}

TEST(ResponseHeadParser, ReadsHttp2StatusLinesAndIgnoresGarbage) {
    ResponseHeadParser parser;
    parser.feed("HTTP/2 304\r\n");
    parser.feed("no colon here\r\n");
    parser.feed(": empty name\r\n");
    parser.feed("Retry-After: 120\r\n");
    EXPECT_EQ(parser.head().status, 304);
    EXPECT_EQ(parser.head().retry_after, "120");
    parser.feed("Content-Length: 12x\r\n");
    EXPECT_EQ(parser.head().content_length, std::nullopt);
    parser.feed("Content-Length: 1234\r\n");
    EXPECT_EQ(parser.head().content_length, 1234u);
    parser.feed("HTTP/1.1 abc Broken\r\n");
    EXPECT_EQ(parser.head().status, 0);
    EXPECT_TRUE(parser.head().retry_after.empty());
}

TEST(MaxAge, FindsTheDirectiveAmongOthers) {
    EXPECT_EQ(parse_max_age("max-age=600"), seconds{600});
    EXPECT_EQ(parse_max_age("public, MAX-AGE = 60 , must-revalidate"), seconds{60});
    EXPECT_EQ(parse_max_age("max-age=\"30\""), seconds{30});
    EXPECT_EQ(parse_max_age("s-maxage=900, max-age=5"), seconds{5});
    EXPECT_EQ(parse_max_age("s-maxage=900"), std::nullopt);
    EXPECT_EQ(parse_max_age("no-cache"), std::nullopt);
    EXPECT_EQ(parse_max_age("max-age=-5"), std::nullopt);
    EXPECT_EQ(parse_max_age("max-age=ten"), std::nullopt);
    EXPECT_EQ(parse_max_age(""), std::nullopt);
}

TEST(MaxAge, CapsAbsurdValuesInsteadOfOverflowing) {
    const auto huge = parse_max_age("max-age=999999999999999999999999999");
    ASSERT_TRUE(huge);
    EXPECT_GT(*huge, seconds{10LL * 365 * 24 * 3600});
    EXPECT_LT(*huge, seconds{11LL * 365 * 24 * 3600});
}

TEST(HttpDate, ParsesTheThreeFormsOfRfc9110) {
    const UtcTime expected = at("1994-11-06T08:49:37Z");
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
    EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
    EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), expected);
}

TEST(HttpDate, RejectsWhatIsNotADate) {
    EXPECT_EQ(parse_http_date(""), std::nullopt);
    EXPECT_EQ(parse_http_date("0"), std::nullopt);
    EXPECT_EQ(parse_http_date("-1"), std::nullopt);
    EXPECT_EQ(parse_http_date("1700000000"), std::nullopt);
    EXPECT_EQ(parse_http_date("yesterday at noon, probably"), std::nullopt);
}

TEST(RetryAfter, AcceptsSecondsAndDates) {
    const UtcTime now = at("2025-03-01T12:00:00Z");
    EXPECT_EQ(parse_retry_after("120", now), seconds{120});
    EXPECT_EQ(parse_retry_after(" 0 ", now), seconds{0});
    EXPECT_EQ(parse_retry_after("Sat, 01 Mar 2025 12:30:00 GMT", now), seconds{1800});
    EXPECT_EQ(parse_retry_after("Sat, 01 Mar 2025 11:00:00 GMT", now), seconds{0});  // past
    EXPECT_EQ(parse_retry_after("soon", now), std::nullopt);
    EXPECT_EQ(parse_retry_after("-3", now), std::nullopt);
    EXPECT_EQ(parse_retry_after("", now), std::nullopt);
}

TEST(RetryAfter, DateFormIsMeasuredFromTheServersDate) {
    // The server's clock is 10 minutes behind ours: its Retry-After date means "in 5 minutes".
    ResponseHead head;
    head.status = 429;
    head.date = "Sat, 01 Mar 2025 11:50:00 GMT";
    head.retry_after = "Sat, 01 Mar 2025 11:55:00 GMT";
    EXPECT_EQ(retry_after_delay(head, at("2025-03-01T12:00:00Z")), seconds{300});
    head.date.clear();
    EXPECT_EQ(retry_after_delay(head, at("2025-03-01T11:50:00Z")), seconds{300});
    head.retry_after.clear();
    EXPECT_EQ(retry_after_delay(head, at("2025-03-01T11:50:00Z")), std::nullopt);
}

TEST(Freshness, MaxAgeWinsOverExpires) {
    ResponseHead head;
    head.cache_control = "max-age=60";
    head.expires = "Sat, 01 Mar 2025 13:00:00 GMT";
    head.has_expires = true;
    head.date = "Sat, 01 Mar 2025 12:00:00 GMT";
    EXPECT_EQ(freshness_lifetime(head, at("2025-03-01T12:00:00Z")), seconds{60});
}

TEST(Freshness, ExpiresIsMeasuredFromDate) {
    ResponseHead head;
    head.expires = "Sat, 01 Mar 2025 13:00:00 GMT";
    head.has_expires = true;
    head.date = "Sat, 01 Mar 2025 12:00:00 GMT";
    // Our clock is far off: the lifetime still follows the server's own two headers.
    EXPECT_EQ(freshness_lifetime(head, at("2030-01-01T00:00:00Z")), seconds{3600});
    head.date.clear();
    EXPECT_EQ(freshness_lifetime(head, at("2025-03-01T12:30:00Z")), seconds{1800});
}

TEST(Freshness, InvalidExpiresMeansAlreadyStale) {
    ResponseHead head;
    head.expires = "0";
    head.has_expires = true;
    EXPECT_EQ(freshness_lifetime(head, at("2025-03-01T12:00:00Z")), seconds{0});
}

TEST(Freshness, NothingSaidIsNothing) {
    ResponseHead head;
    head.cache_control = "public";
    EXPECT_EQ(freshness_lifetime(head, at("2025-03-01T12:00:00Z")), std::nullopt);
}

TEST(FetchErrorNames, RoundTrip) {
    for (const auto error : {FetchError::none, FetchError::cancelled, FetchError::timeout,
                             FetchError::too_large, FetchError::dns, FetchError::connect,
                             FetchError::tls, FetchError::reset, FetchError::redirect_loop,
                             FetchError::too_many_redirects, FetchError::unsupported_protocol,
                             FetchError::bad_url, FetchError::protocol, FetchError::internal}) {
        EXPECT_EQ(fetch_error_from_string(to_string(error)), error) << to_string(error);
    }
    EXPECT_EQ(fetch_error_from_string("nonsense"), std::nullopt);
}

}  // namespace
}  // namespace chuhai::fetch
