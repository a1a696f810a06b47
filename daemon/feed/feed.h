#pragma once
// What the parse stage produces: a feed and its entries, normalised (UTF-8, plain text for
// matching, absolute canonical links, UTC times), whatever format and charset the source used.

#include <optional>
#include <string>
#include <vector>

#include "common/time.h"

namespace chuhai::feed {

struct FeedEntry {
    std::string id;     // guid/id as the feed gave it (may be empty)
    std::string link;   // absolute, canonical (see url.h)
    std::string title;  // plain text
    std::string author;
    std::string summary;       // plain text
    std::string content;       // plain text
    std::string content_html;  // the HTML as the feed gave it (not sanitised), for digests
    std::vector<std::string> categories;
    std::optional<UtcTime> published;
    std::optional<UtcTime> updated;
};

struct FeedDocument {
    std::string format;    // "rss2.0", "rss1.0", "rss0.9x", "atom1.0", "atom0.3", "jsonfeed"
    std::string encoding;  // the charset the bytes were decoded from, e.g. "utf-8", "gb18030"
    bool bozo = false;     // the document was not well-formed and was recovered
    std::string bozo_reason;
    std::string title;
    std::string link;
    std::optional<int> ttl_minutes;  // RSS <ttl>
    std::vector<FeedEntry> entries;
};

}  // namespace chuhai::feed
