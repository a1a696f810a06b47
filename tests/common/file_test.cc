#include "common/file.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace chuhai {
namespace {

TEST(File, WritesAtomicallyAndReadsBack) {
    testing::TempDir dir;
    write_file_atomic(dir / "a.txt", "hello\n");
    EXPECT_EQ(read_file(dir / "a.txt"), "hello\n");
    write_file_atomic(dir / "a.txt", "replaced");
    EXPECT_EQ(read_file(dir / "a.txt"), "replaced");
}

TEST(File, MissingFileNamesPath) {
    testing::TempDir dir;
    try {
        read_file(dir / "missing.yaml");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::io);
        EXPECT_NE(e.where().find("missing.yaml"), std::string::npos);
    }
}

TEST(File, EnforcesSizeLimit) {
    testing::TempDir dir;
    dir.write("big", std::string(100, 'x'));
    EXPECT_THROW(read_file(dir / "big", 10), Error);
}

}  // namespace
}  // namespace chuhai
