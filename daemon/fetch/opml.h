#pragma once
// OPML, the outline format every feed reader imports and exports (OPML 1.0 and 2.0).
// `chuhai sources import FILE.opml` and `chuhai sources export` are built on these two functions;
// the store decides what a source row is.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace chuhai::fetch {

struct OpmlFeed {
    std::string title;     // the outline's text, else its title, else the feed URL
    std::string xml_url;   // http:// or https://
    std::string html_url;  // may be empty
    // Enclosing folder outlines (outermost first), then the entries of the category attribute
    // ("/Tech/AI" becomes "Tech/AI"); duplicates removed.
    std::vector<std::string> tags;
};

struct OpmlDocument {
    std::string title;
    std::vector<OpmlFeed> feeds;
    // Outlines that were skipped or merged, each "ORIGIN:LINE: reason".
    std::vector<std::string> warnings;
};

// Parses an OPML document. `origin` names it in messages (usually the file path). Throws
// Error(parse) with where = "ORIGIN:LINE:COL" when the text is not well-formed XML or its root is
// not <opml>. Feeds without an http(s) xmlUrl are skipped and a repeated xmlUrl merges into the
// first (tags joined), each with a warning.
OpmlDocument parse_opml(std::string_view xml, const std::string& origin);

// Reads and parses a file (Error(io) when it cannot be read).
OpmlDocument read_opml_file(const std::filesystem::path& path);

// OPML 2.0, UTF-8: feeds whose first tag is T go into a folder outline "T" (in order of first
// appearance), the others at the top; every feed lists all its tags in `category`, so
// parse_opml(write_opml(d)) gives back the same feeds and tags.
std::string write_opml(const OpmlDocument& document, std::optional<UtcTime> created = {});

}  // namespace chuhai::fetch
