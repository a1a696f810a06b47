#include "match/corpus.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace chuhai::match {
namespace {

using chuhai::testing::TempDir;

TEST(DocumentFiles, TextFirstLineIsTheTitle) {
    TempDir dir;
    const auto path =
        dir.write("a.txt", "\xEF\xBB\xBF\n\n  Alibaba Cloud in Mexico  \n\nBody one.\nBody two.\n");
    const Document d = read_document_file(path);
    EXPECT_EQ(d.title, "Alibaba Cloud in Mexico");
    EXPECT_EQ(d.content, "Body one.\nBody two.");
}

TEST(DocumentFiles, MarkdownTitleLosesItsHashes) {
    TempDir dir;
    const Document d = read_document_file(dir.write("a.md", "## Qwen abroad\nText"));
    EXPECT_EQ(d.title, "Qwen abroad");
    EXPECT_EQ(d.content, "Text");
}

TEST(DocumentFiles, HtmlTitleAndVisibleBodyText) {
    TempDir dir;
    const Document d = read_document_file(dir.write(
        "a.html",
        "<html><head><title>Tencent Cloud &amp; Mobily</title><style>p{}</style></head>"
        "<body><h1>Ignored as title</h1><p>Riyadh <b>region</b></p><script>var x;</script>"
        "<ul><li>one</li><li>two</li></ul></body></html>"));
    EXPECT_EQ(d.title, "Tencent Cloud & Mobily");
    EXPECT_EQ(d.content, "Ignored as title\nRiyadh region\none\ntwo");
}

TEST(DocumentFiles, UnknownExtensionIsAParseError) {
    TempDir dir;
    try {
        (void)read_document_file(dir.write("a.pdf", "x"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::parse);
    }
}

TEST(Corpus, ReadsDocumentsAndListsWhatItSkips) {
    TempDir dir;
    dir.write("b.txt", "B\n");
    dir.write("sub/a.md", "# A\n");
    dir.write("feed.xml", "<rss/>");
    dir.write("notes.csv", "x");
    dir.write(".hidden.txt", "H\n");
    const Corpus corpus = read_corpus(dir.path());
    ASSERT_EQ(corpus.documents.size(), 2u);
    EXPECT_EQ(corpus.documents[0].name, "b.txt");
    EXPECT_EQ(corpus.documents[1].name, "sub/a.md");
    EXPECT_EQ(corpus.skipped.size(), 2u);

    const Corpus with_feeds = read_corpus(dir.path(), [](const std::filesystem::path&) {
        NamedDocument entry;
        entry.name = "#1";
        entry.document.title = "from the feed";
        return std::vector<NamedDocument>{entry};
    });
    ASSERT_EQ(with_feeds.documents.size(), 3u);
    EXPECT_EQ(with_feeds.documents[1].name, "feed.xml#1");
    EXPECT_TRUE(with_feeds.documents[1].feed_entry);
    EXPECT_FALSE(with_feeds.documents[0].feed_entry);

    // A feed file that is no feed is skipped with the reason; other errors stop the run.
    const Corpus not_a_feed = read_corpus(dir.path(), [](const std::filesystem::path& path) {
        throw Error(ErrorKind::parse, "an HTML page", path.string());
        return std::vector<NamedDocument>{};
    });
    EXPECT_EQ(not_a_feed.documents.size(), 2u);
    EXPECT_NE(std::find(not_a_feed.skipped.begin(), not_a_feed.skipped.end(),
                        "feed.xml: not a feed: an HTML page"),
              not_a_feed.skipped.end());
    EXPECT_THROW(read_corpus(dir.path(),
                             [](const std::filesystem::path& path) -> std::vector<NamedDocument> {
                                 throw Error(ErrorKind::io, "unreadable", path.string());
                             }),
                 Error);
}

TEST(Labels, ParseAndScore) {
    TempDir dir;
    const auto path =
        dir.write("labels.tsv", "# name\tlabel\na.txt\t1\r\nb.txt\t0\n\nc.txt\t1\nd.txt\t0\n");
    const auto labels = read_labels(path);
    ASSERT_EQ(labels.size(), 4u);
    std::vector<MatchResult> results(5);
    results[0].matched = true;   // a: true positive
    results[1].matched = true;   // b: false positive
    results[2].matched = false;  // c: false negative
    results[3].matched = false;  // d: true negative
    const LabelledOutcome outcome =
        score_against_labels({"a.txt", "b.txt", "c.txt", "d.txt", "e.txt"}, results, labels);
    EXPECT_DOUBLE_EQ(outcome.precision, 0.5);
    EXPECT_DOUBLE_EQ(outcome.recall, 0.5);
    EXPECT_EQ(outcome.false_positives_names, (std::vector<std::string>{"b.txt"}));
    EXPECT_EQ(outcome.false_negatives_names, (std::vector<std::string>{"c.txt"}));
    EXPECT_EQ(outcome.unlabelled, (std::vector<std::string>{"e.txt"}));
    EXPECT_THROW(score_against_labels({"a.txt"}, {MatchResult{}}, labels), Error);
}

TEST(Labels, MalformedLinesNameFileAndLine) {
    TempDir dir;
    try {
        (void)read_labels(dir.write("l.tsv", "a.txt\t1\nb.txt yes\n"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.where(), (dir / "l.tsv").string() + ":2");
    }
    try {
        (void)read_labels(dir.write("m.tsv", "a.txt\t1\na.txt\t0\n"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.message(), "'a.txt' is labelled twice");
    }
}

}  // namespace
}  // namespace chuhai::match
