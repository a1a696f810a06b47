#pragma once
// Reading the HTTP response head as libcurl hands it over, one line at a time, and the caching
// arithmetic a polite poller needs: freshness from Cache-Control/Expires, Retry-After as a delay.
// Pure functions; no I/O.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace chuhai::fetch {

// The parts of one response head the fetch stage uses. Values are trimmed but otherwise verbatim.
struct ResponseHead {
    long status = 0;
    std::string etag;
    std::string last_modified;
    std::string content_type;
    std::string content_encoding;
    std::string location;
    std::string cache_control;  // all Cache-Control lines joined with ", "
    std::string expires;
    std::string date;
    std::string retry_after;
    std::optional<std::uint64_t> content_length;  // a well-formed Content-Length
    bool has_expires = false;  // an Expires header was present (even if unparsable)
};

// Collects header lines. A status line ("HTTP/1.1 200 OK", "HTTP/2 304") starts a new response,
// so interim 1xx responses are forgotten. Lines that are neither a status line nor "Name: value"
// (the blank line ending the head, obsolete folding) are ignored.
class ResponseHeadParser {
  public:
    void feed(std::string_view line);
    const ResponseHead& head() const noexcept { return head_; }
    // Bytes of header lines fed so far, over all responses of this transfer.
    std::size_t bytes() const noexcept { return bytes_; }
    void reset() noexcept {
        head_ = {};
        bytes_ = 0;
    }

  private:
    ResponseHead head_;
    std::size_t bytes_ = 0;
};

// The max-age directive of a Cache-Control value ("public, max-age=600"); nullopt when absent or
// malformed. s-maxage is for shared caches and is ignored. Values are capped at ten years.
std::optional<std::chrono::seconds> parse_max_age(std::string_view cache_control);

// An HTTP-date (IMF-fixdate, and the obsolete RFC 850 and asctime forms); nullopt otherwise.
std::optional<UtcTime> parse_http_date(std::string_view text);

// Retry-After as a delay: delta-seconds as given, an HTTP-date minus `reference` (the response's
// Date, else the time it was received), never negative; nullopt when absent or malformed.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, UtcTime reference);

// How long the response is fresh (RFC 9111 4.2.1): max-age when given; else Expires minus Date
// (or minus `received_at` without a Date), where an unparsable Expires means already stale;
// nullopt when the server said nothing.
std::optional<std::chrono::seconds> freshness_lifetime(const ResponseHead& head,
                                                       UtcTime received_at);

// Retry-After of the head as a delay, using its Date (or `received_at`) for HTTP-dates.
std::optional<std::chrono::seconds> retry_after_delay(const ResponseHead& head,
                                                      UtcTime received_at);

}  // namespace chuhai::fetch
