#include "store/corpus_files.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace chuhai::store {
namespace {

using chuhai::testing::fixture_path;
using chuhai::testing::read_fixture;
using chuhai::testing::TempDir;

CorpusDocument parse_fixture(const std::string& name) {
    return parse_corpus_document(fixture_path("store/" + name), name,
                                 read_fixture("store/" + name));
}

TEST(CorpusFiles, TitleIsTheFirstNonEmptyLineAndSpacesAreTidied) {
    const auto document = parse_fixture("corpus_title_after_blank_lines.txt");
    EXPECT_EQ(document.title, "Huawei expands Ascend chips to Malaysia");
    EXPECT_EQ(document.text,
              "Huawei said on Monday it would sell Ascend chips.\n\nA second paragraph.");
    EXPECT_EQ(document.key, "corpus_title_after_blank_lines.txt");
}

TEST(CorpusFiles, MarkdownHeadingMarksAreDropped) {
    const auto document = parse_fixture("corpus_markdown_heading.md");
    EXPECT_EQ(document.title, "阿里云出海");
    EXPECT_EQ(document.text, "阿里云在迪拜新建数据中心。");
}

TEST(CorpusFiles, HtmlBecomesTextWithoutScriptsStylesOrComments) {
    const auto document = parse_fixture("corpus_html_document.html");
    EXPECT_EQ(document.title, "Tencent Cloud & Mobily launch \u201CGo Saudi\u201D");
    EXPECT_EQ(document.text,
              "Go Saudi\n"
              "Tencent Cloud and Mobily\u2019s programme, worth $100 m.\n"
              "Second line <kept> &unknown; 5 < 6.\n"
              "Vision 2030\n"
              "Cloud");
}

TEST(CorpusFiles, ByteOrderMarkAndCrlfAreHandled) {
    const auto document = parse_fixture("corpus_bom_crlf.txt");
    EXPECT_EQ(document.title, "Title after a byte order mark");
    EXPECT_EQ(document.text, "Body with CRLF line ends.");
}

TEST(CorpusFiles, InvalidUtf8IsRefusedNamingFileAndLine) {
    try {
        parse_fixture("corpus_invalid_utf8.txt");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::parse);
        EXPECT_NE(e.where().find("corpus_invalid_utf8.txt:2"), std::string::npos) << e.what();
        EXPECT_NE(e.message().find("UTF-8"), std::string::npos);
    }
}

TEST(CorpusFiles, ADocumentWithoutTitleIsRefused) {
    try {
        parse_fixture("corpus_blank.txt");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::parse);
        EXPECT_NE(e.where().find("corpus_blank.txt"), std::string::npos);
        EXPECT_NE(e.message().find("no title"), std::string::npos);
    }
}

TEST(CorpusFiles, FolderReadsSupportedFilesRecursivelyInPathOrder) {
    TempDir dir;
    dir.write("b.txt", "Beta\nbody b\n");
    dir.write("a.md", "# Alpha\nbody a\n");
    dir.write("sub/c.html", "<title>Gamma</title><p>body c</p>");
    dir.write("notes.pdf", "%PDF-1.4 not a corpus file");
    dir.write("README", "no extension");
    const auto documents = read_corpus_folder(dir.path());
    ASSERT_EQ(documents.size(), 3u);
    EXPECT_EQ(documents[0].key, "a.md");
    EXPECT_EQ(documents[0].title, "Alpha");
    EXPECT_EQ(documents[1].key, "b.txt");
    EXPECT_EQ(documents[2].key, "sub/c.html");
    EXPECT_EQ(documents[2].title, "Gamma");
    EXPECT_EQ(documents[2].text, "body c");
}

TEST(CorpusFiles, AMissingFolderIsAnIoErrorNamingIt) {
    TempDir dir;
    try {
        read_corpus_folder(dir / "missing");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::io);
        EXPECT_NE(e.where().find("missing"), std::string::npos);
    }
}

TEST(CorpusFiles, OversizedFilesAreRefused) {
    TempDir dir;
    const auto path = dir.write("huge.txt", "Title\n" + std::string(kMaxCorpusFileBytes, 'x'));
    EXPECT_THROW(read_corpus_folder(dir.path()), Error);
}

}  // namespace
}  // namespace chuhai::store
