#include "fetch/source_state.h"

#include <gtest/gtest.h>

namespace chuhai::fetch {
namespace {

using namespace std::chrono_literals;

TEST(Silence, NeedsHistory) {
    SourceState state;
    const UtcTime now = *parse_rfc3339("2025-01-10T00:00:00Z");
    state.health.last_new_items_at = now - std::chrono::hours{24 * 30};
    state.schedule.mean_update_gap = 1h;
    state.schedule.updates_observed = 2;
    EXPECT_FALSE(is_silent(state, now)) << "two gaps are not a rhythm yet";
    state.schedule.updates_observed = 3;
    EXPECT_TRUE(is_silent(state, now));
}

TEST(Silence, ScalesWithTheUsualGap) {
    SourceState state;
    const UtcTime now = *parse_rfc3339("2025-01-10T00:00:00Z");
    state.schedule.updates_observed = 10;
    state.schedule.mean_update_gap = std::chrono::hours{24 * 2};  // every two days
    state.health.last_new_items_at = now - std::chrono::hours{24 * 7};
    EXPECT_FALSE(is_silent(state, now)) << "7 days < 4 x 2 days";
    state.health.last_new_items_at = now - std::chrono::hours{24 * 9};
    EXPECT_TRUE(is_silent(state, now));
    SilenceRule lenient;
    lenient.factor = 10;
    EXPECT_FALSE(is_silent(state, now, lenient));
}

}  // namespace
}  // namespace chuhai::fetch
