#pragma once
// Digests built, recorded and delivered for the configured channels: what `chuhai once`, `chuhai
// run` (on its delivery thread) and `chuhai digest send|preview` do with the digest and deliver
// stages and the store's outbox (docs/digests.md, "Delivery").
//
// For each channel the store keeps the end of the last period it digested. When a period is due
// (digest/schedule.h, quiet hours included), its digest is built from the matched items first
// seen in the period that the channel has not carried yet, rendered, and recorded in the outbox
// together with its items and the channel's new period end, in ONE transaction. Then every due
// digest in the outbox is claimed for one attempt, sent, and marked sent, retried later with
// backoff (temporary failure) or failed (permanent failure, or older than give_up_after). A
// crash between sending and marking leaves the digest pending: it goes again, the same bytes
// with the same Message-ID or Idempotency-Key, once its attempt's lease has run out.
//
// A DigestDelivery is used by one thread at a time with one Store; sending blocks.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"
#include "config/settings.h"
#include "deliver/mime.h"
#include "deliver/prepared.h"
#include "deliver/retry.h"
#include "deliver/webhook_format.h"
#include "digest/build.h"
#include "digest/digest.h"
#include "digest/filter.h"
#include "digest/schedule.h"
#include "match/rule_set.h"
#include "store/store.h"

namespace chuhai::service {
class Metrics;
}

namespace chuhai::app {

// One configured channel, as the digest and deliver stages need it.
struct DigestChannel {
    std::string name;
    std::string where;  // the channel's FILE:LINE:COL, for messages
    digest::Schedule schedule;
    digest::ChannelFilter filter;
    store::DeliveryKind kind = store::DeliveryKind::email;
    deliver::Mailbox from;                                         // email
    std::vector<deliver::Mailbox> to;                              // email
    std::string subject_prefix;                                    // email
    deliver::WebhookFormat format = deliver::WebhookFormat::json;  // webhook
    // How long one attempt may take before another process (or a restart) may try again: the
    // sender's timeout and a margin.
    std::chrono::seconds attempt_lease{150};
};

// The configuration's channels, in order (already validated by the loader).
std::vector<DigestChannel> digest_channels(const config::Settings& settings);

// The filter topics and rule ids of the channels that `rules` defines nowhere: such a filter
// never lets a story through (typically a typo), yet the configuration is valid without the
// rules, so it is a warning. One message per unknown name, naming the channel and its
// FILE:LINE:COL. warn_about_unknown_filters logs each at warn level.
std::vector<std::string> unknown_filter_names(const config::Settings& settings,
                                              const match::RuleSet& rules);
void warn_about_unknown_filters(const config::Settings& settings, const match::RuleSet& rules);

// The sender of one channel: an SmtpSender or a WebhookSender, with its password or secret read
// (and registered for log redaction). Throws Error(config) naming the channel.
std::shared_ptr<deliver::DeliverySender> make_sender(const config::ChannelSettings& channel);

struct DeliveryOptions {
    deliver::RetryPolicy retry;
    std::chrono::seconds give_up_after{3 * 86400};
    int chart_periods = 6;  // the header compares with the previous one; the chart shows all
};

DeliveryOptions delivery_options(const config::Settings& settings);

// What one run did, for logs and command output.
struct DeliveryActivity {
    int built = 0;  // digests recorded in the outbox
    int empty = 0;  // periods that passed with nothing to send
    int delivered = 0;
    int retrying = 0;                // temporary failures, to be tried again
    int failed = 0;                  // permanent failures and digests given up
    std::vector<std::string> lines;  // one per digest built or attempt made
};

// "2 built, 1 delivered, 1 waiting to be retried, 0 failed".
std::string summary_line(const DeliveryActivity& activity);

// A digest as it would be recorded, with the items it carries.
struct BuiltDigest {
    digest::Digest digest;
    std::vector<store::ItemId> items;
};

class DigestDelivery {
  public:
    DigestDelivery(std::vector<DigestChannel> channels, DeliveryOptions options,
                   const Clock& clock);

    // The channel's sender; a channel without one has its digests built but not sent.
    void set_sender(const std::string& channel, std::shared_ptr<const deliver::DeliverySender>);
    // Counts deliveries and failures by channel into `metrics` (which must outlive this).
    void set_metrics(service::Metrics* metrics) { metrics_ = metrics; }
    // Once `*flag` is true a run builds and sends nothing more (a daemon stopping); the flag
    // must outlive this. Pair it with the senders' abort flag to cut the attempt in progress.
    void set_stop_flag(const std::atomic<bool>* flag) { stop_ = flag; }

    const std::vector<DigestChannel>& channels() const { return channels_; }
    const DigestChannel* find(const std::string& name) const;
    // The channel, or Error(usage) naming it.
    const DigestChannel& channel_named(const std::string& name) const;

    // Channels the store has never seen start now: their first period ends at the latest slot
    // before now (digest::initial_period_end), so the first digest covers the first full
    // period, and everything polled from now on is in a digest.
    void start_channels(store::Store& store);

    // One delivery run: every channel's due period built and recorded, then every due digest of
    // the outbox sent. A channel's trouble is logged and counted, never thrown; an Error(store)
    // from the store itself is.
    DeliveryActivity run(store::Store& store);

    // `chuhai digest send --channel NAME`: run() for one channel.
    DeliveryActivity run_channel(store::Store& store, const std::string& channel);

    // `chuhai digest send --channel NAME --now`: the channel's digest for [its last period end,
    // now), built now whatever its schedule and quiet hours say, then its due digests sent.
    DeliveryActivity send_now(store::Store& store, const std::string& channel);

    // `chuhai digest preview`: the digest the channel would get now, built but not recorded.
    BuiltDigest preview(store::Store& store, const std::string& channel);

    // When a run next has something to do: the next slot of a scheduled channel or the next
    // attempt of a pending digest, past quiet hours; nullopt when nothing is scheduled.
    // `immediate` channels are left out: their runs follow poll cycles.
    std::optional<UtcTime> next_run(store::Store& store);

  private:
    void build_due(store::Store& store, const DigestChannel& channel, UtcTime now,
                   DeliveryActivity& activity);
    // Builds and records `period` (in the caller's transaction); returns false when it was
    // empty and not sent.
    bool record(store::Store& store, const DigestChannel& channel, const digest::Period& period,
                UtcTime now, const std::vector<digest::PeriodCounts>& history,
                DeliveryActivity& activity);
    BuiltDigest build(store::Store& store, const DigestChannel& channel,
                      const digest::Period& period, UtcTime now,
                      const std::vector<digest::PeriodCounts>& history);
    std::vector<digest::PeriodCounts> history(store::Store& store, const DigestChannel& channel,
                                              const digest::Period& period);
    void send_due(store::Store& store, const std::string* only, DeliveryActivity& activity);
    void attempt(store::Store& store, const DigestChannel& channel, const store::Digest& digest,
                 const deliver::DeliverySender& sender, DeliveryActivity& activity);
    void count(std::string_view metric, const std::string& channel);
    bool stopping() const { return stop_ != nullptr && stop_->load(); }

    std::vector<DigestChannel> channels_;
    DeliveryOptions options_;
    const Clock& clock_;
    std::map<std::string, std::shared_ptr<const deliver::DeliverySender>> senders_;
    service::Metrics* metrics_ = nullptr;
    const std::atomic<bool>* stop_ = nullptr;
    std::map<std::string, std::string> last_build_error_;  // logged once until it changes
};

}  // namespace chuhai::app
