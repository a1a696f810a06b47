#pragma once
// The polling engine: a Scheduler and an HttpClient joined on one io_context. It starts due
// fetches within the global and per-host limits, hands each 2xx body to the pipeline's handler,
// feeds the pipeline's report back into the schedule, and tells an observer the new state of the
// source so that the pipeline can persist it. Between polls it waits on one timer.
//
// Threading: everything runs on the io thread except ProcessDone, which may be called from any
// thread. The io_context must outlive the Poller and every ProcessDone it handed out.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/time.h"
#include "fetch/fetch_result.h"
#include "fetch/http_client.h"
#include "fetch/scheduler.h"
#include "fetch/source_state.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace chuhai::fetch {

struct PollerOptions {
    ClientOptions client;
    SchedulerOptions scheduler;
    // On stop(): transfers still running after this long are aborted.
    std::chrono::milliseconds stop_grace{10'000};
    // Backpressure from the pipeline: no transfer starts while this many bodies are out with the
    // fetch handler (not yet reported through ProcessDone), or while their bytes reach
    // max_processing_bytes. The network is faster than parsing and storing; without this limit a
    // cycle would hold nearly every body of every source in memory at once. One body is always
    // allowed out, however large, so a big feed cannot stall polling.
    std::size_t max_processing = 16;
    std::size_t max_processing_bytes = 32u << 20;
};

// The source a fetch was for, as it is after the fetch (a 301/308 already moved `url`).
struct PolledSource {
    SourceId id = 0;
    std::string name;
    std::string url;
    FetchVerdict verdict;
};

// The pipeline's answer for one fetched body. Copyable; callable from any thread; the first call
// counts and later ones are ignored. If every copy is destroyed without a call, the poll counts as
// failed ("result dropped"), so a lost body never leaves a source stuck.
class ProcessDone {
  public:
    void operator()(ProcessReport report) const;

  private:
    friend class Poller;
    struct State;
    explicit ProcessDone(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
};

// A 2xx body to parse, match and store; runs on the io thread and must return quickly (post the
// work to a worker pool), then call `done` once with what it found.
using FetchHandler = std::function<void(const PolledSource&, FetchResult, ProcessDone)>;
// After each poll is complete (fetched and processed): the state to persist, on the io thread.
using StateObserver = std::function<void(const PolledSource&, const SourceState&)>;

struct CycleSummary {
    int sources = 0;       // polled in this cycle
    int updated = 0;       // 2xx processed without error
    int not_modified = 0;  // 304
    int failed = 0;        // transport errors, error statuses, unusable bodies, 410
    int skipped = 0;       // not polled: the host is blocked by a Retry-After
    int items_seen = 0;
    int items_new = 0;
    std::uint64_t bytes = 0;  // received over the network
    std::chrono::milliseconds elapsed{0};
    bool interrupted = false;  // stop() ended the cycle early
};

class Poller {
  public:
    Poller(boost::asio::io_context& io, const Clock& clock, PollerOptions options);
    ~Poller();
    Poller(const Poller&) = delete;
    Poller& operator=(const Poller&) = delete;

    // Add, update and remove sources here; call wake() afterwards.
    Scheduler& scheduler() noexcept;
    const HttpClient& client() const noexcept;

    void set_fetch_handler(FetchHandler handler);
    void set_state_observer(StateObserver observer);

    // A reloaded configuration, applied at once: the scheduler's (Scheduler::set_options), the
    // client's for transfers started from now on (running ones keep theirs), the stop grace.
    void set_options(PollerOptions options);
    const PollerOptions& options() const noexcept;

    // Polls continuously, each source when it is due.
    void start();
    // Looks at the schedule again now (after sources changed or a test moved its clock).
    void wake();
    // For `chuhai once`: polls every enabled source once (conditional GET still applies) and
    // calls `done` on the io thread when all of them were fetched and processed. Works with or
    // without start(). Throws Error(internal) while another cycle is running.
    void poll_all_now(std::function<void(const CycleSummary&)> done);
    // Starts no more transfers, lets running ones finish for stop_grace, aborts the rest, then
    // calls `stopped` on the io thread. Reports of bodies already handed out are still taken.
    void stop(std::function<void()> stopped);

  private:
    class Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace chuhai::fetch
