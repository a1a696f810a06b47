// Retention, incremental vacuum, backup with the online backup API, integrity checks.

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

using std::chrono::days;
using std::chrono::hours;

std::string long_text(const std::string& word, int repeat) {
    std::string text;
    for (int i = 0; i < repeat; ++i)
        text += word + " " + std::to_string(i) + " ";
    return text;
}

TEST_F(StoreTest, RetentionDropsTheTextOfOldUnmatchedItemsOnly) {
    const SourceId source = add_source("https://feeds.example.com/a");
    std::vector<ItemInput> old_items;
    for (int i = 0; i < 200; ++i)
        old_items.push_back(make_item("old" + std::to_string(i),
                                      "Old unmatched " + std::to_string(i),
                                      long_text("zebrafish", 200)));
    // Matched once (so the pipeline kept its digest HTML), then its matches taken back by a
    // `rules backfill`: its HTML goes with its text.
    old_items[1].sanitized_html = "<p>zebrafish</p>";
    ItemInput matched = make_item("matched", "Old matched", long_text("okapi", 50));
    old_items.push_back(matched);
    const auto old = ingest(source, old_items);
    const ItemId unmatched_id = old.items[0].item;
    const ItemId matched_id = old.items.back().item;
    store().record_matches(matched_id, std::vector<MatchInput>{{"r", "v1", 1, "t", "{}"}});
    // A revision of an unmatched item: its older text goes too.
    old_items[0].content = long_text("zebrafish revised", 10);
    clock_.advance(hours(1));
    ingest(source, {old_items[0]});
    store().import_corpus("file:///corpus",
                          std::vector<CorpusDocument>{
                              {"seed.md", "/corpus/seed.md", "Seed", long_text("seedword", 20)}});

    clock_.advance(days(31));
    const auto fresh = ingest(source, {make_item("fresh", "Fresh", long_text("zebrafish", 5))});

    const std::int64_t pages_before = count("PRAGMA page_count");
    const RetentionResult result = store().apply_retention({.drop_unmatched_text_after = days(30)});
    EXPECT_EQ(result.items_trimmed, 200);
    EXPECT_FALSE(store().item(old.items[1].item)->sanitized_html);
    EXPECT_EQ(result.revisions_trimmed, 1);
    EXPECT_GT(result.pages_freed, 0);
    EXPECT_LT(count("PRAGMA page_count"), pages_before) << "incremental vacuum shrank the file";

    const auto trimmed = *store().item(unmatched_id);
    EXPECT_TRUE(trimmed.text_dropped);
    EXPECT_EQ(trimmed.content, "");
    EXPECT_EQ(trimmed.summary, "");
    EXPECT_EQ(trimmed.title, "Old unmatched 0") << "metadata stays";
    EXPECT_EQ(trimmed.link, "https://example.com/old0?utm_source=feed");
    EXPECT_TRUE(store().provenance(unmatched_id)->first.fetch);
    EXPECT_EQ(store().revisions(unmatched_id).at(0).content, "");
    const auto kept = *store().item(matched_id);
    EXPECT_FALSE(kept.text_dropped);
    EXPECT_EQ(kept.content, long_text("okapi", 50));
    EXPECT_FALSE(store().item(fresh.items[0].item)->text_dropped);
    EXPECT_EQ(store().list_corpus().size(), 1u);
    EXPECT_EQ(count("SELECT count(*) FROM items WHERE content LIKE 'seedword%'"), 1);

    // Search follows: the dropped text is gone from the index, the titles are still there.
    const auto body_hits = store().search({.text = "zebrafish", .limit = 1000});
    ASSERT_EQ(body_hits.size(), 1u);
    EXPECT_EQ(body_hits[0].item, fresh.items[0].item);
    EXPECT_EQ(store().search({.text = "unmatched", .limit = 1000}).size(), 200u);
    EXPECT_TRUE(store().check_integrity().empty());

    // Running again finds nothing more to do.
    EXPECT_EQ(store().apply_retention({.drop_unmatched_text_after = days(30)}).items_trimmed, 0);
}

TEST_F(StoreTest, AShorterRetentionLimitTrimsTheNextDaysToo) {
    const SourceId source = add_source("https://feeds.example.com/a");
    ingest(source, {make_item("day0", "Day 0", "text of day zero")});
    clock_.advance(days(10));
    ingest(source, {make_item("day10", "Day 10", "text of day ten")});
    clock_.advance(days(10));
    EXPECT_EQ(store().apply_retention({.drop_unmatched_text_after = days(15)}).items_trimmed, 1);
    EXPECT_EQ(store().apply_retention({.drop_unmatched_text_after = days(30)}).items_trimmed, 0);
    EXPECT_EQ(store().apply_retention({.drop_unmatched_text_after = days(5)}).items_trimmed, 1);
    EXPECT_EQ(count("SELECT count(*) FROM items WHERE text_dropped_at IS NOT NULL"), 2);
}

TEST_F(StoreTest, RetentionPrunesOldFetchAttemptsThatStoredNothing) {
    const SourceId source = add_source("https://feeds.example.com/a");
    // An attempt that stored an item (its provenance), then three that brought nothing.
    const auto stored = ingest(source, {make_item("a", "A", "text")});
    for (int i = 0; i < 3; ++i) {
        FetchRecord not_modified = fetch_of(source);
        not_modified.outcome = FetchOutcome::not_modified;
        not_modified.http_status = 304;
        store().ingest(not_modified, {});
    }
    clock_.advance(days(40));
    FetchRecord recent = fetch_of(source);
    recent.outcome = FetchOutcome::failed;
    recent.error = "timeout";
    store().ingest(recent, {});
    ASSERT_EQ(count("SELECT count(*) FROM fetches"), 5);

    const RetentionPolicy policy{.drop_unmatched_text_after = std::nullopt,
                                 .drop_fetch_log_after = days(30)};
    const auto result = store().apply_retention(policy);
    EXPECT_EQ(result.fetches_pruned, 3);
    EXPECT_EQ(result.items_trimmed, 0) << "text kept forever";
    EXPECT_EQ(count("SELECT count(*) FROM fetches"), 2);
    // The provenance of the item is still there, with its validators.
    const auto provenance = store().provenance(stored.items[0].item);
    ASSERT_TRUE(provenance->first.fetch);
    EXPECT_EQ(provenance->first.fetch->etag, "\"v1\"");
    EXPECT_EQ(store().apply_retention(policy).fetches_pruned, 0);
    // Without a limit, only the count per source applies.
    EXPECT_EQ(store().apply_retention({}).fetches_pruned, 0);
}

TEST_F(StoreTest, TheQuickCheckReadsPagesAndTheFullCheckAlsoIndexes) {
    const SourceId source = add_source("https://feeds.example.com/a");
    ingest(source, {make_item("a", "A", "text"), make_item("b", "B", "more text")});
    EXPECT_TRUE(store().check_integrity(Store::IntegrityCheck::quick).empty());
    EXPECT_TRUE(store().check_integrity(Store::IntegrityCheck::full).empty());
    // The search index loses an entry behind the store's back: only the full check, which
    // compares the index with the items, finds it.
    db().exec(
        "INSERT INTO items_fts(items_fts, rowid, title, summary, content) "
        "SELECT 'delete', id, title, summary, content FROM items WHERE item_key = 'a'");
    EXPECT_TRUE(store().check_integrity(Store::IntegrityCheck::quick).empty());
    const auto problems = store().check_integrity(Store::IntegrityCheck::full);
    ASSERT_FALSE(problems.empty());
    EXPECT_NE(problems.front().find("full-text index"), std::string::npos) << problems.front();
}

TEST_F(StoreTest, BackupIsAConsistentDatabaseOfItsOwn) {
    const SourceId source = add_source("https://feeds.example.com/a", "A");
    ingest(source, {make_item("1", "Alibaba Cloud Dubai"), make_item("2", "Huawei Ascend")});
    const auto backup = dir_ / "backup.db";
    store().backup_to(backup);
    ingest(source, {make_item("3", "After the backup")});

    ASSERT_TRUE(std::filesystem::exists(backup));
    EXPECT_FALSE(std::filesystem::exists(backup.string() + "-wal"));
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
        EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
    StoreOptions options;
    options.clock = &clock_;
    const auto copy = open_sqlite_store(backup, options);
    EXPECT_TRUE(copy->check_integrity().empty());
    EXPECT_EQ(copy->database().query_int64("SELECT count(*) FROM items"), 2);
    EXPECT_EQ(copy->search({.text = "dubai"}).size(), 1u);
    EXPECT_EQ(copy->find_source("A")->id, source);

    // Overwriting an older backup replaces it whole.
    store().backup_to(backup);
    EXPECT_EQ(
        open_sqlite_store(backup, options)->database().query_int64("SELECT count(*) FROM items"),
        3);
}

TEST_F(StoreTest, BackupRefusesToOverwriteTheDatabaseAndReportsBadDestinations) {
    EXPECT_THROW(store().backup_to(db_path()), Error);
    try {
        store().backup_to(dir_ / "missing-folder" / "backup.db");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("missing-folder"), std::string::npos) << e.what();
    }
}

TEST_F(StoreTest, IntegrityCheckNoticesAFullTextIndexOutOfStep) {
    const SourceId source = add_source("https://feeds.example.com/a");
    const auto id = ingest(source, {make_item("1", "Title", "Body text")}).items[0].item;
    EXPECT_TRUE(store().check_integrity().empty());
    // Remove the item from the index behind the triggers' back.
    Statement remove(db(),
                     "INSERT INTO items_fts(items_fts, rowid, title, summary, content) "
                     "SELECT 'delete', id, title, summary, content FROM items WHERE id = ?1");
    remove.bind(1, id);
    remove.run();
    const auto problems = store().check_integrity();
    ASSERT_FALSE(problems.empty());
    EXPECT_NE(problems[0].find("full-text index"), std::string::npos) << problems[0];
}

}  // namespace
}  // namespace chuhai::store::testing
