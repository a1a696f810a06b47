#include "store/terms.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chuhai::store {
namespace {

struct Collected {
    std::string text;
    std::size_t begin;
    std::size_t end;
    Term::Kind kind;
};

std::vector<Collected> collect(std::string_view text, TermMode mode = TermMode::index) {
    std::vector<Collected> terms;
    split_terms(text, mode, [&](const Term& term) {
        terms.push_back({std::string(term.text), term.begin, term.end, term.kind});
        return true;
    });
    return terms;
}

std::vector<std::string> texts(std::string_view text, TermMode mode = TermMode::index) {
    std::vector<std::string> out;
    for (const auto& term : collect(text, mode))
        out.push_back(term.text);
    return out;
}

TEST(SplitTerms, FoldsEnglishWordsAndKeepsOffsets) {
    const auto terms = collect("Alibaba's Qwen-2.5, data CENTRE!");
    const std::vector<std::string> expected = {"alibaba", "s", "qwen", "2", "5", "data", "centre"};
    ASSERT_EQ(terms.size(), expected.size());
    for (std::size_t i = 0; i < terms.size(); ++i) {
        EXPECT_EQ(terms[i].text, expected[i]);
        EXPECT_EQ(terms[i].kind, Term::Kind::word);
    }
    EXPECT_EQ(terms[2].begin, 10u);
    EXPECT_EQ(terms[2].end, 14u);
    EXPECT_EQ(terms[6].begin, 25u);
    EXPECT_EQ(terms[6].end, 31u);
}

TEST(SplitTerms, FoldsFullWidthAndAccentedWordsLikeTextFold) {
    EXPECT_EQ(texts("ＱＷＥＮ Café ÅNGSTRÖM"),
              (std::vector<std::string>{"qwen", "café", "ångström"}));
}

TEST(SplitTerms, CutsChineseIntoBigramsWithTrailingCharacterWhenIndexing) {
    const auto terms = collect("阿里云出海");
    const std::vector<std::string> expected = {"阿里", "里云", "云出", "出海", "海"};
    ASSERT_EQ(terms.size(), expected.size());
    for (std::size_t i = 0; i < terms.size(); ++i)
        EXPECT_EQ(terms[i].text, expected[i]);
    // Byte offsets of the original characters (3 bytes each).
    EXPECT_EQ(terms[0].begin, 0u);
    EXPECT_EQ(terms[0].end, 6u);
    EXPECT_EQ(terms[3].begin, 9u);
    EXPECT_EQ(terms[3].end, 15u);
    EXPECT_EQ(terms[4].kind, Term::Kind::cjk_single);
    EXPECT_EQ(terms[3].kind, Term::Kind::cjk_bigram);
}

TEST(SplitTerms, QueriesGetBigramsOnlySoPhrasesLineUp) {
    EXPECT_EQ(texts("阿里云", TermMode::query), (std::vector<std::string>{"阿里", "里云"}));
    EXPECT_EQ(texts("云", TermMode::query), (std::vector<std::string>{"云"}));
}

TEST(SplitTerms, MixedScriptsAndChinesePunctuationSeparateRuns) {
    EXPECT_EQ(texts("AI出海，华为Ascend芯片。", TermMode::query),
              (std::vector<std::string>{"ai", "出海", "华为", "ascend", "芯片"}));
}

TEST(SplitTerms, JapaneseKanaIsCutLikeHan) {
    EXPECT_EQ(texts("クラウド", TermMode::query),
              (std::vector<std::string>{"クラ", "ラウ", "ウド"}));
}

TEST(SplitTerms, InvalidUtf8SeparatesTermsWithoutFailing) {
    EXPECT_EQ(texts(std::string("abc\xff\xfe"
                                "def\xe4\xb8")),
              (std::vector<std::string>{"abc", "def"}));
}

TEST(SplitTerms, OverlongWordsAreCutOnACharacterBoundary) {
    const std::string word(300, 'x');
    const auto terms = texts(word);
    ASSERT_EQ(terms.size(), 1u);
    EXPECT_EQ(terms[0].size(), kMaxTermBytes);
    std::string accented;
    for (int i = 0; i < 100; ++i)
        accented += "é";
    const auto folded = texts(accented);
    ASSERT_EQ(folded.size(), 1u);
    EXPECT_LE(folded[0].size(), kMaxTermBytes);
    EXPECT_EQ(folded[0].size() % 2, 0u) << "cut inside a two-byte character";
}

TEST(SplitTerms, TheSinkCanStopTheSplit) {
    int seen = 0;
    const bool finished =
        split_terms("one two three", TermMode::index, [&](const Term&) { return ++seen < 2; });
    EXPECT_FALSE(finished);
    EXPECT_EQ(seen, 2);
}

}  // namespace
}  // namespace chuhai::store
