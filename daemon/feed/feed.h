#pragma once
// What the parse stage produces: a feed and its entries, normalised (UTF-8, plain text for
// matching, absolute canonical links, UTC times), whatever format and charset the source used.

#include <cstddef>
#include <cstdint>
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
    // An image for the entry: the first media:thumbnail, else the widest media:content that is
    // an image, else JSON Feed's "image"; resolved, http(s) only, empty when there is none.
    std::string thumbnail;
    std::optional<UtcTime> published;
    std::optional<UtcTime> updated;

    // Filled by the normaliser (identity.h).
    std::string url;  // the link resolved against xml:base and the feed URL, not canonicalised
    std::string html_base;           // the base URL relative links in content_html resolve against
    std::string key;                 // stable item key: "id:…", "url:…" or "hash:…"
    std::uint64_t content_hash = 0;  // changes when title/summary/content text changes
    // The near-duplicate fingerprint is not computed here: entry_simhash(entry) (identity.h),
    // by whoever keeps it (the pipeline, once per entry it stores).
};

struct FeedDocument {
    std::string format;    // "rss2.0", "rss1.0", "rss0.9x", "atom1.0", "atom0.3", "jsonfeed"
    std::string encoding;  // the charset the bytes were decoded from, e.g. "utf-8", "gb18030"
    bool bozo = false;     // the document was not well-formed and was recovered
    std::string bozo_reason;
    std::string title;
    std::string link;                // canonical
    std::string url;                 // the link resolved, not canonicalised
    std::string subtitle;            // description / tagline / subtitle, plain text
    std::optional<int> ttl_minutes;  // RSS <ttl>
    std::vector<FeedEntry> entries;
    std::size_t duplicate_entries = 0;  // entries dropped because an earlier one had their key
    // Entries dropped because they hold nothing (no title, link, id, text, date, author,
    // category or image), such as the empty <item/> some generators nest in each item.
    std::size_t empty_entries = 0;
};

}  // namespace chuhai::feed
