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
#include "text/normalize.h"

#ifdef CHUHAI_BENCH_HYPERSCAN
#include <hs/hs.h>
#endif

namespace {

using namespace chuhai;

constexpr std::size_t kItems = 1000;

const char* const kFiller[] = {
    "the",    "company", "said",  "on",       "tuesday",  "that",     "its",         "new",
    "market", "growth",  "would", "continue", "next",     "year",     "as",          "demand",
    "from",   "clients", "rose",  "sharply",  "while",    "analysts", "expect",      "margins",
    "to",     "remain",  "under", "pressure", "amid",     "strong",   "competition", "in",
    "the",    "region",  "and",   "beyond",   "with",     "several",  "partners",    "report",
    "shows",  "sales",   "of",    "devices",  "services", "software", "plans"};
const char* const kPlaces[] = {"Mexico",  "Brazil", "Saudi Arabia", "Singapore", "Malaysia",
                               "Germany", "Kenya",  "Thailand",     "Japan",     "France"};
const char* const kChineseFiller[] = {"公司", "表示", "今年", "市场", "增长", "客户", "服务",
                                      "继续", "合作", "发布", "计划", "预计", "业务", "需求"};

// The made-up company name of rule i, unique per rule: "Zarqon17", …
std::string company(std::size_t i) {
    static const char* const kSyllables[] = {"zar", "qon", "vel", "tri",
                                             "mok", "dax", "lun", "pes"};
    std::string name;
    std::size_t n = i + 1;
    while (n > 0) {
        name += kSyllables[n % 8];
        n /= 8;
    }
    name[0] = static_cast<char>(name[0] - 32);
    return name + std::to_string(i % 97);
}

std::string rules_yaml(std::size_t rule_count) {
    std::string yaml = "settings:\n  threshold: 10\nentities:\n  places:\n";
    for (const char* p : kPlaces)
        yaml += std::string("    - ") + p + "\n";
    yaml +=
        "lists:\n  expansion:\n    - overseas | abroad | expand* globally | 出海 | 海外\n"
        "    - data centre* | data center* | 数据中心\n"
        "rules:\n";
    for (std::size_t i = 0; i < rule_count; ++i) {
        const std::string id = std::to_string(i);
        yaml += "  - id: r" + id + "\n    topic: t" + std::to_string(i % 10) + "\n    score: 10\n";
        if (i % 10 == 3) {
            yaml += "    match:\n      at_least: 2\n      of: [\"" + company(i) + "\", \"" +
                    company(i) + " Labs\", {list: places}]\n      near: 30 words\n";
        } else {
            yaml += "    match:\n      all: [\"" + company(i) + " | " + company(i) +
                    " Cloud\", {list: places}, {list: expansion}]\n      near: 40 words\n";
        }
        if (i % 10 == 7)
            yaml += "    not: [price target]\n";
    }
    return yaml;
}

// Items with a title of about 10 words and a body of about 1 KB. Related items name two
// companies of the rule set, a place and an expansion term (one or two rules hold); unrelated
// ones, like most of a feed, name only a place.
std::vector<match::Document> make_items(std::size_t rule_count, bool chinese, bool related = true) {
    std::mt19937 rng(42);
    std::vector<match::Document> items;
    items.reserve(kItems);
    auto filler = [&](std::size_t bytes) {
        std::string s;
        while (s.size() < bytes) {
            if (chinese) {
                s += kChineseFiller[rng() % std::size(kChineseFiller)];
                if (rng() % 12 == 0)
                    s += "，";
            } else {
                s += kFiller[rng() % std::size(kFiller)];
                s += (rng() % 14 == 0) ? ". " : " ";
            }
        }
        return s;
    };
    for (std::size_t i = 0; i < kItems; ++i) {
        match::Document d;
        const std::string a = related ? company(rng() % rule_count) : std::string("Someone");
        const std::string b = related ? company(rng() % rule_count) : std::string("someone");
        const std::string place = kPlaces[rng() % std::size(kPlaces)];
        d.title = a + " " + filler(40) + " " + place;
        d.content = filler(400) + " " + b + (chinese ? "在" : " opens a data centre in ") + place +
                    (chinese ? "出海 " : " as it expands abroad ") + filler(560);
        items.push_back(std::move(d));
    }
    return items;
}

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
