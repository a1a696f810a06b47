#include "feed/xml_text.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <vector>

#include "feed/charset.h"
#include "text/html_text.h"

namespace chuhai::feed {

namespace {

bool is_forbidden_control(unsigned char c) {
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

// Bytes that stop the copy loop: '&', the forbidden controls, and 0xC2 (the lead byte of the
// C1 controls U+0080-U+009F, which feeds mean as windows-1252).
constexpr bool stops(unsigned char c) {
    return c == '&' || c == 0xC2 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r');
}

// U+0080-U+009F as windows-1252 read them (0 where windows-1252 has no character).
constexpr char32_t kC1AsWindows1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

struct StopTable {
    bool stop[256];
    constexpr StopTable() : stop() {
        for (int c = 0; c < 256; ++c)
            stop[c] = stops(static_cast<unsigned char>(c));
    }
};
constexpr StopTable kStops;

#if defined(__SSE2__)
// The controls XML forbids (below 0x20 but tab, LF and CR), sixteen bytes at a time.
inline __m128i forbidden_controls_in(__m128i v) {
    const __m128i low = _mm_set1_epi8(0x1F);
    const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low);
    const __m128i allowed = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
                                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')));
    return _mm_andnot_si128(allowed, control);
}
#endif

// Skips bytes that need no decoding, sixteen at a time where SSE2 is available; returns where
// the byte-at-a-time loop must take over (a stop byte, or the last few bytes).
std::size_t skip_plain(std::string_view raw, std::size_t j) {
#if defined(__SSE2__)
    const char* p = raw.data();
    const std::size_t n = raw.size();
    auto stops = [](__m128i v) {
        return static_cast<unsigned>(_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('&')),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xC2)))),
                         forbidden_controls_in(v))));
    };
    while (j + 16 <= n) {
        const unsigned mask = stops(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j)));
        if (mask != 0)
            return j + static_cast<std::size_t>(__builtin_ctz(mask));
        j += 16;
    }
    if (j < n && n >= 16) {
        // The last bytes: the sixteen that end the text, without those before j.
        const unsigned mask =
            stops(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16))) >> (j + 16 - n);
        return mask != 0 ? j + static_cast<std::size_t>(__builtin_ctz(mask)) : n;
    }
#else
    (void)raw;
#endif
    return j;
}

// Like skip_plain(), for text where only control characters matter (CDATA).
std::size_t skip_non_controls(std::string_view raw, std::size_t j) {
#if defined(__SSE2__)
    const char* p = raw.data();
    const std::size_t n = raw.size();
    while (j + 16 <= n) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j));
        const int mask = _mm_movemask_epi8(forbidden_controls_in(v));
        if (mask != 0)
            return j + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
        j += 16;
    }
#else
    (void)raw;
#endif
    return j;
}

// Appends to a std::string through a cursor. The string is resized ahead (the bytes past the
// cursor are scratch), so that a short run is copied with one sixteen-byte store instead of
// a call; finish() trims the string to what was written.
class Appender {
  public:
    Appender(std::string& out, std::size_t expected) : out_(out), used_(out.size()) {
        out_.resize(used_ + expected + kSlack);
    }

    // `may_read_16`: sixteen bytes can be read from `data` (the run may be shorter).
    void append(const char* data, std::size_t size, bool may_read_16) {
        char* cursor = room(size);
#if defined(__SSE2__)
        if (size <= 16 && may_read_16) {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(cursor),
                             _mm_loadu_si128(reinterpret_cast<const __m128i*>(data)));
            used_ += size;
            return;
        }
#else
        (void)may_read_16;
#endif
        std::memcpy(cursor, data, size);
        used_ += size;
    }
    void append(std::string_view text) {
        append(text.data(), text.size(), false);
    }
    void put(char c) {
        *room(1) = c;
        ++used_;
    }
    void finish() {
        out_.resize(used_);
    }

  private:
    static constexpr std::size_t kSlack = 16;

    // Room for `size` bytes and the slack after them.
    char* room(std::size_t size) {
        if (out_.size() - used_ < size + kSlack)
            out_.resize(std::max(2 * out_.size(), used_ + size + kSlack));
        return out_.data() + used_;
    }

    std::string& out_;
    std::size_t used_;
};

std::string_view xml_entity(std::string_view name) {
    if (name == "amp")
        return "&";
    if (name == "lt")
        return "<";
    if (name == "gt")
        return ">";
    if (name == "quot")
        return "\"";
    if (name == "apos")
        return "'";
    return {};
}

}  // namespace

void XmlText::decode(std::string_view raw, std::string& destination) {
    const std::size_t n = raw.size();
    Appender out(destination, n);
    std::size_t i = 0;
    while (i < n) {
        std::size_t j = skip_plain(raw, i);
        while (j < n && !kStops.stop[static_cast<unsigned char>(raw[j])])
            ++j;
        out.append(raw.data() + i, j - i, i + 16 <= n);
        i = j;
        if (i >= n)
            break;
        const std::ptrdiff_t offset = raw.data() + i - buffer_start_;
        if (raw[i] == '\xc2') {
            const auto next = i + 1 < n ? static_cast<unsigned char>(raw[i + 1]) : 0;
            if (next >= 0x80 && next <= 0x9F && kC1AsWindows1252[next - 0x80] != 0) {
                reference_.clear();
                text::append_utf8(kC1AsWindows1252[next - 0x80], reference_);
                out.append(reference_);
                i += 2;
            } else {
                out.put(raw[i]);
                ++i;
            }
            continue;
        }
        if (raw[i] != '&') {
            problems_.note("control character U+" + std::to_string(static_cast<int>(raw[i])),
                           offset);
            ++i;
            continue;
        }
        // The references escaped HTML is made of, without searching for the ';'.
        if (i + 3 < n && raw[i + 3] == ';' && raw[i + 2] == 't' &&
            (raw[i + 1] == 'l' || raw[i + 1] == 'g')) {
            out.put(raw[i + 1] == 'l' ? '<' : '>');
            i += 4;
            continue;
        }
        if (i + 4 < n && raw[i + 4] == ';' && raw[i + 1] == 'a' && raw[i + 2] == 'm' &&
            raw[i + 3] == 'p') {
            out.put('&');
            i += 5;
            continue;
        }
        // "&name;" with one of XML's five names, or a numeric reference.
        // Only look a short way for the ';': a long text full of bare '&' stays linear.
        std::size_t semicolon = raw.substr(i + 1, 34).find(';');
        if (semicolon != std::string_view::npos)
            semicolon += i + 1;
        if (semicolon != std::string_view::npos) {
            const std::string_view name = raw.substr(i + 1, semicolon - i - 1);
            if (const std::string_view value = xml_entity(name); !value.empty()) {
                out.append(value);
                i = semicolon + 1;
                continue;
            }
        }
        reference_.clear();
        const std::size_t used = text::decode_reference(raw.substr(i), reference_, true);
        if (used > 0) {
            out.append(reference_);
            if (raw[i + 1] != '#')
                problems_.note("undefined entity " + std::string(raw.substr(i, used)), offset);
            i += used;
            continue;
        }
        if (semicolon != std::string_view::npos && semicolon - i <= 34 && semicolon > i + 1) {
            const std::string_view name = raw.substr(i + 1, semicolon - i - 1);
            bool is_name = true;
            for (char c : name)
                is_name = is_name && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                                      c == '-' || c == '.');
            if (is_name) {
                // An entity nobody defines (or one a DTD would have to): kept as written,
                // never expanded.
                problems_.note("undefined entity &" + std::string(name) + ";", offset);
                out.append(raw.substr(i, semicolon + 1 - i));
                i = semicolon + 1;
                continue;
            }
        }
        problems_.note("bare '&'", offset);
        out.put('&');
        ++i;
    }
    out.finish();
}

void XmlText::append_raw_filtered(std::string_view raw, std::string& out) {
    std::size_t i = 0;
    while (i < raw.size()) {
        std::size_t j = skip_non_controls(raw, i);
        while (j < raw.size() && !is_forbidden_control(static_cast<unsigned char>(raw[j])))
            ++j;
        out.append(raw.data() + i, j - i);
        if (j < raw.size()) {
            problems_.note("control character in CDATA", raw.data() + j - buffer_start_);
            ++j;
        }
        i = j;
    }
}

void XmlText::serialize_element(const pugi::xml_node& element, std::string& out) {
    // Iterative, so that nesting costs no stack; elements deeper than max_depth_ lose their
    // tags (their text stays).
    struct Frame {
        pugi::xml_node node;
        bool tags;
    };
    std::vector<Frame> stack;
    auto open = [&](const pugi::xml_node& node) {
        const bool tags = stack.size() < max_depth_;
        if (!tags)
            too_deep_ = true;
        if (tags) {
            out.push_back('<');
            out.append(node.name());
            for (const pugi::xml_attribute& attribute : node.attributes()) {
                out.push_back(' ');
                out.append(attribute.name());
                out.append("=\"");
                for (const char* p = attribute.value(); *p; ++p) {
                    if (*p == '"')
                        out.append("&quot;");
                    else if (*p == '<')
                        out.append("&lt;");
                    else
                        out.push_back(*p);
                }
                out.push_back('"');
            }
            out.push_back('>');
        }
        stack.push_back({node, tags});
        // The element's first character data, which the parser keeps as its value.
        if (const char* value = node.value(); *value != '\0')
            append_raw_filtered(value, out);
    };
    auto close = [&] {
        const Frame& frame = stack.back();
        if (frame.tags) {
            out.append("</");
            out.append(frame.node.name());
            out.push_back('>');
        }
        stack.pop_back();
    };
    open(element);
    pugi::xml_node current = element.first_child();
    while (!stack.empty()) {
        if (!current) {
            const pugi::xml_node finished = stack.back().node;
            close();
            if (stack.empty())
                break;
            current = finished.next_sibling();
            continue;
        }
        switch (current.type()) {
            case pugi::node_element:
                open(current);
                current = current.first_child();
                continue;
            case pugi::node_pcdata:
                append_raw_filtered(current.value(), out);
                break;
            case pugi::node_cdata:
                // Inside markup, CDATA text must be escaped to stay text.
                for (const char* p = current.value(); *p; ++p) {
                    if (*p == '<')
                        out.append("&lt;");
                    else if (*p == '&')
                        out.append("&amp;");
                    else if (!is_forbidden_control(static_cast<unsigned char>(*p)))
                        out.push_back(*p);
                }
                break;
            default:
                break;
        }
        current = current.next_sibling();
    }
}

void XmlText::markup(const pugi::xml_node& node, std::string& out, bool inline_markup) {
    const std::size_t start = out.size();
    // With element children the content is inline markup, whose character data is already
    // HTML (escaped as it should stay); without, it is escaped HTML to decode once.
    for (const pugi::xml_node& child : node.children())
        inline_markup = inline_markup || child.type() == pugi::node_element;
    auto character_data = [&](const char* value) {
        if (inline_markup) {
            scratch_.clear();
            decode(value, scratch_);  // only to notice undefined entities
            append_raw_filtered(value, out);
        } else {
            decode(value, out);
        }
    };
    // The first character data is the element's value (parse_embed_pcdata).
    if (const char* value = node.value(); *value != '\0')
        character_data(value);
    for (const pugi::xml_node& child : node.children()) {
        switch (child.type()) {
            case pugi::node_pcdata:
                character_data(child.value());
                break;
            case pugi::node_cdata:
                append_raw_filtered(child.value(), out);
                break;
            case pugi::node_element:
                serialize_element(child, out);
                break;
            default:
                break;
        }
    }
    if (undo_double_encoding_)
        feed::undo_double_encoding(out, start);
}

void XmlText::text(const pugi::xml_node& node, std::string& out) {
    const std::size_t start = out.size();
    // Depth-first over the subtree without recursion. An element's first character data is
    // its value (parse_embed_pcdata), read where that first child would be.
    if (const char* value = node.value(); *value != '\0')
        decode(value, out);
    pugi::xml_node current = node.first_child();
    std::size_t depth = 1;
    while (current && current != node) {
        switch (current.type()) {
            case pugi::node_pcdata:
                decode(current.value(), out);
                break;
            case pugi::node_cdata:
                append_raw_filtered(current.value(), out);
                break;
            case pugi::node_element:
                if (const char* value = current.value(); *value != '\0' && depth < max_depth_)
                    decode(value, out);
                break;
            default:
                break;
        }
        if (current.type() == pugi::node_element && current.first_child() && depth < max_depth_) {
            current = current.first_child();
            ++depth;
            continue;
        }
        while (current != node && !current.next_sibling()) {
            current = current.parent();
            --depth;
        }
        if (current == node)
            break;
        current = current.next_sibling();
    }
    if (undo_double_encoding_)
        feed::undo_double_encoding(out, start);
}

}  // namespace chuhai::feed
