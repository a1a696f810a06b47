// Forward-only migrations: a database of every earlier schema version, holding data, migrates to
// the latest and ends up with exactly the schema of a new database; a failing migration changes
// nothing.

#include "store/migrations.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "store/sqlite_store.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

using chuhai::testing::TempDir;

// The schema as SQLite records it, in a stable order.
std::vector<std::string> schema_of(Database& db) {
    Statement rows(db,
                   "SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || coalesce(sql, '') "
                   "FROM sqlite_schema ORDER BY type, name");
    std::vector<std::string> schema;
    while (rows.step())
        schema.push_back(rows.column_string(0));
    return schema;
}

// Data a chuhai of schema `version` could have written, in that version's tables.
void write_data_of_version(Database& db, int version) {
    if (version >= 1) {
        db.exec(R"sql(
            INSERT INTO sources (id, url, name, kind, origin, created_at, etag)
                VALUES (1, 'https://feeds.example.com/a', 'Example', 'feed', 'config', 1700000000,
                        '"e1"');
            INSERT INTO fetches (id, source_id, started_at, requested_url, outcome, new_sightings)
                VALUES (1, 1, 1700000000, 'https://feeds.example.com/a', 'ok', 2);
            INSERT INTO stories (id, first_source_id, first_seen, last_seen)
                VALUES (1, 1, 1700000000, 1700000000);
            INSERT INTO items (id, source_id, item_key, canonical_url, title, first_seen, content,
                               content_hash, story_id, fingerprint)
                VALUES (1, 1, 'k1', 'https://example.com/1', 'Qwen data centre in Dubai',
                        1700000000, 'Alibaba Cloud opens a data centre.', 'h1', 1, -81985529216486896),
                       (2, 1, 'k2', 'https://example.com/2', '华为昇腾芯片出海', 1700000000,
                        '华为宣布昇腾芯片进入马来西亚。', 'h2', 1, NULL);
            UPDATE sources SET next_poll = 1700003600 WHERE id = 1;
            INSERT INTO sightings (source_id, item_key, item_id, first_fetch_id, first_seen,
                                   last_seen)
                VALUES (1, 'k1', 1, 1, 1700000000, 1700000000),
                       (1, 'k2', 2, 1, 1700000000, 1700000000);
            INSERT INTO matches (item_id, rule_id, ruleset_version, score, topic, matched_at)
                VALUES (1, 'alibaba', 'v1', 0.9, 'cloud', 1700000000);
        )sql");
    }
    if (version >= 1 && version <= 4) {
        // The schedule columns of versions 1 to 4 (0005 drops two of them).
        db.exec(
            "UPDATE sources SET backoff_seconds = 600, poll_interval_seconds = 1800 WHERE id = 1");
    }
    if (version >= 1 && version <= 5) {
        // The near-duplicate band index of versions 1 to 5 (0006 drops it).
        db.exec("INSERT INTO fingerprint_bands (band, item_id) VALUES (4660, 1), (70000, 1)");
    }
    if (version >= 2) {
        // From version 2 on, the writer adds each new item to the search index itself.
        db.exec(
            "INSERT INTO items_fts (rowid, title, summary, content) "
            "SELECT id, title, summary, content FROM items");
    }
    if (version >= 3) {
        db.exec(R"sql(
            INSERT INTO digests (id, channel, period_start, period_end, message_id, payload,
                                 next_attempt, created_at)
                VALUES (1, 'daily', 1699900000, 1700000000, '<m1@chuhai>', 'payload', 1700000000,
                        1700000000);
            INSERT INTO digest_items (channel, item_id, digest_id) VALUES ('daily', 1, 1);
        )sql");
    }
    if (version >= 4) {
        // A seed document, an item's similarity to it, and the corpus generation it bumped.
        db.exec(R"sql(
            INSERT INTO sources (id, url, name, kind, origin, created_at)
                VALUES (2, 'file:///corpus', 'corpus /corpus', 'seed', 'cli', 1700000000);
            INSERT INTO stories (id, first_source_id, first_seen, last_seen)
                VALUES (2, 2, 1700000000, 1700000000);
            INSERT INTO items (id, source_id, item_key, title, first_seen, content, content_hash,
                               story_id)
                VALUES (3, 2, 'seed.md', 'Huawei abroad', 1700000000,
                        'Huawei ships Ascend chips to Malaysia.', 'h3', 2);
            INSERT INTO sightings (source_id, item_key, item_id, first_seen, last_seen)
                VALUES (2, 'seed.md', 3, 1700000000, 1700000000);
            INSERT INTO items_fts (rowid, title, summary, content)
                SELECT id, title, summary, content FROM items WHERE id = 3;
            UPDATE items SET corpus_score = 0.42, corpus_item_id = 3 WHERE id = 2;
            UPDATE store_meta SET value = 7 WHERE key = 'corpus_generation';
            INSERT INTO store_meta (key, value) VALUES ('retention_text_cutoff', 1699000000);
        )sql");
    }
    if (version >= 5) {
        db.exec(
            "UPDATE sources SET mean_update_gap_seconds = 5400, updates_observed = 6, "
            "retry_after_until = 1700007200 WHERE id = 1");
    }
    if (version >= 7)
        db.exec("UPDATE sources SET freshness_seconds = 2700, ttl_minutes = 90 WHERE id = 1");
    if (version >= 8)
        db.exec("UPDATE items SET sanitized_html = '<p>Alibaba Cloud opens.</p>' WHERE id = 1");
    // (Data of the latest version is never migrated: a new migration adds its block here.)
}

TEST(Migrations, AreNumberedFromOneWithoutGaps) {
    const auto migrations = embedded_migrations();
    ASSERT_FALSE(migrations.empty());
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        EXPECT_EQ(migrations[i].version, static_cast<int>(i + 1));
        EXPECT_FALSE(migrations[i].sql.empty());
    }
    EXPECT_EQ(latest_schema_version(), static_cast<int>(migrations.size()));
}

TEST(Migrations, EveryEarlierVersionMigratesToTheLatestKeepingItsData) {
    TempDir dir;
    std::vector<std::string> fresh_schema;
    {
        auto db = open_database(dir / "fresh.db", std::chrono::seconds(1));
        migrate(*db);
        fresh_schema = schema_of(*db);
    }
    for (int version = 0; version < latest_schema_version(); ++version) {
        SCOPED_TRACE("from schema version " + std::to_string(version));
        const auto path = dir / ("v" + std::to_string(version) + ".db");
        {
            auto db = open_database(path, std::chrono::seconds(1));
            migrate(*db, version);
            ASSERT_EQ(schema_version(*db), version);
            write_data_of_version(*db, version);
        }
        // An hour after the data was written, so that item 1 is inside the story window.
        ManualClock clock(UtcTime{std::chrono::seconds{1700003600}});
        StoreOptions options;
        options.clock = &clock;
        auto store = open_sqlite_store(path, options);
        ASSERT_EQ(store->schema_version(), latest_schema_version());
        EXPECT_EQ(schema_of(store->database()), fresh_schema);
        EXPECT_TRUE(store->check_integrity().empty());
        if (version == 0)
            continue;
        // The data is all there, and the search index covers items stored before it existed.
        EXPECT_EQ(store->item(1)->title, "Qwen data centre in Dubai");
        EXPECT_EQ(store->find_source("Example")->health.etag, "\"e1\"");
        EXPECT_EQ(store->matches_for(1).size(), 1u);
        EXPECT_EQ(store->provenance(1)->first.fetch->id, 1);
        EXPECT_EQ(store->search({.text = "qwen dubai"}).size(), 1u);
        EXPECT_EQ(store->search({.text = "昇腾"}).size(), 1u);
        EXPECT_FALSE(store->item(1)->corpus) << "similarity not computed before version 4";
        EXPECT_EQ(store->item(1)->fingerprint, 0xFEDCBA9876543210ull);
        EXPECT_EQ(store->find_source("Example")->schedule.next_poll,
                  UtcTime{std::chrono::seconds{1700003600}});
        if (version >= 3) {
            EXPECT_EQ(store->digest(1)->items, std::vector<ItemId>{1});
        }
        if (version >= 4) {
            const auto similarity = store->item(2)->corpus;
            ASSERT_TRUE(similarity);
            EXPECT_EQ(similarity->document, 3);
            EXPECT_DOUBLE_EQ(similarity->score, 0.42);
            EXPECT_EQ(store->list_corpus().size(), 1u);
            EXPECT_EQ(store->database().query_int64(
                          "SELECT value FROM store_meta WHERE key = 'corpus_generation'"),
                      7);
            EXPECT_EQ(store->corpus_model()->size(), 1u);
        }
        if (version >= 5) {
            const auto schedule = store->find_source("Example")->schedule;
            EXPECT_EQ(schedule.mean_update_gap, std::chrono::seconds(5400));
            EXPECT_EQ(schedule.updates_observed, 6);
            EXPECT_EQ(schedule.retry_after_until, UtcTime{std::chrono::seconds{1700007200}});
        }
        if (version >= 7) {
            const auto schedule = store->find_source("Example")->schedule;
            EXPECT_EQ(schedule.freshness, std::chrono::seconds(2700));
            EXPECT_EQ(schedule.ttl_minutes, 90);
        }
        if (version >= 8) {
            EXPECT_EQ(store->item(1)->sanitized_html,
                      std::optional<std::string>("<p>Alibaba Cloud opens.</p>"));
        }
        // And the migrated store works like a new one.
        FetchRecord fetch;
        fetch.source = 1;
        fetch.requested_url = "https://feeds.example.com/a";
        const auto result = store->ingest(
            fetch, std::vector<ItemInput>{make_item("k3", "New after migration"),
                                          make_item("k1", "Qwen data centre in Dubai")});
        EXPECT_EQ(result.added, 1);
        EXPECT_EQ(result.items[1].item, 1);
        // The story window is read from the migrated items: a copy of item 1 joins its story.
        ItemInput copy =
            make_item("k4", "Qwen data centre in Dubai", "Alibaba Cloud opens a data centre.",
                      0xFEDCBA9876543210ull ^ 0x7);
        copy.summary.clear();
        const auto joined = store->ingest(fetch, std::vector<ItemInput>{copy});
        EXPECT_TRUE(joined.items[0].joined_story);
        EXPECT_EQ(joined.items[0].story, 1);
    }
}

TEST(Migrations, AFailingMigrationChangesNothing) {
    TempDir dir;
    const Migration broken[] = {
        {1, "0001_ok.sql", "CREATE TABLE one (x INTEGER);"},
        {2, "0002_broken.sql", "CREATE TABLE two (x INTEGER); INSERT INTO missing VALUES (1);"},
    };
    auto db = open_database(dir / "broken.db", std::chrono::seconds(1));
    try {
        migrate(*db, broken, 2);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::store);
        EXPECT_NE(e.message().find("0002_broken.sql"), std::string::npos) << e.what();
        EXPECT_NE(e.message().find("missing"), std::string::npos) << e.what();
        EXPECT_EQ(e.where(), (dir / "broken.db").string());
    }
    EXPECT_EQ(schema_version(*db), 1);
    EXPECT_EQ(db->query_int64("SELECT count(*) FROM sqlite_schema WHERE name = 'two'"), 0);
    EXPECT_EQ(db->query_int64("SELECT count(*) FROM sqlite_schema WHERE name = 'one'"), 1);
}

TEST(Migrations, ReopeningAMigratedDatabaseRunsNothing) {
    TempDir dir;
    const auto path = dir / "again.db";
    open_sqlite_store(path);
    const auto modified = std::filesystem::last_write_time(path);
    auto store = open_sqlite_store(path);
    EXPECT_EQ(store->schema_version(), latest_schema_version());
    EXPECT_EQ(std::filesystem::last_write_time(path), modified);
}

}  // namespace
}  // namespace chuhai::store::testing
