#include "deliver/webhook_sender.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/log.h"
#include "common/version.h"
#include "deliver/curl_handles.h"
#include "deliver/retry.h"
#include "deliver/signature.h"
#include "digest/render.h"

namespace chuhai::deliver {

namespace {

using detail::set_option;

// What came back: the status line resets what an interim (1xx) response left behind.
struct HttpResponse {
    std::string body;  // at most kMaxReplyBytes; the rest is read and dropped
    std::string retry_after;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* response = static_cast<HttpResponse*>(user);
    const std::size_t n = size * count;
    if (response->body.size() < kMaxReplyBytes) {
        try {
            response->body.append(data, std::min(n, kMaxReplyBytes - response->body.size()));
        } catch (...) {
            return 0;  // aborts the transfer: reported as a temporary failure
        }
    }
    return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* response = static_cast<HttpResponse*>(user);
    const std::size_t n = size * count;
    const std::string_view line(data, n);
    try {
        if (line.starts_with("HTTP/")) {
            response->retry_after.clear();
        } else if (line.size() > 12 && strncasecmp(line.data(), "retry-after:", 12) == 0) {
            std::string_view value = line.substr(12);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
                value.remove_prefix(1);
            while (!value.empty() &&
                   (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
                value.remove_suffix(1);
            response->retry_after = std::string(value.substr(0, 64));
        }
    } catch (...) {
        return 0;
    }
    return n;
}

DeliveryStatus status_for_http(long code) {
    if (code >= 200 && code < 300)
        return DeliveryStatus::delivered;
    if (code == 429 || code >= 500)
        return DeliveryStatus::temporary_failure;
    return DeliveryStatus::permanent_failure;
}

DeliveryStatus status_for_curl_error(CURLcode rc) {
    switch (rc) {
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
            return DeliveryStatus::permanent_failure;
        default:
            return DeliveryStatus::temporary_failure;
    }
}

bool valid_idempotency_key(std::string_view key) {
    return !key.empty() && key.size() <= 255 &&
           std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

}  // namespace

WebhookFormat parse_webhook_format(std::string_view text, std::string_view where) {
    if (text == "json")
        return WebhookFormat::json;
    if (text == "slack")
        return WebhookFormat::slack;
    if (text == "discord")
        return WebhookFormat::discord;
    throw Error(
        ErrorKind::config,
        "invalid webhook kind '" + std::string(text) + "' (expected json, slack or discord)",
        std::string(where));
}

const char* to_string(WebhookFormat format) {
    switch (format) {
        case WebhookFormat::json:
            return "json";
        case WebhookFormat::slack:
            return "slack";
        case WebhookFormat::discord:
            return "discord";
    }
    return "unknown";
}

std::string render_webhook_body(const digest::Digest& digest, WebhookFormat format) {
    switch (format) {
        case WebhookFormat::slack:
            return digest::render_slack(digest);
        case WebhookFormat::discord:
            return digest::render_discord(digest);
        case WebhookFormat::json:
            break;
    }
    return digest::render_json(digest);
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, UtcTime now) {
    using namespace std::chrono;
    if (value.empty())
        return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        long long n = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc{} || end != value.data() + value.size())
            return seconds{365LL * 86400};  // absurdly large: the retry policy clamps it
        return seconds{n};
    }
    // IMF-fixdate: "Wed, 21 Oct 2015 07:28:00 GMT".
    static constexpr std::array<std::string_view, 12> kMonths = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (value.size() != 29 || value[3] != ',' || value.substr(25) != " GMT")
        return std::nullopt;
    auto number = [&](std::size_t pos, std::size_t len, int& out) {
        const auto [end, ec] = std::from_chars(value.data() + pos, value.data() + pos + len, out);
        return ec == std::errc{} && end == value.data() + pos + len;
    };
    int d = 0, y = 0, h = 0, mi = 0, s = 0;
    const auto month = std::find(kMonths.begin(), kMonths.end(), value.substr(8, 3));
    if (month == kMonths.end() || !number(5, 2, d) || !number(12, 4, y) || !number(17, 2, h) ||
        !number(20, 2, mi) || !number(23, 2, s))
        return std::nullopt;
    const year_month_day ymd{year{y},
                             std::chrono::month{static_cast<unsigned>(month - kMonths.begin() + 1)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 60)
        return std::nullopt;
    const UtcTime when = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
    return when > now ? when - now : seconds{0};
}

void check_webhook_settings(const WebhookSettings& settings, std::string_view where) {
    const std::string at(where);
    const auto url = detail::parse_url(settings.url, at);
    if (url.scheme != "http" && url.scheme != "https") {
        throw Error(ErrorKind::config,
                    "webhook URL must start with https:// or http://: '" + settings.url + "'", at);
    }
    if (url.host.empty())
        throw Error(ErrorKind::config, "webhook URL has no host: '" + settings.url + "'", at);
}

std::string render_webhook_test_body(WebhookFormat format, std::string_view channel, UtcTime now) {
    const std::string name(channel);
    const std::string text = "chuhai test message for the channel \"" + name + "\", sent at " +
                             format_rfc3339(now) +
                             ". If it arrived, digests will reach this webhook the same way.";
    nlohmann::json body;
    switch (format) {
        case WebhookFormat::slack:
            body = {{"text", digest::slack_escape(text)}};
            break;
        case WebhookFormat::discord:
            body = {{"content", text}, {"allowed_mentions", {{"parse", nlohmann::json::array()}}}};
            break;
        case WebhookFormat::json:
            body = {{"schema", "chuhai.test"},
                    {"version", 1},
                    {"channel", name},
                    {"sent", format_rfc3339(now)},
                    {"text", text}};
            break;
    }
    // Invalid UTF-8 in a channel name is replaced rather than refused: this is a test message.
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

WebhookSender::WebhookSender(WebhookSettings settings, std::string_view where, const Clock* clock)
    : settings_(std::move(settings)), clock_(clock) {
    const std::string at(where);
    check_webhook_settings(settings_, where);
    const auto url = detail::parse_url(settings_.url, at);
    if (url.scheme == "http" && !detail::is_loopback_host(url.host)) {
        spdlog::warn("{}: webhook to {} over plain http: the digest travels unencrypted", at,
                     url.host);
    }
    if (!settings_.secret.empty())
        secret_ = load_secret(settings_.secret, "webhook secret");
    if (!settings_.ca_file.empty() && !std::filesystem::is_regular_file(settings_.ca_file))
        throw Error(ErrorKind::config, "CA file not found", settings_.ca_file.string());
}

DeliveryOutcome WebhookSender::send(std::string_view body, std::string_view idempotency_key) const {
    if (!valid_idempotency_key(idempotency_key))
        throw Error(ErrorKind::config, "invalid idempotency key");
    static const SystemClock system_clock;
    const Clock& clock = clock_ != nullptr ? *clock_ : system_clock;
    const UtcTime now = clock.now();

    detail::CurlList headers;
    headers.append("Content-Type: application/json; charset=utf-8");
    headers.append(std::string(kIdempotencyHeader) + ": " + std::string(idempotency_key));
    if (!secret_.empty()) {
        headers.append(std::string(kSignatureHeader) + ": " +
                       signature_header_value(secret_.reveal(), now, body));
    }
    headers.append("Expect:");  // no 100-continue round trip
    const std::string user_agent = std::string("chuhai/") + kVersion;
    HttpResponse response;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    auto handle = detail::make_easy_handle();
    CURL* h = handle.get();

    set_option(h, CURLOPT_URL, settings_.url.c_str(), "CURLOPT_URL");
    set_option(h, CURLOPT_PROTOCOLS_STR, "http,https", "CURLOPT_PROTOCOLS_STR");
    set_option(h, CURLOPT_POST, 1L, "CURLOPT_POST");
    set_option(h, CURLOPT_POSTFIELDS, body.data(), "CURLOPT_POSTFIELDS");
    set_option(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()),
               "CURLOPT_POSTFIELDSIZE_LARGE");
    set_option(h, CURLOPT_HTTPHEADER, headers.get(), "CURLOPT_HTTPHEADER");
    set_option(h, CURLOPT_USERAGENT, user_agent.c_str(), "CURLOPT_USERAGENT");
    set_option(h, CURLOPT_FOLLOWLOCATION, 0L, "CURLOPT_FOLLOWLOCATION");
    if (!settings_.ca_file.empty())
        set_option(h, CURLOPT_CAINFO, settings_.ca_file.c_str(), "CURLOPT_CAINFO");
    set_option(h, CURLOPT_WRITEFUNCTION, static_cast<curl_write_callback>(on_body),
               "CURLOPT_WRITEFUNCTION");
    set_option(h, CURLOPT_WRITEDATA, static_cast<void*>(&response), "CURLOPT_WRITEDATA");
    set_option(h, CURLOPT_HEADERFUNCTION, static_cast<curl_write_callback>(on_header),
               "CURLOPT_HEADERFUNCTION");
    set_option(h, CURLOPT_HEADERDATA, static_cast<void*>(&response), "CURLOPT_HEADERDATA");
    set_option(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings_.connect_timeout.count()),
               "CURLOPT_CONNECTTIMEOUT");
    set_option(h, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout.count()), "CURLOPT_TIMEOUT");
    set_option(h, CURLOPT_NOSIGNAL, 1L, "CURLOPT_NOSIGNAL");
    set_option(h, CURLOPT_ERRORBUFFER, static_cast<char*>(error_buffer), "CURLOPT_ERRORBUFFER");
    detail::abort_when(h, abort_);

    const CURLcode rc = curl_easy_perform(h);
    DeliveryOutcome outcome;
    outcome.reply = bounded_reply(response.body);
    if (rc != CURLE_OK) {
        outcome.status = status_for_curl_error(rc);
        outcome.detail =
            bounded_reply(error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc));
        return outcome;
    }
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    outcome.code = static_cast<int>(code);
    outcome.status = status_for_http(code);
    if (outcome.status == DeliveryStatus::temporary_failure)
        outcome.retry_after = parse_retry_after(response.retry_after, now);
    if (code >= 300 && code < 400)
        outcome.detail = "the webhook URL redirects; configure the final URL";
    return outcome;
}

DeliveryOutcome WebhookSender::deliver(const PreparedDelivery& delivery) const {
    if (delivery.kind != PreparedDelivery::Kind::webhook)
        throw Error(ErrorKind::internal, "an e-mail delivery was handed to the webhook sender");
    return send(delivery.payload, delivery.digest_id);
}

DeliveryOutcome WebhookSender::send_test_message(std::string_view channel, UtcTime now) const {
    // A key of its own: a receiver that drops repeated keys must not drop the second test.
    const std::string key = "test-" + digest::channel_slug(channel) + "-" +
                            std::to_string(now.time_since_epoch().count()) + "-" +
                            std::to_string(static_cast<unsigned long long>(random_unit() * 1e12));
    return send(render_webhook_test_body(settings_.format, channel, now), key);
}

DeliveryOutcome WebhookSender::send(const digest::Digest& digest) const {
    return send(render_webhook_body(digest, settings_.format), digest.id);
}

}  // namespace chuhai::deliver
