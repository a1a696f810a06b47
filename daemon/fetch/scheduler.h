#pragma once
// When to poll which source: pure logic on an injected clock, no I/O and no threads (the Poller
// calls it from the io thread; tests drive a ManualClock). It owns the per-source SourceState and
// the per-host state (transfers in flight, last request, Retry-After block).
//
// A source moves idle -> in flight (take_due) -> processing (on_fetched) -> idle (on_processed).
// It is never polled again before the pipeline reported back on the previous body.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"
#include "fetch/fetch_result.h"
#include "fetch/source_state.h"

namespace chuhai::fetch {

struct HostPolicy {
    int max_concurrent = 2;           // transfers in flight to this host at once
    std::chrono::seconds min_gap{0};  // between the starts of two requests to this host
};

struct SchedulerOptions {
    std::chrono::seconds default_interval{std::chrono::minutes{15}};
    std::chrono::seconds min_interval{std::chrono::minutes{5}};
    std::chrono::seconds max_interval{std::chrono::hours{24}};
    // A source seen for the first time is first polled at a uniformly random moment within this
    // window (capped by its interval), so sources added together do not poll together.
    std::chrono::seconds first_poll_spread{std::chrono::minutes{2}};
    double interval_jitter = 0.1;  // each regular delay is scaled by 1 +- this, uniformly
    double backoff_jitter = 0.25;  // each backoff delay is scaled by 1 +- this, uniformly
    std::chrono::seconds max_backoff{std::chrono::hours{24}};
    std::chrono::seconds max_retry_after{std::chrono::hours{24}};  // cap on a server's Retry-After
    int max_concurrent = 50;                                       // transfers in flight overall
    HostPolicy host_defaults;
    std::map<std::string, HostPolicy> hosts;  // overrides by host_of() name
    std::uint64_t seed = 0;                   // jitter generator seed; 0 picks a random one
};

// What the pipeline reports after handling a fetched body (or at once when there was none).
struct ProcessReport {
    int items_seen = 0;
    int items_new = 0;
    std::optional<int> ttl_minutes;  // RSS <ttl>
    std::string error;               // non-empty: the body was unusable; counts as a failure
};

// What a finished fetch changed beyond health, for logs and for the store.
struct FetchVerdict {
    std::string new_url;  // non-empty: a 301/308 moved the source, settings().url is updated
    bool gone = false;    // 410: the source is disabled (state().schedule.disabled_reason)
    bool failed = false;  // transport error or error status (a 2xx is judged in on_processed)
    std::optional<UtcTime> host_blocked_until;  // a Retry-After now blocks the whole host
};

// The result of force_all_due().
struct ForcedPoll {
    std::vector<SourceId> due;          // now due; taken by take_due() as the caps allow
    std::vector<SourceId> in_progress;  // already in flight or being processed
    std::vector<SourceId> skipped;      // their host is blocked by a Retry-After
};

class Scheduler {
  public:
    Scheduler(const Clock& clock, SchedulerOptions options);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Adds a source, or updates the settings of a known one (a reload), which keeps its state.
    // `restored` is the persisted state of a new source. A changed URL forgets the validators and
    // the freshness; a shorter interval brings a planned poll forward as set_options() does.
    void upsert(SourceSettings settings, std::optional<SourceState> restored = std::nullopt);
    // A reloaded configuration. Caps and per-host limits hold from the next take_due(); intervals,
    // jitter, backoff and the Retry-After cap from each source's next scheduling, except that an
    // idle source planned later than the new interval (or backoff) allows, counted from its last
    // attempt, is brought forward to then. The jitter generator keeps its seed.
    void set_options(SchedulerOptions options);
    const SchedulerOptions& options() const noexcept;
    // Forgets the source; one in flight is forgotten when its fetch completes.
    void remove(SourceId id);
    // Clears a 410 disablement (the user re-enabled the source): it is due at once.
    void reenable(SourceId id);

    bool contains(SourceId id) const;
    std::vector<SourceId> ids() const;
    // Throw Error(internal) for an unknown id.
    const SourceSettings& settings(SourceId id) const;
    const SourceState& state(SourceId id) const;
    bool busy(SourceId id) const;  // in flight or being processed
    // The delay a success would schedule now, before jitter, freshness and <ttl>.
    std::chrono::seconds adapted_interval(SourceId id) const;

    // Due sources that may start now within the global and per-host limits, earliest first;
    // they are marked in flight and their host's request clock starts.
    std::vector<SourceId> take_due();
    // The earliest time take_due() may find more work because time passed; nullopt when only a
    // completion (a freed slot) or a new source can. Never earlier than now.
    std::optional<UtcTime> next_wakeup() const;
    // The GET for a source: URL, validators, TLS choice.
    FetchRequest request_for(SourceId id) const;

    // The fetch of an in-flight source ended. Frees its slot, records health, applies 301/308,
    // 410 and Retry-After, and schedules the next poll unless the body still needs processing.
    FetchVerdict on_fetched(SourceId id, const FetchResult& result);
    // The pipeline is done with that fetch; the source becomes idle and scheduled again.
    void on_processed(SourceId id, const ProcessReport& report);

    // For `chuhai once`: every enabled source becomes due now, except those whose host is blocked
    // by a Retry-After. Intervals, backoff and freshness are ignored for this one poll.
    ForcedPoll force_all_due();

    std::size_t size() const noexcept;
    int in_flight() const noexcept;
    std::optional<UtcTime> host_blocked_until(const std::string& host) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chuhai::fetch
