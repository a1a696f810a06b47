#include "feed/feed_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "common/file.h"
#include "feed/identity.h"
#include "tests/support/test_support.h"

namespace chuhai::feed {
namespace {

using chuhai::testing::read_fixture;

FeedDocument parse_fixture(const std::string& name, ParseOptions options = {}) {
    return parse_feed(read_fixture("feed/" + name), options);
}

std::string rfc3339(const std::optional<UtcTime>& t) {
    return t ? format_rfc3339(*t) : std::string("null");
}

TEST(FeedParser, Rss2FieldsAreNormalised) {
    const FeedDocument doc = parse_fixture("rss2_basic.xml");
    EXPECT_EQ(doc.format, "rss2.0");
    EXPECT_EQ(doc.encoding, "utf-8");
    EXPECT_FALSE(doc.bozo) << doc.bozo_reason;
    EXPECT_EQ(doc.title, "Overseas & Beyond");
    EXPECT_EQ(doc.link, "https://news.example.com/tech/");
    EXPECT_EQ(doc.subtitle, "AI companies going global");
    ASSERT_TRUE(doc.ttl_minutes);
    EXPECT_EQ(*doc.ttl_minutes, 30);
    ASSERT_EQ(doc.entries.size(), 2u);
    const FeedEntry& first = doc.entries[0];
    EXPECT_EQ(first.title, "Alibaba Cloud opens second data centre in Mexico");
    EXPECT_EQ(first.link, "https://news.example.com/a/1?id=7");
    EXPECT_EQ(first.url, "https://news.example.com/a/1?utm_source=rss&id=7#comments");
    EXPECT_EQ(first.id, "news-1");
    EXPECT_EQ(first.key, "id:news-1");
    EXPECT_EQ(first.summary, "Alibaba Cloud said on Monday it opened a data centre.");
    EXPECT_EQ(first.content, "Full text: Alibaba Cloud & partners.\nSecond paragraph.");
    EXPECT_NE(first.content_html.find("<p>Full text"), std::string::npos);
    EXPECT_EQ(rfc3339(first.published), "2024-06-24T02:30:00Z");
    EXPECT_EQ(first.author, "Li Wei");
    EXPECT_EQ(first.categories, (std::vector<std::string>{"Cloud", "Mexico"}));
    EXPECT_NE(entry_simhash(first), 0u);
    EXPECT_NE(first.content_hash, 0u);

    const FeedEntry& second = doc.entries[1];
    // Without a document URL a relative link stays relative (see the next test).
    EXPECT_EQ(second.link, "/a/2");
    EXPECT_EQ(second.author, "Zhang San");
    EXPECT_EQ(second.key, "url:/a/2");
}

TEST(FeedParser, RelativeLinksResolveAgainstTheFeedUrl) {
    ParseOptions options;
    options.base_url = "https://news.example.com/feeds/rss.xml";
    const FeedDocument doc = parse_fixture("rss2_basic.xml", options);
    ASSERT_EQ(doc.entries.size(), 2u);
    EXPECT_EQ(doc.entries[1].link, "https://news.example.com/a/2");
}

TEST(FeedParser, AtomXmlBaseAppliesAtEveryLevel) {
    const FeedDocument doc = parse_fixture("atom10_xml_base.xml");
    EXPECT_EQ(doc.format, "atom1.0");
    EXPECT_FALSE(doc.bozo) << doc.bozo_reason;
    EXPECT_EQ(doc.title, "Example blog");
    EXPECT_EQ(doc.subtitle, "AI news");
    EXPECT_EQ(doc.link, "https://blog.example.org/base/");
    ASSERT_EQ(doc.entries.size(), 1u);
    const FeedEntry& entry = doc.entries[0];
    EXPECT_EQ(entry.title, "MiniMax & Zhipu expand to Europe");
    EXPECT_EQ(entry.link, "https://blog.example.org/base/posts/2024/minimax.html");
    EXPECT_EQ(entry.html_base, "https://blog.example.org/base/posts/");
    EXPECT_EQ(entry.id, "tag:blog.example.org,2024:1");
    EXPECT_EQ(rfc3339(entry.published), "2024-06-24T02:30:00Z");
    EXPECT_EQ(rfc3339(entry.updated), "2024-06-25T00:00:00Z");
    EXPECT_EQ(entry.author, "Wang Fang");
    EXPECT_EQ(entry.categories, (std::vector<std::string>{"expansion"}));
    // type="text" keeps its brackets: they are text, not markup.
    EXPECT_EQ(entry.summary, "Two AI companies <open> offices.");
    EXPECT_EQ(entry.content, "They open offices in Paris & Berlin.");
    EXPECT_NE(entry.content_html.find("<a href=\"/paris\">"), std::string::npos);
}

// content_html's relative links resolve against the xml:base of the element the HTML came
// from (and of the xhtml div inside it), not only the entry's.
TEST(FeedParser, AtomContentXmlBaseIsTheHtmlBase) {
    const FeedDocument doc = parse_fixture("atom_content_xml_base.xml");
    EXPECT_FALSE(doc.bozo) << doc.bozo_reason;
    ASSERT_EQ(doc.entries.size(), 3u);
    EXPECT_EQ(doc.entries[0].link, "https://news.example.org/feed/2024/kimi.html");
    EXPECT_EQ(doc.entries[0].html_base, "https://cdn.example.net/articles/kimi/");
    EXPECT_EQ(doc.entries[1].link, "https://news.example.org/feed/2024/baichuan.html");
    EXPECT_EQ(doc.entries[1].html_base, "https://news.example.org/feed/2024/archive/baichuan/");
    // An unsafe xml:base is ignored, as everywhere: the entry's base stays.
    EXPECT_EQ(doc.entries[2].html_base, "https://news.example.org/feed/2024/");
}

TEST(FeedParser, Rss10WithDublinCore) {
    const FeedDocument doc = parse_fixture("rdf_dc.xml");
    EXPECT_EQ(doc.format, "rss1.0");
    ASSERT_EQ(doc.entries.size(), 1u);
    const FeedEntry& entry = doc.entries[0];
    EXPECT_EQ(entry.id, "https://rdf.example.com/item/1");
    EXPECT_EQ(entry.author, "Liu");
    EXPECT_EQ(entry.categories, (std::vector<std::string>{"expansion"}));
    EXPECT_EQ(rfc3339(entry.published), "2024-06-24T02:30:00Z");
    EXPECT_EQ(entry.content, "Full content");
}

TEST(FeedParser, Atom03EscapedAndBase64Content) {
    const FeedDocument doc = parse_fixture("atom03.xml");
    EXPECT_EQ(doc.format, "atom0.3");
    ASSERT_EQ(doc.entries.size(), 1u);
    const FeedEntry& entry = doc.entries[0];
    EXPECT_EQ(entry.summary, "Escaped summary");
    EXPECT_EQ(entry.content, "Base64 content");
    EXPECT_EQ(rfc3339(entry.published), "2004-01-01T19:48:21Z");
    EXPECT_EQ(rfc3339(entry.updated), "2004-01-02T19:48:21Z");
    EXPECT_EQ(doc.link, "https://old.example.com/");
}

TEST(FeedParser, JsonFeed11) {
    const FeedDocument doc = parse_fixture("jsonfeed_1_1.json");
    EXPECT_EQ(doc.format, "jsonfeed");
    EXPECT_EQ(doc.title, "JSON Example");
    EXPECT_EQ(doc.link, "https://json.example.com/");
    ASSERT_EQ(doc.entries.size(), 2u);
    const FeedEntry& first = doc.entries[0];
    EXPECT_EQ(first.title, "DeepSeek opens & expands");
    EXPECT_EQ(first.link, "https://json.example.com/posts/1");
    EXPECT_EQ(first.content, "Hello world");
    EXPECT_EQ(first.summary, "A summary");
    EXPECT_EQ(first.author, "Chen");
    EXPECT_EQ(first.categories, (std::vector<std::string>{"AI", "Europe"}));
    EXPECT_EQ(rfc3339(first.published), "2024-06-24T02:30:00Z");
    EXPECT_EQ(rfc3339(first.updated), "2024-06-24T12:00:00Z");
    EXPECT_EQ(doc.entries[1].link, "https://other.example.com/story");
    EXPECT_EQ(doc.entries[1].content, "Only plain\ntext");
}

TEST(FeedParser, UndefinedEntitiesAreDecodedAndMakeTheFeedBozo) {
    const FeedDocument doc = parse_fixture("rss_undefined_entities.xml");
    EXPECT_TRUE(doc.bozo);
    EXPECT_NE(doc.bozo_reason.find("undefined entity &mdash;"), std::string::npos)
        << doc.bozo_reason;
    EXPECT_NE(doc.bozo_reason.find("line 4"), std::string::npos) << doc.bozo_reason;
    EXPECT_EQ(doc.title, "Entities \u2014 a test");
    ASSERT_EQ(doc.entries.size(), 2u);
    EXPECT_EQ(doc.entries[0].title, "AT&T and caf\u00e9 & more");
    EXPECT_EQ(doc.entries[0].summary, "Tom & Jerry \u00a9 2024\u2019s");
}

TEST(FeedParser, ControlCharactersAreDroppedAndReported) {
    const FeedDocument doc = parse_fixture("rss_control_characters.xml");
    EXPECT_TRUE(doc.bozo);
    EXPECT_NE(doc.bozo_reason.find("control character"), std::string::npos) << doc.bozo_reason;
    ASSERT_EQ(doc.entries.size(), 1u);
    EXPECT_EQ(doc.entries[0].title, "Bell and backspace here");
}

TEST(FeedParser, MismatchedTagsRecoverEveryItem) {
    const FeedDocument doc = parse_fixture("rss_mismatched_tags.xml");
    EXPECT_TRUE(doc.bozo);
    EXPECT_NE(doc.bozo_reason.find("not well-formed XML (line 8"), std::string::npos)
        << doc.bozo_reason;
    ASSERT_EQ(doc.entries.size(), 3u);
    EXPECT_EQ(doc.entries[0].summary, "Unescaped bold and italic text");
    EXPECT_EQ(doc.entries[1].title, "Second");
    EXPECT_EQ(doc.entries[2].title, "Third");
    EXPECT_EQ(doc.entries[2].link, "https://example.com/3");
}

TEST(FeedParser, CutOffDocumentKeepsTheCompleteItems) {
    const FeedDocument doc = parse_fixture("rss_truncated_mid_item.xml");
    EXPECT_TRUE(doc.bozo);
    EXPECT_NE(doc.bozo_reason.find("ends inside an entry"), std::string::npos) << doc.bozo_reason;
    ASSERT_EQ(doc.entries.size(), 2u);
    EXPECT_EQ(doc.entries[1].title, "Complete two");
}

TEST(FeedParser, EveryPrefixOfAFeedParsesWithoutThrowingOrInventingItems) {
    const std::string bytes = read_fixture("feed/rss2_basic.xml");
    for (std::size_t length = 1; length <= bytes.size(); length += 7) {
        try {
            const FeedDocument doc = parse_feed(bytes.substr(0, length));
            EXPECT_LE(doc.entries.size(), 2u);
            for (const FeedEntry& entry : doc.entries)
                EXPECT_FALSE(entry.title.empty()) << "prefix of " << length << " bytes";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::parse);
        }
    }
}

TEST(FeedParser, EntityBombIsNeverExpanded) {
    const FeedDocument doc = parse_fixture("entity_bomb.xml");
    EXPECT_TRUE(doc.bozo);
    EXPECT_NE(doc.bozo_reason.find("undefined entity &lol9;"), std::string::npos)
        << doc.bozo_reason;
    EXPECT_EQ(doc.title, "Bomb &lol9;");
    ASSERT_EQ(doc.entries.size(), 1u);
    EXPECT_LT(doc.entries[0].title.size(), 64u);
}

TEST(FeedParser, ExternalEntitiesAreNeverLoaded) {
    const FeedDocument doc = parse_fixture("external_entity.xml");
    EXPECT_EQ(doc.title, "External &secret;");
    ASSERT_EQ(doc.entries.size(), 1u);
    EXPECT_EQ(doc.entries[0].title.find("root:"), std::string::npos);
}

TEST(FeedParser, DeepNestingIsBounded) {
    std::string deep = "<rss version=\"2.0\"><channel><item><title>deep</title><description>";
    for (int i = 0; i < 100000; ++i)
        deep += "<div>";
    deep += "text";
    deep += "</description></item></channel></rss>";
    const FeedDocument doc = parse_feed(deep);
    EXPECT_TRUE(doc.bozo);
    ASSERT_EQ(doc.entries.size(), 1u);
    EXPECT_EQ(doc.entries[0].summary, "text");
}

TEST(FeedParser, DocumentsOverMaxBytesAreCutAndMarked) {
    std::string big = "<rss version=\"2.0\"><channel><title>Big</title>";
    for (int i = 0; i < 200; ++i)
        big += "<item><title>Item " + std::to_string(i) + "</title><link>https://e.com/" +
               std::to_string(i) + "</link></item>";
    big += "</channel></rss>";
    ParseOptions options;
    options.max_bytes = big.size() / 2;
    const FeedDocument doc = parse_feed(big, options);
    EXPECT_TRUE(doc.bozo);
    EXPECT_NE(doc.bozo_reason.find("larger than"), std::string::npos) << doc.bozo_reason;
    EXPECT_GT(doc.entries.size(), 50u);
    EXPECT_LT(doc.entries.size(), 200u);
}

TEST(FeedParser, DuplicateEntriesWithinAFeedAreDropped) {
    const FeedDocument doc = parse_fixture("rss_duplicate_guid.xml");
    ASSERT_EQ(doc.entries.size(), 3u);
    EXPECT_EQ(doc.duplicate_entries, 1u);
    EXPECT_EQ(doc.entries[0].title, "Same item");
    EXPECT_EQ(doc.entries[1].title, "Different post, same guid");
    EXPECT_EQ(doc.entries[0].key.rfind("hash:", 0), 0u);
    EXPECT_NE(doc.entries[0].key, doc.entries[1].key);
    EXPECT_EQ(doc.entries[2].key, "id:g-2");
}

TEST(FeedParser, OffsetlessDatesUseTheSourceTimezone) {
    ParseOptions options;
    options.timezone = "Asia/Shanghai";
    const FeedDocument doc = parse_fixture("rss_chinese_dates.xml", options);
    ASSERT_EQ(doc.entries.size(), 2u);
    EXPECT_EQ(rfc3339(doc.entries[0].published), "2024-06-24T02:30:00Z");
    EXPECT_EQ(rfc3339(doc.entries[1].published), "2024-06-24T02:30:00Z");
    const FeedDocument utc = parse_fixture("rss_chinese_dates.xml");
    EXPECT_EQ(rfc3339(utc.entries[0].published), "2024-06-24T10:30:00Z");
}

TEST(FeedParser, UnknownTimezoneIsAConfigError) {
    ParseOptions options;
    options.timezone = "Mars/Olympus_Mons";
    try {
        parse_fixture("rss2_basic.xml", options);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::config);
        EXPECT_NE(std::string(e.what()).find("Mars/Olympus_Mons"), std::string::npos);
    }
}

TEST(FeedParser, NotAFeedThrowsParseErrorsNamingTheSource) {
    ParseOptions options;
    options.source = "login-page";
    for (const std::string& bytes :
         {read_fixture("feed/not_a_feed.html"), std::string(""), std::string("   \n"),
          std::string("Just some text"), std::string("{\"hello\": 1}"), std::string("{broken"),
          std::string("<?xml version=\"1.0\"?><svg></svg>")}) {
        try {
            parse_feed(bytes, options);
            ADD_FAILURE() << "no error for: " << bytes;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::parse) << bytes;
            EXPECT_EQ(e.where(), "login-page");
        }
    }
}

TEST(FeedParser, GzipBodiesWithoutContentEncodingAreInflated) {
    // "<rss version="2.0"><channel><item><title>zipped</title></item></channel></rss>", gzip -9.
    const std::string plain =
        "<rss version=\"2.0\"><channel><item><title>zipped</title></item></channel></rss>";
    chuhai::testing::TempDir dir;
    const auto path = dir.write("feed.xml", plain);
    ASSERT_EQ(std::system(("gzip -9 " + path.string()).c_str()), 0);
    const std::string zipped = chuhai::read_file(path.string() + ".gz");
    const FeedDocument doc = parse_feed(zipped);
    ASSERT_EQ(doc.entries.size(), 1u);
    EXPECT_EQ(doc.entries[0].title, "zipped");
}

TEST(FeedParser, EntriesHoldingNothingAreDroppedAndCounted) {
    const FeedDocument doc = parse_feed(
        "<rss version=\"2.0\"><channel><item><title>one</title><item/></item>"
        "<item><link>https://e.com/2</link><item> </item></item><item><category>c</category>"
        "</item></channel></rss>");
    ASSERT_EQ(doc.entries.size(), 3u);
    EXPECT_EQ(doc.empty_entries, 2u);
    EXPECT_EQ(doc.duplicate_entries, 0u);
    EXPECT_EQ(doc.entries[0].title, "one");
    EXPECT_EQ(doc.entries[1].link, "https://e.com/2");
    EXPECT_EQ(doc.entries[2].categories, std::vector<std::string>{"c"});
}

TEST(FeedParser, NestedItemsBecomeEntriesOfTheirOwn) {
    const std::string bytes =
        "<rss version=\"2.0\"><channel><item><title>outer</title><link>https://e.com/o</link>"
        "<item><title>inner</title><link>https://e.com/i</link></item></item></channel></rss>";
    const FeedDocument doc = parse_feed(bytes);
    ASSERT_EQ(doc.entries.size(), 2u);
    EXPECT_EQ(doc.entries[0].title, "outer");
    EXPECT_EQ(doc.entries[1].title, "inner");
}

// A prefix used without a declaration makes the document not namespace-well-formed (bozo),
// and the well-known prefixes are still read as what they always mean.
TEST(FeedParser, UndeclaredNamespacePrefixIsBozoAndStillRead) {
    const FeedDocument doc = parse_fixture("rss_undeclared_namespace_prefix.xml");
    EXPECT_TRUE(doc.bozo);
    EXPECT_EQ(doc.bozo_reason, "namespace prefix 'dc' used without a declaration");
    ASSERT_EQ(doc.entries.size(), 1u);
    EXPECT_EQ(doc.entries[0].author, "Wang Fang");
    EXPECT_EQ(rfc3339(doc.entries[0].published), "2025-03-18T01:30:00Z");
}

TEST(FeedParser, ContentTypeThatIsNoXmlMediaTypeIsBozo) {
    const std::string bytes =
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>t</title>"
        "</item></channel></rss>";
    ParseOptions options;
    options.content_type = "text/plain; charset=utf-8";
    const FeedDocument plain = parse_feed(bytes, options);
    EXPECT_TRUE(plain.bozo);
    EXPECT_EQ(plain.bozo_reason, "served as 'text/plain; charset=utf-8', not an XML media type");
    EXPECT_EQ(plain.entries.size(), 1u);
    options.content_type = "application/rss+xml";
    EXPECT_FALSE(parse_feed(bytes, options).bozo);
    // JSON feeds are not XML: their media type is not held against them.
    options.content_type = "application/feed+json";
    EXPECT_FALSE(
        parse_feed(R"({"version": "https://jsonfeed.org/version/1.1", "items": []})", options)
            .bozo);
}

TEST(FeedParser, CharsetProblemsAreBozo) {
    const FeedDocument bogus = parse_feed(
        "<?xml version=\"1.0\" encoding=\"bogus\"?><rss version=\"2.0\"><channel>"
        "<title>t</title></channel></rss>");
    EXPECT_TRUE(bogus.bozo);
    EXPECT_EQ(bogus.bozo_reason, "unknown charset 'bogus'");
    ParseOptions options;
    options.content_type = "text/xml";
    const FeedDocument ascii_by_default = parse_feed(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
        "<title>caf\xc3\xa9</title></channel></rss>",
        options);
    EXPECT_TRUE(ascii_by_default.bozo);
    EXPECT_EQ(ascii_by_default.title, "caf\xc3\xa9");  // read as declared all the same
}

TEST(FeedParser, AtomLinksWrittenAsElementText) {
    const FeedDocument doc = parse_fixture("atom_link_in_element_text.xml");
    ASSERT_EQ(doc.entries.size(), 2u);
    EXPECT_EQ(doc.entries[0].link, "https://example.com/1");  // the alternate, not the enclosure
    EXPECT_EQ(doc.entries[1].link, "https://example.com/2");  // href wins over the text
}

TEST(FeedParser, DoubleEncodedUtf8IsRestoredPerElement) {
    const FeedDocument doc = parse_fixture("rss_double_encoded_utf8.xml");
    EXPECT_FALSE(doc.bozo) << doc.bozo_reason;
    EXPECT_EQ(doc.title, "Caf\xc3\xa9 news");
    ASSERT_EQ(doc.entries.size(), 2u);
    EXPECT_EQ(doc.entries[0].title, "Tencent\xe2\x80\x99s cloud in Frankfurt\xe2\x80\xa6");
    EXPECT_EQ(doc.entries[0].summary, "\xe2\x80\xa6");  // from &#226;&#128;&#166;
    EXPECT_EQ(doc.entries[1].title,
              "Caf\xc3\xa9 \xe2\x80\x9c"
              "as written\xe2\x80\x9d");
    // Only UTF-8 documents: the same bytes in a windows-1252 document (one that is not valid
    // UTF-8, so that the label holds) are taken as written.
    std::string latin = read_fixture("feed/rss_double_encoded_utf8.xml");
    latin.replace(latin.find("utf-8"), 5, "windows-1252");
    latin.replace(latin.find("news"), 4, "n\xe9ws");
    EXPECT_NE(parse_feed(latin).entries[0].title,
              "Tencent\xe2\x80\x99s cloud in Frankfurt\xe2\x80\xa6");
}

TEST(FeedParser, XmlBaseWithAnUnsafeSchemeIsIgnored) {
    const FeedDocument doc = parse_fixture("atom_unsafe_xml_base.xml");
    ASSERT_EQ(doc.entries.size(), 2u);
    EXPECT_EQ(doc.entries[0].link, "https://example.com/news/story.html");
    EXPECT_EQ(doc.entries[1].link, "https://example.com/news/other.html");
}

TEST(FeedParser, MediaCategoriesAreCategories) {
    const FeedDocument doc = parse_feed(
        "<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><item>"
        "<title>t</title><category>Cloud</category><media:category>AI</media:category>"
        "<media:category>Cloud</media:category></item></channel></rss>");
    ASSERT_EQ(doc.entries.size(), 1u);
    EXPECT_EQ(doc.entries[0].categories, (std::vector<std::string>{"Cloud", "AI"}));
}

TEST(FeedParser, MediaRssImagesBecomeTheThumbnail) {
    ParseOptions options;
    options.base_url = "https://example.com/feed.xml";
    const FeedDocument doc = parse_fixture("rss_media_rss_images.xml", options);
    ASSERT_EQ(doc.entries.size(), 7u);
    EXPECT_EQ(doc.entries[0].thumbnail, "https://img.example.com/1-thumb.jpg");
    EXPECT_EQ(doc.entries[1].thumbnail, "https://img.example.com/2-460.jpg");
    EXPECT_EQ(doc.entries[2].thumbnail, "");
    EXPECT_EQ(doc.entries[3].thumbnail, "https://example.com/thumbs/4.png");
    EXPECT_EQ(doc.entries[4].thumbnail, "");
    EXPECT_EQ(doc.entries[5].thumbnail, "https://img.example.com/6.JPG?w=300");
    EXPECT_EQ(doc.entries[6].thumbnail, "");
    EXPECT_FALSE(doc.bozo) << doc.bozo_reason;
}

TEST(FeedParser, AtomAndJsonFeedThumbnails) {
    const FeedDocument atom = parse_feed(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:media=\"http://search.yahoo.com/mrss/\""
        " xml:base=\"https://videos.example.com/\"><entry><id>v1</id><title>A video</title>"
        "<media:group><media:title>A video</media:title><media:thumbnail url=\"v1.jpg\" "
        "width=\"480\"/><media:description>About it</media:description></media:group></entry>"
        "</feed>");
    ASSERT_EQ(atom.entries.size(), 1u);
    EXPECT_EQ(atom.entries[0].thumbnail, "https://videos.example.com/v1.jpg");
    EXPECT_EQ(atom.entries[0].summary, "About it");
    ParseOptions options;
    options.base_url = "https://blog.example.com/feed.json";
    const FeedDocument json = parse_feed(
        R"({"version": "https://jsonfeed.org/version/1.1", "items": [
            {"id": "1", "title": "With", "image": "/img/1.png"},
            {"id": "2", "title": "Without"},
            {"id": "3", "title": "Data", "image": "data:image/png;base64,AAAA"}]})",
        options);
    ASSERT_EQ(json.entries.size(), 3u);
    EXPECT_EQ(json.entries[0].thumbnail, "https://blog.example.com/img/1.png");
    EXPECT_EQ(json.entries[1].thumbnail, "");
    EXPECT_EQ(json.entries[2].thumbnail, "");
}

}  // namespace
}  // namespace chuhai::feed
