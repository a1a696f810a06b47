#pragma once
// The verdict of a rule set on one document: what the store keeps with each item, what digests
// group by, and the evidence that lets a reader see why.

#include <cstdint>
#include <string>
#include <vector>

#include "match/document.h"

namespace chuhai::match {

// One term occurrence that supports a verdict.
struct Evidence {
    std::string term;  // as the rule file writes it: the alternative, or the list entry's name
    std::string list;  // the list the term came from, or empty for a term written in the rule
    Field field = Field::title;
    std::uint32_t begin = 0;  // byte offsets into the original text of the field (see field_text)
    std::uint32_t end = 0;
    std::string text;  // the original text at [begin, end)
};

// A rule that held.
struct RuleHit {
    std::string id;
    std::string title;
    std::string topic;
    std::vector<std::string> tags;
    double score =
        0;  // the rule's score times the weight of its heaviest field (title counts more)
    std::vector<Evidence> evidence;  // at most kMaxEvidencePerRule, in field and offset order
};

// The kind of entity list whose mentions digests count per company (docs/rules.md); the
// default kind of an entity list.
inline constexpr const char* kCompanyEntity = "company";

// A list entry mentioned in the document, by its canonical name.
struct EntityMention {
    std::string list;
    std::string kind;  // the list's kind: company, product, place or other
    std::string name;
    std::uint32_t count = 0;  // occurrences over all scanned fields
};

struct MatchResult {
    bool matched = false;  // score >= threshold
    double score = 0;      // the sum of the scores of the rules that held
    double threshold = 0;
    std::string rules_version;   // RuleSet::version() of the set that decided
    std::vector<RuleHit> rules;  // the rules that held, highest score first
    // Of the rules with a positive score: by best rule score, then by the topic's total score.
    std::vector<std::string> topics;
    std::vector<std::string> tags;        // of the same rules, sorted, without repeats
    std::vector<EntityMention> entities;  // sorted by list, then count (descending), then name
    bool hits_truncated = false;          // the document had more term occurrences than are kept
};

inline constexpr std::size_t kMaxEvidencePerRule = 32;

// The result as one JSON object (for the store and `--json` outputs):
// {"matched", "score", "threshold", "rules_version", "topics", "tags",
//  "rules": [{"id", "title", "topic", "tags", "score",
//             "evidence": [{"term", "list", "field", "begin", "end", "text"}]}],
//  "entities": [{"list", "kind", "name", "count"}], "hits_truncated"}
std::string to_json(const MatchResult& result);

}  // namespace chuhai::match
