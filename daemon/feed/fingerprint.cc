#include "feed/fingerprint.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "text/bmp_table.h"
#include "text/normalize.h"

namespace chuhai::feed::detail {

namespace {

const icu::Normalizer2* nfkc_casefold() {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* folding = icu::Normalizer2::getNFKCCasefoldInstance(status);
    return U_SUCCESS(status) ? folding : nullptr;
}

// How a Basic Multilingual Plane character folds wherever it stands, if that can be said of
// it alone: when it has a normalization boundary before it, nothing before it can combine
// with it or change it, and it cannot change what precedes it; so text made of such
// characters folds character by character, each to what it folds to alone.
struct FoldMapping {
    static constexpr std::uint8_t kNeedsContext = 0xFF;  // only ICU on the whole text can tell
    static constexpr std::size_t kMaxBytes = 8;

    std::uint8_t length = kNeedsContext;
    std::array<char, kMaxBytes> utf8{};
};

FoldMapping compute_fold_mapping(const icu::Normalizer2& folding, char32_t code_point) {
    FoldMapping mapping;
    const auto c = static_cast<UChar32>(code_point);
    if ((c >= 0xD800 && c <= 0xDFFF) || !folding.hasBoundaryBefore(c))
        return mapping;
    if (folding.isInert(c)) {  // most of the plane: itself
        const std::size_t length = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        if (length == 1) {
            mapping.utf8[0] = static_cast<char>(c);
        } else if (length == 2) {
            mapping.utf8[0] = static_cast<char>(0xC0 | (c >> 6));
            mapping.utf8[1] = static_cast<char>(0x80 | (c & 0x3F));
        } else {
            mapping.utf8[0] = static_cast<char>(0xE0 | (c >> 12));
            mapping.utf8[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            mapping.utf8[2] = static_cast<char>(0x80 | (c & 0x3F));
        }
        mapping.length = static_cast<std::uint8_t>(length);
        return mapping;
    }
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString folded = folding.normalize(icu::UnicodeString(c), status);
    if (U_FAILURE(status))
        return mapping;
    std::string utf8;
    folded.toUTF8String(utf8);
    if (utf8.size() > FoldMapping::kMaxBytes)
        return mapping;
    std::memcpy(mapping.utf8.data(), utf8.data(), utf8.size());
    mapping.length = static_cast<std::uint8_t>(utf8.size());
    return mapping;
}

// The mappings, asked of ICU once per block of 256 characters the first time text uses one
// (text/bmp_table.h).
class FoldTable {
  public:
    // nullptr for characters outside the plane.
    const FoldMapping* mapping(char32_t code_point) {
        if (code_point > 0xFFFF)
            return nullptr;
        return &mappings_.entry(
            static_cast<std::uint32_t>(code_point), [](std::uint32_t first, auto& block) {
                const icu::Normalizer2* folding = nfkc_casefold();
                if (folding == nullptr)
                    return;
                for (std::uint32_t i = 0; i < 256; ++i)
                    block[i] = compute_fold_mapping(*folding, static_cast<char32_t>(first + i));
            });
    }

  private:
    text::BmpTable<FoldMapping> mappings_;
};

constinit FoldTable fold_table;

// Copies `text` to `out` with A-Z lowered; returns whether every byte is ASCII.
bool copy_lowered(std::string_view text, char* out) {
    const char* in = text.data();
    const std::size_t n = text.size();
    std::size_t i = 0;
    unsigned char high = 0;
#if defined(__SSE2__)
    // 'A'..'Z' is one signed comparison after shifting 'A' to -128.
    const __m128i shift = _mm_set1_epi8(static_cast<char>(-128 - 'A'));
    const __m128i limit = _mm_set1_epi8(static_cast<char>(-128 + 26));
    const __m128i case_bit = _mm_set1_epi8(0x20);
    __m128i any_high = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
        const __m128i capital = _mm_cmplt_epi8(_mm_add_epi8(v, shift), limit);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                         _mm_or_si128(v, _mm_and_si128(capital, case_bit)));
        any_high = _mm_or_si128(any_high, v);
    }
    if (_mm_movemask_epi8(any_high) != 0)
        high = 0x80;
#endif
    for (; i < n; ++i) {
        const auto c = static_cast<unsigned char>(in[i]);
        out[i] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        high |= c;
    }
    return (high & 0x80) == 0;
}

// Decodes the well-formed UTF-8 of a Basic Multilingual Plane character at `s[i]` (which is
// not ASCII) and advances `i`; nullopt for anything else (ill-formed bytes, other planes).
std::optional<char32_t> next_bmp_character(const unsigned char* s, std::size_t n, std::size_t& i) {
    const unsigned char c = s[i];
    if (c >= 0xC2 && c <= 0xDF) {
        if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
            return std::nullopt;
        const char32_t code_point = (static_cast<char32_t>(c & 0x1F) << 6) | (s[i + 1] & 0x3F);
        i += 2;
        return code_point;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80)
            return std::nullopt;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F))
            return std::nullopt;  // overlong, or a surrogate
        const char32_t code_point = (static_cast<char32_t>(c & 0x0F) << 12) |
                                    (static_cast<char32_t>(s[i + 1] & 0x3F) << 6) |
                                    (s[i + 2] & 0x3F);
        i += 3;
        return code_point;
    }
    return std::nullopt;
}

// The first byte at or after `i` that is not ASCII, or `n`.
std::size_t next_non_ascii(const unsigned char* s, std::size_t n, std::size_t i) {
#if defined(__SSE2__)
    while (i + 16 <= n) {
        const int mask =
            _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)));
        if (mask != 0)
            return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
        i += 16;
    }
#endif
    while (i < n && s[i] < 0x80)
        ++i;
    return i;
}

// Folds lowered text character by character through the table into `out`; false when a
// character's fold depends on its neighbours (or the text is not plain BMP UTF-8): then
// ICU must fold the whole text.
bool fold_by_character(std::string_view lowered, std::string& out) {
    const auto* s = reinterpret_cast<const unsigned char*>(lowered.data());
    const std::size_t n = lowered.size();
    // First only look: most texts (typographic quotes, accented lower-case letters, CJK) are
    // folded already and need no copy.
    bool changes = false;
    for (std::size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            i = next_non_ascii(s, n, i + 1);
            continue;
        }
        const std::size_t start = i;
        const std::optional<char32_t> code_point = next_bmp_character(s, n, i);
        if (!code_point)
            return false;
        const FoldMapping* mapping = fold_table.mapping(*code_point);
        if (mapping->length == FoldMapping::kNeedsContext)
            return false;
        changes = changes || mapping->length != i - start ||
                  std::memcmp(mapping->utf8.data(), s + start, i - start) != 0;
    }
    out.clear();
    if (!changes)
        return true;
    out.reserve(n + n / 2);
    for (std::size_t i = 0; i < n;) {
        const std::size_t run = next_non_ascii(s, n, i);
        out.append(lowered.substr(i, run - i));
        if (run == n)
            break;
        i = run;
        const FoldMapping* mapping = fold_table.mapping(*next_bmp_character(s, n, i));
        out.append(mapping->utf8.data(), mapping->length);
    }
    return true;
}

}  // namespace

bool is_fold_stable(char32_t code_point) {
    const FoldMapping* mapping = fold_table.mapping(code_point);
    if (mapping == nullptr || mapping->length == FoldMapping::kNeedsContext)
        return false;
    std::string utf8;
    icu::UnicodeString(static_cast<UChar32>(code_point)).toUTF8String(utf8);
    return std::string_view(mapping->utf8.data(), mapping->length) == utf8;
}

std::optional<std::string_view> fold_alone(char32_t code_point) {
    const FoldMapping* mapping = fold_table.mapping(code_point);
    if (mapping == nullptr || mapping->length == FoldMapping::kNeedsContext)
        return std::nullopt;
    return std::string_view(mapping->utf8.data(), mapping->length);
}

std::string_view fold_for_fingerprint(std::string_view first, const std::string_view* second,
                                      std::string& buffer) {
    constexpr std::size_t kPadding = 16;
    const std::size_t size = first.size() + (second != nullptr ? 1 + second->size() : 0);
    buffer.resize(size + kPadding);
    // ASCII capitals fold to their lower case whatever follows them, so lowering them first
    // changes nothing in the result and often leaves nothing else to fold.
    bool ascii = copy_lowered(first, buffer.data());
    if (second != nullptr) {
        buffer[first.size()] = '\n';
        ascii = copy_lowered(*second, buffer.data() + first.size() + 1) && ascii;
    }
    std::memset(buffer.data() + size, 0, kPadding);
    const std::string_view lowered(buffer.data(), size);
    if (ascii)
        return lowered;
    std::string folded;
    if (fold_by_character(lowered, folded)) {
        if (folded.empty())
            return lowered;  // nothing to change
        const std::size_t folded_size = folded.size();
        buffer = std::move(folded);
        buffer.append(kPadding, '\0');
        return std::string_view(buffer.data(), folded_size);
    }
    // ICU can tell from the UTF-8 itself (without converting it) that text such as Chinese
    // with typographic quotes is already folded; else it folds.
    const icu::Normalizer2* folding = nfkc_casefold();
    UErrorCode status = U_ZERO_ERROR;
    if (folding != nullptr &&
        folding->isNormalizedUTF8(icu::StringPiece(lowered.data(), static_cast<int32_t>(size)),
                                  status) &&
        U_SUCCESS(status))
        return lowered;
    buffer = text::fold(lowered);
    const std::size_t folded_size = buffer.size();
    buffer.append(kPadding, '\0');
    return std::string_view(buffer.data(), folded_size);
}

}  // namespace chuhai::feed::detail
