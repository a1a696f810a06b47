#pragma once
// The stages between a fetched body and the store, for one source:
//   prepare_fetch()   parse → normalise → corpus similarity → match     (a worker thread)
//   write_prepared()  items, sightings, stories, then matches (the store writer)
// Split in two because the first is CPU work that may run on any number of threads, and the
// second must run on the one thread that owns the store connection (docs/architecture.md).

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/seen_items.h"
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
    SourceContext source;
    store::FetchRecord record;
    std::vector<store::ItemInput> items;
    std::vector<match::MatchResult> verdicts;  // one per item, same order
    // One per item: true when the rules were not run because the item looked stored already
    // (PrepareOptions::seen); its verdict is empty. The writer runs them after all should the store
    // find the item new or revised.
    std::vector<bool> rules_skipped;
    std::string format;  // "rss2.0", "atom1.0", ...
    std::string encoding;
    std::string bozo_reason;  // non-empty: the document was broken and recovered
    std::optional<int> ttl_minutes;
    std::string error;  // non-empty: the body was not a feed; no items
};

struct PrepareOptions {
    std::size_t max_bytes = 20u << 20;
    // Items the store holds; entries found there are not matched (their verdicts would be
    // discarded as duplicates'). Null: every entry is matched.
    const SeenItems* seen = nullptr;
};

// The digests under which SeenItems knows a committed item: what the store compares to tell a
// duplicate. The item as its source carried it (the source, the item's key, its title and content
// hash), and its canonical URL, which makes an item from any other source a duplicate.
std::uint64_t seen_item_digest(store::SourceId source, const store::ItemInput& item);
std::uint64_t seen_url_digest(std::string_view canonical_url);

// Whether the rules may be skipped for this item: seen under either digest. Seen by URL only, it
// may still be a revision from its first source; the writer then runs the rules after all.
bool looks_stored(const SeenItems& seen, store::SourceId source, const store::ItemInput& item);
// After the fetch was committed: its items under both digests.
void remember_stored(SeenItems& seen, const PreparedFetch& prepared);

// Parses a 2xx body and matches each entry. Never throws for anything the server sent: a body
// that is not a feed comes back with `error` set. `corpus` may be null (no similarity).
// Entries that matched a rule, and only those, get their HTML sanitised for digests
// (ItemInput::sanitized_html): gumbo costs tens of times the parse, so it is spent where a
// digest may show the item.

PreparedFetch prepare_fetch(const SourceContext& source, const fetch::FetchResult& result,
                            const match::RuleSet& rules, const store::CorpusModel* corpus,
                            const PrepareOptions& options = {});

struct WriteOutcome {
    int items_seen = 0;
    int items_new = 0;
    int duplicates = 0;
    int revised = 0;
    int matched = 0;  // new or revised items at or above the threshold
    // Of those items: how many matched each topic (an item counts once per topic). Duplicates,
    // whose matches were stored when they were new, are not counted again.
    std::map<std::string, int> matched_topics;
    int rules_skipped = 0;  // items not matched because they looked stored (and were)
};

// Writes the fetch, its items and the matches of new and revised items. `rules` evaluates items
// whose rules were skipped (PreparedFetch::rules_skipped) but which the store finds new or
// revised. Throws Error(store) when the database refuses; then nothing of this fetch is stored.
WriteOutcome write_prepared(store::Store& store, const PreparedFetch& prepared,
                            const match::RuleSet* rules = nullptr);

// What ingesting one fetch of a batch gave: the store's result, or why it refused the fetch.
struct IngestAttempt {
    std::optional<store::IngestResult> result;
    std::string error;
};

// Ingests the fetches in one transaction; when the store refuses the batch, each in its own, so
// that one refused fetch fails alone. One attempt per fetch, same order.
std::vector<IngestAttempt> ingest_together(store::Store& store,
                                           std::span<const store::FetchBatch> fetches);

// The outcome of one fetch of a batch: what write_prepared() returns, or why it failed.
struct BatchWriteResult {
    WriteOutcome outcome;
    std::string error;  // non-empty: nothing of this fetch is stored
};

// Writes several fetches with their items in one transaction (then their matches): one commit
// instead of one per fetch, so the writer keeps up with the workers. When the batch cannot be
// written, every fetch is written on its own, so that one refused fetch fails alone. One result
// per fetch, same order; never throws Error(store).
std::vector<BatchWriteResult> write_prepared_batch(store::Store& store,
                                                   std::span<const PreparedFetch* const> batch,
                                                   const match::RuleSet* rules = nullptr);

// The matches of one verdict as the store keeps them.
std::vector<store::MatchInput> match_inputs(const match::MatchResult& verdict);

// An entry's content_html made safe for a digest (text/html_sanitize.h), its links absolute
// and canonical (resolved against html_base, the base the entry's content had in the feed).
// Only matched items get it: sanitising every entry would cost the workers for nothing.
std::string digest_html(const std::string& content_html, const std::string& html_base);
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
