// JSON Feed 1.0/1.1 (https://jsonfeed.org) and RSS-in-JSON (an <rss> document spelled as
// JSON, as some blogs publish), read with nlohmann::json. Kept out of the headers so only this
// file pays for nlohmann's compile time.

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "feed/identity.h"
#include "feed/parse_context.h"
#include "feed/url.h"
#include "text/html_text.h"

namespace chuhai::feed::detail {

namespace {

using nlohmann::json;

// nlohmann's parser is iterative but its values nest on the heap and tear down recursively:
// refuse documents nested deeper than any feed needs before parsing them.
constexpr std::size_t kMaxJsonDepth = 64;

bool nesting_within_limit(std::string_view text) {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > kMaxJsonDepth)
                return false;
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return true;
}

std::string string_of(const json& object, const char* key) {
    if (!object.is_object())
        return {};
    const auto it = object.find(key);
    if (it == object.end())
        return {};
    if (it->is_string())
        return it->get<std::string>();
    if (it->is_number_integer())
        return std::to_string(it->get<long long>());
    if (it->is_number_unsigned())
        return std::to_string(it->get<unsigned long long>());
    // RSS-in-JSON writes attributes and text as {"#value": ...} or {"$t": ...} sometimes.
    if (it->is_object()) {
        for (const char* text_key : {"#value", "$t", "#text", "value"})
            if (auto inner = it->find(text_key); inner != it->end() && inner->is_string())
                return inner->get<std::string>();
    }
    return {};
}

std::string author_of(const json& item) {
    if (item.contains("authors") && item["authors"].is_array()) {
        for (const json& author : item["authors"]) {
            std::string name = string_of(author, "name");
            if (!name.empty())
                return name;
        }
    }
    if (item.contains("author") && item["author"].is_object())
        return string_of(item["author"], "name");
    return string_of(item, "author");
}

void add_tags(FeedEntry& entry, const json& tags) {
    if (tags.is_string()) {
        entry.categories.push_back(text::collapse_whitespace(tags.get<std::string>()));
        return;
    }
    if (!tags.is_array())
        return;
    for (const json& tag : tags) {
        std::string value = tag.is_string() ? tag.get<std::string>() : string_of(tag, "#value");
        value = text::collapse_whitespace(value);
        if (!value.empty() && std::find(entry.categories.begin(), entry.categories.end(), value) ==
                                  entry.categories.end())
            entry.categories.push_back(std::move(value));
    }
}

void read_json_feed_items(const json& root, ParseContext& context) {
    FeedDocument& doc = context.document;
    doc.format = "jsonfeed";
    doc.title = text::collapse_whitespace(string_of(root, "title"));
    doc.subtitle = text::collapse_whitespace(string_of(root, "description"));
    const std::string feed_base =
        resolve_url(string_of(root, "feed_url"), context.options.base_url);
    const std::string base = feed_base.empty() ? context.options.base_url : feed_base;
    if (const std::string home = string_of(root, "home_page_url"); !home.empty()) {
        doc.url = resolve_url(home, base);
        doc.link = canonicalize_url(doc.url);
    }
    const auto items = root.find("items");
    if (items == root.end() || !items->is_array())
        return;
    for (const json& item : *items) {
        if (!item.is_object())
            continue;
        FeedEntry entry;
        entry.id = string_of(item, "id");
        entry.title = text::html_to_text(string_of(item, "title"));
        entry.author = text::collapse_whitespace(author_of(item));
        const std::string html = string_of(item, "content_html");
        const std::string plain = string_of(item, "content_text");
        entry.content = !html.empty() ? text::html_to_text(html) : text::collapse_whitespace(plain);
        entry.content_html = html;
        entry.summary = text::html_to_text(string_of(item, "summary"));
        if (const std::string published = string_of(item, "date_published"); !published.empty())
            entry.published = context.dates.parse(published);
        if (const std::string modified = string_of(item, "date_modified"); !modified.empty())
            entry.updated = context.dates.parse(modified);
        if (auto tags = item.find("tags"); tags != item.end())
            add_tags(entry, *tags);
        std::string link = string_of(item, "url");
        if (link.empty())
            link = string_of(item, "external_url");
        finish_entry(entry, link, base);
        doc.entries.push_back(std::move(entry));
    }
}

void read_rss_in_json(const json& rss, ParseContext& context) {
    FeedDocument& doc = context.document;
    doc.format = "rss2.0";
    const json& channel = rss.contains("channel") ? rss["channel"] : rss;
    doc.title = text::html_to_text(string_of(channel, "title"));
    doc.subtitle = text::html_to_text(string_of(channel, "description"));
    const std::string base = context.options.base_url;
    if (const std::string link = string_of(channel, "link"); !link.empty()) {
        doc.url = resolve_url(link, base);
        doc.link = canonicalize_url(doc.url);
    }
    if (!channel.is_object())
        return;
    const auto items = channel.find("item");
    if (items == channel.end())
        return;
    const json single = items->is_object() ? json::array({*items}) : json::array();
    const json& list = items->is_array() ? *items : single;
    for (const json& item : list) {
        if (!item.is_object())
            continue;
        FeedEntry entry;
        entry.id = string_of(item, "guid");
        entry.title = text::html_to_text(string_of(item, "title"));
        entry.author = text::collapse_whitespace(string_of(item, "author"));
        const std::string description = string_of(item, "description");
        entry.summary = text::html_to_text(description);
        entry.content_html = description;
        if (const std::string published = string_of(item, "pubDate"); !published.empty())
            entry.published = context.dates.parse(published);
        if (auto tags = item.find("category"); tags != item.end())
            add_tags(entry, *tags);
        std::string link = string_of(item, "link");
        if (link.empty() && entry.id.rfind("http", 0) == 0)
            link = entry.id;
        finish_entry(entry, link, base);
        doc.entries.push_back(std::move(entry));
    }
}

}  // namespace

void read_json_feed(std::string_view text, ParseContext& context) {
    if (!nesting_within_limit(text))
        throw Error(
            ErrorKind::parse,
            "not a feed: JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels",
            context.where());
    const json root = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded())
        throw Error(ErrorKind::parse, "not a feed: invalid JSON", context.where());
    if (!root.is_object())
        throw Error(ErrorKind::parse, "not a feed: JSON that is not an object", context.where());
    const std::string version = string_of(root, "version");
    if (version.rfind("https://jsonfeed.org/version/", 0) == 0 ||
        version.rfind("http://jsonfeed.org/version/", 0) == 0 || root.contains("items")) {
        read_json_feed_items(root, context);
        return;
    }
    if (auto rss = root.find("rss"); rss != root.end() && rss->is_object()) {
        read_rss_in_json(*rss, context);
        return;
    }
    throw Error(ErrorKind::parse, "not a feed: JSON without \"items\" or \"rss\"", context.where());
}

}  // namespace chuhai::feed::detail
