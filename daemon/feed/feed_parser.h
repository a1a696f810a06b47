#pragma once
// The parse stage's entry point.

#include <cstddef>
#include <string>
#include <string_view>

#include "feed/feed.h"

namespace chuhai::feed {

struct ParseOptions {
    std::string content_type;      // the HTTP Content-Type, which may name a charset
    std::string base_url;          // the URL the document came from, for relative links
    std::string timezone = "UTC";  // IANA zone for dates written without an offset
    std::size_t max_bytes = 20u << 20;
};

// Parses RSS, RDF, Atom or JSON Feed bytes. Recovers what it can from broken documents (bozo);
// throws chuhai::Error(ErrorKind::parse) only when the bytes are not a feed at all.
FeedDocument parse_feed(std::string_view bytes, const ParseOptions& options = {});

}  // namespace chuhai::feed
