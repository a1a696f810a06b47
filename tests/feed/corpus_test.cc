// Tests over the shared corpora (../shared/corpus): the real-world feeds parse with the
// manifest's entry counts, and the streaming HTML-to-text tokenizer agrees with gumbo's
// HTML5 tree on the words of every HTML body in them. Skipped when ../shared is missing.

#include <gtest/gtest.h>
#include <gumbo.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "common/error.h"
#include "common/file.h"
#include "feed/charset.h"
#include "feed/feed_parser.h"
#include "tests/support/test_support.h"
#include "text/html_text.h"

namespace chuhai::feed {
namespace {

struct ManifestRow {
    std::string file;
    std::string format;
    std::size_t items = 0;
};

std::vector<ManifestRow> read_manifest(const std::filesystem::path& path) {
    std::vector<ManifestRow> rows;
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::stringstream stream(line);
        std::string field;
        while (std::getline(stream, field, '\t'))
            fields.push_back(field);
        if (fields.size() >= 9)
            rows.push_back({fields[0], fields[5], std::stoul(fields[8])});
    }
    return rows;
}

std::filesystem::path realworld_dir() {
    const auto shared = chuhai::testing::shared_dir();
    if (shared.empty())
        return {};
    const auto dir = shared / "corpus/realworld";
    return std::filesystem::exists(dir / "MANIFEST.tsv") ? dir : std::filesystem::path();
}

// What the source itself says about each of its items, read without chuhai's feed reader:
// pugixml on the bytes decoded to UTF-8, or nlohmann::json. The test holds chuhai to it entry
// by entry, so that a single lost entry, title, date or link fails.
struct SourceItem {
    bool empty = false;  // no child elements and no text: not an item (FeedDocument::empty_entries)
    bool titled = false;  // a title child (any namespace) with text
    bool dated =
        false;  // a date child: pubDate, date, published, updated, issued, modified, created
    bool linked = false;  // an RSS <link> with text, or an Atom alternate <link href>
};

std::string inflate_if_gzip(const std::string& bytes) {
    if (bytes.size() < 2 || static_cast<unsigned char>(bytes[0]) != 0x1F ||
        static_cast<unsigned char>(bytes[1]) != 0x8B)
        return bytes;
    z_stream stream{};
    EXPECT_EQ(inflateInit2(&stream, 15 + 32), Z_OK);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    stream.avail_in = static_cast<uInt>(bytes.size());
    std::string out;
    char chunk[65536];
    int status = Z_OK;
    while (status == Z_OK) {
        stream.next_out = reinterpret_cast<Bytef*>(chunk);
        stream.avail_out = sizeof chunk;
        status = inflate(&stream, Z_NO_FLUSH);
        out.append(chunk, sizeof chunk - stream.avail_out);
    }
    inflateEnd(&stream);
    EXPECT_EQ(status, Z_STREAM_END);
    return out;
}

std::string_view local_name(const pugi::xml_node& node) {
    const std::string_view name = node.name();
    const std::size_t colon = name.find(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

bool has_text(const pugi::xml_node& node) {
    std::vector<pugi::xml_node> stack{node};
    while (!stack.empty()) {
        const pugi::xml_node n = stack.back();
        stack.pop_back();
        if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) {
            const std::string_view value = n.value();
            if (value.find_first_not_of(" \t\r\n") != std::string_view::npos)
                return true;
        }
        for (const pugi::xml_node& child : n.children())
            stack.push_back(child);
    }
    return false;
}

std::vector<SourceItem> xml_source_items(const std::string& bytes) {
    const std::string utf8 = decode_to_utf8(inflate_if_gzip(bytes)).utf8;
    pugi::xml_document document;
    const pugi::xml_parse_result parsed =
        document.load_buffer(utf8.data(), utf8.size(), pugi::parse_default, pugi::encoding_utf8);
    EXPECT_TRUE(parsed) << parsed.description();
    std::vector<SourceItem> items;
    // Pre-order: an item nested in an item comes after it, as chuhai lists it.
    std::vector<pugi::xml_node> stack{document.document_element()};
    while (!stack.empty()) {
        const pugi::xml_node node = stack.back();
        stack.pop_back();
        const std::string_view local = local_name(node);
        if (local == "item" || local == "entry") {
            SourceItem item;
            item.empty = !node.first_child();
            for (const pugi::xml_node& child : node.children()) {
                if (child.type() != pugi::node_element)
                    continue;
                const std::string_view name = local_name(child);
                item.titled = item.titled || (name == "title" && has_text(child));
                for (const std::string_view date :
                     {"pubDate", "date", "published", "updated", "issued", "modified", "created"})
                    item.dated = item.dated || (name == date && has_text(child));
                if (name == "link") {
                    const std::string_view rel = child.attribute("rel").value();
                    item.linked =
                        item.linked || has_text(child) ||
                        (*child.attribute("href").value() && (rel.empty() || rel == "alternate"));
                }
            }
            items.push_back(item);
        }
        std::vector<pugi::xml_node> children;
        for (const pugi::xml_node& child : node.children())
            if (child.type() == pugi::node_element)
                children.push_back(child);
        stack.insert(stack.end(), children.rbegin(), children.rend());
    }
    return items;
}

std::vector<SourceItem> json_source_items(const std::string& bytes) {
    const nlohmann::json root = nlohmann::json::parse(bytes);
    nlohmann::json items = root.value("items", nlohmann::json::array());
    if (root.contains("rss"))  // RSS-in-JSON
        items = root["rss"]["channel"]["item"];
    auto has = [](const nlohmann::json& item, const char* key) {
        return item.contains(key) && item[key].is_string() && !item[key].get<std::string>().empty();
    };
    std::vector<SourceItem> out;
    for (const nlohmann::json& item : items) {
        SourceItem source;
        source.empty = item.empty();
        source.titled = has(item, "title");
        source.dated =
            has(item, "date_published") || has(item, "date_modified") || has(item, "pubDate");
        source.linked = has(item, "url") || has(item, "external_url") || has(item, "link");
        out.push_back(source);
    }
    return out;
}

TEST(RealWorldCorpus, EveryFeedParsesWithTheManifestEntryCount) {
    const auto dir = realworld_dir();
    if (dir.empty())
        GTEST_SKIP() << "../shared/corpus/realworld is missing";
    const auto rows = read_manifest(dir / "MANIFEST.tsv");
    ASSERT_GT(rows.size(), 50u);
    std::size_t entries = 0, empty = 0;
    for (const ManifestRow& row : rows) {
        SCOPED_TRACE(row.file);
        const std::string bytes = read_file(dir / row.file);
        const FeedDocument doc = parse_feed(bytes);
        EXPECT_FALSE(doc.format.empty());
        const bool json = row.format.find("json") != std::string::npos;
        const std::vector<SourceItem> source =
            json ? json_source_items(bytes) : xml_source_items(bytes);
        // The manifest counts what the file holds; the independent reading agrees with it.
        ASSERT_EQ(source.size(), row.items);
        std::vector<SourceItem> items;
        for (const SourceItem& item : source)
            if (!item.empty)
                items.push_back(item);
        // Every item that holds anything is an entry; nothing is dropped as a duplicate.
        EXPECT_EQ(doc.empty_entries, source.size() - items.size());
        EXPECT_EQ(doc.duplicate_entries, 0u);
        ASSERT_EQ(doc.entries.size(), items.size());
        for (std::size_t i = 0; i < items.size(); ++i) {
            const FeedEntry& entry = doc.entries[i];
            SCOPED_TRACE("entry " + std::to_string(i) + " [" + entry.title + "]");
            EXPECT_FALSE(entry.key.empty());
            // A title exactly when the source writes one.
            EXPECT_EQ(!entry.title.empty(), items[i].titled);
            if (items[i].dated) {
                EXPECT_TRUE(entry.published || entry.updated);
            }
            if (items[i].linked) {
                EXPECT_FALSE(entry.link.empty());
            }
        }
        entries += doc.entries.size();
        empty += doc.empty_entries;
    }
    std::cout << entries << " entries checked one by one (" << empty << " empty items dropped)\n";
}

// ---- gumbo as the reference for html_to_text() ------------------------------------------

bool is_block(GumboTag tag) {
    switch (tag) {
        case GUMBO_TAG_P:
        case GUMBO_TAG_DIV:
        case GUMBO_TAG_BR:
        case GUMBO_TAG_LI:
        case GUMBO_TAG_UL:
        case GUMBO_TAG_OL:
        case GUMBO_TAG_DL:
        case GUMBO_TAG_DT:
        case GUMBO_TAG_DD:
        case GUMBO_TAG_H1:
        case GUMBO_TAG_H2:
        case GUMBO_TAG_H3:
        case GUMBO_TAG_H4:
        case GUMBO_TAG_H5:
        case GUMBO_TAG_H6:
        case GUMBO_TAG_HR:
        case GUMBO_TAG_TABLE:
        case GUMBO_TAG_TR:
        case GUMBO_TAG_TD:
        case GUMBO_TAG_TH:
        case GUMBO_TAG_THEAD:
        case GUMBO_TAG_TBODY:
        case GUMBO_TAG_TFOOT:
        case GUMBO_TAG_CAPTION:
        case GUMBO_TAG_BLOCKQUOTE:
        case GUMBO_TAG_PRE:
        case GUMBO_TAG_SECTION:
        case GUMBO_TAG_ARTICLE:
        case GUMBO_TAG_ASIDE:
        case GUMBO_TAG_HEADER:
        case GUMBO_TAG_FOOTER:
        case GUMBO_TAG_NAV:
        case GUMBO_TAG_FIGURE:
        case GUMBO_TAG_FIGCAPTION:
        case GUMBO_TAG_ADDRESS:
        case GUMBO_TAG_FORM:
        case GUMBO_TAG_FIELDSET:
        case GUMBO_TAG_LEGEND:
        case GUMBO_TAG_DETAILS:
        case GUMBO_TAG_SUMMARY:
        case GUMBO_TAG_MAIN:
        case GUMBO_TAG_MENU:
        case GUMBO_TAG_HGROUP:
            return true;
        default:
            return false;
    }
}

// gumbo's text: every text node of the tree, a separator at block boundaries; the contents
// of script, style, template, iframe, noembed and noframes (never rendered) dropped.
std::string gumbo_text(const std::string& html) {
    GumboOutput* output = gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size());
    std::string text;
    std::vector<std::pair<const GumboNode*, unsigned>> stack{{output->root, 0}};
    while (!stack.empty()) {
        auto& [node, next] = stack.back();
        if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT &&
            node->type != GUMBO_NODE_TEMPLATE) {
            if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
                node->type == GUMBO_NODE_CDATA)
                text += node->v.text.text;
            stack.pop_back();
            continue;
        }
        const GumboVector& children = node->type == GUMBO_NODE_DOCUMENT ? node->v.document.children
                                                                        : node->v.element.children;
        const bool element = node->type != GUMBO_NODE_DOCUMENT;
        if (next == 0 && element && is_block(node->v.element.tag))
            text += '\n';
        if (element &&
            (node->v.element.tag == GUMBO_TAG_SCRIPT || node->v.element.tag == GUMBO_TAG_STYLE ||
             node->v.element.tag == GUMBO_TAG_IFRAME || node->v.element.tag == GUMBO_TAG_NOEMBED ||
             node->v.element.tag == GUMBO_TAG_NOFRAMES || node->type == GUMBO_NODE_TEMPLATE)) {
            stack.pop_back();
            continue;
        }
        if (next >= children.length) {
            if (element && is_block(node->v.element.tag))
                text += '\n';
            stack.pop_back();
            continue;
        }
        const auto* child = static_cast<const GumboNode*>(children.data[next++]);
        stack.push_back({child, 0});
    }
    gumbo_destroy_output(&kGumboDefaultOptions, output);
    return text;
}

std::vector<std::string> words(const std::string& text) {
    std::string spaced = text;
    for (std::size_t pos = spaced.find("\xc2\xa0"); pos != std::string::npos;
         pos = spaced.find("\xc2\xa0", pos)) {
        spaced[pos] = ' ';
        spaced.erase(pos + 1, 1);
    }
    std::vector<std::string> out;
    std::istringstream stream(spaced);
    std::string word;
    while (stream >> word)
        out.push_back(word);
    return out;
}

// Where html_to_text() departs from HTML5 on purpose, by file name, with the reason.
const std::map<std::string, std::string> kKnownDisagreements = {
    {"item_content_encoded_script_nested_cdata.xml",
     "a CDATA section inside HTML keeps its text (feeds wrap escaped HTML in CDATA twice); "
     "HTML5 makes it a bogus comment up to the first '>'"},
};

// Compares html_to_text() with gumbo on every HTML body the files hold; one failure per body
// that disagrees, naming the file, the entry and the first word that differs, unless the file
// is a known disagreement (which must then disagree). Returns the number of bodies compared.
std::size_t expect_agreement_with_gumbo(const std::vector<std::filesystem::path>& files) {
    std::size_t bodies = 0, bytes = 0, agreeing = 0;
    std::set<std::string> known_seen;
    for (const auto& file : files) {
        FeedDocument doc;
        try {
            doc = parse_feed(read_file(file));
        } catch (const Error&) {
            continue;  // not a feed (the conformance suite has a few): no bodies
        }
        for (const FeedEntry& entry : doc.entries) {
            if (entry.content_html.empty())
                continue;
            ++bodies;
            bytes += entry.content_html.size();
            const auto ours = words(text::html_to_text(entry.content_html));
            const auto reference = words(gumbo_text(entry.content_html));
            if (ours == reference) {
                ++agreeing;
                continue;
            }
            if (const auto known = kKnownDisagreements.find(file.filename().string());
                known != kKnownDisagreements.end()) {
                known_seen.insert(known->first);
                std::cout << "known disagreement, " << known->first << ": " << known->second
                          << "\n";
                continue;
            }
            std::size_t i = 0;
            while (i < ours.size() && i < reference.size() && ours[i] == reference[i])
                ++i;
            ADD_FAILURE() << file.string() << " [" << entry.title << "] word " << i << ": ours '"
                          << (i < ours.size() ? ours[i] : "<end>") << "' gumbo '"
                          << (i < reference.size() ? reference[i] : "<end>") << "'";
        }
    }
    for (const auto& file : files) {
        const std::string name = file.filename().string();
        if (kKnownDisagreements.count(name) && !known_seen.count(name))
            ADD_FAILURE() << name << " is listed as a known disagreement but agrees";
    }
    std::cout << "html_to_text agrees with gumbo on the words of " << agreeing << " of " << bodies
              << " HTML bodies (" << bytes << " bytes); " << known_seen.size()
              << " known disagreement(s)\n";
    return bodies;
}

std::vector<std::filesystem::path> feed_files_below(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    for (const auto& item : std::filesystem::recursive_directory_iterator(dir)) {
        const std::string name = item.path().filename().string();
        if (item.is_regular_file() && name.rfind("README", 0) != 0 &&
            name.rfind("LICENSE", 0) != 0 && name != "MANIFEST.tsv" && name != "expected.json" &&
            item.path().extension() != ".py")
            files.push_back(item.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

TEST(RealWorldCorpus, HtmlToTextAgreesWithGumboOnTheWords) {
    const auto dir = realworld_dir();
    if (dir.empty())
        GTEST_SKIP() << "../shared/corpus/realworld is missing";
    std::vector<std::filesystem::path> files;
    for (const ManifestRow& row : read_manifest(dir / "MANIFEST.tsv"))
        files.push_back(dir / row.file);
    EXPECT_GT(expect_agreement_with_gumbo(files), 2000u);
}

TEST(ChineseCorpus, HtmlToTextAgreesWithGumboOnTheWords) {
    const auto shared = chuhai::testing::shared_dir();
    if (shared.empty() || !std::filesystem::exists(shared / "corpus/chinese"))
        GTEST_SKIP() << "../shared/corpus/chinese is missing";
    EXPECT_GT(expect_agreement_with_gumbo(feed_files_below(shared / "corpus/chinese")), 20u);
}

// feedparser's suite is made of the HTML that breaks parsers: comments, CDATA, entities, script
// and style in odd places, unclosed and misnested tags.
TEST(FeedparserCorpus, HtmlToTextAgreesWithGumboOnTheWords) {
    const auto shared = chuhai::testing::shared_dir();
    if (shared.empty() || !std::filesystem::exists(shared / "corpus/feedparser"))
        GTEST_SKIP() << "../shared/corpus/feedparser is missing";
    EXPECT_GT(expect_agreement_with_gumbo(feed_files_below(shared / "corpus/feedparser")), 700u);
}

}  // namespace
}  // namespace chuhai::feed
