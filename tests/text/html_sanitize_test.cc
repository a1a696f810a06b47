#include "text/html_sanitize.h"

#include <gtest/gtest.h>

namespace chuhai::text {
namespace {

TEST(HtmlSanitize, KeepsAllowedStructure) {
    EXPECT_EQ(sanitize_html("<p>Hello <b>bold</b> <em>em</em></p><ul><li>one</li></ul>"),
              "<p>Hello <b>bold</b> <em>em</em></p><ul><li>one</li></ul>");
    EXPECT_EQ(sanitize_html("<p>unclosed <i>italic"), "<p>unclosed <i>italic</i></p>");
    EXPECT_EQ(sanitize_html("a<br>b<hr>"), "a<br>b<hr>");
}

TEST(HtmlSanitize, RemovesScriptsStylesAndHandlers) {
    EXPECT_EQ(sanitize_html("safe<script>alert(1)</script> text"), "safe text");
    EXPECT_EQ(sanitize_html("<style>p{}</style><p onclick=\"evil()\" style=\"x\" class=c>t</p>"),
              "<p>t</p>");
    EXPECT_EQ(sanitize_html("<iframe src=\"https://evil\">x</iframe>ok"), "ok");
    EXPECT_EQ(sanitize_html("<svg><script>alert(1)</script></svg>ok"), "ok");
    EXPECT_EQ(sanitize_html("<form action=x><input value=y></form>ok"), "ok");
}

TEST(HtmlSanitize, LinksArePolicedAndImagesBecomeText) {
    EXPECT_EQ(sanitize_html("<a href=\"https://e.com/?a=1&amp;b=2\" target=_blank>go</a>"),
              "<a href=\"https://e.com/?a=1&amp;b=2\" rel=\"nofollow noopener noreferrer\">go</a>");
    EXPECT_EQ(sanitize_html("<a href=\"javascript:alert(1)\">x</a>"), "<a>x</a>");
    EXPECT_EQ(sanitize_html("<a href=\" JAVASCRIPT:alert(1)\">x</a>"), "<a>x</a>");
    EXPECT_EQ(sanitize_html("<a href=\"data:text/html,x\">x</a>"), "<a>x</a>");
    EXPECT_EQ(sanitize_html("<img src=\"https://tracker/p.gif\" alt=\"a chart\">"), "a chart");
    // Relative links go through the resolver; what it returns is still checked.
    const LinkResolver resolve = [](std::string_view href) {
        return "https://base.example/" + std::string(href);
    };
    EXPECT_EQ(sanitize_html("<a href=\"post/1\">p</a>", resolve),
              "<a href=\"https://base.example/post/1\" rel=\"nofollow noopener noreferrer\">p</a>");
    const LinkResolver lenient = [](std::string_view href) { return std::string(href); };
    EXPECT_EQ(sanitize_html("<a href=\"vbscript:x\">p</a>", lenient), "<a>p</a>");
}

TEST(HtmlSanitize, EscapesTextAndUnwrapsUnknownElements) {
    EXPECT_EQ(sanitize_html("1 &lt; 2 &amp; <font color=red>red</font>"), "1 &lt; 2 &amp; red");
    EXPECT_EQ(sanitize_html("<td colspan=2 onmouseover=x>c</td>"), "c");  // no table around it
    EXPECT_EQ(sanitize_html("<table><tr><td colspan=\"2\" width=9>c</td></tr></table>"),
              "<table><tbody><tr><td colspan=\"2\">c</td></tr></tbody></table>");
    EXPECT_EQ(sanitize_html("<span title='a\"b'>t</span>"), "<span title=\"a&quot;b\">t</span>");
}

TEST(HtmlSanitize, DeepNestingIsFlattenedNotRecursed) {
    std::string deep;
    for (int i = 0; i < 100000; ++i)
        deep += "<div>";
    deep += "x<script>y</script>";
    EXPECT_EQ(sanitize_html(deep), "<p>x</p>");
}

}  // namespace
}  // namespace chuhai::text
