#include "fetch/source_state.h"

#include <gtest/gtest.h>

namespace chuhai::fetch {
namespace {

TEST(HostOf, NormalisesTheHostName) {
    EXPECT_EQ(host_of("https://User:pw@Example.COM:8443/path?q#f"), "example.com");
    EXPECT_EQ(host_of("http://example.com./feed"), "example.com");
    EXPECT_EQ(host_of("http://[::1]:8080/feed"), "[::1]");
    EXPECT_EQ(host_of("http://127.0.0.5:9/x"), "127.0.0.5");
    EXPECT_EQ(host_of("no scheme"), "");
}

}  // namespace
}  // namespace chuhai::fetch
