#pragma once
// `chuhai explain`: every rule's verdict on one document, with the terms, fields and positions
// that hit or failed. Built by RuleSet::explain from the same evaluation code as evaluate(), so
// an explanation never disagrees with the stored verdict; the store can hand a stored item back
// as a Document and explain it the same way.

#include <optional>
#include <string>
#include <vector>

#include "match/match_result.h"

namespace chuhai::match {

// One node of a rule's condition tree and how it fared.
struct ConditionTrace {
    std::string label;  // e.g. `all of`, `list chinese_ai_companies`, `"data centre"`
    std::string where;  // FILE:LINE:COL of the condition in the rule file
    bool held = false;
    std::string note;            // why it held or failed, when the label does not say it
    std::vector<Evidence> hits;  // for terms, lists and regexes: occurrences (capped)
    std::vector<ConditionTrace> children;
};

struct RuleVerdict {
    std::string id;
    std::string title;
    std::string topic;
    std::string where;  // FILE:LINE:COL of the rule
    bool enabled = true;
    bool held = false;
    double score = 0;  // what the rule added to the document's score (0 when it did not hold)
    std::string note;  // "held", "disabled", "no term of the rule occurs", "excluded by not:"…
    std::optional<ConditionTrace> match;      // absent when the rule was not evaluated at all
    std::optional<ConditionTrace> exclusion;  // the rule's `not:`, when it has one
};

struct Explanation {
    MatchResult result;              // identical to RuleSet::evaluate on the same document
    std::vector<RuleVerdict> rules;  // every rule in file order
};

// For people: the overall verdict, then each rule with its condition tree, one line per node.
// Rules that are far from holding are summarised on one line unless `verbose`.
std::string render_explanation(const Explanation& explanation, bool verbose = false);

// {"result": <to_json(MatchResult)>, "rules": [{"id", "title", "topic", "where", "enabled",
//  "held", "score", "note", "match": TRACE, "exclusion": TRACE}]} where TRACE is
// {"label", "where", "held", "note", "hits": [EVIDENCE], "children": [TRACE]}.
std::string to_json(const Explanation& explanation);

}  // namespace chuhai::match
