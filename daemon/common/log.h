#pragma once
// Process-wide logging through spdlog's default logger. Every stage logs with spdlog::info(...)
// etc. Logging never throws into the caller: the sinks swallow their own failures.
//
// Where lines go: under systemd (JOURNAL_STREAM names the stream stderr is connected to) every
// message becomes one journal entry with a syslog PRIORITY= and no timestamp of ours (the journal
// stamps entries itself); anywhere else, human-readable lines with a timestamp on stderr.
//
// Secrets never reach a sink: every message passes through redact_secrets() first, which masks
// the secrets registered with register_secret() and the credentials found in URLs. A message
// longer than kMaxLogMessageBytes is cut there (at a UTF-8 boundary) and says how much was
// dropped, so a huge server response quoted in an error cannot flood the journal.

#include <spdlog/spdlog.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chuhai {

enum class LogTarget {
    automatic,  // the journal when started by systemd (JOURNAL_STREAM matches stderr), else stderr
    stderr_text,
    journal,
};

inline constexpr std::size_t kMaxLogMessageBytes = 64 * 1024;

// Parses "trace", "debug", "info", "warn"/"warning", "error", "critical", "off".
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// Replaces the default logger. Safe to call again (on reload) with another level.
void init_logging(spdlog::level::level_enum level, LogTarget target = LogTarget::automatic);

// Sends one journal entry made of "FIELD=value" strings (MESSAGE=, PRIORITY=, ...). Returns 0, or
// a negative errno when the journal cannot take it; the entry then goes to stderr instead, with
// a "<N>" priority prefix that journald's stream reader understands.
using JournalWriter = std::function<int(const std::vector<std::string>& fields)>;

// init_logging() with the journal target and another writer than sd_journal_sendv(); for tests.
void init_logging_to_journal(spdlog::level::level_enum level, JournalWriter writer);

// True when the JOURNAL_STREAM environment variable ("DEVICE:INODE") names the file `fd` is
// open on, which is how systemd says "this stream is connected to the journal".
bool journal_stream_matches(int fd);

// The syslog priority (0 emerg … 7 debug) the journal stores for an spdlog level.
int journal_priority(spdlog::level::level_enum level);

// --- Secrets ------------------------------------------------------------------------------------

// From now on, `secret` is replaced by "[REDACTED]" wherever it appears in a log message. Call it
// with every password, token or webhook secret as soon as it is read. Secrets shorter than
// kMinSecretLength bytes are not registered (masking them would garble every line that happens
// to contain those characters); the caller should refuse or warn about such secrets.
void register_secret(std::string_view secret);
inline constexpr std::size_t kMinSecretLength = 4;

// Registers the secrets a URL carries, as written and percent-decoded: the password of
// "user:password@" (also without a scheme, as proxy variables are often written), the values of
// query parameters that redact_url() masks, and the secret path of Slack and Discord webhook
// URLs. For every URL read from configuration, the database or the environment, so that the
// secret is masked even where it shows up outside the URL (a decoded password in a server's
// error text, a proxy address quoted without its scheme).
void register_url_secrets(std::string_view url);

// register_url_secrets() for the proxy variables libcurl reads (http_proxy, https_proxy,
// all_proxy, in either case).
void register_proxy_secrets();

// Forgets every registered secret; for tests.
void clear_registered_secrets();

// What every log message goes through: masks the registered secrets, then each URL in the text
// through redact_url().
std::string redact_secrets(std::string_view text);

// The URL with its credentials masked, for messages: the password of "user:password@" becomes
// "***"; the values of query parameters that usually carry secrets (token, key, secret,
// password, signature, auth, ...) become "***"; and the path of Slack and Discord webhook URLs,
// which is itself the secret, becomes "/***". Anything else is returned unchanged.
std::string redact_url(std::string_view url);

}  // namespace chuhai
