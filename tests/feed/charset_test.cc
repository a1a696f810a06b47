#include "feed/charset.h"

#include <gtest/gtest.h>
#include <unicode/ucnv.h>

#include <nlohmann/json.hpp>

#include "common/file.h"
#include "feed/feed_parser.h"
#include "tests/support/test_support.h"

namespace chuhai::feed {
namespace {

TEST(Charset, LabelsAreReadTheWayBrowsersReadThem) {
    EXPECT_EQ(canonical_charset("GB2312"), "gb18030");
    EXPECT_EQ(canonical_charset("gbk"), "gb18030");
    EXPECT_EQ(canonical_charset("\"utf8\""), "utf-8");
    EXPECT_EQ(canonical_charset("UTF_8"), "utf-8");
    EXPECT_EQ(canonical_charset("ISO-8859-1"), "windows-1252");
    EXPECT_EQ(canonical_charset("us-ascii"), "windows-1252");
    EXPECT_EQ(canonical_charset("Big5"), "big5");
    EXPECT_EQ(canonical_charset("KOI8-R"), "koi8-r");
    EXPECT_EQ(canonical_charset(""), "");
}

TEST(Charset, ContentTypeAndDeclarationAreRead) {
    EXPECT_EQ(charset_from_content_type("application/rss+xml; charset=\"GBK\""), "gbk");
    EXPECT_EQ(charset_from_content_type("text/xml;Charset=utf-8;q=1"), "utf-8");
    EXPECT_EQ(charset_from_content_type("text/xml"), "");
    EXPECT_EQ(charset_from_xml_declaration("<?xml version='1.0' encoding='gb2312'?><rss/>"),
              "gb2312");
    EXPECT_EQ(charset_from_xml_declaration("<rss/>"), "");
}

TEST(Charset, OrderOfTrustIsBomThenHttpThenDeclaration) {
    // "é" in windows-1252 is E9, in UTF-8 C3 A9.
    const std::string latin1 = "<?xml version=\"1.0\" encoding=\"utf-8\"?><t>caf\xe9</t>";
    DecodedText http = decode_to_utf8(latin1, "text/xml; charset=iso-8859-1");
    EXPECT_EQ(http.encoding, "windows-1252");
    EXPECT_EQ(http.source, "http");
    EXPECT_NE(http.utf8.find("caf\xc3\xa9"), std::string::npos);

    const std::string bom =
        "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"gbk\"?><t>caf\xc3\xa9</t>";
    DecodedText with_bom = decode_to_utf8(bom, "text/xml; charset=iso-8859-1");
    EXPECT_EQ(with_bom.encoding, "utf-8");
    EXPECT_EQ(with_bom.source, "bom");
    EXPECT_EQ(with_bom.utf8.rfind("<?xml", 0), 0u);  // the BOM is gone

    const std::string declared =
        "<?xml version=\"1.0\" encoding=\"windows-1251\"?><t>\xcf\xf0\xe8</t>";
    DecodedText from_declaration = decode_to_utf8(declared);
    EXPECT_EQ(from_declaration.encoding, "windows-1251");
    EXPECT_NE(from_declaration.utf8.find("\xd0\x9f\xd1\x80\xd0\xb8"), std::string::npos);  // "При"
}

TEST(Charset, Utf16WithAndWithoutBom) {
    const std::string le_bom = std::string("\xff\xfe<\0r\0/\0>\0", 10);
    EXPECT_EQ(decode_to_utf8(le_bom).utf8, "<r/>");
    const std::string be = std::string("\0<\0r\0/\0>", 8);
    DecodedText decoded = decode_to_utf8(be);
    EXPECT_EQ(decoded.encoding, "utf-16be");
    EXPECT_EQ(decoded.utf8, "<r/>");
}

TEST(Charset, InvalidBytesBecomeReplacementCharacters) {
    DecodedText decoded =
        decode_to_utf8("<t>ok \xff\xfe bad \xe4\xb8</t>", "text/xml; charset=utf-8");
    EXPECT_TRUE(decoded.replaced_invalid);
    EXPECT_EQ(decoded.utf8, "<t>ok \xef\xbf\xbd\xef\xbf\xbd bad \xef\xbf\xbd</t>");
    std::string repaired;
    EXPECT_EQ(repair_utf8("\xed\xa0\x80", repaired), 3u);  // a surrogate: three maximal subparts
    EXPECT_TRUE(is_valid_utf8(repaired));
    EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));  // overlong
    EXPECT_TRUE(is_valid_utf8("plain ascii and \xe4\xb8\xad"));
}

// ICU's own conversion (to UTF-8, then U+001A substitutions made U+FFFD), to compare the
// single-byte tables against.
std::string icu_conversion(const std::string& bytes, const char* charset) {
    UErrorCode status = U_ZERO_ERROR;
    UConverter* converter = ucnv_open(charset, &status);
    EXPECT_TRUE(U_SUCCESS(status)) << charset;
    std::string out(bytes.size() * 4 + 16, '\0');
    const int32_t written =
        ucnv_toAlgorithmic(UCNV_UTF8, converter, out.data(), static_cast<int32_t>(out.size()),
                           bytes.data(), static_cast<int32_t>(bytes.size()), &status);
    ucnv_close(converter);
    EXPECT_TRUE(U_SUCCESS(status)) << charset;
    out.resize(static_cast<std::size_t>(written));
    std::string replaced;
    for (const char c : out)
        replaced += c == '\x1a' ? std::string("\xef\xbf\xbd") : std::string(1, c);
    return replaced;
}

// Single-byte charsets are decoded through a table ICU fills per document: every byte of
// every such charset must come out as ICU's conversion has it.
TEST(Charset, SingleByteCharsetsDecodeAsIcuDoes) {
    std::string all_bytes;
    for (int b = 0; b < 256; ++b)
        all_bytes.push_back(static_cast<char>(b));
    std::string mixed = "<rss><title>";
    for (int i = 0; i < 5000; ++i)
        mixed.push_back(static_cast<char>((i * 7919 + i / 13) % 256));
    std::size_t single_byte = 0;
    for (const char* charset :
         {"windows-1250", "windows-1251", "windows-1252", "windows-1253", "windows-1254",
          "windows-1255", "windows-1256", "windows-1257", "windows-1258", "windows-874",
          "iso-8859-2",   "iso-8859-5",   "iso-8859-7",   "iso-8859-8",   "iso-8859-15",
          "koi8-r",       "koi8-u",       "ibm866",       "macintosh",    "x-mac-cyrillic",
          "iso-8859-1",   "us-ascii"}) {
        UErrorCode status = U_ZERO_ERROR;
        UConverter* converter = ucnv_open(charset, &status);
        ASSERT_TRUE(U_SUCCESS(status)) << charset;
        const UConverterType type = ucnv_getType(converter);
        ucnv_close(converter);
        single_byte += type == UCNV_SBCS || type == UCNV_LATIN_1 || type == UCNV_US_ASCII;
        const std::string label = std::string("text/plain; charset=") + charset;
        for (const std::string* bytes : {&all_bytes, &mixed}) {
            const DecodedText decoded = decode_to_utf8(*bytes, label);
            const std::string icu_name = canonical_charset(charset);
            ASSERT_EQ(decoded.encoding, icu_name) << charset;
            const std::string expected = icu_conversion(*bytes, icu_name.c_str());
            ASSERT_EQ(decoded.utf8, expected) << charset;
            EXPECT_EQ(decoded.replaced_invalid, expected.find("\xef\xbf\xbd") != std::string::npos)
                << charset;
        }
    }
    EXPECT_GE(single_byte, 18u);  // the table path is what this test is about
}

// GB18030 (GBK's pairs) and Big5 are decoded through a table of every pair ICU decodes: each
// such pair, documents made of them, and documents with invalid, unmapped and four-byte
// sequences (which go to ICU whole) must come out as ICU's conversion has them.
TEST(Charset, DoubleByteCharsetsDecodeAsIcuDoes) {
    for (const char* charset : {"gb18030", "big5"}) {
        SCOPED_TRACE(charset);
        // The pairs ICU decodes on their own, found the way the table is built.
        UErrorCode status = U_ZERO_ERROR;
        UConverter* converter = ucnv_open(charset, &status);
        ASSERT_TRUE(U_SUCCESS(status));
        ucnv_setToUCallBack(converter, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
        std::vector<std::string> pairs;
        for (int lead = 0x81; lead <= 0xFE; ++lead)
            for (int trail = 0x40; trail <= 0xFE; ++trail) {
                const char pair[2] = {static_cast<char>(lead), static_cast<char>(trail)};
                const char* source = pair;
                UChar units[4];
                UChar* target = units;
                UErrorCode error = U_ZERO_ERROR;
                ucnv_reset(converter);
                ucnv_toUnicode(converter, &target, units + 4, &source, pair + 2, nullptr, true,
                               &error);
                if (U_SUCCESS(error) && source == pair + 2)
                    pairs.emplace_back(pair, 2);
            }
        ucnv_close(converter);
        ASSERT_GT(pairs.size(), 13000u);
        const std::string label = std::string("text/xml; charset=") + charset;
        auto expect_as_icu = [&](const std::string& bytes) {
            const DecodedText decoded = decode_to_utf8(bytes, label);
            ASSERT_EQ(decoded.encoding, charset);
            const std::string expected = icu_conversion(bytes, charset);
            ASSERT_EQ(decoded.utf8, expected);
            EXPECT_EQ(decoded.replaced_invalid, expected.find("\xef\xbf\xbd") != std::string::npos);
        };
        // Every pair, in documents of a few hundred pairs with markup between them.
        std::string document = "<rss><title>";
        for (std::size_t i = 0; i < pairs.size(); ++i) {
            document += pairs[i];
            if (i % 7 == 0)
                document += "</t><t a=\"1\">";
            if (i % 400 == 399 || i + 1 == pairs.size()) {
                expect_as_icu(document);
                document = "<rss><title>";
            }
        }
        // Mixed with what the table does not know: bytes 0x80 and 0xFF, a lead byte before
        // ASCII or at the end, four-byte GB18030, an escape (0x1A).
        std::uint32_t seed = 12345;
        auto next = [&seed] {
            seed = seed * 1103515245u + 12345u;
            return (seed >> 16) & 0x7FFF;
        };
        for (int round = 0; round < 300; ++round) {
            std::string mixed = "<rss>";
            for (int k = 0; k < 60; ++k) {
                const unsigned pick = next() % 10;
                if (pick < 6)
                    mixed += pairs[next() % pairs.size()];
                else if (pick < 8)
                    mixed += "ab <c> ";
                else if (round % 3 == 0 && pick == 8)
                    mixed += std::string("\x81\x30\x81\x30", 4);
                else if (round % 5 == 0)
                    mixed.push_back(static_cast<char>(next() % 256));
            }
            if (round % 7 == 0)
                mixed.push_back('\xb0');  // a lead byte that ends the document
            expect_as_icu(mixed);
        }
    }
}

TEST(Charset, UndeclaredLegacyBytesAreDetected) {
    // windows-1251 Cyrillic without any label.
    std::string text = "<rss><channel><title>";
    for (int i = 0; i < 20; ++i)
        text += "\xcf\xf0\xe8\xe2\xe5\xf2 \xec\xe8\xf0 ";  // "Привет мир "
    text += "</title></channel></rss>";
    DecodedText decoded = decode_to_utf8(text);
    EXPECT_EQ(decoded.source, "detected");
    EXPECT_TRUE(is_valid_utf8(decoded.utf8));
    EXPECT_NE(decoded.utf8.find("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"),
              std::string::npos)
        << decoded.encoding;
}

// ICU's detector has no Thai: TIS-620 is recognised by its marks following consonants, and
// accented Latin text in the same byte range is not taken for it.
TEST(Charset, UndeclaredThaiIsDetected) {
    const DecodedText thai =
        decode_to_utf8(chuhai::testing::read_fixture("feed/charset_tis620_undeclared.xml"));
    EXPECT_EQ(thai.encoding, "windows-874");
    // "ข่าวเทคโนโลยี", the channel title.
    EXPECT_NE(thai.utf8.find("\xe0\xb8\x82\xe0\xb9\x88\xe0\xb8\xb2\xe0\xb8\xa7\xe0\xb9\x80"
                             "\xe0\xb8\x97\xe0\xb8\x84\xe0\xb9\x82\xe0\xb8\x99\xe0\xb9\x82"
                             "\xe0\xb8\xa5\xe0\xb8\xa2\xe0\xb8\xb5"),
              std::string::npos)
        << thai.utf8;
    std::string french = "<rss><channel><title>";
    for (int i = 0; i < 3; ++i)
        french +=
            "L'\xe9quipe fran\xe7"
            "aise a cr\xe9\xe9 un mod\xe8le tr\xe8s pr\xe9"
            "cis, d\xe9ploy\xe9 "
            "\xe0 Gen\xe8ve; \xe7"
            "a co\xfbte moins qu'\xe0 Z\xfcrich. H\xf4tel, for\xeat, \xeele, "
            "o\xf9, gar\xe7on, na\xefve, No\xebl, se\xf1or, \xd1"
            "and\xfa. ";
    french += "</title></channel></rss>";
    EXPECT_NE(decode_to_utf8(french).encoding, "windows-874");
}

TEST(Charset, UnknownLabelFallsBackToTheBytes) {
    DecodedText decoded =
        decode_to_utf8("<?xml version=\"1.0\" encoding=\"x-made-up\"?><t>\xe4\xb8\xad</t>");
    EXPECT_EQ(decoded.encoding, "utf-8");
    EXPECT_NE(decoded.utf8.find("\xe4\xb8\xad"), std::string::npos);
    EXPECT_EQ(decoded.problem, "unknown charset 'x-made-up'");
}

// What the XML and HTTP specifications call an error is a problem (the parser's bozo); what
// servers get wrong every day and chuhai recovers silently is not.
TEST(Charset, ContradictionsWithTheDeclarationsAreProblems) {
    // Undeclared bytes that are not UTF-8 (XML's default).
    EXPECT_EQ(decode_to_utf8("<t>caf\xe9</t>")
                  .problem.rfind("no charset declared and the bytes are not UTF-8; read as ", 0),
              0u);
    // text/* without a charset is US-ASCII (RFC 3023), whatever the declaration says.
    const std::string utf8 = "<?xml version=\"1.0\" encoding=\"utf-8\"?><t>caf\xc3\xa9</t>";
    const DecodedText text_xml = decode_to_utf8(utf8, "text/xml");
    EXPECT_EQ(text_xml.encoding, "utf-8");
    EXPECT_NE(text_xml.problem.find("served as text/xml without a charset"), std::string::npos)
        << text_xml.problem;
    EXPECT_NE(decode_to_utf8(utf8, "text/plain").problem, "");
    // ... but ASCII bytes fit US-ASCII, and a charset or an XML media type settles it.
    EXPECT_EQ(decode_to_utf8("<?xml version=\"1.0\"?><t>cafe</t>", "text/xml").problem, "");
    EXPECT_EQ(decode_to_utf8(utf8, "text/xml; charset=utf-8").problem, "");
    EXPECT_EQ(decode_to_utf8(utf8, "application/rss+xml").problem, "");
    // A declared UTF-16 for ASCII-compatible bytes.
    EXPECT_EQ(decode_to_utf8("<?xml version=\"1.0\" encoding=\"utf-16\"?><t>x</t>").problem,
              "declared utf-16 but the bytes are ASCII-compatible");
    // Recovered silently: a legacy label on valid UTF-8, a declared legacy charset.
    EXPECT_EQ(
        decode_to_utf8("<?xml version=\"1.0\" encoding=\"gb2312\"?><t>\xe4\xb8\xad</t>").problem,
        "");
    EXPECT_EQ(
        decode_to_utf8("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>caf\xe9</t>").problem,
        "");
}

TEST(Charset, XmlMediaTypesAreThoseOfRfc3023) {
    for (const char* type :
         {"application/xml", "text/xml", "application/rss+xml", "application/atom+xml; charset=x",
          "TEXT/XML", "text/atom+xml", "application/xml-dtd", "text/xml-external-parsed-entity",
          "application/xml-external-parsed-entity"})
        EXPECT_TRUE(is_xml_media_type(type)) << type;
    for (const char* type :
         {"text/plain", "text/html", "application/json", "application/octet-stream", "", "xml",
          "image/svg+xml", "text/xml-dtd"})
        EXPECT_FALSE(is_xml_media_type(type)) << type;
}

// UTF-8 read as windows-1252 (or Latin-1) and encoded again, as feeds really send it.
TEST(Charset, DoubleEncodedUtf8IsRestored) {
    auto undone = [](std::string text, std::size_t from = 0) {
        undo_double_encoding(text, from);
        return text;
    };
    EXPECT_EQ(undone("\xc3\xa2\xe2\x82\xac\xc2\xa6"), "\xe2\x80\xa6");  // "â€¦" → "…"
    EXPECT_EQ(undone("\xc3\xa2\xc2\x80\xc2\xa6"), "\xe2\x80\xa6");      // via U+0080
    EXPECT_EQ(undone("caf\xc3\x83\xc2\xa9 ok"), "caf\xc3\xa9 ok");      // "cafÃ©" → "café"
    EXPECT_EQ(undone("x caf\xc3\x83\xc2\xa9", 2), "x caf\xc3\xa9");     // only from `from`
    // Text that is not double-encoded stays as it is.
    for (const std::string text :
         {"plain ASCII", "caf\xc3\xa9", "it\xe2\x80\x99s", "\xe4\xb8\xad\xe6\x96\x87",
          "\xc3\x83 alone", "\xc3\x83\xc2\xa9 and caf\xc3\xa9", "\xc3\xa2\xe2\x82\xac",
          "\xc2\xa9 2024", ""}) {
        std::string copy = text;
        EXPECT_FALSE(undo_double_encoding(copy)) << text;
        EXPECT_EQ(copy, text);
    }
}

// A declared UTF-8 (not a BOM) that the bytes contradict: mostly invalid sequences are
// another charset; a stray byte in UTF-8 text is repaired.
TEST(Charset, DeclaredUtf8ThatTheBytesContradictFallsBack) {
    const std::string first_title =
        "\xe6\x9c\x88\xe4\xb9\x8b\xe6\x9a\x97\xe9\x9d\xa2";  // "月之暗面"
    auto parse = [](const std::string& name, const std::string& content_type) {
        ParseOptions options;
        options.content_type = content_type;
        return parse_feed(chuhai::testing::read_fixture("feed/" + name), options);
    };
    // GBK bytes whose XML declaration says utf-8: ICU detection decides.
    const FeedDocument gbk = parse("charset_gbk_declared_utf8.xml", "application/rss+xml");
    EXPECT_EQ(gbk.encoding, "gb18030");
    ASSERT_EQ(gbk.entries.size(), 5u);
    EXPECT_EQ(gbk.entries[0].title.rfind(first_title, 0), 0u) << gbk.entries[0].title;
    EXPECT_EQ(gbk.title, "\xe5\x87\xba\xe6\xb5\xb7\xe6\x96\xb0\xe9\x97\xbb");  // 出海新闻
    EXPECT_TRUE(gbk.bozo);
    EXPECT_NE(gbk.bozo_reason.find("declared utf-8 but the bytes are not UTF-8; read as gb18030"),
              std::string::npos)
        << gbk.bozo_reason;
    for (const FeedEntry& entry : gbk.entries)
        EXPECT_EQ(entry.title.find("\xef\xbf\xbd"), std::string::npos) << entry.title;

    // GB2312 bytes declared gb2312, served as charset=utf-8: the declaration wins.
    const FeedDocument gb2312 =
        parse("charset_gb2312_served_as_utf8.xml", "application/rss+xml; charset=utf-8");
    EXPECT_EQ(gb2312.encoding, "gb18030");
    ASSERT_EQ(gb2312.entries.size(), 5u);
    EXPECT_EQ(gb2312.entries[0].title.rfind(first_title, 0), 0u) << gb2312.entries[0].title;
    EXPECT_NE(gb2312.bozo_reason.find("declared utf-8 but the bytes are not UTF-8"),
              std::string::npos)
        << gb2312.bozo_reason;
    const std::string gb2312_bytes =
        chuhai::testing::read_fixture("feed/charset_gb2312_served_as_utf8.xml");
    EXPECT_EQ(decode_to_utf8(gb2312_bytes, "text/xml; charset=utf-8").source, "xml");
    EXPECT_EQ(
        decode_to_utf8(chuhai::testing::read_fixture("feed/charset_gbk_declared_utf8.xml")).source,
        "detected");

    // UTF-8 with one stray Latin-1 byte stays UTF-8, with one U+FFFD.
    const FeedDocument stray =
        parse("charset_utf8_stray_latin1_byte.xml", "application/rss+xml; charset=utf-8");
    EXPECT_EQ(stray.encoding, "utf-8");
    ASSERT_EQ(stray.entries.size(), 5u);
    EXPECT_EQ(stray.entries[0].title.rfind(first_title, 0), 0u);
    EXPECT_NE(stray.entries[0].summary.find("caf\xef\xbf\xbd"), std::string::npos)
        << stray.entries[0].summary;
    const DecodedText raw = decode_to_utf8(
        chuhai::testing::read_fixture("feed/charset_utf8_stray_latin1_byte.xml"), "");
    EXPECT_EQ(raw.encoding, "utf-8");
    std::size_t replacements = 0;
    for (auto at = raw.utf8.find("\xef\xbf\xbd"); at != std::string::npos;
         at = raw.utf8.find("\xef\xbf\xbd", at + 1))
        ++replacements;
    EXPECT_EQ(replacements, 1u);
    EXPECT_EQ(raw.problem, "");
    // Too few invalid bytes to tell another charset from damage: repaired, not re-detected.
    EXPECT_EQ(decode_to_utf8("<?xml version=\"1.0\" encoding=\"utf-8\"?><t>caf\xe9</t>").encoding,
              "utf-8");
}

// Big5 bytes labelled GB2312 decode as GB18030 without an invalid byte, but into private-use
// characters: detection decides again.
TEST(Charset, Big5LabelledGb2312IsRedetected) {
    const FeedDocument doc =
        parse_feed(chuhai::testing::read_fixture("feed/charset_big5_declared_gb2312.xml"));
    EXPECT_EQ(doc.encoding, "big5");
    ASSERT_EQ(doc.entries.size(), 5u);
    // "月之暗面在新加坡設立"
    EXPECT_EQ(doc.entries[0].title.rfind("\xe6\x9c\x88\xe4\xb9\x8b\xe6\x9a\x97\xe9\x9d\xa2"
                                         "\xe5\x9c\xa8\xe6\x96\xb0\xe5\x8a\xa0\xe5\x9d\xa1"
                                         "\xe8\xa8\xad\xe7\xab\x8b",
                                         0),
              0u)
        << doc.entries[0].title;
    EXPECT_TRUE(doc.bozo);
    EXPECT_NE(doc.bozo_reason.find("declared gb18030 but the bytes decode to private-use "
                                   "characters; read as big5"),
              std::string::npos)
        << doc.bozo_reason;
}

// The Chinese corpus: GBK, GB2312-labelled GB18030, Big5, and UTF-8 that claims GB2312.
TEST(Charset, ChineseCorpusDecodesToTheExpectedTitles) {
    const auto shared = chuhai::testing::shared_dir();
    if (shared.empty() || !std::filesystem::exists(shared / "corpus/chinese/expected.json"))
        GTEST_SKIP() << "../shared/corpus/chinese is missing";
    const auto folder = shared / "corpus/chinese";
    const nlohmann::json expected = nlohmann::json::parse(read_file(folder / "expected.json"));
    ASSERT_FALSE(expected.empty());
    for (const auto& [name, want] : expected.items()) {
        SCOPED_TRACE(name);
        ParseOptions options;
        options.timezone = "Asia/Shanghai";
        const FeedDocument doc = parse_feed(read_file(folder / name), options);
        ASSERT_EQ(doc.entries.size(), want["entries"].get<std::size_t>());
        const auto& titles = want["titles"];
        for (std::size_t i = 0; i < titles.size(); ++i)
            EXPECT_EQ(doc.entries[i].title, titles[i].get<std::string>());
        EXPECT_FALSE(doc.bozo) << doc.bozo_reason;
        for (const FeedEntry& entry : doc.entries)
            EXPECT_TRUE(entry.published.has_value()) << entry.title;
    }
}

}  // namespace
}  // namespace chuhai::feed
