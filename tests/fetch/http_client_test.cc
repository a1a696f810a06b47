// The HTTP client against real peers on 127.0.0.1: the scripted server for every misbehaviour,
// nginx for real ETag / Last-Modified / gzip. Timeouts are short so that every case ends within
// a few seconds; the bounds asserted here are liveness bounds, not performance figures.

#include "fetch/http_client.h"

#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>

#include "common/file.h"
#include "common/version.h"
#include "tests/servers/test_servers.h"
#include "tests/support/test_support.h"

namespace chuhai::fetch {
namespace {

using namespace std::chrono_literals;
using chuhai::testing::fixture_path;
using chuhai::testing::NginxServer;
using chuhai::testing::read_fixture;
using chuhai::testing::ScriptedServer;
using ::testing::HasSubstr;
using ::testing::StartsWith;

ClientOptions test_options() {
    ClientOptions o;
    o.connect_timeout = 2s;
    o.total_timeout = 3s;
    o.low_speed_bytes = 1000;
    o.low_speed_time = 1s;
    o.max_body_bytes = 1u << 20;
    return o;
}

std::string encode(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

FetchRequest get(std::string url) {
    FetchRequest request;
    request.url = std::move(url);
    request.source_name = "test-source";
    return request;
}

// Restores an environment variable when the test ends, also on failure.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name))
            old_ = old;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

// Runs the io_context until the fetch completes (or 20 s pass, which fails the test).
class ClientTest : public ::testing::Test {
  protected:
    FetchResult fetch(FetchRequest request) { return fetch(client_, std::move(request)); }

    FetchResult fetch(HttpClient& client, FetchRequest request) {
        std::optional<FetchResult> out;
        client.fetch(std::move(request), [&](FetchResult r) { out = std::move(r); });
        run_until([&] { return out.has_value(); });
        if (!out) {
            ADD_FAILURE() << "fetch did not complete";
            return {};
        }
        return std::move(*out);
    }

    template <typename Done>
    void run_until(Done done, std::chrono::seconds limit = 20s) {
        // The guard keeps run_one_for waiting while work happens elsewhere (worker threads).
        const auto guard = boost::asio::make_work_guard(io_);
        const auto deadline = std::chrono::steady_clock::now() + limit;
        io_.restart();
        while (!done() && std::chrono::steady_clock::now() < deadline)
            io_.run_one_for(100ms);
    }

    // Tests talk to 127.0.0.1 only: a proxy configured in the environment must not interfere.
    ScopedEnv no_proxy_{"no_proxy", "*"};
    boost::asio::io_context io_;
    HttpClient client_{io_, test_options()};
};

TEST_F(ClientTest, FetchesABodyAndIntroducesItself) {
    ScriptedServer server;
    const FetchResult r = fetch(get(server.url("/text?body=hello&type=application/atom%2Bxml")));
    ASSERT_TRUE(r.ok()) << r.error_message;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(r.content_type, "application/atom+xml");
    EXPECT_EQ(r.final_url, server.url("/text?body=hello&type=application/atom%2Bxml"));
    EXPECT_GT(r.wire_bytes, 5u);
    EXPECT_EQ(r.decoded_bytes, 5u);
    const auto requests = server.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_THAT(requests[0].headers.at("user-agent"), StartsWith("chuhai/"));
    EXPECT_THAT(requests[0].headers.at("user-agent"), HasSubstr("(+http"));
    EXPECT_THAT(requests[0].headers.at("accept"), HasSubstr("application/rss+xml"));
    EXPECT_THAT(requests[0].headers.at("accept-encoding"), HasSubstr("gzip"));
    EXPECT_EQ(requests[0].headers.count("if-none-match"), 0u);
}

TEST_F(ClientTest, UserAgentNamesTheContactUrl) {
    EXPECT_EQ(default_user_agent("https://example.org/about"),
              std::string("chuhai/") + kVersion + " (+https://example.org/about)");
    EXPECT_EQ(default_user_agent(), std::string("chuhai/") + kVersion + " (+" + kProjectUrl + ")");
}

TEST_F(ClientTest, ConditionalGetSendsBothValidatorsAnd304HasNoBody) {
    ScriptedServer server;
    const std::string url = server.url("/text?body=feed&etag=%22v1%22");
    FetchResult first = fetch(get(url));
    ASSERT_TRUE(first.ok()) << first.error_message;
    EXPECT_EQ(first.etag, "\"v1\"");
    auto request = get(url);
    request.etag = first.etag;
    request.last_modified = "Wed, 01 Jan 2025 00:00:00 GMT";
    const FetchResult second = fetch(request);
    EXPECT_TRUE(second.not_modified()) << second.status << " " << second.error_message;
    EXPECT_FALSE(second.ok());
    EXPECT_TRUE(second.body.empty());
    const auto requests = server.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[1].headers.at("if-none-match"), "\"v1\"");
    EXPECT_EQ(requests[1].headers.at("if-modified-since"), "Wed, 01 Jan 2025 00:00:00 GMT");
}

TEST_F(ClientTest, NginxGivesRealValidatorsGzipAndA304WithoutBody) {
    NginxServer nginx({fixture_path("fetch")});
    const std::string expected = read_fixture("fetch/conditional_gzip.rss");
    const FetchResult first = fetch(get(nginx.url("conditional_gzip.rss")));
    ASSERT_TRUE(first.ok()) << first.error_message;
    EXPECT_EQ(first.body, expected);
    EXPECT_EQ(first.content_encoding, "gzip");
    EXPECT_EQ(first.content_type, "application/rss+xml");
    EXPECT_THAT(first.etag, StartsWith("W/\""));  // gzip makes nginx's ETag weak
    EXPECT_FALSE(first.last_modified.empty());
    EXPECT_LT(first.wire_bytes, expected.size() / 2) << "the body travelled compressed";
    EXPECT_EQ(first.decoded_bytes, expected.size());

    auto conditional = get(nginx.url("conditional_gzip.rss"));
    conditional.etag = first.etag;
    conditional.last_modified = first.last_modified;
    const FetchResult second = fetch(conditional);
    EXPECT_TRUE(second.not_modified()) << second.status;
    EXPECT_TRUE(second.body.empty());
    EXPECT_EQ(second.decoded_bytes, 0u);
    EXPECT_LT(second.wire_bytes, 400u) << "a 304 costs a response head, nothing more";

    auto by_date = get(nginx.url("conditional_gzip.rss"));
    by_date.last_modified = first.last_modified;
    EXPECT_TRUE(fetch(by_date).not_modified());

    const auto log = nginx.access_log(3);
    ASSERT_EQ(log.size(), 3u);
    EXPECT_THAT(log[0], HasSubstr("\" 200 "));
    EXPECT_THAT(log[1], HasSubstr("\" 304 "));
    EXPECT_THAT(log[2], HasSubstr("\" 304 "));
}

class EncodingTest : public ClientTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(EncodingTest, BodyIsDecoded) {
    const std::string encoding = GetParam();
    const auto* info = curl_version_info(CURLVERSION_NOW);
    if (encoding == "br" && (info->features & CURL_VERSION_BROTLI) == 0)
        GTEST_SKIP() << "this libcurl has no brotli";
    if (encoding == "zstd" && (info->features & CURL_VERSION_ZSTD) == 0)
        GTEST_SKIP() << "this libcurl has no zstd";
    ScriptedServer server({fixture_path("fetch")});
    const FetchResult r = fetch(get(server.url("/file/every_encoding.atom?encoding=" + encoding)));
    ASSERT_TRUE(r.ok()) << r.error_message << " status " << r.status;
    EXPECT_EQ(r.content_encoding, encoding);
    EXPECT_EQ(r.body, read_fixture("fetch/every_encoding.atom"));
    EXPECT_THAT(server.requests().at(0).headers.at("accept-encoding"), HasSubstr(encoding));
}

INSTANTIATE_TEST_SUITE_P(Encodings, EncodingTest,
                         ::testing::Values("gzip", "deflate", "br", "zstd"));

TEST_F(ClientTest, PermanentRedirectsAreReported) {
    ScriptedServer server;
    for (const long code : {301L, 308L}) {
        const std::string target = server.url("/text?body=moved");
        const FetchResult r =
            fetch(get(server.url("/redirect/" + std::to_string(code) + "?to=" + encode(target))));
        ASSERT_TRUE(r.ok()) << r.error_message;
        EXPECT_EQ(r.body, "moved");
        EXPECT_EQ(r.permanent_redirect, target);
        EXPECT_EQ(r.final_url, target);
        ASSERT_EQ(r.redirects.size(), 1u);
        EXPECT_EQ(r.redirects[0].status, code);
    }
}

TEST_F(ClientTest, OnlyTheLeadingPermanentHopsMoveTheSource) {
    ScriptedServer server;
    const std::string final_target = "/text?body=end";
    const std::string temporary = "/redirect/302?to=" + encode(final_target);
    const FetchResult r = fetch(get(server.url("/redirect/301?to=" + encode(temporary))));
    ASSERT_TRUE(r.ok()) << r.error_message;
    EXPECT_EQ(r.permanent_redirect, server.url(temporary));
    EXPECT_EQ(r.redirects.size(), 2u);

    const std::string permanent = "/redirect/301?to=" + encode(final_target);
    const FetchResult t = fetch(get(server.url("/redirect/302?to=" + encode(permanent))));
    ASSERT_TRUE(t.ok()) << t.error_message;
    EXPECT_TRUE(t.permanent_redirect.empty()) << "a temporary first hop keeps the URL";
}

TEST_F(ClientTest, RedirectLoopIsDetected) {
    ScriptedServer server;
    const FetchResult r = fetch(get(server.url("/loop/a")));
    EXPECT_EQ(r.error, FetchError::redirect_loop);
    EXPECT_THAT(r.error_message, HasSubstr("/loop/a -> "));
    EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(ClientTest, AtMostFiveRedirects) {
    ScriptedServer server;
    EXPECT_TRUE(fetch(get(server.url("/chain/5"))).ok());
    const FetchResult r = fetch(get(server.url("/chain/6")));
    EXPECT_EQ(r.error, FetchError::too_many_redirects);
    EXPECT_EQ(r.redirects.size(), 6u);
}

TEST_F(ClientTest, RedirectsLeaveHttpForNothingElse) {
    ScriptedServer server;
    for (const char* target : {"ftp://127.0.0.1/feed", "file:///etc/passwd", "gopher://x/"}) {
        const FetchResult r = fetch(get(server.url("/redirect/302?to=" + encode(target))));
        EXPECT_EQ(r.error, FetchError::unsupported_protocol) << target;
        EXPECT_THAT(r.error_message, HasSubstr(target));
    }
}

TEST_F(ClientTest, OnlyHttpUrlsAreFetched) {
    EXPECT_EQ(fetch(get("file:///etc/passwd")).error, FetchError::unsupported_protocol);
    EXPECT_EQ(fetch(get("ftp://127.0.0.1/")).error, FetchError::unsupported_protocol);
    EXPECT_EQ(fetch(get("not a url at all")).error, FetchError::bad_url);
    EXPECT_EQ(fetch(get("")).error, FetchError::bad_url);
    EXPECT_EQ(fetch(get("http://")).error, FetchError::bad_url);
}

TEST_F(ClientTest, ErrorStatusesAreAnswersNotErrors) {
    ScriptedServer server;
    for (const long code : {404L, 410L, 500L, 503L}) {
        const FetchResult r = fetch(get(server.url("/status/" + std::to_string(code))));
        EXPECT_EQ(r.error, FetchError::none) << r.error_message;
        EXPECT_EQ(r.status, code);
        EXPECT_FALSE(r.ok());
        EXPECT_TRUE(r.body.empty()) << "error pages are not kept";
    }
}

TEST_F(ClientTest, RetryAfterIsParsedInBothForms) {
    ScriptedServer server;
    const FetchResult seconds_form = fetch(get(server.url("/status/429?retry-after=120")));
    EXPECT_EQ(seconds_form.status, 429);
    EXPECT_EQ(seconds_form.retry_after, 120s);

    // An HTTP-date an hour after the server's Date header (the server sends its own Date).
    const auto in_an_hour =
        std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() + 1h);
    const std::time_t t = std::chrono::system_clock::to_time_t(in_an_hour);
    char date[64];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    const FetchResult date_form = fetch(get(server.url("/status/503?retry-after=" + encode(date))));
    EXPECT_EQ(date_form.status, 503);
    ASSERT_TRUE(date_form.retry_after);
    EXPECT_GE(*date_form.retry_after, 3590s);
    EXPECT_LE(*date_form.retry_after, 3600s);
}

TEST_F(ClientTest, CacheHeadersGiveFreshness) {
    ScriptedServer server;
    EXPECT_EQ(fetch(get(server.url("/text?body=x&cache-control=" + encode("public, max-age=900"))))
                  .freshness,
              900s);
    EXPECT_EQ(fetch(get(server.url("/text?body=x"))).freshness, std::nullopt);
}

TEST_F(ClientTest, SlowTrickleEndsAtTheTimeout) {
    ScriptedServer server;
    const auto started = std::chrono::steady_clock::now();
    const FetchResult r = fetch(get(server.url("/trickle?bytes=200&interval=0.1")));
    EXPECT_EQ(r.error, FetchError::timeout) << r.error_message;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 6s);
    EXPECT_TRUE(r.body.empty());
}

TEST_F(ClientTest, SilentServerEndsAtTheLowSpeedLimit) {
    ScriptedServer server;
    const FetchResult r = fetch(get(server.url("/hang")));
    EXPECT_EQ(r.error, FetchError::timeout) << r.error_message;
    EXPECT_LT(r.elapsed, 3500ms);
}

TEST_F(ClientTest, EndlessBodyStopsAtTheLimit) {
    ScriptedServer server;
    const FetchResult r = fetch(get(server.url("/endless")));
    EXPECT_EQ(r.error, FetchError::too_large) << r.error_message;
    EXPECT_TRUE(r.body.empty());
    EXPECT_LE(r.decoded_bytes, 1u << 20);
    EXPECT_THAT(r.error_message, HasSubstr("1048576"));
}

TEST_F(ClientTest, GzipBombStopsAtTheDecodedLimit) {
    ScriptedServer server;
    const FetchResult r = fetch(get(server.url("/gzip-bomb?mb=1024")));
    EXPECT_EQ(r.error, FetchError::too_large) << r.error_message;
    EXPECT_LE(r.decoded_bytes, 1u << 20);
    EXPECT_LT(r.wire_bytes, 256u << 10) << "stopped long before the compressed end";
    EXPECT_THAT(r.error_message, HasSubstr("after decoding"));
}

TEST_F(ClientTest, DeclaredOversizeIsRefusedBeforeTheBody) {
    ScriptedServer server;
    const FetchResult r = fetch(get(server.url("/big-content-length")));
    EXPECT_EQ(r.error, FetchError::too_large) << r.error_message;
    EXPECT_EQ(r.decoded_bytes, 0u);
}

TEST_F(ClientTest, HugeResponseHeadIsRefused) {
    ScriptedServer server;
    const FetchResult r = fetch(get(server.url("/huge-headers?kb=1024")));
    EXPECT_EQ(r.error, FetchError::too_large) << r.error_message;
    EXPECT_THAT(r.error_message, HasSubstr("response head"));
}

TEST_F(ClientTest, ConnectionResets) {
    ScriptedServer server;
    const FetchResult before = fetch(get(server.url("/reset")));
    EXPECT_EQ(before.error, FetchError::reset) << before.error_message;
    const FetchResult during = fetch(get(server.url("/reset-mid-body")));
    EXPECT_EQ(during.error, FetchError::reset) << during.error_message;
    EXPECT_TRUE(during.body.empty());
}

int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);  // nothing listens there now
    return ntohs(address.sin_port);
}

TEST_F(ClientTest, RefusedConnectionAndUnknownHost) {
    const FetchResult refused =
        fetch(get("http://127.0.0.1:" + std::to_string(closed_port()) + "/feed"));
    EXPECT_EQ(refused.error, FetchError::connect) << refused.error_message;
    const FetchResult unknown = fetch(get("http://no-such-host.invalid/feed"));
    EXPECT_EQ(unknown.error, FetchError::dns) << unknown.error_message;
    EXPECT_THAT(unknown.error_message, HasSubstr("no-such-host.invalid"));
}

TEST_F(ClientTest, TlsIsVerifiedUnlessTheSourceOptsOut) {
    ScriptedServer server({{}, /*tls=*/true});
    const std::string url = server.url("/text?body=secret");
    const FetchResult verified = fetch(get(url));
    EXPECT_EQ(verified.error, FetchError::tls) << verified.error_message;
    auto insecure = get(url);
    insecure.verify_tls = false;
    const FetchResult opted_out = fetch(insecure);
    ASSERT_TRUE(opted_out.ok()) << opted_out.error_message;
    EXPECT_EQ(opted_out.body, "secret");
}

TEST_F(ClientTest, HttpsToAPlainServerIsATlsError) {
    ScriptedServer server;
    const FetchResult r = fetch(get("https://127.0.0.1:" + std::to_string(server.port()) + "/"));
    EXPECT_EQ(r.error, FetchError::tls) << r.error_message;
}

TEST_F(ClientTest, ProxyComesFromTheEnvironment) {
    ScriptedServer proxy;
    ScopedEnv http_proxy("http_proxy", proxy.url("").c_str());
    ScopedEnv no_proxy("no_proxy", nullptr);
    ScopedEnv no_proxy_upper("NO_PROXY", nullptr);
    const FetchResult r = fetch(get("http://feeds.example.invalid/feed.xml"));
    ASSERT_TRUE(r.ok()) << r.error_message;
    EXPECT_EQ(r.body, "proxied http://feeds.example.invalid/feed.xml");
    EXPECT_EQ(proxy.requests().at(0).path, "http://feeds.example.invalid/feed.xml");
}

TEST_F(ClientTest, ASlowSourceNeverDelaysAFastOne) {
    ScriptedServer server;
    std::optional<FetchResult> slow;
    std::optional<FetchResult> fast;
    client_.fetch(get(server.url("/trickle?bytes=100&interval=0.05")),
                  [&](FetchResult r) { slow = std::move(r); });
    client_.fetch(get(server.url("/text?body=quick")), [&](FetchResult r) {
        fast = std::move(r);
        EXPECT_FALSE(slow.has_value()) << "the fast source finished first";
    });
    run_until([&] { return slow && fast; });
    ASSERT_TRUE(fast && slow);
    EXPECT_TRUE(fast->ok()) << fast->error_message;
    EXPECT_LT(fast->elapsed, 1s);
    EXPECT_EQ(slow->error, FetchError::timeout) << slow->error_message;
}

TEST_F(ClientTest, ManyConcurrentTransfersOnOneThread) {
    NginxServer nginx({fixture_path("fetch"), /*hosts=*/4});
    const std::string feed = read_fixture("fetch/conditional_gzip.rss");
    const std::string atom = read_fixture("fetch/every_encoding.atom");
    constexpr int kTransfers = 400;
    int done = 0;
    int good = 0;
    for (int i = 0; i < kTransfers; ++i) {
        const bool rss = i % 2 == 0;
        client_.fetch(
            get(nginx.url(rss ? "conditional_gzip.rss" : "every_encoding.atom", 1 + i % 4)),
            [&, rss](FetchResult r) {
                ++done;
                good += r.ok() && r.body == (rss ? feed : atom) ? 1 : 0;
            });
    }
    EXPECT_EQ(client_.active(), static_cast<std::size_t>(kTransfers));
    run_until([&] { return done == kTransfers; });
    EXPECT_EQ(good, kTransfers);
    const HttpClientStats stats = client_.stats();
    EXPECT_EQ(stats.transfers_started, static_cast<std::uint64_t>(kTransfers));
    EXPECT_EQ(stats.transfers_completed, static_cast<std::uint64_t>(kTransfers));
    EXPECT_EQ(stats.active_transfers, 0u);
    EXPECT_EQ(stats.watched_sockets, 0u) << "every socket handed back to libcurl";
}

TEST_F(ClientTest, IdleClientRunsNoHandlers) {
    ScriptedServer server;
    ASSERT_TRUE(fetch(get(server.url("/text?body=x"))).ok());
    // Let libcurl's post-transfer timers run out, then an idle second must run nothing at all.
    io_.restart();
    io_.run_for(300ms);
    const HttpClientStats before = client_.stats();
    io_.restart();
    const std::size_t handlers = io_.run_for(1s);
    const HttpClientStats after = client_.stats();
    EXPECT_EQ(handlers, 0u);
    EXPECT_EQ(after.socket_actions, before.socket_actions);
    EXPECT_EQ(after.timer_actions, before.timer_actions);
}

TEST_F(ClientTest, CancelAllCompletesEveryTransferAsCancelled) {
    ScriptedServer server;
    std::vector<FetchResult> results;
    for (int i = 0; i < 3; ++i)
        client_.fetch(get(server.url("/hang")), [&](FetchResult r) { results.push_back(r); });
    io_.restart();
    io_.run_for(200ms);
    EXPECT_TRUE(results.empty());
    client_.cancel_all();
    EXPECT_EQ(client_.active(), 0u);
    run_until([&] { return results.size() == 3; });
    ASSERT_EQ(results.size(), 3u);
    for (const auto& r : results)
        EXPECT_EQ(r.error, FetchError::cancelled);
}

TEST_F(ClientTest, DestroyingTheClientMidTransferIsSafe) {
    ScriptedServer server;
    int completions = 0;
    {
        HttpClient doomed(io_, test_options());
        for (int i = 0; i < 3; ++i)
            doomed.fetch(get(server.url("/hang")), [&](FetchResult) { ++completions; });
        doomed.fetch(get(server.url("/trickle?bytes=100&interval=0.01")),
                     [&](FetchResult) { ++completions; });
        io_.restart();
        io_.run_for(200ms);
    }
    io_.restart();
    io_.run_for(200ms);
    EXPECT_EQ(completions, 0);
}

TEST_F(ClientTest, CompletionsMayStartNewFetches) {
    ScriptedServer server;
    int chain = 0;
    std::function<void(FetchResult)> next = [&](FetchResult r) {
        EXPECT_TRUE(r.ok()) << r.error_message;
        if (++chain < 5)
            client_.fetch(get(server.url("/text?body=" + std::to_string(chain))), next);
    };
    client_.fetch(get(server.url("/text?body=0")), next);
    run_until([&] { return chain == 5; });
    EXPECT_EQ(chain, 5);
}

TEST_F(ClientTest, NewOptionsLeaveRunningTransfersAlone) {
    ScriptedServer server;
    std::optional<FetchResult> running;
    client_.fetch(get(server.url("/chain/3?code=302")), [&](FetchResult r) { running = r; });
    ClientOptions strict = test_options();
    strict.max_redirects = 1;
    client_.set_options(strict);
    EXPECT_EQ(client_.options().max_redirects, 1);
    run_until([&] { return running.has_value(); });
    ASSERT_TRUE(running);
    EXPECT_TRUE(running->ok()) << "started under the old limit of 5: " << running->error_message;
    const FetchResult next = fetch(get(server.url("/chain/3?code=302")));
    EXPECT_EQ(next.error, FetchError::too_many_redirects) << next.error_message;
}

TEST(FetchOnce, FetchesSynchronously) {
    ScopedEnv no_proxy("no_proxy", "*");
    ScriptedServer server;
    const FetchResult r = fetch_once(get(server.url("/text?body=once")), test_options());
    ASSERT_TRUE(r.ok()) << r.error_message;
    EXPECT_EQ(r.body, "once");
}

}  // namespace
}  // namespace chuhai::fetch
