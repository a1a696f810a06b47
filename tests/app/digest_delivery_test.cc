// Digest delivery over a real store and a scripted sender: periods kept across restarts, one
// transaction per digest, an item never twice in a channel, nothing lost while the server is
// down, retries with backoff, permanent failures that block nothing, a crash between sending
// and marking, quiet hours, empty periods, metrics.

#include "app/digest_delivery.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "common/error.h"
#include "digest/render.h"
#include "service/metric_names.h"
#include "service/metrics.h"
#include "tests/app/digest_test_support.h"

namespace chuhai::app::testing {
namespace {

using deliver::DeliveryStatus;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using store::testing::at;

DigestChannel channel(const std::string& name, const std::string& schedule,
                      const std::string& quiet_hours = "") {
    DigestChannel c;
    c.name = name;
    c.schedule = digest::parse_schedule(schedule, "UTC", quiet_hours);
    c.kind = store::DeliveryKind::email;
    c.from = deliver::parse_mailbox("chuhai <digest@example.org>");
    c.to = {deliver::parse_mailbox("alice@example.com")};
    c.attempt_lease = minutes{3};
    return c;
}

DeliveryOptions no_jitter() {
    DeliveryOptions options;
    options.retry.jitter = 0;
    options.retry.initial_delay = minutes{1};
    options.retry.multiplier = 2;
    return options;
}

class DigestDeliveryTest : public DigestStoreTest {
  protected:
    DigestDeliveryTest() {
        clock_.set(at("2025-06-24T10:00:00Z"));
        wire_ = source("Wire", {"en"});
    }

    std::unique_ptr<DigestDelivery> engine(std::vector<DigestChannel> channels,
                                           DeliveryOptions options = no_jitter()) {
        auto d = std::make_unique<DigestDelivery>(std::move(channels), options, clock_);
        for (const auto& c : d->channels())
            d->set_sender(c.name, sender_);
        return d;
    }

    std::set<store::ItemId> items_of(const std::vector<store::Digest>& digests) {
        std::set<store::ItemId> items;
        for (const auto& d : digests)
            items.insert(d.items.begin(), d.items.end());
        return items;
    }

    std::vector<store::Digest> all_digests() {
        std::vector<store::Digest> all;
        for (const auto status :
             {store::DigestStatus::pending, store::DigestStatus::sent, store::DigestStatus::failed})
            for (auto& d : store().list_digests(status, at("2000-01-01T00:00:00Z"), 100))
                all.push_back(std::move(d));
        return all;
    }

    store::SourceId wire_ = 0;
    std::shared_ptr<FakeSender> sender_ = std::make_shared<FakeSender>();
};

TEST_F(DigestDeliveryTest, ANewChannelStartsAtItsLatestSlotAndSendsWhenTheNextOneComes) {
    auto d = engine({channel("daily", "daily 08:00")});
    d->start_channels(store());
    EXPECT_EQ(store().channel_period_end("daily"), at("2025-06-24T08:00:00Z"));
    clock_.set(at("2025-06-24T11:00:00Z"));
    const auto one = matched_item(wire_, "1", "DeepSeek opens an office in Paris");
    EXPECT_EQ(d->run(store()).built, 0) << "the period ends at tomorrow's 08:00";
    EXPECT_EQ(d->next_run(store()), at("2025-06-25T08:00:00Z"));

    clock_.set(at("2025-06-25T08:00:05Z"));
    const DeliveryActivity activity = d->run(store());
    EXPECT_EQ(activity.built, 1);
    EXPECT_EQ(activity.delivered, 1);
    EXPECT_EQ(store().channel_period_end("daily"), at("2025-06-25T08:00:00Z"));
    const auto sent = sender_->sent();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].envelope_from, "digest@example.org");
    EXPECT_EQ(sent[0].recipients, std::vector<std::string>{"alice@example.com"});
    EXPECT_NE(sent[0].payload.find("Message-ID: <daily-"), std::string::npos);
    const auto digests = all_digests();
    ASSERT_EQ(digests.size(), 1u);
    EXPECT_EQ(digests[0].status, store::DigestStatus::sent);
    EXPECT_EQ(digests[0].items, std::vector<store::ItemId>{one});
    EXPECT_EQ(digests[0].period_start, at("2025-06-24T08:00:00Z"));
    EXPECT_EQ(digests[0].story_count, 1);
    EXPECT_EQ(sent[0].digest_id, digests[0].message_id);

    // The same period is never built again, not even by a restart.
    auto restarted = engine({channel("daily", "daily 08:00")});
    EXPECT_EQ(restarted->run(store()).built, 0);
    EXPECT_EQ(sender_->sent().size(), 1u);
}

TEST_F(DigestDeliveryTest, WhileTheServerIsDownNothingIsLostAndNothingSentTwice) {
    auto d = engine({channel("hourly", "every 1h")});
    d->start_channels(store());  // 10:00
    const auto first = matched_item(wire_, "1", "Zhipu opens a data centre in Riyadh");
    clock_.set(at("2025-06-24T11:00:10Z"));
    sender_->then(DeliveryStatus::temporary_failure, 0, "");  // connection refused
    DeliveryActivity activity = d->run(store());
    EXPECT_EQ(activity.built, 1);
    EXPECT_EQ(activity.retrying, 1);
    auto pending = store().list_digests(store::DigestStatus::pending, clock_.now(), 10);
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].attempts, 1);
    EXPECT_EQ(pending[0].next_attempt, clock_.now() + minutes{1}) << "initial_delay";

    // More news arrives while the server stays down.
    clock_.set(at("2025-06-24T11:30:00Z"));
    const auto second = matched_item(wire_, "2", "MiniMax launches Talkie in Brazil");
    sender_->then(DeliveryStatus::temporary_failure, 421, "421 4.3.2 shutting down");
    activity = d->run(store());
    EXPECT_EQ(activity.retrying, 1);
    pending = store().list_digests(store::DigestStatus::pending, clock_.now(), 10);
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].next_attempt, clock_.now() + minutes{2}) << "backoff doubles";
    EXPECT_NE(pending[0].last_error.find("421"), std::string::npos) << pending[0].last_error;

    // The server is back by the next slot: both periods go out, each item once.
    clock_.set(at("2025-06-24T12:00:05Z"));
    activity = d->run(store());
    EXPECT_EQ(activity.built, 1);
    EXPECT_EQ(activity.delivered, 2);
    const auto sent = sender_->sent();
    ASSERT_EQ(sent.size(), 4u);
    EXPECT_EQ(sent[2].payload, sent[0].payload) << "a retry sends the recorded bytes";
    EXPECT_NE(sent[3].digest_id, sent[0].digest_id);
    const auto digests = all_digests();
    ASSERT_EQ(digests.size(), 2u);
    std::set<store::ItemId> seen;
    for (const auto& digest : digests) {
        EXPECT_EQ(digest.status, store::DigestStatus::sent);
        for (const auto item : digest.items)
            EXPECT_TRUE(seen.insert(item).second) << "item " << item << " sent twice";
    }
    EXPECT_EQ(seen, (std::set<store::ItemId>{first, second}));
    EXPECT_EQ(d->run(store()).delivered, 0);
}

TEST_F(DigestDeliveryTest, TheHeaderComparesWithEarlierPeriodsCountedFromTheStore) {
    auto d = engine({channel("hourly", "every 1h")});
    d->start_channels(store());  // 10:00
    clock_.set(at("2025-06-24T10:20:00Z"));
    matched_item(wire_, "1", "DeepSeek opens an office in Paris", "going-global", 20,
                 {{"company", "DeepSeek"}, {"place", "France"}});
    matched_item(wire_, "2", "Startups in Jakarta switch to DeepSeek models", "open-models", 20,
                 {{"company", "DeepSeek"}});
    matched_item(wire_, "3", "MiniMax launches Talkie in Brazil", "consumer-apps", 20,
                 {{"company", "MiniMax"}});
    clock_.set(at("2025-06-24T11:00:05Z"));
    EXPECT_EQ(d->run(store()).delivered, 1);
    clock_.set(at("2025-06-24T11:20:00Z"));
    matched_item(wire_, "4", "DeepSeek releases a new reasoning model for Europe", "open-models",
                 20, {{"company", "DeepSeek"}});
    clock_.set(at("2025-06-24T12:00:05Z"));
    EXPECT_EQ(d->run(store()).delivered, 1);
    const auto sent = sender_->sent();
    ASSERT_EQ(sent.size(), 2u);
    const BuiltDigest latest = d->preview(store(), "hourly");
    // The second digest, [11:00, 12:00), against [10:00, 11:00) as the store holds it.
    const std::string& mail = sent[1].payload;
    auto has = [&](const std::string& text) {
        // Quoted-printable may break a line anywhere; compare with soft breaks removed.
        std::string flat;
        for (std::size_t i = 0; i < mail.size(); ++i) {
            if (mail.compare(i, 3, "=\r\n") == 0) {
                i += 2;
                continue;
            }
            flat += mail[i];
        }
        return flat.find(text) != std::string::npos;
    };
    EXPECT_TRUE(has("DeepSeek 1 =E2=96=BC -1")) << "DeepSeek: 1 now, 2 before (▼ -1)";
    EXPECT_TRUE(has("MiniMax 0 =E2=96=BC -1")) << "MiniMax dropped to zero and stays listed";
    EXPECT_FALSE(has("France")) << "a place is no company";
    EXPECT_TRUE(latest.digest.empty()) << "nothing new since";
}

TEST_F(DigestDeliveryTest, APermanentFailureIsRecordedAndBlocksNothing) {
    auto d = engine({channel("hourly", "every 1h")});
    d->start_channels(store());
    matched_item(wire_, "1", "Huawei Cloud opens in Cairo");
    clock_.set(at("2025-06-24T11:00:10Z"));
    sender_->then(DeliveryStatus::permanent_failure, 550, "550 5.1.1 no such user");
    EXPECT_EQ(d->run(store()).failed, 1);
    matched_item(wire_, "2", "Kling opens worldwide");
    clock_.set(at("2025-06-24T12:00:10Z"));
    const DeliveryActivity activity = d->run(store());
    EXPECT_EQ(activity.delivered, 1);
    EXPECT_EQ(sender_->sent().size(), 2u) << "the failed digest is never tried again";
    const auto failed =
        store().list_digests(store::DigestStatus::failed, clock_.now() - hours{1}, 10);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_NE(failed[0].last_error.find("550 5.1.1 no such user"), std::string::npos);
}

TEST_F(DigestDeliveryTest, ACrashBetweenSendingAndMarkingResendsOnceAfterTheLease) {
    auto d = engine({channel("hourly", "every 1h")});
    d->start_channels(store());
    matched_item(wire_, "1", "Alibaba Cloud opens in Mexico");
    clock_.set(at("2025-06-24T11:00:10Z"));
    // The crashed process: it built the digest, claimed it and sent it, then died unmarked.
    DigestDelivery crashed(d->channels(), no_jitter(), clock_);  // no sender: builds only
    EXPECT_EQ(crashed.run(store()).built, 1);
    const auto recorded = store().due_digests(clock_.now());
    ASSERT_EQ(recorded.size(), 1u);
    ASSERT_TRUE(
        store().claim_digest_attempt(recorded[0].id, clock_.now(), clock_.now() + minutes{3}));

    // Restarted within the lease: the attempt may still be going on somewhere; wait.
    clock_.advance(minutes{1});
    EXPECT_EQ(d->run(store()).delivered, 0);
    EXPECT_TRUE(sender_->sent().empty());
    EXPECT_EQ(d->next_run(store()), recorded[0].created + minutes{3});
    // After it: sent again, the very bytes with the same Message-ID, once.
    clock_.advance(minutes{2});
    EXPECT_EQ(d->run(store()).delivered, 1);
    ASSERT_EQ(sender_->sent().size(), 1u);
    EXPECT_EQ(sender_->sent()[0].payload, recorded[0].payload);
    EXPECT_EQ(sender_->sent()[0].digest_id, recorded[0].message_id);
    clock_.advance(minutes{10});
    EXPECT_EQ(d->run(store()).delivered, 0);
    EXPECT_EQ(sender_->sent().size(), 1u);
}

TEST_F(DigestDeliveryTest, QuietHoursDelaySendingButNotThePeriodsEnd) {
    auto d = engine({channel("late", "daily 23:00", "22:00-07:00")});
    d->start_channels(store());  // 2025-06-23 23:00
    clock_.set(at("2025-06-24T20:00:00Z"));
    matched_item(wire_, "1", "SenseTime enters Saudi Arabia");
    clock_.set(at("2025-06-24T23:00:05Z"));
    EXPECT_EQ(d->run(store()).built, 0) << "inside the quiet hours";
    EXPECT_EQ(d->next_run(store()), at("2025-06-25T07:00:00Z"));
    clock_.set(at("2025-06-25T07:00:01Z"));
    EXPECT_EQ(d->run(store()).delivered, 1);
    EXPECT_EQ(store().channel_period_end("late"), at("2025-06-24T23:00:00Z"));

    // A retry that falls into the quiet hours waits for them to end, too.
    matched_item(wire_, "2", "Kimi K2 wins US developers");
    clock_.set(at("2025-06-25T23:30:00Z"));
    EXPECT_EQ(d->run(store()).built, 0);
    clock_.set(at("2025-06-26T07:00:00Z"));
    sender_->then(DeliveryStatus::temporary_failure, 451, "451 try later");
    EXPECT_EQ(d->run(store()).retrying, 1);
    clock_.set(at("2025-06-26T22:30:00Z"));
    EXPECT_EQ(d->run(store()).delivered, 0) << "quiet again: the retry waits";
    EXPECT_EQ(d->next_run(store()), at("2025-06-27T07:00:00Z"))
        << "the retry and the 23:00 slot both wait for the quiet hours to end";
    clock_.set(at("2025-06-27T07:00:00Z"));
    const DeliveryActivity morning = d->run(store());
    EXPECT_EQ(morning.delivered, 1) << "the retried digest; 26 June had nothing new";
    EXPECT_EQ(morning.empty, 1);
}

TEST_F(DigestDeliveryTest, EmptyPeriodsPassUnlessTheChannelWantsEmptyDigests) {
    DigestChannel quiet = channel("quiet", "every 1h");
    DigestChannel always = channel("always", "every 1h");
    always.filter.send_empty = true;
    auto d = engine({quiet, always});
    d->start_channels(store());
    clock_.set(at("2025-06-24T11:00:10Z"));
    const DeliveryActivity activity = d->run(store());
    EXPECT_EQ(activity.empty, 1);
    EXPECT_EQ(activity.built, 1);
    EXPECT_EQ(activity.delivered, 1);
    EXPECT_EQ(store().channel_period_end("quiet"), at("2025-06-24T11:00:00Z"));
    ASSERT_EQ(sender_->sent().size(), 1u);
    EXPECT_NE(sender_->sent()[0].payload.find("No new stories"), std::string::npos);
}

TEST_F(DigestDeliveryTest, FiltersDecideWhatAChannelCarries) {
    DigestChannel chips = channel("chips", "every 1h");
    chips.filter.topics = {"chips"};
    DigestChannel everything = channel("all", "every 1h");
    auto d = engine({chips, everything});
    d->start_channels(store());
    const auto chip = matched_item(wire_, "1", "Cambricon courts Gulf buyers", "chips");
    const auto cloud = matched_item(wire_, "2", "Tencent Cloud opens in Jakarta", "infrastructure");
    clock_.set(at("2025-06-24T11:00:10Z"));
    EXPECT_EQ(d->run(store()).delivered, 2);
    std::map<std::string, std::vector<store::ItemId>> carried;
    for (const auto& digest : all_digests())
        carried[digest.channel] = digest.items;
    EXPECT_EQ(carried["chips"], std::vector<store::ItemId>{chip});
    EXPECT_EQ(carried["all"], (std::vector<store::ItemId>{chip, cloud}));
}

TEST_F(DigestDeliveryTest, ADigestUndeliveredForTooLongIsGivenUp) {
    DeliveryOptions options = no_jitter();
    options.give_up_after = hours{6};
    auto d = engine({channel("hourly", "every 1h")}, options);
    d->start_channels(store());
    matched_item(wire_, "1", "Biren added to the entity list");
    clock_.set(at("2025-06-24T11:00:10Z"));
    for (int i = 0; i < 20; ++i)
        sender_->then(DeliveryStatus::temporary_failure, 0, "");
    d->run(store());
    clock_.set(at("2025-06-24T17:00:10Z"));
    const DeliveryActivity activity = d->run(store());
    EXPECT_EQ(activity.failed, 1);
    const auto failed =
        store().list_digests(store::DigestStatus::failed, clock_.now() - hours{9}, 10);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_NE(failed[0].last_error.find("given up after 1 attempt over"), std::string::npos)
        << failed[0].last_error;
}

TEST_F(DigestDeliveryTest, AChannelRemovedFromTheConfigurationFailsItsWaitingDigests) {
    auto d = engine({channel("old", "every 1h")});
    d->start_channels(store());
    matched_item(wire_, "1", "Xiaomi flagship arrives in Europe");
    clock_.set(at("2025-06-24T11:00:10Z"));
    sender_->then(DeliveryStatus::temporary_failure, 0, "");
    d->run(store());
    auto renamed = engine({channel("new", "every 1h")});
    clock_.set(at("2025-06-24T11:30:00Z"));
    EXPECT_EQ(renamed->run(store()).failed, 1);
    const auto failed =
        store().list_digests(store::DigestStatus::failed, clock_.now() - hours{1}, 10);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].last_error, "the channel is no longer configured");
}

TEST_F(DigestDeliveryTest, TwoProcessesNeverBuildOnePeriodTwice) {
    auto d = engine({channel("hourly", "every 1h")});
    d->start_channels(store());
    matched_item(wire_, "1", "Volcano Engine opens in Jakarta");
    clock_.set(at("2025-06-24T11:00:10Z"));
    auto other_store = store::open_store(db_path());
    DigestDelivery other(d->channels(), no_jitter(), clock_);
    EXPECT_EQ(other.run(*other_store).built, 1);
    EXPECT_EQ(d->run(store()).built, 0);
    EXPECT_EQ(all_digests().size(), 1u);
    EXPECT_EQ(d->run(store()).delivered, 0) << "other claimed nothing: this one sends it";
}

TEST_F(DigestDeliveryTest, SendNowAndPreview) {
    auto d = engine({channel("daily", "daily 08:00")});
    d->start_channels(store());
    const auto one = matched_item(wire_, "1", "Qwen tops Hugging Face");
    clock_.advance(minutes{5});
    const BuiltDigest preview = d->preview(store(), "daily");
    EXPECT_EQ(preview.items, std::vector<store::ItemId>{one});
    EXPECT_NE(digest::render_text(preview.digest).find("Qwen tops Hugging Face"),
              std::string::npos);
    EXPECT_TRUE(all_digests().empty()) << "a preview records nothing";
    EXPECT_EQ(store().channel_period_end("daily"), at("2025-06-24T08:00:00Z"));

    const DeliveryActivity activity = d->send_now(store(), "daily");
    EXPECT_EQ(activity.built, 1);
    EXPECT_EQ(activity.delivered, 1);
    EXPECT_EQ(store().channel_period_end("daily"), clock_.now());
    EXPECT_THROW(d->send_now(store(), "nope"), Error);
    // The scheduled digest then covers only what came after.
    clock_.set(at("2025-06-25T08:00:05Z"));
    EXPECT_EQ(d->run(store()).built, 0);
}

TEST_F(DigestDeliveryTest, AStoppingRunBuildsAndSendsNothingMore) {
    std::atomic<bool> stopping{false};
    auto d = engine({channel("hourly", "every 1h")});
    d->set_stop_flag(&stopping);
    d->start_channels(store());
    matched_item(wire_, "1", "Moonshot AI opens in Singapore");
    clock_.set(at("2025-06-24T11:00:10Z"));
    stopping = true;
    const DeliveryActivity activity = d->run(store());
    EXPECT_EQ(activity.built + activity.delivered, 0);
    EXPECT_EQ(store().channel_period_end("hourly"), at("2025-06-24T10:00:00Z"))
        << "the period waits for the next start";
    stopping = false;
    EXPECT_EQ(d->run(store()).delivered, 1);
}

TEST_F(DigestDeliveryTest, DeliveriesAndFailuresAreCountedByChannel) {
    service::Metrics metrics;
    service::declare_standard_metrics(metrics);
    auto d = engine({channel("hourly", "every 1h")});
    d->set_metrics(&metrics);
    d->start_channels(store());
    matched_item(wire_, "1", "CapCut adds AI dubbing");
    clock_.set(at("2025-06-24T11:00:10Z"));
    sender_->then(DeliveryStatus::temporary_failure, 0, "");
    d->run(store());
    clock_.advance(minutes{2});
    d->run(store());
    const service::Labels labels{{service::label::kChannel, "hourly"}};
    EXPECT_EQ(metrics.counter(service::metric::kDigestDeliveries, labels).value(), 1.0);
    EXPECT_EQ(metrics.counter(service::metric::kDigestFailures, labels).value(), 1.0);
}

TEST(DigestFilters, NamesEveryFilterTopicAndRuleTheRulesDoNotDefine) {
    const auto compiled = match::RuleSet::compile({match::RuleFile{"r.yaml", "r.yaml", R"(rules:
  - id: cloud-expansion
    title: Cloud regions abroad
    topic: infrastructure
    score: 10
    match:
      any: ["data centre"]
)"}});
    ASSERT_TRUE(compiled.rules);
    config::Settings settings;
    config::ChannelSettings right;
    right.name = "right";
    right.where = "/etc/chuhai/chuhai.yaml:4:5";
    right.filters.topics = {"infrastructure"};
    right.filters.rules = {"cloud-expansion"};
    config::ChannelSettings typos;
    typos.name = "typos";
    typos.where = "/etc/chuhai/chuhai.yaml:12:5";
    typos.filters.topics = {"infrastructure", "infrastucture"};
    typos.filters.rules = {"no-such-rule"};
    settings.digests = {right, typos};
    const auto messages = unknown_filter_names(settings, *compiled.rules);
    ASSERT_EQ(messages.size(), 2U);
    EXPECT_EQ(messages[0].find("/etc/chuhai/chuhai.yaml:12:5: digest channel 'typos'"), 0U)
        << messages[0];
    EXPECT_NE(messages[0].find("topic 'infrastucture'"), std::string::npos) << messages[0];
    EXPECT_NE(messages[1].find("rule 'no-such-rule'"), std::string::npos) << messages[1];
    // A topic is not a rule id, nor the other way round.
    settings.digests = {right};
    settings.digests[0].filters.topics = {"cloud-expansion"};
    settings.digests[0].filters.rules = {"infrastructure"};
    EXPECT_EQ(unknown_filter_names(settings, *compiled.rules).size(), 2U);
}

}  // namespace
}  // namespace chuhai::app::testing
