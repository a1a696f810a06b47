// Matching throughput: items per second on one core for 10 … 10,000 rules over a fixed set of
// feed-sized items (a title and about 1 KB of body), and the scanners compared on the same
// literal patterns. docs/performance.md ("Matching") quotes the figures and the command.
//
// The rule sets are synthetic but shaped like the default pack: every rule combines a term of
// its own (a company), a shared entity list (places) and a shared vocabulary list, with
// proximity; a tenth of the rules add a not: and a tenth are "at least 2 of" their company, its
// lab and a place. Each item carries a few
// of the rules' terms, so a few rules are candidates per item whatever the size of the set.

#include <benchmark/benchmark.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "match/aho_corasick.h"
#include "match/match_text.h"
#include "match/rule_set.h"
#include "tests/bench/match/synthetic.h"
#include "text/normalize.h"

#ifdef CHUHAI_BENCH_HYPERSCAN
#include <hs/hs.h>
#endif

namespace {

using namespace chuhai;
using chuhai::bench::company;
using chuhai::bench::kItems;
using chuhai::bench::kPlaces;
using chuhai::bench::make_items;
using chuhai::bench::rules_yaml;

std::shared_ptr<const match::RuleSet> compile(std::size_t rule_count) {
    auto result =
        match::RuleSet::compile({match::RuleFile{"bench.yaml", "", rules_yaml(rule_count)}});
    if (!result.rules) {
        for (const auto& d : result.diagnostics)
            fprintf(stderr, "%s\n", d.to_string().c_str());
        std::abort();
    }
    return result.rules;
}

void BM_Evaluate(benchmark::State& state, bool chinese, bool related = true) {
    const auto rule_count = static_cast<std::size_t>(state.range(0));
    const auto rules = compile(rule_count);
    const auto items = make_items(rule_count, chinese, related);
    // The steady state of a long-running daemon: per-thread buffers grown and the one-pass
    // fold table filled for the characters these items use.
    for (const match::Document& item : items)
        benchmark::DoNotOptimize(rules->evaluate(item).score);
    std::size_t matched = 0;
    std::size_t i = 0;
    for (auto _ : state) {
        const match::MatchResult r = rules->evaluate(items[i]);
        matched += r.matched ? 1 : 0;
        benchmark::DoNotOptimize(r.score);
        i = (i + 1) % items.size();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.counters["matched_share"] =
        static_cast<double>(matched) / static_cast<double>(state.iterations());
    const auto stats = rules->stats();
    state.counters["patterns"] = static_cast<double>(stats.literal_patterns);
    state.counters["automaton_MB"] = static_cast<double>(stats.automaton_bytes) / 1e6;
}

void BM_EvaluateEnglish(benchmark::State& state) {
    BM_Evaluate(state, false);
}
void BM_EvaluateChinese(benchmark::State& state) {
    BM_Evaluate(state, true);
}
BENCHMARK(BM_EvaluateEnglish)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK(BM_EvaluateChinese)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);
void BM_EvaluateUnrelatedEnglish(benchmark::State& state) {
    BM_Evaluate(state, false, false);
}
void BM_EvaluateUnrelatedChinese(benchmark::State& state) {
    BM_Evaluate(state, true, false);
}
BENCHMARK(BM_EvaluateUnrelatedEnglish)->Arg(1000)->Arg(10000);
BENCHMARK(BM_EvaluateUnrelatedChinese)->Arg(1000)->Arg(10000);

// The normalisation floor: fold and collapse title and body, nothing else.
void BM_NormaliseOnly(benchmark::State& state) {
    const auto items = make_items(1000, state.range(0) == 1);
    match::FieldText title;
    match::FieldText content;
    std::size_t i = 0;
    for (auto _ : state) {
        title.assign(items[i].title);
        content.assign(items[i].content);
        benchmark::DoNotOptimize(content.text().data());
        i = (i + 1) % items.size();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetLabel(state.range(0) == 1 ? "chinese" : "english");
}
BENCHMARK(BM_NormaliseOnly)->Arg(0)->Arg(1);

// The reference point of the issue: ICU's NFKC case folding of the same text, alone.
void BM_IcuFoldOnly(benchmark::State& state) {
    const auto items = make_items(1000, state.range(0) == 1);
    text::FoldedText folded;
    std::size_t i = 0;
    for (auto _ : state) {
        // One non-ASCII character keeps ICU in the loop even for English text.
        benchmark::DoNotOptimize(text::fold(items[i].title + "\u00e9").size());
        text::fold_mapped(items[i].content + "\u00e9", folded);
        benchmark::DoNotOptimize(folded.text.data());
        i = (i + 1) % items.size();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetLabel(state.range(0) == 1 ? "chinese" : "english");
}
BENCHMARK(BM_IcuFoldOnly)->Arg(0)->Arg(1);

void BM_Compile(benchmark::State& state) {
    const std::string yaml = rules_yaml(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        auto result = match::RuleSet::compile({match::RuleFile{"bench.yaml", "", yaml}});
        benchmark::DoNotOptimize(result.rules.get());
    }
}
BENCHMARK(BM_Compile)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// --- Scanners compared on the same literals (the choice the engine made) ----------------------

std::vector<std::string> literal_patterns(std::size_t rule_count) {
    std::vector<std::string> patterns;
    for (std::size_t i = 0; i < rule_count; ++i) {
        patterns.push_back(match::normalize_term(company(i)));
        patterns.push_back(match::normalize_term(company(i) + " Cloud"));
    }
    for (const char* p : kPlaces)
        patterns.push_back(match::normalize_term(p));
    return patterns;
}

std::vector<std::string> normalised_bodies(std::size_t rule_count) {
    std::vector<std::string> out;
    for (const auto& d : make_items(rule_count, false))
        out.push_back(text::fold(d.content));
    return out;
}

void BM_ScanAhoCorasick(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const match::AhoCorasick ac(literal_patterns(n), {});
    const auto bodies = normalised_bodies(n);
    std::size_t i = 0;
    std::size_t hits = 0;
    for (auto _ : state) {
        ac.scan(bodies[i], [&](std::uint32_t, std::size_t) { ++hits; });
        i = (i + 1) % bodies.size();
    }
    benchmark::DoNotOptimize(hits);
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ScanAhoCorasick)->Arg(1000)->Arg(10000);

void BM_ScanRe2Set(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    RE2::Options options;
    options.set_max_mem(std::int64_t{1} << 30);
    options.set_log_errors(false);
    RE2::Set set(options, RE2::UNANCHORED);
    for (const std::string& p : literal_patterns(n))
        set.Add("\\b" + RE2::QuoteMeta(p) + "\\b", nullptr);
    if (!set.Compile()) {
        state.SkipWithError("RE2::Set::Compile failed");
        return;
    }
    const auto bodies = normalised_bodies(n);
    std::vector<int> matches;
    std::size_t i = 0;
    for (auto _ : state) {
        set.Match(bodies[i], &matches);
        benchmark::DoNotOptimize(matches.data());
        i = (i + 1) % bodies.size();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetLabel("which patterns only, no positions");
}
BENCHMARK(BM_ScanRe2Set)->Arg(1000)->Arg(10000);

#ifdef CHUHAI_BENCH_HYPERSCAN
void BM_ScanHyperscan(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto patterns = literal_patterns(n);
    std::vector<const char*> expressions;
    std::vector<unsigned> flags(patterns.size(), HS_FLAG_SINGLEMATCH);
    std::vector<unsigned> ids;
    std::vector<std::string> quoted;
    for (std::size_t p = 0; p < patterns.size(); ++p) {
        quoted.push_back("\\b" + RE2::QuoteMeta(patterns[p]) + "\\b");
        ids.push_back(static_cast<unsigned>(p));
    }
    for (const std::string& q : quoted)
        expressions.push_back(q.c_str());
    hs_database_t* database = nullptr;
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(expressions.size()), HS_MODE_BLOCK, nullptr,
                         &database, &error) != HS_SUCCESS) {
        state.SkipWithError(error != nullptr ? error->message : "hs_compile_multi failed");
        hs_free_compile_error(error);
        return;
    }
    hs_scratch_t* scratch = nullptr;
    hs_alloc_scratch(database, &scratch);
    const auto bodies = normalised_bodies(n);
    std::size_t hits = 0;
    std::size_t i = 0;
    auto on_match = [](unsigned, unsigned long long, unsigned long long, unsigned,
                       void* context) -> int {
        ++*static_cast<std::size_t*>(context);
        return 0;
    };
    for (auto _ : state) {
        hs_scan(database, bodies[i].data(), static_cast<unsigned>(bodies[i].size()), 0, scratch,
                on_match, &hits);
        i = (i + 1) % bodies.size();
    }
    benchmark::DoNotOptimize(hits);
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    hs_free_scratch(scratch);
    hs_free_database(database);
}
BENCHMARK(BM_ScanHyperscan)->Arg(1000)->Arg(10000);
#endif

}  // namespace

BENCHMARK_MAIN();
