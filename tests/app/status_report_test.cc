// `chuhai status` from the database: whether the daemon runs (pid and heartbeat), the last
// cycle, sources, today's items, each channel's next digest, waiting and failed digests.

#include "app/status_report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "config/config_loader.h"
#include "tests/app/digest_test_support.h"

namespace chuhai::app::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using store::testing::at;

bool alive(std::int64_t) {
    return true;
}
bool dead(std::int64_t) {
    return false;
}

class StatusReportTest : public DigestStoreTest {
  protected:
    StatusReportTest()
        : settings_(config::parse_settings("database: db\nrules: r\ntimezone: Asia/Shanghai\n"
                                           "digests:\n"
                                           "  - name: morning\n    schedule: daily 08:00\n"
                                           "    email:\n      from: a@example.org\n"
                                           "      to: b@example.org\n"
                                           "      smtp: {url: 'smtp://mail.example.org'}\n"
                                           "  - name: alerts\n    schedule: immediate\n"
                                           "    webhook: {url: 'https://hooks.example.org/x'}\n",
                                           "/etc/chuhai/chuhai.yaml")) {}

    StatusReport status(bool (*pid_alive)(std::int64_t) = alive) {
        return gather_status(store(), settings_, clock_.now(), pid_alive);
    }

    config::Settings settings_;
};

TEST_F(StatusReportTest, TheDaemonIsRunningWhileItsPidLivesAndItsHeartbeatIsFresh) {
    EXPECT_EQ(status().daemon, DaemonState::never_started);
    store().record_heartbeat(4242, clock_.now() - hours{2}, clock_.now() - seconds{20});
    EXPECT_EQ(status().daemon, DaemonState::running);
    EXPECT_EQ(status(dead).daemon, DaemonState::died) << "killed: no clean stop recorded";
    clock_.advance(seconds{100});
    EXPECT_EQ(status().daemon, DaemonState::not_responding);
    store().record_daemon_stop(4242, clock_.now());
    EXPECT_EQ(status(dead).daemon, DaemonState::stopped);

    const std::string text = render_status_text(status(dead));
    EXPECT_NE(text.find("daemon      stopped (pid 4242 stopped at"), std::string::npos) << text;
    EXPECT_TRUE(process_alive(::getpid()));
    EXPECT_FALSE(process_alive(0));
}

TEST_F(StatusReportTest, ShowsSourcesTodayChannelsAndDigests) {
    clock_.set(at("2025-06-24T10:00:00Z"));  // 18:00 in Shanghai
    const auto wire = source("Wire");
    const auto broken = source("Broken");
    const auto gone = source("Gone");
    matched_item(wire, "1", "Zhipu opens in Riyadh");
    store().ingest(fetch_of(wire),
                   std::vector<store::ItemInput>{store::testing::make_item("2", "Unrelated")});
    store::FetchRecord failure = fetch_of(broken);
    failure.outcome = store::FetchOutcome::failed;
    failure.error = "HTTP 404";
    store().ingest(failure, {});
    store().disable_source(gone, "410 Gone");
    store().record_cycle(clock_.now(), "3 sources: 1 ok (0 not modified), 1 failed", "once");
    store().set_channel_period_end("morning", at("2025-06-24T00:00:00Z"));  // 08:00 CST
    store::DigestDraft waiting = store::testing::make_draft("morning", {}, "<w@x>", clock_.now());
    waiting.story_count = 4;
    const auto id = store().create_digest(waiting);
    store().mark_digest_retry(id, "temporary failure: connection refused",
                              clock_.now() + minutes{5});
    const auto failed =
        store().create_digest(store::testing::make_draft("alerts", {}, "k1", clock_.now()));
    store().mark_digest_failed(failed, "permanent failure: server said \"404 Not Found\"");

    const StatusReport report = status();
    EXPECT_EQ(report.sources, 3);
    EXPECT_EQ(report.sources_ok, 1);
    EXPECT_EQ(report.sources_failing, 1);
    EXPECT_EQ(report.sources_disabled, 1);
    EXPECT_EQ(report.today_start, at("2025-06-23T16:00:00Z")) << "midnight in Shanghai";
    EXPECT_EQ(report.today.items, 2);
    EXPECT_EQ(report.today.matched, 1);
    ASSERT_EQ(report.channels.size(), 2u);
    EXPECT_EQ(report.channels[0].next_due, at("2025-06-25T00:00:00Z"));
    EXPECT_FALSE(report.channels[1].next_due) << "immediate: after the next cycle";
    ASSERT_EQ(report.waiting.size(), 1u);
    ASSERT_EQ(report.failed.size(), 1u);

    const std::string text = render_status_text(report);
    EXPECT_NE(text.find("sources     3: 1 ok, 1 failing, 1 disabled"), std::string::npos) << text;
    EXPECT_NE(text.find("failing   Broken: HTTP 404 (1 attempt in a row, never succeeded)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("digests     2 channels\n"), std::string::npos) << text;
    EXPECT_NE(text.find("today       2 items, 1 matched (since 2025-06-24 00:00 CST)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("morning: daily 08:00; next 2025-06-25 08:00 CST"), std::string::npos)
        << text;
    EXPECT_NE(text.find("waiting   morning <w@x> (4 stories): 1 attempt, next"), std::string::npos)
        << text;
    EXPECT_NE(text.find("FAILED    alerts k1"), std::string::npos) << text;
    EXPECT_NE(text.find("by chuhai once"), std::string::npos) << text;

    const auto json = nlohmann::json::parse(render_status_json(report));
    EXPECT_EQ(json["daemon"]["state"], "never started");
    EXPECT_EQ(json["daemon"]["running"], false);
    EXPECT_EQ(json["sources"]["failing"], 1);
    EXPECT_EQ(json["sources"]["failing_sources"][0]["name"], "Broken");
    EXPECT_EQ(json["today"]["matched"], 1);
    EXPECT_EQ(json["last_cycle"]["by"], "once");
    EXPECT_EQ(json["digests"]["channels"][0]["next_due"], "2025-06-25T00:00:00Z");
    EXPECT_TRUE(json["digests"]["channels"][1]["next_due"].is_null());
    EXPECT_EQ(json["digests"]["waiting"][0]["stories"], 4);
    EXPECT_EQ(json["digests"]["failed"][0]["last_error"],
              "permanent failure: server said \"404 Not Found\"");
}

TEST_F(StatusReportTest, CredentialsOfSourcesKeptOnlyInTheDatabaseAreMasked) {
    // As `chuhai sources add` stores it: the configuration does not know this password.
    store::SourceSpec spec;
    spec.url = "https://reader:st4tus-s3cret@private.example.com/feed";
    spec.name = "Private";
    const auto id = store().upsert_source(spec);
    store::FetchRecord failure = fetch_of(id);
    failure.outcome = store::FetchOutcome::failed;
    failure.error = "cannot connect to " + spec.url;
    store().ingest(failure, {});

    const StatusReport report = status();
    ASSERT_EQ(report.failing.size(), 1u);
    const std::string text = render_status_text(report);
    const std::string json_text = render_status_json(report);
    EXPECT_EQ(text.find("st4tus-s3cret"), std::string::npos) << text;
    EXPECT_EQ(json_text.find("st4tus-s3cret"), std::string::npos) << json_text;
    EXPECT_NE(text.find("private.example.com"), std::string::npos) << text;
}

TEST_F(StatusReportTest, UnknownChannelsAndMissingDatabasesAreNamed) {
    try {
        find_channel(settings_, "evening");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::usage);
        EXPECT_NE(e.message().find("channels: morning, alerts"), std::string::npos) << e.message();
    }
    config::Settings missing = settings_;
    missing.database = dir_ / "absent.db";
    EXPECT_THROW(open_existing_store(missing), Error);
    EXPECT_FALSE(std::filesystem::exists(missing.database)) << "a read-only command creates none";
}

}  // namespace
}  // namespace chuhai::app::testing
