#include "text/html_text.h"

#include <gtest/gtest.h>

namespace chuhai::text {
namespace {

TEST(HtmlText, CharacterReferences) {
    EXPECT_EQ(html_to_text("caf&eacute; &amp; cr&egrave;me"), "caf\u00e9 & cr\u00e8me");
    EXPECT_EQ(html_to_text("&#20013;&#x6587; &#X4E2D;"), "\u4e2d\u6587 \u4e2d");
    EXPECT_EQ(html_to_text("AT&amp;amp;T"), "AT&amp;T");  // one level per call
    EXPECT_EQ(html_to_text("&copy 2024 &zzz; & done"), "\u00a9 2024 &zzz; & done");
    // HTML5: a legacy name is a prefix match in text ("&notit;" reads as "¬it;").
    EXPECT_EQ(html_to_text("&notit;"), "\u00acit;");
    EXPECT_EQ(html_to_text("&#146;quoted&#148;"), "\u2019quoted\u201d");
    EXPECT_EQ(html_to_text("&#0; &#xD800; &#x110000;"), "\ufffd \ufffd \ufffd");
    EXPECT_EQ(html_to_text("a&nbsp;&nbsp;b"), "a b");
    EXPECT_EQ(html_to_text("&NotEqualTilde;"), "\u2242\u0338");  // two code points
    EXPECT_EQ(html_to_text("&"), "&");
    EXPECT_EQ(html_to_text("&#"), "&#");
}

TEST(HtmlText, MarkupIsRemoved) {
    EXPECT_EQ(html_to_text("<b>bold</b> and <a href=\"x?a=1&b=2\" title='>'>link</a>"),
              "bold and link");
    EXPECT_EQ(html_to_text("before<!-- a <b>comment</b> -->after"), "beforeafter");
    EXPECT_EQ(html_to_text("a<!---->b<!-->c"), "abc");
    EXPECT_EQ(html_to_text("<![CDATA[kept <as> text]]>"), "kept <as> text");
    EXPECT_EQ(html_to_text("<!DOCTYPE html><?php echo 1 ?>x"), "x");
    EXPECT_EQ(html_to_text("1 < 2 and 3 > 2"), "1 < 2 and 3 > 2");
    EXPECT_EQ(html_to_text("</>x</ y>z"), "xz");
    EXPECT_EQ(html_to_text("cut <a href=\"unterminated"), "cut");
}

// Attributes are skipped sixteen bytes at a time: values longer and shorter than that, '>'
// inside quotes on either side of a block boundary, quotes that open nothing (not after '='),
// unquoted values, spaces around '='.
TEST(HtmlText, AttributesOfAnyLengthAreSkippedWhole) {
    EXPECT_EQ(html_to_text("<a href=\"https://example.com/a/very/long/path?with=query>&more\" "
                           "title='a > b, and more than sixteen bytes'>link</a> after"),
              "link after");
    EXPECT_EQ(html_to_text("<img alt = \"x>y\" src=a>b"), "b");
    EXPECT_EQ(html_to_text("<p class=plain-unquoted-value-longer-than-sixteen>para</p>"), "para");
    EXPECT_EQ(html_to_text("<span it's=\"fine\">text</span>"), "text");
    EXPECT_EQ(html_to_text("<span data-x='unterminated and longer than sixteen bytes>gone"), "");
    EXPECT_EQ(html_to_text("<b a==\">\">x"), "x");
    EXPECT_EQ(html_to_text(std::string(40, ' ') + "<i " + std::string(30, 'x') + ">y"), "y");
}

TEST(HtmlText, ScriptAndStyleAreDropped) {
    EXPECT_EQ(html_to_text("a<script>var x = '<p>no</p>';</script>b"), "ab");
    EXPECT_EQ(html_to_text("a<STYLE type=text/css>p { x: y }</Style >b"), "ab");
    EXPECT_EQ(html_to_text("a<script>never closed"), "a");
    EXPECT_EQ(html_to_text("a<scripts>kept</scripts>b"), "akeptb");
    EXPECT_EQ(html_to_text("<noscript>fallback</noscript>"), "fallback");
}

TEST(HtmlText, BlocksBecomeLinesAndWhitespaceCollapses) {
    EXPECT_EQ(html_to_text("<p>One</p><p>Two</p>"), "One\nTwo");
    EXPECT_EQ(html_to_text("  lots \n\t of   space  "), "lots of space");
    EXPECT_EQ(html_to_text("line<br>break<br/>again"), "line\nbreak\nagain");
    EXPECT_EQ(html_to_text("<ul><li>a</li><li>b</li></ul>"), "a\nb");
    EXPECT_EQ(html_to_text("in<span>line</span> words"), "inline words");
    EXPECT_EQ(html_to_text("<div><p>\n</p></div>"), "");
    EXPECT_EQ(html_to_text("中文<p>段落</p>"), "中文\n段落");
}

TEST(HtmlText, AppendSeparatesFromExistingText) {
    std::string out = "title";
    append_html_text("<p>body</p>", out);
    EXPECT_EQ(out, "title body");
}

TEST(HtmlText, CollapseWhitespaceKeepsMarkupCharacters) {
    EXPECT_EQ(collapse_whitespace("  a <b>  &amp;\n\n c "), "a <b> &amp;\nc");
}

TEST(HtmlText, ReferenceLookup) {
    EXPECT_EQ(lookup_named_reference("amp;"), "&");
    EXPECT_EQ(lookup_named_reference("amp"), "&");
    EXPECT_FALSE(lookup_named_reference("nosuch;"));
    std::string out;
    EXPECT_EQ(decode_reference("&mdash;x", out), 7u);
    EXPECT_EQ(out, "\u2014");
    out.clear();
    EXPECT_EQ(decode_reference("&copy x", out, /*need_semicolon=*/true), 0u);
    EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace chuhai::text
