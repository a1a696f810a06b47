#include "store/corpus_model.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "store/corpus_files.h"
#include "tests/support/test_support.h"

namespace chuhai::store {
namespace {

std::vector<CorpusModel::Document> three_documents() {
    return {
        {11,
         "Huawei Ascend chips. Huawei ships Ascend 910C AI chips built from domestic components "
         "to partners along the Belt and Road; Cambricon and Biren also make chips."},
        {22,
         "Alibaba Cloud data centres. Alibaba Cloud opens data centres in Mexico, Brazil and "
         "Dubai and invests 380 billion yuan in cloud and AI infrastructure. "
         "阿里云在海外建设数据中心。"},
        {33,
         "ByteDance CapCut growth. ByteDance launches consumer apps abroad; CapCut passes 300 "
         "million monthly users and earns revenue from subscriptions."},
    };
}

TEST(CorpusModel, NearestDocumentIsTheOneAboutTheSameSubject) {
    const auto documents = three_documents();
    const CorpusModel model(documents);
    const auto nearest = model.nearest("Alibaba Cloud will open a new data centre in Brazil");
    ASSERT_TRUE(nearest);
    EXPECT_EQ(nearest->document, 22);
    EXPECT_GT(nearest->score, 0.2);
    EXPECT_LE(nearest->score, 1.0);

    const auto chips = model.nearest("Huawei's Ascend chip output rises");
    ASSERT_TRUE(chips);
    EXPECT_EQ(chips->document, 11);
}

TEST(CorpusModel, ChineseTextIsComparedByBigrams) {
    const auto documents = three_documents();
    const CorpusModel model(documents);
    const auto nearest = model.nearest("阿里云宣布在迪拜建设新的数据中心");
    ASSERT_TRUE(nearest);
    EXPECT_EQ(nearest->document, 22);
}

TEST(CorpusModel, UnrelatedTextScoresLowerThanRelatedText) {
    const auto documents = three_documents();
    const CorpusModel model(documents);
    const auto related = model.nearest("CapCut monthly users grow as ByteDance expands abroad");
    const auto unrelated =
        model.nearest("A recipe for apple pie with cinnamon and butter, baked at 180 degrees");
    ASSERT_TRUE(related);
    const double unrelated_score = unrelated ? unrelated->score : 0.0;
    EXPECT_GT(related->score, 3 * unrelated_score);
}

TEST(CorpusModel, IdenticalTextScoresOne) {
    const auto documents = three_documents();
    const CorpusModel model(documents);
    const auto same = model.nearest(documents[2].text);
    ASSERT_TRUE(same);
    EXPECT_EQ(same->document, 33);
    EXPECT_NEAR(same->score, 1.0, 1e-5);
}

TEST(CorpusModel, StopwordsAloneMatchNothing) {
    const auto documents = three_documents();
    const CorpusModel model(documents);
    EXPECT_FALSE(model.nearest("the and of to in for with"));
    EXPECT_TRUE(is_stopword("the"));
    EXPECT_FALSE(is_stopword("huawei"));
}

TEST(CorpusModel, AnEmptyCorpusHasNoNearestDocument) {
    const CorpusModel model;
    EXPECT_TRUE(model.empty());
    EXPECT_FALSE(model.nearest("Alibaba Cloud"));
}

TEST(CorpusModel, SimilaritiesListEveryDocumentInOrder) {
    const auto documents = three_documents();
    const CorpusModel model(documents);
    const auto all = model.similarities("Huawei Ascend");
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].document, 11);
    EXPECT_EQ(all[1].document, 22);
    EXPECT_GT(all[0].score, all[1].score);
    EXPECT_EQ(all[2].score, 0.0);
}

// The corpus the project ships (store/corpus/), as `chuhai corpus import` stores it: title, then
// text. Documents get ids 1..4 in file order.
class ShippedCorpus : public ::testing::Test {
  protected:
    ShippedCorpus() {
        const auto documents =
            read_corpus_folder(std::filesystem::path(CHUHAI_SOURCE_DIR) / "store" / "corpus");
        std::vector<CorpusModel::Document> model_documents;
        for (std::size_t d = 0; d < documents.size(); ++d) {
            model_documents.push_back(
                {static_cast<std::int64_t>(d + 1), documents[d].title + "\n" + documents[d].text});
        }
        model_ = CorpusModel(model_documents);
    }

    // The id of the nearest document, 0 for none.
    std::int64_t nearest(const std::string& text) const {
        const auto found = model_.nearest(text);
        return found ? found->document : 0;
    }
    double score(const std::string& text) const {
        const auto found = model_.nearest(text);
        return found ? found->score : 0.0;
    }

    CorpusModel model_;
};

constexpr std::int64_t kExpansionOverview = 1;  // 01-short-summary-chinese-ai-global-expansion
constexpr std::int64_t kBeltAndRoad = 2;        // 02-is-china-implementing-an-ai-belt-and-road
constexpr std::int64_t kGlobalRole = 3;         // 03-china-expands-global-role-in-ai-development
constexpr std::int64_t kAlibabaCloud = 4;       // 04-alibaba-cloud-rides-the-east-wind

TEST_F(ShippedCorpus, NewsIsNearestToTheDocumentAboutItsSubject) {
    // In Chinese, an Alibaba Cloud item used to land on another document (its few Chinese
    // bigrams met the other summaries as often); the glossary lets it meet the English text.
    EXPECT_EQ(
        nearest(
            "阿里云在墨西哥启用第二座数据中心\n阿里云周一宣布在墨西哥克雷塔罗启用第二座数据中心，"
            "这是其加速海外基础设施布局的一部分，新数据中心将服务零售、金融和游戏行业客户。"),
        kAlibabaCloud);
    EXPECT_EQ(nearest("Alibaba Cloud opens second data centre in Mexico\nAlibaba Cloud said it had "
                      "opened a second data centre in Mexico as Chinese companies going global "
                      "need cloud capacity abroad."),
              kAlibabaCloud);
    EXPECT_EQ(nearest("Huawei offers Ascend chips and 5G-style deals to Belt and Road countries\n"
                      "Nvidia's chief warned that Huawei could dominate AI markets in the Global "
                      "South the way it did with 5G, backed by state support."),
              kBeltAndRoad);
    EXPECT_EQ(nearest("China's share of AI research publications nears 36%\nChinese researchers "
                      "published more AI papers than any other country, and Chinese open-source "
                      "models are used by US startups."),
              kGlobalRole);
    EXPECT_EQ(nearest("CapCut passes 300 million monthly users as ByteDance apps expand abroad\n"
                      "MiniMax's Talkie and 01.AI's PopAI also grow overseas, as the price war at "
                      "home pushes AI start-ups to go global."),
              kExpansionOverview);
}

TEST_F(ShippedCorpus, RelatedNewsScoresAboveUnrelatedNews) {
    const double related = score(
        "DeepSeek and Qwen open models win developers overseas\nChinese AI companies "
        "expanding abroad offer open-source models to startups in Southeast Asia and the "
        "Middle East.");
    const double neighbouring = score(
        "Alibaba reports quarterly earnings\nRevenue grew 7 percent; the cloud unit's "
        "sales rose on demand for AI at home.");
    const double unrelated = score(
        "A recipe for apple pie\nBake the apples with cinnamon and butter at 180 degrees "
        "for forty minutes.");
    EXPECT_GE(related, kCorpusRelatedScore);
    EXPECT_LT(neighbouring, related);
    EXPECT_LT(unrelated, kCorpusRelatedScore / 2);
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// The labelled rule-test news items (tests/fixtures/match/labelled.tsv): on-topic items score
// above the off-topic ones, which are hard negatives (the same companies at home, other
// companies abroad). Measured: AUC 0.81; at kCorpusRelatedScore 25 of 50 on-topic items and
// 5 of 50 off-topic ones. (The former TF-IDF cosine over four documents: AUC 0.78, and no
// on-topic item above 0.16.)
TEST_F(ShippedCorpus, LabelledNewsIsSeparatedAtTheThreshold) {
    const auto folder = chuhai::testing::fixture_path("match");
    std::ifstream labels(folder / "labelled.tsv");
    std::vector<double> on_topic;
    std::vector<double> off_topic;
    for (std::string line; std::getline(labels, line);) {
        const auto tab = line.find('\t');
        if (tab == std::string::npos)
            continue;
        const double s = score(read_text(folder / "labelled" / line.substr(0, tab)));
        (line.substr(tab + 1) == "1" ? on_topic : off_topic).push_back(s);
    }
    ASSERT_EQ(on_topic.size(), 50u);
    ASSERT_EQ(off_topic.size(), 50u);
    double wins = 0;
    for (const double a : on_topic) {
        for (const double b : off_topic)
            wins += a > b ? 1.0 : a == b ? 0.5 : 0.0;
    }
    EXPECT_GE(wins / (50.0 * 50.0), 0.78);
    const auto above = [](const std::vector<double>& scores) {
        return std::count_if(scores.begin(), scores.end(),
                             [](double s) { return s >= kCorpusRelatedScore; });
    };
    EXPECT_GE(above(on_topic), 20);
    EXPECT_LE(above(off_topic), 8);
}

}  // namespace
}  // namespace chuhai::store
