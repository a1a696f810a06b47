#include "fetch/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/error.h"

namespace chuhai::fetch {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;

UtcTime at(const char* rfc3339) {
    return *parse_rfc3339(rfc3339);
}

FetchResult answer(long status) {
    FetchResult r;
    r.status = status;
    r.final_url = "http://example.org/feed";
    r.wire_bytes = 1234;
    r.elapsed = 50ms;
    if (status >= 200 && status < 300)
        r.body = "<rss/>";
    return r;
}

FetchResult failure(FetchError error) {
    FetchResult r;
    r.error = error;
    r.error_message = std::string(to_string(error)) + ": it broke";
    r.final_url = "http://example.org/feed";
    return r;
}

ProcessReport items(int seen, int fresh) {
    ProcessReport report;
    report.items_seen = seen;
    report.items_new = fresh;
    return report;
}

class SchedulerTest : public ::testing::Test {
  protected:
    static SchedulerOptions options() {
        SchedulerOptions o;
        o.seed = 42;
        return o;
    }

    static SourceSettings source(SourceId id, std::string url) {
        SourceSettings s;
        s.id = id;
        s.name = "source-" + std::to_string(id);
        s.url = std::move(url);
        return s;
    }

    // Moves the clock to the source's next poll and starts it; it must be the only one due.
    void start(Scheduler& s, SourceId id) {
        const auto next = s.state(id).schedule.next_poll_at;
        ASSERT_TRUE(next);
        if (*next > clock.now())
            clock.set(*next);
        const auto started = s.take_due();
        ASSERT_EQ(started, std::vector<SourceId>{id});
    }

    // One complete poll: due, fetched, processed. Returns the delay to the next poll.
    seconds poll(Scheduler& s, SourceId id, const FetchResult& result,
                 const ProcessReport& report = {}) {
        start(s, id);
        s.on_fetched(id, result);
        s.on_processed(id, report);
        return *s.state(id).schedule.next_poll_at - clock.now();
    }

    ManualClock clock{at("2025-01-01T00:00:00Z")};
};

TEST_F(SchedulerTest, SourcesAddedTogetherAreSpreadOverTheFirstWindow) {
    Scheduler s(clock, options());
    for (SourceId id = 1; id <= 200; ++id)
        s.upsert(source(id, "http://host" + std::to_string(id) + ".example/feed"));
    std::set<UtcTime> distinct;
    for (SourceId id = 1; id <= 200; ++id) {
        const UtcTime next = *s.state(id).schedule.next_poll_at;
        EXPECT_GE(next, clock.now());
        EXPECT_LE(next, clock.now() + 120s);
        distinct.insert(next);
    }
    EXPECT_GE(distinct.size(), 60u) << "first polls must not bunch up";
}

TEST_F(SchedulerTest, GlobalCapLimitsTransfersInFlight) {
    auto o = options();
    o.max_concurrent = 3;
    Scheduler s(clock, o);
    for (SourceId id = 1; id <= 10; ++id)
        s.upsert(source(id, "http://host" + std::to_string(id) + ".example/feed"));
    clock.advance(10min);
    const auto first = s.take_due();
    EXPECT_EQ(first.size(), 3u);
    EXPECT_TRUE(s.take_due().empty());
    EXPECT_EQ(s.in_flight(), 3);
    EXPECT_EQ(s.next_wakeup(), std::nullopt) << "only a completion can help; no spinning";
    s.on_fetched(first[0], answer(304));
    const auto second = s.take_due();
    EXPECT_EQ(second.size(), 1u);
    EXPECT_EQ(std::count(first.begin(), first.end(), second[0]), 0);
}

TEST_F(SchedulerTest, PerHostCapDefaultsToTwo) {
    Scheduler s(clock, options());
    for (SourceId id = 1; id <= 5; ++id)
        s.upsert(source(id, "https://Same.Example:8443/feed" + std::to_string(id)));
    s.upsert(source(6, "https://other.example/feed"));
    clock.advance(10min);
    const auto started = s.take_due();
    ASSERT_EQ(started.size(), 3u);
    EXPECT_EQ(std::count(started.begin(), started.end(), 6), 1);
    EXPECT_EQ(s.next_wakeup(), std::nullopt);
}

TEST_F(SchedulerTest, AFullCycleStartsEverySourceOnceWithinTheCaps) {
    auto o = options();
    o.max_concurrent = 7;
    o.hosts["host0.example"] = HostPolicy{1, 0s};
    Scheduler s(clock, o);
    constexpr int kSources = 600;
    for (SourceId id = 1; id <= kSources; ++id)
        s.upsert(source(
            id, "http://host" + std::to_string(id % 13) + ".example/f" + std::to_string(id)));
    const ForcedPoll forced = s.force_all_due();
    ASSERT_EQ(forced.due.size(), static_cast<std::size_t>(kSources));
    std::map<SourceId, int> starts;
    std::map<std::string, int> per_host;
    std::vector<SourceId> running;
    int max_running = 0;
    for (int round = 0; round < 10 * kSources && starts.size() < kSources; ++round) {
        for (const SourceId id : s.take_due()) {
            ++starts[id];
            const int on_host = ++per_host[host_of(s.settings(id).url)];
            EXPECT_LE(on_host, host_of(s.settings(id).url) == "host0.example" ? 1 : 2);
            running.push_back(id);
        }
        max_running = std::max(max_running, static_cast<int>(running.size()));
        ASSERT_FALSE(running.empty()) << "nothing running and nothing started: stuck";
        // Complete the oldest transfer, as a slot frees up.
        const SourceId done = running.front();
        running.erase(running.begin());
        --per_host[host_of(s.settings(done).url)];
        s.on_fetched(done, answer(304));
        s.on_processed(done, {});
    }
    EXPECT_EQ(starts.size(), static_cast<std::size_t>(kSources));
    for (const auto& [id, count] : starts)
        EXPECT_EQ(count, 1) << id;
    EXPECT_EQ(max_running, 7);
}

TEST_F(SchedulerTest, PerHostOverrideAndMinimumGap) {
    auto o = options();
    o.hosts["slow.example"] = HostPolicy{1, 30s};
    Scheduler s(clock, o);
    for (SourceId id = 1; id <= 3; ++id)
        s.upsert(source(id, "http://slow.example/f" + std::to_string(id)));
    clock.advance(10min);
    auto started = s.take_due();
    ASSERT_EQ(started.size(), 1u);
    s.on_fetched(started[0], answer(304));
    s.on_processed(started[0], {});
    EXPECT_TRUE(s.take_due().empty()) << "the gap has not passed";
    EXPECT_EQ(s.next_wakeup(), clock.now() + 30s);
    clock.advance(29s);
    EXPECT_TRUE(s.take_due().empty());
    clock.advance(1s);
    EXPECT_EQ(s.take_due().size(), 1u);
}

TEST_F(SchedulerTest, SuccessSchedulesTheIntervalWithJitterAndKeepsValidators) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://example.org/feed"));
    auto result = answer(200);
    result.etag = "W/\"v1\"";
    result.last_modified = "Wed, 01 Jan 2025 00:00:00 GMT";
    start(s, 1);
    s.on_fetched(1, result);
    EXPECT_TRUE(s.busy(1));
    EXPECT_TRUE(s.state(1).schedule.etag.empty()) << "validators wait for a usable body";
    s.on_processed(1, items(10, 10));
    EXPECT_FALSE(s.busy(1));
    const auto& state = s.state(1);
    EXPECT_EQ(state.schedule.etag, "W/\"v1\"");
    EXPECT_EQ(state.health.consecutive_failures, 0);
    EXPECT_EQ(state.health.last_status, 200);
    EXPECT_EQ(state.health.last_items_seen, 10);
    EXPECT_EQ(state.health.last_items_new, 10);
    EXPECT_EQ(state.health.last_bytes, 1234u);
    EXPECT_EQ(state.health.last_success_at, clock.now());
    const seconds delay = *state.schedule.next_poll_at - clock.now();
    EXPECT_GE(delay, 15min * 0.9);
    EXPECT_LE(delay, 15min * 1.1);
    const FetchRequest request = s.request_for(1);
    EXPECT_EQ(request.etag, "W/\"v1\"");
    EXPECT_EQ(request.last_modified, "Wed, 01 Jan 2025 00:00:00 GMT");
    EXPECT_EQ(request.source_name, "source-1");
}

TEST_F(SchedulerTest, JitterVariesBetweenPolls) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://example.org/feed"));
    std::set<long long> delays;
    for (int i = 0; i < 20; ++i)
        delays.insert(poll(s, 1, answer(304)).count());
    EXPECT_GE(delays.size(), 10u);
}

TEST_F(SchedulerTest, AnUnusableBodyIsAFailureAndKeepsOldValidators) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://example.org/feed"));
    auto good = answer(200);
    good.etag = "\"good\"";
    poll(s, 1, good, items(3, 3));
    auto broken = answer(200);
    broken.etag = "\"broken\"";
    ProcessReport report;
    report.error = "not a feed: <html>";
    const seconds delay = poll(s, 1, broken, report);
    const auto& state = s.state(1);
    EXPECT_EQ(state.health.consecutive_failures, 1);
    EXPECT_EQ(state.health.last_error_kind, "parse");
    EXPECT_EQ(state.health.last_error, "not a feed: <html>");
    EXPECT_EQ(state.schedule.etag, "\"good\"");
    EXPECT_GE(delay, 15min * 0.75);
}

TEST_F(SchedulerTest, IntervalOverridesAreClamped) {
    Scheduler s(clock, options());
    auto fast = source(1, "http://a.example/feed");
    fast.interval = 10s;
    auto slow = source(2, "http://b.example/feed");
    slow.interval = std::chrono::hours{24 * 7};
    auto custom = source(3, "http://c.example/feed");
    custom.interval = 1h;
    s.upsert(fast);
    s.upsert(slow);
    s.upsert(custom);
    EXPECT_EQ(s.adapted_interval(1), 5min);
    EXPECT_EQ(s.adapted_interval(2), 24h);
    EXPECT_EQ(s.adapted_interval(3), 1h);
    Scheduler alone(clock, options());
    alone.upsert(custom);
    const seconds delay = poll(alone, 3, answer(304));
    EXPECT_GE(delay, 54min);
    EXPECT_LE(delay, 66min);
}

TEST_F(SchedulerTest, ServerFreshnessAndTtlDelayTheNextPoll) {
    auto o = options();
    o.interval_jitter = 0;
    Scheduler s(clock, o);
    s.upsert(source(1, "http://example.org/feed"));

    auto fresh_for_2h = answer(304);
    fresh_for_2h.freshness = 2h;
    EXPECT_EQ(poll(s, 1, fresh_for_2h), 2h);

    auto fresh_for_1m = answer(304);
    fresh_for_1m.freshness = 1min;
    EXPECT_EQ(poll(s, 1, fresh_for_1m), 15min) << "never more often than the interval";

    auto fresh_for_10d = answer(304);
    fresh_for_10d.freshness = std::chrono::hours{240};
    EXPECT_EQ(poll(s, 1, fresh_for_10d), 24h) << "clamped to max_interval";

    ProcessReport ttl;
    ttl.ttl_minutes = 90;
    EXPECT_EQ(poll(s, 1, answer(200), ttl), 90min);
}

TEST_F(SchedulerTest, TtlAndFreshnessOutliveA304AndARestart) {
    auto o = options();
    o.interval_jitter = 0;
    Scheduler s(clock, o);
    s.upsert(source(1, "http://example.org/feed"));

    ProcessReport ttl_hour = items(5, 5);
    ttl_hour.ttl_minutes = 60;
    EXPECT_EQ(poll(s, 1, answer(200), ttl_hour), 60min);
    EXPECT_EQ(poll(s, 1, answer(304)), 60min) << "a 304 confirms the feed and its <ttl>";
    EXPECT_EQ(poll(s, 1, answer(304)), 60min);

    // The state as the store keeps it, in a new process.
    Scheduler restarted(clock, o);
    restarted.upsert(source(1, "http://example.org/feed"), s.state(1));
    EXPECT_EQ(poll(restarted, 1, answer(304)), 60min);

    // max-age of the last 200 holds until a response says otherwise.
    auto cached_2h = answer(200);
    cached_2h.freshness = 2h;
    EXPECT_EQ(poll(restarted, 1, cached_2h, items(5, 0)), 2h) << "the new body has no <ttl>";
    EXPECT_EQ(restarted.state(1).schedule.ttl_minutes, std::nullopt);
    EXPECT_EQ(poll(restarted, 1, answer(304)), 2h);
    auto cached_30m = answer(304);
    cached_30m.freshness = 30min;
    EXPECT_EQ(poll(restarted, 1, cached_30m), 30min) << "a 304 with a caching header updates it";
    EXPECT_EQ(poll(restarted, 1, answer(304)), 30min);
    EXPECT_EQ(poll(restarted, 1, answer(200), items(5, 0)), 15min) << "a silent 200 clears it";

    // A failure says nothing about freshness: kept for after the recovery.
    EXPECT_EQ(poll(restarted, 1, answer(200), ttl_hour), 60min);
    poll(restarted, 1, answer(500));
    EXPECT_EQ(poll(restarted, 1, answer(304)), 60min);

    // A new address forgets what the old one said.
    auto moved = source(1, "http://example.org/moved");
    restarted.upsert(moved);
    EXPECT_EQ(restarted.state(1).schedule.ttl_minutes, std::nullopt);
    EXPECT_EQ(restarted.state(1).schedule.freshness, std::nullopt);
}

TEST_F(SchedulerTest, ReloadedOptionsApplyAtOnce) {
    auto o = options();
    o.interval_jitter = 0;
    o.backoff_jitter = 0;
    o.default_interval = 1h;
    Scheduler s(clock, o);
    s.upsert(source(1, "http://a.example/feed"));
    EXPECT_EQ(poll(s, 1, answer(200)), 1h);
    const UtcTime polled_1 = clock.now();
    clock.advance(1min);
    s.upsert(source(2, "http://b.example/feed"));
    EXPECT_EQ(poll(s, 2, answer(500)), 1h) << "first backoff step: one interval";
    const UtcTime polled_2 = clock.now();
    clock.advance(5min);

    // Only caps change: nothing planned moves.
    auto caps = o;
    caps.max_concurrent = 7;
    s.set_options(caps);
    EXPECT_EQ(s.options().max_concurrent, 7);
    EXPECT_EQ(*s.state(1).schedule.next_poll_at, polled_1 + 1h);

    // A shorter interval: planned polls move to where it would have put them.
    auto shorter = caps;
    shorter.default_interval = 20min;
    s.set_options(shorter);
    EXPECT_EQ(*s.state(1).schedule.next_poll_at, polled_1 + 20min);
    EXPECT_EQ(*s.state(2).schedule.next_poll_at, polled_2 + 20min) << "the backoff too";
    s.remove(2);
    EXPECT_EQ(poll(s, 1, answer(200)), 20min);

    // A longer one pushes nothing away; it holds from the next poll on.
    auto longer = shorter;
    longer.default_interval = 2h;
    const UtcTime planned = *s.state(1).schedule.next_poll_at;
    s.set_options(longer);
    EXPECT_EQ(*s.state(1).schedule.next_poll_at, planned);
    EXPECT_EQ(poll(s, 1, answer(200)), 2h);

    // So does a source's own interval when the configuration shortens it.
    auto own = source(1, "http://a.example/feed");
    own.interval = 30min;
    const UtcTime last = clock.now();
    s.upsert(own);
    EXPECT_EQ(*s.state(1).schedule.next_poll_at, last + 30min);
}

TEST_F(SchedulerTest, ReloadedCapsHoldForTheNextStarts) {
    auto o = options();
    o.first_poll_spread = 0s;
    o.max_concurrent = 1;
    Scheduler s(clock, o);
    for (SourceId id = 1; id <= 4; ++id)
        s.upsert(source(id, "http://host" + std::to_string(id) + ".example/feed"));
    EXPECT_EQ(s.take_due().size(), 1u);
    EXPECT_EQ(s.take_due().size(), 0u);
    auto more = o;
    more.max_concurrent = 3;
    s.set_options(more);
    EXPECT_EQ(s.take_due().size(), 2u);
    EXPECT_EQ(s.in_flight(), 3);
}

TEST_F(SchedulerTest, BackoffDoublesWithJitterIsCappedAndNeverStops) {
    auto o = options();
    o.backoff_jitter = 0;
    o.interval_jitter = 0;
    Scheduler s(clock, o);
    s.upsert(source(1, "http://example.org/feed"));
    const seconds expected[] = {15min, 30min, 1h, 2h, 4h, 8h, 16h, 24h, 24h};
    for (const seconds want : expected)
        EXPECT_EQ(poll(s, 1, failure(FetchError::timeout)), want);
    for (int i = 0; i < 200; ++i) {
        const seconds delay = poll(s, 1, answer(500));
        ASSERT_GT(delay, 0s);
        ASSERT_LE(delay, 24h);
    }
    EXPECT_EQ(s.state(1).health.consecutive_failures, 209);
    EXPECT_EQ(s.state(1).health.last_error_kind, "http");
    EXPECT_EQ(poll(s, 1, answer(304)), 15min);
}

TEST_F(SchedulerTest, BackoffJitterStaysWithinItsBand) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://example.org/feed"));
    for (int i = 0; i < 8; ++i)
        poll(s, 1, failure(FetchError::reset));
    for (int i = 0; i < 30; ++i) {
        const seconds delay = poll(s, 1, failure(FetchError::reset));
        EXPECT_GE(delay, 18h);  // 24 h - 25 %
        EXPECT_LE(delay, 24h);
    }
}

TEST_F(SchedulerTest, SuccessResetsTheBackoff) {
    auto o = options();
    o.interval_jitter = 0;
    Scheduler s(clock, o);
    s.upsert(source(1, "http://example.org/feed"));
    for (int i = 0; i < 6; ++i)
        poll(s, 1, failure(FetchError::connect));
    EXPECT_EQ(s.state(1).health.consecutive_failures, 6);
    EXPECT_EQ(s.state(1).health.last_error_kind, "connect");
    EXPECT_EQ(poll(s, 1, answer(200), items(5, 0)), 15min);
    EXPECT_EQ(s.state(1).health.consecutive_failures, 0);
    EXPECT_TRUE(s.state(1).health.last_error.empty());
}

TEST_F(SchedulerTest, RetryAfterBlocksTheWholeHost) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://busy.example/a"));
    s.upsert(source(2, "http://busy.example/b"));
    s.upsert(source(3, "http://calm.example/c"));
    clock.advance(10min);
    const auto started = s.take_due();
    ASSERT_EQ(started.size(), 3u);
    auto limited = answer(429);
    limited.final_url = "http://busy.example/a";
    limited.retry_after = 1h;
    const FetchVerdict verdict = s.on_fetched(1, limited);
    ASSERT_TRUE(verdict.host_blocked_until);
    EXPECT_EQ(*verdict.host_blocked_until, clock.now() + 1h);
    EXPECT_TRUE(verdict.failed);
    s.on_processed(1, {});
    s.on_fetched(2, answer(304));
    s.on_processed(2, {});
    s.on_fetched(3, answer(304));
    s.on_processed(3, {});

    EXPECT_GE(*s.state(1).schedule.next_poll_at, clock.now() + 1h);
    // Source 2 would be due long before the host opens again; it waits for the host.
    clock.advance(50min);
    auto due = s.take_due();
    EXPECT_EQ(due, std::vector<SourceId>{3});
    s.on_fetched(3, answer(304));
    s.on_processed(3, {});
    EXPECT_EQ(s.host_blocked_until("busy.example"), clock.now() + 10min);
    EXPECT_EQ(s.next_wakeup(), clock.now() + 10min);
    clock.advance(10min);
    due = s.take_due();
    EXPECT_EQ(std::count(due.begin(), due.end(), 2), 1);
}

TEST_F(SchedulerTest, RetryAfterIsCappedAndNeedsTheStatus) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://a.example/feed"));
    s.upsert(source(2, "http://b.example/feed"));
    clock.advance(10min);
    ASSERT_EQ(s.take_due().size(), 2u);
    auto absurd = answer(503);
    absurd.final_url = "http://a.example/feed";
    absurd.retry_after = std::chrono::hours{24 * 365};
    EXPECT_EQ(*s.on_fetched(1, absurd).host_blocked_until, clock.now() + 24h);
    auto ignored = answer(500);  // Retry-After only counts on 429 and 503
    ignored.final_url = "http://b.example/feed";
    ignored.retry_after = 1h;
    EXPECT_FALSE(s.on_fetched(2, ignored).host_blocked_until);
    EXPECT_EQ(s.host_blocked_until("b.example"), std::nullopt);
}

TEST_F(SchedulerTest, GoneDisablesTheSourceUntilReenabled) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://example.org/feed"));
    start(s, 1);
    const FetchVerdict verdict = s.on_fetched(1, answer(410));
    EXPECT_TRUE(verdict.gone);
    s.on_processed(1, {});
    EXPECT_NE(s.state(1).schedule.disabled_reason.find("410 Gone"), std::string::npos);
    EXPECT_EQ(s.state(1).health.last_error_kind, "gone");
    clock.advance(std::chrono::hours{24 * 60});
    EXPECT_TRUE(s.take_due().empty());
    EXPECT_EQ(s.next_wakeup(), std::nullopt);
    EXPECT_TRUE(s.force_all_due().due.empty());
    s.reenable(1);
    EXPECT_EQ(s.take_due(), std::vector<SourceId>{1});
}

TEST_F(SchedulerTest, PermanentRedirectMovesTheSourceWhenTheTargetAnswers) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://old.example/feed"));
    auto moved = answer(200);
    moved.permanent_redirect = "https://new.example/feed.xml";
    moved.final_url = "https://new.example/feed.xml";
    start(s, 1);
    const FetchVerdict verdict = s.on_fetched(1, moved);
    s.on_processed(1, {});
    EXPECT_EQ(verdict.new_url, "https://new.example/feed.xml");
    EXPECT_EQ(s.settings(1).url, "https://new.example/feed.xml");
    EXPECT_EQ(s.request_for(1).url, "https://new.example/feed.xml");

    auto broken_move = failure(FetchError::timeout);
    broken_move.permanent_redirect = "https://elsewhere.example/";
    start(s, 1);
    EXPECT_TRUE(s.on_fetched(1, broken_move).new_url.empty());
    s.on_processed(1, {});
    EXPECT_EQ(s.settings(1).url, "https://new.example/feed.xml");
}

TEST_F(SchedulerTest, IntervalAdaptsToTheSourcesRhythm) {
    auto o = options();
    o.interval_jitter = 0;
    Scheduler s(clock, o);
    s.upsert(source(1, "http://rare.example/feed"));
    Scheduler busy(clock, o);
    busy.upsert(source(2, "http://busy.example/feed"));
    // Source 1 publishes every 6 hours; source 2 has something new at every poll.
    UtcTime last_publication = clock.now();
    UtcTime seen_publication = clock.now();
    for (int i = 0; i < 200; ++i) {
        start(s, 1);
        while (last_publication + 6h <= clock.now())
            last_publication += 6h;
        const bool fresh = last_publication > seen_publication;
        seen_publication = last_publication;
        s.on_fetched(1, answer(200));
        s.on_processed(1, items(20, fresh ? 1 : 0));
    }
    EXPECT_EQ(s.adapted_interval(1), 2h) << "gap/2 = 3 h, capped at 8 x 15 min";
    for (int i = 0; i < 30; ++i)
        poll(busy, 2, answer(200), items(20, 2));
    EXPECT_EQ(busy.adapted_interval(2), 7min + 30s) << "half the configured interval at most";
}

TEST_F(SchedulerTest, StateSurvivesARestart) {
    Scheduler before(clock, options());
    before.upsert(source(1, "http://a.example/feed"));
    before.upsert(source(2, "http://limited.example/feed"));
    auto result = answer(200);
    result.etag = "\"e1\"";
    auto limited = answer(429);
    limited.final_url = "http://limited.example/feed";
    limited.retry_after = 3h;
    clock.advance(10min);
    ASSERT_EQ(before.take_due().size(), 2u);
    before.on_fetched(1, result);
    before.on_processed(1, items(4, 4));
    before.on_fetched(2, limited);
    before.on_processed(2, {});
    const SourceState saved1 = before.state(1);
    const SourceState saved2 = before.state(2);

    Scheduler after(clock, options());
    after.upsert(before.settings(1), saved1);
    after.upsert(before.settings(2), saved2);
    EXPECT_EQ(after.state(1).schedule.next_poll_at, saved1.schedule.next_poll_at);
    EXPECT_EQ(after.request_for(1).etag, "\"e1\"");
    EXPECT_EQ(after.state(2).health.consecutive_failures, 1);
    ASSERT_TRUE(after.host_blocked_until("limited.example"));
    EXPECT_EQ(*after.host_blocked_until("limited.example"), *saved2.schedule.retry_after_until);
}

TEST_F(SchedulerTest, ForcedPollTakesEveryEnabledIdleSource) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://a.example/feed"));
    s.upsert(source(2, "http://b.example/feed"));
    auto off = source(3, "http://c.example/feed");
    off.enabled = false;
    s.upsert(off);
    s.upsert(source(4, "http://blocked.example/feed"));
    s.upsert(source(5, "http://e.example/feed"));
    clock.advance(10min);
    auto first = s.take_due();
    ASSERT_EQ(first.size(), 4u);
    auto limited = answer(429);
    limited.final_url = "http://blocked.example/feed";
    limited.retry_after = 1h;
    s.on_fetched(4, limited);
    s.on_processed(4, {});
    for (SourceId id : {1, 2}) {
        s.on_fetched(id, answer(304));
        s.on_processed(id, {});
    }
    // 5 is still in flight.
    const ForcedPoll forced = s.force_all_due();
    EXPECT_EQ(forced.due, (std::vector<SourceId>{1, 2}));
    EXPECT_EQ(forced.in_progress, std::vector<SourceId>{5});
    EXPECT_EQ(forced.skipped, std::vector<SourceId>{4});
    EXPECT_EQ(s.take_due(), (std::vector<SourceId>{1, 2}));
}

TEST_F(SchedulerTest, RemovingASourceInFlightDropsItWhenItCompletes) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://a.example/feed"));
    start(s, 1);
    s.remove(1);
    EXPECT_FALSE(s.contains(1));
    EXPECT_THROW((void)s.state(1), Error);
    s.on_fetched(1, answer(200));
    s.on_processed(1, items(1, 1));
    EXPECT_EQ(s.size(), 0u);
    EXPECT_EQ(s.in_flight(), 0);
}

TEST_F(SchedulerTest, ReloadKeepsStateAndANewUrlForgetsValidators) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://a.example/feed"));
    auto result = answer(200);
    result.etag = "\"e\"";
    poll(s, 1, result, items(1, 1));
    const UtcTime next = *s.state(1).schedule.next_poll_at;
    auto renamed = source(1, "http://a.example/feed");
    renamed.name = "renamed";
    s.upsert(renamed);
    EXPECT_EQ(s.state(1).schedule.next_poll_at, next);
    EXPECT_EQ(s.request_for(1).etag, "\"e\"");
    EXPECT_EQ(s.request_for(1).source_name, "renamed");
    s.upsert(source(1, "http://b.example/other"));
    EXPECT_TRUE(s.request_for(1).etag.empty());
    EXPECT_EQ(s.state(1).health.last_items_seen, 1);
}

TEST_F(SchedulerTest, ReloadWhileInFlightMovesHostAccountingCorrectly) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://a.example/feed"));
    s.upsert(source(2, "http://a.example/feed2"));
    s.upsert(source(3, "http://a.example/feed3"));
    clock.advance(10min);
    const auto started = s.take_due();
    ASSERT_EQ(started.size(), 2u);  // the host cap
    // One of them moves to another host while its fetch is running: the slot it frees is
    // a.example's, where it was taken.
    const SourceId moving = started[0];
    s.upsert(source(moving, "http://b.example/feed"));
    s.on_fetched(moving, answer(304));
    s.on_processed(moving, {});
    EXPECT_EQ(s.take_due().size(), 1u);
}

TEST_F(SchedulerTest, ProtocolMisuseIsAnInternalError) {
    Scheduler s(clock, options());
    s.upsert(source(1, "http://a.example/feed"));
    EXPECT_THROW(s.on_fetched(1, answer(200)), Error);
    EXPECT_THROW(s.on_processed(1, {}), Error);
    EXPECT_THROW((void)s.settings(99), Error);
}

}  // namespace
}  // namespace chuhai::fetch
