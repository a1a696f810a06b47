#pragma once
// Helpers shared by the unit tests: fixture paths and a scratch folder that cleans up after
// itself.

#include <filesystem>
#include <string>

namespace chuhai::testing {

// tests/fixtures/<relative>.
std::filesystem::path fixture_path(const std::string& relative);
// The fixture's bytes.
std::string read_fixture(const std::string& relative);

// ../shared beside the project root; empty when it is missing (tests then GTEST_SKIP()).
std::filesystem::path shared_dir();

// A fresh folder under the system temp dir, removed with everything in it by the destructor.
class TempDir {
  public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
    // Writes a file inside the folder and returns its path.
    std::filesystem::path write(const std::string& name, const std::string& contents) const;

  private:
    std::filesystem::path path_;
};

}  // namespace chuhai::testing
