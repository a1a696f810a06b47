#include "match/match_text.h"

#include <gtest/gtest.h>

#include "text/normalize.h"

namespace chuhai::match {
namespace {

TEST(FoldMapped, AsciiIsLowerCasedWithAnIdentityMap) {
    text::FoldedText folded;
    text::fold_mapped("DeepSeek R1", folded);
    EXPECT_EQ(folded.text, "deepseek r1");
    EXPECT_TRUE(folded.folded_to_repaired.empty());
    EXPECT_EQ(folded.original_offset(8), 8u);
}

TEST(FoldMapped, EqualsFoldAndMapsFullWidthBackToTheOriginal) {
    const std::string original = "新ＱＷＥＮ模型";  // 新 (3 bytes), 4 full-width letters (3 each)
    text::FoldedText folded;
    text::fold_mapped(original, folded);
    EXPECT_EQ(folded.text, text::fold(original));
    EXPECT_EQ(folded.text, "新qwen模型");
    // "qwen" is folded bytes [3, 7); in the original it is [3, 15).
    EXPECT_EQ(folded.original_offset(3), 3u);
    EXPECT_EQ(folded.original_offset(7, true), 15u);
    EXPECT_EQ(folded.original_offset(7), 15u);  // 模 follows directly
    EXPECT_EQ(folded.original_offset(5), 9u);   // 'e' inside the text: start of its source
}

TEST(FoldMapped, InvalidUtf8IsRepairedAndMapped) {
    const std::string original = std::string("ab\xff") + "Cd";
    text::FoldedText folded;
    text::fold_mapped(original, folded);
    EXPECT_EQ(folded.text, text::fold(original));
    EXPECT_EQ(folded.text,
              "ab\xEF\xBF\xBD"
              "cd");
    EXPECT_EQ(folded.original_offset(6), 4u);  // 'd'
    EXPECT_EQ(folded.original_offset(2), 2u);
    EXPECT_EQ(folded.original_offset(5, true), 3u);
}

TEST(Fold, FastAsciiPathAgreesWithIcu) {
    // Every ASCII character, including controls: the fast path must equal ICU's answer, which
    // fold() gives for any text with one non-ASCII character in it.
    std::string ascii;
    for (int c = 1; c < 128; ++c)
        ascii.push_back(static_cast<char>(c));
    const std::string with_marker = ascii + "é";
    const std::string folded = text::fold(with_marker);
    EXPECT_EQ(text::fold(ascii) + "é", folded);
}

TEST(NormalizeTerm, FoldsCollapsesAndTrims) {
    EXPECT_EQ(normalize_term("  Data-Centre  "), "data centre");
    EXPECT_EQ(normalize_term("data \n centre"), "data centre");
    EXPECT_EQ(normalize_term("ＡＩ"), "ai");
    EXPECT_EQ(normalize_term("阿里云"), "阿里云");
    EXPECT_EQ(normalize_term(" - "), "");
}

TEST(WordChars, LatinIsWordHanIsNot) {
    EXPECT_TRUE(is_word_char_at("ai", 0));
    EXPECT_TRUE(is_word_char_at("é", 0));
    EXPECT_TRUE(is_word_char_at("д", 0));  // Cyrillic
    EXPECT_FALSE(is_word_char_at("阿", 0));
    EXPECT_FALSE(is_word_char_at("'", 0));
    EXPECT_FALSE(is_word_char_at("’", 0));
    EXPECT_TRUE(is_word_char_before("中国ai", 8));
    EXPECT_FALSE(is_word_char_before("中国ai", 6));
    EXPECT_FALSE(is_word_char_before("x", 0));
    EXPECT_TRUE(is_unspaced_char_at("模", 0));
    EXPECT_FALSE(is_unspaced_char_at("m", 0));
}

TEST(FieldText, CollapsesSeparatorsAndMapsBack) {
    FieldText field;
    const std::string original = "Data -\n\n Centre IN  Mexico";
    field.assign(original);
    EXPECT_EQ(field.text(), "data\ncentre in mexico");
    const std::size_t mexico = field.text().find("mexico");
    EXPECT_EQ(
        original.substr(field.original_offset(mexico),
                        field.original_offset(mexico + 6, true) - field.original_offset(mexico)),
        "Mexico");
    const std::size_t centre = field.text().find("centre");
    EXPECT_EQ(field.original_offset(centre), original.find("Centre"));
}

TEST(FieldText, UnicodeHyphensAndLineSeparators) {
    FieldText field;
    field.assign("Belt\u2010and\u2011Road\u2028AI");
    EXPECT_EQ(field.text(), "belt and road\nai");
}

TEST(FieldText, WordIndexCountsLatinWordsAndHanCharacters) {
    FieldText field;
    field.assign("Alibaba Cloud 在墨西哥 opens");
    const std::string& t = field.text();
    EXPECT_EQ(field.word_index(t.find("alibaba")), 0u);
    EXPECT_EQ(field.word_index(t.find("cloud")), 1u);
    EXPECT_EQ(field.word_index(t.find("在")), 2u);
    EXPECT_EQ(field.word_index(t.find("墨")), 3u);
    EXPECT_EQ(field.word_index(t.find("opens")), 6u);
    EXPECT_EQ(field.word_index(t.find("cloud") + 2), 1u);  // inside a word
}

TEST(FieldText, AsciiFastPathCountsWordsLikeTheGeneralPath) {
    // The ASCII path records word starts while folding; the general path builds them later.
    // Appending one non-ASCII character forces the general path over the same words.
    for (const std::string text :
         {"Alibaba Cloud opens in Mexico", "  U.S. firms, e.g. Huawei's  unit", "a-b c\n\nd", "x",
          "trailing space "}) {
        FieldText ascii;
        ascii.assign(text);
        FieldText general;
        general.assign(text + " é");
        for (std::size_t offset = 0; offset < ascii.text().size(); ++offset)
            ASSERT_EQ(ascii.word_index(offset), general.word_index(offset))
                << text << " @" << offset;
    }
}

TEST(FieldText, SentenceIndexIgnoresDotsInsideNames) {
    FieldText field;
    field.assign("Z.ai and 01.AI grew 3.5 times. Then: Qwen! 阿里云表示。新数据中心\nNext line");
    const std::string& t = field.text();
    EXPECT_EQ(field.sentence_index(t.find("z.ai")), 0u);
    EXPECT_EQ(field.sentence_index(t.find("times")), 0u);
    EXPECT_EQ(field.sentence_index(t.find("then")), 1u);
    EXPECT_EQ(field.sentence_index(t.find("阿里云")), 2u);
    EXPECT_EQ(field.sentence_index(t.find("新数据")), 3u);
    EXPECT_EQ(field.sentence_index(t.find("next")), 4u);
}

}  // namespace
}  // namespace chuhai::match
