#include "common/error.h"

#include <gtest/gtest.h>

namespace chuhai {
namespace {

TEST(Error, PrefixesLocation) {
    const Error e(ErrorKind::config, "unknown key 'anny'", "rules/a.yaml:3:5");
    EXPECT_STREQ(e.what(), "rules/a.yaml:3:5: unknown key 'anny'");
    EXPECT_EQ(e.message(), "unknown key 'anny'");
    EXPECT_EQ(e.where(), "rules/a.yaml:3:5");
}

TEST(Error, ExitStatusByKind) {
    EXPECT_EQ(exit_status_for(ErrorKind::usage), 2);
    EXPECT_EQ(exit_status_for(ErrorKind::config), 2);
    EXPECT_EQ(exit_status_for(ErrorKind::store), 1);
    EXPECT_EQ(exit_status_for(ErrorKind::network), 1);
}

}  // namespace
}  // namespace chuhai
