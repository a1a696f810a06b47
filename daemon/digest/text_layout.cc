#include "digest/text_layout.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace chuhai::digest {

namespace {

constexpr UChar32 kReplacement = 0xFFFD;
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // …

// The code point at `i`, advancing `i`; invalid sequences yield U+FFFD.
UChar32 next_code_point(std::string_view s, std::size_t& i) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(s.data());
    const auto length = static_cast<std::int32_t>(s.size());
    auto index = static_cast<std::int32_t>(i);
    UChar32 c = 0;
    U8_NEXT(bytes, index, length, c);
    i = static_cast<std::size_t>(index);
    return c < 0 ? kReplacement : c;
}

void append_code_point(std::string& out, UChar32 c) {
    std::array<std::uint8_t, 4> buf{};
    std::int32_t n = 0;
    UBool error = false;
    U8_APPEND(buf.data(), n, 4, c, error);
    if (error) {
        out += "\xEF\xBF\xBD";
        return;
    }
    out.append(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n));
}

bool is_bidi_control(UChar32 c) {
    return c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069) || c == 0x061C;
}

bool is_line_breaking_or_control(UChar32 c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

std::size_t code_point_width(UChar32 c) {
    const auto category = u_charType(c);
    if (category == U_NON_SPACING_MARK || category == U_ENCLOSING_MARK ||
        category == U_FORMAT_CHAR || c == 0x200B)
        return 0;
    const auto east_asian = u_getIntPropertyValue(c, UCHAR_EAST_ASIAN_WIDTH);
    return (east_asian == U_EA_WIDE || east_asian == U_EA_FULLWIDTH) ? 2 : 1;
}

bool is_wide(UChar32 c) {
    return code_point_width(c) == 2;
}

// Sentence ends that need no following space (Chinese and full-width punctuation).
bool is_cjk_terminator(UChar32 c) {
    return c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0xFF0E;  // 。！？．
}

// Quotes and brackets that may close a sentence after its terminator.
bool is_closer(UChar32 c) {
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == 0x201D || c == 0x2019 ||
           c == 0x300D || c == 0x300F || c == 0xFF09 || c == 0x3011;
}

bool is_abbreviation(std::string_view word) {
    static constexpr std::array<std::string_view, 16> kAbbreviations = {
        "mr",   "mrs", "ms", "dr", "prof", "inc", "ltd", "co",
        "corp", "vs",  "st", "jr", "no",   "e.g", "i.e", "etc"};
    std::string lower;
    for (char c : word)
        lower += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    // Single letters are initials ("U.S.", "J. Smith").
    if (lower.size() == 1 || (lower.size() >= 2 && lower[lower.size() - 2] == '.'))
        return true;
    return std::find(kAbbreviations.begin(), kAbbreviations.end(), lower) != kAbbreviations.end();
}

// Byte offset just past the first sentence of `s` (one line of text), or npos.
std::size_t sentence_end(std::string_view s, std::size_t from) {
    std::size_t i = from;
    std::size_t word_start = from;
    while (i < s.size()) {
        const std::size_t at = i;
        const UChar32 c = next_code_point(s, i);
        if (c == ' ') {
            word_start = i;
            continue;
        }
        if (is_cjk_terminator(c)) {
            std::size_t j = i;
            while (j < s.size()) {
                std::size_t k = j;
                if (!is_closer(next_code_point(s, k)))
                    break;
                j = k;
            }
            return j;
        }
        if (c != '.' && c != '!' && c != '?')
            continue;
        // Skip runs like "?!" and closing quotes, then require a space (or the end).
        std::size_t j = i;
        while (j < s.size()) {
            std::size_t k = j;
            const UChar32 next = next_code_point(s, k);
            if (next != '.' && next != '!' && next != '?' && !is_closer(next))
                break;
            j = k;
        }
        if (j == s.size())
            return j;
        if (s[j] != ' ')
            continue;
        if (c == '.') {
            if (is_abbreviation(s.substr(word_start, at - word_start)))
                continue;
            // "... 3 p.m. on Monday": a lower-case next word means the sentence goes on.
            if (j + 1 < s.size() && s[j + 1] >= 'a' && s[j + 1] <= 'z')
                continue;
        }
        return j;
    }
    return std::string_view::npos;
}

// Cuts `s` to at most max_chars characters (the ellipsis included), at a space when one is
// reasonably near, else between characters.
std::string cut_at_word(std::string_view s, std::size_t max_chars) {
    if (count_chars(s) <= max_chars)
        return std::string(s);
    const std::size_t keep = max_chars == 0 ? 0 : max_chars - 1;
    std::size_t i = 0;
    std::size_t last_break = std::string_view::npos;
    for (std::size_t n = 0; n < keep && i < s.size(); ++n) {
        const std::size_t at = i;
        const UChar32 c = next_code_point(s, i);
        if (c == ' ' || is_wide(c))
            last_break = c == ' ' ? at : i;
    }
    std::size_t end = i;
    if (last_break != std::string_view::npos && last_break * 3 >= end * 2)
        end = last_break;
    std::string out(s.substr(0, end));
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    out += kEllipsis;
    return out;
}

}  // namespace

std::string single_line(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    bool pending_space = false;
    std::size_t i = 0;
    while (i < utf8.size()) {
        const UChar32 c = next_code_point(utf8, i);
        if (is_bidi_control(c))
            continue;
        if (is_line_breaking_or_control(c) || u_isUWhiteSpace(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) {
            out += ' ';
            pending_space = false;
        }
        append_code_point(out, c);
    }
    return out;
}

std::size_t count_chars(std::string_view utf8) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < utf8.size();) {
        next_code_point(utf8, i);
        ++n;
    }
    return n;
}

std::string truncate_chars(std::string_view utf8, std::size_t max_chars) {
    if (count_chars(utf8) <= max_chars)
        return std::string(utf8);
    std::size_t i = 0;
    for (std::size_t n = 0; n + 1 < max_chars && i < utf8.size(); ++n)
        next_code_point(utf8, i);
    std::string out(utf8.substr(0, i));
    if (max_chars > 0)
        out += kEllipsis;
    return out;
}

std::size_t display_width(std::string_view utf8) {
    std::size_t width = 0;
    for (std::size_t i = 0; i < utf8.size();)
        width += code_point_width(next_code_point(utf8, i));
    return width;
}

std::string truncate_to_width(std::string_view utf8, std::size_t max_columns) {
    if (display_width(utf8) <= max_columns)
        return std::string(utf8);
    std::string out;
    std::size_t width = 0;
    for (std::size_t i = 0; i < utf8.size();) {
        const std::size_t at = i;
        const UChar32 c = next_code_point(utf8, i);
        const std::size_t w = code_point_width(c);
        if (width + w + 1 > max_columns)
            break;
        out.append(utf8.substr(at, i - at));
        width += w;
    }
    if (max_columns > 0)
        out += kEllipsis;
    return out;
}

std::string pad_to_width(std::string_view utf8, std::size_t columns) {
    std::string out(utf8);
    const std::size_t width = display_width(utf8);
    if (width < columns)
        out.append(columns - width, ' ');
    return out;
}

std::vector<std::string> wrap(std::string_view utf8, std::size_t columns) {
    // Units are words of narrow characters or single wide characters; `spaced` says whether a
    // space separated a unit from the one before.
    struct Unit {
        std::string text;
        std::size_t width = 0;
        bool spaced = false;
    };
    std::vector<Unit> units;
    bool space_seen = false;
    bool open = false;  // the last unit is a word that takes more narrow characters
    for (std::size_t i = 0; i < utf8.size();) {
        const std::size_t at = i;
        const UChar32 c = next_code_point(utf8, i);
        if (c == ' ') {
            space_seen = true;
            open = false;
            continue;
        }
        const std::size_t w = code_point_width(c);
        if (w == 0 && !units.empty()) {
            units.back().text.append(utf8.substr(at, i - at));  // a mark stays with its base
            continue;
        }
        if (w == 2 || !open)
            units.push_back(Unit{{}, 0, space_seen});
        units.back().text.append(utf8.substr(at, i - at));
        units.back().width += w;
        open = w != 2;
        space_seen = false;
    }

    std::vector<std::string> lines;
    std::string line;
    std::size_t width = 0;
    for (const auto& unit : units) {
        if (unit.text.empty())
            continue;
        const std::size_t gap = (unit.spaced && !line.empty()) ? 1 : 0;
        if (!line.empty() && width + gap + unit.width > columns) {
            lines.push_back(line);
            line.clear();
            width = 0;
        }
        if (!line.empty() && gap) {
            line += ' ';
            width += 1;
        }
        line += unit.text;
        width += unit.width;
    }
    if (!line.empty())
        lines.push_back(line);
    return lines;
}

std::string make_excerpt(std::string_view text, std::size_t max_chars) {
    const std::string flat = single_line(text);
    if (flat.empty())
        return flat;
    const std::size_t first = sentence_end(flat, 0);
    if (first == std::string_view::npos)
        return cut_at_word(flat, max_chars);
    std::string excerpt = flat.substr(0, first);
    if (count_chars(excerpt) > max_chars)
        return cut_at_word(excerpt, max_chars);
    // A short first sentence ("Big news.") says little alone: add the second when it fits.
    if (count_chars(excerpt) < 100 && first < flat.size()) {
        std::size_t from = first;
        while (from < flat.size() && flat[from] == ' ')
            ++from;
        const std::size_t second = sentence_end(flat, from);
        if (second != std::string_view::npos && count_chars(flat.substr(0, second)) <= max_chars)
            excerpt = flat.substr(0, second);
    }
    return excerpt;
}

std::string summarize_sources(const std::vector<SourceRef>& sources, std::size_t named) {
    std::vector<std::string> names;
    for (const auto& source : sources) {
        const std::string name = single_line(source.name);
        if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end())
            names.push_back(name);
    }
    if (names.empty())
        return {};
    if (names.size() == 1)
        return names[0];
    named = std::max<std::size_t>(named, 1);
    const bool all = names.size() <= named + 1;
    const std::size_t shown = all ? names.size() - 1 : named;
    std::string out;
    for (std::size_t i = 0; i < shown; ++i) {
        if (i > 0)
            out += ", ";
        out += names[i];
    }
    if (all)
        out += " and " + names.back();
    else
        out += " and " + std::to_string(names.size() - shown) + " more";
    return out;
}

}  // namespace chuhai::digest
