#pragma once
// When to try a temporarily failed delivery again: exponential backoff with jitter, so many
// channels failing together (the mail server restarts) do not retry in lockstep, and never
// sooner than the server asked with Retry-After.

#include <chrono>
#include <optional>

#include "common/time.h"

namespace chuhai::deliver {

struct RetryPolicy {
    std::chrono::seconds initial_delay{60};  // after the first failure
    double multiplier = 2.0;                 // each further failure
    std::chrono::seconds max_delay{3600};    // cap of the backoff itself
    // Fraction of the delay drawn at random and taken off: 0.2 spreads a 10 min delay over
    // 8..10 min. 0 disables jitter.
    double jitter = 0.2;
    // Retry-After values beyond this are clamped so that a server cannot park a digest for days.
    std::chrono::seconds max_retry_after{6 * 3600};
};

// The delay before attempt number `failures` + 1, after `failures` (>= 1) temporary failures.
// `unit_random` is a number in [0, 1) from the caller's generator (tests pass fixed values).
// The result is at least the server's Retry-After (clamped to max_retry_after) and at least one
// second.
std::chrono::seconds retry_delay(const RetryPolicy& policy, int failures, double unit_random,
                                 std::optional<std::chrono::seconds> retry_after = {});

// A number in [0, 1) from a process-wide, thread-safe generator seeded from the OS.
double random_unit();

}  // namespace chuhai::deliver
