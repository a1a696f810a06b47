// Benchmarks of the digest and deliver stages: building and rendering a digest, building its
// MIME message, the body encoders, schedule arithmetic and webhook signing. Run with
//   build/tests/bench/digest/digest_bench
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only
// (docs/performance.md quotes the medians).

#include <benchmark/benchmark.h>

#include <filesystem>
#include <string_view>

#include "common/file.h"
#include "deliver/mime.h"
#include "deliver/prepared.h"
#include "deliver/signature.h"
#include "digest/build.h"
#include "digest/render.h"
#include "digest/schedule.h"

namespace {

using namespace chuhai;

// A realistic daily digest: `n` stories over 6 topics, half with Chinese titles and excerpts,
// two to five sources each, five earlier periods for the chart.
digest::DigestInputs inputs(int n) {
    digest::DigestInputs in;
    in.channel = "daily-en";
    in.period = {*parse_rfc3339("2025-07-01T00:00:00Z"), *parse_rfc3339("2025-07-02T00:00:00Z")};
    in.generated = in.period.end;
    in.zone = digest::TimeZone::locate("Asia/Shanghai");
    in.filter.max_stories = static_cast<std::size_t>(n);
    const char* companies[] = {"DeepSeek", "Moonshot AI", "Zhipu AI", "MiniMax",
                               "Baichuan", "01.AI",       "StepFun"};
    for (int i = 0; i < n; ++i) {
        digest::CandidateStory c;
        c.story.id = i;
        const bool chinese = i % 2 == 0;
        c.story.title = chinese ? "智谱AI完成新一轮融资，加速在东南亚和中东的海外布局（第" +
                                      std::to_string(i) + "篇）"
                                : "DeepSeek opens its first European office in Paris as it "
                                  "hires engineers for overseas growth, report " +
                                      std::to_string(i);
        c.story.link = "https://news.example.com/2025/07/01/story-" + std::to_string(i);
        for (int s = 0; s < 2 + i % 4; ++s) {
            c.story.sources.push_back(
                {"Source " + std::to_string(s), c.story.link + "?via=" + std::to_string(s)});
        }
        c.story.first_seen = in.period.start + std::chrono::minutes{i * 20};
        c.story.published = c.story.first_seen - std::chrono::minutes{5};
        c.story.score = 100.0 - i * 0.01;  // all positive: every story passes the filter
        c.story.topics = {"topic-" + std::to_string(i % 6)};
        c.story.companies = {companies[i % 7]};
        c.story.matches = {{"expansion", {"overseas", "office"}}, {"funding", {"融资"}}};
        c.text = chinese
                     ? "月之暗面宣布在新加坡设立海外总部，首批招聘五十名工程师。公司表示，新办公室"
                       "将服务东南亚客户。此外，团队还计划明年进入中东市场。"
                     : "The company said on Tuesday it would open an office in Paris. It "
                       "plans to hire fifty engineers by the end of the year. Analysts "
                       "expect more Chinese AI firms to follow.";
        in.candidates.push_back(std::move(c));
    }
    for (int p = 5; p >= 1; --p) {
        digest::PeriodCounts counts;
        counts.period = {in.period.start - std::chrono::hours{24 * p},
                         in.period.start - std::chrono::hours{24 * (p - 1)}};
        for (int c = 0; c < 7; ++c)
            counts.counts.companies[companies[c]] = (c + p) % 5;
        in.history.push_back(counts);
    }
    return in;
}

void BM_BuildDigest(benchmark::State& state) {
    const auto in = inputs(static_cast<int>(state.range(0)));
    for (auto _ : state)
        benchmark::DoNotOptimize(digest::build_digest(in));
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_BuildDigest)->Arg(50)->Arg(500);

template <std::string (*Render)(const digest::Digest&)>
void BM_Render(benchmark::State& state) {
    const auto d = digest::build_digest(inputs(static_cast<int>(state.range(0))));
    std::size_t bytes = 0;
    for (auto _ : state) {
        const std::string out = Render(d);
        bytes = out.size();
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["output_bytes"] = static_cast<double>(bytes);
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK_TEMPLATE(BM_Render, digest::render_text)->Name("BM_RenderText")->Arg(50);
BENCHMARK_TEMPLATE(BM_Render, digest::render_html)->Name("BM_RenderHtml")->Arg(50);
BENCHMARK_TEMPLATE(BM_Render, digest::render_json)->Name("BM_RenderJson")->Arg(50);
BENCHMARK_TEMPLATE(BM_Render, digest::render_slack)->Name("BM_RenderSlack")->Arg(50);
BENCHMARK_TEMPLATE(BM_Render, digest::render_discord)->Name("BM_RenderDiscord")->Arg(50);

void BM_PrepareEmail(benchmark::State& state) {
    const auto d = digest::build_digest(inputs(static_cast<int>(state.range(0))));
    std::size_t bytes = 0;
    for (auto _ : state) {
        const auto prepared = deliver::prepare_email(d, {"chuhai", "digest@example.org"},
                                                     {{"", "alice@example.com"}});
        bytes = prepared.payload.size();
        benchmark::DoNotOptimize(prepared.payload.data());
    }
    state.counters["message_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_PrepareEmail)->Arg(50);

// The MIME step alone, from already rendered parts: what tests/bench/digest/mime_peer.py measures
// for Python's email package.
void BM_BuildMimeMessage(benchmark::State& state) {
    const auto d = digest::build_digest(inputs(static_cast<int>(state.range(0))));
    deliver::MailMessage m;
    m.from = {"chuhai", "digest@example.org"};
    m.to = {{"", "alice@example.com"}};
    m.subject = digest::subject_line(d);
    m.date = d.generated;
    m.message_id = deliver::make_message_id(d.id, "example.org");
    m.text_body = digest::render_text(d);
    m.html_body = digest::render_html(d);
    for (auto _ : state)
        benchmark::DoNotOptimize(deliver::build_mime_message(m));
    state.SetBytesProcessed(state.iterations() *
                            static_cast<std::int64_t>(m.text_body.size() + m.html_body.size()));
}
BENCHMARK(BM_BuildMimeMessage)->Arg(50);

std::string megabyte_of_text() {
    std::string text;
    while (text.size() < (1u << 20)) {
        text += "DeepSeek opens an office in Paris = news. 月之暗面宣布在新加坡设立海外总部。\r\n";
    }
    return text;
}

void BM_QuotedPrintable(benchmark::State& state) {
    const std::string text = megabyte_of_text();
    for (auto _ : state)
        benchmark::DoNotOptimize(deliver::encode_quoted_printable(text));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_QuotedPrintable);

void BM_Base64(benchmark::State& state) {
    const std::string text = megabyte_of_text();
    for (auto _ : state)
        benchmark::DoNotOptimize(deliver::encode_base64(text));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_Base64);

void BM_SlotAfter(benchmark::State& state, const char* schedule, const char* zone) {
    const auto s = digest::parse_schedule(schedule, zone);
    UtcTime t = *parse_rfc3339("2025-03-29T00:00:00Z");
    for (auto _ : state) {
        t = digest::slot_after(s, t);
        benchmark::DoNotOptimize(t);
    }
}
BENCHMARK_CAPTURE(BM_SlotAfter, every_1m_berlin, "every 1m", "Europe/Berlin");
BENCHMARK_CAPTURE(BM_SlotAfter, daily_berlin, "daily 02:30", "Europe/Berlin");
BENCHMARK_CAPTURE(BM_SlotAfter, weekly_new_york, "weekly sun 01:30", "America/New_York");

void BM_SignWebhook(benchmark::State& state) {
    const std::string body(static_cast<std::size_t>(state.range(0)), 'x');
    const UtcTime t = *parse_rfc3339("2025-07-01T00:00:00Z");
    for (auto _ : state)
        benchmark::DoNotOptimize(deliver::signature_header_value("secret", t, body));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SignWebhook)->Arg(64 << 10);

}  // namespace

// `digest_bench --write-parts=DIR` writes the 50-story digest's text and HTML parts (for
// mime_peer.py, the Python email package doing the same job) instead of benchmarking.
int main(int argc, char** argv) {
    const std::string_view flag = "--write-parts=";
    if (argc == 2 && std::string_view(argv[1]).starts_with(flag)) {
        const std::filesystem::path dir(std::string_view(argv[1]).substr(flag.size()));
        const auto d = digest::build_digest(inputs(50));
        write_file_atomic(dir / "digest.txt", digest::render_text(d));
        write_file_atomic(dir / "digest.html", digest::render_html(d));
        return 0;
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
