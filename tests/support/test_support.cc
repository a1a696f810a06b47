#include "tests/support/test_support.h"

#include <stdlib.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

#include "common/file.h"

namespace chuhai::testing {

std::filesystem::path fixture_path(const std::string& relative) {
    return std::filesystem::path(CHUHAI_FIXTURES_DIR) / relative;
}

std::string read_fixture(const std::string& relative) {
    return read_file(fixture_path(relative));
}

std::filesystem::path shared_dir() {
    std::filesystem::path dir(CHUHAI_SHARED_DIR);
    std::error_code ec;
    return std::filesystem::is_directory(dir, ec) ? dir : std::filesystem::path{};
}

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "chuhai-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& contents) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out << contents;
    if (!out)
        throw std::runtime_error("cannot write " + file.string());
    return file;
}

}  // namespace chuhai::testing
