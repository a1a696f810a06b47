#include "digest/text_layout.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace chuhai::digest {
namespace {

using chuhai::testing::read_fixture;

TEST(SingleLine, RemovesLineBreaksControlsAndBidiOverrides) {
    EXPECT_EQ(single_line("  a\r\nb\tc\x0b\x7f d  "), "a b c d");
    EXPECT_EQ(single_line("x\xc2\x85y\xe2\x80\xa8z"), "x y z");  // NEL, LINE SEPARATOR
    const std::string bidi = single_line(read_fixture("digest/title_with_bidi_override.txt"));
    EXPECT_EQ(bidi.find("\xe2\x80\xae"), std::string::npos);
    EXPECT_NE(bidi.find("evil.exe"), std::string::npos);
    EXPECT_EQ(single_line("bad \xff\xfe bytes"), "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
    const std::string injected =
        single_line(read_fixture("digest/title_with_crlf_fake_header.txt"));
    EXPECT_EQ(injected.find('\r'), std::string::npos);
    EXPECT_EQ(injected.find('\n'), std::string::npos);
}

TEST(DisplayWidth, CountsWideCharactersTwice) {
    EXPECT_EQ(display_width("abc"), 3u);
    EXPECT_EQ(display_width("月之暗面"), 8u);
    EXPECT_EQ(display_width("ＡＢ"), 4u);       // full-width Latin
    EXPECT_EQ(display_width("e\xcc\x81"), 1u);  // e + combining acute
    EXPECT_EQ(pad_to_width("智谱", 6), "智谱  ");
    EXPECT_EQ(truncate_to_width("月之暗面科技", 7), "月之暗…");
    EXPECT_EQ(truncate_to_width("short", 10), "short");
}

TEST(Wrap, BreaksAtSpacesAndBetweenWideCharacters) {
    const auto lines = wrap("the quick brown fox jumps over the lazy dog", 10);
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[0], "the quick");
    for (const auto& line : lines)
        EXPECT_LE(display_width(line), 10u);

    const auto cjk = wrap("月之暗面宣布在新加坡设立海外总部", 10);
    for (const auto& line : cjk)
        EXPECT_LE(display_width(line), 10u);
    std::string joined;
    for (const auto& line : cjk)
        joined += line;
    EXPECT_EQ(joined, "月之暗面宣布在新加坡设立海外总部");

    const auto url = wrap("see https://example.com/a/very/long/path/that/cannot/break ok", 20);
    ASSERT_EQ(url.size(), 3u);
    EXPECT_EQ(url[1], "https://example.com/a/very/long/path/that/cannot/break");
    EXPECT_TRUE(wrap("", 10).empty());
}

TEST(Excerpt, TakesTheFirstSentencesOfEnglishText) {
    EXPECT_EQ(make_excerpt(read_fixture("digest/excerpt_english_sentences.txt")),
              "MiniMax said on Tuesday it will open an office in Tokyo. The U.S. listing plans "
              "were not discussed.");
}

TEST(Excerpt, DoesNotStopAtAbbreviations) {
    EXPECT_EQ(make_excerpt(read_fixture("digest/excerpt_abbreviations.txt")),
              "Dr. Wang of Baidu Inc. spoke at 3 p.m. on Monday about the expansion. It went "
              "well.");
}

TEST(Excerpt, SplitsChineseSentencesWithoutSpaces) {
    const std::string excerpt = make_excerpt(read_fixture("digest/excerpt_chinese_sentences.txt"));
    EXPECT_EQ(excerpt,
              "月之暗面宣布在新加坡设立海外总部，首批招聘五十名工程师。公司表示，新办公室将服务东南"
              "亚客户。");
}

TEST(Excerpt, AddsTheSecondSentenceWhenTheFirstIsShort) {
    EXPECT_EQ(make_excerpt(read_fixture("digest/excerpt_short_first_sentence.txt")),
              "Short. The second sentence says what happened in more detail.");
}

TEST(Excerpt, CutsLongTextAtAWordWithAnEllipsis) {
    const std::string text = read_fixture("digest/excerpt_without_punctuation.txt");
    const std::string excerpt = make_excerpt(text, 100);
    EXPECT_LE(count_chars(excerpt), 100u);
    EXPECT_TRUE(excerpt.ends_with("…"));
    EXPECT_EQ(excerpt.substr(0, 12), "word0 word1 ");
    // The cut falls between words: what precedes the ellipsis is a whole word of the input.
    const std::string body = excerpt.substr(0, excerpt.size() - 3);
    EXPECT_NE(text.find(body + " "), std::string::npos);
    EXPECT_EQ(make_excerpt(""), "");
}

TEST(Sources, SummariseNamesOnce) {
    EXPECT_EQ(summarize_sources({}), "");
    EXPECT_EQ(summarize_sources({{"Reuters", ""}}), "Reuters");
    EXPECT_EQ(summarize_sources({{"Reuters", ""}, {"SCMP", ""}}), "Reuters and SCMP");
    EXPECT_EQ(summarize_sources({{"Reuters", ""}, {"SCMP", ""}, {"Caixin", ""}}),
              "Reuters, SCMP and Caixin");
    EXPECT_EQ(summarize_sources(
                  {{"Reuters", ""}, {"SCMP", ""}, {"Caixin", ""}, {"36Kr", ""}, {"FT", ""}}),
              "Reuters, SCMP and 3 more");
    EXPECT_EQ(summarize_sources({{"Reuters", ""}, {"Reuters", ""}, {"SCMP", ""}}),
              "Reuters and SCMP");
}

TEST(Chars, CountAndTruncateByCharacter) {
    EXPECT_EQ(count_chars("月之暗面"), 4u);
    EXPECT_EQ(truncate_chars("月之暗面", 3), "月之…");
    EXPECT_EQ(truncate_chars("abc", 3), "abc");
}

}  // namespace
}  // namespace chuhai::digest
