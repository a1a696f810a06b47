#pragma once
// The metrics chuhai exports, by name, with their labels and the label values the stages use.
// declare_standard_metrics() declares them all on a registry; the stages then count through
//
//     metrics.counter(metric::kPollErrors, {{label::kKind, "timeout"}}).inc();
//
// docs/operations.md lists them for administrators; keep the two in step.

#include <string_view>

namespace chuhai::service {

class Metrics;

namespace metric {
// Counters.
// A poll ended; label outcome = ok (new content) | not_modified (304) | error.
inline constexpr std::string_view kPolls = "chuhai_polls_total";
// A poll failed; label kind = the fetch stage's error kind (timeout, dns, tls, http_4xx,
// http_5xx, too_large, parse, ...), from a fixed set.
inline constexpr std::string_view kPollErrors = "chuhai_poll_errors_total";
// An item was stored; label status = new | duplicate (seen before) | revised (changed text).
inline constexpr std::string_view kItems = "chuhai_items_total";
// A newly stored (or revised) item matched a topic, counted once per item and topic; label
// topic = the rule topic.
inline constexpr std::string_view kMatches = "chuhai_matches_total";
// A digest was delivered; label channel = the digest channel's name.
inline constexpr std::string_view kDigestDeliveries = "chuhai_digest_deliveries_total";
// A digest delivery attempt failed (it stays in the outbox); label channel.
inline constexpr std::string_view kDigestFailures = "chuhai_digest_delivery_failures_total";
// Rules were reloaded (SIGHUP or a change in the rules folder); label outcome = ok | refused
// (the new rules were broken and the old ones stay).
inline constexpr std::string_view kRuleReloads = "chuhai_rule_reloads_total";
// Poll cycles completed.
inline constexpr std::string_view kCycles = "chuhai_cycles_total";

// Gauges.
// How late the event loop ran a timer, in seconds: the last sample, and the largest of the last
// minute (service/loop_lag_probe.h feeds both).
inline constexpr std::string_view kEventLoopLag = "chuhai_event_loop_lag_seconds";
inline constexpr std::string_view kEventLoopLagMax = "chuhai_event_loop_lag_max_seconds";
// Unix time the last poll cycle ended, and how long it took.
inline constexpr std::string_view kLastCycleEnd = "chuhai_last_cycle_end_timestamp_seconds";
inline constexpr std::string_view kLastCycleDuration = "chuhai_last_cycle_duration_seconds";
// Sources by health; label state = ok | failing | disabled (app::condition_of).
inline constexpr std::string_view kSources = "chuhai_sources";
// Unix time the daemon started.
inline constexpr std::string_view kStartTime = "chuhai_start_time_seconds";
// Always 1; label version = the running binary's version.
inline constexpr std::string_view kBuildInfo = "chuhai_build_info";
}  // namespace metric

namespace label {
inline constexpr std::string_view kOutcome = "outcome";
inline constexpr std::string_view kKind = "kind";
inline constexpr std::string_view kStatus = "status";
inline constexpr std::string_view kTopic = "topic";
inline constexpr std::string_view kChannel = "channel";
inline constexpr std::string_view kState = "state";
inline constexpr std::string_view kVersion = "version";
}  // namespace label

// Label values used by more than one stage.
namespace value {
inline constexpr std::string_view kOk = "ok";
inline constexpr std::string_view kNotModified = "not_modified";
inline constexpr std::string_view kError = "error";
inline constexpr std::string_view kNew = "new";
inline constexpr std::string_view kDuplicate = "duplicate";
inline constexpr std::string_view kRevised = "revised";
inline constexpr std::string_view kRefused = "refused";
inline constexpr std::string_view kFailing = "failing";
inline constexpr std::string_view kDisabled = "disabled";
}  // namespace value

// Declares every metric above on `metrics` (idempotent), sets chuhai_build_info and
// chuhai_start_time_seconds, and creates the series of the fixed label values (polls by outcome,
// items by status, sources by state, rule reloads by outcome) at 0 so that they show before the
// first event.
void declare_standard_metrics(Metrics& metrics);

}  // namespace chuhai::service
