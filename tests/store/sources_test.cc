// Sources: upsert from config and CLI, renames after permanent redirects, disabling, removal,
// health and schedules that survive a restart, and the "silent for longer than usual" signal.

#include <gtest/gtest.h>

#include "common/error.h"
#include "store/migrations.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST_F(StoreTest, OpenCreatesAMigratedDatabaseInWalModeWithForeignKeys) {
    EXPECT_EQ(store().schema_version(), latest_schema_version());
    Statement journal(db(), "PRAGMA journal_mode");
    ASSERT_TRUE(journal.step());
    EXPECT_EQ(journal.column_text(0), "wal");
    EXPECT_EQ(count("PRAGMA foreign_keys"), 1);
    EXPECT_EQ(count("PRAGMA synchronous"), 1) << "NORMAL";
    EXPECT_EQ(count("PRAGMA auto_vacuum"), 2) << "INCREMENTAL";
    EXPECT_EQ(count("PRAGMA application_id"), 0x43484149);
    EXPECT_EQ(store().describe(), "sqlite:" + db_path().string());
}

TEST_F(StoreTest, UpsertKeepsOneSourcePerUrlAndUpdatesItsSettings) {
    SourceSpec spec;
    spec.url = "https://feeds.example.com/a";
    spec.name = "Example A";
    spec.tags = {"news", "en"};
    spec.interval = minutes(30);
    spec.timezone = "Asia/Shanghai";
    const SourceId id = store().upsert_source(spec);

    spec.name = "Example A (renamed)";
    spec.tags = {"news"};
    spec.origin = SourceOrigin::cli;
    EXPECT_EQ(store().upsert_source(spec), id);

    const auto source = store().find_source(id);
    ASSERT_TRUE(source);
    EXPECT_EQ(source->spec.name, "Example A (renamed)");
    EXPECT_EQ(source->spec.tags, std::vector<std::string>{"news"});
    EXPECT_EQ(source->spec.interval, minutes(30));
    EXPECT_EQ(source->spec.timezone, "Asia/Shanghai");
    EXPECT_EQ(source->spec.origin, SourceOrigin::cli);
    EXPECT_EQ(source->created, clock_.now());
    EXPECT_TRUE(source->active());
    EXPECT_EQ(count("SELECT count(*) FROM sources"), 1);

    ASSERT_TRUE(store().find_source("Example A (renamed)"));
    EXPECT_EQ(store().find_source("https://feeds.example.com/a")->id, id);
    EXPECT_FALSE(store().find_source("nope"));
}

TEST_F(StoreTest, APermanentRedirectMovesTheSourceAndTheOldUrlStillFindsIt) {
    const SourceId id = add_source("http://old.example.com/feed", "Moved");
    ASSERT_TRUE(store().rename_source_url(id, "https://new.example.com/feed"));
    const auto source = store().find_source(id);
    EXPECT_EQ(source->spec.url, "https://new.example.com/feed");
    EXPECT_EQ(source->former_urls, std::vector<std::string>{"http://old.example.com/feed"});
    // The configuration still names the old URL: it must update the moved source, not add one.
    EXPECT_EQ(add_source("http://old.example.com/feed", "Moved"), id);
    EXPECT_EQ(store().find_source("http://old.example.com/feed")->id, id);
    EXPECT_EQ(count("SELECT count(*) FROM sources"), 1);

    // A move onto a URL another source already has is refused and changes nothing.
    const SourceId other = add_source("https://other.example.com/feed");
    EXPECT_FALSE(store().rename_source_url(other, "https://new.example.com/feed"));
    EXPECT_EQ(store().find_source(other)->spec.url, "https://other.example.com/feed");
}

TEST_F(StoreTest, GoneSourcesAreDisabledWithTheReasonUntilEnabled) {
    const SourceId id = add_source("https://gone.example.com/feed");
    store().disable_source(id, "410 Gone");
    auto source = store().find_source(id);
    EXPECT_FALSE(source->active());
    EXPECT_EQ(source->disabled_reason, "410 Gone");
    EXPECT_EQ(source->disabled_at, clock_.now());
    // A config reload must not silently re-enable it.
    add_source("https://gone.example.com/feed");
    EXPECT_FALSE(store().find_source(id)->active());
    store().enable_source(id);
    EXPECT_TRUE(store().find_source(id)->active());
    EXPECT_THROW(store().disable_source(9999, "x"), Error);
}

TEST_F(StoreTest, RemovedSourcesKeepTheirItemsAndComeBackWhenAddedAgain) {
    const SourceId id = add_source("https://feeds.example.com/a");
    ingest(id, {make_item("k1", "Alibaba Cloud opens Dubai region")});
    store().remove_source(id);
    EXPECT_TRUE(store().list_sources().empty());
    EXPECT_EQ(store().list_sources(true).size(), 1u);
    EXPECT_EQ(count("SELECT count(*) FROM items"), 1);
    EXPECT_EQ(add_source("https://feeds.example.com/a"), id);
    EXPECT_FALSE(store().find_source(id)->removed);
}

TEST_F(StoreTest, SyncingTheConfigTurnsOffConfigSourcesNoLongerListed) {
    SourceSpec a{.url = "https://a.example.com/feed", .name = "A"};
    SourceSpec b{.url = "https://b.example.com/feed", .name = "B"};
    SourceSpec cli{.url = "https://cli.example.com/feed", .name = "CLI"};
    cli.origin = SourceOrigin::cli;
    store().upsert_source(cli);
    const auto ids = store().sync_config_sources(std::vector<SourceSpec>{a, b});
    ASSERT_EQ(ids.size(), 2u);
    store().sync_config_sources(std::vector<SourceSpec>{a});
    EXPECT_TRUE(store().find_source(ids[0])->active());
    EXPECT_FALSE(store().find_source(ids[1])->spec.enabled);
    EXPECT_TRUE(store().find_source("CLI")->active()) << "CLI sources are not the config's";
    store().sync_config_sources(std::vector<SourceSpec>{a, b});
    EXPECT_TRUE(store().find_source(ids[1])->active());
}

TEST_F(StoreTest, FetchAttemptsRecordHealthAndSchedulesSurviveARestart) {
    const SourceId id = add_source("https://feeds.example.com/a");
    FetchRecord ok = fetch_of(id);
    ok.schedule.emplace();
    ok.schedule->next_poll = clock_.now() + minutes(15);
    ok.schedule->mean_update_gap = minutes(15);
    ok.schedule->updates_observed = 3;
    store().ingest(ok, std::vector<ItemInput>{make_item("k1", "One"), make_item("k2", "Two")});

    clock_.advance(minutes(15));
    FetchRecord failed = fetch_of(id);
    failed.outcome = FetchOutcome::failed;
    failed.http_status = 503;
    failed.error = "HTTP 503, Retry-After 120";
    failed.etag = "\"ignored\"";
    failed.schedule.emplace();
    failed.schedule->next_poll = clock_.now() + minutes(2);
    failed.schedule->mean_update_gap = minutes(15);
    failed.schedule->updates_observed = 3;
    failed.schedule->retry_after_until = clock_.now() + minutes(2);
    failed.schedule->freshness = minutes(45);
    failed.schedule->ttl_minutes = 90;
    store().ingest(failed, {});
    clock_.advance(minutes(2));
    failed.started = clock_.now();
    failed.schedule->next_poll = clock_.now() + minutes(2);
    store().ingest(failed, {});

    reopen();
    auto source = store().find_source(id);
    const SourceHealth& health = source->health;
    EXPECT_EQ(health.consecutive_failures, 2);
    EXPECT_EQ(health.last_http_status, 503);
    EXPECT_EQ(health.last_error, "HTTP 503, Retry-After 120");
    EXPECT_EQ(health.last_success, at("2025-06-24T08:00:00Z"));
    EXPECT_EQ(health.last_attempt, clock_.now());
    EXPECT_EQ(health.etag, "\"v1\"") << "a failure keeps the validators";
    EXPECT_EQ(source->schedule.next_poll, at("2025-06-24T08:19:00Z"));
    EXPECT_EQ(source->schedule.mean_update_gap, minutes(15));
    EXPECT_EQ(source->schedule.updates_observed, 3);
    EXPECT_EQ(source->schedule.retry_after_until, at("2025-06-24T08:17:00Z"));
    EXPECT_EQ(source->schedule.freshness, minutes(45));
    EXPECT_EQ(source->schedule.ttl_minutes, 90);

    // A 304 is a success: failures reset, validators refreshed where given.
    clock_.advance(minutes(2));
    FetchRecord not_modified = fetch_of(id);
    not_modified.outcome = FetchOutcome::not_modified;
    not_modified.http_status = 304;
    not_modified.etag = "";
    not_modified.last_modified = "Tue, 24 Jun 2025 08:00:00 GMT";
    store().ingest(not_modified, {});
    source = store().find_source(id);
    EXPECT_EQ(source->health.consecutive_failures, 0);
    EXPECT_EQ(source->health.last_error, "");
    EXPECT_EQ(source->health.last_success, clock_.now());
    EXPECT_EQ(source->health.etag, "\"v1\"");
    EXPECT_EQ(source->health.last_modified, "Tue, 24 Jun 2025 08:00:00 GMT");
    EXPECT_EQ(source->health.last_items_seen, 0);
    // A record without a schedule (a body's, written before the scheduler saves its own) leaves
    // the stored one as it was: a stop in between must not erase what the scheduler learnt.
    EXPECT_EQ(source->schedule.next_poll, at("2025-06-24T08:19:00Z"));
    EXPECT_EQ(source->schedule.updates_observed, 3);
    EXPECT_EQ(source->schedule.retry_after_until, at("2025-06-24T08:17:00Z"));
    EXPECT_EQ(source->schedule.ttl_minutes, 90);
    EXPECT_EQ(source->health.last_bytes, 4096);
    EXPECT_EQ(source->health.last_duration, std::chrono::milliseconds(120));

    // A 200 replaces the validators with the response's own (none here).
    FetchRecord fresh = fetch_of(id);
    fresh.etag.clear();
    fresh.last_modified.clear();
    store().ingest(fresh, std::vector<ItemInput>{make_item("k3", "Three")});
    source = store().find_source(id);
    EXPECT_EQ(source->health.etag, "");
    EXPECT_EQ(source->health.last_modified, "");
    EXPECT_EQ(source->health.last_items_seen, 1);
    EXPECT_EQ(source->health.last_items_new, 1);

    store().save_schedule(
        id, SourceSchedule{clock_.now() + hours(1), minutes(60), 4, std::nullopt, hours(2), 30});
    reopen();
    EXPECT_EQ(store().find_source(id)->schedule.next_poll, clock_.now() + hours(1));
    EXPECT_EQ(store().find_source(id)->schedule.mean_update_gap, minutes(60));
    EXPECT_EQ(store().find_source(id)->schedule.updates_observed, 4);
    EXPECT_FALSE(store().find_source(id)->schedule.retry_after_until);
    EXPECT_EQ(store().find_source(id)->schedule.freshness, hours(2));
    EXPECT_EQ(store().find_source(id)->schedule.ttl_minutes, 30);

    // A source that said nothing about its freshness keeps saying nothing.
    store().save_schedule(id, SourceSchedule{clock_.now() + hours(1), minutes(60), 4, std::nullopt,
                                             std::nullopt, std::nullopt});
    EXPECT_FALSE(store().find_source(id)->schedule.freshness);
    EXPECT_FALSE(store().find_source(id)->schedule.ttl_minutes);
}

TEST_F(StoreTest, ItemsForAFetchWithoutBodyAreAProgrammingError) {
    const SourceId id = add_source("https://feeds.example.com/a");
    FetchRecord failed = fetch_of(id);
    failed.outcome = FetchOutcome::failed;
    EXPECT_THROW(store().ingest(failed, std::vector<ItemInput>{make_item("k", "t")}), Error);
    EXPECT_EQ(count("SELECT count(*) FROM fetches"), 0);
}

TEST_F(StoreTest, FetchesThatStoredNothingArePrunedButProvenanceStays) {
    const SourceId id = add_source("https://feeds.example.com/a");
    ingest(id, {make_item("k1", "Kept: it brought an item")});
    for (int i = 0; i < 120; ++i) {
        clock_.advance(minutes(15));
        FetchRecord not_modified = fetch_of(id);
        not_modified.outcome = FetchOutcome::not_modified;
        store().ingest(not_modified, {});
    }
    EXPECT_EQ(count("SELECT count(*) FROM fetches WHERE new_sightings = 0"), 50);
    EXPECT_EQ(count("SELECT count(*) FROM fetches WHERE new_sightings > 0"), 1);
    const auto provenance = store().provenance(count("SELECT id FROM items"));
    ASSERT_TRUE(provenance->first.fetch);
}

TEST(UsualSilence, NeedsEnoughHistory) {
    std::vector<UtcTime> arrivals = {at("2025-06-24T10:00:00Z"), at("2025-06-24T09:00:00Z")};
    EXPECT_FALSE(usual_silence(arrivals));
}

TEST(UsualSilence, IsLongerThanBothTheTypicalAndTheLongestRecentGap) {
    // Hourly from 13:00 to 20:00, after a six-hour night.
    std::vector<UtcTime> arrivals;
    for (int hour = 20; hour >= 13; --hour)
        arrivals.push_back(at("2025-06-24T00:00:00Z") + hours(hour));
    arrivals.push_back(at("2025-06-24T07:00:00Z"));
    const auto threshold = usual_silence(arrivals);
    ASSERT_TRUE(threshold);
    EXPECT_EQ(*threshold, hours(9));  // 1.5 × the six-hour gap beats 4 × the one-hour median

    // Very frequent posting still tolerates an hour.
    std::vector<UtcTime> busy;
    for (int i = 0; i < 10; ++i)
        busy.push_back(at("2025-06-24T20:00:00Z") - minutes(i));
    EXPECT_EQ(*usual_silence(busy), hours(1));

    // The configured rule: fetch.silence.factor and .floor.
    EXPECT_EQ(*usual_silence(arrivals, SilenceRule{10.0, hours(1)}), hours(10));
    EXPECT_EQ(*usual_silence(arrivals, SilenceRule{4.0, hours(24)}), hours(24));
    EXPECT_EQ(*usual_silence(busy, SilenceRule{2.5, minutes(5)}), minutes(5));
}

TEST_F(StoreTest, ASourceQuietForLongerThanItsHistoryIsSilent) {
    const SourceId id = add_source("https://feeds.example.com/hourly", "Hourly");
    for (int i = 0; i < 6; ++i) {
        ingest(id, {make_item("hourly-" + std::to_string(i), "Item " + std::to_string(i))});
        clock_.advance(hours(1));
    }
    auto health = store().list_sources().front().health;
    EXPECT_FALSE(health.silent);
    EXPECT_EQ(health.usual_silence, hours(4));
    EXPECT_EQ(health.last_new_item, clock_.now() - hours(1));

    // Polls keep succeeding but bring nothing new.
    for (int i = 0; i < 5; ++i) {
        FetchRecord not_modified = fetch_of(id);
        not_modified.outcome = FetchOutcome::not_modified;
        store().ingest(not_modified, {});
        clock_.advance(hours(1));
    }
    health = store().list_sources().front().health;
    EXPECT_TRUE(health.silent);

    // A stricter rule from the configuration: the same history is not silent yet.
    reopen(SilenceRule{4.0, hours(24)});
    health = store().list_sources().front().health;
    EXPECT_EQ(health.usual_silence, hours(24));
    EXPECT_FALSE(health.silent);
    reopen();

    // A failing source is failing, not silent.
    FetchRecord failed = fetch_of(id);
    failed.outcome = FetchOutcome::failed;
    failed.error = "timeout";
    store().ingest(failed, {});
    EXPECT_FALSE(store().list_sources().front().health.silent);
}

}  // namespace
}  // namespace chuhai::store::testing
