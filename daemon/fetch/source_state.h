#pragma once
// A source as the fetch stage sees it: the settings the user chose, and the state the scheduler
// keeps about it. SourceState is plain data that the pipeline persists (store: sources table) after
// every poll and hands back on start-up, so a restart or a reload loses neither schedules, HTTP
// validators, backoff nor health. docs/fetching.md lists each field and what the store must keep.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace chuhai::fetch {

using SourceId = std::int64_t;

// What the user decides (config file or `chuhai sources add`).
struct SourceSettings {
    SourceId id = 0;
    std::string name;
    std::string url;  // the current URL: a permanent redirect replaces it
    // Per-source override of SchedulerOptions::default_interval (still clamped to min/max).
    std::optional<std::chrono::seconds> interval;
    bool verify_tls = true;  // false only by explicit config; every poll logs a warning then
    bool enabled = true;
};

// What `chuhai sources` shows. Updated after every poll.
struct SourceHealth {
    std::optional<UtcTime> last_attempt_at;
    std::optional<UtcTime> last_success_at;  // last 2xx (parsed) or 304
    long last_status = 0;                    // HTTP status of the last poll; 0 when none
    // Empty after a success; else a FetchError name ("timeout", "reset"...), "http" for an
    // error status, "parse" for a body the pipeline could not use, or "gone" for 410.
    std::string last_error_kind;
    std::string last_error;
    int consecutive_failures = 0;
    std::uint64_t last_bytes = 0;  // received over the network, all hops
    std::chrono::milliseconds last_elapsed{0};
    int last_items_seen = 0;
    int last_items_new = 0;
    std::optional<UtcTime> last_new_items_at;  // last poll that found new items
};

// The scheduler's memory of a source.
struct SourceSchedule {
    std::string etag;           // validators of the last successfully processed 2xx
    std::string last_modified;  //
    std::optional<UtcTime> next_poll_at;
    // Exponentially weighted mean of the time between polls that found new items, and how many
    // such gaps were observed: the source's own update rhythm, for the adaptive interval. ("Silent
    // for longer than usual" is the store's judgement, from its record of arrivals.)
    std::chrono::seconds mean_update_gap{0};
    int updates_observed = 0;
    // A Retry-After (429/503) this source received; re-applied to its whole host after a restart.
    std::optional<UtcTime> retry_after_until;
    // What the source last said about its own freshness: the lifetime its last response declared
    // (Cache-Control: max-age, else Expires minus Date) and the RSS <ttl> of its last accepted
    // body. Both lengthen the regular delay. A 304 that repeats no caching header keeps them (the
    // cached representation is fresh for its lifetime again, RFC 9111 4.3.4), so they hold across
    // polls and restarts; a new 2xx replaces them, a new URL forgets them.
    std::optional<std::chrono::seconds> freshness;
    std::optional<int> ttl_minutes;
    // Set by 410 Gone: the source is not polled while this is non-empty (see Scheduler::reenable).
    std::string disabled_reason;
};

struct SourceState {
    SourceHealth health;
    SourceSchedule schedule;
};

// The key for per-host limits and Retry-After: the lower-case host name of an http(s) URL,
// without user info or port; empty when the URL has none.
std::string host_of(std::string_view url);

}  // namespace chuhai::fetch
