#pragma once
// HTML to plain text for matching: one forward pass over the bytes, no tree, no allocation
// beyond the output. Feeds send HTML in titles, summaries and content; matching needs the words.
//
// Contract of html_to_text():
// - character references are decoded: every HTML5 named reference (with ';', and the legacy
//   ones HTML5 accepts without it), decimal and hex; an unknown reference stays as written;
// - tags, comments, doctypes and processing instructions are removed; CDATA sections keep
//   their text; the contents of script, style, template, iframe, noembed and noframes (which
//   browsers never render) are dropped; noscript keeps its text;
// - block elements (p, div, li, br, h1-h6, tr, ...) become line breaks;
// - whitespace (including U+00A0) collapses to one space, line breaks to one '\n'; the result
//   has no leading or trailing whitespace.
// Input is UTF-8; bytes are copied through, so invalid UTF-8 in stays invalid out (the feed
// parser repairs encodings before this runs).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chuhai::text {

// Appends the plain text of `html` to `out` (separated from existing text by one space).
void append_html_text(std::string_view html, std::string& out);

inline std::string html_to_text(std::string_view html) {
    std::string out;
    append_html_text(html, out);
    return out;
}

// Collapses whitespace in already-plain text the way html_to_text() does, without treating
// '<' or '&' specially.
std::string collapse_whitespace(std::string_view text);

// The UTF-8 value of a named character reference. `name` is what follows '&', including the
// ';' when there is one ("amp;", "nbsp;", or legacy "copy").
std::optional<std::string_view> lookup_named_reference(std::string_view name);

// Decodes one character reference at the start of `text` (which begins with '&'). On success
// appends its UTF-8 value to `out` and returns how many bytes it used; returns 0 when the '&'
// starts no reference, leaving `out` alone. `need_semicolon` rejects the legacy forms without
// ';' (XML never allows them). Numeric references to 0x80-0x9F mean windows-1252 characters.
std::size_t decode_reference(std::string_view text, std::string& out, bool need_semicolon = false);

// Appends the UTF-8 encoding of a code point; surrogates, 0 and values past U+10FFFF become
// U+FFFD.
void append_utf8(char32_t code_point, std::string& out);

}  // namespace chuhai::text
