#include "app/poll_runtime.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "app/app_config.h"
#include "app/cli_format.h"
#include "app/pipeline.h"
#include "app/source_mapping.h"
#include "common/error.h"
#include "common/log.h"
#include "fetch/poller.h"
#include "service/metric_names.h"
#include "service/metrics.h"

namespace chuhai::app {

namespace asio = boost::asio;

std::string summary_line(const CycleReport& r) {
    return fmt::format(
        "{}: {} ok ({} not modified), {} failed{}; {}: {} new, {} duplicate, {} revised; {} "
        "matched",
        counted(r.sources, "source"), r.sources_ok, r.not_modified, r.sources_failed,
        r.sources_skipped > 0 ? fmt::format(", {} skipped", r.sources_skipped) : std::string(),
        counted(r.items_seen, "item"), r.items_new, r.items_duplicate, r.items_revised,
        r.items_matched);
}

namespace {

fetch::PollerOptions poller_options(const config::Settings& settings) {
    const auto& f = settings.fetch;
    fetch::PollerOptions options;
    options.client = client_options(f);
    auto& s = options.scheduler;
    s.default_interval = f.interval;
    s.min_interval = f.min_interval;
    s.max_interval = f.max_interval;
    s.first_poll_spread = f.first_poll_spread;
    s.interval_jitter = f.jitter;
    s.backoff_jitter = f.backoff_jitter;
    s.max_backoff = f.max_backoff;
    s.max_retry_after = f.max_retry_after;
    s.max_concurrent = f.max_concurrent;
    s.host_defaults = {f.per_host.max_concurrent, f.per_host.min_gap};
    for (const auto& [host, limits] : f.hosts)
        s.hosts[host] = {limits.max_concurrent, limits.min_gap};
    options.stop_grace = f.stop_grace;
    return options;
}

// The fetch settings that differ between two configurations, by their key names.
std::vector<std::string> changed_fetch_keys(const config::FetchSettings& a,
                                            const config::FetchSettings& b) {
    std::vector<std::string> keys;
    auto check = [&keys](bool differ, const char* key) {
        if (differ)
            keys.emplace_back(key);
    };
    check(a.interval != b.interval, "interval");
    check(a.min_interval != b.min_interval, "min_interval");
    check(a.max_interval != b.max_interval, "max_interval");
    check(a.first_poll_spread != b.first_poll_spread, "first_poll_spread");
    check(a.jitter != b.jitter, "jitter");
    check(a.backoff_jitter != b.backoff_jitter, "backoff_jitter");
    check(a.max_backoff != b.max_backoff, "max_backoff");
    check(a.max_retry_after != b.max_retry_after, "max_retry_after");
    check(a.max_concurrent != b.max_concurrent, "max_concurrent");
    check(a.per_host.max_concurrent != b.per_host.max_concurrent ||
              a.per_host.min_gap != b.per_host.min_gap,
          "per_host");
    bool hosts_differ = a.hosts.size() != b.hosts.size();
    for (auto i = a.hosts.begin(), j = b.hosts.begin(); !hosts_differ && i != a.hosts.end();
         ++i, ++j) {
        hosts_differ = i->first != j->first ||
                       i->second.max_concurrent != j->second.max_concurrent ||
                       i->second.min_gap != j->second.min_gap;
    }
    check(hosts_differ, "hosts");
    check(a.connect_timeout != b.connect_timeout, "connect_timeout");
    check(a.timeout != b.timeout, "timeout");
    check(a.low_speed_limit != b.low_speed_limit, "low_speed_limit");
    check(a.low_speed_time != b.low_speed_time, "low_speed_time");
    check(a.max_body_size != b.max_body_size, "max_body_size");
    check(a.max_redirects != b.max_redirects, "max_redirects");
    check(a.stop_grace != b.stop_grace, "stop_grace");
    check(a.contact_url != b.contact_url, "contact_url");
    return keys;
}

int worker_count() {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    return static_cast<int>(std::min(cores, 4u));
}

}  // namespace

class PollRuntime::Impl : public std::enable_shared_from_this<PollRuntime::Impl> {
  public:
    Impl(asio::io_context& io, const Clock& clock, const config::Settings& settings,
         std::unique_ptr<store::Store> store, std::shared_ptr<const match::RuleSet> rules)
        : io_(io),
          clock_(clock),
          fetch_settings_(settings.fetch),
          prepare_options_{settings.fetch.max_body_size, &seen_},
          store_(std::move(store)),
          rules_(std::move(rules)),
          workers_(static_cast<std::size_t>(worker_count())),
          writer_pool_(1),
          writer_(writer_pool_.get_executor()),
          poller_(io, clock, poller_options(settings)) {
        corpus_ = store_->corpus_model();
        first_sync_ = sync_sources(settings);
    }

    ~Impl() { join(); }  // already joined by ~PollRuntime; harmless again

    // Waits for what the workers and the writer hold: the workers first, since their jobs end by
    // queueing writes.
    void join() {
        workers_.join();
        writer_pool_.join();
    }

    void install_handlers() {
        std::weak_ptr<Impl> weak = weak_from_this();
        poller_.set_fetch_handler([weak](const fetch::PolledSource& source,
                                         fetch::FetchResult result, fetch::ProcessDone done) {
            if (auto self = weak.lock())
                self->on_body(source, std::move(result), std::move(done));
        });
        poller_.set_state_observer(
            [weak](const fetch::PolledSource& source, const fetch::SourceState& state) {
                if (auto self = weak.lock())
                    self->on_state(source, state);
            });
    }

    // The store's sources after a synchronisation with the configuration, handed from the
    // writer to the io thread by value.
    struct SourceSync {
        std::vector<store::Source> sources;
        // Sources whose configuration turns TLS verification off. By id, not URL: the opt-out
        // stays with the source when a 301/308 moves it.
        std::set<store::SourceId> insecure;
    };

    // Config sources into the store, and the sources as the store now has them, with the state
    // they had when chuhai last ran. Runs on the calling thread before any work is queued, or on
    // the writer (reload).
    SourceSync sync_sources(const config::Settings& settings) {
        const auto ids = store_->sync_config_sources(config_source_specs(settings));
        SourceSync sync;
        for (std::size_t i = 0; i < ids.size() && i < settings.sources.size(); ++i) {
            if (settings.sources[i].insecure_skip_tls_verify)
                sync.insecure.insert(ids[i]);
        }
        sync.sources = store_->list_sources();
        // Sources added from the command line carry their credentials in the database only.
        for (const auto& source : sync.sources) {
            register_url_secrets(source.spec.url);
            for (const auto& url : source.former_urls)
                register_url_secrets(url);
        }
        return sync;
    }

    // Hands the synchronised sources to the scheduler; io thread (or before the loop runs).
    void schedule_sources(const SourceSync& sync) {
        std::set<fetch::SourceId> active;
        for (const auto& source : sync.sources) {
            if (source.spec.kind != store::SourceKind::feed || !source.active())
                continue;
            active.insert(source.id);
            contexts_[source.id] = context_of(source);
            const bool insecure = sync.insecure.count(source.id) > 0;
            auto settings = scheduler_settings(source, !insecure);
            if (poller_.scheduler().contains(source.id)) {
                poller_.scheduler().upsert(std::move(settings));
                // The store says active, the scheduler still holds the 410 that disabled it: the
                // user enabled it again (`chuhai sources enable`) since.
                if (!poller_.scheduler().state(source.id).schedule.disabled_reason.empty())
                    poller_.scheduler().reenable(source.id);
            } else {
                poller_.scheduler().upsert(std::move(settings), restore_state(source));
            }
        }
        for (const auto id : poller_.scheduler().ids()) {
            if (active.count(id) == 0) {
                poller_.scheduler().remove(id);
                contexts_.erase(id);
            }
        }
        count_conditions(sync.sources);
        poller_.wake();
    }

    // chuhai_sources{state}: every feed source the store knows (removed ones aside), judged by
    // its stored health; the scheduler's state of the polled ones, which is newer, wins.
    void count_conditions(const std::vector<store::Source>& sources) {
        conditions_.clear();
        condition_counts_ = {};
        for (const auto& source : sources) {
            if (source.spec.kind != store::SourceKind::feed || source.removed)
                continue;
            const auto condition = poller_.scheduler().contains(source.id)
                                       ? condition_of(poller_.scheduler().state(source.id))
                                       : condition_of(source);
            conditions_[source.id] = condition;
            ++condition_counts_[static_cast<std::size_t>(condition)];
        }
        publish_conditions();
    }

    // One source's condition after a poll; io thread.
    void update_condition(store::SourceId id, SourceCondition condition) {
        auto found = conditions_.find(id);
        if (found == conditions_.end() || found->second == condition)
            return;
        --condition_counts_[static_cast<std::size_t>(found->second)];
        ++condition_counts_[static_cast<std::size_t>(condition)];
        found->second = condition;
        publish_conditions();
    }

    void publish_conditions() {
        if (metrics_ == nullptr)
            return;
        for (const auto condition : kSourceConditions) {
            metrics_
                ->gauge(service::metric::kSources, {{service::label::kState, to_string(condition)}})
                .set(static_cast<double>(condition_counts_[static_cast<std::size_t>(condition)]));
        }
    }

    SourceContext context_of(const store::Source& source) const {
        SourceContext context;
        context.id = source.id;
        context.name = source.spec.name;
        context.url = source.spec.url;
        context.tags = source.spec.tags;
        context.timezone = source.spec.timezone;
        return context;
    }

    // A 2xx body: parse and match on a worker, write on the writer, report back to the poller.
    void on_body(const fetch::PolledSource& source, fetch::FetchResult result,
                 fetch::ProcessDone done) {
        auto found = contexts_.find(source.id);
        if (found == contexts_.end()) {
            fetch::ProcessReport report;
            report.error = "the source was removed";
            done(std::move(report));
            return;
        }
        SourceContext context = found->second;
        context.url = source.url;
        bodies_in_processing_.insert(source.id);
        auto self = shared_from_this();
        // The job gets its own copy of the options: a reload replaces them on this thread while
        // workers run.
        asio::post(workers_, [self, context = std::move(context), result = std::move(result),
                              done = std::move(done), options = prepare_options_]() mutable {
            auto prepared = std::make_shared<PreparedFetch>();
            try {
                *prepared =
                    prepare_fetch(context, result, *self->rules(), self->corpus().get(), options);
            } catch (const std::exception& e) {
                fetch::ProcessReport report;
                report.error = std::string("cannot process the feed: ") + e.what();
                done(std::move(report));
                return;
            }
            self->log_bozo_once(context, *prepared);
            self->queue_write(std::move(prepared), std::move(done));
        });
    }

    // What waits for the writer (queue_for_writer).
    struct PendingWrite {
        std::shared_ptr<const PreparedFetch> prepared;
        fetch::ProcessDone done;
    };
    struct PendingState {
        fetch::PolledSource polled;
        fetch::SourceState state;
        SourceContext context;  // as it was when the poll started (its URL)
        bool had_body = false;
    };

    // A prepared fetch waits for the writer, which takes every one waiting at once and writes
    // them in one transaction: one commit per batch instead of one per fetch. Any thread.
    void queue_write(std::shared_ptr<const PreparedFetch> prepared, fetch::ProcessDone done) {
        queue_for_writer([&] {
            pending_writes_.push_back({std::move(prepared), std::move(done)});
        });
    }

    // Adds to what waits for the writer (`add` runs under write_mutex_), and posts a drain unless
    // one is posted and has not started yet.
    template <typename Add>
    void queue_for_writer(Add add) {
        bool post_drain = false;
        {
            std::lock_guard lock(write_mutex_);
            add();
            post_drain = !drain_posted_;
            drain_posted_ = true;
        }
        if (post_drain)
            asio::post(writer_, [self = shared_from_this()] { self->drain_writes(); });
    }

    // On the writer: the prepared fetches, then the states of polls that ended, all that waits.
    void drain_writes() {
        std::vector<PendingWrite> batch;
        std::vector<PendingState> states;
        {
            std::lock_guard lock(write_mutex_);
            batch.swap(pending_writes_);
            states.swap(pending_states_);
            drain_posted_ = false;  // what arrives from now on posts the next drain
        }
        if (!batch.empty())
            write_batch(batch);
        if (!states.empty())
            write_states(states);
    }

    void write_batch(std::vector<PendingWrite>& batch) {
        std::vector<const PreparedFetch*> fetches;
        fetches.reserve(batch.size());
        for (const auto& pending : batch)
            fetches.push_back(pending.prepared.get());
        const auto rules = this->rules();
        const auto results = write_prepared_batch(*store_, fetches, rules.get());
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const PreparedFetch& prepared = *batch[i].prepared;
            fetch::ProcessReport report;
            report.ttl_minutes = prepared.ttl_minutes;
            if (!prepared.error.empty())
                report.error = "not a feed: " + prepared.error;
            if (results[i].error.empty()) {
                // Committed: the next sight of these items needs no rules.
                remember_stored(seen_, prepared);
                report.items_seen = results[i].outcome.items_seen;
                report.items_new = results[i].outcome.items_new;
                count(results[i].outcome);
            } else {
                report.error = results[i].error;
            }
            batch[i].done(std::move(report));
        }
    }

    // After every poll: persist the schedule and health, record attempts that brought no body,
    // follow permanent redirects and 410s in the store.
    void on_state(const fetch::PolledSource& source, const fetch::SourceState& state) {
        const bool had_body = bodies_in_processing_.erase(source.id) > 0;
        count_poll(state);
        update_condition(source.id, condition_of(state));
        if (poller_.scheduler().in_flight() == 0 && bodies_in_processing_.empty())
            end_cycle();
        auto found = contexts_.find(source.id);
        if (found == contexts_.end())
            return;
        const SourceContext context = found->second;
        if (!source.verdict.new_url.empty())
            found->second.url = source.verdict.new_url;
        queue_for_writer([&] { pending_states_.push_back({source, state, context, had_body}); });
    }

    // On the writer: the states of the polls that ended since it last ran. A poll that brought
    // no body (a 304, an error) is one fetch record carrying its schedule, and these go into one
    // transaction together; a processed body's fetch is stored already, so only its schedule is
    // saved.
    void write_states(const std::vector<PendingState>& states) {
        std::vector<store::FetchBatch> records;
        for (const auto& pending : states) {
            if (!pending.had_body)
                records.push_back({record_from_state(pending.context, pending.state), {}});
        }
        const auto attempts = ingest_together(*store_, records);
        std::size_t next_record = 0;
        for (const auto& pending : states) {
            const fetch::PolledSource& polled = pending.polled;
            try {
                if (pending.had_body) {
                    store_->save_schedule(polled.id, schedule_of(pending.state));
                } else if (const auto& attempt = attempts[next_record]; !attempt.result) {
                    spdlog::error("{}: cannot save the source's state: {}", polled.name,
                                  attempt.error);
                }
                if (!polled.verdict.new_url.empty() &&
                    !store_->rename_source_url(polled.id, polled.verdict.new_url)) {
                    spdlog::warn("{}: moved to {}, which is already another source's URL",
                                 polled.name, polled.verdict.new_url);
                }
                if (polled.verdict.gone) {
                    const auto& reason = pending.state.schedule.disabled_reason;
                    store_->disable_source(polled.id, reason.empty() ? "410 Gone" : reason);
                }
            } catch (const Error& e) {
                spdlog::error("{}: cannot save the source's state: {}", polled.name, e.what());
            }
            if (!pending.had_body)
                ++next_record;
        }
    }

    void log_bozo_once(const SourceContext& context, const PreparedFetch& prepared) {
        std::lock_guard lock(mutex_);
        if (prepared.bozo_reason.empty()) {
            bozo_logged_.erase(context.id);
        } else if (bozo_logged_.insert(context.id).second) {
            spdlog::warn("{}: the feed is not well-formed, recovered what could be read: {}",
                         context.name, prepared.bozo_reason);
        }
    }

    // One finished poll, judged by the state the scheduler recorded for it.
    void count_poll(const fetch::SourceState& state) {
        const auto& health = state.health;
        std::string_view outcome = service::value::kOk;
        {
            std::lock_guard lock(mutex_);
            ++cycle_.sources;
            if (!health.last_error_kind.empty()) {
                ++cycle_.sources_failed;
                outcome = service::value::kError;
            } else if (health.last_status == 304) {
                ++cycle_.sources_ok;
                ++cycle_.not_modified;
                outcome = service::value::kNotModified;
            } else {
                ++cycle_.sources_ok;
            }
        }
        if (metrics_ != nullptr) {
            metrics_
                ->counter(service::metric::kPolls,
                          {{std::string(service::label::kOutcome), std::string(outcome)}})
                .inc();
            if (!health.last_error_kind.empty()) {
                std::string kind = health.last_error_kind;
                if (kind == "http")
                    kind = health.last_status >= 500 ? "http_5xx" : "http_4xx";
                metrics_
                    ->counter(service::metric::kPollErrors,
                              {{std::string(service::label::kKind), kind}})
                    .inc();
            }
        }
    }

    // Polling went idle: the burst of polls since the last idle moment was a cycle.
    void end_cycle() {
        if (in_poll_all_now_)
            return;  // poll_all_now() reports its cycle itself, once
        CycleReport report;
        {
            std::lock_guard lock(mutex_);
            if (cycle_.sources == 0)
                return;
            report = cycle_;
            report.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - cycle_started_);
            add_to_totals(report);
            cycle_ = {};
            cycle_started_ = std::chrono::steady_clock::now();
        }
        publish_cycle(report);
    }

    void add_to_totals(const CycleReport& r) {
        totals_.sources += r.sources;
        totals_.sources_ok += r.sources_ok;
        totals_.not_modified += r.not_modified;
        totals_.sources_failed += r.sources_failed;
        totals_.sources_skipped += r.sources_skipped;
        totals_.items_seen += r.items_seen;
        totals_.items_new += r.items_new;
        totals_.items_duplicate += r.items_duplicate;
        totals_.items_revised += r.items_revised;
        totals_.items_matched += r.items_matched;
    }

    void count(const WriteOutcome& outcome) {
        {
            std::lock_guard lock(mutex_);
            cycle_.items_seen += outcome.items_seen;
            cycle_.items_new += outcome.items_new;
            cycle_.items_duplicate += outcome.duplicates;
            cycle_.items_revised += outcome.revised;
            cycle_.items_matched += outcome.matched;
        }
        if (metrics_ != nullptr) {
            const std::string status(service::label::kStatus);
            metrics_
                ->counter(service::metric::kItems, {{status, std::string(service::value::kNew)}})
                .inc(outcome.items_new);
            metrics_
                ->counter(service::metric::kItems,
                          {{status, std::string(service::value::kDuplicate)}})
                .inc(outcome.duplicates);
            metrics_
                ->counter(service::metric::kItems,
                          {{status, std::string(service::value::kRevised)}})
                .inc(outcome.revised);
            for (const auto& [topic, items] : outcome.matched_topics) {
                metrics_->counter(service::metric::kMatches, {{service::label::kTopic, topic}})
                    .inc(items);
            }
        }
    }

    std::shared_ptr<const match::RuleSet> rules() const {
        std::lock_guard lock(mutex_);
        return rules_;
    }
    void set_rules(std::shared_ptr<const match::RuleSet> rules) {
        std::lock_guard lock(mutex_);
        rules_ = std::move(rules);
    }
    std::shared_ptr<const store::CorpusModel> corpus() const {
        std::lock_guard lock(mutex_);
        return corpus_;
    }

    void poll_all_now(std::function<void(const CycleReport&)> done) {
        {
            std::lock_guard lock(mutex_);
            cycle_ = {};
            cycle_started_ = std::chrono::steady_clock::now();
        }
        in_poll_all_now_ = true;
        // The poller keeps this callback until the cycle ends: hold the Impl weakly, no cycle.
        poller_.poll_all_now(
            [weak = weak_from_this(), done = std::move(done)](const fetch::CycleSummary& summary) {
                auto self = weak.lock();
                if (!self)
                    return;
                // Persisting the last states is queued on the writer; report once it has drained.
                // The guard keeps the io_context running while the report is away on the writer.
                auto keep_running = asio::make_work_guard(self->io_);
                asio::post(self->writer_, [weak, &io = self->io_, summary, done, keep_running] {
                    asio::post(io, [weak, summary, done, keep_running]() mutable {
                        keep_running.reset();
                        if (auto self = weak.lock())
                            done(self->report_of(summary));
                    });
                });
            });
    }

    // The report of a `poll_all_now` cycle: the polls counted as they ended, plus what only the
    // poller knows (sources skipped for a Retry-After, interruption, wall time).
    CycleReport report_of(const fetch::CycleSummary& summary) {
        in_poll_all_now_ = false;
        CycleReport report;
        {
            std::lock_guard lock(mutex_);
            report = cycle_;
            report.sources_skipped = summary.skipped;
            report.sources += summary.skipped;
            report.elapsed = summary.elapsed;
            report.interrupted = summary.interrupted;
            add_to_totals(report);
            cycle_ = {};
            cycle_started_ = std::chrono::steady_clock::now();
        }
        publish_cycle(report);
        return report;
    }

    void publish_cycle(const CycleReport& report) {
        if (metrics_ != nullptr) {
            metrics_->counter(service::metric::kCycles).inc();
            metrics_->gauge(service::metric::kLastCycleEnd)
                .set(static_cast<double>(clock_.now().time_since_epoch().count()));
            metrics_->gauge(service::metric::kLastCycleDuration)
                .set(static_cast<double>(report.elapsed.count()) / 1000.0);
        }
        if (cycle_observer_)
            cycle_observer_(report);
    }

    // Fetch settings at once (io thread); the sources after the writer synchronised them with
    // the store, back on the io thread.
    void reload(const config::Settings& settings) {
        apply_fetch_settings(settings);
        auto self = shared_from_this();
        asio::post(writer_, [self, settings] {
            try {
                auto sync = std::make_shared<const SourceSync>(self->sync_sources(settings));
                asio::post(self->io_, [weak = self->weak_from_this(), sync] {
                    if (auto self = weak.lock())
                        self->schedule_sources(*sync);
                });
            } catch (const Error& e) {
                spdlog::error("reload: cannot update the sources: {}", e.what());
            }
        });
    }

    // Every fetch setting applies without a restart: the poller takes the new options for what
    // it schedules and starts from now on, the workers the new body limit for the next bodies.
    void apply_fetch_settings(const config::Settings& settings) {
        const auto changed = changed_fetch_keys(fetch_settings_, settings.fetch);
        if (changed.empty())
            return;
        poller_.set_options(poller_options(settings));
        prepare_options_.max_bytes = settings.fetch.max_body_size;
        fetch_settings_ = settings.fetch;
        spdlog::info("reload: fetch settings applied ({}); transfers already running keep theirs",
                     fmt::join(changed, ", "));
    }

    void with_store(std::function<void(store::Store&)> job,
                    std::function<void(const std::string&)> done) {
        auto self = shared_from_this();
        auto keep_running = asio::make_work_guard(io_);  // until `done` has run
        asio::post(writer_, [self, job = std::move(job), done = std::move(done), keep_running] {
            std::string error;
            try {
                job(*self->store_);
                self->refresh_corpus();
            } catch (const std::exception& e) {
                error = e.what();
            }
            asio::post(self->io_, [done, error, keep_running]() mutable {  // holds no Impl
                keep_running.reset();
                if (done)
                    done(error);
            });
        });
    }

    void refresh_corpus() {
        auto corpus = store_->corpus_model();
        std::lock_guard lock(mutex_);
        corpus_ = std::move(corpus);
    }

    asio::io_context& io_;
    const Clock& clock_;
    config::FetchSettings fetch_settings_;  // io thread: the ones in force
    SeenItems seen_;  // items the writer committed; workers skip their rules (pipeline.h)
    PrepareOptions prepare_options_;       // io thread; each worker job gets a copy
    SourceSync first_sync_;                // from the constructor, for the first schedule
    std::unique_ptr<store::Store> store_;  // writer only (after construction)
    mutable std::mutex mutex_;             // guards rules_, corpus_, bozo_logged_, cycle_, totals_
    std::shared_ptr<const match::RuleSet> rules_;
    std::shared_ptr<const store::CorpusModel> corpus_;
    std::set<store::SourceId> bozo_logged_;
    CycleReport cycle_;
    CycleReport totals_;
    std::chrono::steady_clock::time_point cycle_started_ = std::chrono::steady_clock::now();
    bool in_poll_all_now_ = false;                                      // io thread
    std::function<void(const CycleReport&)> cycle_observer_;            // io thread
    service::Metrics* metrics_ = nullptr;                               // set before polling starts
    std::map<store::SourceId, SourceContext> contexts_;                 // io thread
    std::set<store::SourceId> bodies_in_processing_;                    // io thread
    std::map<store::SourceId, SourceCondition> conditions_;             // io thread
    std::array<int, std::size(kSourceConditions)> condition_counts_{};  // io thread
    std::mutex write_mutex_;  // guards pending_writes_, pending_states_, drain_posted_
    std::vector<PendingWrite> pending_writes_;
    std::vector<PendingState> pending_states_;
    bool drain_posted_ = false;
    asio::thread_pool workers_;
    // The writer has a thread of its own: it is the one stage that cannot run in parallel, so it
    // must not wait in the workers' queue behind the parsing of other bodies.
    asio::thread_pool writer_pool_;
    asio::thread_pool::executor_type writer_;
    fetch::Poller poller_;
};

PollRuntime::PollRuntime(asio::io_context& io, const Clock& clock, const config::Settings& settings,
                         std::unique_ptr<store::Store> store,
                         std::shared_ptr<const match::RuleSet> rules)
    : impl_(std::make_shared<Impl>(io, clock, settings, std::move(store), std::move(rules))) {
    impl_->install_handlers();
    impl_->schedule_sources(impl_->first_sync_);
    impl_->first_sync_ = {};
}

PollRuntime::~PollRuntime() {
    // Work queued on the pool holds the Impl; finish it here, on this thread, so the last
    // reference is never dropped (and the pool never joined) from inside the pool. Handlers
    // queued on the io_context hold only weak references.
    impl_->join();
}

void PollRuntime::poll_all_now(std::function<void(const CycleReport&)> done) {
    impl_->poll_all_now(std::move(done));
}

void PollRuntime::start() {
    impl_->poller_.start();
}

void PollRuntime::stop(std::function<void()> stopped) {
    impl_->poller_.stop([weak = std::weak_ptr<Impl>(impl_), stopped = std::move(stopped)] {
        auto impl = weak.lock();
        if (!impl) {
            stopped();
            return;
        }
        // Let the writer finish what the poll queued before saying we are done.
        auto keep_running = asio::make_work_guard(impl->io_);
        asio::post(impl->writer_, [&io = impl->io_, stopped, keep_running] {
            asio::post(io, [stopped, keep_running]() mutable {
                keep_running.reset();
                stopped();
            });
        });
    });
}

void PollRuntime::reload(const config::Settings& settings) {
    impl_->reload(settings);
}

void PollRuntime::set_rules(std::shared_ptr<const match::RuleSet> rules) {
    impl_->set_rules(std::move(rules));
}

std::shared_ptr<const match::RuleSet> PollRuntime::rules() const {
    return impl_->rules();
}

void PollRuntime::with_store(std::function<void(store::Store&)> job,
                             std::function<void(const std::string&)> done) {
    impl_->with_store(std::move(job), std::move(done));
}

void PollRuntime::set_cycle_observer(std::function<void(const CycleReport&)> observer) {
    impl_->cycle_observer_ = std::move(observer);
}

void PollRuntime::attach_metrics(service::Metrics* metrics) {
    impl_->metrics_ = metrics;
    impl_->publish_conditions();
}

std::size_t PollRuntime::polled_sources() const {
    return impl_->poller_.scheduler().size();
}

CycleReport PollRuntime::totals() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->totals_;
}

}  // namespace chuhai::app
