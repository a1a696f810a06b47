// Tests over the shared corpora (../shared/corpus): the real-world feeds parse with the
// manifest's entry counts, and the streaming HTML-to-text tokenizer agrees with gumbo's
// HTML5 tree on the words of every HTML body in them. Skipped when ../shared is missing.

#include <gtest/gtest.h>
#include <gumbo.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/file.h"
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

// How many non-empty titles the source spells out (XML <title> elements, JSON "title" keys),
// the feed's own included: an upper bound on the entries that must come out titled.
std::size_t non_empty_titles(const std::string& bytes) {
    std::size_t count = 0;
    for (const std::string_view open : {"<title", "\"title\""}) {
        for (std::size_t pos = bytes.find(open); pos != std::string::npos;
             pos = bytes.find(open, pos + 1)) {
            std::size_t i = pos + open.size();
            if (open[0] == '<') {
                if (i >= bytes.size() || (bytes[i] != '>' && bytes[i] != ' '))
                    continue;
                i = bytes.find('>', i);
                if (i == std::string::npos)
                    break;
                ++i;
                if (bytes.compare(i, 9, "<![CDATA[") == 0)
                    i += 9;
            } else {
                while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == ':'))
                    ++i;
                if (i < bytes.size() && bytes[i] == '"')
                    ++i;
            }
            while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\t'))
                ++i;
            if (i < bytes.size() && bytes[i] != '<' && bytes[i] != '"' && bytes[i] != ']')
                ++count;
        }
    }
    return count;
}

// How many date elements (or JSON date keys) the source writes, the feed's own included.
std::size_t date_elements(const std::string& bytes) {
    std::size_t count = 0;
    for (const std::string_view tag :
         {"<pubDate>", "<dc:date>", "<published>", "<updated>", "<issued>", "<modified>",
          "\"date_published\"", "\"date_modified\"", "\"pubDate\""}) {
        for (std::size_t pos = bytes.find(tag); pos != std::string::npos;
             pos = bytes.find(tag, pos + 1))
            ++count;
    }
    return count;
}

TEST(RealWorldCorpus, EveryFeedParsesWithTheManifestEntryCount) {
    const auto dir = realworld_dir();
    if (dir.empty())
        GTEST_SKIP() << "../shared/corpus/realworld is missing";
    const auto rows = read_manifest(dir / "MANIFEST.tsv");
    ASSERT_GT(rows.size(), 50u);
    for (const ManifestRow& row : rows) {
        SCOPED_TRACE(row.file);
        const std::string bytes = read_file(dir / row.file);
        const FeedDocument doc = parse_feed(bytes);
        // Entries repeated within the feed are dropped but counted: together they are what
        // the file holds.
        EXPECT_EQ(doc.entries.size() + doc.duplicate_entries, row.items);
        EXPECT_FALSE(doc.format.empty());
        std::size_t titled = 0;
        for (const FeedEntry& entry : doc.entries) {
            titled += !entry.title.empty();
            EXPECT_FALSE(entry.key.empty());
        }
        // Every title the source wrote comes out: the source's non-empty titles, less the
        // feed's own (and an image's), bound the entries that must have one.
        const std::size_t source_titles = non_empty_titles(bytes);
        const std::size_t must_be_titled =
            std::min(doc.entries.size(), source_titles > 2 ? source_titles - 2 : 0);
        EXPECT_GE(titled, must_be_titled) << source_titles << " titles in the source";
        // Every date the source writes is read: entries with a date, at least as many as the
        // source's date elements less the feed's own (two at most, published and updated).
        std::size_t dated = 0;
        for (const FeedEntry& entry : doc.entries)
            dated += entry.published.has_value() || entry.updated.has_value();
        const std::size_t source_dates = date_elements(bytes);
        EXPECT_GE(dated, std::min(doc.entries.size(), source_dates > 2 ? source_dates - 2 : 0))
            << source_dates << " date elements in the source";
    }
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

TEST(RealWorldCorpus, HtmlToTextAgreesWithGumboOnTheWords) {
    const auto dir = realworld_dir();
    if (dir.empty())
        GTEST_SKIP() << "../shared/corpus/realworld is missing";
    std::size_t bodies = 0, agreeing = 0, bytes = 0;
    std::vector<std::string> disagreements;
    for (const ManifestRow& row : read_manifest(dir / "MANIFEST.tsv")) {
        const FeedDocument doc = parse_feed(read_file(dir / row.file));
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
            std::size_t i = 0;
            while (i < ours.size() && i < reference.size() && ours[i] == reference[i])
                ++i;
            std::ostringstream line;
            line << row.file << " [" << entry.title << "] word " << i << ": ours '"
                 << (i < ours.size() ? ours[i] : "<end>") << "' gumbo '"
                 << (i < reference.size() ? reference[i] : "<end>") << "'";
            disagreements.push_back(line.str());
        }
    }
    ASSERT_GT(bodies, 1000u);
    for (const std::string& line : disagreements)
        ADD_FAILURE() << line;
    std::cout << "html_to_text agrees with gumbo on " << agreeing << " of " << bodies
              << " HTML bodies (" << bytes << " bytes)\n";
}

}  // namespace
}  // namespace chuhai::feed
