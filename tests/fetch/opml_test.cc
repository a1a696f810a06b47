#include "fetch/opml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace chuhai::fetch {
namespace {

using chuhai::testing::fixture_path;
using chuhai::testing::read_fixture;
using chuhai::testing::TempDir;
using ::testing::HasSubstr;

OpmlDocument parse_fixture(const std::string& name) {
    return read_opml_file(fixture_path("fetch/" + name));
}

TEST(Opml, NestedFoldersBecomeTags) {
    const OpmlDocument doc = parse_fixture("nested_folders.opml");
    EXPECT_EQ(doc.title, "My subscriptions");
    ASSERT_EQ(doc.feeds.size(), 3u);
    EXPECT_EQ(doc.feeds[0].title, "机器之心");
    EXPECT_EQ(doc.feeds[0].xml_url, "https://www.jiqizhixin.com/rss");
    EXPECT_EQ(doc.feeds[0].html_url, "https://www.jiqizhixin.com/");
    EXPECT_EQ(doc.feeds[0].tags, (std::vector<std::string>{"AI", "China"}));
    EXPECT_EQ(doc.feeds[1].tags, std::vector<std::string>{"AI"});
    EXPECT_TRUE(doc.feeds[2].tags.empty());
    EXPECT_TRUE(doc.warnings.empty());
}

TEST(Opml, CategoryAttributeAddsTags) {
    const OpmlDocument doc = parse_fixture("category_attribute.opml");
    ASSERT_EQ(doc.feeds.size(), 1u);
    EXPECT_EQ(doc.feeds[0].tags, (std::vector<std::string>{"Tech", "Tech/AI", "News"}));
}

TEST(Opml, DuplicatesMergeWithAWarning) {
    const OpmlDocument doc = parse_fixture("duplicate_feeds.opml");
    ASSERT_EQ(doc.feeds.size(), 1u);
    EXPECT_EQ(doc.feeds[0].title, "First name");
    EXPECT_EQ(doc.feeds[0].tags, (std::vector<std::string>{"One", "Two"}));
    ASSERT_EQ(doc.warnings.size(), 1u);
    EXPECT_THAT(doc.warnings[0], HasSubstr("duplicate_feeds.opml:9:"));
    EXPECT_THAT(doc.warnings[0], HasSubstr("listed again"));
}

TEST(Opml, OutlinesWithoutFeedUrlAreSkippedWithTheirLine) {
    const OpmlDocument doc = parse_fixture("missing_xmlurl.opml");
    ASSERT_EQ(doc.feeds.size(), 1u);
    EXPECT_EQ(doc.feeds[0].xml_url, "https://example.com/good");
    ASSERT_EQ(doc.warnings.size(), 2u);
    EXPECT_THAT(doc.warnings[0], HasSubstr("missing_xmlurl.opml:6:"));
    EXPECT_THAT(doc.warnings[0], HasSubstr("A bookmark, not a feed"));
    EXPECT_THAT(doc.warnings[1], HasSubstr("missing_xmlurl.opml:7:"));
}

TEST(Opml, OnlyHttpAndHttpsFeedsAreImported) {
    const OpmlDocument doc = parse_fixture("non_http_scheme.opml");
    ASSERT_EQ(doc.feeds.size(), 1u);
    EXPECT_EQ(doc.feeds[0].xml_url, "HTTPS://example.com/feed");
    ASSERT_EQ(doc.warnings.size(), 3u);
    EXPECT_THAT(doc.warnings[0], HasSubstr("ftp://example.com/feed.xml"));
    EXPECT_THAT(doc.warnings[1], HasSubstr("javascript:"));
    EXPECT_THAT(doc.warnings[2], HasSubstr("file:///etc/passwd"));
}

TEST(Opml, LowercaseAttributesAndLegacyEncodingDeclaration) {
    const OpmlDocument doc = parse_fixture("lowercase_attributes.opml");
    ASSERT_EQ(doc.feeds.size(), 1u);
    EXPECT_EQ(doc.feeds[0].title, "Café news");
    EXPECT_EQ(doc.feeds[0].xml_url, "http://example.com/cafe");
    EXPECT_EQ(doc.feeds[0].html_url, "http://example.com/");
}

void expect_parse_error(const std::string& name, const std::string& where_part,
                        const std::string& message_part) {
    try {
        parse_fixture(name);
        FAIL() << name << " should not parse";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::parse);
        EXPECT_THAT(e.where(), HasSubstr(where_part)) << e.what();
        EXPECT_THAT(e.message(), HasSubstr(message_part)) << e.what();
    }
}

TEST(Opml, BrokenXmlNamesFileLineAndCause) {
    // The unclosed <outline> of line 6 is noticed at </body> on line 8.
    expect_parse_error("not_well_formed.opml", "not_well_formed.opml:8:5", "tags mismatch");
}

TEST(Opml, WrongRootIsRefused) {
    expect_parse_error("wrong_root.opml", "wrong_root.opml:2:", "<rss>, not <opml>");
}

TEST(Opml, MissingBodyIsRefused) {
    expect_parse_error("no_body.opml", "no_body.opml:2:", "no <body>");
}

TEST(Opml, EmptyInputIsRefused) {
    EXPECT_THROW(parse_opml("", "empty.opml"), Error);
}

TEST(Opml, MissingFileIsAnIoError) {
    try {
        read_opml_file("/nonexistent/subscriptions.opml");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::io);
    }
}

TEST(Opml, WriteThenParseGivesBackFeedsAndTags) {
    OpmlDocument doc;
    doc.title = "chuhai <export> & more";
    doc.feeds.push_back({"Synced 机器之心",
                         "https://www.jiqizhixin.com/rss",
                         "https://www.jiqizhixin.com/",
                         {"AI", "China"}});
    doc.feeds.push_back({"Plain", "http://example.org/feed?a=1&b=\"2\"", "", {}});
    doc.feeds.push_back({"Second AI", "https://example.com/ai", "", {"AI"}});
    doc.feeds.push_back({"Commas", "https://example.com/c", "", {"one, two", "three"}});
    const std::string text = write_opml(doc, *parse_rfc3339("2025-02-03T04:05:06Z"));
    EXPECT_THAT(text, HasSubstr("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    EXPECT_THAT(text, HasSubstr("<opml version=\"2.0\">"));
    EXPECT_THAT(text, HasSubstr("<dateCreated>Mon, 03 Feb 2025 04:05:06 GMT</dateCreated>"));
    EXPECT_THAT(text, HasSubstr("&amp;b="));
    EXPECT_EQ(text.find("<?xml", 1), std::string::npos) << "one declaration only";

    const OpmlDocument back = parse_opml(text, "export.opml");
    EXPECT_EQ(back.title, doc.title);
    EXPECT_TRUE(back.warnings.empty());
    ASSERT_EQ(back.feeds.size(), 4u);
    // Untagged feeds come first, then one folder per first tag in order of appearance.
    EXPECT_EQ(back.feeds[0].xml_url, doc.feeds[1].xml_url);
    EXPECT_EQ(back.feeds[1].title, doc.feeds[0].title);
    EXPECT_EQ(back.feeds[1].html_url, doc.feeds[0].html_url);
    EXPECT_EQ(back.feeds[1].tags, doc.feeds[0].tags);
    EXPECT_EQ(back.feeds[2].tags, doc.feeds[2].tags);
    EXPECT_EQ(back.feeds[3].tags, (std::vector<std::string>{"one  two", "three"}));
}

TEST(Opml, ExportOfAnImportKeepsEverything) {
    const OpmlDocument first = parse_fixture("nested_folders.opml");
    TempDir dir;
    const auto path = dir.write("again.opml", write_opml(first));
    const OpmlDocument second = read_opml_file(path);
    ASSERT_EQ(second.feeds.size(), first.feeds.size());
    for (const auto& feed : first.feeds) {
        const auto it = std::find_if(second.feeds.begin(), second.feeds.end(),
                                     [&](const OpmlFeed& f) { return f.xml_url == feed.xml_url; });
        ASSERT_NE(it, second.feeds.end()) << feed.xml_url;
        EXPECT_EQ(it->title, feed.title);
        EXPECT_EQ(it->tags, feed.tags);
    }
}

TEST(Opml, HostileNestingIsBounded) {
    std::string text = "<opml version=\"2.0\"><body>";
    for (int i = 0; i < 5000; ++i)
        text += "<outline text=\"f\">";
    text += "<outline text=\"deep\" xmlUrl=\"http://example.com/deep\"/>";
    for (int i = 0; i < 5000; ++i)
        text += "</outline>";
    text += "</body></opml>";
    const OpmlDocument doc = parse_opml(text, "deep.opml");
    EXPECT_TRUE(doc.feeds.empty());
    ASSERT_EQ(doc.warnings.size(), 1u);
    EXPECT_THAT(doc.warnings[0], HasSubstr("nested too deeply"));
}

}  // namespace
}  // namespace chuhai::fetch
