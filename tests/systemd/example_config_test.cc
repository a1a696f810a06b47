// The example configuration installed as /etc/chuhai/chuhai.yaml must load, must hold the
// documented defaults, and must show every key docs/configuration.md's complete example shows.

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <sstream>
#include <string_view>

#include "common/file.h"
#include "config/config_loader.h"
#include "tests/support/test_support.h"

namespace chuhai::config {
namespace {

std::filesystem::path example_path() {
    return std::filesystem::path(CHUHAI_SOURCE_DIR) / "systemd/chuhai.yaml.example";
}

// (No std::regex here: g++ 12 warns falsely inside <regex> under -fsanitize, bug 105562.)

// The word ([a-z_]+) at the start of `text` when a ':' and a space or the end follow it.
std::optional<std::string> key_at(std::string_view text) {
    std::size_t end = 0;
    while (end < text.size() && ((text[end] >= 'a' && text[end] <= 'z') || text[end] == '_'))
        ++end;
    if (end == 0 || end >= text.size() || text[end] != ':')
        return std::nullopt;
    if (end + 1 < text.size() && text[end + 1] != ' ')
        return std::nullopt;
    return std::string(text.substr(0, end));
}

// The keys ("name:") written in a YAML text, commented out or not.
std::set<std::string> keys_in(const std::string& yaml) {
    std::set<std::string> keys;
    std::istringstream lines(yaml);
    for (std::string line; std::getline(lines, line);) {
        std::string_view text(line);
        while (!text.empty() && (text.front() == '#' || text.front() == ' '))
            text.remove_prefix(1);
        if (text.starts_with("- "))
            text.remove_prefix(2);
        if (const auto key = key_at(text))
            keys.insert(*key);
    }
    return keys;
}

// Uncomments the example entries: "#  - x" and "#    key: v" lose their '#'; prose comments
// ("#  # ...", "# text") stay; "sources: []" and "digests: []" open their lists.
std::string uncomment_examples(const std::string& yaml) {
    std::string out;
    std::istringstream lines(yaml);
    for (std::string line; std::getline(lines, line);) {
        if (line == "sources: []" || line == "digests: []") {
            line.resize(line.size() - 3);
        } else if (line.starts_with("#  ")) {
            const std::size_t content = line.find_first_not_of(' ', 1);
            const std::string_view rest = std::string_view(line).substr(content);
            if (rest.starts_with("- ") || key_at(rest))
                line.erase(0, 1);
        }
        out += line + "\n";
    }
    return out;
}

TEST(ExampleConfig, LoadsWithTheDocumentedDefaults) {
    const Settings loaded = load_settings(example_path());
    const Settings defaults;
    EXPECT_EQ(loaded.database, "/var/lib/chuhai/chuhai.db");  // the unit's StateDirectory
    EXPECT_EQ(loaded.rules, "/etc/chuhai/rules");             // where the rules are installed
    EXPECT_EQ(loaded.log_level, defaults.log_level);
    EXPECT_EQ(loaded.timezone, defaults.timezone);

    EXPECT_EQ(loaded.fetch.interval, defaults.fetch.interval);
    EXPECT_EQ(loaded.fetch.min_interval, defaults.fetch.min_interval);
    EXPECT_EQ(loaded.fetch.max_interval, defaults.fetch.max_interval);
    EXPECT_EQ(loaded.fetch.first_poll_spread, defaults.fetch.first_poll_spread);
    EXPECT_EQ(loaded.fetch.jitter, defaults.fetch.jitter);
    EXPECT_EQ(loaded.fetch.backoff_jitter, defaults.fetch.backoff_jitter);
    EXPECT_EQ(loaded.fetch.max_backoff, defaults.fetch.max_backoff);
    EXPECT_EQ(loaded.fetch.max_retry_after, defaults.fetch.max_retry_after);
    EXPECT_EQ(loaded.fetch.max_concurrent, defaults.fetch.max_concurrent);
    EXPECT_EQ(loaded.fetch.per_host.max_concurrent, defaults.fetch.per_host.max_concurrent);
    EXPECT_EQ(loaded.fetch.per_host.min_gap, defaults.fetch.per_host.min_gap);
    EXPECT_TRUE(loaded.fetch.hosts.empty());
    EXPECT_EQ(loaded.fetch.connect_timeout, defaults.fetch.connect_timeout);
    EXPECT_EQ(loaded.fetch.timeout, defaults.fetch.timeout);
    EXPECT_EQ(loaded.fetch.low_speed_limit, defaults.fetch.low_speed_limit);
    EXPECT_EQ(loaded.fetch.low_speed_time, defaults.fetch.low_speed_time);
    EXPECT_EQ(loaded.fetch.max_body_size, defaults.fetch.max_body_size);  // 20MiB
    EXPECT_EQ(loaded.fetch.max_redirects, defaults.fetch.max_redirects);
    EXPECT_EQ(loaded.fetch.stop_grace, defaults.fetch.stop_grace);
    EXPECT_EQ(loaded.fetch.silence_factor, defaults.fetch.silence_factor);
    EXPECT_EQ(loaded.fetch.silence_floor, defaults.fetch.silence_floor);
    EXPECT_EQ(loaded.fetch.contact_url, defaults.fetch.contact_url);

    EXPECT_EQ(loaded.store.unmatched_text_retention, defaults.store.unmatched_text_retention);
    EXPECT_EQ(loaded.store.fetch_log_retention, defaults.store.fetch_log_retention);
    EXPECT_EQ(loaded.metrics.enabled, defaults.metrics.enabled);
    EXPECT_EQ(loaded.metrics.listen, defaults.metrics.listen);
    EXPECT_EQ(loaded.delivery.retry.initial_delay, defaults.delivery.retry.initial_delay);
    EXPECT_EQ(loaded.delivery.retry.multiplier, defaults.delivery.retry.multiplier);
    EXPECT_EQ(loaded.delivery.retry.max_delay, defaults.delivery.retry.max_delay);
    EXPECT_EQ(loaded.delivery.retry.jitter, defaults.delivery.retry.jitter);
    EXPECT_EQ(loaded.delivery.retry.max_retry_after, defaults.delivery.retry.max_retry_after);
    EXPECT_EQ(loaded.delivery.give_up_after, defaults.delivery.give_up_after);
    // Nothing is polled or sent until the administrator says so.
    EXPECT_TRUE(loaded.sources.empty());
    EXPECT_TRUE(loaded.digests.empty());
}

TEST(ExampleConfig, ShowsEveryKeyOfTheDocumentedExample) {
    const std::string docs =
        read_file(std::filesystem::path(CHUHAI_SOURCE_DIR) / "docs/configuration.md");
    const std::size_t begin = docs.find("```yaml\n");
    ASSERT_NE(begin, std::string::npos) << "docs/configuration.md has no yaml example";
    const std::size_t end = docs.find("```", begin + 8);
    const std::set<std::string> documented = keys_in(docs.substr(begin + 8, end - begin - 8));
    ASSERT_GT(documented.size(), 40u) << "the key pattern no longer reads the docs";

    const std::set<std::string> shown = keys_in(read_file(example_path()));
    for (const std::string& key : documented)
        EXPECT_TRUE(shown.contains(key)) << "the example config does not show '" << key << "'";
    // Keys beyond the documented example must at least be documented somewhere in the page.
    for (const std::string& key : shown)
        EXPECT_TRUE(documented.contains(key) || docs.find("`" + key + "`") != std::string::npos)
            << "'" << key << "' is not documented in docs/configuration.md";
}

TEST(ExampleConfig, ItsCommentedChannelsLoadOnceUncommented) {
    // The commented-out examples are meant to be uncommented: they must be valid too.
    const std::string yaml = uncomment_examples(read_file(example_path()));
    const Settings loaded = parse_settings(yaml, "/etc/chuhai/chuhai.yaml");
    ASSERT_EQ(loaded.sources.size(), 2u);
    EXPECT_EQ(loaded.sources[1].name, "科技出海观察");
    ASSERT_EQ(loaded.digests.size(), 2u);
    ASSERT_TRUE(loaded.digests[0].email);
    EXPECT_EQ(loaded.digests[0].email->smtp.password_credential, "chuhai.smtp-password");
    EXPECT_EQ(loaded.digests[0].email->smtp.timeout, SmtpSettings{}.timeout);
    ASSERT_TRUE(loaded.digests[1].webhook);
    EXPECT_EQ(loaded.digests[1].webhook->secret_credential, "chuhai.webhook-secret");
}

}  // namespace
}  // namespace chuhai::config
