#include "service/metric_names.h"

#include <chrono>

#include "common/version.h"
#include "service/metrics.h"

namespace chuhai::service {

namespace {
std::string name(std::string_view label_name) {
    return std::string(label_name);
}
}  // namespace

void declare_standard_metrics(Metrics& metrics) {
    using enum MetricType;
    metrics.declare(metric::kPolls, counter, "Polls that ended, by outcome.",
                    {name(label::kOutcome)});
    metrics.declare(metric::kPollErrors, counter, "Polls that failed, by kind of error.",
                    {name(label::kKind)});
    metrics.declare(metric::kItems, counter, "Items stored, new or already seen.",
                    {name(label::kStatus)});
    metrics.declare(metric::kMatches, counter, "Items that matched a topic, by topic.",
                    {name(label::kTopic)});
    metrics.declare(metric::kDigestDeliveries, counter, "Digests delivered, by channel.",
                    {name(label::kChannel)});
    metrics.declare(metric::kDigestFailures, counter,
                    "Digest delivery attempts that failed, by channel.", {name(label::kChannel)});
    metrics.declare(metric::kRuleReloads, counter, "Rule reloads, applied (ok) or refused.",
                    {name(label::kOutcome)});
    metrics.declare(metric::kCycles, counter, "Poll cycles completed.");
    metrics.declare(metric::kEventLoopLag, gauge,
                    "How late the event loop ran its last probe timer, in seconds.");
    metrics.declare(metric::kEventLoopLagMax, gauge,
                    "The largest event loop lag of the last minute, in seconds.");
    metrics.declare(metric::kLastCycleEnd, gauge, "Unix time the last poll cycle ended.");
    metrics.declare(metric::kLastCycleDuration, gauge,
                    "How long the last poll cycle took, in seconds.");
    metrics.declare(metric::kSources, gauge, "Sources by health.", {name(label::kState)});
    metrics.declare(metric::kStartTime, gauge, "Unix time the daemon started.");
    metrics.declare(metric::kBuildInfo, gauge, "Always 1; the version label names the build.",
                    {name(label::kVersion)});

    for (const auto outcome : {value::kOk, value::kNotModified, value::kError})
        metrics.counter(metric::kPolls, {{label::kOutcome, outcome}});
    for (const auto status : {value::kNew, value::kDuplicate, value::kRevised})
        metrics.counter(metric::kItems, {{label::kStatus, status}});
    for (const auto outcome : {value::kOk, value::kRefused})
        metrics.counter(metric::kRuleReloads, {{label::kOutcome, outcome}});
    for (const auto state : {value::kOk, value::kFailing, value::kDisabled})
        metrics.gauge(metric::kSources, {{label::kState, state}});
    metrics.gauge(metric::kBuildInfo, {{label::kVersion, kVersion}}).set(1);

    Gauge& start_time = metrics.gauge(metric::kStartTime);
    if (start_time.value() == 0) {
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        start_time.set(std::chrono::duration<double>(now).count());
    }
}

}  // namespace chuhai::service
