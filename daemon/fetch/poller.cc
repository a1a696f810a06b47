#include "fetch/poller.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <unordered_map>
#include <unordered_set>

#include "common/error.h"

namespace chuhai::fetch {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

struct ProcessDone::State {
    State(asio::io_context& io, std::function<void(ProcessReport)> deliver)
        : deliver(std::move(deliver)), keep_running(io.get_executor()) {}
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() {
        if (called.exchange(true))
            return;
        try {
            ProcessReport dropped;
            dropped.error = "the pipeline dropped the fetched body without a report";
            deliver(std::move(dropped));
        } catch (...) {
        }
    }

    std::function<void(ProcessReport)> deliver;
    std::atomic<bool> called{false};
    // While a body is out with the pipeline, io_context::run() must not return for lack of work
    // (`chuhai once` runs the loop only until the cycle is done).
    asio::executor_work_guard<asio::io_context::executor_type> keep_running;
};

void ProcessDone::operator()(ProcessReport report) const {
    if (state_ && !state_->called.exchange(true))
        state_->deliver(std::move(report));
}

class Poller::Impl : public std::enable_shared_from_this<Poller::Impl> {
  public:
    Impl(asio::io_context& io, const Clock& clock, PollerOptions options)
        : io_(io),
          clock_(clock),
          options_(std::move(options)),
          scheduler_(clock, options_.scheduler),
          client_(io, options_.client),
          wake_timer_(io),
          grace_timer_(io) {}

    Scheduler& scheduler() noexcept { return scheduler_; }
    const HttpClient& client() const noexcept { return client_; }
    void set_fetch_handler(FetchHandler handler) { handler_ = std::move(handler); }
    void set_state_observer(StateObserver observer) { observer_ = std::move(observer); }

    void set_options(PollerOptions options) {
        scheduler_.set_options(options.scheduler);
        client_.set_options(options.client);
        options_ = std::move(options);
        options_.scheduler = scheduler_.options();  // the seed the scheduler kept
        pump();  // higher caps or shorter intervals may let work start now
    }
    const PollerOptions& options() const noexcept { return options_; }

    void start() {
        started_ = true;
        pump();
    }

    void wake() { pump(); }

    void poll_all_now(std::function<void(const CycleSummary&)> done) {
        if (cycle_)
            throw Error(ErrorKind::internal, "a poll cycle is already running", "poller");
        if (stopping_) {
            CycleSummary summary;
            summary.interrupted = true;
            asio::post(io_, [done = std::move(done), summary]() { done(summary); });
            return;
        }
        const ForcedPoll forced = scheduler_.force_all_due();
        Cycle cycle;
        cycle.started = SteadyClock::now();
        cycle.done = std::move(done);
        cycle.waiting.insert(forced.due.begin(), forced.due.end());
        cycle.waiting.insert(forced.in_progress.begin(), forced.in_progress.end());
        cycle.summary.sources = static_cast<int>(cycle.waiting.size());
        cycle.summary.skipped = static_cast<int>(forced.skipped.size());
        for (const SourceId id : forced.skipped) {
            const auto& settings = scheduler_.settings(id);
            const auto until = scheduler_.host_blocked_until(host_of(settings.url));
            spdlog::warn("{}: skipped, its host asked to retry after {}", settings.name,
                         until ? format_rfc3339(*until) : std::string("a while"));
        }
        cycle_ = std::move(cycle);
        if (cycle_->waiting.empty())
            finish_cycle();
        pump();
    }

    void stop(std::function<void()> stopped) {
        if (stop_reported_) {  // already stopped: say so again
            if (stopped)
                asio::post(io_, std::move(stopped));
            return;
        }
        stopping_ = true;
        on_stopped_ = std::move(stopped);
        wake_timer_.cancel();
        if (outstanding_ == 0) {
            finish_stop();
            return;
        }
        spdlog::info("fetch: stopping, waiting up to {} ms for {} transfers",
                     options_.stop_grace.count(), outstanding_);
        grace_timer_.expires_after(options_.stop_grace);
        grace_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
            if (ec == asio::error::operation_aborted)
                return;
            if (auto self = weak.lock()) {
                spdlog::warn("fetch: aborting {} transfers still running after the grace period",
                             self->client_.active());
                self->client_.cancel_all();
            }
        });
    }

  private:
    struct Cycle {
        std::unordered_set<SourceId> waiting;
        CycleSummary summary;
        SteadyClock::time_point started;
        std::function<void(const CycleSummary&)> done;
    };

    // What on_processed needs to know about the fetch it follows.
    struct Fetched {
        PolledSource source;
        FetchError error = FetchError::none;
        long status = 0;
        std::uint64_t bytes = 0;
        std::size_t body_bytes_out = 0;  // counted in body_bytes_out_ while with the handler
        bool body_out = false;           // counted in bodies_out_ while with the handler
    };

    // The pipeline holds as many bodies as it may: start nothing until it reports on one.
    bool pipeline_full() const {
        return bodies_out_ > 0 &&
               (bodies_out_ >= std::max<std::size_t>(1, options_.max_processing) ||
                body_bytes_out_ >= options_.max_processing_bytes);
    }

    void pump() {
        if (stopping_ || (!started_ && !cycle_))
            return;
        if (pipeline_full())
            return;  // on_processed() pumps again; no timer needed meanwhile
        for (const SourceId id : scheduler_.take_due())
            start_fetch(id);
        arm_wake_timer();
    }

    void arm_wake_timer() {
        const auto next = scheduler_.next_wakeup();
        if (!next) {
            wake_timer_.cancel();
            return;
        }
        // Whole seconds, like the clock; at least one, so a schedule that cannot move on without
        // a completion never spins.
        const auto delay = std::max(std::chrono::seconds{1}, *next - clock_.now());
        wake_timer_.expires_after(delay);
        wake_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
            if (ec == asio::error::operation_aborted)
                return;
            if (auto self = weak.lock())
                self->pump();
        });
    }

    void start_fetch(SourceId id) {
        ++outstanding_;
        client_.fetch(scheduler_.request_for(id), [weak = weak_from_this(), id](FetchResult r) {
            if (auto self = weak.lock())
                self->on_fetched(id, std::move(r));
        });
    }

    void on_fetched(SourceId id, FetchResult result) {
        --outstanding_;
        const FetchVerdict verdict = scheduler_.on_fetched(id, result);
        Fetched fetched;
        fetched.source.id = id;
        fetched.error = result.error;
        fetched.status = result.status;
        fetched.bytes = result.wire_bytes;
        if (scheduler_.contains(id)) {
            fetched.source.name = scheduler_.settings(id).name;
            fetched.source.url = scheduler_.settings(id).url;
        } else {
            fetched.source.name = fmt::format("source {}", id);
            fetched.source.url = result.final_url;
        }
        fetched.source.verdict = verdict;
        log_fetch(fetched.source, result);
        const bool has_body = result.ok();
        PolledSource source = fetched.source;
        if (has_body && handler_) {
            fetched.body_out = true;
            fetched.body_bytes_out = result.body.size();
            ++bodies_out_;
            body_bytes_out_ += fetched.body_bytes_out;
        }
        fetched_[id] = std::move(fetched);

        if (has_body && handler_) {
            ProcessDone done = make_done(id);
            try {
                handler_(source, std::move(result), done);
            } catch (const std::exception& e) {
                spdlog::error("{}: the fetch handler failed: {}", source.name, e.what());
                ProcessReport report;
                report.error = fmt::format("the fetch handler failed: {}", e.what());
                done(std::move(report));
            }
        } else {
            on_processed(id, ProcessReport{});
        }

        if (stopping_ && outstanding_ == 0)
            finish_stop();
        pump();
    }

    ProcessDone make_done(SourceId id) {
        auto deliver = [weak = weak_from_this(), &io = io_, id](ProcessReport report) {
            asio::post(io, [weak, id, report = std::move(report)]() {
                if (auto self = weak.lock())
                    self->on_processed(id, report);
            });
        };
        return ProcessDone(std::make_shared<ProcessDone::State>(io_, std::move(deliver)));
    }

    void on_processed(SourceId id, const ProcessReport& report) {
        auto node = fetched_.extract(id);
        if (node.empty())
            return;  // reported twice, or the source was dropped
        const Fetched& fetched = node.mapped();
        if (fetched.body_out) {
            --bodies_out_;
            body_bytes_out_ -= fetched.body_bytes_out;
        }
        try {
            scheduler_.on_processed(id, report);
        } catch (const Error& e) {
            spdlog::error("{}: {}", fetched.source.name, e.what());
            pump();
            return;
        }
        if (!report.error.empty() && fetched.status >= 200 && fetched.status < 300)
            spdlog::warn("{}: {}", fetched.source.name, report.error);
        if (observer_ && scheduler_.contains(id)) {
            try {
                observer_(fetched.source, scheduler_.state(id));
            } catch (const std::exception& e) {
                spdlog::error("{}: the state observer failed: {}", fetched.source.name, e.what());
            }
        }
        count_in_cycle(id, fetched, report);
        pump();
    }

    void count_in_cycle(SourceId id, const Fetched& fetched, const ProcessReport& report) {
        if (!cycle_ || cycle_->waiting.erase(id) == 0)
            return;
        CycleSummary& summary = cycle_->summary;
        summary.bytes += fetched.bytes;
        const bool answered = fetched.error == FetchError::none;
        if (answered && fetched.status == 304) {
            ++summary.not_modified;
        } else if (answered && fetched.status >= 200 && fetched.status < 300 &&
                   report.error.empty()) {
            ++summary.updated;
            summary.items_seen += report.items_seen;
            summary.items_new += report.items_new;
        } else {
            ++summary.failed;
        }
        if (cycle_->waiting.empty())
            finish_cycle();
    }

    void finish_cycle() {
        Cycle cycle = std::move(*cycle_);
        cycle_.reset();
        cycle.summary.interrupted = cycle.summary.interrupted || stopping_;
        if (!started_)
            wake_timer_.cancel();  // a one-off cycle leaves nothing behind to keep io.run() busy
        cycle.summary.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            SteadyClock::now() - cycle.started);
        const CycleSummary& s = cycle.summary;
        spdlog::info(
            "fetch cycle: {} sources, {} updated, {} not modified, {} failed, {} skipped; "
            "{} items ({} new), {} bytes in {} ms{}",
            s.sources, s.updated, s.not_modified, s.failed, s.skipped, s.items_seen, s.items_new,
            s.bytes, s.elapsed.count(), s.interrupted ? " (interrupted)" : "");
        asio::post(io_, [done = std::move(cycle.done), summary = cycle.summary]() {
            if (done)
                done(summary);
        });
    }

    void finish_stop() {
        if (stop_reported_)
            return;
        stop_reported_ = true;
        grace_timer_.cancel();
        wake_timer_.cancel();
        if (cycle_) {
            cycle_->summary.interrupted = true;
            finish_cycle();
        }
        if (on_stopped_)
            asio::post(io_, std::move(on_stopped_));
    }

    void log_fetch(const PolledSource& source, const FetchResult& result) {
        const FetchVerdict& verdict = source.verdict;
        if (!verdict.new_url.empty()) {
            spdlog::info("{}: moved permanently to {}; the source URL is updated", source.name,
                         verdict.new_url);
        }
        if (verdict.gone) {
            spdlog::warn("{}: HTTP 410 Gone from {}; the source is disabled", source.name,
                         result.final_url);
        }
        if (verdict.host_blocked_until) {
            spdlog::warn("{}: HTTP {} with Retry-After; host {} paused until {}", source.name,
                         result.status, host_of(result.final_url),
                         format_rfc3339(*verdict.host_blocked_until));
        }
        if (result.error != FetchError::none) {
            spdlog::warn("{}: {}", source.name, result.error_message);
        } else if (result.status >= 400 && !verdict.gone && !verdict.host_blocked_until) {
            spdlog::warn("{}: HTTP {} from {}", source.name, result.status, result.final_url);
        } else {
            spdlog::debug("{}: HTTP {}, {} bytes in {} ms", source.name, result.status,
                          result.wire_bytes, result.elapsed.count());
        }
    }

    asio::io_context& io_;
    const Clock& clock_;
    PollerOptions options_;
    Scheduler scheduler_;
    HttpClient client_;
    asio::steady_timer wake_timer_;
    asio::steady_timer grace_timer_;
    FetchHandler handler_;
    StateObserver observer_;
    std::unordered_map<SourceId, Fetched> fetched_;
    std::optional<Cycle> cycle_;
    std::size_t outstanding_ = 0;  // fetches started whose completion has not run yet
    std::size_t bodies_out_ = 0;   // bodies with the fetch handler, not yet reported
    std::size_t body_bytes_out_ = 0;
    bool started_ = false;
    bool stopping_ = false;
    bool stop_reported_ = false;
    std::function<void()> on_stopped_;
};

Poller::Poller(asio::io_context& io, const Clock& clock, PollerOptions options)
    : impl_(std::make_shared<Impl>(io, clock, std::move(options))) {}

Poller::~Poller() = default;

Scheduler& Poller::scheduler() noexcept {
    return impl_->scheduler();
}

const HttpClient& Poller::client() const noexcept {
    return impl_->client();
}

void Poller::set_fetch_handler(FetchHandler handler) {
    impl_->set_fetch_handler(std::move(handler));
}

void Poller::set_state_observer(StateObserver observer) {
    impl_->set_state_observer(std::move(observer));
}

void Poller::set_options(PollerOptions options) {
    impl_->set_options(std::move(options));
}

const PollerOptions& Poller::options() const noexcept {
    return impl_->options();
}

void Poller::start() {
    impl_->start();
}

void Poller::wake() {
    impl_->wake();
}

void Poller::poll_all_now(std::function<void(const CycleSummary&)> done) {
    impl_->poll_all_now(std::move(done));
}

void Poller::stop(std::function<void()> stopped) {
    impl_->stop(std::move(stopped));
}

}  // namespace chuhai::fetch
