#pragma once
// The configuration file as plain structs with defaults. daemon/config/config_loader.h fills
// them from YAML; docs/configuration.md documents every key. Stages take their own option
// structs; daemon/app/ converts from these.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chuhai::config {

using Seconds = std::chrono::seconds;

struct SourceSettings {
    std::string url;
    std::string name;  // defaults to the URL's host
    std::vector<std::string> tags;
    std::optional<Seconds> interval;  // overrides fetch.interval
    std::string timezone;             // IANA zone for dates without an offset; empty = global
    bool enabled = true;
    bool insecure_skip_tls_verify = false;  // logged at every poll when true
    std::string where;                      // FILE:LINE:COL of the entry, for messages
};

struct HostLimits {
    int max_concurrent = 2;  // transfers at once to one host
    Seconds min_gap{0};      // between the starts of two requests to one host
};

struct FetchSettings {
    Seconds interval{15 * 60};  // default poll interval of a source
    Seconds min_interval{5 * 60};
    Seconds max_interval{24 * 3600};
    Seconds first_poll_spread{2 * 60};  // new sources start at random moments in this window
    double jitter = 0.1;                // each interval is scaled by 1 +- jitter
    double backoff_jitter = 0.25;
    Seconds max_backoff{24 * 3600};
    Seconds max_retry_after{24 * 3600};
    int max_concurrent = 50;
    HostLimits per_host;
    std::map<std::string, HostLimits> hosts;  // overrides by host name
    Seconds connect_timeout{15};
    Seconds timeout{120};       // whole transfer, redirects included
    long low_speed_limit = 64;  // bytes/s; slower than this for low_speed_time aborts
    Seconds low_speed_time{30};
    std::size_t max_body_size = 20u << 20;  // after decompression; also the parser's limit
    int max_redirects = 5;
    Seconds stop_grace{10};  // on shutdown, transfers still running after this are aborted
    // "Silent for longer than usual" (store::SilenceRule): no news for factor x the median gap
    // between its arrivals (or 1.5 x its longest recent gap), and at least the floor.
    double silence_factor = 4.0;
    Seconds silence_floor{3600};
    std::string contact_url;  // put into the User-Agent
};

struct StoreSettings {
    // Text of items that matched nothing is dropped after this long; metadata is kept.
    std::optional<Seconds> unmatched_text_retention = Seconds{90 * 86400};
    // Attempts older than this that stored nothing are pruned from the fetch log; attempts that
    // stored items are their provenance and stay (source health is kept regardless).
    Seconds fetch_log_retention{30 * 86400};
    // A database without a reference corpus gets the one chuhai ships (store/corpus/), so that
    // items are measured against the subject from the first poll; false leaves it empty.
    bool shipped_corpus = true;
};

struct SmtpSettings {
    std::string url;                    // smtp://host:587 or smtps://host:465
    std::string starttls = "required";  // smtp:// only: "required" or "none" (a local relay)
    std::string username;
    std::filesystem::path password_file;  // read when the sender is made, never logged
    std::string password_credential;      // name under $CREDENTIALS_DIRECTORY
    std::filesystem::path ca_file;        // CA bundle to trust instead of the system's
    Seconds connect_timeout{20};
    Seconds timeout{120};  // the whole SMTP transaction
};

struct EmailSettings {
    std::string from;             // "Name <address>" or "address", checked at load
    std::vector<std::string> to;  // the same, at least one
    std::string subject_prefix;   // put before the subject with a space, when not empty
    SmtpSettings smtp;
};

struct WebhookSettings {
    std::string url;
    std::string kind = "json";  // json, slack, discord
    std::filesystem::path secret_file;
    std::string secret_credential;
    std::filesystem::path ca_file;
    Seconds connect_timeout{10};
    Seconds timeout{30};
};

struct ChannelFilters {
    std::vector<std::string> topics;       // empty = all
    std::vector<std::string> rules;        // empty = all
    std::vector<std::string> source_tags;  // empty = all
    std::optional<double> min_score;
};

struct ChannelSettings {
    std::string name;
    // immediate | every N(m|h) | daily HH:MM | weekly DAY HH:MM; checked at load.
    std::string schedule = "daily 08:00";
    std::string timezone = "UTC";
    std::string quiet_hours;  // "22:00-07:00"; empty = none; checked at load
    ChannelFilters filters;
    int max_stories = 50;
    bool send_empty = false;
    std::optional<EmailSettings> email;
    std::optional<WebhookSettings> webhook;
    std::string where;
};

// When a digest whose delivery failed for the time being is tried again (deliver/retry.h).
struct RetrySettings {
    Seconds initial_delay{60};
    double multiplier = 2.0;
    Seconds max_delay{3600};
    double jitter = 0.2;
    Seconds max_retry_after{6 * 3600};
};

struct DeliverySettings {
    RetrySettings retry;
    // A digest still undelivered this long after it was built is given up (failed permanently),
    // so that an outbox facing a server that never comes back stays bounded.
    Seconds give_up_after{3 * 86400};
};

struct MetricsSettings {
    bool enabled = false;
    std::string listen = "127.0.0.1:9187";
};

struct Settings {
    std::filesystem::path config_file;  // where these came from
    std::filesystem::path database;
    std::filesystem::path rules;
    std::string log_level = "info";
    std::string timezone = "UTC";  // default for sources and channels
    FetchSettings fetch;
    StoreSettings store;
    std::vector<SourceSettings> sources;
    std::vector<ChannelSettings> digests;
    DeliverySettings delivery;
    MetricsSettings metrics;
};

}  // namespace chuhai::config
