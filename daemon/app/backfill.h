#pragma once
// `chuhai rules backfill`: the current rules re-applied to stored items, so that a rule change
// also covers what was fetched before it. Items are read, evaluated and (unless it is a dry run)
// given their new matches one batch at a time, each batch one transaction, so memory stays
// bounded however large the archive and the daemon can keep writing in between.
//
// What is stored for an item afterwards is exactly what the daemon would have stored had the
// current rules been in force when it arrived: the matches of the rules that held, under the
// current rule-set version, when the item reaches the threshold, and nothing otherwise. Matches
// under older versions are replaced. Digests are never recalled or resent: the outbox
// (digest_items) keeps every item a channel carried, and such an item is never offered to that
// channel again; a newly matched item that no channel carried is offered to the next digest
// whose period covers it.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"
#include "match/rule_set.h"
#include "store/store.h"

namespace chuhai::app {

struct BackfillOptions {
    std::optional<UtcTime> since;  // items first seen at or after; empty: every stored item
    bool dry_run = false;          // report what would change, change nothing
    std::size_t batch_size = 500;  // items per batch and transaction
    // Items listed per kind of change (newly matched, no longer matched, rules changed); the
    // counts are always complete. 0: list them all.
    std::size_t list_limit = 20;
};

// An item whose verdict changes.
struct BackfillItem {
    store::ItemId id = 0;
    std::string title;
    UtcTime first_seen{};
    std::vector<std::string> rules_before;  // "rule-id score", as stored
    std::vector<std::string> rules_after;   // "rule-id score", under the current rules
    std::vector<std::string> channels;      // digests that carry it already
    bool text_dropped = false;              // only its title, link, author, categories left
};

// What happens to one rule's matches.
struct BackfillRule {
    std::string id;
    std::size_t added = 0;    // items it matches now and did not before
    std::size_t removed = 0;  // items it matched and no longer does
    std::size_t kept = 0;     // items it matched and still does
    bool in_rules = true;     // false: a stored rule the current rules no longer have
};

struct BackfillReport {
    bool dry_run = false;
    std::string rules_version;
    double threshold = 0;
    std::optional<UtcTime> since;

    std::size_t items = 0;              // feed items looked at
    std::size_t title_only = 0;         // of them, with their text dropped by retention
    std::size_t newly_matched = 0;      // matched nothing, match now
    std::size_t no_longer_matched = 0;  // matched, match nothing now
    std::size_t rules_changed = 0;      // matched before and now, by different rules
    std::size_t unchanged = 0;          // the same rules before and now (or no match either way)
    // Items whose matches are (or, in a dry run, would be) written again: every change above,
    // and unchanged matched items recorded under an older rule-set version or another score.
    std::size_t rewritten = 0;
    // The digests' side: items no longer matched that a digest carried already (they stay sent),
    // and newly matched items that a digest carried before (they are not sent again).
    std::size_t no_longer_matched_sent = 0;
    std::size_t newly_matched_sent = 0;

    std::vector<BackfillRule> rules;                // every rule with a change or a match, by id
    std::vector<BackfillItem> newly_matched_items;  // at most list_limit of each
    std::vector<BackfillItem> no_longer_matched_items;
    std::vector<BackfillItem> rules_changed_items;
};

// Re-applies `rules` to the stored feed items. Throws Error(store) when the database refuses;
// the batches committed before stay committed (each is whole), and running again finishes the
// job: items already at the current verdict are left alone.
BackfillReport run_backfill(store::Store& store, const match::RuleSet& rules,
                            const BackfillOptions& options);

}  // namespace chuhai::app
