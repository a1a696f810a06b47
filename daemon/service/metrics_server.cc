#include "service/metrics_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <unordered_set>

#include "common/error.h"
#include "common/version.h"
#include "service/metrics.h"

namespace chuhai::service {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

HealthReport cycle_health(std::optional<std::chrono::system_clock::time_point> last_cycle_end,
                          std::chrono::system_clock::time_point started,
                          std::chrono::system_clock::time_point now, std::chrono::seconds max_age) {
    const auto whole_seconds = [](std::chrono::system_clock::duration d) {
        return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
    };
    if (!last_cycle_end) {
        const auto running = now - started;
        if (running <= max_age)
            return {true, "starting, no cycle has ended yet (running for " +
                              whole_seconds(running) + ")"};
        return {false, "no cycle has ended in the " + whole_seconds(running) + " since start"};
    }
    const auto age = now - *last_cycle_end;
    if (age <= max_age)
        return {true, "last cycle ended " + whole_seconds(age) + " ago"};
    return {false, "last cycle ended " + whole_seconds(age) + " ago, longer than " +
                       whole_seconds(max_age)};
}

ListenAddress parse_listen_address(std::string_view text) {
    const auto fail = [&](const std::string& why) -> ListenAddress {
        throw Error(ErrorKind::config, "invalid listen address '" + std::string(text) + "': " + why,
                    "metrics.listen");
    };
    ListenAddress result;
    std::string_view port_text;
    if (text.starts_with('[')) {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return fail("expected [IPv6]:PORT");
        result.host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos)
            return fail("expected HOST:PORT");
        result.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
        if (result.host.find(':') != std::string::npos)
            return fail("write an IPv6 address in brackets, as [::1]:9187");
    }
    unsigned port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
        port > 65535)
        return fail("the port must be a number from 0 to 65535");
    result.port = static_cast<std::uint16_t>(port);
    boost::system::error_code address_error;
    asio::ip::make_address(result.host, address_error);
    if (address_error)
        return fail("'" + result.host + "' is not an IP address (host names are not resolved)");
    return result;
}

namespace {

class Session;

// What the connections share with the server. Each session holds it, so it outlives the
// MetricsServer object until the last pending operation has ended.
struct ServerState : std::enable_shared_from_this<ServerState> {
    ServerState(asio::io_context& loop, const Metrics& metrics, HealthCheck health,
                MetricsServerOptions options)
        : loop(loop),
          metrics(metrics),
          health(std::move(health)),
          options(std::move(options)),
          acceptor(loop),
          retry_timer(loop) {}

    asio::io_context& loop;
    const Metrics& metrics;
    HealthCheck health;
    MetricsServerOptions options;
    tcp::acceptor acceptor;
    asio::steady_timer retry_timer;
    bool stopped = false;
    bool accept_failing = false;
    std::unordered_set<Session*> sessions;
    std::size_t served = 0;

    void listen(const ListenAddress& address);
    void accept();
    void stop();
};

// One client connection: reads requests one at a time and answers each, within the limits.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket socket, std::shared_ptr<ServerState> server)
        : stream_(std::move(socket)),
          server_(std::move(server)),
          buffer_(server_->options.max_header_bytes + 1024) {
        server_->sessions.insert(this);
    }
    ~Session() { server_->sessions.erase(this); }

    void start() { read_request(); }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.close();
    }

  private:
    void read_request() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header_bytes));
        parser_->body_limit(0);  // GET and HEAD carry no body
        stream_.expires_after(server_->options.io_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code error, std::size_t) {
                             self->on_read(error);
                         });
    }

    void on_read(beast::error_code error) {
        if (server_->stopped)
            return;
        if (error) {
            // A malformed or oversized request gets its status before the connection closes;
            // a timeout, a reset or a client that went away just closes it.
            if (error == http::error::header_limit || error == http::error::buffer_overflow)
                return answer_and_close(http::status::request_header_fields_too_large,
                                        "request header too large\n");
            if (error == http::error::body_limit)
                return answer_and_close(http::status::payload_too_large,
                                        "requests must not have a body\n");
            if (error == http::error::end_of_stream)
                return close();  // the client closed the connection between requests
            if (error.category() == http::make_error_code(http::error::bad_target).category())
                return answer_and_close(http::status::bad_request, "bad request\n");
            return close();
        }
        respond(parser_->get());
    }

    void respond(const http::request<http::empty_body>& request) {
        ++requests_;
        ++server_->served;
        response_ = {};
        response_.version(request.version());
        response_.set(http::field::server, std::string("chuhai/") + kVersion);
        response_.set(http::field::cache_control, "no-store");
        const bool head = request.method() == http::verb::head;
        const std::string_view target(request.target().data(), request.target().size());
        const std::string_view path = target.substr(0, target.find('?'));

        if (path != "/metrics" && path != "/healthz") {
            set_text(http::status::not_found, "not found; try /metrics or /healthz\n");
        } else if (request.method() != http::verb::get && !head) {
            set_text(http::status::method_not_allowed, "only GET and HEAD\n");
            response_.set(http::field::allow, "GET, HEAD");
        } else if (path == "/metrics") {
            response_.result(http::status::ok);
            response_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            response_.body() = server_->metrics.render();
        } else {
            answer_health();
        }
        response_.keep_alive(request.keep_alive() &&
                             requests_ < server_->options.max_requests_per_connection);
        response_.prepare_payload();
        if (head) {
            const std::size_t length = response_.body().size();
            response_.body().clear();
            response_.content_length(length);
        }
        write_response();
    }

    void answer_health() {
        HealthReport report;
        try {
            report = server_->health ? server_->health() : HealthReport{true, "running"};
        } catch (const std::exception& e) {
            set_text(http::status::internal_server_error,
                     std::string("health check failed: ") + e.what() + "\n");
            return;
        } catch (...) {
            set_text(http::status::internal_server_error, "health check failed\n");
            return;
        }
        std::string detail = report.detail;
        for (char& c : detail)
            if (c == '\n' || c == '\r')
                c = ' ';
        set_text(report.healthy ? http::status::ok : http::status::service_unavailable,
                 std::string(report.healthy ? "ok" : "unhealthy") +
                     (detail.empty() ? "" : ": " + detail) + "\n");
    }

    void set_text(http::status status, std::string body) {
        response_.result(status);
        response_.set(http::field::content_type, "text/plain; charset=utf-8");
        response_.body() = std::move(body);
    }

    void answer_and_close(http::status status, std::string body) {
        response_ = {};
        response_.version(11);
        set_text(status, std::move(body));
        response_.keep_alive(false);
        response_.prepare_payload();
        write_response();
    }

    void write_response() {
        stream_.expires_after(server_->options.io_timeout);
        http::async_write(stream_, response_,
                          [self = shared_from_this()](beast::error_code error, std::size_t) {
                              self->on_write(error);
                          });
    }

    void on_write(beast::error_code error) {
        if (error || server_->stopped || !response_.keep_alive())
            return close();
        read_request();
    }

    beast::tcp_stream stream_;
    std::shared_ptr<ServerState> server_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::empty_body>> parser_;
    http::response<http::string_body> response_;
    std::size_t requests_ = 0;
};

void ServerState::listen(const ListenAddress& address) {
    const tcp::endpoint endpoint(asio::ip::make_address(address.host), address.port);
    const auto fail = [&](const boost::system::error_code& error) {
        throw Error(ErrorKind::network,
                    "cannot listen on " + options.listen + ": " + error.message(),
                    "metrics.listen");
    };
    boost::system::error_code error;
    acceptor.open(endpoint.protocol(), error);
    if (error)
        fail(error);
    // A restarted daemon must be able to bind again while old connections sit in TIME_WAIT.
    acceptor.set_option(asio::socket_base::reuse_address(true), error);
    acceptor.bind(endpoint, error);
    if (error)
        fail(error);
    acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error)
        fail(error);
}

void ServerState::accept() {
    acceptor.async_accept(
        [self = shared_from_this()](boost::system::error_code error, tcp::socket socket) {
            if (self->stopped)
                return;
            if (error) {
                // Out of file descriptors and the like: wait a little instead of spinning, and
                // say so once per episode rather than five times a second.
                if (!self->accept_failing)
                    spdlog::warn("metrics endpoint: accept failed: {}", error.message());
                self->accept_failing = true;
                self->retry_timer.expires_after(std::chrono::milliseconds(200));
                self->retry_timer.async_wait([self](boost::system::error_code wait_error) {
                    if (!wait_error && !self->stopped)
                        self->accept();
                });
                return;
            }
            self->accept_failing = false;
            if (self->sessions.size() >= self->options.max_connections) {
                boost::system::error_code ignored;
                socket.close(ignored);
            } else {
                std::make_shared<Session>(std::move(socket), self)->start();
            }
            self->accept();
        });
}

void ServerState::stop() {
    if (stopped)
        return;
    stopped = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    retry_timer.cancel(ignored);
    // close() cannot destroy a session: each is kept alive by its pending operation.
    for (Session* session : sessions)
        session->close();
}

}  // namespace

struct MetricsServer::Impl {
    std::shared_ptr<ServerState> state;
};

MetricsServer::MetricsServer(asio::io_context& loop, const Metrics& metrics, HealthCheck health,
                             MetricsServerOptions options)
    : impl_(std::make_shared<Impl>(Impl{
          std::make_shared<ServerState>(loop, metrics, std::move(health), std::move(options))})) {
    impl_->state->listen(parse_listen_address(impl_->state->options.listen));
    impl_->state->accept();
    const auto address = impl_->state->acceptor.local_endpoint().address();
    spdlog::info("metrics endpoint listening on http://{}:{}/metrics",
                 address.is_v6() ? "[" + address.to_string() + "]" : address.to_string(), port());
}

MetricsServer::~MetricsServer() {
    impl_->state->stop();
}

std::uint16_t MetricsServer::port() const {
    boost::system::error_code error;
    const auto endpoint = impl_->state->acceptor.local_endpoint(error);
    return error ? 0 : endpoint.port();
}

void MetricsServer::stop() {
    impl_->state->stop();
}

std::size_t MetricsServer::open_connections() const {
    return impl_->state->sessions.size();
}

std::size_t MetricsServer::requests_served() const {
    return impl_->state->served;
}

}  // namespace chuhai::service
