#include "deliver/signature.h"

#include <gtest/gtest.h>

namespace chuhai::deliver {
namespace {

using namespace std::chrono_literals;

TEST(Hmac, MatchesRfc4231) {
    // RFC 4231 test case 2.
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // RFC 4231 test case 1: key 0x0b x 20, "Hi There".
    EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Signature, SignsTimestampDotBody) {
    const UtcTime t{std::chrono::seconds{1751356800}};
    const std::string header = signature_header_value("secret", t, "{\"a\":1}");
    EXPECT_EQ(header, "t=1751356800,v1=" + hmac_sha256_hex("secret", "1751356800.{\"a\":1}"));
}

TEST(Signature, VerificationRejectsTamperingReplaysAndGarbage) {
    const UtcTime t{std::chrono::seconds{1751356800}};
    const std::string body = "{\"digest\":1}";
    const std::string header = signature_header_value("secret", t, body);
    EXPECT_EQ(verify_signature("secret", header, body, t + 10s), SignatureCheck::valid);
    EXPECT_EQ(verify_signature("secret", header, body + " ", t), SignatureCheck::mismatch);
    EXPECT_EQ(verify_signature("other", header, body, t), SignatureCheck::mismatch);
    EXPECT_EQ(verify_signature("secret", header, body, t + 301s), SignatureCheck::stale);
    EXPECT_EQ(verify_signature("secret", header, body, t - 301s), SignatureCheck::stale);
    // Moving the timestamp forward to get past the replay check breaks the MAC.
    std::string moved = header;
    moved.replace(2, 10, "1751357800");
    EXPECT_EQ(verify_signature("secret", moved, body, t + 1000s), SignatureCheck::mismatch);
    for (const char* bad : {"", "v1=abc", "t=,v1=",
                            "t=12x,v1="
                            "0000",
                            "t=1751356800,v1=zz"})
        EXPECT_EQ(verify_signature("secret", bad, body, t), SignatureCheck::malformed) << bad;
}

}  // namespace
}  // namespace chuhai::deliver
