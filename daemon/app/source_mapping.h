#pragma once
// Translations between the stages' views of a source: the configuration's, the store's (what
// persists) and the fetch stage's (what the scheduler works with). Kept in one place so each
// field has exactly one mapping in each direction.

#include <string>

#include "app/pipeline.h"
#include "config/settings.h"
#include "fetch/source_state.h"
#include "store/store.h"

namespace chuhai::app {

// A configured source as the store records it; `default_timezone` applies when it names none.
store::SourceSpec spec_from_config(const config::SourceSettings& source,
                                   const std::string& default_timezone);

// Every source of the configuration file, in order, as the store records it. The daemon and the
// `sources` commands hand these to Store::sync_config_sources(), so both see the file the same
// way.
std::vector<store::SourceSpec> config_source_specs(const config::Settings& settings);

// The configuration's entry for a stored source (by its URL or a URL it had before a permanent
// redirect), or null when the file does not list it.
const config::SourceSettings* config_entry(const config::Settings& settings,
                                           const store::Source& source);

// How a source is doing, as the chuhai_sources{state} metric and `chuhai sources list` count
// it: disabled (by its spec, by chuhai after a 410, by hand, or no longer configured), failing
// (its last poll failed), else ok.
enum class SourceCondition { ok, failing, disabled };
inline constexpr SourceCondition kSourceConditions[] = {
    SourceCondition::ok, SourceCondition::failing, SourceCondition::disabled};
const char* to_string(SourceCondition condition);
SourceCondition condition_of(const store::Source& source);
// The same judgement from the scheduler's state of a source it polls.
SourceCondition condition_of(const fetch::SourceState& state);

// What the scheduler needs to poll a stored source.
fetch::SourceSettings scheduler_settings(const store::Source& source, bool verify_tls);

// The scheduler's state as it was when the source was last saved: validators, next poll,
// backoff (from the consecutive failures), update rhythm, Retry-After, 410.
fetch::SourceState restore_state(const store::Source& source);

// The part of the scheduler's state the store keeps beside the health it derives itself.
store::SourceSchedule schedule_of(const fetch::SourceState& state);

// The fetch-log record of a poll that brought no body to parse (304, an error status, a
// transport error), from the state the scheduler recorded for it.
store::FetchRecord record_from_state(const SourceContext& source, const fetch::SourceState& state);

}  // namespace chuhai::app
