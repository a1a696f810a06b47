#pragma once
// The parse stage's entry point: bytes as a server sent them → a normalised FeedDocument.
//
// Formats: RSS 0.90-0.94 and 2.0, RSS 1.0 (RDF), Atom 0.3 and 1.0, JSON Feed 1.0/1.1, and
// RSS-in-JSON. A body that is gzip-compressed without saying so is inflated first.
//
// What the result holds (see feed.h): UTF-8 throughout (charset.h decides the charset and
// `encoding` says which); plain text for titles, summaries and content (text/html_text.h), the
// original HTML in content_html; links resolved against xml:base and `base_url`, then
// canonicalised (url.h); dates in UTC, offset-less ones read in `timezone` (dates.h); each
// entry's key and content hash (identity.h; its SimHash is left to entry_simhash(), for the
// callers that keep it); entries repeating an earlier entry's key, and entries holding nothing,
// dropped.
//
// Broken documents are data: undefined HTML entities, bare '&', control characters, mismatched
// or unclosed tags, a document cut off mid-item, invalid bytes for the charset, more than
// max_bytes. The parser recovers every complete entry it can and sets bozo with the reason(s).
// DTD entities are never expanded and external ones never loaded (DOCTYPEs are ignored);
// markup nesting deeper than kMaxNestingDepth is flattened.
//
// parse_feed() keeps no state between calls: worker threads may call it concurrently. It does
// not log; the caller logs bozo_reason once per source.

#include <cstddef>
#include <string>
#include <string_view>

#include "feed/feed.h"

namespace chuhai::feed {

inline constexpr std::size_t kMaxNestingDepth = 256;

struct ParseOptions {
    std::string content_type;      // the HTTP Content-Type, which may name a charset
    std::string base_url;          // the URL the document came from, for relative links
    std::string timezone = "UTC";  // IANA zone for dates written without an offset
    std::size_t max_bytes = 20u << 20;
    std::string source;  // a name for error messages (default: base_url)
};

// Parses RSS, RDF, Atom or JSON Feed bytes. Recovers what it can from broken documents (bozo);
// throws chuhai::Error(ErrorKind::parse) only when the bytes are not a feed at all (empty, an
// HTML page, JSON that is no feed, XML whose root is no feed element), and Error(config) for
// an unknown timezone.
FeedDocument parse_feed(std::string_view bytes, const ParseOptions& options = {});

}  // namespace chuhai::feed
