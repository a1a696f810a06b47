// JSON Feed 1.0/1.1 (https://jsonfeed.org) and RSS-in-JSON (an <rss> document spelled as
// JSON, as some blogs publish), read with json_reader.h (which accepts what nlohmann::json
// accepts, at several times its speed on feeds).

#include <algorithm>

#include "common/error.h"
#include "feed/identity.h"
#include "feed/json_reader.h"
#include "feed/parse_context.h"
#include "feed/url.h"
#include "text/html_text.h"

namespace chuhai::feed::detail {

namespace {

// Values nest on the call stack while parsing: refuse documents nested deeper than any feed
// needs before parsing them.
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

std::string string_of(const JsonValue& object, std::string_view key) {
    const JsonValue value = object.find(key);
    if (!value)
        return {};
    if (value.is_string())
        return std::string(value.string());
    if (value.is_integer())
        return std::to_string(value.integer());
    // RSS-in-JSON writes attributes and text as {"#value": ...} or {"$t": ...} sometimes.
    if (value.is_object()) {
        for (const std::string_view text_key : {"#value", "$t", "#text", "value"})
            if (const JsonValue inner = value.find(text_key); inner.is_string())
                return std::string(inner.string());
    }
    return {};
}

std::string author_of(const JsonValue& item) {
    if (const JsonValue authors = item.find("authors"); authors.is_array()) {
        for (JsonValue author = authors.first_element(); author; author = author.next()) {
            std::string name = string_of(author, "name");
            if (!name.empty())
                return name;
        }
    }
    if (const JsonValue author = item.find("author"); author.is_object())
        return string_of(author, "name");
    return string_of(item, "author");
}

void add_tags(FeedEntry& entry, const JsonValue& tags) {
    if (tags.is_string()) {
        entry.categories.push_back(text::collapse_whitespace(tags.string()));
        return;
    }
    if (!tags.is_array())
        return;
    for (JsonValue tag = tags.first_element(); tag; tag = tag.next()) {
        std::string value = text::collapse_whitespace(tag.is_string() ? std::string(tag.string())
                                                                      : string_of(tag, "#value"));
        if (!value.empty() && std::find(entry.categories.begin(), entry.categories.end(), value) ==
                                  entry.categories.end())
            entry.categories.push_back(std::move(value));
    }
}

void read_json_feed_items(const JsonValue& root, ParseContext& context) {
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
    const JsonValue items = root.find("items");
    if (!items.is_array())
        return;
    for (JsonValue item = items.first_element(); item; item = item.next()) {
        if (!item.is_object())
            continue;
        FeedEntry entry;
        entry.id = string_of(item, "id");
        entry.title = text::html_to_text(string_of(item, "title"));
        entry.author = text::collapse_whitespace(author_of(item));
        std::string html = string_of(item, "content_html");
        const std::string plain = string_of(item, "content_text");
        entry.content = !html.empty() ? text::html_to_text(html) : text::collapse_whitespace(plain);
        entry.content_html = std::move(html);
        entry.summary = text::html_to_text(string_of(item, "summary"));
        if (const std::string published = string_of(item, "date_published"); !published.empty())
            entry.published = context.dates.parse(published);
        if (const std::string modified = string_of(item, "date_modified"); !modified.empty())
            entry.updated = context.dates.parse(modified);
        if (const JsonValue tags = item.find("tags"))
            add_tags(entry, tags);
        std::string link = string_of(item, "url");
        if (link.empty())
            link = string_of(item, "external_url");
        if (const std::string image = string_of(item, "image"); !image.empty()) {
            std::string resolved = resolve_url(image, base);
            if (!has_non_web_scheme(resolved))
                entry.thumbnail = std::move(resolved);
        }
        finish_entry(entry, link, base);
        doc.entries.push_back(std::move(entry));
    }
}

void read_rss_item_in_json(const JsonValue& item, const std::string& base, ParseContext& context) {
    FeedEntry entry;
    entry.id = string_of(item, "guid");
    entry.title = text::html_to_text(string_of(item, "title"));
    entry.author = text::collapse_whitespace(string_of(item, "author"));
    std::string description = string_of(item, "description");
    entry.summary = text::html_to_text(description);
    entry.content_html = std::move(description);
    if (const std::string published = string_of(item, "pubDate"); !published.empty())
        entry.published = context.dates.parse(published);
    if (const JsonValue tags = item.find("category"))
        add_tags(entry, tags);
    std::string link = string_of(item, "link");
    if (link.empty() && entry.id.rfind("http", 0) == 0)
        link = entry.id;
    finish_entry(entry, link, base);
    context.document.entries.push_back(std::move(entry));
}

void read_rss_in_json(const JsonValue& rss, ParseContext& context) {
    FeedDocument& doc = context.document;
    doc.format = "rss2.0";
    const JsonValue wrapped = rss.find("channel");
    const JsonValue channel = wrapped ? wrapped : rss;
    doc.title = text::html_to_text(string_of(channel, "title"));
    doc.subtitle = text::html_to_text(string_of(channel, "description"));
    const std::string base = context.options.base_url;
    if (const std::string link = string_of(channel, "link"); !link.empty()) {
        doc.url = resolve_url(link, base);
        doc.link = canonicalize_url(doc.url);
    }
    if (!channel.is_object())
        return;
    const JsonValue items = channel.find("item");
    // One item may be written as an object instead of a list of one.
    if (items.is_object()) {
        read_rss_item_in_json(items, base, context);
    } else if (items.is_array()) {
        for (JsonValue item = items.first_element(); item; item = item.next())
            if (item.is_object())
                read_rss_item_in_json(item, base, context);
    }
}

}  // namespace

void read_json_feed(std::string_view text, ParseContext& context) {
    if (!nesting_within_limit(text))
        throw Error(
            ErrorKind::parse,
            "not a feed: JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels",
            context.where());
    JsonDocument document;
    if (!document.parse(text))
        throw Error(ErrorKind::parse, "not a feed: invalid JSON", context.where());
    const JsonValue root = document.root();
    if (!root.is_object())
        throw Error(ErrorKind::parse, "not a feed: JSON that is not an object", context.where());
    const std::string version = string_of(root, "version");
    if (version.rfind("https://jsonfeed.org/version/", 0) == 0 ||
        version.rfind("http://jsonfeed.org/version/", 0) == 0 || root.find("items")) {
        read_json_feed_items(root, context);
        return;
    }
    if (const JsonValue rss = root.find("rss"); rss.is_object()) {
        read_rss_in_json(rss, context);
        return;
    }
    throw Error(ErrorKind::parse, "not a feed: JSON without \"items\" or \"rss\"", context.where());
}

}  // namespace chuhai::feed::detail
