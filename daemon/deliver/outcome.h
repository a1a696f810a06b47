#pragma once
// What became of one delivery attempt. Failures to deliver are results, not exceptions: the
// outbox records them, retries the temporary ones and reports the permanent ones. Exceptions
// (chuhai::Error) are kept for what no retry can fix before the attempt starts, such as a
// settings error.

#include <chrono>
#include <optional>
#include <string>

namespace chuhai::deliver {

enum class DeliveryStatus {
    delivered,          // SMTP 250 after the message, HTTP 2xx
    temporary_failure,  // SMTP 4xx, network or TLS trouble, HTTP 5xx / 429: retry later
    permanent_failure,  // SMTP 5xx, HTTP 4xx, configuration the server refuses: do not retry
};

const char* to_string(DeliveryStatus status);

struct DeliveryOutcome {
    DeliveryStatus status = DeliveryStatus::temporary_failure;
    // The server's status code (SMTP reply code, HTTP status); 0 when none arrived.
    int code = 0;
    // The server's answer: the SMTP reply text, or the start of the HTTP response body.
    // Bounded (kMaxReplyBytes), control characters replaced, never containing credentials.
    std::string reply;
    // Our side of the story when the server said nothing useful ("connection refused").
    std::string detail;
    // Retry-After from an HTTP 429/503, already converted to a delay.
    std::optional<std::chrono::seconds> retry_after;

    bool delivered() const { return status == DeliveryStatus::delivered; }
};

// "delivered (250 2.0.0 Ok: queued)", "delivered (200 {"ok":true})", "temporary failure:
// connection refused", for logs and `chuhai digest test`: the status code, then the server's
// answer.
std::string describe(const DeliveryOutcome& outcome);

inline constexpr std::size_t kMaxReplyBytes = 2048;

// `text` with control characters as spaces, cut to kMaxReplyBytes at a UTF-8 boundary.
std::string bounded_reply(std::string_view text);

}  // namespace chuhai::deliver
