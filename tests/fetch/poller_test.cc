// The poller: scheduler and client joined on one io_context, against real peers on 127.0.0.1.

#include "fetch/poller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <optional>
#include <utility>

#include "tests/servers/test_servers.h"
#include "tests/support/test_support.h"

namespace chuhai::fetch {
namespace {

using namespace std::chrono_literals;
using chuhai::testing::fixture_path;
using chuhai::testing::NginxServer;
using chuhai::testing::ScriptedServer;
using ::testing::HasSubstr;

// Tests talk to 127.0.0.1 only: a proxy configured in the environment must not interfere.
struct NoProxy {
    NoProxy() { ::setenv("no_proxy", "*", 1); }
};

PollerOptions test_options() {
    PollerOptions o;
    o.client.connect_timeout = 2s;
    o.client.total_timeout = 3s;
    o.client.low_speed_bytes = 1000;
    o.client.low_speed_time = 1s;
    o.client.max_body_bytes = 1u << 20;
    o.scheduler.seed = 7;
    o.stop_grace = 300ms;
    return o;
}

SourceSettings source(SourceId id, std::string url) {
    SourceSettings s;
    s.id = id;
    s.name = "source-" + std::to_string(id);
    s.url = std::move(url);
    return s;
}

// A poller on a real io_context with a one-thread worker pool standing in for the pipeline.
class PollerTest : public ::testing::Test {
  protected:
    explicit PollerTest(PollerOptions options = test_options())
        : poller_(io_, clock_, std::move(options)) {
        poller_.set_fetch_handler([this](const PolledSource& src, FetchResult r, ProcessDone done) {
            ++handled_[src.id];
            boost::asio::post(workers_, [this, done, size = r.body.size(), id = src.id] {
                done(report_for(id, size));
            });
        });
        poller_.set_state_observer([this](const PolledSource& src, const SourceState& state) {
            observed_[src.id] = state;
            urls_[src.id] = src.url;
        });
    }

    ~PollerTest() override { workers_.join(); }

    virtual ProcessReport report_for(SourceId, std::size_t body_size) {
        ProcessReport report;
        report.items_seen = static_cast<int>(body_size > 0 ? 3 : 0);
        report.items_new = 1;
        return report;
    }

    template <typename Done>
    void run_until(Done done, std::chrono::seconds limit = 20s) {
        // The guard keeps run_one_for waiting while work happens elsewhere (worker threads).
        const auto guard = boost::asio::make_work_guard(io_);
        const auto deadline = std::chrono::steady_clock::now() + limit;
        io_.restart();
        while (!done() && std::chrono::steady_clock::now() < deadline)
            io_.run_one_for(100ms);
    }

    CycleSummary cycle() {
        std::optional<CycleSummary> summary;
        poller_.poll_all_now([&](const CycleSummary& s) { summary = s; });
        run_until([&] { return summary.has_value(); });
        if (!summary) {
            ADD_FAILURE() << "the cycle did not complete";
            return {};
        }
        return *summary;
    }

    NoProxy no_proxy_;
    boost::asio::io_context io_;
    SystemClock clock_;
    boost::asio::thread_pool workers_{1};
    Poller poller_;
    std::map<SourceId, int> handled_;
    std::map<SourceId, SourceState> observed_;
    std::map<SourceId, std::string> urls_;
};

TEST_F(PollerTest, OneCycleFetchesEverySourceThenConditionalGetMakesItCheap) {
    NginxServer nginx({fixture_path("fetch"), /*hosts=*/3});
    for (SourceId id = 1; id <= 6; ++id) {
        poller_.scheduler().upsert(
            source(id, nginx.url("conditional_gzip.rss?copy=" + std::to_string(id), 1 + id % 3)));
    }
    const CycleSummary first = cycle();
    EXPECT_EQ(first.sources, 6);
    EXPECT_EQ(first.updated, 6);
    EXPECT_EQ(first.failed, 0);
    EXPECT_EQ(first.items_seen, 18);
    EXPECT_EQ(first.items_new, 6);
    EXPECT_GT(first.bytes, 6u * 1000);
    EXPECT_FALSE(first.interrupted);
    ASSERT_EQ(observed_.size(), 6u);
    for (const auto& [id, state] : observed_) {
        EXPECT_EQ(handled_[id], 1);
        EXPECT_FALSE(state.schedule.etag.empty());
        EXPECT_EQ(state.health.last_status, 200);
        EXPECT_EQ(state.health.last_items_new, 1);
    }

    const CycleSummary second = cycle();
    EXPECT_EQ(second.sources, 6);
    EXPECT_EQ(second.not_modified, 6);
    EXPECT_EQ(second.updated, 0);
    EXPECT_LT(second.bytes, 6u * 400) << "304s carry no body";
    for (const auto& [id, count] : handled_)
        EXPECT_EQ(count, 1) << "a 304 is never handed to the pipeline";
    const auto log = nginx.access_log(12);
    ASSERT_EQ(log.size(), 12u);
    EXPECT_EQ(std::count_if(log.begin(), log.end(),
                            [](const std::string& l) { return l.find("\" 304 ") != l.npos; }),
              6);
}

TEST_F(PollerTest, ACycleWithoutSourcesCompletesAtOnce) {
    const CycleSummary summary = cycle();
    EXPECT_EQ(summary.sources, 0);
}

TEST_F(PollerTest, PerHostCapHoldsOnTheWire) {
    ScriptedServer server;
    for (SourceId id = 1; id <= 6; ++id)
        poller_.scheduler().upsert(
            source(id, server.url("/delay?seconds=0.3&n=" + std::to_string(id))));
    const CycleSummary summary = cycle();
    EXPECT_EQ(summary.updated, 6);
    EXPECT_EQ(server.max_concurrent_delays(), 2) << "default per-host cap";
}

struct GlobalCapTest : PollerTest {
    GlobalCapTest()
        : PollerTest([] {
              PollerOptions o = test_options();
              o.scheduler.host_defaults.max_concurrent = 10;
              o.scheduler.max_concurrent = 3;
              return o;
          }()) {}
};

TEST_F(GlobalCapTest, GlobalCapHoldsOnTheWire) {
    ScriptedServer server;
    for (SourceId id = 1; id <= 8; ++id)
        poller_.scheduler().upsert(
            source(id, server.url("/delay?seconds=0.3&n=" + std::to_string(id))));
    EXPECT_EQ(cycle().updated, 8);
    EXPECT_EQ(server.max_concurrent_delays(), 3);
}

TEST_F(PollerTest, ASlowSourceNeverDelaysTheOthers) {
    ScriptedServer server;
    NginxServer nginx({fixture_path("fetch")});
    poller_.scheduler().upsert(source(1, server.url("/trickle?bytes=100&interval=0.05")));
    for (SourceId id = 2; id <= 4; ++id)
        poller_.scheduler().upsert(
            source(id, nginx.url("every_encoding.atom?n=" + std::to_string(id))));
    const auto started = std::chrono::steady_clock::now();
    std::map<SourceId, std::chrono::steady_clock::duration> finished;
    poller_.set_state_observer([&](const PolledSource& src, const SourceState&) {
        finished[src.id] = std::chrono::steady_clock::now() - started;
    });
    const CycleSummary summary = cycle();
    EXPECT_EQ(summary.updated, 3);
    EXPECT_EQ(summary.failed, 1);
    for (SourceId id = 2; id <= 4; ++id)
        EXPECT_LT(finished.at(id), 800ms) << "source " << id;
    EXPECT_GT(finished.at(1), finished.at(2));
    EXPECT_EQ(poller_.scheduler().state(1).health.last_error_kind, "timeout");
}

TEST_F(PollerTest, RetryAfterPausesTheWholeHost) {
    ScriptedServer server;
    poller_.scheduler().upsert(source(1, server.url("/status/429?retry-after=3600")));
    poller_.scheduler().upsert(source(2, server.url("/text?body=fine")));
    const CycleSummary first = cycle();
    EXPECT_EQ(first.failed, 1);
    EXPECT_EQ(first.updated, 1);
    ASSERT_TRUE(poller_.scheduler().host_blocked_until("127.0.0.1"));
    const auto requests_before = server.requests().size();

    const CycleSummary second = cycle();
    EXPECT_EQ(second.sources, 0);
    EXPECT_EQ(second.skipped, 2);
    EXPECT_EQ(server.requests().size(), requests_before) << "nothing sent to a paused host";
    EXPECT_GE(*observed_.at(1).schedule.retry_after_until, clock_.now() + 3590s);
}

TEST_F(PollerTest, PermanentRedirectMovesTheSourceForGood) {
    ScriptedServer server;
    const std::string target = server.url("/text?body=here");
    poller_.scheduler().upsert(source(1, server.url("/redirect/301?to=" + target)));
    EXPECT_EQ(cycle().updated, 1);
    EXPECT_EQ(urls_.at(1), target);
    EXPECT_EQ(poller_.scheduler().settings(1).url, target);
    EXPECT_EQ(cycle().updated, 1);
    const auto requests = server.requests();
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(requests[2].path, "/text?body=here") << "the second poll goes straight there";
}

TEST_F(PollerTest, GoneDisablesTheSource) {
    ScriptedServer server;
    poller_.scheduler().upsert(source(1, server.url("/status/410")));
    EXPECT_EQ(cycle().failed, 1);
    EXPECT_THAT(observed_.at(1).schedule.disabled_reason, HasSubstr("410 Gone"));
    EXPECT_EQ(cycle().sources, 0);
    EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(PollerTest, FailuresBackOff) {
    ScriptedServer server;
    poller_.scheduler().upsert(source(1, server.url("/status/500")));
    EXPECT_EQ(cycle().failed, 1);
    const SourceState& state = observed_.at(1);
    EXPECT_EQ(state.health.consecutive_failures, 1);
    EXPECT_EQ(state.health.last_error_kind, "http");
    EXPECT_EQ(state.health.last_status, 500);
    EXPECT_GE(*state.schedule.next_poll_at, clock_.now() + 11min);
    EXPECT_EQ(handled_.count(1), 0u) << "error pages are not parsed";
}

// Servers that misbehave end bounded, each with its own failure recorded and backed off, while
// sources elsewhere finish as if nothing happened.
TEST_F(PollerTest, MisbehavingServersFailBoundedAndBackOffWithoutDelayingOthers) {
    ScriptedServer server;
    NginxServer nginx({fixture_path("fetch"), /*hosts=*/3});
    const std::map<SourceId, std::pair<std::string, std::string>> bad = {
        {1, {"/gzip-bomb?mb=1024", "too_large"}},
        {2, {"/endless", "too_large"}},
        {3, {"/reset", "reset"}},
        {4, {"/reset-mid-body", "reset"}},
        {5, {"/loop/a", "redirect_loop"}},
    };
    for (const auto& [id, script] : bad)
        poller_.scheduler().upsert(source(id, server.url(script.first)));
    for (SourceId id = 6; id <= 9; ++id)
        poller_.scheduler().upsert(
            source(id, nginx.url("every_encoding.atom?n=" + std::to_string(id), 2 + id % 2)));
    const auto started = std::chrono::steady_clock::now();
    std::map<SourceId, std::chrono::steady_clock::duration> finished;
    poller_.set_state_observer([&](const PolledSource& src, const SourceState& state) {
        finished[src.id] = std::chrono::steady_clock::now() - started;
        observed_[src.id] = state;
    });
    const UtcTime cycle_start = clock_.now();
    const CycleSummary summary = cycle();
    EXPECT_EQ(summary.failed, 5);
    EXPECT_EQ(summary.updated, 4);
    for (const auto& [id, script] : bad) {
        SCOPED_TRACE(script.first);
        const SourceState& state = observed_.at(id);
        EXPECT_EQ(state.health.last_error_kind, script.second) << state.health.last_error;
        EXPECT_EQ(state.health.consecutive_failures, 1);
        // Ended by its own guard (body limit, reset, loop), not by the 3 s total timeout.
        EXPECT_LT(state.health.last_elapsed, 2500ms);
        // Backed off: the first step is one interval (15 min) with jitter of at most 25%.
        EXPECT_GE(*state.schedule.next_poll_at, cycle_start + 11min);
        EXPECT_EQ(handled_.count(id), 0u) << "nothing of a failed transfer reaches the parser";
    }
    EXPECT_THAT(observed_.at(1).health.last_error, HasSubstr("after decoding"));
    for (SourceId id = 6; id <= 9; ++id) {
        EXPECT_TRUE(observed_.at(id).health.last_error_kind.empty()) << id;
        EXPECT_LT(finished.at(id), 800ms) << "source " << id;
    }
}

// A reload (set_options) changes the limits of the transfers started afterwards only.
TEST_F(PollerTest, ReloadedOptionsApplyToTheNextTransfers) {
    ScriptedServer server;
    poller_.scheduler().upsert(source(1, server.url("/chain/2?code=302")));
    EXPECT_EQ(cycle().updated, 1);
    PollerOptions tighter = test_options();
    tighter.client.max_redirects = 1;
    tighter.client.user_agent = "chuhai-test/2 (+reloaded)";
    poller_.set_options(tighter);
    EXPECT_EQ(poller_.options().client.max_redirects, 1);
    EXPECT_EQ(cycle().failed, 1);
    EXPECT_EQ(observed_.at(1).health.last_error_kind, "too_many_redirects");
    const auto requests = server.requests();
    ASSERT_GE(requests.size(), 4u);
    EXPECT_NE(requests.front().headers.at("user-agent"), "chuhai-test/2 (+reloaded)");
    EXPECT_EQ(requests.back().headers.at("user-agent"), "chuhai-test/2 (+reloaded)");
}

// A pipeline slower than the network: no new transfer starts while the pipeline holds its
// limit of bodies, so a cycle never keeps every body in memory at once.
TEST_F(PollerTest, ASlowPipelineHoldsABoundedNumberOfBodies) {
    PollerOptions options = test_options();
    options.max_processing = 3;
    poller_.set_options(options);
    NginxServer nginx({fixture_path("fetch")});
    std::vector<ProcessDone> held;  // bodies the "pipeline" has not reported on
    std::size_t handed = 0;
    std::size_t most_held = 0;
    poller_.set_fetch_handler([&](const PolledSource&, FetchResult, ProcessDone done) {
        held.push_back(std::move(done));
        ++handed;
        most_held = std::max(most_held, held.size());
    });
    for (SourceId id = 1; id <= 10; ++id)
        poller_.scheduler().upsert(
            source(id, nginx.url("every_encoding.atom?n=" + std::to_string(id))));
    std::optional<CycleSummary> summary;
    poller_.poll_all_now([&](const CycleSummary& s) { summary = s; });
    run_until([&] { return held.size() >= 3; });
    io_.restart();
    io_.run_for(500ms);
    // The limit, plus what was already in flight when it was reached (2 per host).
    EXPECT_GE(held.size(), 3u);
    EXPECT_LE(held.size(), 3u + 2u);
    EXPECT_EQ(nginx.access_log(held.size()).size(), held.size()) << "nothing more was asked for";

    while (!summary) {
        const std::size_t before = handed;
        for (auto& done : std::exchange(held, {}))
            done(ProcessReport{});
        run_until([&] { return summary.has_value() || handed > before; });
        if (!summary && handed == before)
            break;
    }
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->updated, 10);
    EXPECT_LE(most_held, 3u + 2u);
}

struct UnusableBodyTest : PollerTest {
    ProcessReport report_for(SourceId, std::size_t) override {
        ProcessReport report;
        report.error = "not a feed: the body is an HTML page";
        return report;
    }
};

TEST_F(UnusableBodyTest, CountsAsAFailure) {
    ScriptedServer server;
    poller_.scheduler().upsert(source(1, server.url("/text?body=%3Chtml%3E&etag=%22x%22")));
    const CycleSummary summary = cycle();
    EXPECT_EQ(summary.failed, 1);
    const SourceState& state = observed_.at(1);
    EXPECT_EQ(state.health.last_error_kind, "parse");
    EXPECT_TRUE(state.schedule.etag.empty()) << "an unusable body is fetched whole next time";
}

TEST_F(PollerTest, ADroppedReportStillReleasesTheSource) {
    ScriptedServer server;
    poller_.set_fetch_handler([](const PolledSource&, FetchResult, ProcessDone) {});
    poller_.scheduler().upsert(source(1, server.url("/text?body=x")));
    const CycleSummary summary = cycle();
    EXPECT_EQ(summary.failed, 1);
    EXPECT_THAT(observed_.at(1).health.last_error, HasSubstr("dropped"));
    EXPECT_FALSE(poller_.scheduler().busy(1));
}

TEST_F(PollerTest, AThrowingHandlerIsContained) {
    ScriptedServer server;
    poller_.set_fetch_handler([](const PolledSource&, FetchResult, ProcessDone) {
        throw std::runtime_error("parser exploded");
    });
    poller_.scheduler().upsert(source(1, server.url("/text?body=x")));
    EXPECT_EQ(cycle().failed, 1);
    EXPECT_THAT(observed_.at(1).health.last_error, HasSubstr("parser exploded"));
}

TEST_F(PollerTest, StopAbortsTransfersAfterTheGrace) {
    ScriptedServer server;
    auto hanging = source(1, server.url("/hang"));
    poller_.scheduler().upsert(hanging);
    std::optional<CycleSummary> summary;
    poller_.poll_all_now([&](const CycleSummary& s) { summary = s; });
    run_until([&] { return server.count("/hang") == 1; });
    bool stopped = false;
    const auto asked = std::chrono::steady_clock::now();
    poller_.stop([&] { stopped = true; });
    run_until([&] { return stopped && summary; });
    ASSERT_TRUE(stopped);
    const auto took = std::chrono::steady_clock::now() - asked;
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 2s);
    ASSERT_TRUE(summary);
    EXPECT_TRUE(summary->interrupted);
    EXPECT_EQ(observed_.at(1).health.last_error_kind, "cancelled");
    // Stopped means stopped: asking again starts nothing, and a second stop() still answers.
    poller_.wake();
    bool stopped_again = false;
    poller_.stop([&] { stopped_again = true; });
    io_.restart();
    io_.run_for(200ms);
    EXPECT_TRUE(stopped_again);
    EXPECT_EQ(server.count("/hang"), 1);
}

struct PatientStopTest : PollerTest {
    PatientStopTest()
        : PollerTest([] {
              PollerOptions o = test_options();
              o.stop_grace = 5s;
              return o;
          }()) {}
};

TEST_F(PatientStopTest, StopLetsRunningTransfersFinish) {
    ScriptedServer server;
    poller_.scheduler().upsert(source(1, server.url("/delay?seconds=0.5")));
    poller_.poll_all_now([](const CycleSummary&) {});
    run_until([&] { return server.requests().size() == 1; });
    bool stopped = false;
    poller_.stop([&] { stopped = true; });
    run_until([&] { return stopped && observed_.count(1); });
    ASSERT_TRUE(stopped);
    EXPECT_EQ(observed_.at(1).health.last_status, 200) << "finished, not cancelled";
    EXPECT_TRUE(observed_.at(1).health.last_error.empty());
}

TEST_F(PollerTest, SourceRemovedMidFetchIsForgotten) {
    ScriptedServer server;
    poller_.scheduler().upsert(source(1, server.url("/delay?seconds=0.3")));
    std::optional<CycleSummary> summary;
    poller_.poll_all_now([&](const CycleSummary& s) { summary = s; });
    run_until([&] { return server.requests().size() == 1; });
    poller_.scheduler().remove(1);
    run_until([&] { return summary.has_value(); });
    ASSERT_TRUE(summary);
    EXPECT_EQ(observed_.count(1), 0u);
    EXPECT_EQ(poller_.scheduler().size(), 0u);
}

// Continuous polling on a clock the test moves: due sources start, others wait, and between polls
// the io_context runs nothing at all.
struct ContinuousPollingTest : ::testing::Test {
    ContinuousPollingTest() {
        PollerOptions o = test_options();
        o.scheduler.first_poll_spread = 60s;
        poller.emplace(io, clock, o);
        poller->set_state_observer(
            [this](const PolledSource&, const SourceState&) { ++observations; });
    }

    template <typename Done>
    void run_until(Done done) {
        const auto guard = boost::asio::make_work_guard(io);
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        io.restart();
        while (!done() && std::chrono::steady_clock::now() < deadline)
            io.run_one_for(100ms);
    }

    NoProxy no_proxy;
    boost::asio::io_context io;
    ManualClock clock{*parse_rfc3339("2025-05-01T00:00:00Z")};
    std::optional<Poller> poller;
    int observations = 0;
};

TEST_F(ContinuousPollingTest, PollsWhenDueAndIdlesOtherwise) {
    NginxServer nginx({fixture_path("fetch")});
    for (SourceId id = 1; id <= 3; ++id)
        poller->scheduler().upsert(
            source(id, nginx.url("every_encoding.atom?n=" + std::to_string(id))));
    int due_now = 0;
    for (SourceId id = 1; id <= 3; ++id)
        due_now += *poller->scheduler().state(id).schedule.next_poll_at <= clock.now() ? 1 : 0;
    poller->start();
    run_until([&] { return observations == due_now; });
    io.restart();
    io.run_for(200ms);
    EXPECT_EQ(nginx.access_log(static_cast<std::size_t>(due_now)).size(),
              static_cast<std::size_t>(due_now));

    clock.advance(61s);
    poller->wake();
    run_until([&] { return observations == 3; });
    EXPECT_EQ(nginx.access_log(3).size(), 3u);

    // Nothing is due for about 15 minutes: the loop must sit idle.
    io.restart();
    io.run_for(300ms);  // libcurl's last post-transfer timeouts
    const HttpClientStats before = poller->client().stats();
    io.restart();
    EXPECT_EQ(io.run_for(1s), 0u) << "no handler runs between polls";
    const HttpClientStats after = poller->client().stats();
    EXPECT_EQ(after.timer_actions, before.timer_actions);
    EXPECT_EQ(after.socket_actions, before.socket_actions);
    clock.advance(5min);
    poller->wake();
    io.restart();
    io.run_for(200ms);
    EXPECT_EQ(nginx.access_log(4, 300ms).size(), 3u);

    clock.advance(12min);
    poller->wake();
    run_until([&] { return observations == 6; });
    const auto log = nginx.access_log(6);
    ASSERT_EQ(log.size(), 6u);
    for (std::size_t i = 3; i < 6; ++i)
        EXPECT_THAT(log[i], HasSubstr("\" 304 ")) << "conditional GET on the regular schedule";
}

}  // namespace
}  // namespace chuhai::fetch
