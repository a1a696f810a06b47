#include "feed/fingerprint.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "text/normalize.h"

namespace chuhai::feed::detail {

namespace {

const icu::Normalizer2* nfkc_casefold() {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* folding = icu::Normalizer2::getNFKCCasefoldInstance(status);
    return U_SUCCESS(status) ? folding : nullptr;
}

bool compute_fold_stable(const icu::Normalizer2& folding, char32_t code_point) {
    const auto c = static_cast<UChar32>(code_point);
    if (c >= 0xD800 && c <= 0xDFFF)
        return false;
    if (!folding.hasBoundaryBefore(c))
        return false;
    if (folding.isInert(c))
        return true;
    // With a boundary before it, a character folds alone: whatever precedes it cannot change
    // it, and it cannot change what precedes it. So "unchanged alone" is "unchanged anywhere"
    // (the next character, having a boundary before it too, cannot combine with it either).
    UErrorCode status = U_ZERO_ERROR;
    const bool normalized = folding.isNormalized(icu::UnicodeString(c), status);
    return U_SUCCESS(status) && normalized;
}

// Which Basic Multilingual Plane characters are fold-stable, asked of ICU once per block of
// 256 the first time text uses one. Threads may fill a block at the same time: they store the
// same bits, and a block is read only after its ready flag (release/acquire).
class FoldStableTable {
  public:
    constexpr FoldStableTable() = default;

    bool stable(char32_t code_point) {
        if (code_point > 0xFFFF)
            return false;
        const std::size_t block = code_point >> 8;
        if (ready_[block].load(std::memory_order_acquire) == 0)
            fill(block);
        return (bits_[code_point >> 6].load(std::memory_order_relaxed) >> (code_point & 63)) & 1;
    }

  private:
    void fill(std::size_t block) {
        const icu::Normalizer2* folding = nfkc_casefold();
        for (std::size_t word = block * 4; word < block * 4 + 4; ++word) {
            std::uint64_t bits = 0;
            for (unsigned bit = 0; bit < 64 && folding != nullptr; ++bit)
                if (compute_fold_stable(*folding, static_cast<char32_t>(word * 64 + bit)))
                    bits |= std::uint64_t{1} << bit;
            bits_[word].store(bits, std::memory_order_relaxed);
        }
        ready_[block].store(1, std::memory_order_release);
    }

    std::array<std::atomic<std::uint64_t>, 1024> bits_{};
    std::array<std::atomic<std::uint8_t>, 256> ready_{};
};

constinit FoldStableTable fold_stable_table;

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

// Whether every non-ASCII character of `text` is well-formed UTF-8 for a fold-stable BMP
// character. Anything else (including ill-formed bytes) answers false: ICU decides.
bool all_fold_stable(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        char32_t code_point;
        if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
                return false;
            code_point = (static_cast<char32_t>(c & 0x1F) << 6) | (s[i + 1] & 0x3F);
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80)
                return false;
            if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F))
                return false;  // overlong, or a surrogate
            code_point = (static_cast<char32_t>(c & 0x0F) << 12) |
                         (static_cast<char32_t>(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
            i += 3;
        } else {
            return false;
        }
        if (!fold_stable_table.stable(code_point))
            return false;
    }
    return true;
}

}  // namespace

bool is_fold_stable(char32_t code_point) {
    return fold_stable_table.stable(code_point);
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
    if (ascii || all_fold_stable(lowered))
        return lowered;
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
