#include "config/config_loader.h"

#include <gtest/gtest.h>

#include "common/error.h"
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
    EXPECT_NE(s.sources[2].where.find("complete.yaml:47:"), std::string::npos)
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
    const auto& slack = s.digests[1];
    EXPECT_EQ(slack.timezone, "Asia/Shanghai");  // inherits the global zone
    ASSERT_TRUE(slack.webhook);
    EXPECT_EQ(slack.webhook->kind, "slack");
    EXPECT_EQ(slack.webhook->secret_credential, "slack-secret");
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
    const Error to = error_of(
        "database: db\nrules: r\ndigests:\n  - name: m\n    email:\n      from: a@example.org\n"
        "      to: b@example.org\n      smtp: {url: 'smtp://127.0.0.1:25'}\n");
    EXPECT_EQ(to.where(), "/etc/chuhai/chuhai.yaml:7:11");
    EXPECT_NE(to.message().find("'to' must be a list"), std::string::npos) << to.message();
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
