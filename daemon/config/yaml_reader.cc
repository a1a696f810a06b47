#include "config/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "common/error.h"
#include "common/time.h"

namespace chuhai::config {

std::string location(const std::filesystem::path& file, const YAML::Mark& mark) {
    if (mark.is_null())
        return file.string();
    return file.string() + ":" + std::to_string(mark.line + 1) + ":" +
           std::to_string(mark.column + 1);
}

std::string location(const std::filesystem::path& file, const YAML::Node& node) {
    return location(file, node.Mark());
}

YAML::Node parse_yaml(std::string_view text, const std::filesystem::path& file) {
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::ParserException& e) {
        throw Error(ErrorKind::config, "YAML syntax error: " + e.msg, location(file, e.mark));
    } catch (const YAML::Exception& e) {
        throw Error(ErrorKind::config, std::string("cannot read YAML: ") + e.what(), file.string());
    }
}

namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring letters, the usual typing mistakes, each cost one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Null:
            return "nothing";
        case YAML::NodeType::Scalar:
            return "'" + node.Scalar() + "'";
        default:
            return "an undefined value";
    }
}

}  // namespace

std::optional<std::string> closest_key(std::string_view key,
                                       const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    for (const auto& candidate : candidates) {
        const std::size_t d = edit_distance(key, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    // A typo changes a small part of the word: at most two edits, and fewer than half of it.
    if (best && best_distance <= 2 && best_distance * 2 < std::max(key.size(), best->size())) {
        return best;
    }
    return std::nullopt;
}

MapReader::MapReader(const YAML::Node& node, const std::filesystem::path& file, std::string what)
    : node_(node), file_(file), what_(std::move(what)) {
    if (!node.IsMap()) {
        throw Error(ErrorKind::config,
                    what_ + " must be a mapping of keys to values, not " + describe(node),
                    location(file_, node));
    }
    for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
            throw Error(ErrorKind::config, "keys must be plain words",
                        location(file_, entry.first));
        }
        const std::string key = entry.first.Scalar();
        for (const auto& seen : entries_) {
            if (seen.first == key) {
                throw Error(ErrorKind::config, "key '" + key + "' appears twice in this " + what_,
                            location(file_, entry.first));
            }
        }
        entries_.emplace_back(key, entry.second);
        key_nodes_.push_back(entry.first);
    }
}

bool MapReader::has(const std::string& key) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [&](const auto& e) { return e.first == key && !e.second.IsNull(); });
}

const YAML::Node* MapReader::find(const std::string& key) {
    known_.push_back(key);
    for (const auto& entry : entries_) {
        if (entry.first == key)
            return entry.second.IsNull() ? nullptr : &entry.second;
    }
    return nullptr;
}

void MapReader::fail(const YAML::Node& node, const std::string& message) const {
    throw Error(ErrorKind::config, message, location(file_, node));
}

std::string MapReader::scalar(const YAML::Node& value, const std::string& key) const {
    if (!value.IsScalar())
        fail(value, "'" + key + "' must be a single value, not " + describe(value));
    return value.Scalar();
}

void MapReader::optional_string(const std::string& key, std::string& out) {
    if (const auto* value = find(key))
        out = scalar(*value, key);
}

void MapReader::optional_bool(const std::string& key, bool& out) {
    const auto* value = find(key);
    if (value == nullptr)
        return;
    std::string text = scalar(*value, key);
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (text == "true" || text == "yes" || text == "on") {
        out = true;
    } else if (text == "false" || text == "no" || text == "off") {
        out = false;
    } else {
        fail(*value, "'" + key + "' must be true or false, not '" + value->Scalar() + "'");
    }
}

void MapReader::optional_int(const std::string& key, int& out, int min, int max) {
    const auto* value = find(key);
    if (value == nullptr)
        return;
    const std::string text = scalar(*value, key);
    long long parsed = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec != std::errc{} || ptr != text.data() + text.size()) {
        fail(*value, "'" + key + "' must be a whole number, not '" + text + "'");
    }
    if (parsed < min || parsed > max) {
        fail(*value, "'" + key + "' must be between " + std::to_string(min) + " and " +
                         std::to_string(max) + ", not " + text);
    }
    out = static_cast<int>(parsed);
}

void MapReader::optional_double(const std::string& key, std::optional<double>& out) {
    const auto* value = find(key);
    if (value == nullptr)
        return;
    const std::string text = scalar(*value, key);
    double parsed = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec != std::errc{} || ptr != text.data() + text.size()) {
        fail(*value, "'" + key + "' must be a number, not '" + text + "'");
    }
    out = parsed;
}

void MapReader::optional_double(const std::string& key, double& out) {
    std::optional<double> value;
    optional_double(key, value);
    if (value)
        out = *value;
}

void MapReader::optional_duration(const std::string& key,
                                  std::optional<std::chrono::seconds>& out) {
    const auto* value = find(key);
    if (value == nullptr)
        return;
    const std::string text = scalar(*value, key);
    const auto parsed = parse_duration(text);
    if (!parsed) {
        fail(*value,
             "'" + key + "' must be a duration such as 90s, 15m, 2h or 7d, not '" + text + "'");
    }
    out = *parsed;
}

void MapReader::optional_duration(const std::string& key, std::chrono::seconds& out) {
    std::optional<std::chrono::seconds> value;
    optional_duration(key, value);
    if (value)
        out = *value;
}

void MapReader::optional_size(const std::string& key, std::size_t& out) {
    const auto* value = find(key);
    if (value == nullptr)
        return;
    const std::string text = scalar(*value, key);
    unsigned long long number = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    std::string unit(ptr, text.data() + text.size());
    unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
    std::transform(unit.begin(), unit.end(), unit.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    unsigned long long multiplier = 0;
    if (unit.empty() || unit == "b")
        multiplier = 1;
    if (unit == "kb")
        multiplier = 1000;
    if (unit == "kib" || unit == "k")
        multiplier = 1024;
    if (unit == "mb")
        multiplier = 1000 * 1000;
    if (unit == "mib" || unit == "m")
        multiplier = 1024 * 1024;
    if (unit == "gb")
        multiplier = 1000ULL * 1000 * 1000;
    if (unit == "gib" || unit == "g")
        multiplier = 1024ULL * 1024 * 1024;
    if (ec != std::errc{} || ptr == text.data() || multiplier == 0 ||
        number > (1ULL << 40) / multiplier) {
        fail(*value, "'" + key + "' must be a size such as 20MB or 512KiB, not '" + text + "'");
    }
    out = static_cast<std::size_t>(number * multiplier);
}

void MapReader::optional_path(const std::string& key, std::filesystem::path& out) {
    const auto* value = find(key);
    if (value == nullptr)
        return;
    const std::filesystem::path path = scalar(*value, key);
    if (path.empty())
        fail(*value, "'" + key + "' must not be empty");
    out = path.is_absolute() ? path : (file_.parent_path() / path).lexically_normal();
}

void MapReader::optional_string_list(const std::string& key, std::vector<std::string>& out) {
    const auto* value = find(key);
    if (value == nullptr)
        return;
    // A lone scalar is refused rather than read as a list of one: `tags: 5` or `to: a, b` is
    // more often a mistake than a wish, and one spelling per key keeps files uniform.
    if (!value->IsSequence()) {
        fail(*value, "'" + key + "' must be a list such as [a, b], not " + describe(*value));
    }
    out.clear();
    for (const auto& element : *value) {
        if (!element.IsScalar()) {
            fail(element, "'" + key + "' must list single values, not " + describe(element));
        }
        out.push_back(element.Scalar());
    }
}

void MapReader::optional_node(const std::string& key,
                              const std::function<void(const YAML::Node&)>& read) {
    if (const auto* value = find(key))
        read(*value);
}

void MapReader::required_string(const std::string& key, std::string& out) {
    if (!has(key)) {
        throw Error(ErrorKind::config, "missing required key '" + key + "' in this " + what_,
                    where());
    }
    optional_string(key, out);
    if (out.empty())
        fail(*find(key), "'" + key + "' must not be empty");
}

void MapReader::required_path(const std::string& key, std::filesystem::path& out) {
    if (!has(key)) {
        throw Error(ErrorKind::config, "missing required key '" + key + "' in this " + what_,
                    where());
    }
    optional_path(key, out);
}

void MapReader::reject_unknown_keys() const {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const std::string& key = entries_[i].first;
        if (std::find(known_.begin(), known_.end(), key) != known_.end())
            continue;
        std::vector<std::string> unique_known = known_;
        std::sort(unique_known.begin(), unique_known.end());
        unique_known.erase(std::unique(unique_known.begin(), unique_known.end()),
                           unique_known.end());
        std::string message = "unknown key '" + key + "' in this " + what_;
        if (const auto suggestion = closest_key(key, unique_known)) {
            message += " (did you mean '" + *suggestion + "'?)";
        }
        throw Error(ErrorKind::config, message, location(file_, key_nodes_[i]));
    }
}

}  // namespace chuhai::config
