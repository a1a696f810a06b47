// What the service plumbing costs the daemon: a counter increment on a hot path (through a kept
// handle, and with a label lookup each time), rendering /metrics at several registry sizes,
// a full scrape over loopback, and the redaction every log message passes through.
//
//   build/tests/bench/service/service_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)

#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <string>
#include <thread>

#include "common/log.h"
#include "service/metric_names.h"
#include "service/metrics.h"
#include "service/metrics_server.h"

namespace {

using namespace chuhai;
using namespace chuhai::service;

// A registry shaped like the daemon's: the standard families, `topics` match topics, and poll
// errors of a dozen kinds.
void fill(Metrics& metrics, int topics) {
    declare_standard_metrics(metrics);
    for (int i = 0; i < topics; ++i)
        metrics.counter(metric::kMatches, {{label::kTopic, "topic-" + std::to_string(i)}}).inc(i);
    for (int i = 0; i < 12; ++i)
        metrics.counter(metric::kPollErrors, {{label::kKind, "kind-" + std::to_string(i)}}).inc();
}

void BM_CounterIncKeptHandle(benchmark::State& state) {
    static Metrics metrics;
    static Counter& counter = []() -> Counter& {
        declare_standard_metrics(metrics);
        return metrics.counter(metric::kCycles);
    }();
    for (auto _ : state)
        counter.inc();
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CounterIncKeptHandle)->Threads(1)->Threads(2);

void BM_CounterIncWithLookup(benchmark::State& state) {
    Metrics metrics;
    fill(metrics, 100);
    for (auto _ : state)
        metrics.counter(metric::kMatches, {{label::kTopic, "topic-42"}}).inc();
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CounterIncWithLookup);

void BM_Render(benchmark::State& state) {
    Metrics metrics(100000);
    fill(metrics, static_cast<int>(state.range(0)));
    std::size_t bytes = 0;
    for (auto _ : state) {
        const std::string text = metrics.render();
        bytes = text.size();
        benchmark::DoNotOptimize(text.data());
    }
    state.counters["bytes"] = static_cast<double>(bytes);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_Render)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

// Heap bytes a series costs (label values of ~10 bytes), from malloc's own statistics.
void BM_MemoryPerSeries(benchmark::State& state) {
    const auto series = static_cast<int>(state.range(0));
    double per_series = 0;
    for (auto _ : state) {
        const auto before = mallinfo2().uordblks;
        {
            Metrics metrics(1000000);
            metrics.declare("m_total", MetricType::counter, "h", {"topic"});
            for (int i = 0; i < series; ++i)
                metrics.counter("m_total", {{"topic", "topic-" + std::to_string(i)}}).inc();
            per_series = static_cast<double>(mallinfo2().uordblks - before) / series;
        }
    }
    state.counters["bytes_per_series"] = per_series;
}
BENCHMARK(BM_MemoryPerSeries)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);

// One keep-alive connection scraping /metrics again and again, the server on its own loop
// thread as in the daemon.
void BM_ScrapeOverLoopback(benchmark::State& state) {
    Metrics metrics;
    fill(metrics, static_cast<int>(state.range(0)));
    boost::asio::io_context loop;
    auto guard = boost::asio::make_work_guard(loop);
    MetricsServerOptions options;
    options.listen = "127.0.0.1:0";
    options.max_requests_per_connection = 1u << 30;
    MetricsServer server(loop, metrics, {}, options);
    std::thread runner([&] { loop.run(); });

    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server.port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        state.SkipWithError("cannot connect");
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n";
    std::string buffer;
    buffer.resize(1 << 20);
    for (auto _ : state) {
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
            state.SkipWithError("send failed");
            break;
        }
        // Read the header, then exactly Content-Length bytes.
        std::string received;
        std::size_t expected = std::string::npos;
        while (expected == std::string::npos || received.size() < expected) {
            const ssize_t size = ::recv(fd, buffer.data(), buffer.size(), 0);
            if (size <= 0) {
                state.SkipWithError("connection closed");
                break;
            }
            received.append(buffer.data(), static_cast<std::size_t>(size));
            const std::size_t header_end = received.find("\r\n\r\n");
            if (expected == std::string::npos && header_end != std::string::npos) {
                const std::size_t at = received.find("Content-Length: ");
                expected = header_end + 4 + std::stoul(received.substr(at + 16));
            }
        }
    }
    ::close(fd);
    std::promise<void> stopped;
    boost::asio::post(loop, [&] {
        server.stop();
        stopped.set_value();
    });
    stopped.get_future().wait();
    guard.reset();
    runner.join();
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScrapeOverLoopback)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_RedactPlainMessage(benchmark::State& state) {
    clear_registered_secrets();
    const std::string message = "source 36kr: 12 items, 3 new, 2 matched (infrastructure, chips)";
    for (auto _ : state)
        benchmark::DoNotOptimize(redact_secrets(message));
}
BENCHMARK(BM_RedactPlainMessage);

void BM_RedactMessageWithUrlAndSecrets(benchmark::State& state) {
    clear_registered_secrets();
    for (int i = 0; i < 10; ++i)
        register_secret("secret-value-" + std::to_string(i));
    const std::string message =
        "source example: moved permanently to https://feeds.example.org/rss.xml?token=abc&page=2 "
        "(was http://user:pass@old.example.org/feed)";
    for (auto _ : state)
        benchmark::DoNotOptimize(redact_secrets(message));
    clear_registered_secrets();
}
BENCHMARK(BM_RedactMessageWithUrlAndSecrets);

}  // namespace

BENCHMARK_MAIN();
