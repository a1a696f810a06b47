// SimHash's fast paths against their definitions: fold_for_fingerprint() against
// text::fold() (ICU NFKC_Casefold), and simhash()/entry_simhash() against a plain reference
// implementation of the features identity.h describes (fold, then words, word pairs and CJK
// bigrams hashed with stable_hash64, a majority vote per bit).

#include "feed/fingerprint.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/file.h"
#include "feed/feed_parser.h"
#include "feed/identity.h"
#include "tests/support/test_support.h"
#include "text/html_text.h"
#include "text/normalize.h"

namespace chuhai::feed {
namespace {

std::string utf8(char32_t code_point) {
    std::string out;
    text::append_utf8(code_point, out);
    return out;
}

std::string fast_fold(std::string_view first, const std::string_view* second = nullptr) {
    std::string buffer;
    const std::string_view folded = detail::fold_for_fingerprint(first, second, buffer);
    // The promised padding: sixteen zero bytes after the view, inside the buffer.
    EXPECT_GE(buffer.size(),
              static_cast<std::size_t>(folded.data() - buffer.data()) + folded.size() + 16);
    EXPECT_EQ(std::string_view(folded.data() + folded.size(), 16), std::string(16, '\0'));
    return std::string(folded);
}

// ---- the reference SimHash ------------------------------------------------------------------

std::uint64_t reference_mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

bool reference_is_cjk(char32_t cp) {
    return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x20000 && cp <= 0x2FFFF);
}

bool reference_is_separator(char32_t cp) {
    if (cp < 0x80)
        return !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'));
    return (cp >= 0x80 && cp <= 0xBF) || (cp >= 0x2000 && cp <= 0x206F) ||
           (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFF0F) || cp == 0xFFFD;
}

bool reference_is_stop_word(std::string_view word) {
    for (const std::string_view stop :
         {"a",  "an",  "the",  "of",   "in",   "on",   "to",    "for",  "and",  "or",
          "is", "are", "was",  "its",  "it",   "with", "by",    "at",   "as",   "from",
          "be", "has", "have", "that", "this", "new",  "after", "says", "said", "will"})
        if (word == stop)
            return true;
    return false;
}

// Decodes valid UTF-8 (the only kind the reference is used on).
char32_t decode_at(std::string_view s, std::size_t& i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = length == 1 ? c : c & (0xFF >> (length + 1));
    for (int k = 1; k < length; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
    i += static_cast<std::size_t>(length);
    return cp;
}

std::uint64_t reference_simhash(std::string_view raw) {
    const std::string text = text::fold(raw);
    constexpr std::uint64_t kSeed = 0x5157;
    std::vector<std::uint64_t> features;
    std::string word;
    std::uint64_t previous_word = 0;
    std::string previous_cjk;  // the last character of the current CJK run
    bool run_has_pair = false;
    auto end_word = [&] {
        if (word.size() >= 2 && !reference_is_stop_word(word)) {
            const std::uint64_t h = stable_hash64(word, kSeed);
            features.push_back(h);
            if (previous_word != 0)
                features.push_back(reference_mix(previous_word * 0x9E3779B97F4A7C15ull + h));
            previous_word = h;
        }
        word.clear();
    };
    auto end_cjk_run = [&] {
        if (!previous_cjk.empty() && !run_has_pair)
            features.push_back(stable_hash64(previous_cjk, kSeed));
        previous_cjk.clear();
        run_has_pair = false;
    };
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t start = i;
        const char32_t cp = decode_at(text, i);
        const std::string character = text.substr(start, i - start);
        if (reference_is_cjk(cp)) {
            end_word();
            if (!previous_cjk.empty()) {
                features.push_back(stable_hash64(previous_cjk + character, kSeed));
                run_has_pair = true;
            }
            previous_cjk = character;
        } else if (reference_is_separator(cp)) {
            end_word();
            end_cjk_run();
        } else {
            end_cjk_run();
            word += character;
        }
    }
    end_word();
    end_cjk_run();
    std::array<std::size_t, 64> counts{};
    for (const std::uint64_t h : features)
        for (int bit = 0; bit < 64; ++bit)
            counts[static_cast<std::size_t>(bit)] += (h >> bit) & 1;
    std::uint64_t out = 0;
    for (int bit = 0; bit < 64; ++bit)
        if (2 * counts[static_cast<std::size_t>(bit)] > features.size())
            out |= std::uint64_t{1} << bit;
    return out;
}

std::string reference_lead(const FeedEntry& entry) {
    const std::string& body = !entry.summary.empty() ? entry.summary : entry.content;
    std::size_t i = 0;
    for (std::size_t count = 0; i < body.size() && count < kLeadChars; ++count)
        decode_at(body, i);
    return body.substr(0, i);
}

// Texts that reach the folding and the tokenizer's corner cases.
std::vector<std::string> tricky_texts() {
    std::vector<std::string> texts = {
        "",
        "A",
        "Alibaba Cloud opens DATA centre!",
        "ＡＩ出海 and ＡＩ",                              // full-width letters
        "café CAFÉ cafe\xcc\x81 CAFE\xcc\x81",            // precomposed and combining accents
        "x\xcc\x81 \xcc\x81 a\xcc\xa3\xcc\x81",           // combining marks, reordered ones
        "ﬁnance ﬂows",                                    // ligatures
        "co\xc2\xadop\xe2\x80\x8b era",                   // soft hyphen, zero-width space
        "Wait\xe2\x80\xa6 what\xc2\xa0now",               // ellipsis, no-break space
        "\xe1\x84\x80\xe1\x85\xa1 \xea\xb0\x80",          // Hangul jamo that compose, a syllable
        "ΣΊΣΥΦΟΣ Straße ǅemal İstanbul",                  // final sigma, sharp s, titlecase
        "阿里云，在墨西哥。启用「第二座」数据中心！",     // CJK with full-width punctuation
        "中",                                             // a lone CJK character
        "中 文 字",                                       // lone characters in a row
        "\xf0\xa0\x80\x80\xf0\xa0\x80\x81 ext-B",         // CJK Extension B pair
        "㈱ ㍿ ½ ① ™",                                    // compatibility forms
        "abcdefgh abcdefghi abcdefghijklmnopq 12345678",  // features of 8, 9 and 17 bytes
        "the a an of THE This WILL said says",            // stop words only
        "Привет МИР, Ёжик в тумане",                      // Cyrillic capitals
        "مرحبا بالعالم",                                  // Arabic
        "नमस्ते दुनिया",                                     // Devanagari with combining signs
    };
    // More than 255 features, so that the accumulator's bit planes are flushed.
    std::string many;
    for (int i = 0; i < 400; ++i)
        many += "word" + std::to_string(i * 7919 % 1000) + (i % 3 == 0 ? " 数据" : " ");
    texts.push_back(many);
    return texts;
}

// Titles and leads of the feeds in the shared corpora, as the parser produced them.
std::vector<FeedEntry> corpus_entries() {
    std::vector<FeedEntry> entries;
    const auto shared = chuhai::testing::shared_dir();
    if (shared.empty())
        return entries;
    for (const char* folder : {"corpus/realworld", "corpus/chinese"}) {
        const auto dir = shared / folder;
        if (!std::filesystem::is_directory(dir))
            continue;
        for (const auto& file : std::filesystem::recursive_directory_iterator(dir)) {
            if (!file.is_regular_file())
                continue;
            try {
                FeedDocument doc = parse_feed(read_file(file.path()));
                for (FeedEntry& entry : doc.entries)
                    entries.push_back(std::move(entry));
            } catch (const Error&) {
                // Not a feed (a README): nothing to compare.
            }
        }
    }
    return entries;
}

// ---- tests ----------------------------------------------------------------------------------

TEST(FingerprintFold, CharactersFoldAloneAsInAnyContext) {
    // What fold_alone promises, for every character of the Basic Multilingual Plane: text::fold
    // makes the character alone into the mapping, and folding it after text that could combine
    // with it folds that text and the character separately.
    const std::vector<std::string> before = {
        "a",        "e",       "\xe1\x84\x80" /* Hangul L */, "\xe0\xa4\x95" /* Devanagari KA */,
        "\xce\x91", "\xd0\x98" /* Cyrillic I */};
    std::size_t stable = 0, mapped = 0;
    for (char32_t c = 0x80; c <= 0xFFFF; ++c) {
        const std::optional<std::string_view> alone = detail::fold_alone(c);
        if (c >= 0xD800 && c <= 0xDFFF) {
            EXPECT_FALSE(alone);
            EXPECT_FALSE(detail::is_fold_stable(c));
            continue;
        }
        if (!alone)
            continue;
        const std::string s = utf8(c);
        ASSERT_EQ(text::fold(s), *alone) << "U+" << std::hex << static_cast<unsigned>(c);
        for (const std::string& prefix : before)
            ASSERT_EQ(text::fold(prefix + s), text::fold(prefix) + std::string(*alone))
                << "U+" << std::hex << static_cast<unsigned>(c);
        EXPECT_EQ(detail::is_fold_stable(c), *alone == s);
        ++(*alone == s ? stable : mapped);
    }
    // Most of the plane folds to itself (CJK, Hangul syllables, lower-case letters) and many
    // characters fold alone to something else (capitals, compatibility forms); the checks
    // above would prove nothing if the table said "ask ICU" everywhere.
    EXPECT_GT(stable, 40000u);
    EXPECT_GT(mapped, 2000u);
    for (const char32_t c : {0x41u, 0xC9u, 0xA0u, 0xADu, 0x301u, 0x2026u, 0xFF21u, 0xFB01u, 0x1161u,
                             0x10000u, 0x20000u})
        EXPECT_FALSE(detail::is_fold_stable(c)) << std::hex << static_cast<unsigned>(c);
    for (const char32_t c : {0xE9u, 0x2019u, 0x201Cu, 0x2014u, 0x4E2Du, 0xAC00u, 0x3002u})
        EXPECT_TRUE(detail::is_fold_stable(c)) << std::hex << static_cast<unsigned>(c);
    EXPECT_EQ(detail::fold_alone(0xC9), "\xc3\xa9");   // É → é
    EXPECT_EQ(detail::fold_alone(0x418), "\xd0\xb8");  // И → и
    EXPECT_EQ(detail::fold_alone(0xFF21), "a");        // full-width A
    EXPECT_EQ(detail::fold_alone(0x2026), "...");
    EXPECT_FALSE(detail::fold_alone(0x301));    // combining acute: needs context
    EXPECT_FALSE(detail::fold_alone(0x1161));   // Hangul vowel jamo: composes
    EXPECT_FALSE(detail::fold_alone(0x10400));  // outside the plane
}

TEST(FingerprintFold, EqualsTextFoldOnEveryCharacterAndOnTrickyTexts) {
    // Each character of the plane between capitals and the characters that fold it or
    // combine with it (the fast path and ICU's path both run, on the same text).
    for (char32_t c = 0x80; c <= 0xFFFF; ++c) {
        if (c >= 0xD800 && c <= 0xDFFF)
            continue;
        const std::string s = utf8(c);
        const std::string text = "Ab" + s + "x" + s + s + "\xe2\x80\x99Z";
        ASSERT_EQ(fast_fold(text), text::fold(text))
            << "U+" << std::hex << static_cast<unsigned>(c);
    }
    for (const std::string& text : tricky_texts()) {
        EXPECT_EQ(fast_fold(text), text::fold(text)) << text;
        const std::string_view lead = "Lead TEXT \xe2\x80\x99s";
        EXPECT_EQ(fast_fold(text, &lead), text::fold(text + "\n" + std::string(lead))) << text;
    }
}

TEST(FingerprintFold, EqualsTextFoldOnTheCorpora) {
    const std::vector<FeedEntry> entries = corpus_entries();
    if (entries.empty())
        GTEST_SKIP() << "../shared/corpus is missing";
    for (const FeedEntry& entry : entries) {
        const std::string lead = reference_lead(entry);
        const std::string_view lead_view = lead;
        ASSERT_EQ(fast_fold(entry.title, &lead_view), text::fold(entry.title + "\n" + lead))
            << entry.title;
    }
}

// parse_feed() runs on several workers at once; the fold table fills its blocks on first use,
// from whichever thread gets there first. Threads racing to fill the same blocks must all get
// the right answers (ASan/TSan builds also watch the memory).
TEST(FingerprintFold, ThreadsFillingTheTableTogetherAgree) {
    // Characters from many blocks that the other tests are unlikely to have touched.
    std::vector<std::string> texts;
    for (char32_t block = 0x05; block < 0xFF; block += 3) {
        std::string text = "Word ";
        for (char32_t offset = 0x40; offset < 0x48; ++offset)
            text += utf8(block * 0x100 + offset) + (offset % 2 ? " " : "");
        texts.push_back(text);
    }
    std::vector<std::vector<std::uint64_t>> results(4);
    std::vector<std::thread> threads;
    for (auto& result : results)
        threads.emplace_back([&texts, &result] {
            for (const std::string& text : texts)
                result.push_back(simhash(text));
        });
    for (std::thread& thread : threads)
        thread.join();
    for (std::size_t t = 0; t < results.size(); ++t)
        for (std::size_t i = 0; i < texts.size(); ++i)
            ASSERT_EQ(results[t][i], reference_simhash(texts[i])) << texts[i];
}

TEST(FingerprintSimHash, MatchesTheReferenceOnTrickyTexts) {
    for (const std::string& text : tricky_texts())
        EXPECT_EQ(simhash(text), reference_simhash(text)) << text;
    // Not every text may hash to zero, or the comparison above would prove little.
    EXPECT_NE(simhash("Alibaba Cloud opens DATA centre!"), 0u);
    EXPECT_NE(simhash("阿里云在墨西哥启用第二座数据中心"), 0u);
}

TEST(FingerprintSimHash, MatchesTheReferenceOnTheCorpora) {
    const std::vector<FeedEntry> entries = corpus_entries();
    if (entries.empty())
        GTEST_SKIP() << "../shared/corpus is missing";
    for (const FeedEntry& entry : entries) {
        ASSERT_EQ(entry_simhash(entry),
                  reference_simhash(entry.title + "\n" + reference_lead(entry)))
            << entry.title;
    }
}

}  // namespace
}  // namespace chuhai::feed
