#include "fetch/fetch_result.h"

#include <array>
#include <string_view>
#include <utility>

namespace chuhai::fetch {

namespace {

constexpr std::array<std::pair<FetchError, std::string_view>, 14> kErrorNames{{
    {FetchError::none, "none"},
    {FetchError::cancelled, "cancelled"},
    {FetchError::timeout, "timeout"},
    {FetchError::too_large, "too_large"},
    {FetchError::dns, "dns"},
    {FetchError::connect, "connect"},
    {FetchError::tls, "tls"},
    {FetchError::reset, "reset"},
    {FetchError::redirect_loop, "redirect_loop"},
    {FetchError::too_many_redirects, "too_many_redirects"},
    {FetchError::unsupported_protocol, "unsupported_protocol"},
    {FetchError::bad_url, "bad_url"},
    {FetchError::protocol, "protocol"},
    {FetchError::internal, "internal"},
}};

}  // namespace

const char* to_string(FetchError error) noexcept {
    for (const auto& [value, name] : kErrorNames) {
        if (value == error)
            return name.data();
    }
    return "internal";
}

std::optional<FetchError> fetch_error_from_string(std::string_view name) noexcept {
    for (const auto& [value, known] : kErrorNames) {
        if (known == name)
            return value;
    }
    return std::nullopt;
}

}  // namespace chuhai::fetch
