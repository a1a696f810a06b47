#pragma once
// Webhook request signing. Every request carries
//   Idempotency-Key: <digest id>            the same on every retry of one digest
//   X-Chuhai-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
// A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in
// constant time, rejects timestamps more than a few minutes off (a replayed request), and
// treats a repeated Idempotency-Key as already handled. See docs/digests.md.

#include <chrono>
#include <string>
#include <string_view>

#include "common/time.h"

namespace chuhai::deliver {

inline constexpr const char* kSignatureHeader = "X-Chuhai-Signature";
inline constexpr const char* kIdempotencyHeader = "Idempotency-Key";

// Lower-case hex of HMAC-SHA256(key, message).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// The X-Chuhai-Signature value for `body` sent at `timestamp`.
std::string signature_header_value(std::string_view secret, UtcTime timestamp,
                                   std::string_view body);

enum class SignatureCheck {
    valid,
    malformed,  // not "t=<digits>,v1=<64 hex>"
    mismatch,   // wrong secret or altered body
    stale,      // timestamp further than the tolerance from now: a replay or a skewed clock
};

// What a receiver does; chuhai uses it in tests and documents it as the reference.
SignatureCheck verify_signature(std::string_view secret, std::string_view header_value,
                                std::string_view body, UtcTime now,
                                std::chrono::seconds tolerance = std::chrono::minutes{5});

}  // namespace chuhai::deliver
