#pragma once
// What one HTTP poll asks for and what it brings back. A FetchResult is data, never an exception:
// transport failures (timeouts, resets, oversized bodies, redirect loops...) are an `error` kind
// plus a message; HTTP statuses such as 404, 410, 429 or 500 are answers, with `error == none`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"

namespace chuhai::fetch {

// Why a transfer produced no usable HTTP answer. Stable names (to_string) go into source health
// and logs.
enum class FetchError {
    none,
    cancelled,             // cancel_all() or shutdown aborted the transfer
    timeout,               // connect, low-speed or total timeout
    too_large,             // body (after decompression) or headers over the limit
    dns,                   // host name could not be resolved
    connect,               // TCP connection refused or unreachable
    tls,                   // handshake or certificate verification failed
    reset,                 // connection reset or closed before the response was complete
    redirect_loop,         // a redirect led back to a URL already visited
    too_many_redirects,    // more hops than ClientOptions::max_redirects
    unsupported_protocol,  // not http:// or https:// (also for redirect targets)
    bad_url,               // the URL cannot be parsed
    protocol,              // malformed response, bad content encoding, 3xx without Location
    internal,              // libcurl refused the request (a bug or resource exhaustion)
};

const char* to_string(FetchError error) noexcept;
// The inverse of to_string, for state restored from the store; unknown names give nullopt.
std::optional<FetchError> fetch_error_from_string(std::string_view name) noexcept;

struct FetchRequest {
    std::string url;
    std::string source_name;    // names the source in log lines and error messages
    std::string etag;           // sent as If-None-Match when not empty
    std::string last_modified;  // sent as If-Modified-Since when not empty
    bool verify_tls = true;     // false only when a source opts out explicitly; logged per poll
};

// One hop of a redirect chain.
struct RedirectHop {
    long status = 0;  // 301, 302, 303, 307 or 308
    std::string from;
    std::string to;
};

struct FetchResult {
    FetchError error = FetchError::none;
    std::string error_message;  // empty when error == none

    long status = 0;        // HTTP status of the last response; 0 when none was received
    std::string final_url;  // the URL that gave the last response
    std::vector<RedirectHop> redirects;
    // Where the source now lives: the target of the leading run of 301/308 hops, so that
    // A -301-> B -302-> C moves the source to B. Empty when the first hop was not permanent.
    std::string permanent_redirect;

    std::string etag;           // validators of the final response, verbatim
    std::string last_modified;  //
    std::string content_type;
    std::string content_encoding;  // as the server sent it; the body below is already decoded
    // How long the response stays fresh: Cache-Control max-age, else Expires minus Date.
    std::optional<std::chrono::seconds> freshness;
    // Retry-After of the final response as a delay (an HTTP-date is converted using Date).
    std::optional<std::chrono::seconds> retry_after;

    std::string body;  // decoded body of a 2xx response; empty for anything else
    // Bytes received from the network (headers and possibly compressed bodies, all hops).
    std::uint64_t wire_bytes = 0;
    // Decoded body bytes seen, also for bodies that were not kept (non-2xx, aborted).
    std::uint64_t decoded_bytes = 0;
    std::chrono::milliseconds elapsed{0};
    UtcTime received_at{};  // wall-clock time the transfer ended

    bool ok() const noexcept { return error == FetchError::none && status >= 200 && status < 300; }
    bool not_modified() const noexcept { return error == FetchError::none && status == 304; }
};

}  // namespace chuhai::fetch
