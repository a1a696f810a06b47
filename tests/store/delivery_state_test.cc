// What digest delivery keeps in the store besides the outbox itself: each channel's period,
// the envelope recorded with a digest, attempts claimed by one process at a time, nested
// transactions, the daemon's heartbeat and the counts `chuhai status` shows.

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

class DeliveryStateTest : public StoreTest {
  protected:
    DeliveryStateTest() {
        source_ = add_source("https://feeds.example.com/a", "A");
        const auto result = ingest(source_, {make_item("1", "One"), make_item("2", "Two")});
        one_ = result.items[0].item;
        two_ = result.items[1].item;
        store().record_matches(one_, std::vector<MatchInput>{{"r", "v1", 1.0, "cloud", "{}"}});
    }

    DigestDraft draft(const std::string& channel, std::vector<ItemId> items,
                      const std::string& message_id) {
        return make_draft(channel, std::move(items), message_id, clock_.now());
    }

    SourceId source_ = 0;
    ItemId one_ = 0;
    ItemId two_ = 0;
};

TEST_F(DeliveryStateTest, AChannelsPeriodEndSurvivesReopening) {
    EXPECT_FALSE(store().channel_period_end("daily"));
    store().set_channel_period_end("daily", at("2025-06-24T00:00:00Z"));
    store().set_channel_period_end("daily", at("2025-06-25T00:00:00Z"));
    store().set_channel_period_end("hourly", at("2025-06-24T07:00:00Z"));
    reopen();
    EXPECT_EQ(store().channel_period_end("daily"), at("2025-06-25T00:00:00Z"));
    const auto states = store().channel_states();
    ASSERT_EQ(states.size(), 2u);
    EXPECT_EQ(states[0].channel, "daily");
    EXPECT_EQ(states[1].channel, "hourly");
    EXPECT_EQ(states[1].last_period_end, at("2025-06-24T07:00:00Z"));
    EXPECT_EQ(states[1].updated, clock_.now());
}

TEST_F(DeliveryStateTest, TheEnvelopeIsRecordedWithTheDigest) {
    DigestDraft d = draft("daily", {one_}, "<d1@example.org>");
    d.kind = DeliveryKind::email;
    d.envelope_from = "digest@example.org";
    d.recipients = {"a@example.org", "b@example.net"};
    d.story_count = 3;
    const DigestId email = store().create_digest(d);
    DigestDraft w = draft("hook", {one_}, "hook-key-1");
    w.kind = DeliveryKind::webhook;
    const DigestId webhook = store().create_digest(w);
    reopen();
    const auto mail = store().digest(email);
    ASSERT_TRUE(mail);
    EXPECT_EQ(mail->kind, DeliveryKind::email);
    EXPECT_EQ(mail->envelope_from, "digest@example.org");
    EXPECT_EQ(mail->recipients, (std::vector<std::string>{"a@example.org", "b@example.net"}));
    EXPECT_EQ(mail->story_count, 3);
    const auto hook = store().digest(webhook);
    ASSERT_TRUE(hook);
    EXPECT_EQ(hook->kind, DeliveryKind::webhook);
    EXPECT_TRUE(hook->recipients.empty());
}

TEST_F(DeliveryStateTest, OnlyOneAttemptClaimsADueDigestAndALeaseExpires) {
    const DigestId id = store().create_digest(draft("daily", {one_}, "<d1@x>"));
    const UtcTime now = clock_.now();
    EXPECT_TRUE(store().claim_digest_attempt(id, now, now + minutes(3)));
    // A second process (or a second delivery run) finds it taken.
    auto other = open_sqlite_store(db_path());
    EXPECT_FALSE(other->claim_digest_attempt(id, now, now + minutes(3)));
    EXPECT_TRUE(store().due_digests(now).empty());
    // The attempt crashed without marking: after the lease the digest is due again.
    EXPECT_EQ(store().due_digests(now + minutes(3)).size(), 1u);
    EXPECT_TRUE(other->claim_digest_attempt(id, now + minutes(3), now + minutes(6)));
    store().mark_digest_sent(id, now + minutes(4));
    EXPECT_FALSE(store().claim_digest_attempt(id, now + hours(1), now + hours(2)))
        << "a sent digest is never claimed again";
}

TEST_F(DeliveryStateTest, PendingAndRecentFailedDigestsAreListedNewestFirst) {
    const DigestId first = store().create_digest(draft("daily", {one_}, "<d1@x>"));
    clock_.advance(minutes(1));
    const DigestId second = store().create_digest(draft("hook", {one_}, "k2"));
    clock_.advance(minutes(1));
    const DigestId third = store().create_digest(draft("other", {one_}, "k3"));
    store().mark_digest_failed(first, "550 no such user");
    store().mark_digest_sent(third, clock_.now());
    const auto pending = store().list_digests(DigestStatus::pending, clock_.now(), 10);
    ASSERT_EQ(pending.size(), 1u) << "every pending digest, however old";
    EXPECT_EQ(pending[0].id, second);
    const auto failed = store().list_digests(DigestStatus::failed, clock_.now() - hours(1), 10);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].last_error, "550 no such user");
    EXPECT_TRUE(store().list_digests(DigestStatus::failed, clock_.now(), 10).empty())
        << "failures older than `since` are left out";
    EXPECT_EQ(store().list_digests(DigestStatus::sent, clock_.now() - hours(1), 1).size(), 1u);
}

TEST_F(DeliveryStateTest, AWriteInsideATransactionJoinsItAndRollsBackWithIt) {
    EXPECT_THROW(store().run_in_transaction([&] {
        store().create_digest(draft("daily", {one_}, "<d1@x>"));
        store().set_channel_period_end("daily", clock_.now());
        throw Error(ErrorKind::internal, "the build failed half-way");
    }),
                 Error);
    EXPECT_EQ(count("SELECT count(*) FROM digests"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM digest_items"), 0);
    EXPECT_FALSE(store().channel_period_end("daily"));

    store().run_in_transaction([&] {
        store().create_digest(draft("daily", {one_}, "<d1@x>"));
        // A nested write that fails undoes only itself: the outer transaction goes on.
        EXPECT_THROW(store().create_digest(draft("daily", {two_, one_}, "<d2@x>")), Error);
        store().set_channel_period_end("daily", clock_.now());
    });
    EXPECT_EQ(count("SELECT count(*) FROM digests"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM digest_items"), 1) << "item two was not claimed";
    EXPECT_EQ(store().channel_period_end("daily"), clock_.now());
}

TEST_F(DeliveryStateTest, ATransactionHoldsTheWriteLockWhileItReads) {
    StoreOptions impatient;
    impatient.busy_timeout = std::chrono::milliseconds(50);
    auto other = open_sqlite_store(db_path(), impatient);
    store().run_in_transaction([&] {
        EXPECT_EQ(store().undelivered_matched_items("daily", clock_.now() - hours(1)).size(), 1u);
        // Another connection cannot slip an item in between the read and the commit.
        EXPECT_THROW(other->ingest(fetch_of(source_), std::vector<ItemInput>{make_item("3", "3")}),
                     Error);
    });
    EXPECT_NO_THROW(other->ingest(fetch_of(source_), std::vector<ItemInput>{make_item("3", "3")}));
}

TEST_F(DeliveryStateTest, TheHeartbeatAndTheLastCycleAreKeptApart) {
    EXPECT_FALSE(store().daemon_status().pid);
    store().record_cycle(at("2025-06-24T07:59:00Z"), "1 sources: 1 ok", "once");
    store().record_heartbeat(4242, at("2025-06-24T07:00:00Z"), at("2025-06-24T08:00:00Z"));
    auto status = store().daemon_status();
    EXPECT_EQ(status.pid, 4242);
    EXPECT_EQ(status.started, at("2025-06-24T07:00:00Z"));
    EXPECT_EQ(status.heartbeat, at("2025-06-24T08:00:00Z"));
    EXPECT_FALSE(status.stopped);
    EXPECT_EQ(status.last_cycle_end, at("2025-06-24T07:59:00Z"));
    EXPECT_EQ(status.last_cycle_summary, "1 sources: 1 ok");
    EXPECT_EQ(status.last_cycle_by, "once");

    // Another pid cannot mark this daemon stopped; the daemon itself can.
    store().record_daemon_stop(999, at("2025-06-24T08:01:00Z"));
    EXPECT_FALSE(store().daemon_status().stopped);
    store().record_daemon_stop(4242, at("2025-06-24T08:02:00Z"));
    status = store().daemon_status();
    EXPECT_EQ(status.stopped, at("2025-06-24T08:02:00Z"));
    EXPECT_EQ(status.last_cycle_summary, "1 sources: 1 ok") << "a stop keeps the last cycle";
    // A restart clears the stop.
    store().record_heartbeat(4300, at("2025-06-24T09:00:00Z"), at("2025-06-24T09:00:00Z"));
    EXPECT_FALSE(store().daemon_status().stopped);
}

TEST_F(DeliveryStateTest, ItemsAndMatchesAreCountedByFirstSeen) {
    const auto counts = store().count_items(clock_.now() - hours(1), clock_.now() + seconds(1));
    EXPECT_EQ(counts.items, 2);
    EXPECT_EQ(counts.matched, 1);
    const auto later = store().count_items(clock_.now() + seconds(1), clock_.now() + hours(1));
    EXPECT_EQ(later.items, 0);
}

TEST_F(DeliveryStateTest, EachSourceKeepsItsOwnLinkAndMovesAreListed) {
    const SourceId b = add_source("https://feeds.example.net/b", "B");
    ItemInput copy = make_item("b-key", "One");
    copy.canonical_url = "https://example.com/1";  // the same article as item one ...
    copy.link = "https://example.com/1?from=b";    // ... linked with B's own parameters
    const auto result =
        store().ingest(fetch_of(b, "https://feeds.example.net/b"), std::vector<ItemInput>{copy});
    ASSERT_EQ(result.items[0].item, one_);
    const auto provenance = store().provenance(one_);
    ASSERT_TRUE(provenance);
    EXPECT_EQ(provenance->first.link, "https://example.com/1?utm_source=feed");
    ASSERT_EQ(provenance->others.size(), 1u);
    EXPECT_EQ(provenance->others[0].link, "https://example.com/1?from=b");

    clock_.advance(minutes(5));
    ASSERT_TRUE(store().rename_source_url(b, "https://feeds.example.net/b2"));
    EXPECT_TRUE(store().source_moves_since(clock_.now() + seconds(1)).empty());
    const auto moves = store().source_moves_since(clock_.now());
    ASSERT_EQ(moves.size(), 1u);
    EXPECT_EQ(moves[0].name, "B");
    EXPECT_EQ(moves[0].old_url, "https://feeds.example.net/b");
    EXPECT_EQ(moves[0].new_url, "https://feeds.example.net/b2");
    EXPECT_EQ(moves[0].moved, clock_.now());
}

}  // namespace
}  // namespace chuhai::store::testing
