#pragma once
// Helpers for the match stage's tests: rule sets compiled from YAML in memory, documents in one
// line.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "match/rule_set.h"

namespace chuhai::match::testing {

// Compiles rule files given as (name, YAML); fails the test (and returns null) on any error.
inline std::shared_ptr<const RuleSet> compile_ok(
    const std::vector<std::pair<std::string, std::string>>& files) {
    std::vector<RuleFile> rule_files;
    for (const auto& [name, text] : files)
        rule_files.push_back(RuleFile{name, name, text});
    LoadResult result = RuleSet::compile(rule_files);
    for (const Diagnostic& d : result.diagnostics) {
        if (d.severity == Severity::error)
            ADD_FAILURE() << d.to_string();
    }
    return result.rules;
}

inline std::shared_ptr<const RuleSet> compile_ok(const std::string& yaml) {
    return compile_ok({{"rules.yaml", yaml}});
}

// The diagnostics of one YAML text.
inline std::vector<Diagnostic> diagnostics_of(const std::string& yaml,
                                              const std::string& name = "rules.yaml") {
    return RuleSet::compile({RuleFile{name, name, yaml}}).diagnostics;
}

inline Document doc(std::string title, std::string content = {}) {
    Document d;
    d.title = std::move(title);
    d.content = std::move(content);
    return d;
}

// A rule set with one rule `r` (topic t, score 10, threshold 10) whose match: is `condition`
// (YAML, indented for the match: key).
inline std::shared_ptr<const RuleSet> one_rule(const std::string& condition,
                                               const std::string& extra = {}) {
    return compile_ok(
        "settings:\n  threshold: 10\nrules:\n  - id: r\n    topic: t\n"
        "    score: 10\n" +
        extra + "    match:\n" + condition);
}

inline bool holds(const RuleSet& rules, const Document& d) {
    return !rules.evaluate(d).rules.empty();
}

}  // namespace chuhai::match::testing
