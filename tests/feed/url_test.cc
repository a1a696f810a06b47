#include "feed/url.h"

#include <gtest/gtest.h>

namespace chuhai::feed {
namespace {

TEST(Url, ResolvesRelativeReferencesPerRfc3986) {
    const std::string base = "http://a/b/c/d;p?q";
    EXPECT_EQ(resolve_url("g", base), "http://a/b/c/g");
    EXPECT_EQ(resolve_url("./g", base), "http://a/b/c/g");
    EXPECT_EQ(resolve_url("g/", base), "http://a/b/c/g/");
    EXPECT_EQ(resolve_url("/g", base), "http://a/g");
    EXPECT_EQ(resolve_url("//g", base), "http://g");
    EXPECT_EQ(resolve_url("?y", base), "http://a/b/c/d;p?y");
    EXPECT_EQ(resolve_url("#s", base), "http://a/b/c/d;p?q#s");
    EXPECT_EQ(resolve_url("", base), "http://a/b/c/d;p?q");
    EXPECT_EQ(resolve_url("../g", base), "http://a/b/g");
    EXPECT_EQ(resolve_url("../../../g", base), "http://a/g");
    EXPECT_EQ(resolve_url("g;x=1/../y", base), "http://a/b/c/y");
    EXPECT_EQ(resolve_url("  https://x.org/a  ", base), "https://x.org/a");
    EXPECT_EQ(resolve_url("relative/only", ""), "relative/only");
}

TEST(Url, CanonicalFormIsTheSameForEverySpelling) {
    const std::string canonical = "https://news.example.com/a/1?id=7";
    for (const char* spelling : {
             "https://news.example.com/a/1?id=7",
             "HTTPS://News.Example.COM/a/1?id=7",
             "https://news.example.com:443/a/1?id=7",
             "https://news.example.com/a/1?id=7#comments",
             "https://news.example.com/a/./b/../1?id=7",
             "https://news.example.com/a/1?utm_source=rss&id=7&utm_medium=feed",
             "https://news.example.com/a/1?id=7&fbclid=IwAR0&gclid=x",
             "https://news.example.com/a/1?spm=a2c6h.12873639&id=7",
             "https://news.example.com/%61/1?id=7",
         })
        EXPECT_EQ(canonicalize_url(spelling), canonical) << spelling;
}

TEST(Url, CanonicalFormKeepsWhatMatters) {
    EXPECT_EQ(canonicalize_url("http://example.com"), "http://example.com/");
    EXPECT_EQ(canonicalize_url("http://example.com:8080/x"), "http://example.com:8080/x");
    EXPECT_EQ(canonicalize_url("http://example.com/a%2fb"), "http://example.com/a%2Fb");
    EXPECT_EQ(canonicalize_url("https://example.com/新闻 1"),
              "https://example.com/%E6%96%B0%E9%97%BB%201");
    EXPECT_EQ(canonicalize_url("https://example.com/?b=2&a=1"), "https://example.com/?b=2&a=1");
    EXPECT_EQ(canonicalize_url("https://example.com/?utm_campaign=x"), "https://example.com/");
    EXPECT_EQ(canonicalize_url("MAILTO:someone@example.com"), "mailto:someone@example.com");
    EXPECT_EQ(canonicalize_url("urn:uuid:1234#frag"), "urn:uuid:1234");
    EXPECT_EQ(canonicalize_url("/a/2", "https://News.example.com/feed.xml"),
              "https://news.example.com/a/2");
    EXPECT_EQ(canonicalize_url("http://[2001:DB8::1]:80/x"), "http://[2001:db8::1]/x");
    EXPECT_EQ(canonicalize_url(""), "");
}

TEST(Url, TrackingParameters) {
    EXPECT_TRUE(is_tracking_parameter("utm_source"));
    EXPECT_TRUE(is_tracking_parameter("UTM_Content"));
    EXPECT_TRUE(is_tracking_parameter("fbclid"));
    EXPECT_TRUE(is_tracking_parameter("spm"));
    EXPECT_FALSE(is_tracking_parameter("id"));
    EXPECT_FALSE(is_tracking_parameter("page"));
}

}  // namespace
}  // namespace chuhai::feed
