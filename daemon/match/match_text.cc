#include "match/match_text.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "text/bmp_table.h"

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

// ---- The fast path: folding, collapsing and word starts in one pass -------------------------
//
// Most text folds character by character: a character with a normalization boundary before it
// (nothing before it can combine with it or change it) folds to what it folds to alone, so
// text made only of such characters can be folded one character at a time from a table,
// without ICU. The table also says what the folded character is for collapsing and word
// counting, so one pass produces what text::fold_mapped() and collapse_and_index() produce
// together, offsets included. Text with anything else (combining marks, characters outside
// the Basic Multilingual Plane, ill-formed UTF-8, a character whose fold is long or mixes
// separators into other text) goes to that reference path whole.

enum class FoldKind : std::uint8_t {
    context,          // folds differently in context, or cannot be folded here: reference path
    removed,          // folds to nothing (soft hyphen, zero-width space), on its own
    removed_joining,  // folds to nothing, and ICU folds it together with what precedes it
    separator,        // folds to a separator that collapses to ' '
    line_break,       // folds to a separator that collapses to '\n'
    unspaced,         // folds to a letter of a script written without spaces: a word on its own
    other,            // anything else (letters, digits, punctuation), possibly several characters
};

struct FoldEntry {
    static constexpr std::size_t kMaxBytes = 5;

    FoldKind kind = FoldKind::context;
    std::uint8_t length = 0;  // bytes of the folded form
    bool same : 1 = false;    // the folded form is the character itself
    // ICU ends its segment after it: a removed character that follows is not folded with it.
    bool boundary_after : 1 = true;
    std::array<char, kMaxBytes> bytes{};
};
static_assert(sizeof(FoldEntry) == 8);

const icu::Normalizer2* nfkc_casefold_instance() {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* folding = icu::Normalizer2::getNFKCCasefoldInstance(status);
    return U_SUCCESS(status) ? folding : nullptr;
}

void append_utf8(std::string& out, UChar32 c) {
    char buffer[U8_MAX_LENGTH];
    int32_t length = 0;
    UBool error = false;
    U8_APPEND(reinterpret_cast<uint8_t*>(buffer), length, U8_MAX_LENGTH, c, error);
    if (!error)
        out.append(buffer, static_cast<std::size_t>(length));
}

// How the reference path would treat text[i] of folded text: as a separator (line break or
// not), a letter written without spaces, or other.
FoldKind folded_kind_at(std::string_view folded, std::size_t i, std::size_t& length) {
    bool line_break = false;
    if ((length = separator_at(folded, i, line_break)) != 0)
        return line_break ? FoldKind::line_break : FoldKind::separator;
    if (static_cast<unsigned char>(folded[i]) < 0x80) {
        length = 1;
        return FoldKind::other;
    }
    const UChar32 cp = decode_at(folded, i, length);
    return is_common_cjk_letter(cp) || (is_letter_or_digit(cp) && is_unspaced_script(cp))
               ? FoldKind::unspaced
               : FoldKind::other;
}

FoldEntry compute_fold_entry(const icu::Normalizer2& folding, UChar32 c) {
    FoldEntry entry;
    if (c >= 0xD800 && c <= 0xDFFF)
        return entry;
    std::string source;
    append_utf8(source, c);
    // Most of the plane (all of CJK) folds to itself in any context: no need to ask ICU more.
    const std::string folded = folding.isInert(c) ? source : text::fold(source);
    // Characters that fold to nothing (soft hyphen, zero-width space, byte order mark) vanish
    // wherever they stand; ICU gives them no boundary, but what follows them is checked for one
    // in turn, so nothing can combine across them unseen.
    if (folded.empty()) {
        entry.kind = folding.hasBoundaryBefore(c) ? FoldKind::removed : FoldKind::removed_joining;
        return entry;
    }
    if (!folding.hasBoundaryBefore(c) || folded.size() > FoldEntry::kMaxBytes)
        return entry;
    // One separator, or characters none of which is a separator or written without spaces
    // (several of those would need their own word starts and runs).
    std::size_t length = 0;
    FoldKind kind = folded_kind_at(folded, 0, length);
    if (length != folded.size()) {
        for (std::size_t i = 0; i < folded.size(); i += length) {
            if (folded_kind_at(folded, i, length) != FoldKind::other)
                return entry;
        }
        kind = FoldKind::other;
    }
    entry.kind = kind;
    entry.boundary_after = folding.hasBoundaryAfter(c);
    entry.length = static_cast<std::uint8_t>(folded.size());
    entry.same = folded == source;
    std::memcpy(entry.bytes.data(), folded.data(), folded.size());
    return entry;
}

// The entries, asked of ICU 256 at a time when text first uses a block, and beside them a
// bitmap of the characters that fold to themselves and are a word on their own (see
// unspaced_run): 8 KB that stay in the cache where the entries of the 80-odd blocks of Chinese
// would not.
class FoldTable {
  public:
    const FoldEntry& entry(std::uint32_t code_point) {  // code_point <= 0xFFFF
        return entries_.entry(code_point,
                              [this](std::uint32_t first, auto& block) { fill(first, block); });
    }

    // False also for the characters of blocks not filled yet: ask entry() then.
    bool plain_unspaced(std::uint32_t code_point) const {
        return (plain_unspaced_[code_point >> 6].load(std::memory_order_relaxed) >>
                (code_point & 63)) &
               1u;
    }

  private:
    void fill(std::uint32_t first, std::array<FoldEntry, 256>& block) {
        if (const icu::Normalizer2* folding = nfkc_casefold_instance()) {
            for (std::uint32_t i = 0; i < 256; ++i)
                block[i] = compute_fold_entry(*folding, static_cast<UChar32>(first + i));
        }
        // The bits mean the same whichever thread sets them.
        for (std::uint32_t word = 0; word < 4; ++word) {
            std::uint64_t bits = 0;
            for (std::uint32_t bit = 0; bit < 64; ++bit) {
                const FoldEntry& entry = block[word * 64 + bit];
                if (entry.same && entry.kind == FoldKind::unspaced)
                    bits |= std::uint64_t{1} << bit;
            }
            plain_unspaced_[first / 64 + word].fetch_or(bits, std::memory_order_relaxed);
        }
    }

    text::BmpTable<FoldEntry> entries_;
    std::array<std::atomic<std::uint64_t>, 1024> plain_unspaced_{};
};

constinit FoldTable fold_table;

// The well-formed two- or three-byte UTF-8 character at s[i] (not ASCII): its code point and
// length, or 0 for anything else (ill-formed bytes, surrogates, other planes).
std::uint32_t decode_bmp(const unsigned char* s, std::size_t n, std::size_t i,
                         std::size_t& length) {
    const unsigned char c = s[i];
    if (c >= 0xC2 && c <= 0xDF) {
        if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
            return 0;
        length = 2;
        return (static_cast<std::uint32_t>(c & 0x1F) << 6) | (s[i + 1] & 0x3F);
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F))
            return 0;  // overlong, or a surrogate
        length = 3;
        return (static_cast<std::uint32_t>(c & 0x0F) << 12) |
               (static_cast<std::uint32_t>(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
    }
    return 0;
}

// The one pass. Offset changes are recorded straight from normalised text to the original, as
// the reference path's two maps compose: a collapsed separator run (with any removed character
// inside or right after it) as one change, a character that folds to other bytes as another.
class FastNormaliser {
  public:
    FastNormaliser(std::string_view text, std::string& out, text::OffsetMap& map,
                   std::vector<std::uint32_t>& word_starts)
        : s_(reinterpret_cast<const unsigned char*>(text.data())),
          n_(text.size()),
          out_(out),
          map_(map),
          starts_(word_starts) {}

    // False, with the outputs undefined, when the text needs the reference path.
    bool run(std::size_t& word_count) {
        // A word starts at a character of the text at most, and the output stays within the
        // rest of the input plus what expanding characters added (see expand()), with room for
        // the 16-byte stores.
        if (starts_.size() < n_ + 16)
            starts_.resize(n_ + 16);
        out_.resize(n_ + kSlack);
        o_ = reinterpret_cast<unsigned char*>(out_.data());
        std::size_t i = 0;
        while (i < n_) {
            const std::size_t block_end = std::min(i + 16, n_);
#if defined(__SSE2__)
            if (i + 16 <= n_ && ascii_block(i))
                continue;
#endif
            // Character by character to the end of this block (or of the character that
            // crosses it).
            while (i < block_end) {
                if (s_[i] < 0x80) {
                    ascii_byte(i);
                    ++i;
                    continue;
                }
                if (const std::size_t end = unspaced_run(i); end != i) {
                    i = end;
                    continue;
                }
                std::size_t length = 0;
                const std::uint32_t cp = decode_bmp(s_, n_, i, length);
                if (cp == 0)
                    return false;
                if (!character(fold_table.entry(cp), i, length))
                    return false;
                i += length;
            }
        }
        commit_last();
        end_run();
        out_.resize(w_);
        word_count = words_;
        return true;
    }

  private:
    static constexpr std::size_t kSlack = 32;

    void word_start() {
        starts_[words_++] = static_cast<std::uint32_t>(w_);
    }

    // Three-byte characters that are their own fold and a word each (Chinese, Japanese, Thai:
    // the bulk of such text), from `i` on; returns where they end. A loop of its own, on local
    // copies of the state: stores of output bytes may alias any member, so the general path
    // reloads them after each.
    std::size_t unspaced_run(std::size_t i) {
        const unsigned char* const s = s_;
        const std::size_t n = n_;
        unsigned char* const o = o_;
        std::uint32_t* const starts = starts_.data();
        std::size_t w = w_;
        std::size_t words = words_;
        const std::size_t begin = i;
        while (i + 2 < n) {
            const unsigned char lead = s[i];
            // E1..EC and EE..EF lead no overlong form or surrogate.
            if (lead < 0xE1 || lead == 0xED || lead > 0xEF)
                break;
            std::uint16_t tail;  // the two continuation bytes, read as one
            std::memcpy(&tail, s + i + 1, 2);
            const auto second = static_cast<std::uint32_t>(s[i + 1]);
            const auto third = static_cast<std::uint32_t>(s[i + 2]);
            if ((tail & 0xC0C0u) != 0x8080u)
                break;
            const std::uint32_t cp = (static_cast<std::uint32_t>(lead & 0x0F) << 12) |
                                     ((second & 0x3F) << 6) | (third & 0x3F);
            if (!fold_table.plain_unspaced(cp)) {
                const FoldEntry& entry = fold_table.entry(cp);
                if (!entry.same || entry.kind != FoldKind::unspaced)
                    break;
            }
            if (i == begin) {
                end_run();
                commit_last();
            }
            starts[words++] = static_cast<std::uint32_t>(w);
            std::memcpy(o + w, s + i, 3);
            w += 3;
            i += 3;
        }
        if (i != begin) {
            w_ = w;
            words_ = words;
            at_boundary_ = true;
        }
        return i;
    }

    // A character that is its own fold: two or three bytes.
    void copy(std::size_t i, std::size_t length) {
        o_[w_] = s_[i];
        o_[w_ + 1] = s_[i + 1];
        if (length == 3)
            o_[w_ + 2] = s_[i + 2];
        w_ += length;
    }

    // Before emitting `length` bytes for the character at `i`, which may be more than it had:
    // keeps room for the rest of the input as it is.
    void expand(std::size_t i, std::size_t length) {
        const std::size_t needed = w_ + length + (n_ - i) + kSlack;
        if (needed > out_.size()) [[unlikely]] {
            out_.resize(std::max(needed, out_.size() * 2));
            o_ = reinterpret_cast<unsigned char*>(out_.data());
        }
    }

    void separator(std::size_t i, std::size_t length, bool line_break) {
        commit_last();
        if (!in_run_) {
            in_run_ = true;
            run_start_ = i;
            run_out_ = w_;
            o_[w_++] = line_break ? '\n' : ' ';
        } else if (line_break) {
            o_[run_out_] = '\n';
        }
        run_end_ = i + length;
        at_boundary_ = true;
    }
    void end_run() {
        if (!in_run_)
            return;
        in_run_ = false;
        if (run_end_ - run_start_ != 1)
            map_.add_change(run_out_, 1, run_start_, run_end_ - run_start_);
    }

    void ascii_byte(std::size_t i) {
        const unsigned char c = s_[i];
        const std::uint8_t kind = kSeparatorClass[c];
        if (kind != 0) {
            separator(i, 1, kind == 2);
            return;
        }
        end_run();
        commit_last();
        if (at_boundary_)
            word_start();
        at_boundary_ = false;
        o_[w_++] =
            static_cast<unsigned char>(c + ((static_cast<unsigned>(c) - 'A' < 26u) ? 32 : 0));
    }

    bool character(const FoldEntry& entry, std::size_t i, std::size_t length) {
        switch (entry.kind) {
            case FoldKind::context:
                return false;
            case FoldKind::removed:
            case FoldKind::removed_joining:
                // Offsets, as ICU's edits say them: it belongs to a separator run before it.
                // Without a boundary between it and a character before it that changed, ICU
                // folds both as one segment, and one change covers both; otherwise it is a
                // change of its own. (Only offsets inside characters could tell the difference
                // for a character that did not change.)
                if (in_run_) {
                    run_end_ = i + length;
                    return true;
                }
                if (entry.kind == FoldKind::removed_joining && last_.active &&
                    !last_.boundary_after) {
                    last_.source_length += length;
                    return true;
                }
                commit_last();
                map_.add_change(w_, 0, i, length);
                return true;
            case FoldKind::separator:
            case FoldKind::line_break:
                separator(i, length, entry.kind == FoldKind::line_break);
                return true;
            case FoldKind::unspaced:
                end_run();
                commit_last();
                word_start();
                at_boundary_ = true;
                break;
            case FoldKind::other:
                end_run();
                commit_last();
                if (at_boundary_)
                    word_start();
                at_boundary_ = false;
                break;
        }
        if (entry.same) {
            copy(i, length);
        } else {
            // Its change is recorded once it is known whether removed characters follow.
            expand(i, entry.length);
            last_ = Changed{true, entry.boundary_after, w_, entry.length, i, length};
            std::memcpy(o_ + w_, entry.bytes.data(), FoldEntry::kMaxBytes);
            w_ += entry.length;
        }
        return true;
    }

    void commit_last() {
        if (last_.active) {
            map_.add_change(last_.out, last_.out_length, last_.source, last_.source_length);
            last_.active = false;
        }
    }

#if defined(__SSE2__)
    // Sixteen ASCII bytes with no two separators in a row (counting the run before them):
    // lowered, separators replaced, word starts noted, with no per-byte branch. False, having
    // done nothing, for any other block.
    bool ascii_block(std::size_t& i) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s_ + i));
        if (_mm_movemask_epi8(v) != 0)
            return false;
        const __m128i space = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
        const __m128i dash = _mm_cmpeq_epi8(v, _mm_set1_epi8('-'));
        // '\t' '\n' '\v' '\f' '\r' are 9..13: one signed comparison after shifting 9 to -128.
        const __m128i control = _mm_cmplt_epi8(
            _mm_add_epi8(v, _mm_set1_epi8(static_cast<char>(-128 - 9))), _mm_set1_epi8(-128 + 5));
        const __m128i breaks = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
                                            _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')));
        const __m128i separators = _mm_or_si128(_mm_or_si128(space, dash), control);
        const auto sep = static_cast<unsigned>(_mm_movemask_epi8(separators));
        if ((sep & ((sep << 1) | (in_run_ ? 1u : 0u))) != 0)
            return false;  // a run of two or more: collapsing is left to the byte loop
        end_run();
        commit_last();
        const __m128i capital =
            _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(static_cast<char>(-128 - 'A'))),
                           _mm_set1_epi8(-128 + 26));
        const __m128i lowered = _mm_or_si128(v, _mm_and_si128(capital, _mm_set1_epi8(0x20)));
        const __m128i replacement = _mm_or_si128(_mm_and_si128(breaks, _mm_set1_epi8('\n')),
                                                 _mm_andnot_si128(breaks, _mm_set1_epi8(' ')));
        const __m128i result = _mm_or_si128(_mm_and_si128(separators, replacement),
                                            _mm_andnot_si128(separators, lowered));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o_ + w_), result);
        unsigned starts = ~sep & ((sep << 1) | (at_boundary_ ? 1u : 0u)) & 0xFFFFu;
        while (starts != 0) {
            starts_[words_++] = static_cast<std::uint32_t>(w_ + __builtin_ctz(starts));
            starts &= starts - 1;
        }
        w_ += 16;
        if (sep & 0x8000u) {
            in_run_ = true;
            run_start_ = i + 15;
            run_end_ = i + 16;
            run_out_ = w_ - 1;
            at_boundary_ = true;
        } else {
            at_boundary_ = false;
        }
        i += 16;
        return true;
    }
#endif

    const unsigned char* s_;
    std::size_t n_;
    std::string& out_;
    text::OffsetMap& map_;
    std::vector<std::uint32_t>& starts_;
    unsigned char* o_ = nullptr;
    std::size_t w_ = 0;
    std::size_t words_ = 0;
    bool at_boundary_ = true;  // the start of the text, after a separator or an unspaced letter
    bool in_run_ = false;      // inside a run of separators (and removed characters)
    std::size_t run_start_ = 0;
    std::size_t run_end_ = 0;
    std::size_t run_out_ = 0;
    // The character emitted last when it folded to other bytes: its change, not yet recorded.
    struct Changed {
        bool active = false;
        bool boundary_after = true;
        std::size_t out = 0;
        std::size_t out_length = 0;
        std::size_t source = 0;
        std::size_t source_length = 0;
    };
    Changed last_;
};

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
    folded_.folded_to_repaired.clear();
    folded_.repaired_to_original.clear();
    one_pass_ = FastNormaliser(original, text_, to_folded_, word_starts_).run(word_count_);
    if (!one_pass_)
        assign_reference(original);
}

void FieldText::assign_reference(std::string_view original) {
    one_pass_ = false;
    to_folded_.clear();
    sentences_built_ = false;
    text::fold_mapped(original, folded_);
    word_starts_.clear();
    collapse_and_index(folded_.text, text_, to_folded_, word_starts_);
    word_count_ = word_starts_.size();
}

std::size_t FieldText::original_offset(std::size_t offset, bool is_end) const {
    // The fast path leaves the fold maps empty: its map goes straight to the original.
    return folded_.original_offset(to_folded_.to_source(offset, is_end), is_end);
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
    const auto end = word_starts_.begin() + static_cast<std::ptrdiff_t>(word_count_);
    const auto it = std::upper_bound(word_starts_.begin(), end, offset);
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
