// Ingest: new, duplicate and revised items, one item seen by several sources, stories of
// near-duplicates, matches, provenance, and all-or-nothing batches.

#include <gtest/gtest.h>

#include <bit>

#include "common/error.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

TEST_F(StoreTest, NewItemsAreAddedOnceAndSeenAgainAsDuplicates) {
    const SourceId source = add_source("https://feeds.example.com/a", "Example A");
    const std::vector<ItemInput> items = {
        make_item("a1", "Alibaba Cloud opens Dubai data centre", "Alibaba Cloud said..."),
        make_item("a2", "Huawei ships Ascend 910C", "Huawei said..."),
    };
    const IngestResult first = ingest(source, items);
    EXPECT_EQ(first.added, 2);
    EXPECT_EQ(first.duplicates, 0);
    ASSERT_EQ(first.items.size(), 2u);
    EXPECT_EQ(first.items[0].outcome, ItemOutcome::added);
    EXPECT_TRUE(first.items[0].new_sighting);
    EXPECT_NE(first.items[0].item, first.items[1].item);

    clock_.advance(minutes(15));
    const IngestResult second = ingest(source, items);
    EXPECT_EQ(second.added, 0);
    EXPECT_EQ(second.duplicates, 2);
    EXPECT_EQ(second.items[0].item, first.items[0].item);
    EXPECT_FALSE(second.items[0].new_sighting);
    EXPECT_EQ(count("SELECT count(*) FROM items"), 2);

    const auto item = store().item(first.items[0].item);
    ASSERT_TRUE(item);
    EXPECT_EQ(item->title, "Alibaba Cloud opens Dubai data centre");
    EXPECT_EQ(item->source_name, "Example A");
    EXPECT_EQ(item->first_seen, at("2025-06-24T08:00:00Z")) << "first seen stays";
    EXPECT_EQ(item->canonical_url, "https://example.com/a1");
    EXPECT_EQ(item->content_hash.size(), 64u) << "SHA-256 computed by the store";
    EXPECT_EQ(count("SELECT last_seen FROM sightings WHERE item_key = 'a1'"),
              to_db_seconds(clock_.now()));
}

TEST_F(StoreTest, AllItemFieldsRoundTrip) {
    const SourceId source = add_source("https://feeds.example.com/a");
    ItemInput input = make_item("full", "标题 Title", "正文 content");
    input.author = "Chai Xuchen";
    input.published = at("2025-06-24T02:00:00Z");
    input.updated = at("2025-06-24T03:00:00Z");
    input.content_html = "<p>正文 <b>content</b></p>";
    input.categories = {"cloud", "出海"};
    input.content_hash = "parse-stage-hash";
    input.fingerprint = 0xF00DFACE12345678ull;
    input.language = "zh";
    const auto id = ingest(source, {input}).items[0].item;
    const auto item = *store().item(id);
    EXPECT_EQ(item.key, "full");
    EXPECT_EQ(item.link, input.link);
    EXPECT_EQ(item.author, "Chai Xuchen");
    EXPECT_EQ(item.published, input.published);
    EXPECT_EQ(item.updated, input.updated);
    EXPECT_EQ(item.summary, input.summary);
    EXPECT_EQ(item.content, "正文 content");
    EXPECT_EQ(item.content_html, input.content_html);
    EXPECT_EQ(item.categories, input.categories);
    EXPECT_EQ(item.content_hash, "parse-stage-hash");
    EXPECT_EQ(item.fingerprint, input.fingerprint) << "all 64 bits, also the sign bit";
    EXPECT_EQ(item.language, "zh");
    EXPECT_FALSE(item.text_dropped);
}

TEST_F(StoreTest, TheSameUrlFromAnotherSourceIsOneItemSeenByTwoSources) {
    const SourceId reuters = add_source("https://reuters.example.com/feed", "Reuters");
    const SourceId scmp = add_source("https://scmp.example.com/feed", "SCMP");
    const auto first = ingest(reuters, {make_item("r-1", "Alibaba Cloud expands in Mexico")});

    clock_.advance(hours(2));
    FetchRecord fetch = fetch_of(scmp, "http://scmp.example.com/rss");
    fetch.final_url = "https://scmp.example.com/feed";  // after a redirect
    fetch.etag = "W/\"scmp-7\"";
    ItemInput copy = make_item("r-1", "Alibaba Cloud expands in Mexico (SCMP)");
    copy.key = "scmp-guid-99";
    const auto second = store().ingest(fetch, std::vector<ItemInput>{copy});
    ASSERT_EQ(second.items.size(), 1u);
    EXPECT_EQ(second.items[0].outcome, ItemOutcome::duplicate);
    EXPECT_TRUE(second.items[0].new_sighting);
    EXPECT_EQ(second.items[0].item, first.items[0].item);
    EXPECT_EQ(count("SELECT count(*) FROM items"), 1);
    EXPECT_EQ(store().item(first.items[0].item)->title, "Alibaba Cloud expands in Mexico")
        << "another source's copy is not a revision";

    const auto provenance = store().provenance(first.items[0].item);
    ASSERT_TRUE(provenance);
    EXPECT_EQ(provenance->first.source_name, "Reuters");
    EXPECT_EQ(provenance->first.first_seen, at("2025-06-24T08:00:00Z"));
    ASSERT_TRUE(provenance->first.fetch);
    EXPECT_EQ(provenance->first.fetch->started, at("2025-06-24T08:00:00Z"));
    EXPECT_EQ(provenance->first.fetch->http_status, 200);
    EXPECT_EQ(provenance->first.fetch->etag, "\"v1\"");
    ASSERT_EQ(provenance->others.size(), 1u);
    const Sighting& other = provenance->others[0];
    EXPECT_EQ(other.source_name, "SCMP");
    EXPECT_EQ(other.item_key, "scmp-guid-99");
    EXPECT_EQ(other.first_seen, at("2025-06-24T10:00:00Z"));
    ASSERT_TRUE(other.fetch);
    EXPECT_EQ(other.fetch->requested_url, "http://scmp.example.com/rss");
    EXPECT_EQ(other.fetch->final_url, "https://scmp.example.com/feed");
    EXPECT_EQ(other.fetch->etag, "W/\"scmp-7\"");

    // Seen again under its key: a duplicate, found without the URL.
    copy.canonical_url = "https://scmp.example.com/changed-url";
    const auto third = ingest(scmp, {copy});
    EXPECT_EQ(third.items[0].item, first.items[0].item);
    EXPECT_FALSE(third.items[0].new_sighting);
}

TEST_F(StoreTest, AChangedTitleOrContentFromTheSameSourceIsARevision) {
    const SourceId source = add_source("https://feeds.example.com/a");
    ItemInput original = make_item("k", "Huawei to sell Ascend chips in Malaysia",
                                   "Huawei will sell its Ascend accelerators.");
    const auto id = ingest(source, {original}).items[0].item;

    clock_.advance(hours(1));
    ItemInput changed = original;
    changed.title = "Huawei sells Ascend chips in Malaysia and Thailand";
    const auto result = ingest(source, {changed});
    EXPECT_EQ(result.revised, 1);
    EXPECT_EQ(result.items[0].outcome, ItemOutcome::revised);
    EXPECT_EQ(result.items[0].item, id);

    clock_.advance(hours(1));
    changed.content = "Huawei sells its Ascend accelerators to two countries.";
    EXPECT_EQ(ingest(source, {changed}).revised, 1);
    EXPECT_EQ(ingest(source, {changed}).duplicates, 1) << "unchanged now";

    const auto item = *store().item(id);
    EXPECT_EQ(item.title, "Huawei sells Ascend chips in Malaysia and Thailand");
    EXPECT_EQ(item.content, "Huawei sells its Ascend accelerators to two countries.");
    EXPECT_EQ(item.revision_count, 2);
    EXPECT_EQ(item.first_seen, at("2025-06-24T08:00:00Z"));
    const auto revisions = store().revisions(id);
    ASSERT_EQ(revisions.size(), 2u);
    EXPECT_EQ(revisions[0].title, "Huawei to sell Ascend chips in Malaysia");
    EXPECT_EQ(revisions[0].replaced_at, at("2025-06-24T09:00:00Z"));
    EXPECT_EQ(revisions[1].content, "Huawei will sell its Ascend accelerators.");
    EXPECT_EQ(count("SELECT count(*) FROM items"), 1);

    // The search index follows the revision.
    EXPECT_EQ(store().search({.text = "Thailand"}).size(), 1u);
    EXPECT_TRUE(store().search({.text = "accelerators two"}).size() == 1u);
    EXPECT_TRUE(store().search({.text = "\"to sell\""}).empty());
}

// A wire story and the copies other outlets ran (fingerprints as the feed layer measured such
// copies: 8 to 14 bits apart); tests/store/stories_test.cc does the same from feed files.
constexpr const char* kWireTitle =
    "Zhipu shares jump on Hong Kong debut as Chinese AI start-ups head for listings";
constexpr const char* kWireLead =
    "Shares of Zhipu AI rose 18 per cent in their first day of trading in Hong Kong on Tuesday, "
    "as investors bet on Chinese developers of large language models selling abroad.";

TEST_F(StoreTest, NearDuplicatesJoinTheStoryOfARecentItem) {
    const SourceId reuters = add_source("https://reuters.example.com/feed", "Reuters");
    const SourceId scmp = add_source("https://scmp.example.com/feed", "SCMP");
    const SourceId caixin = add_source("https://caixin.example.com/feed", "Caixin");
    const std::uint64_t fingerprint = 0x0123456789ABCDEFull;

    const auto first = ingest(reuters, {make_item("r", kWireTitle, kWireLead, fingerprint)});
    EXPECT_FALSE(first.items[0].joined_story);

    clock_.advance(hours(3));
    // Fourteen bits apart, spread over every 16-bit quarter: the old band index, which found
    // only fingerprints within 3 bits, never saw this copy.
    const std::uint64_t fourteen_bits = fingerprint ^ 0x8421'0842'1084'2108ull ^ 0x1ull;
    ASSERT_EQ(std::popcount(fourteen_bits ^ fingerprint), 14);
    const auto copy =
        ingest(scmp, {make_item("s", std::string(kWireTitle) + " - SCMP",
                                std::string("HONG KONG - ") + kWireLead, fourteen_bits)});
    EXPECT_TRUE(copy.items[0].joined_story);
    EXPECT_EQ(copy.items[0].story, first.items[0].story);

    // The same company on the same day with a fingerprint just as close: another story,
    // because the texts do not agree.
    const auto distinct =
        ingest(caixin, {make_item("c", "Zhipu opens research office in Singapore",
                                  "Zhipu AI said on Tuesday it would open a research office in "
                                  "Singapore, its first outside China, to court developers in "
                                  "Southeast Asia.",
                                  fingerprint ^ 0xFull)});
    EXPECT_FALSE(distinct.items[0].joined_story);
    EXPECT_NE(distinct.items[0].story, first.items[0].story);

    // Beyond the distance, even the same text is another story (the feed layer's threshold).
    const auto far = ingest(caixin, {make_item("f", kWireTitle, kWireLead, ~fingerprint)});
    EXPECT_FALSE(far.items[0].joined_story);

    const auto story = store().story(first.items[0].story);
    ASSERT_TRUE(story);
    EXPECT_EQ(story->first_source_name, "Reuters");
    EXPECT_EQ(story->first_seen, at("2025-06-24T08:00:00Z"));
    EXPECT_EQ(story->last_seen, at("2025-06-24T11:00:00Z"));
    EXPECT_EQ(story->members, (std::vector<ItemId>{first.items[0].item, copy.items[0].item}));
    EXPECT_EQ(story->source_names, (std::vector<std::string>{"Reuters", "SCMP"}));
}

TEST_F(StoreTest, NearDuplicatesOutsideTheStoryWindowStartANewStory) {
    const SourceId source = add_source("https://feeds.example.com/a");
    const std::uint64_t fingerprint = 0xFFFF0000FFFF0000ull;
    const auto old = ingest(source, {make_item("old", kWireTitle, kWireLead, fingerprint)});
    clock_.advance(days(4));
    const auto late = ingest(source, {make_item("late", kWireTitle, kWireLead, fingerprint)});
    EXPECT_FALSE(late.items[0].joined_story);
    EXPECT_NE(late.items[0].story, old.items[0].story);
}

TEST_F(StoreTest, TheStoryWindowSurvivesARestartAndSeesOtherConnections) {
    const SourceId a = add_source("https://a.example.com/feed", "A");
    const SourceId b = add_source("https://b.example.com/feed", "B");
    const std::uint64_t fingerprint = 0x5555'AAAA'0000'FFFFull;
    const auto first = ingest(a, {make_item("a", kWireTitle, kWireLead, fingerprint)});
    // Another connection (another process) stores a copy; then this store is reopened.
    {
        StoreOptions options;
        options.clock = &clock_;
        auto other = open_sqlite_store(db_path(), options);
        const std::vector<ItemInput> items = {
            make_item("b", kWireTitle, kWireLead, fingerprint ^ 0xFF)};
        const auto copy = other->ingest(fetch_of(b), items);
        EXPECT_TRUE(copy.items[0].joined_story);
    }
    const auto again = ingest(b, {make_item("c", kWireTitle, kWireLead, fingerprint ^ 0xF0F0)});
    EXPECT_EQ(again.items[0].story, first.items[0].story);
    reopen();
    const auto after_restart =
        ingest(a, {make_item("d", kWireTitle, kWireLead, fingerprint ^ 0x0F0F'0000)});
    EXPECT_EQ(after_restart.items[0].story, first.items[0].story);
    EXPECT_EQ(store().story(first.items[0].story)->members.size(), 4u);
}

TEST_F(StoreTest, ItemsWithoutFingerprintEachStartAStory) {
    const SourceId source = add_source("https://feeds.example.com/a");
    const auto result = ingest(source, {make_item("a", "A"), make_item("b", "B")});
    EXPECT_NE(result.items[0].story, result.items[1].story);
    EXPECT_EQ(count("SELECT count(*) FROM stories"), 2);
}

TEST_F(StoreTest, DuplicatesWithinOneBatchAreOneItem) {
    const SourceId source = add_source("https://feeds.example.com/a");
    const auto result = ingest(source, {make_item("same", "Same"), make_item("same", "Same")});
    EXPECT_EQ(result.added, 1);
    EXPECT_EQ(result.duplicates, 1);
    EXPECT_EQ(count("SELECT count(*) FROM items"), 1);
}

TEST_F(StoreTest, ABatchIsAllOrNothing) {
    const SourceId source = add_source("https://feeds.example.com/a");
    const std::vector<ItemInput> items = {make_item("a", "A"), make_item("b", "B")};
    FetchRecord unknown = fetch_of(9999);
    const std::vector<FetchBatch> batches = {{fetch_of(source), items}, {unknown, items}};
    EXPECT_THROW(store().ingest_batch(batches), Error);
    EXPECT_EQ(count("SELECT count(*) FROM items"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM fetches"), 0);
    EXPECT_FALSE(store().find_source(source)->health.last_attempt);

    const auto results = store().ingest_batch(std::vector<FetchBatch>{{fetch_of(source), items}});
    EXPECT_EQ(results[0].added, 2);
}

TEST_F(StoreTest, ABatchThatRollsBackLeavesNoTraceInTheStoryWindow) {
    const SourceId source = add_source("https://feeds.example.com/a");
    const std::uint64_t fingerprint = 0x0F0F'1234'5678'9ABCull;
    const std::vector<ItemInput> wire = {make_item("wire", kWireTitle, kWireLead, fingerprint)};
    const std::vector<FetchBatch> failing = {{fetch_of(source), wire}, {fetch_of(9999), {}}};
    EXPECT_THROW(store().ingest_batch(failing), Error);
    // The story id the rolled-back item had is given to the next story; a copy of the
    // rolled-back item must not find its way into it.
    const auto unrelated = ingest(source, {make_item("other", "Weather in Hangzhou", "Rain.")});
    const auto copy = ingest(source, {make_item("copy", kWireTitle, kWireLead, fingerprint)});
    EXPECT_FALSE(copy.items[0].joined_story);
    EXPECT_NE(copy.items[0].story, unrelated.items[0].story);
}

TEST_F(StoreTest, MatchesAreRecordedReplacedAndQueried) {
    const SourceId source = add_source("https://feeds.example.com/a", "A");
    const auto result = ingest(
        source, {make_item("m", "Qwen tops the leaderboard"), make_item("n", "Weather report")});
    const ItemId matched = result.items[0].item;
    store().record_matches(
        matched,
        std::vector<MatchInput>{{"alibaba-models", "v1", 0.8, "models", R"({"terms":["Qwen"]})"},
                                {"open-source", "v1", 0.5, "open-source", ""}});
    clock_.advance(minutes(5));
    store().record_matches(matched, std::vector<MatchInput>{{"alibaba-models", "v1", 0.9, "models",
                                                             R"({"terms":["Qwen","Alibaba"]})"}});
    const auto matches = store().matches_for(matched);
    ASSERT_EQ(matches.size(), 2u);
    EXPECT_EQ(matches[0].rule_id, "alibaba-models");
    EXPECT_DOUBLE_EQ(matches[0].score, 0.9);
    EXPECT_EQ(matches[0].evidence_json, R"({"terms":["Qwen","Alibaba"]})");
    EXPECT_EQ(matches[0].matched_at, clock_.now());
    EXPECT_EQ(matches[1].evidence_json, "{}");

    const auto listed = store().list_items({.matched_only = true});
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].id, matched);
    EXPECT_EQ(listed[0].topics, (std::vector<std::string>{"models", "open-source"}));
    EXPECT_EQ(store().list_items({}).size(), 2u);

    // Evidence must be JSON; the bad write changes nothing.
    EXPECT_THROW(store().record_matches(result.items[1].item,
                                        std::vector<MatchInput>{{"r", "v1", 1, "t", "not json"}}),
                 Error);
    EXPECT_TRUE(store().matches_for(result.items[1].item).empty());
}

TEST_F(StoreTest, ListingItemsFiltersBySinceAndSource) {
    const SourceId a = add_source("https://a.example.com/feed", "A");
    const SourceId b = add_source("https://b.example.com/feed", "B");
    ingest(a, {make_item("1", "One")});
    clock_.advance(days(2));
    ingest(b, {make_item("2", "Two")});
    ingest(b, {make_item("1", "One")});  // B carries item 1 too
    const auto recent = store().list_items({.since = clock_.now() - days(1)});
    ASSERT_EQ(recent.size(), 1u);
    EXPECT_EQ(recent[0].title, "Two");
    EXPECT_EQ(store().list_items({.source = "B"}).size(), 2u);
    EXPECT_EQ(store().list_items({.source = "https://a.example.com/feed"}).size(), 1u);
    EXPECT_EQ(store().list_items({.limit = 1}).size(), 1u);
}

}  // namespace
}  // namespace chuhai::store::testing
