#pragma once
// A registry of counters and gauges with labels, rendered in the Prometheus text exposition
// format (version 0.0.4) for the /metrics endpoint.
//
// Every metric family is declared once (name, type, help, label names); series are then looked up
// by their label values. Looking a series up takes a lock; the Counter& or Gauge& it returns
// stays valid for the life of the registry and is updated without locks, so a hot path looks its
// series up once and keeps the reference. Everything here is safe to use from any thread.
//
// Series are created on first use. A family holds at most `max_series_per_family` series; label
// values past that limit all land in one series whose label values are "_overflow", so a label
// fed from outside data can never make the registry grow without bound.
//
// Misuse is a bug and throws Error(internal): an undeclared family, a series of the wrong type,
// label names that differ from the declared ones, a name Prometheus does not allow, a counter
// decreased.

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chuhai::service {

enum class MetricType { counter, gauge };

// Label name → value, in any order. Views, copied when a series is created: build them in the
// call (`metrics.counter(name, {{"topic", topic}})`), not in a variable that outlives the
// strings they point into.
using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

// A monotonically increasing value: polls made, items stored.
class Counter {
  public:
    // Adds `amount` (>= 0; a negative amount throws Error(internal)).
    void inc(double amount = 1.0);
    double value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0.0};
};

// A value that goes up and down: the event loop's lag, the time of the last cycle.
class Gauge {
  public:
    void set(double value) { value_.store(value, std::memory_order_relaxed); }
    void add(double amount);
    double value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0.0};
};

class Metrics {
  public:
    static constexpr std::size_t kDefaultMaxSeriesPerFamily = 1000;
    static constexpr std::string_view kOverflowLabelValue = "_overflow";

    explicit Metrics(std::size_t max_series_per_family = kDefaultMaxSeriesPerFamily);
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;
    ~Metrics();

    // Declares a family. Declaring it again with the same type and label names does nothing;
    // with different ones it throws Error(internal). A family without labels has its one series
    // (at 0) from the start, so it shows on /metrics before anything happened.
    void declare(std::string_view name, MetricType type, std::string_view help,
                 std::vector<std::string> label_names = {});

    // The series of a declared counter (gauge) family with these label values.
    Counter& counter(std::string_view name, const Labels& labels = {});
    Gauge& gauge(std::string_view name, const Labels& labels = {});

    bool declared(std::string_view name) const;

    // The whole registry in the Prometheus text format: families in the order they were
    // declared, each with its # HELP and # TYPE lines, series sorted by label values.
    std::string render() const;

  private:
    struct Family;
    struct Series;
    Series& series(std::string_view name, MetricType type, const Labels& labels);

    const std::size_t max_series_per_family_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<Family>> families_;  // in declaration order
    std::map<std::string, Family*, std::less<>> by_name_;
    mutable std::size_t last_render_size_ = 0;
};

// The Prometheus text format's escaping: HELP text escapes '\' and newlines; label values
// escape '\', '"' and newlines. Invalid UTF-8 becomes U+FFFD so the output stays valid.
std::string escape_help_text(std::string_view text);
std::string escape_label_value(std::string_view value);
// A sample value: integers without exponent, "+Inf", "-Inf", "NaN", else the shortest decimal
// that reads back as the same double.
std::string format_sample_value(double value);

}  // namespace chuhai::service
