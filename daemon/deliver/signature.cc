#include "deliver/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <charconv>

#include "common/error.h"

namespace chuhai::deliver {

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    // A zero-length key is valid for HMAC, but OpenSSL wants a non-null pointer.
    static const char kEmpty = 0;
    if (HMAC(EVP_sha256(), key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
             &length) == nullptr) {
        throw Error(ErrorKind::internal, "HMAC-SHA256 failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * length);
    for (unsigned i = 0; i < length; ++i) {
        hex += kHex[mac[i] >> 4];
        hex += kHex[mac[i] & 15];
    }
    return hex;
}

std::string signature_header_value(std::string_view secret, UtcTime timestamp,
                                   std::string_view body) {
    const std::string t = std::to_string(timestamp.time_since_epoch().count());
    std::string signed_payload;
    signed_payload.reserve(t.size() + 1 + body.size());
    signed_payload += t;
    signed_payload += '.';
    signed_payload += body;
    return "t=" + t + ",v1=" + hmac_sha256_hex(secret, signed_payload);
}

SignatureCheck verify_signature(std::string_view secret, std::string_view header_value,
                                std::string_view body, UtcTime now,
                                std::chrono::seconds tolerance) {
    if (!header_value.starts_with("t="))
        return SignatureCheck::malformed;
    const std::size_t comma = header_value.find(",v1=");
    if (comma == std::string_view::npos)
        return SignatureCheck::malformed;
    const std::string_view t = header_value.substr(2, comma - 2);
    const std::string_view mac = header_value.substr(comma + 4);
    long long seconds = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), seconds);
    if (ec != std::errc{} || end != t.data() + t.size() || t.empty() || mac.size() != 64)
        return SignatureCheck::malformed;
    const UtcTime timestamp{std::chrono::seconds{seconds}};
    const std::string expected = signature_header_value(secret, timestamp, body);
    const std::string_view expected_mac =
        std::string_view(expected).substr(expected.find(",v1=") + 4);
    if (CRYPTO_memcmp(expected_mac.data(), mac.data(), mac.size()) != 0)
        return SignatureCheck::mismatch;
    const auto skew = timestamp > now ? timestamp - now : now - timestamp;
    if (skew > tolerance)
        return SignatureCheck::stale;
    return SignatureCheck::valid;
}

}  // namespace chuhai::deliver
