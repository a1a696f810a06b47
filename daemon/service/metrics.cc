#include "service/metrics.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <set>

#include "common/error.h"

namespace chuhai::service {

void Counter::inc(double amount) {
    if (!(amount >= 0.0))  // also refuses NaN
        throw Error(ErrorKind::internal,
                    "a counter can only go up, not by " + std::to_string(amount));
    value_.fetch_add(amount, std::memory_order_relaxed);
}

void Gauge::add(double amount) {
    value_.fetch_add(amount, std::memory_order_relaxed);
}

struct Metrics::Series {
    std::vector<std::string> label_values;  // in the family's label order
    Counter counter;
    Gauge gauge;
};

struct Metrics::Family {
    std::string name;
    MetricType type;
    std::string help;
    std::vector<std::string> label_names;
    // Keyed by the label values in the family's label order; sorted, which is render order.
    std::map<std::vector<std::string>, std::unique_ptr<Series>> series;
    bool overflow_reported = false;
};

namespace {

bool is_name_start(char c, bool allow_colon) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (allow_colon && c == ':');
}

bool is_name_char(char c, bool allow_colon) {
    return is_name_start(c, allow_colon) || (c >= '0' && c <= '9');
}

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names, [a-zA-Z_][a-zA-Z0-9_]* for label names.
bool valid_name(std::string_view name, bool allow_colon) {
    if (name.empty() || !is_name_start(name.front(), allow_colon))
        return false;
    return std::all_of(name.begin(), name.end(),
                       [&](char c) { return is_name_char(c, allow_colon); });
}

const char* type_name(MetricType type) {
    return type == MetricType::counter ? "counter" : "gauge";
}

// Length of the valid UTF-8 sequence at the start of `text`, or 0 when it is not valid.
std::size_t utf8_sequence_length(std::string_view text) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    if (lead < 0x80)
        return 1;
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if ((lead & 0xE0) == 0xC0) {
        length = 2;
        code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        code_point = lead & 0x07;
    } else {
        return 0;
    }
    if (text.size() < length)
        return 0;
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xC0) != 0x80)
            return 0;
        code_point = (code_point << 6) | (byte(i) & 0x3F);
    }
    static constexpr std::uint32_t kSmallestFor[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallestFor[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF))
        return 0;  // overlong, out of range or a surrogate
    return length;
}

// Appends `text` to `out`, escaped.
void append_escaped(std::string& out, std::string_view text, bool escape_quotes) {
    while (!text.empty()) {
        const char c = text.front();
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && escape_quotes) {
            out += "\\\"";
        } else {
            const std::size_t length = utf8_sequence_length(text);
            if (length == 0) {
                out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
                text.remove_prefix(1);
                continue;
            }
            out.append(text.substr(0, length));
            text.remove_prefix(length);
            continue;
        }
        text.remove_prefix(1);
    }
}

void append_sample_value(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
    } else if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
    } else {
        char buffer[64];
        // Integers up to 2^53 are exact in a double; print them as integers, without exponent.
        const bool integer = value == std::trunc(value) && std::fabs(value) <= 9007199254740992.0;
        const auto result =
            integer ? std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(value))
                    : std::to_chars(buffer, buffer + sizeof buffer, value);
        out.append(buffer, result.ptr);
    }
}

}  // namespace

std::string escape_help_text(std::string_view text) {
    std::string out;
    append_escaped(out, text, false);
    return out;
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    append_escaped(out, value, true);
    return out;
}

std::string format_sample_value(double value) {
    std::string out;
    append_sample_value(out, value);
    return out;
}

Metrics::Metrics(std::size_t max_series_per_family)
    : max_series_per_family_(std::max<std::size_t>(1, max_series_per_family)) {}

Metrics::~Metrics() = default;

void Metrics::declare(std::string_view name, MetricType type, std::string_view help,
                      std::vector<std::string> label_names) {
    if (!valid_name(name, true))
        throw Error(ErrorKind::internal, "invalid metric name '" + std::string(name) + "'");
    std::set<std::string_view> seen;
    for (const std::string& label : label_names) {
        if (!valid_name(label, false) || label.starts_with("__"))
            throw Error(ErrorKind::internal,
                        "invalid label name '" + label + "' for metric " + std::string(name));
        if (!seen.insert(label).second)
            throw Error(ErrorKind::internal,
                        "label '" + label + "' given twice for metric " + std::string(name));
    }

    std::lock_guard lock(mutex_);
    if (const auto it = by_name_.find(name); it != by_name_.end()) {
        const Family& existing = *it->second;
        if (existing.type != type || existing.label_names != label_names)
            throw Error(ErrorKind::internal, "metric " + std::string(name) +
                                                 " declared again with another type or labels");
        return;
    }
    auto family = std::make_unique<Family>();
    family->name = std::string(name);
    family->type = type;
    family->help = std::string(help);
    family->label_names = std::move(label_names);
    if (family->label_names.empty())
        family->series.emplace(std::vector<std::string>{}, std::make_unique<Series>());
    by_name_.emplace(family->name, family.get());
    families_.push_back(std::move(family));
}

bool Metrics::declared(std::string_view name) const {
    std::lock_guard lock(mutex_);
    return by_name_.find(name) != by_name_.end();
}

Metrics::Series& Metrics::series(std::string_view name, MetricType type, const Labels& labels) {
    std::lock_guard lock(mutex_);
    const auto it = by_name_.find(name);
    if (it == by_name_.end())
        throw Error(ErrorKind::internal, "metric " + std::string(name) + " is not declared");
    Family& family = *it->second;
    if (family.type != type)
        throw Error(ErrorKind::internal, "metric " + family.name + " is a " +
                                             type_name(family.type) + ", not a " + type_name(type));
    if (labels.size() != family.label_names.size())
        throw Error(ErrorKind::internal, "metric " + family.name + " takes " +
                                             std::to_string(family.label_names.size()) +
                                             " labels, not " + std::to_string(labels.size()));

    std::vector<std::string> values(family.label_names.size());
    std::vector<bool> given(family.label_names.size(), false);
    for (const auto& [label, value] : labels) {
        const auto position =
            std::find(family.label_names.begin(), family.label_names.end(), label);
        if (position == family.label_names.end())
            throw Error(ErrorKind::internal,
                        "metric " + family.name + " has no label '" + std::string(label) + "'");
        const auto index = static_cast<std::size_t>(position - family.label_names.begin());
        if (given[index])
            throw Error(ErrorKind::internal,
                        "label '" + std::string(label) + "' given twice for " + family.name);
        given[index] = true;
        values[index] = std::string(value);
    }

    if (const auto found = family.series.find(values); found != family.series.end())
        return *found->second;
    if (family.series.size() >= max_series_per_family_) {
        if (!family.overflow_reported) {
            family.overflow_reported = true;
            spdlog::warn(
                "metric {} reached {} series; further label values are counted under \"{}\"",
                family.name, max_series_per_family_, kOverflowLabelValue);
        }
        values.assign(family.label_names.size(), std::string(kOverflowLabelValue));
        if (const auto overflow = family.series.find(values); overflow != family.series.end())
            return *overflow->second;
    }
    auto created = std::make_unique<Series>();
    created->label_values = values;
    Series& result = *created;
    family.series.emplace(std::move(values), std::move(created));
    return result;
}

Counter& Metrics::counter(std::string_view name, const Labels& labels) {
    return series(name, MetricType::counter, labels).counter;
}

Gauge& Metrics::gauge(std::string_view name, const Labels& labels) {
    return series(name, MetricType::gauge, labels).gauge;
}

std::string Metrics::render() const {
    std::string out;
    std::lock_guard lock(mutex_);
    // Grows once or twice instead of at every line: the last size is a good guess.
    out.reserve(last_render_size_ + last_render_size_ / 8);
    for (const auto& family : families_) {
        out.append("# HELP ").append(family->name).append(" ");
        append_escaped(out, family->help, false);
        out.append("\n# TYPE ").append(family->name).append(" ");
        out.append(type_name(family->type)).append("\n");
        for (const auto& [values, series] : family->series) {
            out += family->name;
            if (!values.empty()) {
                out += '{';
                for (std::size_t i = 0; i < values.size(); ++i) {
                    if (i > 0)
                        out += ',';
                    out.append(family->label_names[i]).append("=\"");
                    append_escaped(out, values[i], true);
                    out += '"';
                }
                out += '}';
            }
            out += ' ';
            append_sample_value(out, family->type == MetricType::counter ? series->counter.value()
                                                                         : series->gauge.value());
            out += '\n';
        }
    }
    last_render_size_ = out.size();
    return out;
}

}  // namespace chuhai::service
