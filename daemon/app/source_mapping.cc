#include "app/source_mapping.h"

namespace chuhai::app {

store::SourceSpec spec_from_config(const config::SourceSettings& source,
                                   const std::string& default_timezone) {
    store::SourceSpec spec;
    spec.url = source.url;
    spec.name = source.name;
    spec.tags = source.tags;
    spec.kind = store::SourceKind::feed;
    spec.interval = source.interval;
    spec.timezone = source.timezone.empty() ? default_timezone : source.timezone;
    spec.enabled = source.enabled;
    spec.origin = store::SourceOrigin::config;
    return spec;
}

std::vector<store::SourceSpec> config_source_specs(const config::Settings& settings) {
    std::vector<store::SourceSpec> specs;
    specs.reserve(settings.sources.size());
    for (const auto& source : settings.sources)
        specs.push_back(spec_from_config(source, settings.timezone));
    return specs;
}

const config::SourceSettings* config_entry(const config::Settings& settings,
                                           const store::Source& source) {
    for (const auto& entry : settings.sources) {
        if (entry.url == source.spec.url)
            return &entry;
        for (const auto& former : source.former_urls) {
            if (entry.url == former)
                return &entry;
        }
    }
    return nullptr;
}

const char* to_string(SourceCondition condition) {
    switch (condition) {
        case SourceCondition::ok:
            return "ok";
        case SourceCondition::failing:
            return "failing";
        case SourceCondition::disabled:
            return "disabled";
    }
    return "ok";
}

SourceCondition condition_of(const store::Source& source) {
    if (!source.active())
        return SourceCondition::disabled;
    if (source.health.consecutive_failures > 0)
        return SourceCondition::failing;
    return SourceCondition::ok;
}

SourceCondition condition_of(const fetch::SourceState& state) {
    if (!state.schedule.disabled_reason.empty())
        return SourceCondition::disabled;
    if (state.health.consecutive_failures > 0)
        return SourceCondition::failing;
    return SourceCondition::ok;
}

fetch::SourceSettings scheduler_settings(const store::Source& source, bool verify_tls) {
    fetch::SourceSettings settings;
    settings.id = source.id;
    settings.name = source.spec.name.empty() ? source.spec.url : source.spec.name;
    settings.url = source.spec.url;
    settings.interval = source.spec.interval;
    settings.verify_tls = verify_tls;
    settings.enabled = source.active();
    return settings;
}

fetch::SourceState restore_state(const store::Source& source) {
    fetch::SourceState state;
    const auto& h = source.health;
    state.health.last_attempt_at = h.last_attempt;
    state.health.last_success_at = h.last_success;
    state.health.last_status = h.last_http_status.value_or(0);
    state.health.last_error = h.last_error;
    state.health.consecutive_failures = h.consecutive_failures;
    state.health.last_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, h.last_bytes));
    state.health.last_elapsed = h.last_duration;
    state.health.last_items_seen = h.last_items_seen;
    state.health.last_items_new = h.last_items_new;
    state.health.last_new_items_at = h.last_new_item;
    const auto& s = source.schedule;
    state.schedule.etag = h.etag;
    state.schedule.last_modified = h.last_modified;
    state.schedule.next_poll_at = s.next_poll;
    state.schedule.mean_update_gap = s.mean_update_gap;
    state.schedule.updates_observed = s.updates_observed;
    state.schedule.retry_after_until = s.retry_after_until;
    state.schedule.freshness = s.freshness;
    state.schedule.ttl_minutes = s.ttl_minutes;
    state.schedule.disabled_reason = source.disabled_reason;
    return state;
}

store::SourceSchedule schedule_of(const fetch::SourceState& state) {
    store::SourceSchedule schedule;
    schedule.next_poll = state.schedule.next_poll_at;
    schedule.mean_update_gap = state.schedule.mean_update_gap;
    schedule.updates_observed = state.schedule.updates_observed;
    schedule.retry_after_until = state.schedule.retry_after_until;
    schedule.freshness = state.schedule.freshness;
    schedule.ttl_minutes = state.schedule.ttl_minutes;
    return schedule;
}

store::FetchRecord record_from_state(const SourceContext& source, const fetch::SourceState& state) {
    const auto& h = state.health;
    store::FetchRecord record;
    record.source = source.id;
    record.started = h.last_attempt_at.value_or(UtcTime{});
    record.duration = h.last_elapsed;
    record.requested_url = source.url;
    if (h.last_status != 0)
        record.http_status = static_cast<int>(h.last_status);
    record.bytes = static_cast<std::int64_t>(h.last_bytes);
    if (h.last_status == 304 && h.last_error_kind.empty()) {
        record.outcome = store::FetchOutcome::not_modified;
        // A 304 may carry fresher validators; the scheduler took them, and the store keeps the
        // non-empty ones, so that a restart does not send stale ones again.
        record.etag = state.schedule.etag;
        record.last_modified = state.schedule.last_modified;
    } else {
        record.outcome = store::FetchOutcome::failed;
        record.error =
            h.last_error.empty() ? "HTTP " + std::to_string(h.last_status) : h.last_error;
    }
    record.schedule = schedule_of(state);
    return record;
}

}  // namespace chuhai::app
