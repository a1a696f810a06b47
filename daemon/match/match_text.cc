#include "match/match_text.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace chuhai::match {

namespace {

// 0: other, 1: separator (collapses), 2: line break (collapses to '\n').
constexpr std::array<std::uint8_t, 256> kSeparatorClass = [] {
    std::array<std::uint8_t, 256> table{};
    for (const unsigned char c : {' ', '\t', '\f', '\v', '-'})
        table[c] = 1;
    for (const unsigned char c : {'\n', '\r'})
        table[c] = 2;
    return table;
}();

// Length of the separator starting at text[i] (0 when there is none), and whether it breaks
// lines. Besides ASCII: U+2010 HYPHEN (NFKC's form of U+2011), U+2028/U+2029 and U+0085 NEL.
std::size_t separator_at(std::string_view text, std::size_t i, bool& line_break) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
        line_break = kSeparatorClass[c] == 2;
        return kSeparatorClass[c] != 0 ? 1 : 0;
    }
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x85) {
        line_break = true;
        return 2;
    }
    if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80) {
        const auto c3 = static_cast<unsigned char>(text[i + 2]);
        if (c3 == 0x90 || c3 == 0x91) {
            line_break = false;
            return 3;
        }
        if (c3 == 0xA8 || c3 == 0xA9) {
            line_break = true;
            return 3;
        }
    }
    return 0;
}

// Appends `text` to `out` with separator runs collapsed; records length changes in `map`
// (offsets in `out`).
void collapse(std::string_view text, std::string& out, text::OffsetMap* map) {
    out.clear();
    out.reserve(text.size());
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n) {
        bool line_break = false;
        std::size_t length = separator_at(text, i, line_break);
        if (length == 0) {
            // Copy the run up to the next possible separator byte in one go.
            std::size_t j = i + 1;
            while (j < n) {
                const auto c = static_cast<unsigned char>(text[j]);
                if (c < 0x80 ? kSeparatorClass[c] != 0 : (c == 0xC2 || c == 0xE2))
                    break;
                ++j;
            }
            out.append(text.data() + i, j - i);
            i = j;
            continue;
        }
        const std::size_t run_start = i;
        bool run_breaks_line = line_break;
        i += length;
        while (i < n && (length = separator_at(text, i, line_break)) != 0) {
            run_breaks_line = run_breaks_line || line_break;
            i += length;
        }
        if (map != nullptr && i - run_start != 1)
            map->add_change(out.size(), 1, run_start, i - run_start);
        out.push_back(run_breaks_line ? '\n' : ' ');
    }
}

// The common CJK letters, answered without asking ICU: they make up most of Chinese text.
bool is_common_cjk_letter(UChar32 c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x3041 && c <= 0x3096) || (c >= 0x30A1 && c <= 0x30FA) ||
           (c >= 0xF900 && c <= 0xFAFF);
}

bool is_unspaced_script(UChar32 c) {
    if (is_common_cjk_letter(c))
        return true;
    UErrorCode status = U_ZERO_ERROR;
    switch (uscript_getScript(c, &status)) {
        case USCRIPT_HAN:
        case USCRIPT_HIRAGANA:
        case USCRIPT_KATAKANA:
        case USCRIPT_BOPOMOFO:
        case USCRIPT_YI:
        case USCRIPT_THAI:
        case USCRIPT_LAO:
        case USCRIPT_KHMER:
        case USCRIPT_MYANMAR:
        case USCRIPT_TIBETAN:
            return true;
        default:
            return false;
    }
}

bool is_letter_or_digit(UChar32 c) {
    if (is_common_cjk_letter(c) || u_isalnum(c))
        return true;
    const auto type = static_cast<UCharCategory>(u_charType(c));
    return type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK;
}

bool is_word_code_point(UChar32 c) {
    if (c < 0x80) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
               c == '_';
    }
    return c >= 0 && is_letter_or_digit(c) && !is_unspaced_script(c);
}

UChar32 code_point_at(std::string_view text, std::size_t offset, std::size_t* length) {
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    auto i = static_cast<int32_t>(offset);
    UChar32 c;
    U8_NEXT(s, i, static_cast<int32_t>(text.size()), c);
    if (length != nullptr)
        *length = static_cast<std::size_t>(i) - offset;
    return c;
}

// The code point starting at text[i] and its length; three-byte sequences (all of CJK) are
// decoded inline. Invalid sequences (impossible after folding) read as U+FFFD.
UChar32 decode_at(std::string_view text, std::size_t i, std::size_t& length) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 >= 0xE0 && b0 <= 0xEF && i + 2 < text.size()) {
        const auto b1 = static_cast<unsigned char>(text[i + 1]);
        const auto b2 = static_cast<unsigned char>(text[i + 2]);
        if ((b1 & 0xC0) == 0x80 && (b2 & 0xC0) == 0x80) {
            length = 3;
            return static_cast<UChar32>(((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F));
        }
    }
    const UChar32 c = code_point_at(text, i, &length);
    if (length == 0)
        length = 1;
    return c < 0 ? 0xFFFD : c;
}

// collapse() for a field: also notes where words start (after each separator run, and at each
// character of a script written without spaces).
void collapse_and_index(std::string_view text, std::string& out, text::OffsetMap& map,
                        std::vector<std::uint32_t>& word_starts) {
    out.clear();
    out.reserve(text.size());
    word_starts.clear();
    const std::size_t n = text.size();
    std::size_t i = 0;
    std::size_t copy_from = 0;  // text[copy_from, i) is still to be appended
    bool at_boundary = true;
    auto flush = [&] { out.append(text.data() + copy_from, i - copy_from); };
    while (i < n) {
        bool line_break = false;
        std::size_t length = separator_at(text, i, line_break);
        if (length != 0) {
            flush();
            const std::size_t run_start = i;
            bool run_breaks_line = line_break;
            i += length;
            while (i < n && (length = separator_at(text, i, line_break)) != 0) {
                run_breaks_line = run_breaks_line || line_break;
                i += length;
            }
            if (i - run_start != 1)
                map.add_change(out.size(), 1, run_start, i - run_start);
            out.push_back(run_breaks_line ? '\n' : ' ');
            copy_from = i;
            at_boundary = true;
            continue;
        }
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if (at_boundary)
                word_starts.push_back(static_cast<std::uint32_t>(out.size() + (i - copy_from)));
            at_boundary = false;
            ++i;
            continue;
        }
        const UChar32 cp = decode_at(text, i, length);
        const bool unspaced =
            is_common_cjk_letter(cp) || (is_letter_or_digit(cp) && is_unspaced_script(cp));
        if (unspaced || at_boundary)
            word_starts.push_back(static_cast<std::uint32_t>(out.size() + (i - copy_from)));
        at_boundary = unspaced;  // after such a character the next one starts a word
        i += length;
    }
    flush();
}

// For ASCII text NFKC case folding is lower-casing, so folding and collapsing take one pass
// and the only offset changes are the collapsed runs; the pass also records where words start
// (after each separator run). Returns false, leaving the outputs undefined, at the first
// non-ASCII byte.
bool fold_and_collapse_ascii(std::string_view text, std::string& out, text::OffsetMap& map,
                             std::vector<std::uint32_t>& word_starts) {
    const std::size_t n = text.size();
    // Non-ASCII text (Chinese, usually from its first bytes) is found without a full pass.
    std::size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        std::uint64_t block;
        std::memcpy(&block, text.data() + k, 8);
        if (block & 0x8080808080808080ull)
            return false;
    }
    for (; k < n; ++k) {
        if (static_cast<unsigned char>(text[k]) >= 0x80)
            return false;
    }
    out.resize(n);
    char* const data = out.data();
    // Pass 1, branch-free so that the compiler vectorises it: lower-case.
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        data[i] = static_cast<char>(c + ((static_cast<unsigned>(c) - 'A' < 26u) ? 32 : 0));
    }
    // Pass 2, in place: collapse separator runs and note where words start. Mostly
    // branch-free: the branches taken only inside runs of two or more separators are rare.
    word_starts.resize(n + 1);
    std::uint32_t* const starts = word_starts.data();
    std::size_t words = 0;
    std::size_t w = 0;
    std::size_t run_start = 0;
    bool previous_separator = false;
    bool at_boundary = true;  // the start of the text, or just after a separator
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(data[i]);
        const std::uint8_t kind = kSeparatorClass[c];
        const bool separator = kind != 0;
        if (separator && previous_separator) [[unlikely]] {
            if (kind == 2)
                data[w - 1] = '\n';
            continue;
        }
        if (previous_separator && i - run_start > 1) [[unlikely]]
            map.add_change(w - 1, 1, run_start, i - run_start);
        run_start = separator ? i : run_start;
        starts[words] = static_cast<std::uint32_t>(w);
        words += (!separator && at_boundary) ? 1 : 0;
        data[w++] = separator ? (kind == 2 ? '\n' : ' ') : static_cast<char>(c);
        at_boundary = separator;
        previous_separator = separator;
    }
    if (previous_separator && n - run_start > 1)
        map.add_change(w - 1, 1, run_start, n - run_start);
    word_starts.resize(words);
    out.resize(w);
    return true;
}

}  // namespace

std::string normalize_term(std::string_view term) {
    std::string collapsed;
    collapse(text::fold(term), collapsed, nullptr);
    std::replace(collapsed.begin(), collapsed.end(), '\n', ' ');
    const auto first = collapsed.find_first_not_of(' ');
    if (first == std::string::npos)
        return {};
    const auto last = collapsed.find_last_not_of(' ');
    return collapsed.substr(first, last - first + 1);
}

bool is_word_char_at(std::string_view text, std::size_t offset) {
    if (offset >= text.size())
        return false;
    const auto c = static_cast<unsigned char>(text[offset]);
    if (c < 0x80)
        return is_word_code_point(c);
    return is_word_code_point(code_point_at(text, offset, nullptr));
}

bool is_word_char_before(std::string_view text, std::size_t offset) {
    if (offset == 0 || offset > text.size())
        return false;
    const auto c = static_cast<unsigned char>(text[offset - 1]);
    if (c < 0x80)
        return is_word_code_point(c);
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    auto i = static_cast<int32_t>(offset);
    UChar32 cp;
    U8_PREV(s, 0, i, cp);
    return is_word_code_point(cp);
}

bool is_unspaced_char_at(std::string_view text, std::size_t offset) {
    if (offset >= text.size() || static_cast<unsigned char>(text[offset]) < 0x80)
        return false;
    const UChar32 c = code_point_at(text, offset, nullptr);
    return c >= 0 && is_letter_or_digit(c) && is_unspaced_script(c);
}

void FieldText::assign(std::string_view original) {
    to_folded_.clear();
    sentences_built_ = false;
    ascii_ = fold_and_collapse_ascii(original, text_, to_folded_, word_starts_);
    if (ascii_)
        return;
    to_folded_.clear();
    text::fold_mapped(original, folded_);
    collapse_and_index(folded_.text, text_, to_folded_, word_starts_);
}

std::size_t FieldText::original_offset(std::size_t offset, bool is_end) const {
    const std::size_t folded = to_folded_.to_source(offset, is_end);
    return ascii_ ? folded : folded_.original_offset(folded, is_end);
}

void FieldText::build_sentence_index() const {
    sentence_starts_.clear();
    const std::size_t n = text_.size();
    for (std::size_t i = 0; i < n; ++i) {
        const char c = text_[i];
        std::size_t end = 0;
        if (c == '\n' || c == '!' || c == '?' || c == ';') {
            end = i + 1;
        } else if (c == '.') {
            if (i + 1 == n || text_[i + 1] == ' ' || text_[i + 1] == '\n')
                end = i + 1;
        } else if (static_cast<unsigned char>(c) == 0xE3 && i + 2 < n &&
                   static_cast<unsigned char>(text_[i + 1]) == 0x80 &&
                   static_cast<unsigned char>(text_[i + 2]) == 0x82) {  // 。
            end = i + 3;
        }
        if (end != 0)
            sentence_starts_.push_back(static_cast<std::uint32_t>(end));
    }
    sentences_built_ = true;
}

std::uint32_t FieldText::word_index(std::size_t offset) const {
    const auto it = std::upper_bound(word_starts_.begin(), word_starts_.end(), offset);
    const auto index = it - word_starts_.begin();
    return index == 0 ? 0 : static_cast<std::uint32_t>(index - 1);
}

std::uint32_t FieldText::sentence_index(std::size_t offset) const {
    if (!sentences_built_)
        build_sentence_index();
    const auto it = std::upper_bound(sentence_starts_.begin(), sentence_starts_.end(), offset);
    return static_cast<std::uint32_t>(it - sentence_starts_.begin());
}

}  // namespace chuhai::match
