#include "app/backfill.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "app/pipeline.h"

namespace chuhai::app {

namespace {

std::string rule_with_score(const std::string& rule, double score) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4g", score);
    return rule + " " + buffer;
}

// Whether writing `inputs` would store exactly what is stored already.
bool stored_as(const std::vector<store::Match>& stored,
               const std::vector<store::MatchInput>& inputs) {
    if (stored.size() != inputs.size())
        return false;
    return std::all_of(inputs.begin(), inputs.end(), [&](const store::MatchInput& input) {
        return std::any_of(stored.begin(), stored.end(), [&](const store::Match& m) {
            return m.rule_id == input.rule_id && m.ruleset_version == input.ruleset_version &&
                   m.score == input.score && m.topic == input.topic;
        });
    });
}

class Backfill {
  public:
    Backfill(const match::RuleSet& rules, const BackfillOptions& options)
        : rules_(rules), options_(options) {
        report_.dry_run = options.dry_run;
        report_.rules_version = rules.version();
        report_.threshold = rules.threshold();
        report_.since = options.since;
        for (const match::RuleInfo& info : rules.rules())
            known_rules_.insert(info.id);
    }

    std::optional<std::vector<store::MatchInput>> decide(const store::RematchItem& candidate) {
        const match::MatchResult verdict =
            rules_.evaluate(match_document(candidate.item, candidate.source_tags));
        std::vector<store::MatchInput> inputs = match_inputs(verdict);
        ++report_.items;
        if (candidate.item.text_dropped)
            ++report_.title_only;

        // Rule ids before (as stored, any version; the best score shown) and after.
        std::map<std::string, double> before;
        for (const store::Match& m : candidate.matches) {
            auto [it, inserted] = before.emplace(m.rule_id, m.score);
            if (!inserted)
                it->second = std::max(it->second, m.score);
        }
        std::map<std::string, double> after;
        for (const store::MatchInput& input : inputs)
            after.emplace(input.rule_id, input.score);
        for (const auto& [rule, score] : before) {
            BackfillRule& counts = rule_counts(rule);
            (after.count(rule) ? counts.kept : counts.removed) += 1;
        }
        for (const auto& [rule, score] : after) {
            if (!before.count(rule))
                rule_counts(rule).added += 1;
        }

        const bool delivered = !candidate.digest_channels.empty();
        std::vector<BackfillItem>* listed = nullptr;
        if (before.empty() && !after.empty()) {
            ++report_.newly_matched;
            report_.newly_matched_sent += delivered ? 1 : 0;
            listed = &report_.newly_matched_items;
        } else if (!before.empty() && after.empty()) {
            ++report_.no_longer_matched;
            report_.no_longer_matched_sent += delivered ? 1 : 0;
            listed = &report_.no_longer_matched_items;
        } else if (!std::equal(before.begin(), before.end(), after.begin(), after.end(),
                               [](const auto& a, const auto& b) { return a.first == b.first; })) {
            ++report_.rules_changed;
            listed = &report_.rules_changed_items;
        } else {
            ++report_.unchanged;
        }
        if (listed != nullptr && (options_.list_limit == 0 || listed->size() < options_.list_limit))
            listed->push_back(listing(candidate, before, after));

        if (stored_as(candidate.matches, inputs))
            return std::nullopt;
        ++report_.rewritten;
        return inputs;
    }

    BackfillReport finish() {
        for (auto& [id, counts] : rules_by_id_) {
            counts.id = id;
            counts.in_rules = known_rules_.count(id) > 0;
            report_.rules.push_back(counts);
        }
        return std::move(report_);
    }

  private:
    BackfillRule& rule_counts(const std::string& rule) { return rules_by_id_[rule]; }

    static BackfillItem listing(const store::RematchItem& candidate,
                                const std::map<std::string, double>& before,
                                const std::map<std::string, double>& after) {
        BackfillItem item;
        item.id = candidate.item.id;
        item.title = candidate.item.title;
        item.first_seen = candidate.item.first_seen;
        for (const auto& [rule, score] : before)
            item.rules_before.push_back(rule_with_score(rule, score));
        for (const auto& [rule, score] : after)
            item.rules_after.push_back(rule_with_score(rule, score));
        item.channels = candidate.digest_channels;
        item.text_dropped = candidate.item.text_dropped;
        return item;
    }

    const match::RuleSet& rules_;
    const BackfillOptions& options_;
    BackfillReport report_;
    std::set<std::string> known_rules_;
    std::map<std::string, BackfillRule> rules_by_id_;
};

}  // namespace

BackfillReport run_backfill(store::Store& store, const match::RuleSet& rules,
                            const BackfillOptions& options) {
    Backfill backfill(rules, options);
    store::RematchQuery query;
    query.since = options.since;
    query.limit = std::max<std::size_t>(options.batch_size, 1);
    query.write = !options.dry_run;
    for (;;) {
        const store::RematchBatch batch = store.rematch_batch(
            query, [&backfill](const store::RematchItem& item) { return backfill.decide(item); });
        if (batch.items == 0)
            break;
        query.after = batch.last;
    }
    return backfill.finish();
}

}  // namespace chuhai::app
