// chuhai rules check | rules test | explain: the commands analysts use to write and debug rules.

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <system_error>

#include "app/commands.h"
#include "common/error.h"
#include "match/corpus.h"
#include "match/rule_set.h"

namespace chuhai::app {

namespace {

std::string format_score(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4g", value);
    return buffer;
}

std::string join(const std::vector<std::string>& words, std::string_view separator) {
    std::string out;
    for (const std::string& w : words) {
        if (!out.empty())
            out += separator;
        out += w;
    }
    return out;
}

int run_check(const std::filesystem::path& dir) {
    const match::LoadResult result = match::RuleSet::try_load(dir);
    std::size_t errors = 0;
    std::size_t warnings = 0;
    for (const match::Diagnostic& d : result.diagnostics) {
        std::cout << d.to_string() << '\n';
        (d.severity == match::Severity::error ? errors : warnings) += 1;
    }
    if (!result.rules) {
        std::cout << errors << (errors == 1 ? " error" : " errors") << ", " << warnings
                  << (warnings == 1 ? " warning" : " warnings") << '\n';
        return kExitUsage;
    }
    const match::RuleSetStats stats = result.rules->stats();
    std::cout << "ok: " << stats.rules << " rules (" << stats.enabled_rules << " enabled), "
              << stats.lists << " lists with " << stats.list_entries << " entries, "
              << stats.literal_patterns << " patterns, " << stats.regexes << " regexes; threshold "
              << format_score(result.rules->threshold()) << "; version " << result.rules->version();
    if (warnings > 0)
        std::cout << "; " << warnings << (warnings == 1 ? " warning" : " warnings");
    std::cout << '\n';
    return kExitOk;
}

struct TestOptions {
    std::string rules;
    std::string corpus;
    std::string labels;
    bool json = false;
};

int run_test(const std::filesystem::path& rules_dir, const TestOptions& options) {
    const auto rules = match::RuleSet::load(rules_dir);
    const match::Corpus corpus = match::read_corpus(options.corpus);
    for (const std::string& skipped : corpus.skipped)
        std::cerr << "skipped " << skipped << '\n';

    std::vector<std::string> names;
    std::vector<match::MatchResult> results;
    for (const match::NamedDocument& d : corpus.documents) {
        names.push_back(d.name);
        results.push_back(rules->evaluate(d.document));
    }
    std::optional<match::LabelledOutcome> outcome;
    if (!options.labels.empty()) {
        outcome = match::score_against_labels(names, results, match::read_labels(options.labels));
    }

    if (options.json) {
        nlohmann::json documents = nlohmann::json::array();
        for (std::size_t i = 0; i < names.size(); ++i) {
            std::vector<std::string> rule_ids;
            for (const match::RuleHit& hit : results[i].rules)
                rule_ids.push_back(hit.id);
            documents.push_back({{"file", names[i]},
                                 {"matched", results[i].matched},
                                 {"score", results[i].score},
                                 {"topics", results[i].topics},
                                 {"rules", rule_ids}});
        }
        nlohmann::json out = {{"documents", std::move(documents)},
                              {"threshold", rules->threshold()},
                              {"rules_version", rules->version()}};
        if (outcome) {
            out["precision"] = outcome->precision;
            out["recall"] = outcome->recall;
            out["false_positives"] = outcome->false_positives_names;
            out["false_negatives"] = outcome->false_negatives_names;
        }
        std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
        return kExitOk;
    }

    std::size_t matched = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const match::MatchResult& r = results[i];
        matched += r.matched ? 1 : 0;
        std::vector<std::string> rule_ids;
        for (const match::RuleHit& hit : r.rules)
            rule_ids.push_back(hit.id + " " + format_score(hit.score));
        std::printf("%-5s %6s  %-28s %s", r.matched ? "MATCH" : "-", format_score(r.score).c_str(),
                    join(r.topics, ",").c_str(), names[i].c_str());
        if (!rule_ids.empty())
            std::printf("  [%s]", join(rule_ids, ", ").c_str());
        std::printf("\n");
    }
    std::printf("\n%zu of %zu documents match at threshold %s (rules version %s)\n", matched,
                names.size(), format_score(rules->threshold()).c_str(), rules->version().c_str());
    if (outcome) {
        std::printf("precision %.3f (%zu true, %zu false positives)\n", outcome->precision,
                    outcome->true_positives, outcome->false_positives);
        std::printf("recall    %.3f (%zu of %zu that should match)\n", outcome->recall,
                    outcome->true_positives, outcome->true_positives + outcome->false_negatives);
        for (const std::string& name : outcome->false_positives_names)
            std::printf("false positive: %s\n", name.c_str());
        for (const std::string& name : outcome->false_negatives_names)
            std::printf("false negative: %s\n", name.c_str());
        if (!outcome->unlabelled.empty())
            std::printf("%zu documents have no label\n", outcome->unlabelled.size());
    }
    std::fflush(stdout);
    return kExitOk;
}

struct ExplainOptions {
    std::string file;
    std::string rules;
    bool json = false;
    bool verbose = false;
};

int run_explain(const std::filesystem::path& rules_dir, const ExplainOptions& options) {
    const auto rules = match::RuleSet::load(rules_dir);
    const match::Document document = match::read_document_file(options.file);
    const match::Explanation explanation = rules->explain(document);
    if (options.json) {
        std::cout << match::to_json(explanation) << '\n';
    } else {
        std::cout << "document: " << options.file << "\ntitle: " << document.title << '\n'
                  << match::render_explanation(explanation, options.verbose);
    }
    return kExitOk;
}

}  // namespace

std::filesystem::path resolve_rules_dir(const std::string& explicit_dir,
                                        const CommonOptions& common) {
    if (!explicit_dir.empty())
        return explicit_dir;
    const std::filesystem::path config =
        common.config_path.empty() ? default_config_path() : common.config_path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(config, ec)) {
        throw Error(ErrorKind::usage,
                    "no rules directory: pass --rules DIR, or set rules: in the "
                    "config file (" +
                        config.string() + " not found)");
    }
    YAML::Node root;
    try {
        root = YAML::LoadFile(config.string());
    } catch (const YAML::Exception& e) {
        throw Error(ErrorKind::config, "YAML syntax: " + e.msg,
                    config.string() + ":" + std::to_string(e.mark.line + 1) + ":" +
                        std::to_string(e.mark.column + 1));
    }
    const YAML::Node rules = root.IsMap() ? root["rules"] : YAML::Node();
    if (!rules || !rules.IsScalar() || rules.Scalar().empty()) {
        throw Error(ErrorKind::usage,
                    "no rules directory: pass --rules DIR, or set rules: DIR in the config file",
                    config.string());
    }
    std::filesystem::path dir = rules.Scalar();
    if (dir.is_relative())
        dir = config.parent_path() / dir;
    return dir;
}

void add_rules_commands(CommandLine& cli) {
    CLI::App* rules = cli.app.add_subcommand("rules", "check and test the match rules");
    rules->require_subcommand(1);

    // Option values live in shared objects owned by the subcommands' callbacks, so they last as
    // long as the command line.
    auto check_dir = std::make_shared<std::string>();
    auto check_rules = std::make_shared<std::string>();
    CLI::App* check = rules->add_subcommand(
        "check", "report every error in the rule files as FILE:LINE:COL: message (exit 2 on any)");
    check->add_option("DIR", *check_dir, "the rules directory (default: --rules, or the config's)");
    check->add_option("--rules", *check_rules, "the rules directory");
    add_config_option(*check, cli.common);
    check->callback([&cli, check_dir, check_rules] {
        const std::string& given = !check_dir->empty() ? *check_dir : *check_rules;
        cli.exit_status = run_check(resolve_rules_dir(given, cli.common));
    });

    auto test_options = std::make_shared<TestOptions>();
    CLI::App* test = rules->add_subcommand(
        "test", "run the rules over a folder of documents; with --labels, precision and recall");
    test->add_option("--rules", test_options->rules, "the rules directory");
    test->add_option("--corpus", test_options->corpus,
                     "folder of .txt/.md (first line = title) and .html documents")
        ->required();
    test->add_option("--labels", test_options->labels,
                     "TSV of NAME<TAB>1|0: whether each document should match");
    test->add_flag("--json", test_options->json, "print one JSON object");
    add_config_option(*test, cli.common);
    test->callback([&cli, test_options] {
        cli.exit_status =
            run_test(resolve_rules_dir(test_options->rules, cli.common), *test_options);
    });

    auto explain_options = std::make_shared<ExplainOptions>();
    CLI::App* explain = cli.app.add_subcommand(
        "explain", "show each rule's verdict on a document, with the terms and positions that hit");
    explain->add_option("FILE", explain_options->file, "a .txt, .md or .html document")->required();
    explain->add_option("--rules", explain_options->rules, "the rules directory");
    explain->add_flag("--json", explain_options->json, "print the explanation as JSON");
    explain->add_flag("--verbose,-v", explain_options->verbose,
                      "show the condition tree of every rule, even far from holding");
    add_config_option(*explain, cli.common);
    explain->callback([&cli, explain_options] {
        cli.exit_status =
            run_explain(resolve_rules_dir(explain_options->rules, cli.common), *explain_options);
    });
}

}  // namespace chuhai::app
