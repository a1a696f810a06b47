#include "store/corpus_model.h"

#include <gtest/gtest.h>

#include <vector>

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

}  // namespace
}  // namespace chuhai::store
