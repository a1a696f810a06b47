// A fetched body through prepare_fetch() and write_prepared() into a real SQLite file, as the
// daemon's workers and store writer do it: items and matches stored with their provenance, a
// second fetch of the same feed storing and counting nothing twice, a revision counted again,
// a body that is not a feed recorded as a failure without touching what was stored.

#include "app/pipeline.h"

#include <gtest/gtest.h>

#include "store/store.h"
#include "tests/support/test_support.h"

namespace chuhai::app {
namespace {

using namespace std::chrono_literals;

const char* kRules = R"(rules:
  - id: zebracorn-watch
    topic: testing
    score: 5
    match: zebracorn
  - id: qwen-abroad
    topic: models
    score: 5
    match: Qwen
)";

std::string rss(const std::string& items, const std::string& extra = "") {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>"
           "<title>Wire</title><link>https://wire.example/</link>" +
           extra + items + "</channel></rss>\n";
}

std::string item(const std::string& slug, const std::string& title) {
    return "<item><title>" + title + "</title><link>https://wire.example/" + slug +
           "</link><guid>" + slug + "</guid><description>About " + title + ".</description></item>";
}

class PipelineTest : public ::testing::Test {
  protected:
    PipelineTest() {
        dir_.write("rules/topics.yaml", kRules);
        rules_ = match::RuleSet::load(dir_ / "rules");
        store_ = store::open_store(dir_ / "chuhai.db");
        store::SourceSpec spec;
        spec.url = "https://wire.example/rss";
        spec.name = "Wire";
        spec.tags = {"media"};
        context_.id = store_->upsert_source(spec);
        context_.name = "Wire";
        context_.url = spec.url;
        context_.tags = spec.tags;
    }

    fetch::FetchResult fetched(const std::string& body) const {
        fetch::FetchResult result;
        result.status = 200;
        result.body = body;
        result.content_type = "application/rss+xml; charset=utf-8";
        result.final_url = "https://cdn.wire.example/rss";
        result.etag = "\"v1\"";
        result.received_at = *parse_rfc3339("2025-06-24T08:00:05Z");
        result.elapsed = 1500ms;
        result.wire_bytes = body.size();
        return result;
    }

    PreparedFetch prepare(const std::string& body) const {
        return prepare_fetch(context_, fetched(body), *rules_, nullptr);
    }

    chuhai::testing::TempDir dir_;
    std::shared_ptr<const match::RuleSet> rules_;
    std::unique_ptr<store::Store> store_;
    SourceContext context_;
};

TEST_F(PipelineTest, AFeedIsParsedMatchedAndStoredWithItsProvenance) {
    const std::string body =
        rss(item("z1", "Zebracorn spotted") + item("q1", "Qwen and a zebracorn go abroad") +
            item("u1", "A bicycle shop opens"));
    const PreparedFetch prepared = prepare(body);
    EXPECT_EQ(prepared.error, "");
    EXPECT_EQ(prepared.format, "rss2.0");
    EXPECT_EQ(prepared.encoding, "utf-8");
    ASSERT_EQ(prepared.items.size(), 3u);
    ASSERT_EQ(prepared.verdicts.size(), 3u);
    EXPECT_TRUE(prepared.verdicts[0].matched);
    EXPECT_TRUE(prepared.verdicts[1].matched);
    EXPECT_FALSE(prepared.verdicts[2].matched);
    EXPECT_EQ(prepared.record.outcome, store::FetchOutcome::ok);
    EXPECT_EQ(prepared.record.final_url, "https://cdn.wire.example/rss");
    EXPECT_EQ(prepared.record.started, *parse_rfc3339("2025-06-24T08:00:04Z"));

    const WriteOutcome outcome = write_prepared(*store_, prepared);
    EXPECT_EQ(outcome.items_seen, 3);
    EXPECT_EQ(outcome.items_new, 3);
    EXPECT_EQ(outcome.duplicates, 0);
    EXPECT_EQ(outcome.matched, 2);
    EXPECT_EQ(outcome.matched_topics, (std::map<std::string, int>{{"models", 1}, {"testing", 2}}));

    store::ItemQuery query;
    query.matched_only = true;
    const auto matched = store_->list_items(query);
    ASSERT_EQ(matched.size(), 2u);
    for (const auto& stored : matched) {
        EXPECT_EQ(stored.source_name, "Wire");
        const auto matches = store_->matches_for(stored.id);
        ASSERT_FALSE(matches.empty());
        EXPECT_EQ(matches[0].ruleset_version, rules_->version());
        const auto provenance = store_->provenance(stored.id);
        ASSERT_TRUE(provenance);
        ASSERT_TRUE(provenance->first.fetch);
        EXPECT_EQ(provenance->first.fetch->requested_url, "https://wire.example/rss");
        EXPECT_EQ(provenance->first.fetch->final_url, "https://cdn.wire.example/rss");
        EXPECT_EQ(provenance->first.fetch->etag, "\"v1\"");
    }
    const auto source = store_->find_source(context_.id);
    ASSERT_TRUE(source);
    EXPECT_EQ(source->health.last_items_seen, 3);
    EXPECT_EQ(source->health.etag, "\"v1\"");
}

TEST_F(PipelineTest, TheSameFeedAgainStoresAndCountsNothingTwice) {
    const std::string body = rss(item("z1", "Zebracorn spotted") + item("u1", "A bicycle shop"));
    write_prepared(*store_, prepare(body));
    const WriteOutcome again = write_prepared(*store_, prepare(body));
    EXPECT_EQ(again.items_seen, 2);
    EXPECT_EQ(again.items_new, 0);
    EXPECT_EQ(again.duplicates, 2);
    EXPECT_EQ(again.matched, 0);
    EXPECT_TRUE(again.matched_topics.empty());

    // A changed title is a revision, matched (and counted) again.
    const WriteOutcome revised = write_prepared(
        *store_,
        prepare(rss(item("z1", "Zebracorn spotted in Lagos") + item("u1", "A bicycle shop"))));
    EXPECT_EQ(revised.revised, 1);
    EXPECT_EQ(revised.duplicates, 1);
    EXPECT_EQ(revised.matched, 1);
    EXPECT_EQ(revised.matched_topics, (std::map<std::string, int>{{"testing", 1}}));
}

TEST_F(PipelineTest, ABodyThatIsNotAFeedIsAFailedFetchAndKeepsWhatWasStored) {
    write_prepared(*store_, prepare(rss(item("z1", "Zebracorn spotted"))));
    const PreparedFetch prepared = prepare("<html><body>Maintenance</body></html>");
    EXPECT_NE(prepared.error, "");
    EXPECT_TRUE(prepared.items.empty());
    EXPECT_EQ(prepared.record.outcome, store::FetchOutcome::failed);
    EXPECT_NE(prepared.record.error.find("not a feed"), std::string::npos) << prepared.record.error;
    // Validators of a body that could not be used must not suppress the next full GET.
    EXPECT_EQ(prepared.record.etag, "");
    const WriteOutcome outcome = write_prepared(*store_, prepared);
    EXPECT_EQ(outcome.items_seen, 0);
    const auto source = store_->find_source(context_.id);
    EXPECT_EQ(source->health.etag, "\"v1\"");
    EXPECT_EQ(store_->list_items({}).size(), 1u);
}

TEST_F(PipelineTest, BrokenFeedsAreRecoveredAndTtlIsPassedOn) {
    const std::string whole = rss(item("z1", "Zebracorn spotted"), "<ttl>90</ttl>");
    const std::string broken = whole.substr(0, whole.find("</item>") + 7) + "<item><title>cut";
    const PreparedFetch prepared = prepare(broken);
    EXPECT_EQ(prepared.error, "");
    EXPECT_NE(prepared.bozo_reason, "");
    EXPECT_EQ(prepared.ttl_minutes, std::optional<int>(90));
    ASSERT_FALSE(prepared.items.empty());
    EXPECT_EQ(prepared.items[0].title, "Zebracorn spotted");
}

TEST_F(PipelineTest, TheRulesSeeTheSourceOfAnItem) {
    const feed::FeedEntry entry = [] {
        feed::FeedEntry e;
        e.title = "t";
        e.link = "https://wire.example/1";
        return e;
    }();
    const match::Document document = match_document(entry, context_, 0.25);
    EXPECT_EQ(document.source_name, "Wire");
    EXPECT_EQ(document.source_tags, (std::vector<std::string>{"media"}));
    EXPECT_EQ(document.corpus_similarity, std::optional<double>(0.25));
    EXPECT_EQ(document.link, "https://wire.example/1");
}

}  // namespace
}  // namespace chuhai::app
