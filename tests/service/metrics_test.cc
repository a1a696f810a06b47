#include "service/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "common/error.h"
#include "common/version.h"
#include "service/metric_names.h"

namespace chuhai::service {
namespace {

// Runs `f` and returns the message of the Error(internal) it throws.
template <typename F>
std::string internal_error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::internal);
        return e.what();
    }
    ADD_FAILURE() << "expected an internal error";
    return {};
}

// "t<i>". (Not "t" + std::to_string(i): g++ 12 warns falsely about it under -O2, bug 105329.)
std::string topic_name(int i) {
    std::string name = std::to_string(i);
    name.insert(name.begin(), 't');
    return name;
}

TEST(Metrics, EmptyRegistryRendersNothing) {
    Metrics metrics;
    EXPECT_EQ(metrics.render(), "");
}

TEST(Metrics, RendersFamiliesInDeclarationOrderWithHelpAndType) {
    Metrics metrics;
    metrics.declare("chuhai_polls_total", MetricType::counter, "Polls that ended.", {"outcome"});
    metrics.declare("chuhai_lag_seconds", MetricType::gauge, "Loop lag.");
    metrics.counter("chuhai_polls_total", {{"outcome", "ok"}}).inc(3);
    metrics.counter("chuhai_polls_total", {{"outcome", "error"}}).inc();
    metrics.gauge("chuhai_lag_seconds").set(0.25);

    EXPECT_EQ(metrics.render(),
              "# HELP chuhai_polls_total Polls that ended.\n"
              "# TYPE chuhai_polls_total counter\n"
              "chuhai_polls_total{outcome=\"error\"} 1\n"
              "chuhai_polls_total{outcome=\"ok\"} 3\n"
              "# HELP chuhai_lag_seconds Loop lag.\n"
              "# TYPE chuhai_lag_seconds gauge\n"
              "chuhai_lag_seconds 0.25\n");
}

TEST(Metrics, LabelOrderInTheCallDoesNotMatter) {
    Metrics metrics;
    metrics.declare("m_total", MetricType::counter, "h", {"a", "b"});
    Counter& first = metrics.counter("m_total", {{"a", "1"}, {"b", "2"}});
    Counter& second = metrics.counter("m_total", {{"b", "2"}, {"a", "1"}});
    EXPECT_EQ(&first, &second);
    first.inc();
    EXPECT_NE(metrics.render().find("m_total{a=\"1\",b=\"2\"} 1\n"), std::string::npos);
}

TEST(Metrics, HandlesStayValidAsTheRegistryGrows) {
    Metrics metrics;
    metrics.declare("m_total", MetricType::counter, "h", {"topic"});
    Counter& kept = metrics.counter("m_total", {{"topic", "chips"}});
    for (int i = 0; i < 500; ++i)
        metrics.counter("m_total", {{"topic", topic_name(i)}}).inc();
    kept.inc(2);
    EXPECT_EQ(metrics.counter("m_total", {{"topic", "chips"}}).value(), 2);
}

TEST(Metrics, EscapesHelpTextAndLabelValues) {
    Metrics metrics;
    metrics.declare("m", MetricType::gauge, "a \\ backslash\nand a newline \"quoted\"", {"topic"});
    metrics.gauge("m", {{"topic", "C:\\path \"q\"\nline 出海"}}).set(1);
    EXPECT_EQ(metrics.render(),
              "# HELP m a \\\\ backslash\\nand a newline \"quoted\"\n"
              "# TYPE m gauge\n"
              "m{topic=\"C:\\\\path \\\"q\\\"\\nline 出海\"} 1\n");
}

TEST(Metrics, InvalidUtf8InLabelValuesBecomesReplacementCharacters) {
    EXPECT_EQ(escape_label_value("a\xff"
                                 "b"),
              "a\xEF\xBF\xBD"
              "b");
    EXPECT_EQ(escape_label_value("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
    EXPECT_EQ(escape_label_value("\xED\xA0\x80"),
              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");                      // a surrogate
    EXPECT_EQ(escape_label_value("\xE5\x87"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated 出
    EXPECT_EQ(escape_label_value("出海 🚢"), "出海 🚢");
}

TEST(Metrics, FormatsSampleValues) {
    EXPECT_EQ(format_sample_value(0), "0");
    EXPECT_EQ(format_sample_value(42), "42");
    EXPECT_EQ(format_sample_value(-3), "-3");
    EXPECT_EQ(format_sample_value(1234567890123.0), "1234567890123");
    EXPECT_EQ(format_sample_value(0.1), "0.1");
    EXPECT_EQ(format_sample_value(1.5e-7), "1.5e-07");
    EXPECT_EQ(format_sample_value(1e300), "1e+300");
    EXPECT_EQ(format_sample_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_sample_value(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(format_sample_value(std::nan("")), "NaN");
    // Whatever is printed reads back as the same double.
    const double third = 1.0 / 3.0;
    EXPECT_EQ(std::stod(format_sample_value(third)), third);
}

TEST(Metrics, RefusesMisuse) {
    Metrics metrics;
    metrics.declare("c_total", MetricType::counter, "h", {"kind"});
    EXPECT_NE(internal_error_of([&] { metrics.counter("nope_total"); }).find("not declared"),
              std::string::npos);
    EXPECT_NE(internal_error_of([&] {
                  metrics.gauge("c_total", {{"kind", "x"}});
              }).find("is a counter, not a gauge"),
              std::string::npos);
    EXPECT_NE(internal_error_of([&] { metrics.counter("c_total"); }).find("takes 1 labels"),
              std::string::npos);
    EXPECT_NE(internal_error_of([&] {
                  metrics.counter("c_total", {{"kinds", "x"}});
              }).find("has no label 'kinds'"),
              std::string::npos);
    internal_error_of([&] { metrics.declare("1bad", MetricType::gauge, "h"); });
    internal_error_of([&] { metrics.declare("bad-name", MetricType::gauge, "h"); });
    internal_error_of([&] { metrics.declare("ok", MetricType::gauge, "h", {"__reserved"}); });
    internal_error_of([&] { metrics.declare("ok", MetricType::gauge, "h", {"a:b"}); });
    internal_error_of([&] { metrics.declare("ok", MetricType::gauge, "h", {"a", "a"}); });
    // Declaring again: the same is fine, a different type or labels is a bug.
    metrics.declare("c_total", MetricType::counter, "other help", {"kind"});
    internal_error_of([&] { metrics.declare("c_total", MetricType::gauge, "h", {"kind"}); });
    internal_error_of([&] { metrics.declare("c_total", MetricType::counter, "h", {"state"}); });
    // Counters only go up.
    Counter& counter = metrics.counter("c_total", {{"kind", "x"}});
    internal_error_of([&] { counter.inc(-1); });
    internal_error_of([&] { counter.inc(std::nan("")); });
    EXPECT_EQ(counter.value(), 0);
}

TEST(Metrics, SeriesBeyondTheLimitShareOneOverflowSeries) {
    Metrics metrics(3);
    metrics.declare("m_total", MetricType::counter, "h", {"topic"});
    for (int i = 0; i < 10; ++i)
        metrics.counter("m_total", {{"topic", topic_name(i)}}).inc();
    // Known series keep counting on their own.
    metrics.counter("m_total", {{"topic", "t0"}}).inc();

    const std::string text = metrics.render();
    EXPECT_NE(text.find("m_total{topic=\"t0\"} 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("m_total{topic=\"t1\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("m_total{topic=\"t2\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("m_total{topic=\"_overflow\"} 7\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("t3"), std::string::npos) << text;
}

TEST(Metrics, ConcurrentUpdatesAreNotLost) {
    Metrics metrics;
    metrics.declare("m_total", MetricType::counter, "h", {"worker"});
    metrics.declare("g", MetricType::gauge, "h");
    constexpr int kThreads = 4;
    constexpr int kIncrements = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&metrics, t] {
            for (int i = 0; i < kIncrements; ++i) {
                // Looked up each time on purpose: lookups race with creation and rendering.
                metrics.counter("m_total", {{"worker", "shared"}}).inc();
                metrics.counter("m_total", {{"worker", std::to_string(t)}}).inc();
                metrics.gauge("g").add(1);
                if (i % 5000 == 0)
                    (void)metrics.render();
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(metrics.counter("m_total", {{"worker", "shared"}}).value(), kThreads * kIncrements);
    EXPECT_EQ(metrics.counter("m_total", {{"worker", "2"}}).value(), kIncrements);
    EXPECT_EQ(metrics.gauge("g").value(), kThreads * kIncrements);
}

TEST(StandardMetrics, DeclaresEveryNameWithItsFixedSeries) {
    Metrics metrics;
    declare_standard_metrics(metrics);
    declare_standard_metrics(metrics);  // idempotent
    const std::string text = metrics.render();
    for (const std::string_view name :
         {metric::kPolls, metric::kPollErrors, metric::kItems, metric::kMatches,
          metric::kDigestDeliveries, metric::kDigestFailures, metric::kRuleReloads, metric::kCycles,
          metric::kEventLoopLag, metric::kEventLoopLagMax, metric::kLastCycleEnd,
          metric::kLastCycleDuration, metric::kSources, metric::kStartTime, metric::kBuildInfo}) {
        EXPECT_NE(text.find("# HELP " + std::string(name) + " "), std::string::npos) << name;
        EXPECT_NE(text.find("# TYPE " + std::string(name) + " "), std::string::npos) << name;
    }
    EXPECT_NE(text.find("chuhai_polls_total{outcome=\"not_modified\"} 0\n"), std::string::npos);
    EXPECT_NE(text.find("chuhai_items_total{status=\"duplicate\"} 0\n"), std::string::npos);
    EXPECT_NE(text.find("chuhai_sources{state=\"failing\"} 0\n"), std::string::npos);
    EXPECT_NE(text.find("chuhai_rule_reloads_total{outcome=\"refused\"} 0\n"), std::string::npos);
    EXPECT_NE(text.find("chuhai_build_info{version=\"" + std::string(kVersion) + "\"} 1\n"),
              std::string::npos);
    EXPECT_GT(metrics.gauge(metric::kStartTime).value(), 1.7e9);

    // The stages count through the names and labels as documented.
    metrics.counter(metric::kPollErrors, {{label::kKind, "timeout"}}).inc();
    metrics.counter(metric::kMatches, {{label::kTopic, "chips"}}).inc(2);
    metrics.counter(metric::kDigestFailures, {{label::kChannel, "morning"}}).inc();
    const std::string after = metrics.render();
    EXPECT_NE(after.find("chuhai_poll_errors_total{kind=\"timeout\"} 1\n"), std::string::npos);
    EXPECT_NE(after.find("chuhai_matches_total{topic=\"chips\"} 2\n"), std::string::npos);
    EXPECT_NE(after.find("chuhai_digest_delivery_failures_total{channel=\"morning\"} 1\n"),
              std::string::npos);
}

// Every line of the exposition is a comment (# HELP/# TYPE) or a sample
// `name{labels} value`, and every family's samples follow its TYPE line.
TEST(StandardMetrics, RenderedTextIsWellFormed) {
    Metrics metrics;
    declare_standard_metrics(metrics);
    metrics.counter(metric::kMatches, {{label::kTopic, "出海 \"quoted\"\nnewline"}}).inc();
    const std::string text = metrics.render();
    ASSERT_FALSE(text.empty());
    ASSERT_EQ(text.back(), '\n');
    std::string current_family;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        if (line.starts_with("# HELP "))
            continue;
        if (line.starts_with("# TYPE ")) {
            current_family = line.substr(7, line.find(' ', 7) - 7);
            continue;
        }
        ASSERT_TRUE(line.starts_with(current_family)) << line;
        const std::size_t space = line.rfind(' ');
        ASSERT_NE(space, std::string::npos) << line;
        const std::string value = line.substr(space + 1);
        EXPECT_NO_THROW((void)std::stod(value)) << line;
        // A label set, if any, closes right before the value.
        if (line.find('{') != std::string::npos) {
            EXPECT_EQ(line[space - 1], '}') << line;
        }
    }
}

}  // namespace
}  // namespace chuhai::service
