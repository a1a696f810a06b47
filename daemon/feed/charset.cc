#include "feed/charset.h"

#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "text/html_text.h"

namespace chuhai::feed {

namespace {

struct ConverterCloser {
    void operator()(UConverter* converter) const noexcept { ucnv_close(converter); }
};
using ConverterPtr = std::unique_ptr<UConverter, ConverterCloser>;

struct DetectorCloser {
    void operator()(UCharsetDetector* detector) const noexcept { ucsdet_close(detector); }
};
using DetectorPtr = std::unique_ptr<UCharsetDetector, DetectorCloser>;

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string trim_label(std::string_view label) {
    std::string out;
    for (char c : label) {
        if (c == '"' || c == '\'' || c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        out.push_back(c == '_' ? '-' : lower(c));
    }
    return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

bool is_utf16_or_32(std::string_view canonical) {
    return starts_with(canonical, "utf-16") || starts_with(canonical, "utf-32") ||
           canonical == "ucs-2" || canonical == "ucs-4";
}

bool has_non_ascii(std::string_view bytes) {
    std::size_t i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= bytes.size(); i += 16)
        if (_mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes.data() + i))))
            return true;
#endif
    return std::any_of(bytes.begin() + static_cast<std::ptrdiff_t>(i), bytes.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// Length of the valid UTF-8 sequence at `i`, or 0 when the bytes there are invalid.
std::size_t utf8_sequence_length(const unsigned char* s, std::size_t i, std::size_t n) {
    const unsigned char c = s[i];
    if (c < 0x80)
        return 1;
    auto cont = [&](std::size_t k) { return i + k < n && (s[i + k] & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF)
        return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2))
            return 0;
        const unsigned char c1 = s[i + 1];
        if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F))
            return 0;  // overlong, or a surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3))
            return 0;
        const unsigned char c1 = s[i + 1];
        if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))
            return 0;
        return 4;
    }
    return 0;
}

// How many bytes of an invalid sequence at `i` form one maximal subpart (Unicode's "U+FFFD
// substitution of maximal subparts"): the lead byte plus the continuation bytes that could
// still have completed it.
std::size_t invalid_subpart_length(const unsigned char* s, std::size_t i, std::size_t n) {
    const unsigned char c = s[i];
    std::size_t expected;
    unsigned char low = 0x80, high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        expected = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        expected = 3;
        if (c == 0xE0)
            low = 0xA0;
        if (c == 0xED)
            high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        expected = 4;
        if (c == 0xF0)
            low = 0x90;
        if (c == 0xF4)
            high = 0x8F;
    } else {
        return 1;
    }
    std::size_t k = 1;
    if (i + k < n && s[i + k] >= low && s[i + k] <= high) {
        ++k;
        while (k < expected && i + k < n && (s[i + k] & 0xC0) == 0x80)
            ++k;
    }
    return k;
}

// Single-byte converters substitute U+001A (SUB) for unmappable bytes; makes every
// substitution the replacement character, as multi-byte converters do, and notes whether the
// text has any.
void replace_substitutions(DecodedText& out) {
    std::string& target = out.utf8;
    for (std::size_t pos = target.find('\x1a'); pos != std::string::npos;
         pos = target.find('\x1a', pos)) {
        target.replace(pos, 1, "\xef\xbf\xbd");
        out.replaced_invalid = true;
    }
    if (target.find("\xef\xbf\xbd") != std::string::npos)
        out.replaced_invalid = true;
}

// Converts with ICU, substituting U+FFFD for what cannot be decoded. Returns false when ICU
// does not know the charset.
// What a single-byte charset makes of each byte, as UTF-8, asked of ICU once per document
// with all 256 bytes in one conversion (its offsets say which byte each output came from).
// Decoding through it gives what ICU's own conversion gives, a table lookup per byte instead
// of a trip through UTF-16.
class SingleByteTable {
  public:
    // False when the converter is not a stateless single-byte one, or a byte maps to more
    // than the table holds: ICU converts those itself.
    bool build(UConverter* converter) {
        const UConverterType type = ucnv_getType(converter);
        if (type != UCNV_SBCS && type != UCNV_LATIN_1 && type != UCNV_US_ASCII)
            return false;
        char all[256];
        for (int b = 0; b < 256; ++b)
            all[b] = static_cast<char>(b);
        UChar units[1024];
        int32_t offsets[1024];
        const char* source = all;
        UChar* target = units;
        UErrorCode status = U_ZERO_ERROR;
        ucnv_reset(converter);
        ucnv_toUnicode(converter, &target, units + 1024, &source, all + 256, offsets, true,
                       &status);
        ucnv_reset(converter);
        if (U_FAILURE(status) || source != all + 256)
            return false;
        length_.fill(0);
        for (const UChar* unit = units; unit < target; ++unit) {
            const auto byte = static_cast<std::size_t>(offsets[unit - units]);
            if (byte >= 256)
                return false;
            char32_t code_point = *unit;
            if (U16_IS_LEAD(*unit) && unit + 1 < target && U16_IS_TRAIL(unit[1]) &&
                offsets[unit + 1 - units] == offsets[unit - units]) {
                code_point = U16_GET_SUPPLEMENTARY(*unit, unit[1]);
                ++unit;
            } else if (U16_IS_SURROGATE(*unit)) {
                return false;  // ICU's UTF-8 side would treat it as an error: let it
            }
            char encoded[4];
            const std::size_t size = encode_utf8(code_point, encoded);
            if (length_[byte] + size > kMaxBytes)
                return false;  // more than one character for a byte: let ICU do it
            std::memcpy(utf8_[byte].data() + length_[byte], encoded, size);
            length_[byte] = static_cast<std::uint8_t>(length_[byte] + size);
            longest_ = std::max<std::size_t>(longest_, length_[byte]);
        }
        return true;
    }

    void decode(std::string_view bytes, std::string& out) const {
        // Each byte's entry is stored whole (kMaxBytes) and the cursor advances by its
        // length: the last store needs kMaxBytes - 1 bytes past the longest output.
        out.resize(bytes.size() * longest_ + kMaxBytes);
        char* cursor = out.data();
        for (const char c : bytes) {
            const auto byte = static_cast<unsigned char>(c);
            std::memcpy(cursor, utf8_[byte].data(), kMaxBytes);
            cursor += length_[byte];
        }
        out.resize(static_cast<std::size_t>(cursor - out.data()));
    }

  private:
    static constexpr std::size_t kMaxBytes = 4;

    static std::size_t encode_utf8(char32_t cp, char* out) {
        if (cp < 0x80) {
            out[0] = static_cast<char>(cp);
            return 1;
        }
        if (cp < 0x800) {
            out[0] = static_cast<char>(0xC0 | (cp >> 6));
            out[1] = static_cast<char>(0x80 | (cp & 0x3F));
            return 2;
        }
        if (cp < 0x10000) {
            out[0] = static_cast<char>(0xE0 | (cp >> 12));
            out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out[2] = static_cast<char>(0x80 | (cp & 0x3F));
            return 3;
        }
        out[0] = static_cast<char>(0xF0 | (cp >> 18));
        out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out[3] = static_cast<char>(0x80 | (cp & 0x3F));
        return 4;
    }

    std::array<std::array<char, kMaxBytes>, 256> utf8_{};
    std::array<std::uint8_t, 256> length_{};
    std::size_t longest_ = 0;
};

// What a double-byte Chinese charset (GB18030's two-byte part, which is GBK; Big5) makes of
// each lead and trail byte pair, as UTF-8, asked of ICU once per process (about 24,000 pairs,
// one conversion each). ICU converts these through UTF-16 at some 400 instructions a byte;
// the table does it at a few. A document is decoded through it only when it is ASCII and
// pairs the table knows, which ICU decodes the same way (both are stateless); anything else
// (four-byte GB18030, invalid or unmapped bytes) leaves the whole document to ICU.
class DoubleByteTable {
  public:
    explicit DoubleByteTable(const char* charset) {
        UErrorCode status = U_ZERO_ERROR;
        const ConverterPtr converter(ucnv_open(charset, &status));
        if (U_FAILURE(status))
            return;
        ucnv_setToUCallBack(converter.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr,
                            &status);
        if (U_FAILURE(status))
            return;
        auto decode = [&](const char* bytes, std::size_t size, UChar* units) -> int {
            const char* source = bytes;
            UChar* target = units;
            UErrorCode error = U_ZERO_ERROR;
            ucnv_reset(converter.get());
            ucnv_toUnicode(converter.get(), &target, units + 4, &source, bytes + size, nullptr,
                           true, &error);
            if (U_FAILURE(error) || source != bytes + size)
                return -1;
            return static_cast<int>(target - units);
        };
        UChar units[4];
        for (int b = 0; b < 0x80; ++b) {
            const char byte = static_cast<char>(b);
            if (decode(&byte, 1, units) != 1 || units[0] != b)
                return;  // not ASCII-compatible: ICU alone
        }
        for (int lead = kFirstLead; lead <= kLastLead; ++lead) {
            for (int trail = kFirstTrail; trail <= kLastTrail; ++trail) {
                const char pair[2] = {static_cast<char>(lead), static_cast<char>(trail)};
                const int count = decode(pair, 2, units);
                char32_t code_point;
                if (count == 1 && !U16_IS_SURROGATE(units[0]))
                    code_point = units[0];
                else if (count == 2 && U16_IS_LEAD(units[0]) && U16_IS_TRAIL(units[1]))
                    code_point = U16_GET_SUPPLEMENTARY(units[0], units[1]);
                else
                    continue;  // not a pair ICU decodes on its own: no entry
                Entry& entry = entries_[index(lead, trail)];
                std::string encoded;
                text::append_utf8(code_point, encoded);
                std::memcpy(entry.utf8, encoded.data(), encoded.size());
                entry.size = static_cast<std::uint8_t>(encoded.size());
            }
        }
        usable_ = true;
    }

    // Decodes `bytes` into `out` when every byte is ASCII or part of a pair the table knows;
    // false (with `out` unspecified) otherwise.
    bool decode(std::string_view bytes, std::string& out) const {
        if (!usable_)
            return false;
        const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
        const std::size_t n = bytes.size();
        // A pair of bytes becomes at most four: room for twice the input, and the slack each
        // four-byte store needs past the end.
        out.resize(2 * n + 16);
        char* cursor = out.data();
        std::size_t i = 0;
        while (i < n) {
#if defined(__SSE2__)
            while (i + 16 <= n) {
                const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
                const int high = _mm_movemask_epi8(v);
                _mm_storeu_si128(reinterpret_cast<__m128i*>(cursor), v);
                if (high == 0) {
                    i += 16;
                    cursor += 16;
                    continue;
                }
                const auto ascii =
                    static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(high)));
                i += ascii;
                cursor += ascii;
                break;
            }
#endif
            if (i >= n)
                break;
            const unsigned char lead = s[i];
            if (lead < 0x80) {
                *cursor++ = static_cast<char>(lead);
                ++i;
                continue;
            }
            if (lead < kFirstLead || lead > kLastLead || i + 1 >= n || s[i + 1] < kFirstTrail ||
                s[i + 1] > kLastTrail)
                return false;
            const Entry& entry = entries_[index(lead, s[i + 1])];
            if (entry.size == 0)
                return false;
            std::memcpy(cursor, entry.utf8, 4);
            cursor += entry.size;
            i += 2;
        }
        out.resize(static_cast<std::size_t>(cursor - out.data()));
        return true;
    }

  private:
    static constexpr int kFirstLead = 0x81, kLastLead = 0xFE;
    static constexpr int kFirstTrail = 0x40, kLastTrail = 0xFE;

    struct Entry {
        char utf8[4] = {};
        std::uint8_t size = 0;  // 0: no entry
    };

    static std::size_t index(int lead, int trail) {
        return static_cast<std::size_t>((lead - kFirstLead) * (kLastTrail - kFirstTrail + 1) +
                                        (trail - kFirstTrail));
    }

    std::vector<Entry> entries_ = std::vector<Entry>(
        static_cast<std::size_t>((kLastLead - kFirstLead + 1) * (kLastTrail - kFirstTrail + 1)));
    bool usable_ = false;
};

// The table of a charset that has one, built on first use (thread-safe), or null.
const DoubleByteTable* double_byte_table(const std::string& charset) {
    if (charset == "gb18030") {
        static const DoubleByteTable table("gb18030");
        return &table;
    }
    if (charset == "big5") {
        static const DoubleByteTable table("big5");
        return &table;
    }
    return nullptr;
}

bool convert_with_icu(std::string_view bytes, const std::string& charset, DecodedText& out) {
    if (const DoubleByteTable* table = double_byte_table(charset);
        table != nullptr && table->decode(bytes, out.utf8)) {
        replace_substitutions(out);  // as after ICU's conversion: U+001A and U+FFFD
        return true;
    }
    UErrorCode status = U_ZERO_ERROR;
    ConverterPtr converter(ucnv_open(charset.c_str(), &status));
    if (U_FAILURE(status) || !converter)
        return false;
    std::string& target = out.utf8;
    if (SingleByteTable table; table.build(converter.get())) {
        table.decode(bytes, target);
        replace_substitutions(out);
        return true;
    }
    target.resize(bytes.size() * 3 + 16);
    int32_t written = ucnv_toAlgorithmic(UCNV_UTF8, converter.get(), target.data(),
                                         static_cast<int32_t>(target.size()), bytes.data(),
                                         static_cast<int32_t>(bytes.size()), &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
        status = U_ZERO_ERROR;
        target.resize(static_cast<std::size_t>(written) + 16);
        ucnv_reset(converter.get());
        written = ucnv_toAlgorithmic(UCNV_UTF8, converter.get(), target.data(),
                                     static_cast<int32_t>(target.size()), bytes.data(),
                                     static_cast<int32_t>(bytes.size()), &status);
    }
    if (U_FAILURE(status))
        return false;
    target.resize(static_cast<std::size_t>(written));
    replace_substitutions(out);
    return true;
}

// UTF-16/32 without a byte-order mark, recognised by how "<?" or "<" is spelled.
std::string sniff_wide_encoding(std::string_view b) {
    auto at = [&](std::string_view pattern) {
        return b.size() >= pattern.size() && b.substr(0, pattern.size()) == pattern;
    };
    using namespace std::string_view_literals;
    if (at("\0\0\0<"sv))
        return "utf-32be";
    if (at("<\0\0\0"sv))
        return "utf-32le";
    if (at("\0<\0"sv))
        return "utf-16be";
    if (at("<\0"sv) && b.size() >= 4 && b[3] == '\0')
        return "utf-16le";
    if (at("\0{"sv))
        return "utf-16be";
    if (at("{\0"sv))
        return "utf-16le";
    return {};
}

// The media type of a Content-Type value, lower-cased, without parameters or blanks.
std::string media_type(std::string_view content_type) {
    std::string type;
    for (const char c : content_type.substr(0, content_type.find(';'))) {
        if (c != ' ' && c != '\t')
            type.push_back(lower(c));
    }
    return type;
}

// text/xml, text/xml-external-parsed-entity, text/*+xml.
bool is_text_xml(std::string_view content_type) {
    const std::string type = media_type(content_type);
    if (type.rfind("text/", 0) != 0)
        return false;
    return type == "text/xml" || type == "text/xml-external-parsed-entity" ||
           (type.size() > 4 && type.substr(type.size() - 4) == "+xml");
}

bool is_known_charset(const std::string& charset) {
    UErrorCode status = U_ZERO_ERROR;
    const ConverterPtr converter(ucnv_open(charset.c_str(), &status));
    return U_SUCCESS(status) && converter != nullptr;
}

// ICU's charset detector on a sample; "" when it is unsure.
std::string detect_with_icu_only(std::string_view bytes) {
    UErrorCode status = U_ZERO_ERROR;
    DetectorPtr detector(ucsdet_open(&status));
    if (U_FAILURE(status))
        return {};
    // The detector only needs a sample; markup is filtered so tags do not skew it.
    const std::size_t sample = std::min<std::size_t>(bytes.size(), 8 * 1024);
    ucsdet_enableInputFilter(detector.get(), true);
    ucsdet_setText(detector.get(), bytes.data(), static_cast<int32_t>(sample), &status);
    const UCharsetMatch* match = ucsdet_detect(detector.get(), &status);
    if (U_FAILURE(status) || match == nullptr)
        return {};
    const char* name = ucsdet_getName(match, &status);
    if (U_FAILURE(status) || name == nullptr || ucsdet_getConfidence(match, &status) < 10)
        return {};
    return canonical_charset(name);
}

// Whether bytes look like Thai in TIS-620 (windows-874), which ICU's detector has no
// recogniser for (it answers UTF-16, EUC-KR or a Latin charset, whatever fits worst). Thai
// vowel and tone marks (D1, D4-DA, E7-EE) follow a consonant (A1-CE); in Latin text the same
// bytes are accented letters (Ñ, Ô-Ú, ç-î) that follow ASCII letters. EUC-KR and GB2312 also
// pair bytes of that range, but always two by two: Thai words make runs of odd length too.
// Marks are a fifth of Thai's high bytes; Big5, whose ASCII trail bytes break its runs, has
// a few percent.
bool looks_like_thai(std::string_view bytes) {
    const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = std::min<std::size_t>(bytes.size(), 8 * 1024);
    auto consonant = [](unsigned char c) { return c >= 0xA1 && c <= 0xCE; };
    auto mark = [](unsigned char c) {
        return c == 0xD1 || (c >= 0xD4 && c <= 0xDA) || (c >= 0xE7 && c <= 0xEE);
    };
    std::size_t high = 0, outside = 0, marks = 0, marks_after_consonant = 0;
    std::size_t runs = 0, odd_runs = 0, run = 0;
    for (std::size_t i = 0; i <= n; ++i) {
        const unsigned char c = i < n ? s[i] : 0;
        if (c < 0x80) {
            if (run > 0) {
                ++runs;
                odd_runs += run % 2;
            }
            run = 0;
            continue;
        }
        ++run;
        ++high;
        if (c < 0xA1 || (c >= 0xDB && c <= 0xDE) || c > 0xFB)
            ++outside;  // not a TIS-620 character
        if (mark(c)) {
            ++marks;
            marks_after_consonant += i > 0 && consonant(s[i - 1]);
        }
    }
    return high >= 20 && outside * 20 <= high && marks >= 5 && marks * 10 >= high &&
           marks_after_consonant * 5 >= marks * 4 && odd_runs >= 2 && odd_runs * 5 >= runs;
}

std::string detect_with_icu(std::string_view bytes) {
    if (looks_like_thai(bytes))
        return "windows-874";
    return detect_with_icu_only(bytes);
}

// A charset other than the Unicode ones that ICU can decode.
bool is_legacy_charset(const std::string& charset) {
    return !charset.empty() && charset != "utf-8" && !is_utf16_or_32(charset) &&
           is_known_charset(charset);
}

// Whether bytes that are not valid UTF-8 are another charset rather than UTF-8 with a few bad
// bytes: the invalid sequences outnumber the valid multi-byte ones. GBK or Big5 read as UTF-8
// makes nearly every character invalid; a stray Latin-1 byte in UTF-8 text makes one. Fewer
// than eight invalid sequences (four Chinese characters) are too few to tell, and stay UTF-8
// with U+FFFD.
bool is_mostly_invalid_utf8(std::string_view bytes) {
    const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    std::size_t valid = 0, invalid = 0;
    for (std::size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            ++i;
            continue;
        }
        const std::size_t length = utf8_sequence_length(s, i, n);
        if (length != 0) {
            ++valid;
            i += length;
        } else {
            ++invalid;
            i += invalid_subpart_length(s, i, n);
        }
    }
    return invalid >= 8 && invalid > valid;
}

// Whether more than a quarter of the non-ASCII characters of valid UTF-8 are in the
// private-use area (U+E000-U+F8FF, UTF-8 EE 80 80 - EF A3 BF). Chinese text in GB18030 has next
// to none; Big5 read as GB18030 decodes "cleanly" into a third or more of them, since GBK maps
// its user-defined rows (where Big5 keeps common characters such as A4xx) to private use. Even
// random GB18030 pairs stay near 8%.
bool is_mostly_private_use(std::string_view utf8) {
    std::size_t non_ascii = 0, private_use = 0;
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c < 0xC0)
            continue;  // ASCII or a continuation byte
        ++non_ascii;
        if (i + 1 < utf8.size()) {
            const auto c1 = static_cast<unsigned char>(utf8[i + 1]);
            if (c == 0xEE || (c == 0xEF && c1 <= 0xA3))
                ++private_use;
        }
    }
    return private_use >= 3 && private_use * 4 > non_ascii;
}

// Declared GB18030 that decoded mostly into private-use characters: detection decides, and
// its answer replaces the decoding when it names another legacy charset.
void redetect_private_use(std::string_view body, DecodedText& result) {
    const std::string detected = detect_with_icu(body);
    if (detected == result.encoding || !is_legacy_charset(detected))
        return;
    DecodedText redone;
    if (!convert_with_icu(body, detected, redone))
        return;
    result.utf8 = std::move(redone.utf8);
    result.replaced_invalid = redone.replaced_invalid;
    result.note = "declared " + result.encoding +
                  " but the bytes decode to private-use characters; read as " + detected;
    result.problem = result.note;
    result.encoding = detected;
    result.source = "detected";
}

}  // namespace

std::string canonical_charset(std::string_view label) {
    const std::string name = trim_label(label);
    if (name.empty())
        return name;
    static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
        {"utf8", "utf-8"},
        {"utf-8", "utf-8"},
        {"unicode-1-1-utf-8", "utf-8"},
        {"x-unicode20utf8", "utf-8"},
        {"gb2312", "gb18030"},
        {"gbk", "gb18030"},
        {"gb18030", "gb18030"},
        {"x-gbk", "gb18030"},
        {"cp936", "gb18030"},
        {"ms936", "gb18030"},
        {"windows-936", "gb18030"},
        {"csgb2312", "gb18030"},
        {"euc-cn", "gb18030"},
        {"gb-2312-80", "gb18030"},
        {"chinese", "gb18030"},
        {"iso-ir-58", "gb18030"},
        {"hz-gb-2312", "hz-gb-2312"},
        {"big5", "big5"},
        {"big5-hkscs", "big5"},
        {"cn-big5", "big5"},
        {"x-x-big5", "big5"},
        {"csbig5", "big5"},
        {"iso-8859-1", "windows-1252"},
        {"iso8859-1", "windows-1252"},
        {"latin1", "windows-1252"},
        {"latin-1", "windows-1252"},
        {"l1", "windows-1252"},
        {"us-ascii", "windows-1252"},
        {"ascii", "windows-1252"},
        {"cp819", "windows-1252"},
        {"ibm819", "windows-1252"},
        {"iso-ir-100", "windows-1252"},
        {"windows-1252", "windows-1252"},
        {"cp1252", "windows-1252"},
        {"x-cp1252", "windows-1252"},
        {"iso-8859-1:1987", "windows-1252"},
        {"cp1251", "windows-1251"},
        {"x-cp1251", "windows-1251"},
        {"utf16", "utf-16"},
        {"utf32", "utf-32"},
        {"shift-jis", "shift_jis"},
        {"sjis", "shift_jis"},
        {"x-sjis", "shift_jis"},
        {"ms-kanji", "shift_jis"},
        {"euc-jp", "euc-jp"},
        {"euc-kr", "euc-kr"},
        {"ks-c-5601-1987", "euc-kr"},
        {"iso-8859-9", "windows-1254"},
        {"latin5", "windows-1254"},
        {"iso-8859-11", "windows-874"},
        {"tis-620", "windows-874"},
    };
    for (const auto& [alias, canonical] : kAliases)
        if (name == alias)
            return std::string(canonical);
    if (name == "shift_jis" || name == "shift-jis")
        return "shift_jis";
    return name;
}

bool is_xml_media_type(std::string_view content_type) {
    const std::string type = media_type(content_type);
    const std::size_t slash = type.find('/');
    if (slash == std::string::npos)
        return false;
    const std::string_view major = std::string_view(type).substr(0, slash);
    const std::string_view minor = std::string_view(type).substr(slash + 1);
    if (major != "application" && major != "text")
        return false;
    return minor == "xml" || minor == "xml-external-parsed-entity" ||
           (major == "application" && minor == "xml-dtd") ||
           (minor.size() > 4 && minor.substr(minor.size() - 4) == "+xml");
}

std::string charset_from_content_type(std::string_view content_type) {
    std::size_t pos = 0;
    while ((pos = content_type.find(';', pos)) != std::string_view::npos) {
        ++pos;
        while (pos < content_type.size() && (content_type[pos] == ' ' || content_type[pos] == '\t'))
            ++pos;
        std::string_view rest = content_type.substr(pos);
        if (rest.size() > 8) {
            std::string key;
            for (std::size_t i = 0; i < 7; ++i)
                key.push_back(lower(rest[i]));
            if (key == "charset") {
                std::size_t i = 7;
                while (i < rest.size() && rest[i] == ' ')
                    ++i;
                if (i < rest.size() && rest[i] == '=') {
                    rest.remove_prefix(i + 1);
                    const std::size_t end = rest.find(';');
                    return trim_label(rest.substr(0, end));
                }
            }
        }
    }
    return {};
}

std::string charset_from_xml_declaration(std::string_view bytes) {
    if (!starts_with(bytes, "<?xml"))
        return {};
    const std::size_t close = bytes.find("?>");
    if (close == std::string_view::npos || close > 512)
        return {};
    const std::string_view declaration = bytes.substr(0, close);
    const std::size_t key = declaration.find("encoding");
    if (key == std::string_view::npos)
        return {};
    std::size_t i = key + 8;
    while (i < declaration.size() && (declaration[i] == ' ' || declaration[i] == '='))
        ++i;
    if (i >= declaration.size() || (declaration[i] != '"' && declaration[i] != '\''))
        return {};
    const char quote = declaration[i];
    const std::size_t end = declaration.find(quote, i + 1);
    if (end == std::string_view::npos)
        return {};
    return trim_label(declaration.substr(i + 1, end - i - 1));
}

namespace {

// Checks whole UTF-8 sequences from `i` until at least `stop` (or the end); returns where it
// stopped, or npos at the first ill-formed sequence.
std::size_t check_utf8(const unsigned char* s, std::size_t i, std::size_t stop, std::size_t n) {
    while (i < stop) {
        // ASCII runs are the common case: check sixteen (SSE2) or eight bytes at a time.
#if defined(__SSE2__)
        while (i + 16 <= stop &&
               _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))) == 0)
            i += 16;
#endif
        while (i + 8 <= stop) {
            std::uint64_t word;
            std::memcpy(&word, s + i, 8);
            if (word & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= stop)
            break;
        const std::size_t length = utf8_sequence_length(s, i, n);
        if (length == 0)
            return std::string_view::npos;
        i += length;
    }
    return i;
}

// Copies `bytes` to `out` when they are valid UTF-8, in one pass over memory: each block is
// checked, then copied while it is still in the cache. False (with `out` unspecified) at the
// first ill-formed sequence.
bool copy_if_valid_utf8(std::string_view bytes, std::string& out) {
    constexpr std::size_t kBlock = 16 * 1024;
    const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    out.clear();
    out.reserve(n);
    for (std::size_t i = 0; i < n;) {
        const std::size_t end = check_utf8(s, i, std::min(n, i + kBlock), n);
        if (end == std::string_view::npos)
            return false;
        out.append(bytes.data() + i, end - i);
        i = end;
    }
    return true;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
    const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    return check_utf8(s, 0, bytes.size(), bytes.size()) != std::string_view::npos;
}

namespace {

// The byte windows-1252 encodes `code_point` as (Latin-1 for U+0000-U+00FF, which includes
// the C1 controls feedparser's Latin-1 pass accepts), or -1.
int windows_1252_byte(char32_t code_point) {
    if (code_point <= 0xFF)
        return static_cast<int>(code_point);
    static constexpr std::pair<char32_t, unsigned char> kExtensions[] = {
        {0x20AC, 0x80}, {0x201A, 0x82}, {0x0192, 0x83}, {0x201E, 0x84}, {0x2026, 0x85},
        {0x2020, 0x86}, {0x2021, 0x87}, {0x02C6, 0x88}, {0x2030, 0x89}, {0x0160, 0x8A},
        {0x2039, 0x8B}, {0x0152, 0x8C}, {0x017D, 0x8E}, {0x2018, 0x91}, {0x2019, 0x92},
        {0x201C, 0x93}, {0x201D, 0x94}, {0x2022, 0x95}, {0x2013, 0x96}, {0x2014, 0x97},
        {0x02DC, 0x98}, {0x2122, 0x99}, {0x0161, 0x9A}, {0x203A, 0x9B}, {0x0153, 0x9C},
        {0x017E, 0x9E}, {0x0178, 0x9F}};
    for (const auto& [from, byte] : kExtensions)
        if (from == code_point)
            return byte;
    return -1;
}

}  // namespace

bool undo_double_encoding(std::string& text, std::size_t from) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    if (from >= n)
        return false;
    // The first non-ASCII character of such text starts a UTF-8 sequence, so it is one of
    // U+00C2-U+00F4, whose UTF-8 starts with 0xC3: text without that byte is left at once
    // (memchr is the fastest scan at hand).
    if (std::memchr(s + from, 0xC3, n - from) == nullptr)
        return false;
    std::size_t i = from;
#if defined(__SSE2__)
    while (i + 16 <= n &&
           _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))) == 0)
        i += 16;
#endif
    while (i < n && s[i] < 0x80)
        ++i;
    if (s[i] != 0xC3)
        return false;
    // Re-encode as windows-1252 while checking, byte by byte, that the result is UTF-8: the
    // first byte that cannot continue a sequence ends it (for ordinary text, the first
    // accented letter or curly quote).
    std::string bytes(text, from, i - from);
    bytes.reserve(n - from);
    std::size_t pending = 0;  // continuation bytes the sequence being rebuilt still needs
    unsigned char low = 0x80, high = 0xBF;
    bool non_ascii = false;
    while (i < n) {
        const std::size_t length = utf8_sequence_length(s, i, n);
        if (length == 0)
            return false;
        char32_t code_point = s[i];
        if (length > 1) {
            code_point = s[i] & (0xFF >> (length + 1));
            for (std::size_t k = 1; k < length; ++k)
                code_point = (code_point << 6) | (s[i + k] & 0x3F);
        }
        i += length;
        const int mapped = windows_1252_byte(code_point);
        if (mapped < 0)
            return false;
        const auto byte = static_cast<unsigned char>(mapped);
        if (pending > 0) {
            if (byte < low || byte > high)
                return false;
            low = 0x80;
            high = 0xBF;
            --pending;
        } else if (byte >= 0x80) {
            if (byte >= 0xC2 && byte <= 0xDF) {
                pending = 1;
            } else if (byte >= 0xE0 && byte <= 0xEF) {
                pending = 2;
                low = byte == 0xE0 ? 0xA0 : 0x80;
                high = byte == 0xED ? 0x9F : 0xBF;
            } else if (byte >= 0xF0 && byte <= 0xF4) {
                pending = 3;
                low = byte == 0xF0 ? 0x90 : 0x80;
                high = byte == 0xF4 ? 0x8F : 0xBF;
            } else {
                return false;
            }
            non_ascii = true;
        }
        bytes.push_back(static_cast<char>(byte));
    }
    if (pending > 0 || !non_ascii)
        return false;
    text.replace(from, std::string::npos, bytes);
    return true;
}

std::size_t repair_utf8(std::string_view bytes, std::string& out) {
    const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    std::size_t replaced = 0;
    std::size_t run_start = 0;
    std::size_t i = 0;
    out.reserve(out.size() + n);
    while (i < n) {
        const std::size_t length = utf8_sequence_length(s, i, n);
        if (length != 0) {
            i += length;
            continue;
        }
        out.append(bytes.substr(run_start, i - run_start));
        out.append("\xef\xbf\xbd");
        ++replaced;
        i += invalid_subpart_length(s, i, n);
        run_start = i;
    }
    out.append(bytes.substr(run_start));
    return replaced;
}

DecodedText decode_to_utf8(std::string_view bytes, std::string_view content_type) {
    DecodedText result;
    std::string charset;
    std::string label;  // the declared label, before canonical_charset()
    std::string_view body = bytes;
    using namespace std::string_view_literals;
    // 1. Byte-order mark.
    if (starts_with(body, "\xef\xbb\xbf"sv)) {
        charset = "utf-8";
        body.remove_prefix(3);
    } else if (starts_with(body, "\x00\x00\xfe\xff"sv)) {
        charset = "utf-32be";
        body.remove_prefix(4);
    } else if (starts_with(body, "\xff\xfe\x00\x00"sv)) {
        charset = "utf-32le";
        body.remove_prefix(4);
    } else if (starts_with(body, "\xfe\xff"sv)) {
        charset = "utf-16be";
        body.remove_prefix(2);
    } else if (starts_with(body, "\xff\xfe"sv)) {
        charset = "utf-16le";
        body.remove_prefix(2);
    }
    if (!charset.empty())
        result.source = "bom";
    // 2. HTTP, 3. the XML declaration (read through the wide encodings too).
    if (charset.empty()) {
        label = charset_from_content_type(content_type);
        charset = canonical_charset(label);
        if (!charset.empty())
            result.source = "http";
    }
    const std::string wide = sniff_wide_encoding(body);
    if (charset.empty() && wide.empty() && charset_from_xml_declaration(body).empty() &&
        is_text_xml(content_type)) {
        // RFC 3023: text/xml without a charset is US-ASCII (read as windows-1252; bytes that
        // are UTF-8 still win below).
        charset = canonical_charset("us-ascii");
        result.source = "http";
    }
    if (charset.empty()) {
        if (wide.empty()) {
            label = charset_from_xml_declaration(body);
            charset = canonical_charset(label);
        } else {
            // The declaration of a wide document names its own width; the sniffed byte order
            // is what counts.
            charset = wide;
        }
        if (!charset.empty())
            result.source = wide.empty() ? "xml" : "detected";
    }
    // A declared UTF-16 that the bytes contradict (ASCII-compatible markup) is a mislabel.
    if (is_utf16_or_32(charset) && wide.empty() && result.source != "bom") {
        result.note = "declared " + charset + " but the bytes are ASCII-compatible";
        result.problem = result.note;
        charset.clear();
    }
    if (charset == "utf-16" || charset == "utf-32")
        charset = wide.empty() ? charset + "be" : wide;
    // A declared legacy charset loses to bytes that are UTF-8 with non-ASCII text.
    // Whether the body is valid UTF-8, once known (the check reads every byte).
    std::optional<bool> valid_utf8;
    auto is_utf8 = [&] {
        if (!valid_utf8)
            valid_utf8 = is_valid_utf8(body);
        return *valid_utf8;
    };
    if (!charset.empty() && charset != "utf-8" && !is_utf16_or_32(charset) &&
        result.source != "bom" && has_non_ascii(body) && is_utf8()) {
        result.note = "declared " + charset + " but the bytes are valid UTF-8";
        if (!is_known_charset(charset))
            result.problem = "unknown charset '" + charset + "'";
        charset = "utf-8";
        result.source = "detected";
    }
    // A declared UTF-8 that the bytes contradict. A few bad bytes in UTF-8 text are repaired
    // below, but bytes mostly invalid as UTF-8 are another charset: Chinese servers label GBK
    // as UTF-8 as often as the other way round. The declaration wins when HTTP said UTF-8 and
    // it names a legacy charset, else detection decides.
    if (charset == "utf-8" && result.source != "bom" && has_non_ascii(body) && !is_utf8() &&
        is_mostly_invalid_utf8(body)) {
        std::string other;
        std::string decided_by = "xml";
        if (result.source == "http")
            other = canonical_charset(charset_from_xml_declaration(body));
        if (!is_legacy_charset(other)) {
            other = detect_with_icu(body);
            decided_by = "detected";
        }
        if (is_legacy_charset(other)) {
            result.note = "declared utf-8 but the bytes are not UTF-8; read as " + other;
            result.problem = result.note;
            result.source = decided_by;
            charset = other;
        }
    }
    // 4. Detection.
    if (charset.empty()) {
        if (is_utf8()) {
            charset = "utf-8";
            result.source = has_non_ascii(body) ? "detected" : "default";
        } else {
            charset = detect_with_icu(body);
            if (charset.empty() || is_utf16_or_32(charset))
                charset = "windows-1252";
            result.source = "detected";
            if (result.problem.empty())
                result.problem =
                    "no charset declared and the bytes are not UTF-8; read as " + charset;
        }
    }
    // RFC 3023: text/* without a charset is US-ASCII, whatever the document declares.
    if (result.problem.empty() && result.source != "bom" &&
        media_type(content_type).rfind("text/", 0) == 0 &&
        charset_from_content_type(content_type).empty() && has_non_ascii(body))
        result.problem = "served as " + media_type(content_type) +
                         " without a charset (US-ASCII, RFC 3023) but the bytes are not ASCII; "
                         "read as " +
                         charset;
    if (charset == "utf-8") {
        result.encoding = "utf-8";
        bool valid;
        if (valid_utf8) {  // checked already: copy
            valid = *valid_utf8;
            if (valid)
                result.utf8.assign(body);
        } else {
            valid = copy_if_valid_utf8(body, result.utf8);
        }
        if (!valid) {
            result.utf8.clear();
            result.replaced_invalid = repair_utf8(body, result.utf8) > 0;
        }
        return result;
    }
    if (convert_with_icu(body, charset, result)) {
        result.encoding = charset;
        // Big5 is mislabelled GB2312 or GBK; a GB18030 label is deliberate (GB18030 maps
        // its user-defined rows to private use on purpose).
        if (charset == "gb18030" && result.source != "detected" && trim_label(label) != "gb18030" &&
            is_mostly_private_use(result.utf8))
            redetect_private_use(body, result);
        return result;
    }
    // A label nobody knows: fall back to what the bytes look like.
    result.note = "unknown charset '" + charset + "'";
    result.problem = result.note;
    result.utf8.clear();
    if (is_valid_utf8(body)) {
        result.encoding = "utf-8";
        result.utf8.assign(body);
    } else {
        std::string detected = detect_with_icu(body);
        if (detected.empty() || is_utf16_or_32(detected) || detected == "utf-8")
            detected = "windows-1252";
        result.replaced_invalid = false;
        if (!convert_with_icu(body, detected, result)) {
            result.utf8.clear();
            result.replaced_invalid = repair_utf8(body, result.utf8) > 0;
            detected = "utf-8";
        }
        result.encoding = detected;
    }
    result.source = "detected";
    return result;
}

}  // namespace chuhai::feed
