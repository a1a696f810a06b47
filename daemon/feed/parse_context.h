#pragma once
// Shared by the XML and JSON readers inside the feed library; not part of its interface.

#include <string>
#include <string_view>

#include "feed/dates.h"
#include "feed/feed.h"
#include "feed/feed_parser.h"

namespace chuhai::feed::detail {

struct ParseContext {
    const ParseOptions& options;
    DateParser dates;
    FeedDocument& document;

    // Records why the document is degraded; the first reasons are kept, in order.
    void bozo(std::string_view reason);
    std::string where() const { return options.source.empty() ? options.base_url : options.source; }
};

// JSON Feed 1.0/1.1 or RSS-in-JSON; throws Error(parse) when the JSON is no feed.
void read_json_feed(std::string_view json, ParseContext& context);

// Fills link/url/html_base from a raw link and its base, then the text-derived fields.
void finish_entry(FeedEntry& entry, std::string_view raw_link, std::string_view base);

}  // namespace chuhai::feed::detail
