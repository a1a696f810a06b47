#pragma once
// The optional HTTP endpoint for monitoring: GET /metrics (Prometheus text format) and
// GET /healthz, served on the daemon's event loop (Boost.Beast). Off unless the config's
// metrics.enabled is true; binds 127.0.0.1:9187 unless metrics.listen says otherwise.
//
// It must never hang or grow on what a client sends: a request's header is limited in size, a
// body is refused, a request must arrive and its response be taken within `io_timeout`, and at
// most `max_connections` are open at once (more are closed as soon as they are accepted).
// Anything else than GET or HEAD of /metrics and /healthz is answered 404 (unknown path) or
// 405 (other method).
//
// Threads: construct, stop and destroy on the loop's thread (or while the loop is not running).
// The health check runs on the loop thread and must be quick.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}

namespace chuhai::service {

class Metrics;

struct HealthReport {
    bool healthy = true;
    std::string detail;  // one line, shown in the /healthz body
};

// Answers /healthz: 200 "ok: DETAIL" when healthy, 503 "unhealthy: DETAIL" otherwise (and 500
// when it throws).
using HealthCheck = std::function<HealthReport()>;

// The usual health of a polling daemon: healthy while the last cycle ended less than `max_age`
// ago. Before the first cycle has ended, healthy for `max_age` after `started` (start-up is not
// a failure). A good max_age is twice the default poll interval plus the total fetch timeout.
HealthReport cycle_health(std::optional<std::chrono::system_clock::time_point> last_cycle_end,
                          std::chrono::system_clock::time_point started,
                          std::chrono::system_clock::time_point now, std::chrono::seconds max_age);

struct MetricsServerOptions {
    // "HOST:PORT" with an IP address for HOST ("127.0.0.1:9187", "[::1]:9187"); port 0 picks a
    // free port (tests).
    std::string listen = "127.0.0.1:9187";
    std::chrono::milliseconds io_timeout = std::chrono::seconds(10);
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_connections = 16;
    std::size_t max_requests_per_connection = 100;
};

struct ListenAddress {
    std::string host;  // an IPv4 or IPv6 address, without brackets
    std::uint16_t port = 0;
};

// Parses MetricsServerOptions::listen; throws Error(config, ..., "metrics.listen") naming what
// is wrong.
ListenAddress parse_listen_address(std::string_view text);

class MetricsServer {
  public:
    // Binds and starts accepting on `loop`. Throws Error(config) for an address that does not
    // parse and Error(network) when it cannot listen (port taken, address not local).
    // `metrics` must outlive the server.
    MetricsServer(boost::asio::io_context& loop, const Metrics& metrics, HealthCheck health,
                  MetricsServerOptions options = {});
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;
    // Stops (see stop()).
    ~MetricsServer();

    // The port it listens on (the chosen one when the options said 0).
    std::uint16_t port() const;
    // Stops accepting and closes every connection; their pending operations end with an error
    // and touch nothing else. Idempotent.
    void stop();

    // Connections open now, and requests answered so far; for tests and logs.
    std::size_t open_connections() const;
    std::size_t requests_served() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace chuhai::service
