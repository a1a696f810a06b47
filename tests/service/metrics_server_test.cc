#include "service/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstring>
#include <future>
#include <thread>

#include "common/error.h"
#include "service/metrics.h"

namespace chuhai::service {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A blocking TCP client to 127.0.0.1 with a receive deadline, so that no test can hang.
class Client {
  public:
    explicit Client(std::uint16_t port, int receive_buffer = 0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        EXPECT_GE(fd_, 0);
        if (receive_buffer > 0)
            ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ~Client() { ::close(fd_); }

    bool connected() const { return connected_; }

    bool send(std::string_view data) {
        while (!data.empty()) {
            const ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (sent <= 0)
                return false;
            data.remove_prefix(static_cast<std::size_t>(sent));
        }
        return true;
    }

    // Everything until the server closes the connection or `deadline` passes.
    std::string read_until_closed(std::chrono::milliseconds deadline = 5s) {
        std::string data;
        const auto end = Clock::now() + deadline;
        while (Clock::now() < end) {
            if (!wait_readable(end))
                break;
            char buffer[16384];
            const ssize_t size = ::recv(fd_, buffer, sizeof buffer, 0);
            if (size <= 0) {
                closed_ = true;
                break;
            }
            data.append(buffer, static_cast<std::size_t>(size));
        }
        return data;
    }

    // One response: the header, then Content-Length bytes of body.
    std::string read_response(std::chrono::milliseconds deadline = 5s) {
        const auto end = Clock::now() + deadline;
        while (Clock::now() < end) {
            const std::size_t header_end = pending_.find("\r\n\r\n");
            if (header_end != std::string::npos) {
                const std::string header = pending_.substr(0, header_end + 4);
                const std::size_t length_at = header.find("Content-Length: ");
                const std::size_t length =
                    length_at == std::string::npos ? 0 : std::stoul(header.substr(length_at + 16));
                const bool head = expect_no_body_;
                const std::size_t total = header.size() + (head ? 0 : length);
                if (pending_.size() >= total) {
                    std::string response = pending_.substr(0, total);
                    pending_.erase(0, total);
                    return response;
                }
            }
            if (!wait_readable(end))
                break;
            char buffer[16384];
            const ssize_t size = ::recv(fd_, buffer, sizeof buffer, 0);
            if (size <= 0) {
                closed_ = true;
                break;
            }
            pending_.append(buffer, static_cast<std::size_t>(size));
        }
        return std::exchange(pending_, {});
    }

    void expect_no_body(bool value) { expect_no_body_ = value; }
    bool closed() const { return closed_; }

  private:
    bool wait_readable(Clock::time_point end) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
        pollfd wait{fd_, POLLIN, 0};
        return ::poll(&wait, 1, static_cast<int>(std::max<long long>(left.count(), 0))) > 0;
    }

    int fd_ = -1;
    bool connected_ = false;
    bool closed_ = false;
    bool expect_no_body_ = false;
    std::string pending_;
};

std::string body_of(const std::string& response) {
    const std::size_t at = response.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : response.substr(at + 4);
}

std::string status_line(const std::string& response) {
    return response.substr(0, response.find("\r\n"));
}

// The daemon's event loop on a thread of its own, with the server on it.
class MetricsServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        metrics_.declare("chuhai_polls_total", MetricType::counter, "Polls.", {"outcome"});
        metrics_.counter("chuhai_polls_total", {{"outcome", "ok"}}).inc(7);
    }

    void start(MetricsServerOptions options = {}, HealthCheck health = {}) {
        options.listen = "127.0.0.1:0";
        if (options.io_timeout == MetricsServerOptions{}.io_timeout)
            options.io_timeout = 2s;
        server_ = std::make_unique<MetricsServer>(loop_, metrics_, std::move(health), options);
        runner_ = std::thread([this] { loop_.run(); });
    }

    // Runs `f` on the loop thread and waits for its result.
    template <typename F>
    auto on_loop(F f) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        boost::asio::post(loop_, [&task] { task(); });
        return result.get();
    }

    void TearDown() override {
        if (runner_.joinable()) {
            on_loop([this] { server_->stop(); });
            guard_.reset();
            runner_.join();  // returns only when the stopped server left no work behind
        }
        server_.reset();
    }

    std::string get(const std::string& target, const std::string& method = "GET") {
        Client client(server_->port());
        EXPECT_TRUE(client.connected());
        client.send(method + " " + target +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        return client.read_until_closed();
    }

    boost::asio::io_context loop_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
        boost::asio::make_work_guard(loop_);
    Metrics metrics_;
    std::unique_ptr<MetricsServer> server_;
    std::thread runner_;
};

TEST_F(MetricsServerTest, ServesMetricsInThePrometheusTextFormat) {
    start();
    const std::string response = get("/metrics");
    EXPECT_EQ(status_line(response), "HTTP/1.1 200 OK");
    EXPECT_NE(response.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
              std::string::npos)
        << response;
    EXPECT_EQ(body_of(response), metrics_.render());
    EXPECT_NE(body_of(response).find("chuhai_polls_total{outcome=\"ok\"} 7\n"), std::string::npos);

    // A later scrape sees later values; a query string is ignored.
    metrics_.counter("chuhai_polls_total", {{"outcome", "ok"}}).inc();
    EXPECT_NE(get("/metrics?name[]=x").find("chuhai_polls_total{outcome=\"ok\"} 8\n"),
              std::string::npos);
}

TEST_F(MetricsServerTest, HeadHasTheHeadersButNoBody) {
    start();
    Client client(server_->port());
    client.expect_no_body(true);
    client.send("HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::string response = client.read_until_closed();
    EXPECT_EQ(status_line(response), "HTTP/1.1 200 OK");
    EXPECT_NE(response.find("Content-Length: " + std::to_string(metrics_.render().size())),
              std::string::npos)
        << response;
    EXPECT_EQ(body_of(response), "");
}

TEST_F(MetricsServerTest, HealthzReportsTheHealthCheck) {
    std::atomic<bool> healthy = true;
    start({}, [&] {
        return healthy ? HealthReport{true, "last cycle ended 12 s ago"}
                       : HealthReport{false, "last cycle ended 3600 s ago\nsecond line"};
    });
    std::string response = get("/healthz");
    EXPECT_EQ(status_line(response), "HTTP/1.1 200 OK");
    EXPECT_EQ(body_of(response), "ok: last cycle ended 12 s ago\n");
    healthy = false;
    response = get("/healthz");
    EXPECT_EQ(status_line(response), "HTTP/1.1 503 Service Unavailable");
    EXPECT_EQ(body_of(response), "unhealthy: last cycle ended 3600 s ago second line\n");
}

TEST_F(MetricsServerTest, AThrowingHealthCheckIsA500NotACrash) {
    start({}, []() -> HealthReport { throw std::runtime_error("store is locked"); });
    const std::string response = get("/healthz");
    EXPECT_EQ(status_line(response), "HTTP/1.1 500 Internal Server Error");
    EXPECT_EQ(body_of(response), "health check failed: store is locked\n");
    EXPECT_EQ(status_line(get("/metrics")), "HTTP/1.1 200 OK") << "the server goes on";
}

TEST_F(MetricsServerTest, AnswersOtherPathsAndMethodsWithErrors) {
    start();
    EXPECT_EQ(status_line(get("/")), "HTTP/1.1 404 Not Found");
    EXPECT_EQ(status_line(get("/metrics/../etc/passwd")), "HTTP/1.1 404 Not Found");
    const std::string post = get("/metrics", "DELETE");
    EXPECT_EQ(status_line(post), "HTTP/1.1 405 Method Not Allowed");
    EXPECT_NE(post.find("Allow: GET, HEAD\r\n"), std::string::npos);

    Client with_body(server_->port());
    with_body.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_EQ(status_line(with_body.read_until_closed()), "HTTP/1.1 413 Payload Too Large");
    EXPECT_TRUE(with_body.closed());

    Client garbage(server_->port());
    garbage.send("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(status_line(garbage.read_until_closed()), "HTTP/1.1 400 Bad Request");
    EXPECT_TRUE(garbage.closed());
}

TEST_F(MetricsServerTest, RefusesAnOversizedHeaderAndCloses) {
    MetricsServerOptions options;
    options.max_header_bytes = 4096;
    start(options);
    Client client(server_->port());
    client.send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(64 * 1024, 'a') +
                "\r\n\r\n");
    const std::string response = client.read_until_closed();
    EXPECT_EQ(status_line(response), "HTTP/1.1 431 Request Header Fields Too Large");
    EXPECT_TRUE(client.closed());
}

TEST_F(MetricsServerTest, KeepsAConnectionAliveForSeveralRequests) {
    start();
    Client client(server_->port());
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
        const std::string response = client.read_response();
        EXPECT_EQ(status_line(response), "HTTP/1.1 200 OK") << "request " << i;
        EXPECT_EQ(body_of(response), metrics_.render());
    }
    EXPECT_FALSE(client.closed());
    EXPECT_EQ(on_loop([this] { return server_->requests_served(); }), 3u);
}

TEST_F(MetricsServerTest, ClosesAConnectionAfterTheRequestLimit) {
    MetricsServerOptions options;
    options.max_requests_per_connection = 2;
    start(options);
    Client client(server_->port());
    client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(client.read_response().find("Connection: close"), std::string::npos)
        << "closed after the first request already";
    client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string last = client.read_until_closed();
    EXPECT_EQ(status_line(last), "HTTP/1.1 200 OK");
    EXPECT_NE(last.find("Connection: close\r\n"), std::string::npos) << last;
    EXPECT_TRUE(client.closed());
}

TEST_F(MetricsServerTest, DropsAClientThatSendsNothing) {
    MetricsServerOptions options;
    options.io_timeout = 300ms;
    start(options);
    Client silent(server_->port());
    const auto begin = Clock::now();
    EXPECT_EQ(silent.read_until_closed(5s), "");
    EXPECT_TRUE(silent.closed()) << "the server did not close an idle connection";
    EXPECT_LT(Clock::now() - begin, 4s);
}

TEST_F(MetricsServerTest, DropsAClientThatTricklesItsRequest) {
    MetricsServerOptions options;
    options.io_timeout = 300ms;
    start(options);
    Client slow(server_->port());
    const std::string request =
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'a') + "\r\n\r\n";
    // One byte every 20 ms would take 5 s; the timeout covers the whole request, so the server
    // hangs up long before, although bytes keep coming.
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline && on_loop([this] { return server_->open_connections(); }) == 0)
        std::this_thread::sleep_for(5ms);
    ASSERT_EQ(on_loop([this] { return server_->open_connections(); }), 1u);
    bool cut_off = false;
    for (char c : request) {
        if (!slow.send(std::string_view(&c, 1))) {
            cut_off = true;
            break;
        }
        std::this_thread::sleep_for(20ms);
        if (on_loop([this] { return server_->open_connections(); }) == 0) {
            cut_off = true;
            break;
        }
    }
    EXPECT_TRUE(cut_off);
}

TEST_F(MetricsServerTest, DropsAClientThatDoesNotReadItsResponse) {
    // A large registry, so that the response cannot sit in the socket buffers.
    for (int f = 0; f < 60; ++f) {
        const std::string name = "padding_" + std::to_string(f);
        metrics_.declare(name, MetricType::gauge, "padding", {"value"});
        for (int s = 0; s < 1000; ++s)
            metrics_.gauge(name, {{"value", std::string(100, 'x') + std::to_string(s)}}).set(s);
    }
    MetricsServerOptions options;
    options.io_timeout = 500ms;
    start(options);
    Client lazy(server_->port(), 4096);
    lazy.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline && on_loop([this] { return server_->requests_served(); }) == 0)
        std::this_thread::sleep_for(5ms);
    ASSERT_EQ(on_loop([this] { return server_->requests_served(); }), 1u);
    const auto answered = Clock::now();
    // Never read. The server must give up on the write and close the connection.
    std::size_t open = 1;
    while (Clock::now() < deadline &&
           (open = on_loop([this] { return server_->open_connections(); })) > 0)
        std::this_thread::sleep_for(20ms);
    EXPECT_EQ(open, 0u);
    EXPECT_GE(Clock::now() - answered, 400ms) << "closed before the write could have timed out";
}

TEST_F(MetricsServerTest, LimitsConcurrentConnections) {
    MetricsServerOptions options;
    options.max_connections = 2;
    start(options);
    Client first(server_->port());
    Client second(server_->port());
    // Wait until the server holds both.
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline && on_loop([this] { return server_->open_connections(); }) < 2)
        std::this_thread::sleep_for(10ms);
    ASSERT_EQ(on_loop([this] { return server_->open_connections(); }), 2u);

    Client third(server_->port());
    EXPECT_EQ(third.read_until_closed(3s), "");
    EXPECT_TRUE(third.closed()) << "a connection over the limit must be closed at once";

    // The held connections still work.
    first.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_line(first.read_until_closed()), "HTTP/1.1 200 OK");
}

TEST_F(MetricsServerTest, StopClosesEverythingAndRefusesNewConnections) {
    start();
    const std::uint16_t port = server_->port();
    Client idle(port);
    ASSERT_TRUE(idle.connected());
    on_loop([this] {
        server_->stop();
        return 0;
    });
    EXPECT_EQ(idle.read_until_closed(3s), "");
    EXPECT_TRUE(idle.closed());
    Client late(port);
    EXPECT_FALSE(late.connected());
}

TEST(MetricsServer, ReportsAnAddressInUse) {
    boost::asio::io_context loop;
    Metrics metrics;
    MetricsServerOptions options;
    options.listen = "127.0.0.1:0";
    MetricsServer first(loop, metrics, {}, options);
    options.listen = "127.0.0.1:" + std::to_string(first.port());
    try {
        MetricsServer second(loop, metrics, {}, options);
        FAIL() << "bound a port already in use";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::network);
        EXPECT_EQ(e.where(), "metrics.listen");
        EXPECT_NE(e.message().find(options.listen), std::string::npos) << e.what();
    }
}

TEST(MetricsServer, ListensOnIpv6Loopback) {
    boost::asio::io_context loop;
    Metrics metrics;
    MetricsServerOptions options;
    options.listen = "[::1]:0";
    std::unique_ptr<MetricsServer> server;
    try {
        server = std::make_unique<MetricsServer>(loop, metrics, HealthCheck{}, options);
    } catch (const Error& e) {
        GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
    }
    const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(server->port());
    address.sin6_addr = in6addr_loopback;
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    // The accept, read and write all happen on this thread's loop run.
    std::string response;
    char buffer[4096];
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline &&
           (!response.ends_with("\n") || response.find("\r\n\r\n") == std::string::npos)) {
        loop.run_for(std::chrono::milliseconds(20));
        const ssize_t size = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (size > 0)
            response.append(buffer, static_cast<std::size_t>(size));
        else if (size == 0)
            break;
    }
    ::close(fd);
    EXPECT_EQ(status_line(response), "HTTP/1.1 200 OK");
    EXPECT_EQ(body_of(response), "ok: running\n");
}

TEST(MetricsServer, ParsesListenAddresses) {
    auto address = parse_listen_address("127.0.0.1:9187");
    EXPECT_EQ(address.host, "127.0.0.1");
    EXPECT_EQ(address.port, 9187);
    address = parse_listen_address("[::1]:0");
    EXPECT_EQ(address.host, "::1");
    EXPECT_EQ(address.port, 0);
    address = parse_listen_address("0.0.0.0:65535");
    EXPECT_EQ(address.port, 65535);

    for (const char* bad : {"localhost:9187", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                            "127.0.0.1:91x", "::1:9187", "[::1]9187", "[::1", ":9187", ""}) {
        try {
            parse_listen_address(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::config) << bad;
            EXPECT_EQ(e.where(), "metrics.listen") << bad;
        }
    }
}

TEST(CycleHealth, HealthyWhileCyclesEndInTime) {
    using std::chrono::system_clock;
    const system_clock::time_point start{std::chrono::seconds(1'700'000'000)};
    const auto max_age = std::chrono::seconds(1800);
    EXPECT_TRUE(cycle_health(std::nullopt, start, start + 10min, max_age).healthy);
    const auto starting = cycle_health(std::nullopt, start, start + 31min, max_age);
    EXPECT_FALSE(starting.healthy);
    EXPECT_EQ(starting.detail, "no cycle has ended in the 1860 s since start");
    const auto recent = cycle_health(start + 40min, start, start + 45min, max_age);
    EXPECT_TRUE(recent.healthy);
    EXPECT_EQ(recent.detail, "last cycle ended 300 s ago");
    const auto stale = cycle_health(start + 40min, start, start + 71min, max_age);
    EXPECT_FALSE(stale.healthy);
    EXPECT_EQ(stale.detail, "last cycle ended 1860 s ago, longer than 1800 s");
}

}  // namespace
}  // namespace chuhai::service
