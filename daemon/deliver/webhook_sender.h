#pragma once
// Posts digests to webhooks with libcurl: generic JSON (the versioned chuhai.digest schema),
// Slack-compatible or Discord-compatible payloads. Each request carries the digest's
// idempotency key and, when a secret is configured, an HMAC-SHA256 signature (signature.h).
// Only a 2xx answer counts as delivered; 5xx, 429 and network trouble are temporary (with the
// server's Retry-After), every other answer permanent. Redirects are not followed: a webhook
// URL that redirects is a configuration to fix.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"
#include "deliver/outcome.h"
#include "deliver/prepared.h"
#include "deliver/secret.h"
#include "digest/digest.h"

namespace chuhai::deliver {

struct WebhookSettings {
    std::string url;  // http(s)://...
    WebhookFormat format = WebhookFormat::json;
    SecretSource secret;            // optional: no signature header without it
    std::filesystem::path ca_file;  // trust this CA bundle instead of the system's
    std::chrono::seconds connect_timeout{10};
    std::chrono::seconds timeout{30};
};

// The body for `format`: render_json / render_slack / render_discord.
std::string render_webhook_body(const digest::Digest& digest, WebhookFormat format);

// The body of `chuhai digest test` for a webhook: a short message naming the channel and the
// time, in the format's own shape ({"schema": "chuhai.test", ...}, Slack "text", Discord
// "content" with mentions off).
std::string render_webhook_test_body(WebhookFormat format, std::string_view channel, UtcTime now);

// What WebhookSender's constructor checks before it reads the secret: an http(s) URL with a
// host. Throws Error(config) naming `where`.
void check_webhook_settings(const WebhookSettings& settings, std::string_view where = {});

// Retry-After as delta-seconds ("120") or an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT",
// converted against `now`, never negative); nullopt when it is neither.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, UtcTime now);

class WebhookSender final : public DeliverySender {
  public:
    // Validates the URL (http or https; plain http to another host is logged as a warning) and
    // loads the secret. Throws Error(config) naming `where`. `clock` stamps signatures; it must
    // outlive the sender (the system clock when null).
    explicit WebhookSender(WebhookSettings settings, std::string_view where = {},
                           const Clock* clock = nullptr);

    // One POST of `body` with `idempotency_key` (ASCII, no control characters; else
    // Error(config)). Never throws for what the network or the server does. Thread-safe.
    DeliveryOutcome send(std::string_view body, std::string_view idempotency_key) const;

    // Renders the digest for this webhook's format and sends it with the digest id as key.
    DeliveryOutcome send(const digest::Digest& digest) const;

    // A prepared webhook body from the outbox, with its digest id as the idempotency key. The
    // signature is made now (its timestamp is part of the replay protection).
    DeliveryOutcome deliver(const PreparedDelivery& delivery) const override;

    // `chuhai digest test`: render_webhook_test_body() sent with a fresh idempotency key; the
    // outcome holds the server's answer.
    DeliveryOutcome send_test_message(std::string_view channel, UtcTime now) const;

    const WebhookSettings& settings() const { return settings_; }

    // What this webhook's format makes of `digest`, ready for the outbox.
    PreparedDelivery prepare(const digest::Digest& digest) const {
        return prepare_webhook(digest, settings_.format);
    }

  private:
    WebhookSettings settings_;
    Secret secret_;
    const Clock* clock_;
};

}  // namespace chuhai::deliver
