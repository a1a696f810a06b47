// The demo's loopback HTTP server, fetched with the real HttpClient the daemon polls with:
// documents with their type and a validator, 304 for an unchanged document, 404 otherwise.

#include "app/static_http_server.h"

#include <gtest/gtest.h>

#include "fetch/http_client.h"

namespace chuhai::app {
namespace {

fetch::FetchResult get(const std::string& url, const std::string& etag = {}) {
    fetch::FetchRequest request;
    request.url = url;
    request.etag = etag;
    fetch::ClientOptions options;
    options.total_timeout = std::chrono::seconds(10);
    return fetch::fetch_once(request, options);
}

const std::string kFeed = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";

TEST(StaticHttpServer, ServesItsDocumentsOnLoopback) {
    StaticHttpServer server({{"/feeds/a.rss", "application/rss+xml", kFeed},
                             {"/feeds/b.atom", "application/atom+xml", "<feed/>"}});
    EXPECT_EQ(server.url("/feeds/a.rss"),
              "http://127.0.0.1:" + std::to_string(server.port()) + "/feeds/a.rss");
    const auto a = get(server.url("/feeds/a.rss"));
    EXPECT_EQ(a.error, fetch::FetchError::none) << a.error_message;
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body, kFeed);
    EXPECT_EQ(a.content_type, "application/rss+xml");
    EXPECT_FALSE(a.etag.empty());
    const auto b = get(server.url("/feeds/b.atom"));
    EXPECT_EQ(b.body, "<feed/>");
    EXPECT_NE(b.etag, a.etag);
    EXPECT_EQ(server.requests_served(), 2);
}

TEST(StaticHttpServer, AnswersAConditionalRequestWith304) {
    StaticHttpServer server({{"/feed", "application/rss+xml", kFeed}});
    const auto first = get(server.url("/feed"));
    const auto again = get(server.url("/feed"), first.etag);
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(again.etag, first.etag);
    EXPECT_EQ(get(server.url("/feed"), "\"something else\"").status, 200);
}

TEST(StaticHttpServer, UnknownPathsAre404) {
    StaticHttpServer server({{"/feed", "application/rss+xml", kFeed}});
    EXPECT_EQ(get(server.url("/other")).status, 404);
    EXPECT_EQ(get(server.url("/feed?x=1")).status, 404);  // documents are exact paths
    EXPECT_EQ(server.requests_served(), 2);
}

TEST(StaticHttpServer, StopsWhenDestroyed) {
    std::string url;
    {
        StaticHttpServer server({{"/feed", "application/rss+xml", kFeed}});
        url = server.url("/feed");
        EXPECT_EQ(get(url).status, 200);
    }
    EXPECT_EQ(get(url).error, fetch::FetchError::connect);
}

}  // namespace
}  // namespace chuhai::app
