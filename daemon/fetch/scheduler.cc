#include "fetch/scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <set>
#include <unordered_map>
#include <utility>

#include "common/error.h"

namespace chuhai::fetch {

using std::chrono::seconds;

namespace {

enum class Phase { idle, in_flight, processing };

struct Entry {
    SourceSettings settings;
    SourceState state;
    std::string host;
    std::string flight_host;  // the host whose slot an in-flight fetch holds
    Phase phase = Phase::idle;
    bool removed = false;  // removed while busy: dropped when it becomes idle
    // Between on_fetched and on_processed for a 2xx: what a successful parse will commit.
    bool awaiting_body = false;
    std::string pending_etag;
    std::string pending_last_modified;
    std::optional<seconds> pending_freshness;
};

using Queue = std::set<std::pair<UtcTime, SourceId>>;

struct HostState {
    int in_flight = 0;
    std::optional<UtcTime> last_start;
    std::optional<UtcTime> blocked_until;
    Queue queue;  // this host's idle, schedulable sources by due time
};

seconds scale(seconds d, double factor) {
    return seconds{static_cast<long long>(static_cast<double>(d.count()) * factor + 0.5)};
}

}  // namespace

struct Scheduler::Impl {
    Impl(const Clock& clock, SchedulerOptions options)
        : clock(clock), options(std::move(options)), rng(seed_of(this->options.seed)) {}

    static std::uint64_t seed_of(std::uint64_t seed) {
        if (seed != 0)
            return seed;
        std::random_device device;
        return (static_cast<std::uint64_t>(device()) << 32) ^ device();
    }

    const Clock& clock;
    SchedulerOptions options;
    std::mt19937_64 rng;
    std::unordered_map<SourceId, Entry> entries;
    // Sources wait in their host's queue; `heads` orders the hosts by their earliest due source.
    // take_due() and next_wakeup() then cost O(hosts with due work), not O(due sources): with
    // thousands of due sources and every slot busy, a scan per completion would be quadratic.
    std::unordered_map<std::string, HostState> hosts;
    std::set<std::pair<UtcTime, std::string>> heads;
    int in_flight = 0;

    Entry& entry(SourceId id) {
        auto it = entries.find(id);
        if (it == entries.end() || it->second.removed)
            throw Error(ErrorKind::internal, fmt::format("unknown source id {}", id), "scheduler");
        return it->second;
    }
    const Entry& entry(SourceId id) const { return const_cast<Impl*>(this)->entry(id); }

    const HostPolicy& policy(const std::string& host) const {
        const auto it = options.hosts.find(host);
        return it == options.hosts.end() ? options.host_defaults : it->second;
    }

    double uniform(double low, double high) {
        return std::uniform_real_distribution<double>(low, high)(rng);
    }

    bool schedulable(const Entry& e) const {
        return !e.removed && e.settings.enabled && e.state.schedule.disabled_reason.empty();
    }

    static std::optional<UtcTime> head_of(const HostState& host) {
        if (host.queue.empty())
            return std::nullopt;
        return host.queue.begin()->first;
    }

    void update_head(const std::string& name, const HostState& host,
                     std::optional<UtcTime> old_head) {
        const auto new_head = head_of(host);
        if (new_head == old_head)
            return;
        if (old_head)
            heads.erase({*old_head, name});
        if (new_head)
            heads.emplace(*new_head, name);
    }

    void enqueue(SourceId id, Entry& e) {
        if (e.phase != Phase::idle || !schedulable(e) || !e.state.schedule.next_poll_at)
            return;
        HostState& host = hosts[e.host];
        const auto old_head = head_of(host);
        host.queue.emplace(*e.state.schedule.next_poll_at, id);
        update_head(e.host, host, old_head);
    }

    void dequeue(SourceId id, const Entry& e) {
        if (!e.state.schedule.next_poll_at)
            return;
        const auto it = hosts.find(e.host);
        if (it == hosts.end())
            return;
        const auto old_head = head_of(it->second);
        if (it->second.queue.erase({*e.state.schedule.next_poll_at, id}) > 0)
            update_head(e.host, it->second, old_head);
    }

    // Why a host with due sources cannot start one now: nullopt when it can; else the time it may
    // (a Retry-After or the minimum gap) or, for a full host, the epoch (a completion frees it).
    std::optional<UtcTime> host_wait(const std::string& name, const HostState& host,
                                     UtcTime now) const {
        if (host.blocked_until && *host.blocked_until > now)
            return *host.blocked_until;
        if (host.in_flight >= std::max(1, policy(name).max_concurrent))
            return UtcTime{};
        const seconds gap = policy(name).min_gap;
        if (gap > seconds{0} && host.last_start && now < *host.last_start + gap)
            return *host.last_start + gap;
        return std::nullopt;
    }

    void reschedule(SourceId id, Entry& e, UtcTime when) {
        dequeue(id, e);
        e.state.schedule.next_poll_at = when;
        enqueue(id, e);
    }

    seconds base_interval(const Entry& e) const {
        const seconds configured = e.settings.interval.value_or(options.default_interval);
        return std::clamp(configured, options.min_interval, options.max_interval);
    }

    // Poll about twice per observed update gap, within [base/2, 8 x base] and [min, max].
    seconds adapted_interval(const Entry& e) const {
        const seconds base = base_interval(e);
        seconds adapted = base;
        const auto& schedule = e.state.schedule;
        if (schedule.updates_observed >= 2 && schedule.mean_update_gap > seconds{0})
            adapted = std::clamp(schedule.mean_update_gap / 2, base / 2, base * 8);
        return std::clamp(adapted, options.min_interval, options.max_interval);
    }

    seconds regular_delay(const Entry& e, std::optional<seconds> freshness,
                          std::optional<int> ttl_minutes) {
        seconds delay = adapted_interval(e);
        if (freshness)
            delay = std::max(delay, *freshness);
        if (ttl_minutes && *ttl_minutes > 0)
            delay = std::max(delay, seconds{std::min(*ttl_minutes, 10 * 366 * 24 * 60) * 60LL});
        delay = std::clamp(delay, options.min_interval, options.max_interval);
        const double j = std::clamp(options.interval_jitter, 0.0, 0.5);
        return std::max(seconds{1}, scale(delay, j > 0 ? uniform(1 - j, 1 + j) : 1.0));
    }

    // base x 2^(failures-1), capped, with jitter; never more than max_backoff.
    seconds backoff_delay(const Entry& e, int failures) {
        const seconds cap = std::max(options.max_backoff, seconds{1});
        seconds delay = base_interval(e);
        for (int i = 1; i < failures && delay < cap; ++i)
            delay *= 2;
        delay = std::min(delay, cap);
        const double j = std::clamp(options.backoff_jitter, 0.0, 0.5);
        delay = scale(delay, j > 0 ? uniform(1 - j, 1 + j) : 1.0);
        return std::clamp(delay, seconds{1}, cap);
    }

    void fail(Entry& e, std::string kind, std::string message) {
        auto& health = e.state.health;
        health.last_error_kind = std::move(kind);
        health.last_error = std::move(message);
        ++health.consecutive_failures;
    }

    void succeed(Entry& e, UtcTime now) {
        auto& health = e.state.health;
        health.last_error_kind.clear();
        health.last_error.clear();
        health.consecutive_failures = 0;
        health.last_success_at = now;
    }

    // After a failure: the backoff, or later when a Retry-After said so.
    UtcTime after_failure(const Entry& e, UtcTime now) {
        UtcTime next = now + backoff_delay(e, e.state.health.consecutive_failures);
        if (e.state.schedule.retry_after_until)
            next = std::max(next, *e.state.schedule.retry_after_until);
        return next;
    }

    void record_update(Entry& e, UtcTime now) {
        auto& schedule = e.state.schedule;
        auto& health = e.state.health;
        if (health.last_new_items_at) {
            const seconds gap = std::max(seconds{0}, now - *health.last_new_items_at);
            // Exponentially weighted (1/4 for the newest gap): follows a changing rhythm
            // within a few updates without being thrown by one burst.
            schedule.mean_update_gap =
                schedule.updates_observed == 0 ? gap : (schedule.mean_update_gap * 3 + gap) / 4;
            ++schedule.updates_observed;
        }
        health.last_new_items_at = now;
    }

    // After a shorter interval (a reload, or a source's own setting): an idle source whose next
    // poll was planned with the old one moves to when the new one would have planned it, counted
    // from its last attempt. Polls are only brought forward, so a longer interval takes effect
    // from the next poll and nothing planned is pushed away.
    void pull_forward(SourceId id, Entry& e, UtcTime now) {
        auto& schedule = e.state.schedule;
        if (e.phase != Phase::idle || !schedulable(e) || !schedule.next_poll_at ||
            !e.state.health.last_attempt_at)
            return;
        const int failures = e.state.health.consecutive_failures;
        UtcTime planned =
            *e.state.health.last_attempt_at +
            (failures > 0 ? backoff_delay(e, failures)
                          : regular_delay(e, schedule.freshness, schedule.ttl_minutes));
        if (failures > 0 && schedule.retry_after_until)
            planned = std::max(planned, *schedule.retry_after_until);
        planned = std::max(planned, now);
        if (planned < *schedule.next_poll_at)
            reschedule(id, e, planned);
    }

    void drop(SourceId id) {
        auto it = entries.find(id);
        if (it == entries.end())
            return;
        dequeue(id, it->second);
        entries.erase(it);
    }
};

Scheduler::Scheduler(const Clock& clock, SchedulerOptions options)
    : impl_(std::make_unique<Impl>(clock, std::move(options))) {}

Scheduler::~Scheduler() = default;

void Scheduler::upsert(SourceSettings settings, std::optional<SourceState> restored) {
    Impl& s = *impl_;
    const UtcTime now = s.clock.now();
    const SourceId id = settings.id;
    auto it = s.entries.find(id);
    if (it != s.entries.end()) {
        Entry& e = it->second;
        const bool new_interval = e.settings.interval != settings.interval;
        s.dequeue(id, e);
        if (e.settings.url != settings.url) {
            // What the old address said about itself does not hold for the new one.
            e.state.schedule.etag.clear();
            e.state.schedule.last_modified.clear();
            e.state.schedule.freshness.reset();
            e.state.schedule.ttl_minutes.reset();
            e.host = host_of(settings.url);
        }
        e.settings = std::move(settings);
        e.removed = false;
        if (!e.state.schedule.next_poll_at)
            e.state.schedule.next_poll_at = now;
        s.enqueue(id, e);
        if (new_interval)
            s.pull_forward(id, e, now);
        return;
    }

    Entry e;
    e.host = host_of(settings.url);
    e.settings = std::move(settings);
    if (restored)
        e.state = std::move(*restored);
    auto& schedule = e.state.schedule;
    if (!schedule.next_poll_at) {
        const seconds window = std::min(s.options.first_poll_spread, s.base_interval(e));
        schedule.next_poll_at =
            now + seconds{static_cast<long long>(s.uniform(0.0, 1.0) *
                                                 static_cast<double>(window.count()))};
    }
    if (schedule.retry_after_until && *schedule.retry_after_until > now) {
        auto& blocked = s.hosts[e.host].blocked_until;
        blocked = std::max(blocked.value_or(now), *schedule.retry_after_until);
    }
    auto [inserted, fresh] = s.entries.emplace(id, std::move(e));
    s.enqueue(id, inserted->second);
}

void Scheduler::set_options(SchedulerOptions options) {
    Impl& s = *impl_;
    options.seed = s.options.seed;  // the jitter generator goes on; reseeding would gain nothing
    const auto& old = s.options;
    // Only a change of what delays are made of moves planned polls: recomputing with fresh
    // jitter on every reload would nudge sources forward for nothing.
    const bool new_delays =
        old.default_interval != options.default_interval ||
        old.min_interval != options.min_interval || old.max_interval != options.max_interval ||
        old.max_backoff != options.max_backoff || old.interval_jitter != options.interval_jitter ||
        old.backoff_jitter != options.backoff_jitter;
    s.options = std::move(options);
    if (!new_delays)
        return;
    const UtcTime now = s.clock.now();
    for (auto& [id, e] : s.entries)
        s.pull_forward(id, e, now);
}

const SchedulerOptions& Scheduler::options() const noexcept {
    return impl_->options;
}

void Scheduler::remove(SourceId id) {
    Impl& s = *impl_;
    auto it = s.entries.find(id);
    if (it == s.entries.end())
        return;
    if (it->second.phase == Phase::idle)
        s.drop(id);
    else
        it->second.removed = true;
}

void Scheduler::reenable(SourceId id) {
    Impl& s = *impl_;
    Entry& e = s.entry(id);
    if (e.state.schedule.disabled_reason.empty())
        return;
    e.state.schedule.disabled_reason.clear();
    s.reschedule(id, e, s.clock.now());
}

bool Scheduler::contains(SourceId id) const {
    const auto it = impl_->entries.find(id);
    return it != impl_->entries.end() && !it->second.removed;
}

std::vector<SourceId> Scheduler::ids() const {
    std::vector<SourceId> out;
    for (const auto& [id, e] : impl_->entries) {
        if (!e.removed)
            out.push_back(id);
    }
    std::sort(out.begin(), out.end());
    return out;
}

const SourceSettings& Scheduler::settings(SourceId id) const {
    return impl_->entry(id).settings;
}

const SourceState& Scheduler::state(SourceId id) const {
    return impl_->entry(id).state;
}

bool Scheduler::busy(SourceId id) const {
    return impl_->entry(id).phase != Phase::idle;
}

std::chrono::seconds Scheduler::adapted_interval(SourceId id) const {
    return impl_->adapted_interval(impl_->entry(id));
}

std::vector<SourceId> Scheduler::take_due() {
    Impl& s = *impl_;
    const UtcTime now = s.clock.now();
    std::vector<SourceId> started;
    if (s.in_flight >= s.options.max_concurrent)
        return started;
    // Hosts by their earliest due source; each visit starts what that host allows right now.
    std::vector<std::string> due_hosts;
    for (const auto& [head, name] : s.heads) {
        if (head > now)
            break;
        due_hosts.push_back(name);
    }
    for (const auto& name : due_hosts) {
        if (s.in_flight >= s.options.max_concurrent)
            break;
        HostState& host = s.hosts.at(name);
        const auto old_head = Impl::head_of(host);
        while (!host.queue.empty() && host.queue.begin()->first <= now &&
               s.in_flight < s.options.max_concurrent && !s.host_wait(name, host, now)) {
            const SourceId id = host.queue.begin()->second;
            host.queue.erase(host.queue.begin());
            Entry& e = s.entries.at(id);
            e.phase = Phase::in_flight;
            e.flight_host = e.host;
            ++host.in_flight;
            ++s.in_flight;
            host.last_start = now;
            e.state.health.last_attempt_at = now;
            started.push_back(id);
        }
        s.update_head(name, host, old_head);
    }
    return started;
}

std::optional<UtcTime> Scheduler::next_wakeup() const {
    const Impl& s = *impl_;
    const UtcTime now = s.clock.now();
    if (s.in_flight >= s.options.max_concurrent)
        return std::nullopt;  // a completion frees a slot and wakes the poller
    std::optional<UtcTime> best;
    auto consider = [&](UtcTime t) { best = best ? std::min(*best, t) : t; };
    for (const auto& [head, name] : s.heads) {
        if (head > now) {
            consider(head);
            break;  // later hosts are due later still
        }
        const auto wait = s.host_wait(name, s.hosts.at(name), now);
        if (!wait)
            return now;  // startable right away
        if (*wait != UtcTime{})
            consider(*wait);
        // A full host is woken by a completion, not by time.
    }
    return best;
}

FetchRequest Scheduler::request_for(SourceId id) const {
    const Entry& e = impl_->entry(id);
    FetchRequest request;
    request.url = e.settings.url;
    request.source_name = e.settings.name;
    request.etag = e.state.schedule.etag;
    request.last_modified = e.state.schedule.last_modified;
    request.verify_tls = e.settings.verify_tls;
    return request;
}

FetchVerdict Scheduler::on_fetched(SourceId id, const FetchResult& result) {
    Impl& s = *impl_;
    auto it = s.entries.find(id);
    if (it == s.entries.end() || it->second.phase != Phase::in_flight)
        throw Error(ErrorKind::internal, fmt::format("source {} is not in flight", id),
                    "scheduler");
    Entry& e = it->second;
    const UtcTime now = s.clock.now();
    --s.hosts[e.flight_host].in_flight;
    --s.in_flight;
    e.phase = Phase::processing;

    auto& health = e.state.health;
    auto& schedule = e.state.schedule;
    health.last_attempt_at = now;
    health.last_status = result.status;
    health.last_bytes = result.wire_bytes;
    health.last_elapsed = result.elapsed;
    health.last_items_seen = 0;
    health.last_items_new = 0;

    FetchVerdict verdict;
    const bool answered = result.ok() || result.not_modified();
    // A move is only believed when the new address answered.
    if (answered && !result.permanent_redirect.empty() &&
        result.permanent_redirect != e.settings.url) {
        verdict.new_url = result.permanent_redirect;
        e.settings.url = result.permanent_redirect;
        e.host = host_of(e.settings.url);
    }

    if (result.error == FetchError::none && (result.status == 429 || result.status == 503) &&
        result.retry_after) {
        const UtcTime until = now + std::min(*result.retry_after, s.options.max_retry_after);
        schedule.retry_after_until = until;
        // Applied to the host that said it, and so to every source on it.
        auto& blocked = s.hosts[host_of(result.final_url)].blocked_until;
        blocked = std::max(blocked.value_or(until), until);
        verdict.host_blocked_until = blocked;
    } else if (result.error == FetchError::none) {
        schedule.retry_after_until.reset();
    }

    e.awaiting_body = false;
    if (result.error != FetchError::none) {
        s.fail(e, to_string(result.error), result.error_message);
        verdict.failed = true;
        schedule.next_poll_at = s.after_failure(e, now);
    } else if (result.status == 410) {
        s.fail(e, "gone", fmt::format("HTTP 410 Gone from {}", result.final_url));
        schedule.disabled_reason =
            fmt::format("HTTP 410 Gone from {} at {}", result.final_url, format_rfc3339(now));
        verdict.gone = true;
        verdict.failed = true;
    } else if (result.not_modified()) {
        s.succeed(e, now);
        if (!result.etag.empty())  // a 304 may carry a fresher validator
            schedule.etag = result.etag;
        if (!result.last_modified.empty())
            schedule.last_modified = result.last_modified;
        // A 304 that repeats a caching header updates the lifetime; one that says nothing leaves
        // the lifetime of the representation it confirms, and its <ttl>, in force.
        if (result.freshness)
            schedule.freshness = result.freshness;
        schedule.next_poll_at = now + s.regular_delay(e, schedule.freshness, schedule.ttl_minutes);
    } else if (result.ok()) {
        // Judged when the pipeline reports whether the body was a usable feed.
        e.awaiting_body = true;
        e.pending_etag = result.etag;
        e.pending_last_modified = result.last_modified;
        e.pending_freshness = result.freshness;
    } else {
        s.fail(e, "http", fmt::format("HTTP {} from {}", result.status, result.final_url));
        verdict.failed = true;
        schedule.next_poll_at = s.after_failure(e, now);
    }
    return verdict;
}

void Scheduler::on_processed(SourceId id, const ProcessReport& report) {
    Impl& s = *impl_;
    auto it = s.entries.find(id);
    if (it == s.entries.end() || it->second.phase != Phase::processing)
        throw Error(ErrorKind::internal, fmt::format("source {} is not being processed", id),
                    "scheduler");
    Entry& e = it->second;
    const UtcTime now = s.clock.now();
    if (e.awaiting_body) {
        e.awaiting_body = false;
        auto& health = e.state.health;
        if (!report.error.empty()) {
            s.fail(e, "parse", report.error);
            e.state.schedule.next_poll_at = s.after_failure(e, now);
        } else {
            s.succeed(e, now);
            e.state.schedule.etag = std::move(e.pending_etag);
            e.state.schedule.last_modified = std::move(e.pending_last_modified);
            health.last_items_seen = std::max(0, report.items_seen);
            health.last_items_new = std::max(0, report.items_new);
            if (report.items_new > 0)
                s.record_update(e, now);
            // A new representation brings its own freshness and <ttl>; silence clears them.
            e.state.schedule.freshness = e.pending_freshness;
            e.state.schedule.ttl_minutes = report.ttl_minutes;
            if (e.state.schedule.ttl_minutes && *e.state.schedule.ttl_minutes <= 0)
                e.state.schedule.ttl_minutes.reset();
            e.state.schedule.next_poll_at =
                now + s.regular_delay(e, e.state.schedule.freshness, e.state.schedule.ttl_minutes);
        }
        e.pending_etag.clear();
        e.pending_last_modified.clear();
        e.pending_freshness.reset();
    }
    e.phase = Phase::idle;
    if (e.removed) {
        s.drop(id);
        return;
    }
    s.enqueue(id, e);
}

ForcedPoll Scheduler::force_all_due() {
    Impl& s = *impl_;
    const UtcTime now = s.clock.now();
    ForcedPoll out;
    for (auto& [id, e] : s.entries) {
        if (!s.schedulable(e))
            continue;
        if (e.phase != Phase::idle) {
            out.in_progress.push_back(id);
            continue;
        }
        const auto host = s.hosts.find(e.host);
        if (host != s.hosts.end() && host->second.blocked_until &&
            *host->second.blocked_until > now) {
            out.skipped.push_back(id);
            continue;
        }
        s.reschedule(id, e, now);
        out.due.push_back(id);
    }
    for (auto* list : {&out.due, &out.in_progress, &out.skipped})
        std::sort(list->begin(), list->end());
    return out;
}

std::size_t Scheduler::size() const noexcept {
    return static_cast<std::size_t>(
        std::count_if(impl_->entries.begin(), impl_->entries.end(),
                      [](const auto& item) { return !item.second.removed; }));
}

int Scheduler::in_flight() const noexcept {
    return impl_->in_flight;
}

std::optional<UtcTime> Scheduler::host_blocked_until(const std::string& host) const {
    const auto it = impl_->hosts.find(host);
    if (it == impl_->hosts.end() || !it->second.blocked_until ||
        *it->second.blocked_until <= impl_->clock.now())
        return std::nullopt;
    return it->second.blocked_until;
}

}  // namespace chuhai::fetch
