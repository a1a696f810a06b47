#include "deliver/retry.h"

#include <gtest/gtest.h>

namespace chuhai::deliver {
namespace {

using namespace std::chrono_literals;

TEST(Retry, GrowsExponentiallyUpToTheCap) {
    RetryPolicy p;
    p.initial_delay = 60s;
    p.multiplier = 2.0;
    p.max_delay = 3600s;
    p.jitter = 0;
    EXPECT_EQ(retry_delay(p, 1, 0.5), 60s);
    EXPECT_EQ(retry_delay(p, 2, 0.5), 120s);
    EXPECT_EQ(retry_delay(p, 3, 0.5), 240s);
    EXPECT_EQ(retry_delay(p, 7, 0.5), 3600s);  // 3840 capped
    EXPECT_EQ(retry_delay(p, 1000, 0.5), 3600s);
    EXPECT_EQ(retry_delay(p, 0, 0.5), 60s);
}

TEST(Retry, JitterTakesUpToItsFractionOff) {
    RetryPolicy p;
    p.initial_delay = 100s;
    p.jitter = 0.2;
    EXPECT_EQ(retry_delay(p, 1, 0.0), 100s);
    EXPECT_EQ(retry_delay(p, 1, 0.5), 90s);
    EXPECT_EQ(retry_delay(p, 1, 0.999), 80s);
    for (int i = 0; i < 1000; ++i) {
        const auto d = retry_delay(p, 3, random_unit());
        EXPECT_GE(d, 320s);
        EXPECT_LE(d, 400s);
    }
}

TEST(Retry, HonoursRetryAfterWithinReason) {
    RetryPolicy p;
    p.initial_delay = 60s;
    p.jitter = 0;
    p.max_retry_after = 6h;
    EXPECT_EQ(retry_delay(p, 1, 0, 300s), 300s);
    EXPECT_EQ(retry_delay(p, 1, 0, 5s), 60s);  // never sooner than the backoff
    EXPECT_EQ(retry_delay(p, 1, 0, 72h), 6h);  // a server cannot park us for days
    EXPECT_EQ(retry_delay(p, 1, 0, 0s), 60s);
}

TEST(Retry, NeverReturnsLessThanOneSecond) {
    RetryPolicy p;
    p.initial_delay = 0s;
    p.jitter = 1.0;
    EXPECT_EQ(retry_delay(p, 1, 0.99), 1s);
}

TEST(Retry, RandomUnitStaysInRange) {
    double lowest = 1, highest = 0;
    for (int i = 0; i < 10000; ++i) {
        const double r = random_unit();
        ASSERT_GE(r, 0.0);
        ASSERT_LT(r, 1.0);
        lowest = std::min(lowest, r);
        highest = std::max(highest, r);
    }
    EXPECT_LT(lowest, 0.01);
    EXPECT_GT(highest, 0.99);
}

}  // namespace
}  // namespace chuhai::deliver
