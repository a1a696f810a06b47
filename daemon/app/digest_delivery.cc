#include "app/digest_delivery.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "app/cli_format.h"
#include "app/digest_candidates.h"
#include "common/error.h"
#include "config/delivery_settings.h"
#include "deliver/smtp_sender.h"
#include "deliver/webhook_sender.h"
#include "digest/build.h"
#include "service/metric_names.h"
#include "service/metrics.h"

namespace chuhai::app {

namespace {

// Beyond the sender's own timeout, how long an attempt's claim on a digest lasts.
constexpr std::chrono::seconds kLeaseMargin{10};

std::string period_text(const digest::Period& period) {
    return format_rfc3339(period.start) + " to " + format_rfc3339(period.end);
}

}  // namespace

std::vector<std::string> unknown_filter_names(const config::Settings& settings,
                                              const match::RuleSet& rules) {
    std::set<std::string> topics;
    std::set<std::string> ids;
    for (const match::RuleInfo& rule : rules.rules()) {
        topics.insert(rule.topic);
        ids.insert(rule.id);
    }
    std::vector<std::string> messages;
    const auto check = [&](const config::ChannelSettings& channel,
                           const std::vector<std::string>& names,
                           const std::set<std::string>& known, std::string_view what) {
        for (const auto& name : names) {
            if (!known.contains(name)) {
                messages.push_back(fmt::format(
                    "{}: digest channel '{}' filters on {} '{}', which no loaded rule has, so it "
                    "matches nothing",
                    channel.where, channel.name, what, name));
            }
        }
    };
    for (const auto& channel : settings.digests) {
        check(channel, channel.filters.topics, topics, "topic");
        check(channel, channel.filters.rules, ids, "rule");
    }
    return messages;
}

void warn_about_unknown_filters(const config::Settings& settings, const match::RuleSet& rules) {
    for (const auto& message : unknown_filter_names(settings, rules))
        spdlog::warn("{}", message);
}

std::vector<DigestChannel> digest_channels(const config::Settings& settings) {
    std::vector<DigestChannel> channels;
    for (const auto& c : settings.digests) {
        DigestChannel channel;
        channel.name = c.name;
        channel.where = c.where;
        channel.schedule = config::channel_schedule(c, c.where);
        channel.filter = config::channel_filter(c);
        if (c.email) {
            channel.kind = store::DeliveryKind::email;
            channel.from = config::sender_mailbox(*c.email, c.where);
            channel.to = config::recipient_mailboxes(*c.email, c.where);
            channel.subject_prefix = c.email->subject_prefix;
            channel.attempt_lease = c.email->smtp.timeout + kLeaseMargin;
        } else if (c.webhook) {
            channel.kind = store::DeliveryKind::webhook;
            channel.format = config::webhook_settings(*c.webhook, c.where).format;
            channel.attempt_lease = c.webhook->timeout + kLeaseMargin;
        }
        channels.push_back(std::move(channel));
    }
    return channels;
}

std::shared_ptr<deliver::DeliverySender> make_sender(const config::ChannelSettings& channel) {
    const std::string what = "digest channel '" + channel.name + "' (" + channel.where + ")";
    if (channel.email)
        return std::make_shared<deliver::SmtpSender>(config::smtp_settings(channel.email->smtp),
                                                     what);
    if (channel.webhook) {
        return std::make_shared<deliver::WebhookSender>(
            config::webhook_settings(*channel.webhook, channel.where), what);
    }
    throw Error(ErrorKind::config, "digest channel '" + channel.name + "' has no destination",
                channel.where);
}

DeliveryOptions delivery_options(const config::Settings& settings) {
    DeliveryOptions options;
    options.retry = config::retry_policy(settings.delivery.retry);
    options.give_up_after = settings.delivery.give_up_after;
    return options;
}

std::string summary_line(const DeliveryActivity& a) {
    return fmt::format("{} built, {} delivered, {} waiting to be retried, {} failed", a.built,
                       a.delivered, a.retrying, a.failed);
}

DigestDelivery::DigestDelivery(std::vector<DigestChannel> channels, DeliveryOptions options,
                               const Clock& clock)
    : channels_(std::move(channels)), options_(options), clock_(clock) {}

void DigestDelivery::set_sender(const std::string& channel,
                                std::shared_ptr<const deliver::DeliverySender> sender) {
    senders_[channel] = std::move(sender);
}

const DigestChannel* DigestDelivery::find(const std::string& name) const {
    const auto it = std::find_if(channels_.begin(), channels_.end(),
                                 [&](const DigestChannel& c) { return c.name == name; });
    return it == channels_.end() ? nullptr : &*it;
}

void DigestDelivery::start_channels(store::Store& store) {
    const UtcTime now = clock_.now();
    for (const auto& channel : channels_) {
        store.run_in_transaction([&] {
            if (!store.channel_period_end(channel.name)) {
                const UtcTime start = digest::initial_period_end(channel.schedule, now);
                store.set_channel_period_end(channel.name, start);
                spdlog::info("digest {}: new channel ({}), its first period starts {}",
                             channel.name, digest::describe(channel.schedule),
                             format_rfc3339(start));
            }
        });
    }
}

DeliveryActivity DigestDelivery::run(store::Store& store) {
    DeliveryActivity activity;
    start_channels(store);
    for (const auto& channel : channels_) {
        if (stopping())
            return activity;
        build_due(store, channel, clock_.now(), activity);
    }
    send_due(store, nullptr, activity);
    return activity;
}

void DigestDelivery::build_due(store::Store& store, const DigestChannel& channel, UtcTime now,
                               DeliveryActivity& activity) {
    try {
        const auto last = store.channel_period_end(channel.name);
        if (!last)
            return;
        const auto period = digest::due_period(channel.schedule, *last, now);
        if (!period)
            return;
        // Most periods of an `immediate` channel hold nothing: move on without building.
        if (!channel.filter.send_empty &&
            undelivered_items(store, channel.name, period->start, period->end).empty()) {
            store.run_in_transaction([&] {
                if (store.channel_period_end(channel.name) == period->start &&
                    undelivered_items(store, channel.name, period->start, period->end).empty()) {
                    store.set_channel_period_end(channel.name, period->end);
                    ++activity.empty;
                }
            });
            return;
        }
        // The comparison with earlier periods needs no lock; the period itself is read and
        // recorded under one, so no item committed meanwhile can fall between two digests.
        const auto earlier = history(store, channel, *period);
        store.run_in_transaction([&] {
            if (store.channel_period_end(channel.name) != period->start)
                return;  // another process has digested this period meanwhile
            record(store, channel, *period, now, earlier, activity);
        });
        last_build_error_.erase(channel.name);
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::store)
            throw;
        std::string& last = last_build_error_[channel.name];
        if (last != e.what()) {
            spdlog::error("digest {}: cannot build the digest: {}", channel.name, e.what());
            last = e.what();
        }
    }
}

bool DigestDelivery::record(store::Store& store, const DigestChannel& channel,
                            const digest::Period& period, UtcTime now,
                            const std::vector<digest::PeriodCounts>& earlier,
                            DeliveryActivity& activity) {
    BuiltDigest built = build(store, channel, period, now, earlier);
    if (built.digest.empty() && !channel.filter.send_empty) {
        store.set_channel_period_end(channel.name, period.end);
        ++activity.empty;
        spdlog::debug("digest {}: nothing new for {}", channel.name, period_text(period));
        return false;
    }
    deliver::PreparedDelivery prepared =
        channel.kind == store::DeliveryKind::email
            ? deliver::prepare_email(built.digest, channel.from, channel.to, channel.subject_prefix)
            : deliver::prepare_webhook(built.digest, channel.format);
    store::DigestDraft draft;
    draft.channel = channel.name;
    draft.period_start = period.start;
    draft.period_end = period.end;
    draft.kind = channel.kind;
    // Mail carries its Message-ID, a webhook its idempotency key: what makes a resend
    // recognisable as the same message.
    draft.message_id = channel.kind == store::DeliveryKind::email
                           ? "<" + built.digest.id + "@" +
                                 channel.from.address.substr(channel.from.address.rfind('@') + 1) +
                                 ">"
                           : built.digest.id;
    draft.payload = std::move(prepared.payload);
    draft.envelope_from = prepared.envelope_from;
    draft.recipients = prepared.recipients;
    draft.items = std::move(built.items);
    draft.story_count = built.digest.story_count();
    store.create_digest(draft);
    store.set_channel_period_end(channel.name, period.end);
    ++activity.built;
    const std::string line =
        fmt::format("digest {}: {} stories for {} recorded as {}", channel.name, draft.story_count,
                    period_text(period), built.digest.id);
    activity.lines.push_back(line);
    spdlog::info("{}", line);
    return true;
}

BuiltDigest DigestDelivery::build(store::Store& store, const DigestChannel& channel,
                                  const digest::Period& period, UtcTime now,
                                  const std::vector<digest::PeriodCounts>& earlier) {
    digest::DigestInputs inputs;
    inputs.channel = channel.name;
    inputs.period = period;
    inputs.generated = now;
    inputs.zone = channel.schedule.zone;
    inputs.filter = channel.filter;
    inputs.candidates =
        candidate_stories(store, undelivered_items(store, channel.name, period.start, period.end));
    inputs.history = earlier;
    inputs.source_health = source_health_notes(store, period.start, now);
    BuiltDigest built;
    built.digest = digest::build_digest(inputs);
    // The items of the stories shown: what the channel has now carried.
    for (const auto& section : built.digest.topics) {
        for (const auto& story : section.stories) {
            const auto candidate = std::find_if(
                inputs.candidates.begin(), inputs.candidates.end(),
                [&](const digest::CandidateStory& c) { return c.story.id == story.id; });
            if (candidate != inputs.candidates.end())
                built.items.insert(built.items.end(), candidate->items.begin(),
                                   candidate->items.end());
        }
    }
    std::sort(built.items.begin(), built.items.end());
    built.items.erase(std::unique(built.items.begin(), built.items.end()), built.items.end());
    return built;
}

std::vector<digest::PeriodCounts> DigestDelivery::history(store::Store& store,
                                                          const DigestChannel& channel,
                                                          const digest::Period& period) {
    std::vector<digest::PeriodCounts> earlier;
    auto periods = digest::recent_periods(channel.schedule, period, options_.chart_periods);
    periods.pop_back();  // the current one
    for (const auto& p : periods) {
        earlier.push_back(
            {p, digest::count_mentions(channel.filter, candidate_stories(store, p.start, p.end))});
    }
    return earlier;
}

void DigestDelivery::send_due(store::Store& store, const std::string* only,
                              DeliveryActivity& activity) {
    const UtcTime now = clock_.now();
    for (const auto& pending : store.due_digests(now)) {
        if (stopping())
            return;
        if (only != nullptr && pending.channel != *only)
            continue;
        const DigestChannel* channel = find(pending.channel);
        if (channel == nullptr) {
            const std::string why = "the channel is no longer configured";
            store.mark_digest_failed(pending.id, why);
            ++activity.failed;
            spdlog::error("digest {} of channel {}: not sent: {}", pending.message_id,
                          pending.channel, why);
            continue;
        }
        if (digest::in_quiet_hours(channel->schedule, now))
            continue;
        const auto sender = senders_.find(pending.channel);
        if (sender == senders_.end() || !sender->second)
            continue;
        if (now - pending.created >= options_.give_up_after) {
            const std::string why = fmt::format(
                "given up after {} over {}; last error: {}", counted(pending.attempts, "attempt"),
                format_duration(now - pending.created),
                pending.last_error.empty() ? "none" : pending.last_error);
            store.mark_digest_failed(pending.id, why);
            ++activity.failed;
            count(service::metric::kDigestFailures, pending.channel);
            spdlog::error("digest {} of channel {}: {}", pending.message_id, pending.channel, why);
            continue;
        }
        if (!store.claim_digest_attempt(pending.id, now, now + channel->attempt_lease))
            continue;  // another process is sending it
        attempt(store, *channel, pending, *sender->second, activity);
    }
}

void DigestDelivery::attempt(store::Store& store, const DigestChannel& channel,
                             const store::Digest& pending, const deliver::DeliverySender& sender,
                             DeliveryActivity& activity) {
    deliver::PreparedDelivery prepared;
    prepared.kind = pending.kind == store::DeliveryKind::email
                        ? deliver::PreparedDelivery::Kind::email
                        : deliver::PreparedDelivery::Kind::webhook;
    prepared.digest_id = pending.message_id;
    prepared.channel = pending.channel;
    prepared.envelope_from = pending.envelope_from;
    prepared.recipients = pending.recipients;
    prepared.payload = pending.payload;
    deliver::DeliveryOutcome outcome;
    try {
        outcome = sender.deliver(prepared);
    } catch (const Error& e) {
        // What no retry can fix: a recorded address the sender refuses, a kind mismatch.
        outcome.status = deliver::DeliveryStatus::permanent_failure;
        outcome.detail = e.what();
    }
    const UtcTime done = clock_.now();
    const std::string what = fmt::format("digest {} of channel {} (attempt {})", pending.message_id,
                                         channel.name, pending.attempts + 1);
    const std::string result = deliver::describe(outcome);
    switch (outcome.status) {
        case deliver::DeliveryStatus::delivered:
            store.mark_digest_sent(pending.id, done);
            ++activity.delivered;
            count(service::metric::kDigestDeliveries, channel.name);
            activity.lines.push_back(what + ": " + result);
            spdlog::info("{}: {}", what, result);
            return;
        case deliver::DeliveryStatus::temporary_failure: {
            const auto delay = deliver::retry_delay(options_.retry, pending.attempts + 1,
                                                    deliver::random_unit(), outcome.retry_after);
            store.mark_digest_retry(pending.id, result, done + delay);
            ++activity.retrying;
            count(service::metric::kDigestFailures, channel.name);
            const std::string line =
                fmt::format("{}: {}; next attempt in {}", what, result, format_duration(delay));
            activity.lines.push_back(line);
            spdlog::warn("{}", line);
            return;
        }
        case deliver::DeliveryStatus::permanent_failure:
            store.mark_digest_failed(pending.id, result);
            ++activity.failed;
            count(service::metric::kDigestFailures, channel.name);
            activity.lines.push_back(what + ": " + result + "; not retried");
            spdlog::error("{}: {}; not retried (chuhai status lists it)", what, result);
            return;
    }
}

void DigestDelivery::count(std::string_view metric, const std::string& channel) {
    if (metrics_ == nullptr)
        return;
    metrics_->counter(metric, {{std::string(service::label::kChannel), channel}}).inc();
}

DeliveryActivity DigestDelivery::run_channel(store::Store& store, const std::string& name) {
    const DigestChannel& channel = channel_named(name);
    DeliveryActivity activity;
    start_channels(store);
    build_due(store, channel, clock_.now(), activity);
    send_due(store, &name, activity);
    return activity;
}

const DigestChannel& DigestDelivery::channel_named(const std::string& name) const {
    if (const DigestChannel* channel = find(name))
        return *channel;
    throw Error(ErrorKind::usage, "no digest channel named '" + name + "'");
}

DeliveryActivity DigestDelivery::send_now(store::Store& store, const std::string& name) {
    const DigestChannel* channel = &channel_named(name);
    DeliveryActivity activity;
    start_channels(store);
    const UtcTime now = clock_.now();
    const auto last = store.channel_period_end(name);
    if (last && *last < now) {
        const digest::Period period{*last, now};
        const auto earlier = history(store, *channel, period);
        store.run_in_transaction([&] {
            if (store.channel_period_end(name) == period.start)
                record(store, *channel, period, now, earlier, activity);
        });
    }
    send_due(store, &name, activity);
    return activity;
}

BuiltDigest DigestDelivery::preview(store::Store& store, const std::string& name) {
    const DigestChannel* channel = &channel_named(name);
    const UtcTime now = clock_.now();
    // A channel that never ran shows what its first period would hold so far; an `immediate`
    // one, whose periods have no length of their own, the last day.
    UtcTime start =
        store.channel_period_end(name).value_or(digest::initial_period_end(channel->schedule, now));
    if (start >= now)
        start = now - std::chrono::hours{24};
    const digest::Period period{start, now};
    return build(store, *channel, period, now, history(store, *channel, period));
}

std::optional<UtcTime> DigestDelivery::next_run(store::Store& store) {
    const UtcTime now = clock_.now();
    std::optional<UtcTime> next;
    auto consider = [&next](UtcTime t) {
        if (!next || t < *next)
            next = t;
    };
    for (const auto& channel : channels_) {
        if (channel.schedule.kind == digest::Schedule::Kind::immediate)
            continue;
        if (const auto last = store.channel_period_end(channel.name))
            consider(digest::next_due(channel.schedule, *last, now));
    }
    for (const auto& pending : store.list_digests(store::DigestStatus::pending, now, 10000)) {
        if (const DigestChannel* channel = find(pending.channel))
            consider(
                digest::after_quiet_hours(channel->schedule, std::max(pending.next_attempt, now)));
        else
            consider(now);  // to be marked failed
    }
    return next;
}

}  // namespace chuhai::app
