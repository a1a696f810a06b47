#pragma once
// Whole-file reads and writes that report failures as chuhai::Error naming the path.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace chuhai {

// Reads the whole file; throws Error(io) naming the path and the OS reason, or when the file
// is larger than max_bytes.
std::string read_file(const std::filesystem::path& path,
                      std::size_t max_bytes = std::size_t{1} << 30);

// Writes through a temporary file in the same folder and renames it over the target, so a
// reader never sees half a file.
void write_file_atomic(const std::filesystem::path& path, std::string_view contents);

}  // namespace chuhai
