#include "config/config_loader.h"

#include <date/tz.h>

#include <set>

#include "common/error.h"
#include "common/file.h"
#include "common/log.h"
#include "common/time.h"
#include "config/delivery_settings.h"
#include "config/yaml_reader.h"

namespace chuhai::config {

namespace {

constexpr std::size_t kMaxConfigBytes = 16u << 20;

void check_timezone(const MapReader& reader, const YAML::Node& node, const std::string& zone) {
    try {
        (void)date::locate_zone(zone);
    } catch (const std::exception&) {
        reader.fail(node,
                    "unknown time zone '" + zone + "' (use an IANA name such as Asia/Shanghai)");
    }
}

void read_timezone(MapReader& reader, const std::string& key, std::string& out) {
    reader.optional_node(key, [&](const YAML::Node& node) {
        std::string zone;
        if (!node.IsScalar())
            reader.fail(node, "'" + key + "' must be a time zone name");
        zone = node.Scalar();
        check_timezone(reader, node, zone);
        out = zone;
    });
}

bool is_http_url(const std::string& url) {
    return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

}  // namespace

std::string default_source_name(const std::string& url) {
    const auto start = url.find("://");
    if (start == std::string::npos)
        return url;
    auto host_start = start + 3;
    const auto authority_end = url.find_first_of("/?#", host_start);
    // "user:password@host": the name is the host, never the credentials before it.
    const auto at = url.rfind('@', authority_end == std::string::npos ? url.size() : authority_end);
    if (at != std::string::npos && at >= host_start)
        host_start = at + 1;
    const auto end = url.find_first_of("/:?#", host_start);
    return url.substr(host_start, end == std::string::npos ? std::string::npos : end - host_start);
}

namespace {

SourceSettings read_source(const YAML::Node& node, const std::filesystem::path& file) {
    SourceSettings source;
    if (node.IsScalar()) {  // "- https://example.com/feed.xml" is a source with defaults
        source.url = node.Scalar();
        source.where = location(file, node);
    } else {
        MapReader reader(node, file, "source");
        source.where = reader.where();
        reader.required_string("url", source.url);
        reader.optional_string("name", source.name);
        reader.optional_string_list("tags", source.tags);
        reader.optional_duration("interval", source.interval);
        read_timezone(reader, "timezone", source.timezone);
        reader.optional_bool("enabled", source.enabled);
        reader.optional_bool("insecure_skip_tls_verify", source.insecure_skip_tls_verify);
        reader.reject_unknown_keys();
    }
    if (!is_http_url(source.url)) {
        throw Error(ErrorKind::config,
                    "source url must start with http:// or https://: '" + source.url + "'",
                    source.where);
    }
    if (source.name.empty())
        source.name = default_source_name(source.url);
    return source;
}

void read_host_limits(const YAML::Node& node, const std::filesystem::path& file, HostLimits& limits,
                      const std::string& what) {
    MapReader reader(node, file, what);
    reader.optional_int("max_concurrent", limits.max_concurrent, 1, 100);
    reader.optional_duration("min_gap", limits.min_gap);
    reader.reject_unknown_keys();
}

// A timeout below one second would turn every delivery or fetch into a failure.
void read_timeout(MapReader& reader, const YAML::Node& node, const std::string& key, Seconds& out) {
    reader.optional_duration(key, out);
    if (out.count() < 1)
        reader.fail(node[key], "'" + key + "' must be at least 1s");
}

void read_fetch(const YAML::Node& node, const std::filesystem::path& file, FetchSettings& fetch) {
    MapReader reader(node, file, "fetch section");
    reader.optional_duration("interval", fetch.interval);
    reader.optional_duration("min_interval", fetch.min_interval);
    reader.optional_duration("max_interval", fetch.max_interval);
    reader.optional_duration("first_poll_spread", fetch.first_poll_spread);
    reader.optional_double("jitter", fetch.jitter);
    reader.optional_double("backoff_jitter", fetch.backoff_jitter);
    reader.optional_duration("max_backoff", fetch.max_backoff);
    reader.optional_duration("max_retry_after", fetch.max_retry_after);
    reader.optional_int("max_concurrent", fetch.max_concurrent, 1, 1000);
    reader.optional_node("per_host", [&](const YAML::Node& value) {
        read_host_limits(value, file, fetch.per_host, "per_host section");
    });
    reader.optional_node("hosts", [&](const YAML::Node& value) {
        MapReader hosts(value, file, "hosts section");
        for (const auto& entry : value) {
            const std::string host = entry.first.Scalar();
            HostLimits limits = fetch.per_host;
            hosts.optional_node(host, [&](const YAML::Node& limits_node) {
                read_host_limits(limits_node, file, limits, "host section");
            });
            fetch.hosts[host] = limits;
        }
    });
    read_timeout(reader, node, "connect_timeout", fetch.connect_timeout);
    read_timeout(reader, node, "timeout", fetch.timeout);
    int low_speed_limit = static_cast<int>(fetch.low_speed_limit);
    reader.optional_int("low_speed_limit", low_speed_limit, 1, 1 << 30);
    fetch.low_speed_limit = low_speed_limit;
    read_timeout(reader, node, "low_speed_time", fetch.low_speed_time);
    reader.optional_size("max_body_size", fetch.max_body_size);
    reader.optional_int("max_redirects", fetch.max_redirects, 0, 5);
    reader.optional_duration("stop_grace", fetch.stop_grace);
    reader.optional_node("silence", [&](const YAML::Node& value) {
        MapReader silence(value, file, "silence section");
        silence.optional_double("factor", fetch.silence_factor);
        silence.optional_duration("floor", fetch.silence_floor);
        silence.reject_unknown_keys();
        if (!(fetch.silence_factor >= 1 && fetch.silence_factor <= 1000)) {
            throw Error(ErrorKind::config, "silence factor must be between 1 and 1000",
                        silence.where());
        }
    });
    reader.optional_string("contact_url", fetch.contact_url);
    reader.reject_unknown_keys();
    if (fetch.min_interval > fetch.max_interval) {
        throw Error(ErrorKind::config, "min_interval is longer than max_interval", reader.where());
    }
    if (fetch.min_interval.count() == 0) {
        throw Error(ErrorKind::config, "min_interval must be at least 1s", reader.where());
    }
    if (fetch.jitter < 0 || fetch.jitter >= 1 || fetch.backoff_jitter < 0 ||
        fetch.backoff_jitter >= 1) {
        throw Error(ErrorKind::config, "jitter and backoff_jitter must be at least 0 and below 1",
                    reader.where());
    }
    if (fetch.max_body_size < 1024) {
        throw Error(ErrorKind::config, "max_body_size must be at least 1KiB", reader.where());
    }
}

void read_store(const YAML::Node& node, const std::filesystem::path& file, StoreSettings& store) {
    MapReader reader(node, file, "store section");
    reader.optional_node("unmatched_text_retention", [&](const YAML::Node& value) {
        const std::string text = value.IsScalar() ? value.Scalar() : std::string();
        if (text == "forever") {
            store.unmatched_text_retention.reset();
            return;
        }
        const auto retention = parse_duration(text);
        if (!retention)
            reader.fail(value,
                        "unmatched_text_retention must be a duration such as 90d, or forever");
        store.unmatched_text_retention = *retention;
    });
    reader.optional_duration("fetch_log_retention", store.fetch_log_retention);
    reader.optional_bool("shipped_corpus", store.shipped_corpus);
    reader.reject_unknown_keys();
}

// Both a file and a credential for one secret is a mistake the loader names.
void check_one_secret_source(const MapReader& reader, const YAML::Node& node,
                             const std::filesystem::path& secret_file,
                             const std::string& credential, const std::string& file_key,
                             const std::string& credential_key) {
    if (!secret_file.empty() && !credential.empty()) {
        reader.fail(node[credential_key],
                    "give either " + file_key + " or " + credential_key + ", not both");
    }
    if (credential.find('/') != std::string::npos || credential == "." || credential == "..") {
        reader.fail(node[credential_key],
                    credential_key + " names a file in $CREDENTIALS_DIRECTORY: a plain file name");
    }
}

SmtpSettings read_smtp(const YAML::Node& node, const std::filesystem::path& file) {
    SmtpSettings smtp;
    MapReader reader(node, file, "smtp section");
    reader.required_string("url", smtp.url);
    if (smtp.url.rfind("smtp://", 0) != 0 && smtp.url.rfind("smtps://", 0) != 0) {
        reader.fail(node["url"], "smtp url must start with smtp:// or smtps://");
    }
    reader.optional_string("starttls", smtp.starttls);
    if (smtp.starttls != "required" && smtp.starttls != "none") {
        reader.fail(node["starttls"], "starttls must be 'required' or 'none'");
    }
    if (smtp.url.rfind("smtps://", 0) == 0 && reader.has("starttls")) {
        reader.fail(node["starttls"],
                    "smtps:// is TLS from the first byte; starttls applies to smtp:// URLs only "
                    "(remove it)");
    }
    reader.optional_string("username", smtp.username);
    reader.optional_path("password_file", smtp.password_file);
    reader.optional_string("password_credential", smtp.password_credential);
    reader.optional_path("ca_file", smtp.ca_file);
    read_timeout(reader, node, "connect_timeout", smtp.connect_timeout);
    read_timeout(reader, node, "timeout", smtp.timeout);
    if (reader.has("password")) {
        reader.fail(node["password"],
                    "passwords are not read from the config file; use password_file or "
                    "password_credential (a systemd credential)");
    }
    reader.reject_unknown_keys();
    check_one_secret_source(reader, node, smtp.password_file, smtp.password_credential,
                            "password_file", "password_credential");
    if (!smtp.username.empty() && smtp.password_file.empty() && smtp.password_credential.empty()) {
        throw Error(ErrorKind::config,
                    "smtp username given without password_file or password_credential",
                    reader.where());
    }
    // What the sender would refuse (a password in clear text to another machine, a URL without
    // a host) is refused now, at the line that says it.
    deliver::check_smtp_settings(smtp_settings(smtp), reader.where(node["url"]));
    return smtp;
}

EmailSettings read_email(const YAML::Node& node, const std::filesystem::path& file) {
    EmailSettings email;
    MapReader reader(node, file, "email section");
    reader.required_string("from", email.from);
    (void)deliver::parse_mailbox(email.from, reader.where(node["from"]));
    reader.optional_node("to", [&](const YAML::Node& value) {
        // Each address is checked where it is written.
        const auto add = [&](const YAML::Node& element) {
            if (!element.IsScalar())
                reader.fail(element, "'to' lists addresses such as \"Name <a@example.org>\"");
            (void)deliver::parse_mailbox(element.Scalar(), reader.where(element));
            email.to.push_back(element.Scalar());
        };
        if (value.IsSequence()) {
            for (const auto& element : value)
                add(element);
        } else {
            add(value);
        }
    });
    if (email.to.empty()) {
        throw Error(ErrorKind::config, "email needs at least one recipient in 'to'",
                    reader.where());
    }
    reader.optional_string("subject_prefix", email.subject_prefix);
    if (!reader.has("smtp")) {
        throw Error(ErrorKind::config, "missing required key 'smtp' in this email section",
                    reader.where());
    }
    reader.optional_node("smtp",
                         [&](const YAML::Node& value) { email.smtp = read_smtp(value, file); });
    reader.reject_unknown_keys();
    return email;
}

WebhookSettings read_webhook(const YAML::Node& node, const std::filesystem::path& file) {
    WebhookSettings webhook;
    MapReader reader(node, file, "webhook section");
    reader.required_string("url", webhook.url);
    if (!is_http_url(webhook.url))
        reader.fail(node["url"], "webhook url must start with http:// or https://");
    reader.optional_string("kind", webhook.kind);
    if (webhook.kind != "json" && webhook.kind != "slack" && webhook.kind != "discord") {
        reader.fail(node["kind"], "webhook kind must be json, slack or discord");
    }
    reader.optional_path("secret_file", webhook.secret_file);
    reader.optional_string("secret_credential", webhook.secret_credential);
    reader.optional_path("ca_file", webhook.ca_file);
    read_timeout(reader, node, "connect_timeout", webhook.connect_timeout);
    read_timeout(reader, node, "timeout", webhook.timeout);
    if (reader.has("secret")) {
        reader.fail(
            node["secret"],
            "secrets are not read from the config file; use secret_file or secret_credential");
    }
    reader.reject_unknown_keys();
    check_one_secret_source(reader, node, webhook.secret_file, webhook.secret_credential,
                            "secret_file", "secret_credential");
    const std::string url_where = reader.where(node["url"]);
    deliver::check_webhook_settings(webhook_settings(webhook, url_where), url_where);
    return webhook;
}

ChannelSettings read_channel(const YAML::Node& node, const std::filesystem::path& file,
                             const std::string& default_timezone) {
    ChannelSettings channel;
    channel.timezone = default_timezone;
    MapReader reader(node, file, "digest channel");
    channel.where = reader.where();
    reader.required_string("name", channel.name);
    if (channel.name.find_first_not_of(" \t") == std::string::npos)
        reader.fail(node["name"], "a digest channel's name must not be empty");
    reader.optional_string("schedule", channel.schedule);
    read_timezone(reader, "timezone", channel.timezone);
    reader.optional_string("quiet_hours", channel.quiet_hours);
    // Checked with the digest stage's own parser, each where it is written.
    {
        ChannelSettings schedule_only = channel;
        schedule_only.quiet_hours.clear();
        (void)channel_schedule(
            schedule_only, reader.has("schedule") ? reader.where(node["schedule"]) : channel.where);
        if (!channel.quiet_hours.empty())
            (void)channel_schedule(channel, reader.where(node["quiet_hours"]));
    }
    reader.optional_int("max_stories", channel.max_stories, 1, 1000);
    reader.optional_bool("send_empty", channel.send_empty);
    reader.optional_node("filters", [&](const YAML::Node& value) {
        MapReader filters(value, file, "filters section");
        filters.optional_string_list("topics", channel.filters.topics);
        filters.optional_string_list("rules", channel.filters.rules);
        filters.optional_string_list("source_tags", channel.filters.source_tags);
        filters.optional_double("min_score", channel.filters.min_score);
        // Scores are never negative, so a negative minimum filters nothing: a typo, refused.
        if (channel.filters.min_score && !(*channel.filters.min_score >= 0))
            filters.fail(value["min_score"], "min_score must be 0 or more");
        filters.reject_unknown_keys();
    });
    reader.optional_node("email",
                         [&](const YAML::Node& value) { channel.email = read_email(value, file); });
    reader.optional_node(
        "webhook", [&](const YAML::Node& value) { channel.webhook = read_webhook(value, file); });
    reader.reject_unknown_keys();
    if (!channel.email && !channel.webhook) {
        throw Error(ErrorKind::config,
                    "digest channel '" + channel.name + "' needs an email or a webhook section",
                    channel.where);
    }
    if (channel.email && channel.webhook) {
        throw Error(
            ErrorKind::config,
            "digest channel '" + channel.name + "' has both email and webhook; make two channels",
            channel.where);
    }
    return channel;
}

void read_delivery(const YAML::Node& node, const std::filesystem::path& file,
                   DeliverySettings& delivery) {
    MapReader reader(node, file, "delivery section");
    reader.optional_node("retry", [&](const YAML::Node& value) {
        MapReader retry(value, file, "retry section");
        RetrySettings& r = delivery.retry;
        retry.optional_duration("initial_delay", r.initial_delay);
        retry.optional_double("multiplier", r.multiplier);
        retry.optional_duration("max_delay", r.max_delay);
        retry.optional_double("jitter", r.jitter);
        retry.optional_duration("max_retry_after", r.max_retry_after);
        retry.reject_unknown_keys();
        // A value that contradicts a default is reported where it is written, or at the
        // section when neither is written.
        const auto fail_at = [&](const std::string& key, const std::string& message) {
            throw Error(ErrorKind::config, message,
                        retry.has(key) ? retry.where(value[key]) : retry.where());
        };
        if (r.initial_delay.count() < 1)
            fail_at("initial_delay", "initial_delay must be at least 1s");
        if (!(r.multiplier >= 1.0 && r.multiplier <= 100.0))
            fail_at("multiplier", "multiplier must lie between 1 and 100");
        if (r.max_delay < r.initial_delay) {
            fail_at(retry.has("max_delay") ? "max_delay" : "initial_delay",
                    "max_delay (" + format_duration(r.max_delay) +
                        ") must be at least initial_delay (" + format_duration(r.initial_delay) +
                        ")");
        }
        if (!(r.jitter >= 0.0 && r.jitter < 1.0))
            fail_at("jitter", "jitter must be at least 0 and below 1");
        if (r.max_retry_after.count() < 1)
            fail_at("max_retry_after", "max_retry_after must be at least 1s");
    });
    reader.optional_duration("give_up_after", delivery.give_up_after);
    reader.reject_unknown_keys();
    if (delivery.give_up_after < delivery.retry.max_delay) {
        throw Error(
            ErrorKind::config,
            "give_up_after must be at least the retry's max_delay (" +
                format_duration(delivery.retry.max_delay) + ")",
            reader.has("give_up_after") ? reader.where(node["give_up_after"]) : reader.where());
    }
}

void read_metrics(const YAML::Node& node, const std::filesystem::path& file,
                  MetricsSettings& metrics) {
    MapReader reader(node, file, "metrics section");
    reader.optional_bool("enabled", metrics.enabled);
    reader.optional_string("listen", metrics.listen);
    reader.reject_unknown_keys();
}

template <typename Read>
void read_list(const YAML::Node& node, const MapReader& reader, const std::string& key, Read read) {
    if (!node.IsSequence())
        reader.fail(node, "'" + key + "' must be a list");
    for (const auto& element : node)
        read(element);
}

}  // namespace

Settings parse_settings(std::string_view yaml, const std::filesystem::path& file) {
    const YAML::Node root = parse_yaml(yaml, file);
    if (!root.IsDefined() || root.IsNull()) {
        throw Error(ErrorKind::config, "the configuration file is empty", file.string());
    }
    Settings settings;
    settings.config_file = file;
    MapReader reader(root, file, "configuration");
    reader.required_path("database", settings.database);
    reader.required_path("rules", settings.rules);
    reader.optional_string("log_level", settings.log_level);
    if (!parse_log_level(settings.log_level)) {
        reader.fail(root["log_level"], "log_level must be trace, debug, info, warn, error or off");
    }
    read_timezone(reader, "timezone", settings.timezone);
    reader.optional_node("fetch",
                         [&](const YAML::Node& node) { read_fetch(node, file, settings.fetch); });
    reader.optional_node("store",
                         [&](const YAML::Node& node) { read_store(node, file, settings.store); });
    reader.optional_node(
        "metrics", [&](const YAML::Node& node) { read_metrics(node, file, settings.metrics); });
    reader.optional_node(
        "delivery", [&](const YAML::Node& node) { read_delivery(node, file, settings.delivery); });
    reader.optional_node("sources", [&](const YAML::Node& node) {
        read_list(node, reader, "sources", [&](const YAML::Node& element) {
            settings.sources.push_back(read_source(element, file));
        });
    });
    reader.optional_node("digests", [&](const YAML::Node& node) {
        read_list(node, reader, "digests", [&](const YAML::Node& element) {
            settings.digests.push_back(read_channel(element, file, settings.timezone));
        });
    });
    reader.reject_unknown_keys();

    std::set<std::string> urls;
    for (const auto& source : settings.sources) {
        if (!urls.insert(source.url).second) {
            throw Error(ErrorKind::config, "source " + source.url + " is listed twice",
                        source.where);
        }
    }
    std::set<std::string> channels;
    for (const auto& channel : settings.digests) {
        if (!channels.insert(channel.name).second) {
            throw Error(ErrorKind::config, "digest channel '" + channel.name + "' is defined twice",
                        channel.where);
        }
    }
    return settings;
}

Settings load_settings(const std::filesystem::path& file) {
    std::string text;
    try {
        text = read_file(file, kMaxConfigBytes);
    } catch (const Error& e) {
        throw Error(ErrorKind::config, "cannot read the configuration: " + e.message(),
                    file.string());
    }
    const auto absolute = std::filesystem::absolute(file).lexically_normal();
    return parse_settings(text, absolute);
}

}  // namespace chuhai::config
