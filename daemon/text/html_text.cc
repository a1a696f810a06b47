#include "text/html_text.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace chuhai::text {

namespace {

struct NamedReference {
    std::string_view name;
    std::string_view value;
};

constexpr NamedReference kNamedReferences[] = {
#include "text/html_entities.inc"
};

// The longest legacy reference without ';' ("middot", "plusmn", ...).
constexpr std::size_t kLongestLegacyName = 6;
constexpr std::size_t kLongestName = 32;

// HTML5 maps these numeric references (0x80-0x9F) to windows-1252 characters.
constexpr char32_t kWindows1252High[32] = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

bool is_ascii_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_ascii_alnum(char c) {
    return is_ascii_alpha(c) || (c >= '0' && c <= '9');
}
bool is_html_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Byte classes for the text loop: everything else is copied in runs.
enum : unsigned char { kPlain = 0, kSpace, kMarkup, kReference, kMaybeNbsp };

constexpr std::array<unsigned char, 256> make_classes() {
    std::array<unsigned char, 256> classes{};
    classes[' '] = kSpace;
    classes['\t'] = kSpace;
    classes['\n'] = kSpace;
    classes['\r'] = kSpace;
    classes['\f'] = kSpace;
    classes['<'] = kMarkup;
    classes['&'] = kReference;
    classes[0xC2] = kMaybeNbsp;  // U+00A0 is C2 A0
    return classes;
}
constexpr std::array<unsigned char, 256> kClasses = make_classes();

// Writes words and separators straight into a buffer sized in advance (see
// append_html_text); never writes leading, trailing or doubled whitespace.
class TextSink {
  public:
    TextSink(char* cursor, bool had_text_before)
        : cursor_(cursor), wrote_(had_text_before), pending_(had_text_before ? kSpace : kNone) {}

    void space() {
        if (pending_ == kNone)
            pending_ = kSpace;
    }
    void line_break() { pending_ = kLine; }

    void put(const char* data, std::size_t size) {
        flush();
        std::memcpy(cursor_, data, size);
        cursor_ += size;
    }
    void put(std::string_view text) { put(text.data(), text.size()); }
    void put(char c) {
        flush();
        *cursor_++ = c;
    }
    char* cursor() const { return cursor_; }

  private:
    enum Separator : char { kNone = 0, kSpace = ' ', kLine = '\n' };

    void flush() {
        if (pending_ != kNone && wrote_)
            *cursor_++ = first_ ? ' ' : static_cast<char>(pending_);  // joined by a space
        pending_ = kNone;
        wrote_ = true;
        first_ = false;
    }

    char* cursor_;
    bool wrote_;
    Separator pending_;
    bool first_ = true;
};

bool is_whitespace_value(std::string_view value) {
    return value == " " || value == "\t" || value == "\n" || value == "\r" || value == "\f" ||
           value == "\xc2\xa0";
}

// Tag names are compared lower-cased, from a small buffer; longer names are never special.
struct TagName {
    char chars[16];
    std::size_t size = 0;
    std::string_view view() const { return {chars, size}; }
};

// A tag name of up to eight bytes as one number, so that names compare as integers.
constexpr std::uint64_t packed_name(std::string_view name) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < name.size() && i < 8; ++i)
        value |= static_cast<std::uint64_t>(static_cast<unsigned char>(name[i])) << (8 * i);
    return value;
}

template <std::size_t N>
bool packed_one_of(std::uint64_t name, const std::uint64_t (&names)[N]) {
    for (const std::uint64_t candidate : names)
        if (name == candidate)
            return true;
    return false;
}

bool is_block_element(std::string_view name) {
    static constexpr std::uint64_t kTwo[] = {
        packed_name("br"), packed_name("dd"), packed_name("dl"), packed_name("dt"),
        packed_name("h1"), packed_name("h2"), packed_name("h3"), packed_name("h4"),
        packed_name("h5"), packed_name("h6"), packed_name("hr"), packed_name("li"),
        packed_name("ol"), packed_name("td"), packed_name("th"), packed_name("tr"),
        packed_name("ul")};
    static constexpr std::uint64_t kThree[] = {packed_name("div"), packed_name("nav"),
                                               packed_name("pre")};
    static constexpr std::uint64_t kFour[] = {packed_name("form"), packed_name("main"),
                                              packed_name("menu")};
    static constexpr std::uint64_t kFive[] = {packed_name("aside"), packed_name("table"),
                                              packed_name("tbody"), packed_name("tfoot"),
                                              packed_name("thead")};
    static constexpr std::uint64_t kSix[] = {packed_name("dialog"), packed_name("figure"),
                                             packed_name("footer"), packed_name("header"),
                                             packed_name("hgroup"), packed_name("legend")};
    static constexpr std::uint64_t kSeven[] = {packed_name("address"), packed_name("article"),
                                               packed_name("caption"), packed_name("details"),
                                               packed_name("section"), packed_name("summary")};
    const std::uint64_t packed = packed_name(name);
    switch (name.size()) {
        case 1:
            return packed == packed_name("p");
        case 2:
            return packed_one_of(packed, kTwo);
        case 3:
            return packed_one_of(packed, kThree);
        case 4:
            return packed_one_of(packed, kFour);
        case 5:
            return packed_one_of(packed, kFive);
        case 6:
            return packed_one_of(packed, kSix);
        case 7:
            return packed_one_of(packed, kSeven);
        case 8:
            return packed == packed_name("fieldset");
        case 10:
            return name == "blockquote" || name == "figcaption";
        default:
            return false;
    }
}

// Elements whose contents are not text for a reader: dropped with the element.
bool is_dropped_element(std::string_view name) {
    static constexpr std::uint64_t kNames[] = {packed_name("script"),   packed_name("style"),
                                               packed_name("template"), packed_name("iframe"),
                                               packed_name("noembed"),  packed_name("noframes")};
    return name.size() >= 5 && name.size() <= 8 && packed_one_of(packed_name(name), kNames);
}

// Finds `</name` (case-insensitive) followed by a space, '/' or '>' from `from`; returns the
// position of the '<', or npos.
std::size_t find_end_tag(std::string_view html, std::size_t from, std::string_view name) {
    while (true) {
        const std::size_t lt = html.find("</", from);
        if (lt == std::string_view::npos)
            return lt;
        std::size_t i = lt + 2;
        std::size_t k = 0;
        while (k < name.size() && i < html.size() && ascii_lower(html[i]) == name[k]) {
            ++i;
            ++k;
        }
        if (k == name.size() &&
            (i == html.size() || is_html_space(html[i]) || html[i] == '/' || html[i] == '>'))
            return lt;
        from = lt + 2;
    }
}

// The first '>' or '=' at or after `i`, or the end.
std::size_t find_tag_end_or_equals(std::string_view html, std::size_t i) {
    const std::size_t n = html.size();
#if defined(__SSE2__)
    const __m128i greater = _mm_set1_epi8('>');
    const __m128i equals = _mm_set1_epi8('=');
    while (i + 16 <= n) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(html.data() + i));
        const int mask =
            _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, greater), _mm_cmpeq_epi8(v, equals)));
        if (mask != 0)
            return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
        i += 16;
    }
#endif
    while (i < n && html[i] != '>' && html[i] != '=')
        ++i;
    return i;
}

// Skips a start tag's attributes; returns the position after its '>' (or the end). Quotes
// only count after '=', as in the HTML tokenizer.
std::size_t skip_attributes(std::string_view html, std::size_t i) {
    const std::size_t n = html.size();
    while (i < n) {
        i = find_tag_end_or_equals(html, i);
        if (i >= n)
            break;
        if (html[i] == '>')
            return i + 1;
        // '=': a value, quoted or not.
        ++i;
        while (i < n && is_html_space(html[i]))
            ++i;
        if (i < n && (html[i] == '"' || html[i] == '\'')) {
            const std::size_t close = html.find(html[i], i + 1);
            if (close == std::string_view::npos)
                return n;
            i = close + 1;
        }
    }
    return n;
}

#if defined(__SSE2__)
// Bytes that end a run of text: '<', '&', 0xC2 (maybe U+00A0) and controls (whitespace other
// than the space).
inline __m128i stops_in(__m128i v) {
    const __m128i controls =
        _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
    return _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')), _mm_cmpeq_epi8(v, _mm_set1_epi8('&'))),
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xC2))), controls));
}
#endif

// Where a run of text that started before `j` ends: at a byte that is not plain text, or at a
// space that is not a single space between two plain bytes. Sixteen bytes at a time where SSE2
// is available; the caller finishes the last bytes one at a time.
std::size_t end_of_run(std::string_view html, std::size_t j) {
#if defined(__SSE2__)
    const char* p = html.data();
    const std::size_t n = html.size();
    while (j + 17 <= n) {
        const __m128i here = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j));
        const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j + 1));
        const __m128i space = _mm_set1_epi8(' ');
        const __m128i bad_space = _mm_and_si128(
            _mm_cmpeq_epi8(here, space), _mm_or_si128(_mm_cmpeq_epi8(next, space), stops_in(next)));
        const int mask = _mm_movemask_epi8(_mm_or_si128(stops_in(here), bad_space));
        if (mask != 0)
            return j + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
        j += 16;
    }
#else
    (void)html;
#endif
    return j;
}

void emit_plain(std::string_view text, TextSink& sink) {
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n) {
        const unsigned char cls = kClasses[static_cast<unsigned char>(text[i])];
        if (cls == kSpace) {
            sink.space();
            ++i;
        } else if (cls == kMaybeNbsp && i + 1 < n && text[i + 1] == '\xa0') {
            sink.space();
            i += 2;
        } else {
            std::size_t j = i + 1;
            while (j < n && kClasses[static_cast<unsigned char>(text[j])] != kSpace &&
                   kClasses[static_cast<unsigned char>(text[j])] != kMaybeNbsp)
                ++j;
            sink.put(text.substr(i, j - i));
            i = j;
        }
    }
}

}  // namespace

void append_utf8(char32_t cp, std::string& out) {
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        cp = 0xFFFD;
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::optional<std::string_view> lookup_named_reference(std::string_view name) {
    const auto* begin = std::begin(kNamedReferences);
    const auto* end = std::end(kNamedReferences);
    const auto* it = std::lower_bound(
        begin, end, name, [](const NamedReference& r, std::string_view n) { return r.name < n; });
    if (it != end && it->name == name)
        return it->value;
    return std::nullopt;
}

std::size_t decode_reference(std::string_view text, std::string& out, bool need_semicolon) {
    const std::size_t n = text.size();
    if (n < 2 || text[0] != '&')
        return 0;
    if (text[1] == '#') {
        std::size_t i = 2;
        const bool hex = i < n && (text[i] == 'x' || text[i] == 'X');
        if (hex)
            ++i;
        const std::size_t digits_start = i;
        char32_t value = 0;
        bool overflow = false;
        while (i < n) {
            const char c = text[i];
            int digit;
            if (c >= '0' && c <= '9')
                digit = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                digit = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                digit = c - 'A' + 10;
            else
                break;
            if (value > 0x10FFFF)
                overflow = true;
            else
                value = value * (hex ? 16 : 10) + static_cast<char32_t>(digit);
            ++i;
        }
        if (i == digits_start)
            return 0;
        const bool semicolon = i < n && text[i] == ';';
        if (need_semicolon && !semicolon)
            return 0;
        if (overflow)
            value = 0xFFFD;
        // Feeds mean windows-1252 when they write &#146; (HTML5 reads it that way too).
        if (value >= 0x80 && value <= 0x9F)
            value = kWindows1252High[value - 0x80];
        append_utf8(value, out);
        return semicolon ? i + 1 : i;
    }
    std::size_t i = 1;
    while (i < n && i <= kLongestName && is_ascii_alnum(text[i]))
        ++i;
    const std::size_t name_length = i - 1;
    if (name_length == 0)
        return 0;
    if (i < n && text[i] == ';') {
        if (auto value = lookup_named_reference(text.substr(1, name_length + 1))) {
            out.append(*value);
            return i + 1;
        }
    }
    if (need_semicolon)
        return 0;
    for (std::size_t length = std::min(name_length, kLongestLegacyName); length >= 2; --length) {
        if (auto value = lookup_named_reference(text.substr(1, length))) {
            out.append(*value);
            return 1 + length;
        }
    }
    return 0;
}

void append_html_text(std::string_view html, std::string& out) {
    // The text is never longer than the markup plus one byte per five: a separator replaces
    // at least one byte, and the one reference that decodes longer than it is written
    // ("&nGt;", five bytes, six decoded) gains one byte. So one allocation up front suffices.
    const std::size_t base = out.size();
    out.resize(base + html.size() + html.size() / 5 + 8);
    TextSink sink(out.data() + base, base > 0);
    std::string reference;  // reused for each decoded reference
    const std::size_t n = html.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char cls = kClasses[static_cast<unsigned char>(html[i])];
        if (cls == kPlain || (cls == kMaybeNbsp && (i + 1 >= n || html[i + 1] != '\xa0'))) {
            // A run of text, through single spaces between words: they are already what the
            // output needs, so only other whitespace goes through the separator logic.
            std::size_t j = end_of_run(html, i + 1);
            for (;;) {
                while (j < n && kClasses[static_cast<unsigned char>(html[j])] == kPlain)
                    ++j;
                if (j + 1 < n && html[j] == ' ' &&
                    kClasses[static_cast<unsigned char>(html[j + 1])] == kPlain) {
                    j += 2;
                    continue;
                }
                break;
            }
            sink.put(html.data() + i, j - i);
            i = j;
            continue;
        }
        if (cls == kSpace) {
            sink.space();
            ++i;
            continue;
        }
        if (cls == kMaybeNbsp) {
            sink.space();
            i += 2;
            continue;
        }
        if (cls == kReference) {
            reference.clear();
            const std::size_t used = decode_reference(html.substr(i), reference);
            if (used == 0) {
                sink.put('&');
                ++i;
            } else {
                if (is_whitespace_value(reference))
                    sink.space();
                else
                    sink.put(reference);
                i += used;
            }
            continue;
        }
        // '<': markup, or a literal '<' when nothing tag-like follows.
        if (i + 1 >= n) {
            sink.put('<');
            ++i;
            continue;
        }
        const char next = html[i + 1];
        if (next == '!') {
            if (html.compare(i, 4, "<!--") == 0) {
                std::size_t close = html.find("-->", i + 4);
                if (html.compare(i + 4, 1, ">") == 0)
                    close = i + 2;  // "<!-->" is an empty comment
                i = close == std::string_view::npos ? n : close + 3;
            } else if (html.compare(i, 9, "<![CDATA[") == 0) {
                const std::size_t close = html.find("]]>", i + 9);
                const std::size_t stop = close == std::string_view::npos ? n : close;
                emit_plain(html.substr(i + 9, stop - (i + 9)), sink);
                i = close == std::string_view::npos ? n : close + 3;
            } else {
                const std::size_t close = html.find('>', i + 2);
                i = close == std::string_view::npos ? n : close + 1;
            }
            continue;
        }
        if (next == '?') {
            const std::size_t close = html.find('>', i + 2);
            i = close == std::string_view::npos ? n : close + 1;
            continue;
        }
        const bool end_tag = next == '/';
        const std::size_t name_start = end_tag ? i + 2 : i + 1;
        if (name_start >= n || !is_ascii_alpha(html[name_start])) {
            if (end_tag) {
                // "</>" is ignored; "</ x>" and the like are bogus comments.
                const std::size_t close = html.find('>', i + 2);
                i = close == std::string_view::npos ? n : close + 1;
            } else {
                sink.put('<');
                ++i;
            }
            continue;
        }
        TagName name;
        std::size_t j = name_start;
        while (j < n && !is_html_space(html[j]) && html[j] != '/' && html[j] != '>') {
            if (name.size < sizeof name.chars)
                name.chars[name.size] = ascii_lower(html[j]);
            ++name.size;
            ++j;
        }
        if (name.size > sizeof name.chars)
            name.size = 0;  // too long to be one we treat specially
        i = skip_attributes(html, j);
        const std::string_view tag = name.view();
        if (is_block_element(tag))
            sink.line_break();
        else if (!end_tag && is_dropped_element(tag)) {
            const std::size_t close = find_end_tag(html, i, tag);
            i = close == std::string_view::npos ? n : skip_attributes(html, close + 2);
        }
    }
    out.resize(static_cast<std::size_t>(sink.cursor() - out.data()));
}

std::string collapse_whitespace(std::string_view text) {
    std::string out(text.size(), '\0');
    TextSink sink(out.data(), false);
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char cls = kClasses[static_cast<unsigned char>(text[i])];
        if (cls == kSpace || (cls == kMaybeNbsp && i + 1 < n && text[i + 1] == '\xa0')) {
            bool line = false;
            while (i < n) {
                const char c = text[i];
                if (is_html_space(c)) {
                    line = line || c == '\n';
                    ++i;
                } else if (c == '\xc2' && i + 1 < n && text[i + 1] == '\xa0') {
                    i += 2;
                } else {
                    break;
                }
            }
            if (line)
                sink.line_break();
            else
                sink.space();
            continue;
        }
        std::size_t j = i + 1;
        while (j < n && kClasses[static_cast<unsigned char>(text[j])] != kSpace &&
               kClasses[static_cast<unsigned char>(text[j])] != kMaybeNbsp)
            ++j;
        sink.put(text.substr(i, j - i));
        i = j;
    }
    out.resize(static_cast<std::size_t>(sink.cursor() - out.data()));
    return out;
}

}  // namespace chuhai::text
