#include "fetch/http_headers.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace chuhai::fetch {

namespace {

constexpr std::chrono::seconds kTenYears{10LL * 366 * 24 * 3600};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Digits only; saturates at `cap` instead of overflowing.
std::chrono::seconds parse_seconds_capped(std::string_view digits, std::chrono::seconds cap) {
    std::uint64_t value = 0;
    for (char c : digits) {
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
        if (value > static_cast<std::uint64_t>(cap.count()))
            return cap;
    }
    return std::chrono::seconds{static_cast<long long>(value)};
}

}  // namespace

void ResponseHeadParser::feed(std::string_view line) {
    bytes_ += line.size();
    line = trim(line);
    if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
        head_ = {};
        // "HTTP/1.1 200 OK" or "HTTP/2 200": the status is the second token.
        const auto space = line.find(' ');
        if (space != std::string_view::npos) {
            std::string_view rest = trim(line.substr(space + 1));
            long status = 0;
            const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), status);
            if (ec == std::errc{} && ptr - rest.data() == 3)
                head_.status = status;
        }
        return;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
        return;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "etag")) {
        head_.etag = value;
    } else if (iequals(name, "last-modified")) {
        head_.last_modified = value;
    } else if (iequals(name, "content-type")) {
        head_.content_type = value;
    } else if (iequals(name, "content-encoding")) {
        head_.content_encoding = value;
    } else if (iequals(name, "location")) {
        head_.location = value;
    } else if (iequals(name, "cache-control")) {
        if (!head_.cache_control.empty())
            head_.cache_control += ", ";
        head_.cache_control += value;
    } else if (iequals(name, "expires")) {
        head_.expires = value;
        head_.has_expires = true;
    } else if (iequals(name, "date")) {
        head_.date = value;
    } else if (iequals(name, "retry-after")) {
        head_.retry_after = value;
    } else if (iequals(name, "content-length")) {
        std::uint64_t length = 0;
        const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (ec == std::errc{} && ptr == value.data() + value.size())
            head_.content_length = length;
    }
}

std::optional<std::chrono::seconds> parse_max_age(std::string_view cache_control) {
    while (!cache_control.empty()) {
        const auto comma = cache_control.find(',');
        std::string_view directive = trim(cache_control.substr(0, comma));
        cache_control =
            comma == std::string_view::npos ? std::string_view{} : cache_control.substr(comma + 1);
        const auto equals = directive.find('=');
        if (equals == std::string_view::npos ||
            !iequals(trim(directive.substr(0, equals)), "max-age"))
            continue;
        std::string_view value = trim(directive.substr(equals + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        if (!all_digits(value))
            return std::nullopt;
        return parse_seconds_capped(value, kTenYears);
    }
    return std::nullopt;
}

std::optional<UtcTime> parse_http_date(std::string_view text) {
    text = trim(text);
    // curl_getdate also accepts bare numbers and other loose forms; an HTTP-date always starts
    // with a day name.
    if (text.size() < 20 || text.size() > 64 || !std::isalpha(static_cast<unsigned char>(text[0])))
        return std::nullopt;
    const std::string terminated(text);
    const time_t parsed = curl_getdate(terminated.c_str(), nullptr);
    if (parsed == -1)
        return std::nullopt;
    return UtcTime{std::chrono::seconds{static_cast<long long>(parsed)}};
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, UtcTime reference) {
    value = trim(value);
    if (value.empty())
        return std::nullopt;
    if (all_digits(value))
        return parse_seconds_capped(value, kTenYears);
    const auto when = parse_http_date(value);
    if (!when)
        return std::nullopt;
    return std::clamp(*when - reference, std::chrono::seconds{0}, kTenYears);
}

namespace {

UtcTime reference_time(const ResponseHead& head, UtcTime received_at) {
    if (const auto date = parse_http_date(head.date))
        return *date;
    return received_at;
}

}  // namespace

std::optional<std::chrono::seconds> freshness_lifetime(const ResponseHead& head,
                                                       UtcTime received_at) {
    if (const auto max_age = parse_max_age(head.cache_control))
        return max_age;
    if (!head.has_expires)
        return std::nullopt;
    const auto expires = parse_http_date(head.expires);
    if (!expires)
        return std::chrono::seconds{0};  // RFC 9111 5.3: an invalid Expires means "already expired"
    return std::clamp(*expires - reference_time(head, received_at), std::chrono::seconds{0},
                      kTenYears);
}

std::optional<std::chrono::seconds> retry_after_delay(const ResponseHead& head,
                                                      UtcTime received_at) {
    if (head.retry_after.empty())
        return std::nullopt;
    return parse_retry_after(head.retry_after, reference_time(head, received_at));
}

}  // namespace chuhai::fetch
