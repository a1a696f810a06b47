#include "config/config_loader.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "config/delivery_settings.h"
#include "tests/support/test_support.h"

namespace chuhai::config {
namespace {

using namespace std::chrono_literals;

// Parses `yaml` as /etc/chuhai/chuhai.yaml and returns the error it raises.
Error error_of(const std::string& yaml) {
    try {
        parse_settings(yaml, "/etc/chuhai/chuhai.yaml");
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "expected a configuration error for:\n" << yaml;
    return Error(ErrorKind::internal, "no error");
}

TEST(ConfigLoader, ReadsEveryKey) {
    const auto file = testing::fixture_path("config/complete.yaml");
    const Settings s = load_settings(file);
    EXPECT_EQ(s.database, file.parent_path() / "state/chuhai.db");
    EXPECT_EQ(s.rules, (file.parent_path() / "../rules").lexically_normal());
    EXPECT_EQ(s.log_level, "debug");
    EXPECT_EQ(s.timezone, "Asia/Shanghai");
    EXPECT_EQ(s.fetch.interval, 30min);
    EXPECT_EQ(s.fetch.min_interval, 2min);
    EXPECT_EQ(s.fetch.max_interval, 12h);
    EXPECT_EQ(s.fetch.first_poll_spread, 1min);
    EXPECT_DOUBLE_EQ(s.fetch.jitter, 0.2);
    EXPECT_DOUBLE_EQ(s.fetch.backoff_jitter, 0.3);
    EXPECT_EQ(s.fetch.max_backoff, 6h);
    EXPECT_EQ(s.fetch.max_retry_after, 2h);
    EXPECT_EQ(s.fetch.max_concurrent, 20);
    EXPECT_EQ(s.fetch.per_host.max_concurrent, 3);
    EXPECT_EQ(s.fetch.per_host.min_gap, 2s);
    ASSERT_EQ(s.fetch.hosts.count("slow.example.org"), 1u);
    EXPECT_EQ(s.fetch.hosts.at("slow.example.org").max_concurrent, 1);
    EXPECT_EQ(s.fetch.hosts.at("slow.example.org").min_gap, 10s);
    EXPECT_EQ(s.fetch.connect_timeout, 5s);
    EXPECT_EQ(s.fetch.timeout, 60s);
    EXPECT_EQ(s.fetch.low_speed_limit, 100);
    EXPECT_EQ(s.fetch.low_speed_time, 20s);
    EXPECT_EQ(s.fetch.max_body_size, 8u * 1000 * 1000);
    EXPECT_EQ(s.fetch.max_redirects, 3);
    EXPECT_EQ(s.fetch.stop_grace, 5s);
    EXPECT_DOUBLE_EQ(s.fetch.silence_factor, 3.0);
    EXPECT_EQ(s.fetch.silence_floor, 12h);
    EXPECT_EQ(s.fetch.contact_url, "https://example.org/chuhai");
    EXPECT_EQ(s.store.unmatched_text_retention, std::chrono::seconds{30 * 86400});
    EXPECT_FALSE(s.store.shipped_corpus);
    EXPECT_EQ(s.store.fetch_log_retention, std::chrono::seconds{7 * 86400});
    EXPECT_TRUE(s.metrics.enabled);
    EXPECT_EQ(s.metrics.listen, "127.0.0.1:9999");

    ASSERT_EQ(s.sources.size(), 3u);
    EXPECT_EQ(s.sources[0].url, "https://news.example.com/rss.xml");
    EXPECT_EQ(s.sources[0].name, "news.example.com");  // defaults to the host
    EXPECT_EQ(s.sources[1].name, "科技出海观察");
    EXPECT_EQ(s.sources[1].tags, (std::vector<std::string>{"chinese", "media"}));
    EXPECT_EQ(s.sources[1].interval, 1h);
    EXPECT_EQ(s.sources[1].timezone, "Asia/Shanghai");
    EXPECT_EQ(s.sources[2].tags, (std::vector<std::string>{"company"}));
    EXPECT_FALSE(s.sources[2].enabled);
    EXPECT_TRUE(s.sources[2].insecure_skip_tls_verify);
    EXPECT_NE(s.sources[2].where.find("complete.yaml:48:"), std::string::npos)
        << s.sources[2].where;

    ASSERT_EQ(s.digests.size(), 2u);
    const auto& morning = s.digests[0];
    EXPECT_EQ(morning.schedule, "daily 08:00");
    EXPECT_EQ(morning.timezone, "Europe/London");
    EXPECT_EQ(morning.quiet_hours, "22:00-07:00");
    EXPECT_EQ(morning.max_stories, 20);
    EXPECT_TRUE(morning.send_empty);
    EXPECT_EQ(morning.filters.topics, (std::vector<std::string>{"infrastructure", "chips"}));
    EXPECT_EQ(morning.filters.min_score, 5.0);
    ASSERT_TRUE(morning.email);
    EXPECT_EQ(morning.email->to.size(), 2u);
    EXPECT_EQ(morning.email->smtp.starttls, "none");
    EXPECT_EQ(morning.email->smtp.password_file, file.parent_path() / "secrets/smtp-password");
    EXPECT_EQ(morning.email->smtp.ca_file, file.parent_path() / "certs/relay-ca.pem");
    EXPECT_EQ(morning.email->smtp.connect_timeout, 5s);
    EXPECT_EQ(morning.email->smtp.timeout, 45s);
    EXPECT_EQ(morning.email->subject_prefix, "[chuhai]");
    const auto& slack = s.digests[1];
    EXPECT_EQ(slack.timezone, "Asia/Shanghai");  // inherits the global zone
    ASSERT_TRUE(slack.webhook);
    EXPECT_EQ(slack.webhook->kind, "slack");
    EXPECT_EQ(slack.webhook->secret_credential, "slack-secret");
    EXPECT_EQ(slack.webhook->ca_file, file.parent_path() / "certs/hooks-ca.pem");
    EXPECT_EQ(slack.webhook->connect_timeout, 3s);
    EXPECT_EQ(slack.webhook->timeout, 15s);

    EXPECT_EQ(s.delivery.retry.initial_delay, 30s);
    EXPECT_DOUBLE_EQ(s.delivery.retry.multiplier, 3.0);
    EXPECT_EQ(s.delivery.retry.max_delay, 2h);
    EXPECT_DOUBLE_EQ(s.delivery.retry.jitter, 0.1);
    EXPECT_EQ(s.delivery.retry.max_retry_after, 1h);
    EXPECT_EQ(s.delivery.give_up_after, 24h);
}

TEST(ConfigLoader, ChannelsMapOntoTheDigestAndDeliverTypes) {
    const Settings s = load_settings(testing::fixture_path("config/complete.yaml"));
    const auto& morning = s.digests[0];
    const digest::Schedule schedule = channel_schedule(morning);
    EXPECT_EQ(digest::describe(schedule), "daily 08:00");
    EXPECT_EQ(schedule.zone.name(), "Europe/London");
    ASSERT_TRUE(schedule.quiet_hours);
    EXPECT_EQ(schedule.quiet_hours->start, 22h);
    const digest::ChannelFilter filter = channel_filter(morning);
    EXPECT_EQ(filter.max_stories, 20u);
    EXPECT_DOUBLE_EQ(filter.min_score, 5.0);
    EXPECT_EQ(filter.source_tags, std::vector<std::string>{"media"});
    EXPECT_TRUE(filter.send_empty);
    const deliver::SmtpSettings smtp = smtp_settings(morning.email->smtp);
    EXPECT_EQ(smtp.tls, deliver::SmtpTls::none);
    EXPECT_EQ(smtp.password.file, morning.email->smtp.password_file);
    EXPECT_EQ(smtp.connect_timeout, 5s);
    EXPECT_EQ(sender_mailbox(*morning.email).address, "chuhai@example.org");
    EXPECT_EQ(sender_mailbox(*morning.email).display_name, "chuhai");
    EXPECT_EQ(recipient_mailboxes(*morning.email)[1].display_name, "Desk");
    const deliver::WebhookSettings hook = webhook_settings(*s.digests[1].webhook);
    EXPECT_EQ(hook.format, deliver::WebhookFormat::slack);
    EXPECT_EQ(hook.secret.credential, "slack-secret");
    EXPECT_EQ(hook.timeout, 15s);
    const deliver::RetryPolicy policy = retry_policy(s.delivery.retry);
    EXPECT_EQ(policy.initial_delay, 30s);
    EXPECT_EQ(policy.max_retry_after, 1h);

    // smtp:// is STARTTLS unless `starttls: none`; smtps:// is TLS from the first byte.
    SmtpSettings plain;
    plain.url = "smtp://mail.example.org:587";
    EXPECT_EQ(smtp_tls(plain), deliver::SmtpTls::starttls);
    plain.starttls = "none";
    EXPECT_EQ(smtp_tls(plain), deliver::SmtpTls::none);
    SmtpSettings implicit;
    implicit.url = "smtps://mail.example.org";
    EXPECT_EQ(smtp_tls(implicit), deliver::SmtpTls::implicit);
}

// The error a channel with `body` (indented as the channel's keys) raises.
Error channel_error(const std::string& body) {
    return error_of("database: db\nrules: r\ndigests:\n  - name: m\n" + body);
}

const std::string kEmail =
    "    email:\n      from: a@example.org\n      to: b@example.org\n"
    "      smtp:\n        url: smtp://mail.example.org\n";

TEST(ConfigLoader, SchedulesAndQuietHoursAreCheckedWhereWritten) {
    const Error schedule = channel_error("    schedule: every fortnight at teatime\n" + kEmail);
    EXPECT_EQ(schedule.kind(), ErrorKind::config);
    EXPECT_EQ(schedule.where(), "/etc/chuhai/chuhai.yaml:5:15");
    EXPECT_NE(schedule.message().find("every fortnight at teatime"), std::string::npos);
    EXPECT_EQ(channel_error("    schedule: daily 25:00\n" + kEmail).where(),
              "/etc/chuhai/chuhai.yaml:5:15");
    EXPECT_EQ(channel_error("    schedule: weekly someday 08:00\n" + kEmail).where(),
              "/etc/chuhai/chuhai.yaml:5:15");
    const Error quiet = channel_error("    quiet_hours: \"22:00-22:00\"\n" + kEmail);
    EXPECT_EQ(quiet.where(), "/etc/chuhai/chuhai.yaml:5:18");
    EXPECT_NE(quiet.message().find("quiet hours"), std::string::npos) << quiet.message();
    EXPECT_EQ(channel_error("    quiet_hours: late evening\n" + kEmail).where(),
              "/etc/chuhai/chuhai.yaml:5:18");
}

TEST(ConfigLoader, ANegativeMinimumScoreIsRefusedWhereWritten) {
    const Error negative = channel_error("    filters:\n      min_score: -1\n" + kEmail);
    EXPECT_EQ(negative.kind(), ErrorKind::config);
    EXPECT_EQ(negative.where(), "/etc/chuhai/chuhai.yaml:6:18");
    EXPECT_NE(negative.message().find("min_score"), std::string::npos) << negative.message();
    const Settings zero = parse_settings(
        "database: db\nrules: r\ndigests:\n  - name: m\n    filters:\n      min_score: 0\n" +
            kEmail,
        "/etc/chuhai/chuhai.yaml");
    EXPECT_EQ(zero.digests.at(0).filters.min_score, 0.0);
}

TEST(ConfigLoader, AddressesAreCheckedOneByOne) {
    const Error from = channel_error(
        "    email:\n      from: not an address\n      to: b@example.org\n"
        "      smtp:\n        url: smtp://mail.example.org\n");
    EXPECT_EQ(from.where(), "/etc/chuhai/chuhai.yaml:6:13");
    const Error second = channel_error(
        "    email:\n      from: a@example.org\n      to:\n        - b@example.org\n"
        "        - \"Bob <bob@@example.org>\"\n      smtp:\n        url: smtp://h.example\n");
    EXPECT_EQ(second.where(), "/etc/chuhai/chuhai.yaml:9:11");
    EXPECT_NE(second.message().find("bob@@example.org"), std::string::npos) << second.message();
    const Error injected = channel_error(
        "    email:\n      from: \"a@example.org\\r\\nBcc: x@example.org\"\n"
        "      to: b@example.org\n      smtp:\n        url: smtp://h.example\n");
    EXPECT_EQ(injected.where(), "/etc/chuhai/chuhai.yaml:6:13");
}

TEST(ConfigLoader, SmtpTlsAndPasswordsAreChecked) {
    const std::string head =
        "    email:\n      from: a@example.org\n      to: b@example.org\n      smtp:\n";
    const Error smtps_starttls =
        channel_error(head + "        url: smtps://mail.example.org\n        starttls: required\n");
    EXPECT_EQ(smtps_starttls.where(), "/etc/chuhai/chuhai.yaml:10:19");
    EXPECT_NE(smtps_starttls.message().find("smtps://"), std::string::npos);
    const Error clear = channel_error(
        head +
        "        url: smtp://mail.example.org\n        starttls: none\n        username: u\n"
        "        password_file: /etc/chuhai/pw\n");
    EXPECT_NE(clear.message().find("clear text"), std::string::npos) << clear.message();
    EXPECT_EQ(clear.where(), "/etc/chuhai/chuhai.yaml:9:14");
    const Error both =
        channel_error(head +
                      "        url: smtp://mail.example.org\n        username: u\n"
                      "        password_file: /etc/chuhai/pw\n        password_credential: smtp\n");
    EXPECT_EQ(both.where(), "/etc/chuhai/chuhai.yaml:12:30");
    EXPECT_NE(
        channel_error(head + "        url: smtp://mail.example.org\n"
                             "        password_credential: ../etc/shadow\n        username: u\n")
            .message()
            .find("plain file name"),
        std::string::npos);
    EXPECT_NE(channel_error(head + "        url: smtp://mail.example.org\n        timeout: 0s\n")
                  .message()
                  .find("at least 1s"),
              std::string::npos);
    EXPECT_NE(channel_error(head + "        url: smtp://mail.example.org\n        tls: starttls\n")
                  .message()
                  .find("unknown key 'tls'"),
              std::string::npos);
    // A relay on this machine may take a password in clear text.
    EXPECT_NO_THROW(parse_settings(
        "database: db\nrules: r\ndigests:\n  - name: m\n" + head +
            "        url: smtp://127.0.0.1:25\n        starttls: none\n        username: u\n"
            "        password_file: pw\n",
        "/etc/chuhai/chuhai.yaml"));
}

TEST(ConfigLoader, RetrySettingsAreChecked) {
    const std::string base = "database: db\nrules: r\ndelivery:\n";
    EXPECT_EQ(error_of(base + "  retry:\n    multiplier: 0.5\n").where(),
              "/etc/chuhai/chuhai.yaml:5:17");
    EXPECT_EQ(error_of(base + "  retry:\n    initial_delay: 2h\n").where(),
              "/etc/chuhai/chuhai.yaml:5:20")
        << "beyond the default max_delay of 1h";
    EXPECT_NE(error_of(base + "  retry:\n    jitter: 1\n").message().find("jitter"),
              std::string::npos);
    EXPECT_NE(error_of(base + "  give_up_after: 10m\n").message().find("give_up_after"),
              std::string::npos);
    EXPECT_NE(error_of(base + "  retry:\n    backoff: 2\n").message().find("unknown key"),
              std::string::npos);
}

TEST(ConfigLoader, DefaultsWhenOptionalKeysAreAbsent) {
    const Settings s = parse_settings("database: /var/lib/chuhai/db\nrules: /etc/chuhai/rules\n",
                                      "/etc/chuhai/chuhai.yaml");
    EXPECT_EQ(s.fetch.interval, 15min);
    EXPECT_EQ(s.fetch.per_host.max_concurrent, 2);
    EXPECT_EQ(s.fetch.max_body_size, 20u << 20);
    EXPECT_DOUBLE_EQ(s.fetch.silence_factor, 4.0);
    EXPECT_EQ(s.fetch.silence_floor, 1h);
    EXPECT_EQ(s.store.unmatched_text_retention, std::chrono::seconds{90 * 86400});
    EXPECT_TRUE(s.store.shipped_corpus);
    EXPECT_FALSE(s.metrics.enabled);
    EXPECT_TRUE(s.sources.empty());
}

TEST(ConfigLoader, UnknownKeyNamesPositionAndSuggests) {
    const Error e = error_of(
        "database: db\n"
        "rules: rules\n"
        "sources:\n"
        "  - url: https://a.example/feed\n"
        "    tgas: [x]\n");
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_EQ(e.where(), "/etc/chuhai/chuhai.yaml:5:5");
    EXPECT_NE(e.message().find("unknown key 'tgas'"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("did you mean 'tags'"), std::string::npos) << e.message();
}

TEST(ConfigLoader, FetchTimeoutsAreAtLeastASecond) {
    // A zero timeout would fail every fetch; the loader says where instead.
    for (const char* key : {"timeout", "connect_timeout", "low_speed_time"}) {
        const Error e =
            error_of(std::string("database: db\nrules: r\nfetch:\n  ") + key + ": 0s\n");
        EXPECT_EQ(e.kind(), ErrorKind::config) << key;
        EXPECT_NE(e.where().find("chuhai.yaml:4:"), std::string::npos) << key << ": " << e.where();
        EXPECT_NE(e.message().find("at least 1s"), std::string::npos) << e.message();
    }
}

TEST(ConfigLoader, WrongTypesAndValues) {
    EXPECT_NE(error_of("database: db\nrules: r\nfetch:\n  max_concurrent: many\n")
                  .message()
                  .find("whole number"),
              std::string::npos);
    EXPECT_EQ(error_of("database: db\nrules: r\nfetch:\n  max_concurrent: many\n").where(),
              "/etc/chuhai/chuhai.yaml:4:19");
    EXPECT_NE(
        error_of("database: db\nrules: r\nfetch:\n  interval: soon\n").message().find("duration"),
        std::string::npos);
    EXPECT_NE(error_of("database: db\nrules: r\nsources: https://a.example/\n")
                  .message()
                  .find("must be a list"),
              std::string::npos);
    EXPECT_NE(error_of("database: db\nrules: r\nsources:\n  - ftp://a.example/\n")
                  .message()
                  .find("http://"),
              std::string::npos);
    EXPECT_NE(error_of("database: db\nrules: r\ntimezone: Asia/Shangai\n")
                  .message()
                  .find("unknown time zone"),
              std::string::npos);
    EXPECT_NE(error_of("database: db\nrules: r\nlog_level: loud\n").message().find("log_level"),
              std::string::npos);
    const Error silence = error_of("database: db\nrules: r\nfetch:\n  silence: {factor: 0.5}\n");
    EXPECT_NE(silence.message().find("silence factor"), std::string::npos) << silence.message();
    EXPECT_EQ(silence.where(), "/etc/chuhai/chuhai.yaml:4:12");
}

TEST(ConfigLoader, AScalarWhereAListIsRequiredIsAnError) {
    const Error tags = error_of(
        "database: db\n"
        "rules: r\n"
        "sources:\n"
        "  - url: https://a.example/feed\n"
        "    tags: 5\n");
    EXPECT_EQ(tags.kind(), ErrorKind::config);
    EXPECT_EQ(tags.where(), "/etc/chuhai/chuhai.yaml:5:11");
    EXPECT_NE(tags.message().find("'tags' must be a list"), std::string::npos) << tags.message();
    // A single recipient may be written without brackets; anything but an address is refused
    // where it is written.
    const Settings one = parse_settings(
        "database: db\nrules: r\ndigests:\n  - name: m\n    email:\n      from: a@example.org\n"
        "      to: b@example.org\n      smtp: {url: 'smtp://127.0.0.1:25', starttls: none}\n",
        "/etc/chuhai/chuhai.yaml");
    ASSERT_EQ(one.digests.size(), 1u);
    ASSERT_TRUE(one.digests[0].email);
    EXPECT_EQ(one.digests[0].email->to, std::vector<std::string>{"b@example.org"});
    const Error to = error_of(
        "database: db\nrules: r\ndigests:\n  - name: m\n    email:\n      from: a@example.org\n"
        "      to: {b: c}\n      smtp: {url: 'smtp://127.0.0.1:25', starttls: none}\n");
    EXPECT_EQ(to.where(), "/etc/chuhai/chuhai.yaml:7:11");
    EXPECT_NE(to.message().find("'to' lists addresses"), std::string::npos) << to.message();
    const Error nested = error_of(
        "database: db\nrules: r\nsources:\n  - url: https://a.example/feed\n    tags: [[a]]\n");
    EXPECT_NE(nested.message().find("single values"), std::string::npos) << nested.message();
    // An empty list and an absent key are both "no tags".
    EXPECT_TRUE(parse_settings("database: db\nrules: r\nsources:\n  - url: https://a.example/\n"
                               "    tags: []\n",
                               "/etc/chuhai/chuhai.yaml")
                    .sources[0]
                    .tags.empty());
}

TEST(ConfigLoader, ASourceNameDefaultsToTheHostWithoutCredentials) {
    const Settings s = parse_settings(
        "database: db\nrules: r\nsources:\n  - https://reader:pa55word@feeds.example.org:8443/x\n",
        "/etc/chuhai/chuhai.yaml");
    EXPECT_EQ(s.sources[0].name, "feeds.example.org");
}

TEST(ConfigLoader, MissingRequiredKeys) {
    EXPECT_NE(error_of("rules: r\n").message().find("missing required key 'database'"),
              std::string::npos);
    EXPECT_NE(error_of("database: db\n").message().find("missing required key 'rules'"),
              std::string::npos);
    EXPECT_NE(error_of("database: db\nrules: r\nsources:\n  - name: x\n").message().find("'url'"),
              std::string::npos);
    EXPECT_NE(error_of("").message().find("empty"), std::string::npos);
}

TEST(ConfigLoader, SyntaxErrorHasPosition) {
    const Error e = error_of("database: db\nrules: [unclosed\n");
    EXPECT_NE(e.message().find("YAML syntax error"), std::string::npos);
    EXPECT_EQ(e.where().rfind("/etc/chuhai/chuhai.yaml:", 0), 0u) << e.where();
}

TEST(ConfigLoader, DuplicatesAreErrors) {
    EXPECT_NE(error_of("database: a\ndatabase: b\nrules: r\n").message().find("appears twice"),
              std::string::npos);
    EXPECT_NE(
        error_of(
            "database: db\nrules: r\nsources:\n  - https://a.example/\n  - https://a.example/\n")
            .message()
            .find("listed twice"),
        std::string::npos);
}

TEST(ConfigLoader, SecretsNeverInThePlainFile) {
    const std::string base = "database: db\nrules: r\ndigests:\n  - name: m\n";
    EXPECT_NE(
        error_of(
            base +
            "    email:\n      from: a@b\n      to: [c@d]\n      smtp:\n        url: smtp://h\n"
            "        password: hunter2\n")
            .message()
            .find("password_file"),
        std::string::npos);
    EXPECT_NE(error_of(base + "    webhook:\n      url: https://h/\n      secret: s\n")
                  .message()
                  .find("secret_file"),
              std::string::npos);
}

TEST(ConfigLoader, ChannelNeedsExactlyOneDestination) {
    EXPECT_NE(error_of("database: db\nrules: r\ndigests:\n  - name: m\n")
                  .message()
                  .find("email or a webhook"),
              std::string::npos);
}

TEST(ConfigLoader, UnreadableFileIsAConfigErrorNamingIt) {
    testing::TempDir dir;
    try {
        load_settings(dir / "absent.yaml");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::config);
        EXPECT_NE(std::string(e.what()).find("absent.yaml"), std::string::npos);
    }
}

}  // namespace
}  // namespace chuhai::config
