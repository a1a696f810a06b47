#pragma once
// The stages between a fetched body and the store, for one source:
//   prepare_fetch()   parse → normalise → corpus similarity → match     (a worker thread)
//   write_prepared()  items, sightings, stories, matches in one transaction (the store writer)
// Split in two because the first is CPU work that may run on any number of threads, and the
// second must run on the one thread that owns the store connection (docs/architecture.md).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feed/feed.h"
#include "fetch/fetch_result.h"
#include "match/match_result.h"
#include "match/rule_set.h"
#include "store/store.h"

namespace chuhai::app {

// What the pipeline knows of a source while it processes one of its fetches.
struct SourceContext {
    store::SourceId id = 0;
    std::string name;
    std::string url;  // as requested
    std::vector<std::string> tags;
    std::string timezone = "UTC";
};

// A fetched body, parsed and matched, ready to be written.
struct PreparedFetch {
    store::FetchRecord record;
    std::vector<store::ItemInput> items;
    std::vector<match::MatchResult> verdicts;  // one per item, same order
    std::string format;                        // "rss2.0", "atom1.0", ...
    std::string encoding;
    std::string bozo_reason;  // non-empty: the document was broken and recovered
    std::optional<int> ttl_minutes;
    std::string error;  // non-empty: the body was not a feed; no items
};

struct PrepareOptions {
    std::size_t max_bytes = 20u << 20;
};

// Parses a 2xx body and matches each entry. Never throws for anything the server sent: a body
// that is not a feed comes back with `error` set. `corpus` may be null (no similarity).
PreparedFetch prepare_fetch(const SourceContext& source, const fetch::FetchResult& result,
                            const match::RuleSet& rules, const store::CorpusModel* corpus,
                            const PrepareOptions& options = {});

// The fetch record of a transfer that brought no body to parse (304, error status, transport
// error).
store::FetchRecord record_without_body(const SourceContext& source,
                                       const fetch::FetchResult& result);

struct WriteOutcome {
    int items_seen = 0;
    int items_new = 0;
    int duplicates = 0;
    int revised = 0;
    int matched = 0;  // new or revised items at or above the threshold
};

// Writes the fetch, its items and the matches of new and revised items. Throws Error(store)
// when the database refuses; then nothing of this fetch is stored.
WriteOutcome write_prepared(store::Store& store, const PreparedFetch& prepared);

// The matches of one verdict as the store keeps them.
std::vector<store::MatchInput> match_inputs(const match::MatchResult& verdict);

// An item measured against the corpus, for the store and for the rules.
struct CorpusMeasure {
    std::optional<store::CorpusSimilarity> nearest;  // what the store keeps; none: no term shared
    // What `similar_to_corpus` sees: nullopt when there is no corpus (the condition never
    // holds), 0 when the item shares no term with it.
    std::optional<double> similarity;
};

// Measures an item's title, summary and content against `corpus` (may be null) as the pipeline
// does before matching. `rules test` and `explain FILE` call it too, so that a rule using
// similar_to_corpus decides there as it does in the daemon.
CorpusMeasure measure_against_corpus(const store::CorpusModel* corpus, std::string_view title,
                                     std::string_view summary, std::string_view content);

// The rule engine's view of a parsed entry from a source.
match::Document match_document(const feed::FeedEntry& entry, const SourceContext& source,
                               std::optional<double> corpus_similarity);

// The same view of a stored item (`explain ITEM_ID`, `rules backfill`): its fields as stored,
// the name and `source_tags` of the source that first carried it, and its corpus similarity as
// stored (unknown when none was stored). An item whose text retention dropped has only its
// title, link, author and categories left.
match::Document match_document(const store::Item& item,
                               const std::vector<std::string>& source_tags);

}  // namespace chuhai::app
