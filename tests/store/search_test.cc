// Full-text search in English and Chinese: bm25 ranking, highlighted snippets, filters.

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

using std::chrono::days;

class SearchTest : public StoreTest {
  protected:
    SearchTest() {
        reuters_ = add_source("https://reuters.example.com/feed", "Reuters");
        caixin_ = add_source("https://caixin.example.com/feed", "Caixin");
        const auto old = ingest(reuters_, {make_item("old", "Qwen model released",
                                                     "Alibaba released the Qwen model family.")});
        old_ = old.items[0].item;
        clock_.advance(days(10));
        const auto fresh = ingest(
            reuters_,
            {make_item("dc", "Alibaba Cloud opens Qwen data centre in Dubai",
                       "The data centre will serve Qwen models to customers across the Gulf."),
             make_item("body", "Cloud spending rises",
                       "Analysts expect spending to grow; one mentioned Qwen and a data centre "
                       "in passing, among many other things in a long report about budgets.")});
        title_hit_ = fresh.items[0].item;
        body_hit_ = fresh.items[1].item;
        const auto chinese = ingest(
            caixin_, {make_item("zh", "阿里云在迪拜开设数据中心",
                                "阿里云宣布在迪拜新建数据中心，服务中东客户。通义千问模型出海。")});
        chinese_ = chinese.items[0].item;
        store().record_matches(title_hit_,
                               std::vector<MatchInput>{{"alibaba", "v1", 0.9, "cloud", "{}"}});
    }

    SourceId reuters_ = 0;
    SourceId caixin_ = 0;
    ItemId old_ = 0;
    ItemId title_hit_ = 0;
    ItemId body_hit_ = 0;
    ItemId chinese_ = 0;
};

std::vector<ItemId> ids(const std::vector<SearchHit>& hits) {
    std::vector<ItemId> out;
    for (const auto& hit : hits)
        out.push_back(hit.item);
    return out;
}

TEST_F(SearchTest, RanksTitleHitsAboveBodyHitsAndRequiresEveryWord) {
    const auto hits = store().search({.text = "qwen data centre"});
    ASSERT_EQ(ids(hits), (std::vector<ItemId>{title_hit_, body_hit_}));
    EXPECT_LT(hits[0].rank, hits[1].rank) << "bm25: lower is better";
    EXPECT_EQ(hits[0].title, "Alibaba Cloud opens [Qwen] [data] [centre] in Dubai");
    EXPECT_NE(hits[0].snippet.find("[Qwen]"), std::string::npos) << hits[0].snippet;
    EXPECT_EQ(hits[0].source_name, "Reuters");
    EXPECT_EQ(hits[0].link, "https://example.com/dc?utm_source=feed");
    EXPECT_EQ(hits[0].first_seen, at("2025-07-04T08:00:00Z"));
}

TEST_F(SearchTest, IsCaseAndWidthInsensitive) {
    EXPECT_EQ(ids(store().search({.text = "ＱＷＥＮ DUBAI"})), std::vector<ItemId>{title_hit_});
}

TEST_F(SearchTest, PhrasesMustBeAdjacent) {
    EXPECT_EQ(ids(store().search({.text = "\"data centre\" Dubai"})),
              std::vector<ItemId>{title_hit_});
    EXPECT_TRUE(store().search({.text = "\"centre data\""}).empty());
}

TEST_F(SearchTest, FindsChineseWordsByBigramsWithSnippets) {
    auto hits = store().search({.text = "阿里云 迪拜"});
    ASSERT_EQ(ids(hits), std::vector<ItemId>{chinese_});
    EXPECT_EQ(hits[0].title, "[阿里云]在[迪拜]开设数据中心");
    EXPECT_NE(hits[0].snippet.find("[迪拜]"), std::string::npos) << hits[0].snippet;
    // A word that is not in the text, although its characters are.
    EXPECT_TRUE(store().search({.text = "拜迪"}).empty());
    // Mixed scripts and one-character words.
    EXPECT_EQ(ids(store().search({.text = "出海"})), std::vector<ItemId>{chinese_});
    EXPECT_EQ(ids(store().search({.text = "海"})), std::vector<ItemId>{chinese_});
    EXPECT_EQ(ids(store().search({.text = "东"})), std::vector<ItemId>{chinese_});
    EXPECT_TRUE(store().search({.text = "北"}).empty());
}

TEST_F(SearchTest, FiltersBySinceTopicAndSource) {
    EXPECT_EQ(ids(store().search({.text = "qwen", .since = at("2025-07-01T00:00:00Z")})),
              (std::vector<ItemId>{title_hit_, body_hit_}));
    const auto all = ids(store().search({.text = "qwen"}));
    EXPECT_EQ(all.size(), 3u);
    EXPECT_NE(std::find(all.begin(), all.end(), old_), all.end());
    EXPECT_EQ(ids(store().search({.text = "qwen", .topic = "cloud"})),
              std::vector<ItemId>{title_hit_});
    EXPECT_TRUE(store().search({.text = "qwen", .topic = "chips"}).empty());
    EXPECT_EQ(ids(store().search({.text = "数据中心", .source = "Caixin"})),
              std::vector<ItemId>{chinese_});
    EXPECT_TRUE(store().search({.text = "数据中心", .source = "Reuters"}).empty());
    EXPECT_EQ(store().search({.text = "qwen", .limit = 1}).size(), 1u);
}

TEST_F(SearchTest, OnlyTheNewestCandidatesAreRankedWhenAsked) {
    // The title hit ranks first among all matches; with one candidate only the newest match
    // (the body hit, stored after it) is ranked.
    EXPECT_EQ(ids(store().search({.text = "qwen centre", .candidates = 0})),
              (std::vector<ItemId>{title_hit_, body_hit_}));
    EXPECT_EQ(ids(store().search({.text = "qwen centre", .candidates = 1})),
              std::vector<ItemId>{body_hit_});
    EXPECT_EQ(ids(store().search({.text = "qwen", .topic = "cloud", .candidates = 1})),
              std::vector<ItemId>{title_hit_})
        << "candidates are counted after the filters";
}

TEST_F(SearchTest, HighlightMarkersAreTheCallers) {
    const auto hits =
        store().search({.text = "dubai", .highlight_open = "<mark>", .highlight_close = "</mark>"});
    ASSERT_FALSE(hits.empty());
    EXPECT_NE(hits[0].title.find("<mark>Dubai</mark>"), std::string::npos);
}

TEST_F(SearchTest, QueriesWithoutTermsAreAUsageErrorAndSyntaxIsLiteral) {
    try {
        store().search({.text = " -- !! "});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::usage);
    }
    EXPECT_NO_THROW(store().search({.text = "NOT OR AND ( ) * ^ \"unbalanced"}));
    EXPECT_TRUE(store().search({.text = "Qwen NOT"}).empty()) << "NOT is a word here";
}

}  // namespace
}  // namespace chuhai::store::testing
