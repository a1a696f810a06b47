// Re-matching stored items (`chuhai rules backfill`): batches in id order, what each item carries
// (matches of every version, source tags, the channels that sent it), replacement in one
// transaction per batch, dry runs that change nothing, and the outbox left alone.

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

using std::chrono::hours;

class RematchTest : public StoreTest {
  protected:
    RematchTest() {
        SourceSpec spec;
        spec.url = "https://feeds.example.com/wire";
        spec.name = "Wire";
        spec.tags = {"media", "english"};
        source_ = store().upsert_source(spec);
        const auto old = ingest(source_, {make_item("old", "Old news")});
        old_ = old.items[0].item;
        clock_.advance(hours(48));
        const auto fresh = ingest(
            source_, {make_item("a", "Alibaba Cloud in Mexico"), make_item("b", "Bakery prize"),
                      make_item("c", "Huawei Ascend exports")});
        a_ = fresh.items[0].item;
        b_ = fresh.items[1].item;
        c_ = fresh.items[2].item;
        // A seed document: the reference corpus is never re-matched.
        store().import_corpus("file:///corpus",
                              std::vector<CorpusDocument>{{"seed.md", "/corpus/seed.md",
                                                           "Seed document", "About AI abroad"}});
        store().record_matches(a_, std::vector<MatchInput>{{"cloud", "v1", 15, "cloud", "{}"}});
        store().record_matches(c_, std::vector<MatchInput>{{"chips", "v1", 10, "chips", "{}"}});
        store().record_matches(c_, std::vector<MatchInput>{{"chips", "v2", 12, "chips", "{}"}});
        DigestDraft draft;
        draft.channel = "daily";
        draft.period_start = clock_.now() - hours(24);
        draft.period_end = clock_.now();
        draft.message_id = "<d1@chuhai>";
        draft.payload = "digest";
        draft.items = {c_};
        store().create_digest(draft);
    }

    // Every feed item, through batches of `limit`, with the decisions `decide` makes.
    std::vector<RematchItem> run(RematchQuery query, const RematchDecision& decide,
                                 std::size_t* replaced = nullptr, int* batches = nullptr) {
        std::vector<RematchItem> seen;
        for (;;) {
            const RematchBatch batch = store().rematch_batch(query, [&](const RematchItem& item) {
                seen.push_back(item);
                return decide(item);
            });
            if (batch.items == 0) {
                EXPECT_EQ(batch.last, 0);
                break;
            }
            EXPECT_LE(batch.items, query.limit);
            if (replaced != nullptr)
                *replaced += batch.replaced;
            if (batches != nullptr)
                ++*batches;
            query.after = batch.last;
        }
        return seen;
    }

    SourceId source_ = 0;
    ItemId old_ = 0;
    ItemId a_ = 0;
    ItemId b_ = 0;
    ItemId c_ = 0;
};

const RematchDecision kLeaveAlone = [](const RematchItem&) {
    return std::optional<std::vector<MatchInput>>();
};

TEST_F(RematchTest, VisitsEveryFeedItemOnceInIdOrderWithWhatIsStored) {
    int batches = 0;
    const auto seen = run({.limit = 2}, kLeaveAlone, nullptr, &batches);
    EXPECT_EQ(batches, 2);
    ASSERT_EQ(seen.size(), 4u) << "the seed document is not news";
    EXPECT_EQ(seen[0].item.id, old_);
    EXPECT_EQ(seen[1].item.id, a_);
    EXPECT_EQ(seen[3].item.id, c_);
    EXPECT_EQ(seen[1].item.title, "Alibaba Cloud in Mexico");
    EXPECT_EQ(seen[1].item.source_name, "Wire");
    EXPECT_EQ(seen[1].source_tags, (std::vector<std::string>{"media", "english"}));
    ASSERT_EQ(seen[1].matches.size(), 1u);
    EXPECT_EQ(seen[1].matches[0].rule_id, "cloud");
    EXPECT_TRUE(seen[1].digest_channels.empty());
    EXPECT_EQ(seen[3].matches.size(), 2u) << "every rule-set version";
    EXPECT_EQ(seen[3].digest_channels, std::vector<std::string>{"daily"});
}

TEST_F(RematchTest, SinceStartsAtTheFirstItemSeenThen) {
    const auto seen = run({.since = clock_.now() - hours(1), .limit = 10}, kLeaveAlone);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].item.id, a_);
    EXPECT_TRUE(run({.since = clock_.now() + hours(1)}, kLeaveAlone).empty());
}

TEST_F(RematchTest, ReplacesEveryVersionOfTheDecidedItemsOnly) {
    std::size_t replaced = 0;
    const RematchDecision decide =
        [&](const RematchItem& item) -> std::optional<std::vector<MatchInput>> {
        if (item.item.id == b_)  // newly matched
            return std::vector<MatchInput>{{"bakery", "v3", 11, "food", R"({"e":1})"}};
        if (item.item.id == c_)  // no longer matched
            return std::vector<MatchInput>{};
        return std::nullopt;  // a_ and old_ stay as they are
    };
    clock_.advance(hours(1));
    run({.limit = 3}, decide, &replaced);
    EXPECT_EQ(replaced, 2u);

    ASSERT_EQ(store().matches_for(a_).size(), 1u);
    EXPECT_EQ(store().matches_for(a_)[0].ruleset_version, "v1");
    const auto bakery = store().matches_for(b_);
    ASSERT_EQ(bakery.size(), 1u);
    EXPECT_EQ(bakery[0].rule_id, "bakery");
    EXPECT_EQ(bakery[0].ruleset_version, "v3");
    EXPECT_EQ(bakery[0].evidence_json, R"({"e":1})");
    EXPECT_EQ(bakery[0].matched_at, clock_.now());
    EXPECT_TRUE(store().matches_for(c_).empty());

    // The outbox is untouched: c_ stays carried by "daily", b_ is new to every channel.
    const auto since = clock_.now() - hours(24);
    EXPECT_EQ(store().undelivered_matched_items("daily", since), (std::vector<ItemId>{a_, b_}));
    EXPECT_EQ(count("SELECT count(*) FROM digest_items WHERE item_id = " + std::to_string(c_)), 1);
    // Run again with the same verdicts: idempotent.
    run({.limit = 3}, decide);
    EXPECT_EQ(store().matches_for(b_).size(), 1u);
}

TEST_F(RematchTest, ADryRunChangesNothing) {
    const std::int64_t before = count("SELECT count(*) FROM matches");
    std::size_t replaced = 0;
    const auto seen = run(
        {.limit = 10, .write = false}, [](const RematchItem&) { return std::vector<MatchInput>{}; },
        &replaced);
    EXPECT_EQ(seen.size(), 4u);
    EXPECT_EQ(replaced, 0u);
    EXPECT_EQ(count("SELECT count(*) FROM matches"), before);
}

TEST_F(RematchTest, AFailedDecisionRollsTheBatchBack) {
    const RematchDecision decide =
        [&](const RematchItem& item) -> std::optional<std::vector<MatchInput>> {
        if (item.item.id == c_)
            throw Error(ErrorKind::internal, "boom");
        return std::vector<MatchInput>{};
    };
    EXPECT_THROW(store().rematch_batch({.limit = 10}, decide), Error);
    EXPECT_EQ(store().matches_for(a_).size(), 1u) << "a_ was decided before the failure";
    // The store is usable afterwards.
    EXPECT_EQ(store().rematch_batch({.limit = 10}, kLeaveAlone).items, 4u);
}

}  // namespace
}  // namespace chuhai::store::testing
