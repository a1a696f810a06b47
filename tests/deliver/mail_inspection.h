#pragma once
// Parses a message with Python's `email` package (inspect_mail.py) so tests check it against an
// independent implementation of the standards.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace chuhai::testing {

// The inspector's JSON for the message in `path`.
nlohmann::json inspect_mail_file(const std::filesystem::path& path);
// Same for message bytes (written to a temporary file first).
nlohmann::json inspect_mail(const std::string& message);

// The part of `inspection` with this content type, or null JSON.
nlohmann::json part_of(const nlohmann::json& inspection, const std::string& content_type);

}  // namespace chuhai::testing
