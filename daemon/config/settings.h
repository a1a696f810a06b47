#pragma once
// The configuration file as plain structs with defaults. daemon/config/config_loader.h fills
// them from YAML; docs/configuration.md documents every key. Stages take their own option
// structs; daemon/app/ converts from these.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace chuhai::config {

using Seconds = std::chrono::seconds;

struct SourceSettings {
    std::string url;
    std::string name;  // defaults to the URL's host
    std::vector<std::string> tags;
    std::optional<Seconds> interval;  // overrides fetch.default_interval
    std::string timezone;             // IANA zone for dates without an offset; empty = global
    bool enabled = true;
    bool insecure_skip_tls_verify = false;  // logged at every poll when true
    std::string where;                      // FILE:LINE:COL of the entry, for messages
};

struct FetchSettings {
    Seconds default_interval{15 * 60};
    Seconds min_interval{5 * 60};
    Seconds max_interval{24 * 3600};
    Seconds max_backoff{24 * 3600};
    int max_concurrent = 50;
    int per_host_concurrent = 2;
    Seconds per_host_min_gap{0};
    Seconds connect_timeout{15};
    Seconds low_speed_timeout{30};  // abort when below 1 byte/s for this long
    Seconds total_timeout{120};
    std::size_t max_body_bytes = 20u << 20;
    std::string contact_url;  // put into the User-Agent
};

struct StoreSettings {
    // Text of items that matched nothing is dropped after this long; metadata is kept.
    std::optional<Seconds> unmatched_text_retention = Seconds{90 * 86400};
    // Attempts older than this are pruned from the fetch log (health is kept).
    Seconds fetch_log_retention{30 * 86400};
};

struct SmtpSettings {
    std::string url;                    // smtp://host:587 or smtps://host:465
    std::string starttls = "required";  // "required" or "none" (smtp:// only)
    std::string username;
    std::filesystem::path password_file;  // read at send time, never logged
    std::string password_credential;      // name under $CREDENTIALS_DIRECTORY
    std::filesystem::path ca_file;        // extra CA bundle to trust
    Seconds timeout{60};
};

struct EmailSettings {
    std::string from;
    std::vector<std::string> to;
    std::string subject_prefix = "[chuhai]";
    SmtpSettings smtp;
};

struct WebhookSettings {
    std::string url;
    std::string kind = "json";  // json, slack, discord
    std::filesystem::path secret_file;
    std::string secret_credential;
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
    std::string schedule =
        "daily 08:00";  // immediate | every N(m|h) | daily HH:MM | weekly DAY HH:MM
    std::string timezone = "UTC";
    std::string quiet_hours;  // "22:00-07:00"; empty = none
    ChannelFilters filters;
    int max_stories = 50;
    bool send_empty = false;
    std::optional<EmailSettings> email;
    std::optional<WebhookSettings> webhook;
    std::string where;
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
    MetricsSettings metrics;
};

}  // namespace chuhai::config
