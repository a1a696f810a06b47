// The pipeline between a fetched body and the store: prepare on a "worker", write in batches on
// the "writer", with the set of stored items that spares the rules for items seen before. Real
// SQLite files and a real rule set; the verdicts stored must be those of running every item.

#include <gtest/gtest.h>

#include "app/pipeline.h"
#include "tests/support/test_support.h"

namespace chuhai::app {
namespace {

constexpr const char* kRule = R"(rules:
  - id: zebracorn-watch
    title: The zebracorn test rule
    topic: testing
    score: 100
    match:
      any: ["zebracorn"]
)";

std::string feed(const std::string& first_title) {
    return R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Pipeline fixture</title><link>https://pipe.example.test/</link>
<item><title>)" +
           first_title +
           R"(</title><link>https://pipe.example.test/z1</link><guid>z1</guid>
<description>A zebracorn was seen near the harbour.</description></item>
<item><title>Harbour opens a new pier</title><link>https://pipe.example.test/p1</link>
<guid>p1</guid><description>Nothing unusual.</description></item>
</channel></rss>
)";
}

fetch::FetchResult answer(const std::string& body) {
    fetch::FetchResult result;
    result.status = 200;
    result.body = body;
    result.content_type = "application/rss+xml";
    result.final_url = "https://pipe.example.test/feed";
    return result;
}

class PipelineBatchTest : public ::testing::Test {
  protected:
    PipelineBatchTest() {
        auto compiled = match::RuleSet::compile({match::RuleFile{"z.yaml", "z.yaml", kRule}});
        rules_ = compiled.rules;
        store_ = store::open_store(dir_ / "chuhai.db");
        first_ = context("https://pipe.example.test/feed", "First");
        second_ = context("https://mirror.example.test/feed", "Mirror");
    }

    SourceContext context(const std::string& url, const std::string& name) {
        store::SourceSpec spec;
        spec.url = url;
        spec.name = name;
        SourceContext context;
        context.id = store_->upsert_source(spec);
        context.name = name;
        context.url = url;
        return context;
    }

    PreparedFetch prepare(const SourceContext& source, const std::string& body) {
        PrepareOptions options;
        options.seen = &seen_;
        return prepare_fetch(source, answer(body), *rules_, nullptr, options);
    }

    // Writes as the store writer does: the batch, then what it committed is remembered.
    WriteOutcome write(const PreparedFetch& prepared) {
        const PreparedFetch* batch[] = {&prepared};
        const auto results = write_prepared_batch(*store_, batch, rules_.get());
        EXPECT_EQ(results.size(), 1u);
        EXPECT_EQ(results.front().error, "");
        remember_stored(seen_, prepared);
        return results.front().outcome;
    }

    std::vector<store::Match> matches_of(const std::string& url) {
        for (const auto& item : store_->list_items({})) {
            if (item.canonical_url == url)
                return store_->matches_for(item.id);
        }
        ADD_FAILURE() << "no item " << url;
        return {};
    }

    chuhai::testing::TempDir dir_;
    std::shared_ptr<const match::RuleSet> rules_;
    std::unique_ptr<store::Store> store_;
    SeenItems seen_;
    SourceContext first_;
    SourceContext second_;
};

TEST_F(PipelineBatchTest, ItemsSeenBeforeSkipTheRulesAndStoreTheSameVerdicts) {
    ASSERT_TRUE(rules_);
    const PreparedFetch cold = prepare(first_, feed("Zebracorn sighting"));
    ASSERT_EQ(cold.items.size(), 2u);
    EXPECT_EQ(cold.rules_skipped, (std::vector<bool>{false, false})) << "nothing stored yet";
    EXPECT_TRUE(cold.verdicts[0].matched);
    const WriteOutcome first = write(cold);
    EXPECT_EQ(first.items_new, 2);
    EXPECT_EQ(first.matched, 1);
    EXPECT_EQ(first.matched_topics, (std::map<std::string, int>{{"testing", 1}}));
    EXPECT_EQ(matches_of("https://pipe.example.test/z1").size(), 1u);

    // The same feed again: both items are stored as they are; no rules run, none needed.
    const PreparedFetch again = prepare(first_, feed("Zebracorn sighting"));
    EXPECT_EQ(again.rules_skipped, (std::vector<bool>{true, true}));
    EXPECT_FALSE(again.verdicts[0].matched);
    const WriteOutcome repeat = write(again);
    EXPECT_EQ(repeat.duplicates, 2);
    EXPECT_EQ(repeat.rules_skipped, 2);
    EXPECT_EQ(repeat.matched, 0);
    EXPECT_EQ(matches_of("https://pipe.example.test/z1").size(), 1u) << "the verdict stays";

    // Another source with the same stories: duplicates by URL, no rules either.
    const PreparedFetch mirrored = prepare(second_, feed("Zebracorn sighting"));
    EXPECT_EQ(mirrored.rules_skipped, (std::vector<bool>{true, true}));
    EXPECT_EQ(write(mirrored).duplicates, 2);
}

// Seen by its URL, but its first source changed the text: the store calls it revised, and the
// writer runs the rules the worker skipped, so the revision gets its verdict.
TEST_F(PipelineBatchTest, ASkippedItemTheStoreFindsRevisedIsMatchedByTheWriter) {
    ASSERT_TRUE(rules_);
    write(prepare(first_, feed("Harbour news")));
    EXPECT_TRUE(matches_of("https://pipe.example.test/z1").size() == 1u)
        << "the description mentions the zebracorn";
    const PreparedFetch revised = prepare(first_, feed("Zebracorn sighting confirmed"));
    EXPECT_EQ(revised.rules_skipped, (std::vector<bool>{true, true}))
        << "the URL is known, so the worker skips it";
    const WriteOutcome outcome = write(revised);
    EXPECT_EQ(outcome.revised, 1);
    EXPECT_EQ(outcome.matched, 1) << "matched on the writer after all";
    EXPECT_EQ(outcome.rules_skipped, 1) << "only the unchanged item was spared";
    EXPECT_EQ(outcome.matched_topics, (std::map<std::string, int>{{"testing", 1}}));
}

// Without the set every item is matched, as before it existed.
TEST_F(PipelineBatchTest, WithoutTheSetEveryItemIsMatched) {
    ASSERT_TRUE(rules_);
    write(prepare(first_, feed("Zebracorn sighting")));
    const PreparedFetch plain = prepare_fetch(first_, answer(feed("Zebracorn sighting")), *rules_,
                                              nullptr, PrepareOptions{});
    EXPECT_EQ(plain.rules_skipped, (std::vector<bool>{false, false}));
    EXPECT_TRUE(plain.verdicts[0].matched);
}

// One refused fetch in a batch fails alone; the others are stored.
TEST_F(PipelineBatchTest, ARefusedFetchFailsAloneInItsBatch) {
    ASSERT_TRUE(rules_);
    const PreparedFetch good = prepare(first_, feed("Zebracorn sighting"));
    SourceContext unknown = first_;
    unknown.id = 9999;  // no such source: the store refuses the fetch
    const PreparedFetch bad = prepare(unknown, feed("Other news"));
    const PreparedFetch* batch[] = {&good, &bad};
    const auto results = write_prepared_batch(*store_, batch, rules_.get());
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].error, "");
    EXPECT_EQ(results[0].outcome.items_new, 2);
    EXPECT_NE(results[1].error, "");
    EXPECT_EQ(store_->list_items({}).size(), 2u);
}

// The records of polls that brought no body go in together too, each failing alone.
TEST_F(PipelineBatchTest, RecordsWithoutBodyAreIngestedTogetherEachFailingAlone) {
    store::FetchRecord not_modified;
    not_modified.source = first_.id;
    not_modified.requested_url = first_.url;
    not_modified.http_status = 304;
    not_modified.outcome = store::FetchOutcome::not_modified;
    not_modified.schedule.emplace();
    not_modified.schedule->ttl_minutes = 60;
    store::FetchRecord failed = not_modified;
    failed.source = second_.id;
    failed.http_status = 500;
    failed.outcome = store::FetchOutcome::failed;
    failed.error = "HTTP 500";
    store::FetchRecord orphan = not_modified;
    orphan.source = 9999;

    const store::FetchBatch together[] = {{not_modified, {}}, {failed, {}}};
    const auto both = ingest_together(*store_, together);
    ASSERT_EQ(both.size(), 2u);
    EXPECT_TRUE(both[0].result && both[1].result);
    EXPECT_EQ(store_->find_source(first_.id)->schedule.ttl_minutes, 60)
        << "the schedule came along";
    EXPECT_EQ(store_->find_source(second_.id)->health.consecutive_failures, 1);

    const store::FetchBatch with_orphan[] = {{failed, {}}, {orphan, {}}};
    const auto attempts = ingest_together(*store_, with_orphan);
    ASSERT_EQ(attempts.size(), 2u);
    EXPECT_TRUE(attempts[0].result.has_value()) << attempts[0].error;
    EXPECT_FALSE(attempts[1].result.has_value());
    EXPECT_NE(attempts[1].error, "");
    EXPECT_EQ(store_->find_source(second_.id)->health.consecutive_failures, 2);
}

}  // namespace
}  // namespace chuhai::app
