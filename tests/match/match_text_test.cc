#include "match/match_text.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "common/file.h"
#include "tests/support/test_support.h"
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

// The one-pass path against the reference (ICU's fold, then collapsing) on random text made of
// pieces chosen for their folding: separators of every kind and in runs, capitals, full-width
// forms, characters that fold to nothing or to several, CJK, and the characters only the
// reference path can take (combining marks, jamo, other planes, ill-formed bytes).
TEST(FieldText, OnePassAgreesWithTheReferencePath) {
    const std::vector<std::string> fast_pieces = {
        "Alibaba", "CLOUD",      "data",     "Centre",
        "U.S.",    "Huawei's",   "3.5",      "x",
        "AI",      "e.g.",       " ",        "  ",
        "-",       " - ",        "\t",       "\n",
        "\r\n",    "\n\n",       "\v\f",     ".",
        ",",       "!",          "?",        ";",
        "阿里云",  "華為雲",     "数据中心", "。",
        "，",      "カタカナ",   "ひらがな", "ภาษาไทย",
        "Ａｌｉ",  "ＣＬＯＵＤ", "１２３",   "\u3000",
        "\uFF0D",  "\u00A0",     "\u2010",   "\u2011",
        "\u2028",  "\u2029",     "\u0085",   "\u00AD",
        "\u200B",  "\uFEFF",     "\u2026",   "\uFB01",
        "\u2122",  "\u00BD",     "\u338F",   "ß",
        "Straße",  "\u0130",     "\u01C5",   "Σ",
        "ς",       "Дата",       "é",        "É",
        "Ω",       "Å",          "ＡＩ",     "Ｑｗｅｎ大模型",
        "’s",      "“quoted”",   "—",        "€5"};
    const std::vector<std::string> slow_pieces = {"e\u0301",  "\u1100\u1161", "🙂",   "\xff",
                                                  "\xe4\xb8", "\u00A8",       "\u3231", "\uFDFA"};
    std::mt19937 rng(20251207);
    std::size_t one_pass = 0;
    constexpr std::size_t kTexts = 20000;
    for (std::size_t n = 0; n < kTexts; ++n) {
        std::string text;
        const std::size_t pieces = rng() % 40;
        const bool slow = rng() % 8 == 0;
        for (std::size_t p = 0; p < pieces; ++p) {
            if (slow && rng() % 10 == 0)
                text += slow_pieces[rng() % slow_pieces.size()];
            else
                text += fast_pieces[rng() % fast_pieces.size()];
        }
        FieldText fast;
        fast.assign(text);
        FieldText reference;
        reference.assign_reference(text);
        one_pass += fast.folded_in_one_pass() ? 1 : 0;
        ASSERT_EQ(fast.text(), reference.text()) << "text: " << text;
        for (std::size_t offset = 0; offset <= fast.text().size(); ++offset) {
            ASSERT_EQ(fast.word_index(offset), reference.word_index(offset))
                << "text: " << text << " @" << offset;
            // Evidence begins and ends between characters (literal patterns are whole
            // characters, RE2 matches UTF-8 characters), and offsets inside a character depend
            // on how ICU happens to group its edits.
            if (offset < fast.text().size() &&
                (static_cast<unsigned char>(fast.text()[offset]) & 0xC0) == 0x80)
                continue;
            ASSERT_EQ(fast.original_offset(offset), reference.original_offset(offset))
                << "text: " << text << " @" << offset;
            ASSERT_EQ(fast.original_offset(offset, true), reference.original_offset(offset, true))
                << "text: " << text << " @" << offset << " (end)";
            ASSERT_EQ(fast.sentence_index(offset), reference.sentence_index(offset))
                << "text: " << text << " @" << offset;
        }
    }
    // Most texts must have taken the one pass, or this test would prove little.
    EXPECT_GT(one_pass, kTexts * 3 / 4);
    EXPECT_LT(one_pass, kTexts);
}

// The same comparison on real text: the labelled documents and, when ../shared is there, every
// file of the shared corpora (feeds in many languages and charsets, taken as bytes).
TEST(FieldText, OnePassAgreesWithTheReferencePathOnRealText) {
    std::vector<std::filesystem::path> roots = {chuhai::testing::fixture_path("match")};
    if (const auto shared = chuhai::testing::shared_dir(); !shared.empty())
        roots.push_back(shared / "corpus");
    std::size_t files = 0;
    std::size_t one_pass = 0;
    for (const auto& root : roots) {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
            if (!entry.is_regular_file() || entry.file_size() > (std::size_t{1} << 20))
                continue;
            const std::string text = read_file(entry.path());
            FieldText fast;
            fast.assign(text);
            FieldText reference;
            reference.assign_reference(text);
            ++files;
            one_pass += fast.folded_in_one_pass() ? 1 : 0;
            ASSERT_EQ(fast.text(), reference.text()) << entry.path();
            for (std::size_t offset = 0; offset <= fast.text().size(); ++offset) {
                ASSERT_EQ(fast.word_index(offset), reference.word_index(offset))
                    << entry.path() << " @" << offset;
                if (offset < fast.text().size() &&
                    (static_cast<unsigned char>(fast.text()[offset]) & 0xC0) == 0x80)
                    continue;
                ASSERT_EQ(fast.original_offset(offset), reference.original_offset(offset))
                    << entry.path() << " @" << offset;
                ASSERT_EQ(fast.original_offset(offset, true),
                          reference.original_offset(offset, true))
                    << entry.path() << " @" << offset;
            }
        }
    }
    EXPECT_GT(files, 100u);
    EXPECT_GT(one_pass, files / 2);
}

TEST(FieldText, ReusedBuffersGiveTheSameResultAsFreshOnes) {
    FieldText reused;
    for (const std::string& text :
         {std::string(3000, 'a') + " b", std::string("short"),
          std::string("阿里云 ") + std::string(500, 'x'), std::string()}) {
        reused.assign(text);
        FieldText fresh;
        fresh.assign(text);
        EXPECT_EQ(reused.text(), fresh.text());
        for (std::size_t offset = 0; offset <= fresh.text().size(); ++offset)
            ASSERT_EQ(reused.word_index(offset), fresh.word_index(offset)) << text;
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
