// Fetch-only poll cycles over a list of URLs, for docs/performance.md ("## Fetching").
//
//   fetch_bench URLS_FILE [--cycles N] [--max-concurrent N] [--idle-seconds S]
//
// Every URL becomes a source; each cycle is Poller::poll_all_now(), so the first is cold (200s)
// and the next ones are warm (conditional GET, 304s). The handler stands in for the pipeline and
// reports at once, so this measures fetching alone. After the cycles the poller runs in its
// continuous mode for S seconds with nothing due, to show what it costs between polls.
// Prints one line of key=value pairs per cycle and one for the idle period.

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "fetch/poller.h"

namespace {

using namespace std::chrono_literals;
using chuhai::fetch::CycleSummary;

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

int usage() {
    std::cerr << "usage: fetch_bench URLS_FILE [--cycles N] [--max-concurrent N] "
                 "[--idle-seconds S]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2)
        return usage();
    int cycles = 2;
    int max_concurrent = 50;
    int idle_seconds = 3;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--cycles") == 0)
            cycles = std::stoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--max-concurrent") == 0)
            max_concurrent = std::stoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--idle-seconds") == 0)
            idle_seconds = std::stoi(argv[i + 1]);
        else
            return usage();
    }
    spdlog::set_level(spdlog::level::err);

    boost::asio::io_context io;
    chuhai::SystemClock clock;
    chuhai::fetch::PollerOptions options;
    options.scheduler.max_concurrent = max_concurrent;
    options.client.max_body_bytes = 16u << 20;
    chuhai::fetch::Poller poller(io, clock, options);
    poller.set_fetch_handler([](const chuhai::fetch::PolledSource&, chuhai::fetch::FetchResult,
                                chuhai::fetch::ProcessDone done) { done({}); });

    std::ifstream in(argv[1]);
    if (!in) {
        std::cerr << "cannot read " << argv[1] << "\n";
        return 1;
    }
    chuhai::fetch::SourceId id = 0;
    for (std::string url; std::getline(in, url);) {
        if (url.empty())
            continue;
        chuhai::fetch::SourceSettings settings;
        settings.id = ++id;
        settings.name = "bench-" + std::to_string(id);
        settings.url = url;
        poller.scheduler().upsert(std::move(settings));
    }

    for (int cycle = 1; cycle <= cycles; ++cycle) {
        std::optional<CycleSummary> summary;
        const double cpu_before = cpu_seconds();
        const auto started = std::chrono::steady_clock::now();
        poller.poll_all_now([&](const CycleSummary& s) { summary = s; });
        io.restart();
        while (!summary && io.run_one() > 0) {
        }
        const auto wall = std::chrono::steady_clock::now() - started;
        if (!summary) {
            std::cerr << "cycle " << cycle << " did not complete\n";
            return 1;
        }
        std::printf(
            "cycle=%d sources=%d updated=%d not_modified=%d failed=%d bytes=%llu wall_ms=%.1f "
            "cpu_ms=%.1f peak_rss_mb=%.1f\n",
            cycle, summary->sources, summary->updated, summary->not_modified, summary->failed,
            static_cast<unsigned long long>(summary->bytes),
            std::chrono::duration<double, std::milli>(wall).count(),
            (cpu_seconds() - cpu_before) * 1000.0, peak_rss_mb());
        std::fflush(stdout);
    }

    // Continuous mode with every source scheduled minutes ahead: only the wake timer is pending.
    poller.start();
    const double cpu_before = cpu_seconds();
    io.restart();
    const std::size_t handlers = io.run_for(std::chrono::seconds{idle_seconds});
    std::printf("idle_seconds=%d handlers=%zu cpu_ms=%.1f socket_actions=%llu\n", idle_seconds,
                handlers, (cpu_seconds() - cpu_before) * 1000.0,
                static_cast<unsigned long long>(poller.client().stats().socket_actions));
    return 0;
}
