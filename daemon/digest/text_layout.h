#pragma once
// Plain-text helpers for digests: making untrusted feed text safe to lay out on one line,
// measuring it as a terminal or mail client shows it (CJK characters take two columns),
// wrapping, cutting, excerpts and source lists.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "digest/digest.h"

namespace chuhai::digest {

// One line of plain text: control characters (CR, LF, TAB, C1), line/paragraph separators and
// bidirectional overrides become spaces or disappear, runs of white space collapse, ends are
// trimmed, invalid UTF-8 becomes U+FFFD.
std::string single_line(std::string_view utf8);

// Columns the text takes in a fixed-width font: East Asian wide and full-width characters
// count two, combining marks zero.
std::size_t display_width(std::string_view utf8);

// At most `max_columns` columns, cut at a character boundary and ended with "…" when cut.
std::string truncate_to_width(std::string_view utf8, std::size_t max_columns);

// Pads with spaces on the right to `columns` (never cuts).
std::string pad_to_width(std::string_view utf8, std::size_t columns);

// Lines of at most `columns` columns, broken at spaces, or anywhere between wide characters;
// a word longer than a line (a URL) stands alone on its line.
std::vector<std::string> wrap(std::string_view utf8, std::size_t columns);

// One or two plain sentences from the start of `text` (English or Chinese punctuation), at most
// `max_chars` characters, cut at a word boundary with "…" when the first sentence is longer.
std::string make_excerpt(std::string_view text, std::size_t max_chars = 280);

// "Reuters", "Reuters and SCMP", "Reuters, SCMP and Caixin", "Reuters, SCMP and 3 more":
// names once each, in order, the first `named` shown when more than named + 1.
std::string summarize_sources(const std::vector<SourceRef>& sources, std::size_t named = 2);

// Number of Unicode characters (code points).
std::size_t count_chars(std::string_view utf8);
// The first `max_chars` characters, ended with "…" (which counts) when cut.
std::string truncate_chars(std::string_view utf8, std::size_t max_chars);

}  // namespace chuhai::digest
