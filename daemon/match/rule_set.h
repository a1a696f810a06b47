#pragma once
// A compiled, immutable set of match rules (the rule language is described in docs/rules.md).
//
// Every literal term of every rule and list is compiled into one Aho–Corasick automaton over the
// normalised text (NFKC case folded, separators collapsed; Simplified and Traditional Chinese
// spellings of a term both compiled in), and every regex term into one RE2::Set, so a document is
// scanned once per field whatever the number of rules. Only the rules whose terms occurred (and
// the few that can hold without any term) are then evaluated from the hit positions.
//
// A RuleSet never changes after it is built; a reload builds a new one and swaps a
// std::shared_ptr<const RuleSet>, so evaluate() and explain() may run on any number of threads.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "match/diagnostic.h"
#include "match/document.h"
#include "match/explanation.h"
#include "match/match_result.h"

namespace chuhai::match {

class RuleSet;

// One rule file's text and the name diagnostics use for it.
struct RuleFile {
    std::string path;           // as diagnostics print it, e.g. rules/lists/companies.yaml
    std::string relative_path;  // inside the rules directory, for version(); empty: path
    std::string contents;
};

struct LoadResult {
    std::shared_ptr<const RuleSet> rules;  // null when there is any error
    std::vector<Diagnostic> diagnostics;   // errors and warnings, in file order
};

// What a rule file says about a rule, for listings and reports.
struct RuleInfo {
    std::string id;
    std::string title;
    std::string topic;
    std::vector<std::string> tags;
    double score = 0;
    bool enabled = true;
    std::string where;  // FILE:LINE:COL
};

struct RuleSetStats {
    std::size_t rules = 0;
    std::size_t enabled_rules = 0;
    std::size_t lists = 0;
    std::size_t list_entries = 0;
    std::size_t literal_patterns =
        0;  // distinct patterns in the automaton (script variants included)
    std::size_t regexes = 0;
    std::size_t automaton_states = 0;
    std::size_t automaton_bytes = 0;
};

class RuleSet {
  public:
    // Limits that keep a bad or hostile rules directory from exhausting the daemon.
    static constexpr std::size_t kMaxRuleFiles = 2000;
    static constexpr std::size_t kMaxRuleFileBytes = std::size_t{8} << 20;
    // Only this many bytes of each field are scanned (cut at a character boundary).
    static constexpr std::size_t kMaxFieldBytes = std::size_t{1} << 20;

    // Loads every *.yaml / *.yml file under `dir` (recursively, hidden files and folders
    // skipped, in path order). Throws Error(ErrorKind::config, message, "FILE:LINE:COL") for the
    // first error; the message says how many more there were.
    static std::shared_ptr<const RuleSet> load(const std::filesystem::path& dir);
    // All errors and warnings of the rules in `dir`, without throwing for rule problems.
    static std::vector<Diagnostic> check(const std::filesystem::path& dir);
    // load() that reports instead of throwing: what the watcher and `rules check` use.
    static LoadResult try_load(const std::filesystem::path& dir);
    // The same from texts in memory (tests, the store's rule history).
    static LoadResult compile(const std::vector<RuleFile>& files);
    // The rule files of a directory as load() reads them. Throws Error(config) naming `dir` when
    // it is missing or holds too many or too large files.
    static std::vector<RuleFile> read_rule_files(const std::filesystem::path& dir);

    ~RuleSet();
    RuleSet(const RuleSet&) = delete;
    RuleSet& operator=(const RuleSet&) = delete;

    // The verdict on one document. Thread-safe; never throws for any document content.
    MatchResult evaluate(const Document& document) const;
    // Every rule's verdict with its condition tree; result equals evaluate(document).
    Explanation explain(const Document& document) const;

    double threshold() const;
    // A stable hash of the rule files (their paths relative to the directory and their bytes),
    // stored with each match so that a verdict can be traced to the rules that made it.
    const std::string& version() const;
    std::size_t rule_count() const;
    const std::vector<RuleInfo>& rules() const;
    RuleSetStats stats() const;

    struct Impl;  // defined in match/compiled_rules.h

  private:
    explicit RuleSet(std::unique_ptr<Impl> impl);
    friend class RuleCompiler;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chuhai::match
