// The digest outbox: a digest and its items recorded in one transaction, an item never twice in
// one channel, retries, permanent failures.

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class OutboxTest : public StoreTest {
  protected:
    OutboxTest() {
        const SourceId source = add_source("https://feeds.example.com/a", "A");
        const auto result = ingest(
            source, {make_item("1", "One"), make_item("2", "Two"), make_item("3", "Unmatched")});
        one_ = result.items[0].item;
        two_ = result.items[1].item;
        unmatched_ = result.items[2].item;
        for (const ItemId item : {one_, two_})
            store().record_matches(item, std::vector<MatchInput>{{"r", "v1", 1.0, "cloud", "{}"}});
    }

    DigestDraft draft(const std::string& channel, std::vector<ItemId> items,
                      const std::string& message_id) {
        return make_draft(channel, std::move(items), message_id, clock_.now());
    }

    ItemId one_ = 0;
    ItemId two_ = 0;
    ItemId unmatched_ = 0;
};

TEST_F(OutboxTest, ADigestClaimsItsItemsForItsChannelOnly) {
    const auto since = clock_.now() - hours(1);
    EXPECT_EQ(store().undelivered_matched_items("daily", since), (std::vector<ItemId>{one_, two_}));
    const DigestId id = store().create_digest(draft("daily", {one_}, "<d1@chuhai>"));
    EXPECT_EQ(store().undelivered_matched_items("daily", since), std::vector<ItemId>{two_});
    EXPECT_EQ(store().undelivered_matched_items("slack", since), (std::vector<ItemId>{one_, two_}));

    const auto digest = store().digest(id);
    ASSERT_TRUE(digest);
    EXPECT_EQ(digest->channel, "daily");
    EXPECT_EQ(digest->status, DigestStatus::pending);
    EXPECT_EQ(digest->message_id, "<d1@chuhai>");
    EXPECT_EQ(digest->payload, "Subject: digest\r\n\r\nbody for daily");
    EXPECT_EQ(digest->items, std::vector<ItemId>{one_});
    EXPECT_EQ(digest->attempts, 0);
    EXPECT_EQ(digest->created, clock_.now());
}

TEST_F(OutboxTest, AnItemNeverAppearsTwiceInOneChannelAndAFailedBuildLeavesNothing) {
    store().create_digest(draft("daily", {one_}, "<d1@chuhai>"));
    try {
        store().create_digest(draft("daily", {two_, one_}, "<d2@chuhai>"));
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::store);
        EXPECT_NE(e.message().find("already in digest"), std::string::npos) << e.what();
    }
    EXPECT_EQ(count("SELECT count(*) FROM digests"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM digest_items"), 1) << "item two was not claimed";
    // Another channel may carry it.
    EXPECT_NO_THROW(store().create_digest(draft("slack", {one_}, "<s1@chuhai>")));
    // Message ids are unique: a resend must reuse the row, not add one.
    EXPECT_THROW(store().create_digest(draft("weekly", {two_}, "<d1@chuhai>")), Error);
}

TEST_F(OutboxTest, RetriesAreScheduledAndSentDigestsLeaveTheQueue) {
    const DigestId id = store().create_digest(draft("daily", {one_, two_}, "<d1@chuhai>"));
    EXPECT_EQ(store().due_digests(clock_.now()).size(), 1u);

    store().mark_digest_retry(id, "SMTP 451 try later", clock_.now() + minutes(5));
    EXPECT_TRUE(store().due_digests(clock_.now()).empty());
    auto due = store().due_digests(clock_.now() + minutes(5));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].attempts, 1);
    EXPECT_EQ(due[0].last_error, "SMTP 451 try later");
    EXPECT_EQ(due[0].items, (std::vector<ItemId>{one_, two_}));

    clock_.advance(minutes(5));
    store().mark_digest_sent(id, clock_.now());
    const auto sent = *store().digest(id);
    EXPECT_EQ(sent.status, DigestStatus::sent);
    EXPECT_EQ(sent.attempts, 2);
    EXPECT_EQ(sent.delivered, clock_.now());
    EXPECT_EQ(sent.last_error, "");
    EXPECT_TRUE(store().due_digests(clock_.now() + hours(100)).empty());
    EXPECT_THROW(store().mark_digest_retry(id, "late", clock_.now()), Error)
        << "a sent digest is not retried";
}

TEST_F(OutboxTest, PermanentFailuresAreRecordedAndDoNotBlockTheNextDigest) {
    const DigestId failed = store().create_digest(draft("daily", {one_}, "<d1@chuhai>"));
    store().mark_digest_failed(failed, "SMTP 550 mailbox unavailable");
    const auto digest = *store().digest(failed);
    EXPECT_EQ(digest.status, DigestStatus::failed);
    EXPECT_EQ(digest.last_error, "SMTP 550 mailbox unavailable");
    EXPECT_TRUE(store().due_digests(clock_.now() + hours(1)).empty());
    const DigestId next = store().create_digest(draft("daily", {two_}, "<d2@chuhai>"));
    EXPECT_EQ(store().due_digests(clock_.now()).front().id, next);
    EXPECT_THROW(store().mark_digest_sent(9999, clock_.now()), Error);
}

}  // namespace
}  // namespace chuhai::store::testing
