#pragma once
// Strict reading of hand-edited YAML: every value is read through a MapReader, which knows the
// file and position of each node, so an error says FILE:LINE:COL and what was expected; keys
// nobody asked for are reported as unknown, with the nearest known key as a suggestion.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chuhai::config {

// "FILE:LINE:COL" (1-based) of a node.
std::string location(const std::filesystem::path& file, const YAML::Node& node);
std::string location(const std::filesystem::path& file, const YAML::Mark& mark);

// Parses YAML text; a syntax error becomes Error(config) at its position.
YAML::Node parse_yaml(std::string_view text, const std::filesystem::path& file);

// Of the candidates, the one closest to `key` by edit distance, if close enough to be a typo.
std::optional<std::string> closest_key(std::string_view key,
                                       const std::vector<std::string>& candidates);

class MapReader {
  public:
    // Throws Error(config) when `node` is not a mapping (or has a key twice). `what` names the
    // mapping in messages ("source", "digest channel").
    MapReader(const YAML::Node& node, const std::filesystem::path& file, std::string what);

    const std::filesystem::path& file() const { return file_; }
    std::string where() const { return location(file_, node_); }
    std::string where(const YAML::Node& node) const { return location(file_, node); }
    bool has(const std::string& key) const;

    // Each reader marks the key as known; a present value of the wrong type throws.
    // The optional_* forms leave `out` untouched when the key is absent or null.
    void optional_string(const std::string& key, std::string& out);
    void optional_bool(const std::string& key, bool& out);
    void optional_int(const std::string& key, int& out, int min, int max);
    void optional_double(const std::string& key, double& out);
    void optional_double(const std::string& key, std::optional<double>& out);
    // "15m", "2h", "7d" or a number of seconds.
    void optional_duration(const std::string& key, std::chrono::seconds& out);
    void optional_duration(const std::string& key, std::optional<std::chrono::seconds>& out);
    // "20MB", "512KiB", "1000" (bytes).
    void optional_size(const std::string& key, std::size_t& out);
    // Resolved against the folder of the file.
    void optional_path(const std::string& key, std::filesystem::path& out);
    // A list of strings; anything else, a single string included, is an error.
    void optional_string_list(const std::string& key, std::vector<std::string>& out);
    // A nested mapping or list handed to `read`; nothing happens when the key is absent.
    void optional_node(const std::string& key, const std::function<void(const YAML::Node&)>& read);

    void required_string(const std::string& key, std::string& out);
    void required_path(const std::string& key, std::filesystem::path& out);

    // Throws for the first key that no reader asked for, suggesting the closest known one.
    void reject_unknown_keys() const;

    [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const;

  private:
    const YAML::Node* find(const std::string& key);
    std::string scalar(const YAML::Node& value, const std::string& key) const;

    YAML::Node node_;
    std::filesystem::path file_;
    std::string what_;
    std::vector<std::string> known_;
    std::vector<std::pair<std::string, YAML::Node>> entries_;  // key, value
    std::vector<YAML::Node> key_nodes_;
};

}  // namespace chuhai::config
