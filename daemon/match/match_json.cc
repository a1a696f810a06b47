// JSON forms of match results and explanations. nlohmann/json stays inside this file so that
// the stage's headers stay light.

#include <nlohmann/json.hpp>

#include "match/explanation.h"
#include "match/match_result.h"

namespace chuhai::match {

namespace {

nlohmann::json evidence_json(const Evidence& e) {
    return {{"term", e.term},   {"list", e.list}, {"field", std::string(field_name(e.field))},
            {"begin", e.begin}, {"end", e.end},   {"text", e.text}};
}

nlohmann::json result_json(const MatchResult& result) {
    nlohmann::json rules = nlohmann::json::array();
    for (const RuleHit& r : result.rules) {
        nlohmann::json evidence = nlohmann::json::array();
        for (const Evidence& e : r.evidence)
            evidence.push_back(evidence_json(e));
        rules.push_back({{"id", r.id},
                         {"title", r.title},
                         {"topic", r.topic},
                         {"tags", r.tags},
                         {"score", r.score},
                         {"evidence", std::move(evidence)}});
    }
    nlohmann::json entities = nlohmann::json::array();
    for (const EntityMention& m : result.entities)
        entities.push_back(
            {{"list", m.list}, {"kind", m.kind}, {"name", m.name}, {"count", m.count}});
    return {{"matched", result.matched},
            {"score", result.score},
            {"threshold", result.threshold},
            {"rules_version", result.rules_version},
            {"topics", result.topics},
            {"tags", result.tags},
            {"rules", std::move(rules)},
            {"entities", std::move(entities)},
            {"hits_truncated", result.hits_truncated}};
}

nlohmann::json trace_json(const ConditionTrace& t) {
    nlohmann::json hits = nlohmann::json::array();
    for (const Evidence& e : t.hits)
        hits.push_back(evidence_json(e));
    nlohmann::json children = nlohmann::json::array();
    for (const ConditionTrace& c : t.children)
        children.push_back(trace_json(c));
    return {{"label", t.label}, {"where", t.where},        {"held", t.held},
            {"note", t.note},   {"hits", std::move(hits)}, {"children", std::move(children)}};
}

// Feed text is not guaranteed to be valid UTF-8 (evidence quotes the original bytes): replace
// invalid sequences rather than throw.
std::string dump(const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string to_json(const MatchResult& result) {
    return dump(result_json(result), -1);
}

std::string to_json(const Explanation& explanation) {
    nlohmann::json rules = nlohmann::json::array();
    for (const RuleVerdict& v : explanation.rules) {
        nlohmann::json rule = {{"id", v.id},       {"title", v.title},     {"topic", v.topic},
                               {"where", v.where}, {"enabled", v.enabled}, {"held", v.held},
                               {"score", v.score}, {"note", v.note}};
        rule["match"] = v.match ? trace_json(*v.match) : nlohmann::json(nullptr);
        rule["exclusion"] = v.exclusion ? trace_json(*v.exclusion) : nlohmann::json(nullptr);
        rules.push_back(std::move(rule));
    }
    return dump({{"result", result_json(explanation.result)}, {"rules", std::move(rules)}}, 2);
}

}  // namespace chuhai::match
