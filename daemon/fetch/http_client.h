#pragma once
// Concurrent HTTP(S) GETs on one Boost.Asio io_context: libcurl's multi interface driven by socket
// readiness (async_wait on curl's sockets) and one steady timer, so any number of transfers share
// one thread and an idle client costs no CPU. See docs/fetching.md for the HTTP behaviour.
//
// Threading: construct, call fetch(), cancel_all() and set_options(), and destroy the client on the
// thread that runs the io_context (or before it runs). Completions run on that thread, never inside
// a libcurl callback, so they may call fetch() again.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "fetch/fetch_result.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace chuhai::fetch {

// "chuhai/0.1.0 (+https://example.org/contact)"; contact_url empty gives the project URL.
std::string default_user_agent(const std::string& contact_url = {});

struct ClientOptions {
    std::string user_agent = default_user_agent();
    std::chrono::milliseconds connect_timeout{15'000};
    // Whole transfer, all redirect hops included.
    std::chrono::milliseconds total_timeout{120'000};
    // Abort when fewer than low_speed_bytes per second arrive for low_speed_time (libcurl measures
    // in whole seconds, so low_speed_time is rounded up to at least 1 s).
    long low_speed_bytes = 64;
    std::chrono::seconds low_speed_time{30};
    // Decoded body limit: a gzip bomb stops here, not at its compressed size.
    std::size_t max_body_bytes = 16u << 20;
    // Response head limit, all header lines of one transfer together.
    std::size_t max_header_bytes = 256u << 10;
    int max_redirects = 5;
    // Ask for gzip, deflate, br and zstd (whatever this libcurl decodes).
    bool accept_compressed = true;
};

// Counters for tests and benchmarks; cheap to read.
struct HttpClientStats {
    std::uint64_t transfers_started = 0;    // fetch() calls (not redirect hops)
    std::uint64_t transfers_completed = 0;  // completions delivered
    std::uint64_t socket_actions = 0;       // curl_multi_socket_action calls for socket readiness
    std::uint64_t timer_actions = 0;        // curl_multi_socket_action calls for timeouts
    std::size_t active_transfers = 0;
    std::size_t watched_sockets = 0;
};

class HttpClient {
  public:
    using Completion = std::function<void(FetchResult)>;

    HttpClient(boost::asio::io_context& io, ClientOptions options);
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;
    // Abandons transfers still running; their completions are not called.
    ~HttpClient();

    // Starts a GET. `done` runs exactly once on the io thread with the result (also for errors and
    // for a URL that is not http or https). Never throws for a bad request; throws only
    // std::bad_alloc.
    void fetch(FetchRequest request, Completion done);

    // Aborts every transfer in progress; each completion runs with FetchError::cancelled.
    void cancel_all();

    std::size_t active() const noexcept;
    HttpClientStats stats() const noexcept;
    // The options for fetches started from now on. set_options() (a reload) leaves the ones
    // already running with the options they started with.
    ClientOptions options() const;
    void set_options(ClientOptions options);

  private:
    class Impl;
    std::shared_ptr<Impl> impl_;
};

// One fetch on a private io_context, for CLI one-offs (`chuhai fetch URL`); blocks until done.
FetchResult fetch_once(FetchRequest request, ClientOptions options = {});

}  // namespace chuhai::fetch
