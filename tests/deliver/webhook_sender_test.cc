// WebhookSender against a real receiver (tests/servers/webhook_receiver.py) on 127.0.0.1: the
// receiver verifies signatures the way docs/digests.md tells receivers to, and answers 500, 429
// or any status on demand.

#include "deliver/webhook_sender.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "deliver/signature.h"
#include "digest/render.h"
#include "tests/deliver/server_process.h"
#include "tests/digest/sample_digest.h"
#include "tests/support/test_support.h"

namespace chuhai::deliver {
namespace {

using chuhai::testing::ServerProcess;
using chuhai::testing::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kSecret = "whsec-test-2f9c";

class WebhookSenderTest : public ::testing::Test {
  protected:
    void start_receiver(std::vector<std::string> options = {}) {
        secret_file_ = private_file("secret", std::string(kSecret) + "\n");
        std::vector<std::string> argv = {
            chuhai::testing::kSystemPython,
            chuhai::testing::server_script("webhook_receiver.py").string(),
            "--log",
            log_path().string(),
            "--secret-file",
            secret_file_.string()};
        argv.insert(argv.end(), options.begin(), options.end());
        receiver_ = std::make_unique<ServerProcess>(argv);
    }

    WebhookSettings settings(WebhookFormat format = WebhookFormat::json,
                             const std::string& path = "/hook") const {
        WebhookSettings s;
        s.url = "http://127.0.0.1:" + std::to_string(receiver_->port()) + path;
        s.format = format;
        s.secret.file = secret_file_;
        s.connect_timeout = 5s;
        s.timeout = 20s;
        return s;
    }

    // Secrets belong in files only their owner can read (else chuhai warns).
    std::filesystem::path private_file(const std::string& name, const std::string& contents) {
        const auto path = scratch_.write(name, contents);
        std::filesystem::permissions(
            path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        return path;
    }

    std::filesystem::path log_path() const { return scratch_.path() / "requests.jsonl"; }

    std::vector<json> requests() const {
        std::vector<json> out;
        std::ifstream in(log_path());
        std::string line;
        while (std::getline(in, line))
            out.push_back(json::parse(line));
        return out;
    }

    TempDir scratch_;
    std::filesystem::path secret_file_;
    std::unique_ptr<ServerProcess> receiver_;
};

TEST_F(WebhookSenderTest, PostsSignedVersionedJson) {
    start_receiver({"--reject-invalid"});
    const digest::Digest d = chuhai::testing::sample_digest();
    const DeliveryOutcome outcome = WebhookSender(settings()).send(d);
    ASSERT_TRUE(outcome.delivered()) << describe(outcome);
    EXPECT_EQ(outcome.code, 200);

    const auto log = requests();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0]["method"], "POST");
    EXPECT_EQ(log[0]["path"], "/hook");
    EXPECT_EQ(log[0]["signature"], "valid");
    EXPECT_EQ(log[0]["headers"]["idempotency-key"], d.id);
    EXPECT_EQ(log[0]["headers"]["content-type"], "application/json; charset=utf-8");
    EXPECT_TRUE(log[0]["headers"]["user-agent"].get<std::string>().starts_with("chuhai/"));
    EXPECT_EQ(log[0]["headers"].count("expect"), 0u);
    const json body = json::parse(log[0]["body"].get<std::string>());
    EXPECT_EQ(body["schema"], "chuhai.digest");
    EXPECT_EQ(body["version"], digest::kJsonSchemaVersion);
    EXPECT_EQ(body["id"], d.id);
    EXPECT_EQ(log[0]["body"], digest::render_json(d));
}

TEST_F(WebhookSenderTest, PostsSlackAndDiscordPayloads) {
    start_receiver();
    const digest::Digest d = chuhai::testing::sample_digest();
    ASSERT_TRUE(WebhookSender(settings(WebhookFormat::slack)).send(d).delivered());
    ASSERT_TRUE(WebhookSender(settings(WebhookFormat::discord)).send(d).delivered());
    const auto log = requests();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_TRUE(json::parse(log[0]["body"].get<std::string>()).contains("blocks"));
    EXPECT_TRUE(json::parse(log[1]["body"].get<std::string>()).contains("allowed_mentions"));
    EXPECT_EQ(log[0]["signature"], "valid");
}

TEST_F(WebhookSenderTest, TestMessagesAreSignedInEachFormatWithFreshKeys) {
    start_receiver({"--reject-invalid"});
    const UtcTime now = *parse_rfc3339("2025-07-01T08:00:00Z");
    for (const auto format : {WebhookFormat::json, WebhookFormat::slack, WebhookFormat::discord}) {
        const DeliveryOutcome outcome =
            WebhookSender(settings(format)).send_test_message("team <alerts>", now);
        EXPECT_TRUE(outcome.delivered()) << describe(outcome);
    }
    // A second test of the same channel at the same second is not taken for a repeat.
    EXPECT_TRUE(WebhookSender(settings(WebhookFormat::slack))
                    .send_test_message("team <alerts>", now)
                    .delivered());
    const auto log = requests();
    ASSERT_EQ(log.size(), 4u);
    const json first = json::parse(log[0]["body"].get<std::string>());
    EXPECT_EQ(first["schema"], "chuhai.test");
    EXPECT_EQ(first["channel"], "team <alerts>");
    EXPECT_EQ(first["sent"], "2025-07-01T08:00:00Z");
    const json slack = json::parse(log[1]["body"].get<std::string>());
    EXPECT_NE(slack["text"].get<std::string>().find("team &lt;alerts&gt;"), std::string::npos)
        << "Slack markup in a channel name is escaped";
    EXPECT_EQ(log[3]["signature"], "valid");
    EXPECT_FALSE(log[3]["duplicate"].get<bool>());
    EXPECT_TRUE(
        json::parse(log[2]["body"].get<std::string>())["allowed_mentions"]["parse"].empty());
    std::set<std::string> keys;
    for (const auto& request : log)
        keys.insert(request["headers"]["idempotency-key"].get<std::string>());
    EXPECT_EQ(keys.size(), 4u) << "each test message has a key of its own";
}

TEST_F(WebhookSenderTest, ServerErrorsAndRateLimitsAreTemporaryWithRetryAfter) {
    start_receiver({"--responses", "500,429,503", "--retry-after", "7"});
    const WebhookSender sender(settings());
    const digest::Digest d = chuhai::testing::sample_digest();

    const DeliveryOutcome first = sender.send(d);
    EXPECT_EQ(first.status, DeliveryStatus::temporary_failure) << describe(first);
    EXPECT_EQ(first.code, 500);
    EXPECT_FALSE(first.retry_after);
    EXPECT_NE(first.reply.find("\"status\": 500"), std::string::npos) << first.reply;

    const DeliveryOutcome second = sender.send(d);
    EXPECT_EQ(second.status, DeliveryStatus::temporary_failure);
    EXPECT_EQ(second.code, 429);
    ASSERT_TRUE(second.retry_after);
    EXPECT_EQ(*second.retry_after, 7s);

    const DeliveryOutcome third = sender.send(d);
    EXPECT_EQ(third.code, 503);
    EXPECT_EQ(third.retry_after, std::optional<std::chrono::seconds>(7s));

    const DeliveryOutcome fourth = sender.send(d);
    EXPECT_TRUE(fourth.delivered()) << describe(fourth);

    // Every attempt of the same digest carried the same idempotency key, freshly signed.
    const auto log = requests();
    ASSERT_EQ(log.size(), 4u);
    for (const auto& request : log) {
        EXPECT_EQ(request["headers"]["idempotency-key"], d.id);
        EXPECT_EQ(request["signature"], "valid");
    }
}

TEST_F(WebhookSenderTest, DeliversPreparedBodiesWithTheDigestIdAsKey) {
    start_receiver({"--reject-invalid"});
    const WebhookSender sender(settings(WebhookFormat::discord));
    const digest::Digest d = chuhai::testing::sample_digest();
    const PreparedDelivery prepared = sender.prepare(d);
    EXPECT_EQ(prepared.kind, PreparedDelivery::Kind::webhook);
    EXPECT_EQ(prepared.payload, digest::render_discord(d));
    ASSERT_TRUE(sender.deliver(prepared).delivered());
    const auto log = requests();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0]["headers"]["idempotency-key"], d.id);
    EXPECT_EQ(log[0]["body"], prepared.payload);
    EXPECT_THROW(sender.deliver(prepare_email(d, {"", "a@example.org"}, {{"", "b@example.org"}})),
                 Error);
}

TEST_F(WebhookSenderTest, ARetriedDeliveryIsRecognisedAsADuplicate) {
    start_receiver({"--reject-invalid"});
    const WebhookSender sender(settings());
    const digest::Digest d = chuhai::testing::sample_digest();
    ASSERT_TRUE(sender.send(d).delivered());
    // A crash between "sent" and "marked delivered" resends the same digest once.
    ASSERT_TRUE(sender.send(d).delivered());
    const auto log = requests();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_FALSE(log[0]["duplicate"]);
    EXPECT_TRUE(log[1]["duplicate"]);
}

TEST_F(WebhookSenderTest, OtherClientErrorsAndRedirectsArePermanent) {
    start_receiver();
    for (const char* status : {"400", "401", "404", "410", "301"}) {
        const DeliveryOutcome outcome =
            WebhookSender(settings(WebhookFormat::json, std::string("/status/") + status))
                .send("{}", "key-1");
        EXPECT_EQ(outcome.status, DeliveryStatus::permanent_failure) << status;
        EXPECT_EQ(outcome.code, std::stoi(status));
    }
    EXPECT_EQ(requests().size(), 5u);  // the 301 was not followed
}

TEST_F(WebhookSenderTest, AStaleSignatureIsRejectedByTheReceiver) {
    start_receiver({"--reject-invalid"});
    // A clock an hour behind: what a replay of an old request looks like to the receiver.
    ManualClock clock(SystemClock().now() - 1h);
    const DeliveryOutcome outcome = WebhookSender(settings(), "", &clock).send("{}", "key-2");
    EXPECT_EQ(outcome.status, DeliveryStatus::permanent_failure);
    EXPECT_EQ(outcome.code, 401);
    EXPECT_EQ(requests()[0]["signature"], "stale");
}

TEST_F(WebhookSenderTest, AWrongSecretIsRejectedByTheReceiver) {
    start_receiver({"--reject-invalid"});
    auto s = settings();
    s.secret.file = private_file("other-secret", "not-the-secret");
    const DeliveryOutcome outcome = WebhookSender(s).send("{}", "key-3");
    EXPECT_EQ(outcome.code, 401);
    EXPECT_EQ(requests()[0]["signature"], "mismatch");
}

TEST_F(WebhookSenderTest, WithoutASecretNoSignatureIsSent) {
    start_receiver();
    auto s = settings();
    s.secret = {};
    ASSERT_TRUE(WebhookSender(s).send("{}", "key-4").delivered());
    EXPECT_EQ(requests()[0]["signature"], "absent");
}

TEST_F(WebhookSenderTest, ASlowReceiverTimesOutTemporarily) {
    start_receiver();
    auto s = settings(WebhookFormat::json, "/delay/5");
    s.timeout = 1s;
    const DeliveryOutcome outcome = WebhookSender(s).send("{}", "key-5");
    EXPECT_EQ(outcome.status, DeliveryStatus::temporary_failure) << describe(outcome);
    EXPECT_EQ(outcome.code, 0);
    EXPECT_NE(outcome.detail.find("timed out"), std::string::npos) << outcome.detail;
}

TEST_F(WebhookSenderTest, AHugeResponseIsReadButKeptShort) {
    start_receiver({"--reply-bytes", "5000000"});
    const DeliveryOutcome outcome = WebhookSender(settings()).send("{}", "key-6");
    EXPECT_TRUE(outcome.delivered()) << describe(outcome);
    EXPECT_LE(outcome.reply.size(), kMaxReplyBytes);
}

TEST(WebhookDown, ConnectionRefusedIsTemporary) {
    WebhookSettings s;
    s.url = "http://127.0.0.1:" + std::to_string(chuhai::testing::unused_port()) + "/hook";
    const DeliveryOutcome outcome = WebhookSender(s).send("{}", "key");
    EXPECT_EQ(outcome.status, DeliveryStatus::temporary_failure);
    EXPECT_FALSE(outcome.detail.empty());
}

TEST(WebhookSettingsTest, RejectsBadUrlsKeysAndKinds) {
    WebhookSettings s;
    s.url = "ftp://example.com/hook";
    EXPECT_THROW(WebhookSender(s, "channels.slack"), Error);
    s.url = "https://";
    EXPECT_THROW(check_webhook_settings(s, "channels.slack"), Error);
    s.url = "https://hooks.example.com/x";
    EXPECT_NO_THROW(check_webhook_settings(s, "channels.slack"));
    const WebhookSender sender(s);
    EXPECT_THROW(sender.send("{}", "bad key\r\nX-Injected: 1"), Error);
    EXPECT_THROW(sender.send("{}", ""), Error);
    EXPECT_EQ(parse_webhook_format("slack"), WebhookFormat::slack);
    EXPECT_EQ(parse_webhook_format("discord"), WebhookFormat::discord);
    EXPECT_EQ(parse_webhook_format("json"), WebhookFormat::json);
    EXPECT_THROW(parse_webhook_format("teams", "x"), Error);
}

TEST(RetryAfter, ParsesSecondsAndHttpDates) {
    const UtcTime now = *parse_rfc3339("2015-10-21T07:27:00Z");
    EXPECT_EQ(parse_retry_after("120", now), std::optional<std::chrono::seconds>(120s));
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
              std::optional<std::chrono::seconds>(60s));
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
              std::optional<std::chrono::seconds>(0s));
    EXPECT_FALSE(parse_retry_after("", now));
    EXPECT_FALSE(parse_retry_after("soon", now));
    EXPECT_FALSE(parse_retry_after("-5", now));
    EXPECT_FALSE(parse_retry_after("Wed, 32 Oct 2015 07:28:00 GMT", now));
    EXPECT_GT(*parse_retry_after("99999999999999999999999", now), 24h);
}

}  // namespace
}  // namespace chuhai::deliver
