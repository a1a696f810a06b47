#pragma once
// The polling half of chuhai, wired together (docs/architecture.md, "Threads"):
//   - the Poller (fetch stage) on the caller's io_context: timers, libcurl, signals;
//   - a worker pool that parses, normalises and matches each fetched body (pipeline.h);
//   - the store writer: a thread of its own that owns the Store, writes the fetched bodies in
//     batches (one transaction each) and persists each source's schedule and health after every
//     poll.
// `chuhai once`, `chuhai run` and `chuhai demo` all poll through this class.

#include <functional>
#include <memory>
#include <string>

#include "common/time.h"
#include "config/settings.h"
#include "match/rule_set.h"
#include "store/store.h"

namespace boost::asio {
class io_context;
}

namespace chuhai::service {
class Metrics;
}

namespace chuhai::app {

// What one cycle did, for the summary line and the systemd STATUS.
struct CycleReport {
    int sources = 0;
    int sources_ok = 0;  // 2xx parsed, or 304
    int not_modified = 0;
    int sources_failed = 0;
    int sources_skipped = 0;  // host paused by a Retry-After
    int items_seen = 0;
    int items_new = 0;
    int items_duplicate = 0;
    int items_revised = 0;
    int items_matched = 0;
    std::chrono::milliseconds elapsed{0};
    bool interrupted = false;
};

// "3 sources: 3 ok (1 not modified), 0 failed; 12 items: 9 new, 3 duplicate, 0 revised; 6 matched".
std::string summary_line(const CycleReport& report);

class PollRuntime {
  public:
    // Takes the store; from now on it is used only on the writer thread. Throws Error(store)
    // when the sources cannot be synchronised.
    PollRuntime(boost::asio::io_context& io, const Clock& clock, const config::Settings& settings,
                std::unique_ptr<store::Store> store, std::shared_ptr<const match::RuleSet> rules);
    PollRuntime(const PollRuntime&) = delete;
    PollRuntime& operator=(const PollRuntime&) = delete;
    // Waits for the workers and the writer to finish what they hold.
    ~PollRuntime();

    // For `chuhai once`: every enabled source now; `done` runs on the io thread.
    void poll_all_now(std::function<void(const CycleReport&)> done);
    // For `chuhai run`: every source when it is due.
    void start();
    // Called on the io thread whenever polling goes idle after at least one poll: nothing in
    // flight, nothing being processed. That burst of polls is what `run` calls a cycle.
    void set_cycle_observer(std::function<void(const CycleReport&)> observer);
    // Counts polls, errors, items and matches into `metrics` (which must outlive the runtime).
    void attach_metrics(service::Metrics* metrics);
    // Stops starting transfers, lets running ones finish within fetch.stop_grace, then waits for
    // the workers and the writer; `stopped` runs on the io thread.
    void stop(std::function<void()> stopped);

    // Applies a reloaded configuration (io thread): sources added, changed or removed keep their
    // state; every fetch.* setting applies at once, to what is scheduled and started from now on
    // (transfers already running keep their limits).
    void reload(const config::Settings& settings);
    // The rules to use for the next fetched bodies.
    void set_rules(std::shared_ptr<const match::RuleSet> rules);
    std::shared_ptr<const match::RuleSet> rules() const;

    // Runs `job` on the store writer, after the writes queued before it; `done` (optional) runs
    // on the io thread afterwards with the job's error message, empty on success.
    void with_store(std::function<void(store::Store&)> job,
                    std::function<void(const std::string& error)> done = {});

    // How many sources the scheduler polls now (enabled, from the file and the database); io
    // thread.
    std::size_t polled_sources() const;

    // Cumulative counters since start, for status and metrics.
    CycleReport totals() const;

    class Impl;

  private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace chuhai::app
