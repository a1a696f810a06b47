#pragma once
// Reads the YAML configuration file into config::Settings.

#include <filesystem>
#include <string>
#include <string_view>

#include "config/settings.h"

namespace chuhai::config {

// Loads and validates the file. Relative paths in it resolve against the file's folder.
// Throws Error(ErrorKind::config, message, "FILE:LINE:COL") for YAML syntax errors, unknown keys
// (with a suggestion), wrong types, missing required keys and invalid values; and
// Error(ErrorKind::config) naming the file when it cannot be read.
Settings load_settings(const std::filesystem::path& file);

// The same, from text; `file` names it in messages and anchors relative paths.
Settings parse_settings(std::string_view yaml, const std::filesystem::path& file);

// The name of a source that gives none: the host of its URL, without credentials or port.
std::string default_source_name(const std::string& url);

}  // namespace chuhai::config
