#pragma once
// What chuhai keeps, behind one interface: sources with their health and schedule, fetch
// attempts, items with full provenance (which sources carried them, fetched when, from which
// final URL, with which validators), revisions, stories (near-duplicate groups), rule matches,
// the seed corpus and each item's similarity to it, full-text search, the digest outbox,
// retention and backup.
//
// The SQL lives behind this interface (store/sqlite_store.cc); a PostgreSQL backend would be
// another implementation of Store. One Store object belongs to one thread at a time (the
// daemon's writer strand, or a command); other processes and threads open their own, and
// SQLite's WAL mode lets them read while one of them writes.
//
// Errors follow docs/architecture.md: anything the store cannot do throws
// chuhai::Error(ErrorKind::store, cause, database path); a write that throws has changed
// nothing.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/time.h"
#include "store/corpus_model.h"

namespace chuhai::store {

using SourceId = std::int64_t;
using FetchId = std::int64_t;
using ItemId = std::int64_t;
using StoryId = std::int64_t;
using DigestId = std::int64_t;

// ---- Sources -----------------------------------------------------------------------------------

enum class SourceKind {
    feed,  // polled over HTTP
    seed,  // the reference corpus, imported from files
};
enum class SourceOrigin {
    config,  // listed in the configuration file
    cli,     // added with `chuhai sources add` or imported
};

const char* to_string(SourceKind kind);
const char* to_string(SourceOrigin origin);

// A source as the configuration or the command line describes it.
struct SourceSpec {
    std::string url{};
    std::string name{};  // empty: the URL
    std::vector<std::string> tags{};
    SourceKind kind = SourceKind::feed;
    std::optional<std::chrono::seconds> interval{};  // empty: the global default
    std::string timezone = "UTC";                    // for dates written without an offset
    bool enabled = true;
    SourceOrigin origin = SourceOrigin::config;
};

// Where the scheduler stands for a source, stored so that it survives restarts.
struct SourceSchedule {
    std::optional<UtcTime> next_poll{};
    // The source's own update rhythm: the mean time between polls that found new items, and
    // how many such gaps were observed.
    std::chrono::seconds mean_update_gap{0};
    int updates_observed = 0;
    // A Retry-After the source's host sent; re-applied to the whole host after a restart.
    std::optional<UtcTime> retry_after_until;
    // The freshness lifetime the source's last response declared (max-age or Expires) and the
    // RSS <ttl> of its last feed: they keep lengthening its interval after 304s and restarts.
    std::optional<std::chrono::seconds> freshness{};
    std::optional<int> ttl_minutes{};
};

struct SourceHealth {
    std::optional<UtcTime> last_attempt{};
    std::optional<UtcTime> last_success{};
    std::optional<int> last_http_status{};
    std::string last_error{};  // empty after a success
    int consecutive_failures = 0;
    std::int64_t last_bytes = 0;
    std::chrono::milliseconds last_duration{0};
    int last_items_seen = 0;
    int last_items_new = 0;
    std::string etag{};  // validators for the next conditional GET
    std::string last_modified{};
    // When this source last carried something new, and the "silent for longer than usual"
    // signal computed from its own history of arrivals (see Store::list_sources).
    std::optional<UtcTime> last_new_item{};
    std::optional<std::chrono::seconds> usual_silence{};  // threshold learnt from its history
    bool silent = false;
};

// How long a quiet spell must last, relative to a source's own history, to count as "silent for
// longer than usual" (configuration: fetch.silence.factor and fetch.silence.floor).
struct SilenceRule {
    double factor = 4.0;                                // times the median gap between arrivals
    std::chrono::seconds floor{std::chrono::hours(1)};  // never less than this
};

// The "silent for longer than usual" threshold, learnt from a source's own history: the times
// its fetches brought something new, newest first. Nullopt until there are at least
// kMinArrivalsForSilence of them. A source is silent when its latest arrival is older than the
// threshold: `factor` times its median gap, or one and a half times its longest recent gap,
// whichever is longer, and never less than `floor`.
std::optional<std::chrono::seconds> usual_silence(std::span<const UtcTime> arrivals_newest_first,
                                                  const SilenceRule& rule = {});
inline constexpr std::size_t kMinArrivalsForSilence = 5;

struct Source {
    SourceId id = 0;
    SourceSpec spec{};
    UtcTime created{};
    std::optional<UtcTime> removed{};  // removed by the user, kept for provenance
    std::string disabled_reason{};     // set by chuhai (410 Gone); empty when not disabled
    std::optional<UtcTime> disabled_at{};
    std::vector<std::string> former_urls{};  // before permanent redirects, oldest first
    SourceHealth health{};
    SourceSchedule schedule{};

    // Polled by the daemon: enabled in its spec, not removed, not disabled by chuhai.
    bool active() const { return spec.enabled && !removed && disabled_reason.empty(); }
};

// ---- Fetches and items -------------------------------------------------------------------------

enum class FetchOutcome {
    ok,            // a body was received (and parsed, when items are given)
    not_modified,  // 304: validators still good
    failed,        // network error, HTTP error or a body that could not be parsed
};

const char* to_string(FetchOutcome outcome);

// One fetch attempt as the fetch and parse stages saw it.
struct FetchRecord {
    SourceId source = 0;
    UtcTime started{};
    std::chrono::milliseconds duration{0};
    std::string requested_url{};
    std::string final_url{};  // after redirects; empty: same as requested
    std::optional<int> http_status{};
    FetchOutcome outcome = FetchOutcome::ok;
    std::string error{};  // for failed
    std::int64_t bytes = 0;
    // The response's validators. Stored for the next conditional GET when outcome is ok
    // (replacing the old ones), or not_modified (non-empty ones only), so validators are only
    // ever saved together with the items of the same response.
    std::string etag{};
    std::string last_modified{};
    // Where the scheduler stands after this attempt. None: the schedule stored is left as it is
    // (a body's record is written by the pipeline, before the scheduler has decided; it saves
    // the schedule afterwards, and a stop in between must not erase what it learnt).
    std::optional<SourceSchedule> schedule{};
};

// One parsed item, normalised by the parse stage.
struct ItemInput {
    std::string key{};            // stable per source: guid/id, else canonical link, else a hash
    std::string canonical_url{};  // empty when unknown
    std::string link{};
    std::string title{};
    std::string author{};
    std::optional<UtcTime> published{};
    std::optional<UtcTime> updated{};
    std::string summary{};  // plain text
    std::string content{};  // plain text
    std::string content_html{};
    // content_html sanitised for digests, given for items that matched a rule (see
    // migrations/0008_sanitized_html.sql); empty optional: stored as NULL.
    std::optional<std::string> sanitized_html{};
    std::vector<std::string> categories{};
    // Hash of the item's text (title, summary, content); empty: the store computes SHA-256.
    // A change of hash or title from the same source is a revision.
    std::string content_hash{};
    std::optional<std::uint64_t> fingerprint{};  // 64-bit SimHash of the normalised text
    std::string language{};
    // Similarity to the corpus when the pipeline already computed it (to feed the rules), with
    // corpus_computed set (an empty `corpus` then means: nothing in common with the corpus).
    // Not computed: the store computes it for new and revised items.
    std::optional<CorpusSimilarity> corpus{};
    bool corpus_computed = false;
};

enum class ItemOutcome {
    added,      // a new item
    duplicate,  // already stored, unchanged (possibly a first sighting by this source)
    revised,    // already stored by this source; its title or content changed
};

const char* to_string(ItemOutcome outcome);

struct ItemResult {
    ItemId item = 0;
    ItemOutcome outcome = ItemOutcome::added;
    bool new_sighting = false;  // this source carried the item for the first time
    StoryId story = 0;
    bool joined_story = false;                 // added to an existing story of near-duplicates
    std::optional<CorpusSimilarity> corpus{};  // for added and revised items
};

struct IngestResult {
    FetchId fetch = 0;
    std::vector<ItemResult> items{};  // one per input, in order
    int added = 0;
    int duplicates = 0;
    int revised = 0;
};

// One fetch with the items parsed from it.
struct FetchBatch {
    FetchRecord fetch{};
    std::span<const ItemInput> items{};
};

// ---- Matches -----------------------------------------------------------------------------------

struct MatchInput {
    std::string rule_id{};
    std::string ruleset_version{};
    double score = 0;
    std::string topic{};
    std::string evidence_json = "{}";  // must be valid JSON
};

struct Match {
    ItemId item = 0;
    std::string rule_id{};
    std::string ruleset_version{};
    double score = 0;
    std::string topic{};
    std::string evidence_json{};
    UtcTime matched_at{};
};

// ---- Reading items, provenance, stories --------------------------------------------------------

struct Item {
    ItemId id = 0;
    SourceId source = 0;  // the first source that carried it
    std::string source_name{};
    std::string key{};
    std::string canonical_url{};
    std::string link{};
    std::string title{};
    std::string author{};
    std::optional<UtcTime> published{};
    std::optional<UtcTime> updated{};
    UtcTime first_seen{};
    std::string summary{};  // empty after retention dropped the text of an unmatched item
    std::string content{};
    std::string content_html{};
    std::optional<std::string> sanitized_html{};  // for items that matched when last stored
    std::vector<std::string> categories{};
    std::string content_hash{};
    std::optional<std::uint64_t> fingerprint{};
    std::string language{};
    StoryId story = 0;
    int revision_count = 0;
    bool text_dropped = false;
    std::optional<CorpusSimilarity> corpus{};
    std::vector<std::string> topics{};  // of its matches, distinct
};

struct ItemQuery {
    std::optional<UtcTime> since{};  // first seen at or after
    bool matched_only = false;
    std::string source{};  // a source name or URL; empty: all
    SourceKind kind = SourceKind::feed;
    std::size_t limit = 100;
};

struct FetchInfo {
    FetchId id = 0;
    UtcTime started{};
    std::string requested_url{};
    std::string final_url{};
    std::optional<int> http_status{};
    std::string etag{};
    std::string last_modified{};
};

struct Sighting {
    SourceId source = 0;
    std::string source_name{};
    std::string source_url{};
    std::string item_key{};
    // The item's link as this source gave it (another source may link to its own copy); empty
    // for sightings stored before links were kept: use the item's link.
    std::string link{};
    UtcTime first_seen{};
    UtcTime last_seen{};
    std::optional<FetchInfo> fetch{};  // the fetch in which this source first carried it
};

// Where an item came from: its first sighting and every other source that carried it.
struct Provenance {
    ItemId item = 0;
    Sighting first{};
    std::vector<Sighting> others{};  // in the order they were first seen
    StoryId story = 0;
    int revision_count = 0;
};

struct Story {
    StoryId id = 0;
    SourceId first_source = 0;
    std::string first_source_name{};
    UtcTime first_seen{};
    UtcTime last_seen{};
    std::vector<ItemId> members{};            // oldest first
    std::vector<std::string> source_names{};  // every source that carried a member, first first
};

struct Revision {
    UtcTime replaced_at{};
    std::string title{};
    std::string summary{};
    std::string content{};
    std::string content_hash{};
};

// ---- Re-matching stored items -------------------------------------------------------------------
// `chuhai rules backfill` re-applies the current rules to stored items, one batch at a time.

// A stored item with what is stored about its matches and deliveries.
struct RematchItem {
    Item item{};
    std::vector<std::string> source_tags{};      // of the source that first carried it
    std::vector<Match> matches{};                // as stored, under every rule-set version
    std::vector<std::string> digest_channels{};  // channels whose digests carry it already
};

struct RematchQuery {
    std::optional<UtcTime> since{};  // items first seen at or after; empty: every item
    ItemId after = 0;                // only items with a larger id (the previous batch's `last`)
    std::size_t limit = 500;         // items per batch (and per transaction)
    bool write = true;               // false: a dry run, nothing is changed
};

struct RematchBatch {
    std::size_t items = 0;     // items looked at
    std::size_t replaced = 0;  // items whose matches were replaced (0 in a dry run)
    ItemId last = 0;           // the largest id looked at; 0 when no item was left
};

// For one item: the matches it should have now (empty: it matches nothing), or nullopt to
// leave what is stored alone.
using RematchDecision = std::function<std::optional<std::vector<MatchInput>>(const RematchItem&)>;

// ---- Search ------------------------------------------------------------------------------------

struct SearchQuery {
    std::string text{};  // words and "quoted phrases", all required (see search_tokenizer.h)
    std::optional<UtcTime> since{};
    std::string topic{};   // only items with a match of this topic
    std::string source{};  // a source name or URL: only items it carried
    std::size_t limit = 20;
    // Only the newest this many matching items (that pass the filters) are ranked; 0: all.
    // Bounds the time a very common word takes; exact whenever fewer items match.
    std::size_t candidates = 2000;
    std::string highlight_open = "[";  // around matched terms in title and snippet
    std::string highlight_close = "]";
};

struct SearchHit {
    ItemId item = 0;
    std::string title{};    // with matched terms highlighted
    std::string snippet{};  // a passage around the best match, highlighted
    std::string link{};
    std::string source_name{};
    UtcTime first_seen{};
    std::optional<UtcTime> published{};
    double rank = 0;  // bm25: lower is better
};

// ---- Corpus
// --------------------------------------------------------------------------------------

// A document of the seed corpus, read from a file.
struct CorpusDocument {
    std::string key{};  // the file name relative to the imported folder
    std::string path{};
    std::string title{};
    std::string text{};  // plain text without the title line
};

struct CorpusEntry {
    ItemId item = 0;
    std::string title{};
    std::string key{};
    std::string source_url{};
    UtcTime imported{};
    std::size_t bytes = 0;
    std::string content_hash{};
};

struct CorpusImportResult {
    SourceId source = 0;
    int added = 0;
    int unchanged = 0;  // same content hash already in the corpus
    int revised = 0;
};

// ---- Digest outbox
// -------------------------------------------------------------------------------

enum class DigestStatus { pending, sent, failed };
const char* to_string(DigestStatus status);

// How a recorded digest is sent; everything needed to send it again byte for byte.
enum class DeliveryKind { email, webhook };
const char* to_string(DeliveryKind kind);

struct DigestDraft {
    std::string channel{};
    UtcTime period_start{};
    UtcTime period_end{};
    std::string message_id{};  // Message-ID or idempotency key, the same on every attempt
    std::string payload{};     // the rendered message, sent as is on every attempt
    std::vector<ItemId> items{};
    DeliveryKind kind = DeliveryKind::email;
    std::string envelope_from{};            // email: MAIL FROM
    std::vector<std::string> recipients{};  // email: RCPT TO
    int story_count = 0;                    // for status and logs
};

struct Digest {
    DigestId id = 0;
    std::string channel{};
    UtcTime period_start{};
    UtcTime period_end{};
    std::string message_id{};
    std::string payload{};
    DigestStatus status = DigestStatus::pending;
    int attempts = 0;
    UtcTime next_attempt{};
    std::string last_error{};
    UtcTime created{};
    std::optional<UtcTime> delivered{};
    std::vector<ItemId> items{};
    DeliveryKind kind = DeliveryKind::email;
    std::string envelope_from{};
    std::vector<std::string> recipients{};
    int story_count = 0;
};

// Where a digest channel stands: the end of the last period it digested. Kept in the store so
// that a restart neither repeats nor skips a period.
struct ChannelState {
    std::string channel{};
    UtcTime last_period_end{};
    UtcTime updated{};
};

// What `chuhai status` reads about the daemon: the heartbeat `chuhai run` writes, and the last
// poll cycle any command (run or once) finished.
struct DaemonStatus {
    std::optional<std::int64_t> pid{};   // of the latest `chuhai run`
    std::optional<UtcTime> started{};    // when it started
    std::optional<UtcTime> heartbeat{};  // its latest sign of life
    std::optional<UtcTime> stopped{};    // set when it stopped cleanly
    std::optional<UtcTime> last_cycle_end{};
    std::string last_cycle_summary{};  // the summary line of that cycle
    std::string last_cycle_by{};       // "run" or "once"
};

// A source that moved (permanent redirect) to a new URL.
struct SourceMove {
    SourceId source = 0;
    std::string name{};
    std::string old_url{};
    std::string new_url{};
    UtcTime moved{};
};

struct ItemCounts {
    std::int64_t items = 0;    // feed items first seen
    std::int64_t matched = 0;  // of them, items with at least one match
};

// ---- Maintenance -------------------------------------------------------------------------------

struct RetentionPolicy {
    // The text (summary, content, HTML, and that of their revisions) of items that matched no
    // rule is dropped this long after they were first seen; titles, links and provenance stay.
    // Matched items and the seed corpus are kept whole. Empty: kept forever.
    std::optional<std::chrono::seconds> drop_unmatched_text_after = std::chrono::days(30);
    // Fetch attempts that stored nothing (no new sighting, no revision) are deleted once they
    // are older than this; attempts that did store something are the provenance of items and
    // stay. Empty: only the count limit (StoreOptions::fetches_kept_per_source) applies.
    std::optional<std::chrono::seconds> drop_fetch_log_after{};
    // Free pages given back to the file system per run (incremental vacuum); 0: all.
    int vacuum_pages = 0;
};

struct RetentionResult {
    int items_trimmed = 0;
    int revisions_trimmed = 0;
    int fetches_pruned = 0;
    std::int64_t pages_freed = 0;
};

struct StoreOptions {
    // How long to wait for another process's lock before failing.
    std::chrono::milliseconds busy_timeout = std::chrono::seconds(5);
    // A new item joins the story of a near-duplicate first seen at most this long before it.
    std::chrono::seconds story_window = std::chrono::days(3);
    // A new item is a copy of an item in the window when their fingerprints (SimHash of title
    // and lead) are within this Hamming distance, the feed layer's kNearDuplicateDistance, and
    // the shorter text's shingles are at least this much in the other (see store/story_window.h
    // and docs/storage.md for how both were chosen).
    int near_duplicate_distance = 17;
    double near_duplicate_overlap = 0.5;
    // The latest this many fetch attempts of each source are kept; older attempts are pruned
    // unless they stored something (they are the provenance of items).
    int fetches_kept_per_source = 50;
    // The clock for first-seen times and retention; the system clock when null.
    const Clock* clock = nullptr;
    // What list_sources() calls silent.
    SilenceRule silence{};
    // A missing database file is created (the daemon, imports); false for commands that only
    // read or check a database, where a mistyped path must be an error and leave nothing.
    bool create_if_missing = true;
};

class Store {
  public:
    virtual ~Store() = default;

    // -- sources
    // Adds the source, or updates the one with this URL (or a former URL of it) from the spec:
    // name, tags, kind, interval, timezone, enabled, origin. Re-adding a removed source
    // restores it. Returns its id.
    virtual SourceId upsert_source(const SourceSpec& spec) = 0;
    // Upserts every source of the configuration in one transaction and turns off (enabled =
    // false) config sources that are no longer listed. Returns the ids in order.
    virtual std::vector<SourceId> sync_config_sources(std::span<const SourceSpec> specs) = 0;
    // The source with this id, URL or former URL, or name.
    virtual std::optional<Source> find_source(SourceId id) = 0;
    virtual std::optional<Source> find_source(const std::string& url_or_name) = 0;
    // Every source not removed (or also removed ones), with health; `silent` is computed for
    // `now`.
    virtual std::vector<Source> list_sources(bool include_removed = false) = 0;
    // Moves a source to a new URL after a permanent redirect; the old URL stays an alias.
    // Returns false (and changes nothing) when another source already has the new URL.
    virtual bool rename_source_url(SourceId id, const std::string& new_url) = 0;
    // Disables a source with a reason ("410 Gone") until enable_source().
    virtual void disable_source(SourceId id, const std::string& reason) = 0;
    virtual void enable_source(SourceId id) = 0;
    // Marks the source removed; its items and provenance stay.
    virtual void remove_source(SourceId id) = 0;
    virtual void save_schedule(SourceId id, const SourceSchedule& schedule) = 0;

    // -- fetches and items
    // Records one fetch attempt and stores its items, all in ONE transaction: the fetch row,
    // the source's health, schedule and validators, every item (added / duplicate / revised),
    // sightings, stories and corpus similarity. A failure changes nothing.
    virtual IngestResult ingest(const FetchRecord& fetch, std::span<const ItemInput> items) = 0;
    // Several fetches in one transaction (the writer's batch).
    virtual std::vector<IngestResult> ingest_batch(std::span<const FetchBatch> batches) = 0;

    // -- matches
    // Replaces the item's matches for each (rule, ruleset version) given.
    virtual void record_matches(ItemId item, std::span<const MatchInput> matches) = 0;
    virtual std::vector<Match> matches_for(ItemId item) = 0;
    // Reads the next batch of feed items (the seed corpus is not re-matched) in id order and
    // asks `decide` about each; when query.write, replaces every stored match (of any rule-set
    // version) of each item it returns a value for, in the same transaction, so that an item
    // revised meanwhile by the daemon is never given a verdict on its old text. The outbox is
    // not touched: an item a digest carried stays carried and is never sent again on that
    // channel. An exception from `decide` rolls the batch back and propagates.
    virtual RematchBatch rematch_batch(const RematchQuery& query,
                                       const RematchDecision& decide) = 0;

    // -- reading
    virtual std::optional<Item> item(ItemId id) = 0;
    virtual std::vector<Item> list_items(const ItemQuery& query) = 0;
    virtual std::optional<Provenance> provenance(ItemId id) = 0;
    virtual std::optional<Story> story(StoryId id) = 0;
    virtual std::vector<Revision> revisions(ItemId id) = 0;  // oldest first
    // Full-text search ranked by bm25 (title 4×, summary 2×, content 1×) among the newest
    // matching items (SearchQuery::candidates). Throws Error(usage) for a query without
    // searchable terms.
    virtual std::vector<SearchHit> search(const SearchQuery& query) = 0;

    // -- seed corpus
    // Imports documents as items of the seed source `source_url`: idempotent by content hash
    // (a document already in the corpus, under any name, is left alone); a changed document
    // under the same key is a revision.
    virtual CorpusImportResult import_corpus(const std::string& source_url,
                                             std::span<const CorpusDocument> documents) = 0;
    virtual std::vector<CorpusEntry> list_corpus() = 0;
    // The current corpus model, immutable and safe to use from any thread (e.g. to give the
    // rule engine the similarity before the items are stored). Rebuilt when the corpus changed,
    // also when another process imported documents.
    virtual std::shared_ptr<const CorpusModel> corpus_model() = 0;

    // -- digest outbox
    // Records a pending digest and claims its items for the channel, in one transaction.
    // Throws Error(store) when an item was already claimed by a digest of the same channel.
    virtual DigestId create_digest(const DigestDraft& draft) = 0;
    // Matched items first seen at or after `since` that the channel has not carried yet.
    virtual std::vector<ItemId> undelivered_matched_items(const std::string& channel,
                                                          UtcTime since) = 0;
    // Pending digests whose next attempt is due.
    virtual std::vector<Digest> due_digests(UtcTime now) = 0;
    virtual std::optional<Digest> digest(DigestId id) = 0;
    // Digests in `status`, newest first: every pending one, or (for sent and failed) those
    // created at or after `since`, at most `limit`.
    virtual std::vector<Digest> list_digests(DigestStatus status, UtcTime since,
                                             std::size_t limit) = 0;
    // Takes a due pending digest for one attempt: moves its next attempt to `lease_until`, so
    // that no other process sends it meanwhile, and one that crashed mid-attempt leaves it to
    // be tried again after the lease. False when it is no longer pending or not due at `now`
    // (another process took it).
    virtual bool claim_digest_attempt(DigestId id, UtcTime now, UtcTime lease_until) = 0;
    virtual void mark_digest_sent(DigestId id, UtcTime delivered) = 0;
    // A temporary failure: counts the attempt and schedules the next one.
    virtual void mark_digest_retry(DigestId id, const std::string& error, UtcTime next_attempt) = 0;
    // A permanent failure: recorded, never retried; its items stay claimed.
    virtual void mark_digest_failed(DigestId id, const std::string& error) = 0;

    // -- digest channels
    virtual std::optional<UtcTime> channel_period_end(const std::string& channel) = 0;
    // Records the end of the channel's latest digested period (creating its state).
    virtual void set_channel_period_end(const std::string& channel, UtcTime end) = 0;
    virtual std::vector<ChannelState> channel_states() = 0;

    // -- transactions
    // Runs `work` in one write transaction (the write lock is taken first, so what `work` reads
    // is not changed by another connection before it commits). Writes inside it join it. An
    // exception from `work` rolls everything back and propagates.
    virtual void run_in_transaction(const std::function<void()>& work) = 0;

    // -- daemon status
    // `chuhai run` with `pid` started at `started` is alive at `now`.
    virtual void record_heartbeat(std::int64_t pid, UtcTime started, UtcTime now) = 0;
    // ... and stopped cleanly.
    virtual void record_daemon_stop(std::int64_t pid, UtcTime now) = 0;
    // A poll cycle ended (by "run" or "once") with this summary line.
    virtual void record_cycle(UtcTime end, const std::string& summary, const std::string& by) = 0;
    virtual DaemonStatus daemon_status() = 0;
    // Feed items first seen in [since, until) and how many of them matched.
    virtual ItemCounts count_items(UtcTime since, UtcTime until) = 0;
    // Sources that moved at or after `since`, oldest first.
    virtual std::vector<SourceMove> source_moves_since(UtcTime since) = 0;

    // -- maintenance
    virtual RetentionResult apply_retention(const RetentionPolicy& policy) = 0;
    // A consistent copy of the database at `destination`, taken with SQLite's online backup
    // API while other connections keep writing; written to a temporary file and renamed, so
    // the destination is never half a database.
    virtual void backup_to(const std::filesystem::path& destination) = 0;
    // The problems found in the database file, empty when all is well. `full`: PRAGMA
    // integrity_check, the foreign keys and the full-text index against the items (reads every
    // row and index; minutes for a large archive). `quick`: PRAGMA quick_check, which reads
    // every page but does not compare indexes with their tables (what the daemon runs at start).
    enum class IntegrityCheck { quick, full };
    virtual std::vector<std::string> check_integrity(
        IntegrityCheck depth = IntegrityCheck::full) = 0;
    virtual int schema_version() = 0;
    virtual std::string describe() const = 0;  // "sqlite:/var/lib/chuhai/chuhai.db"
};

// Opens (creating and migrating as needed) the SQLite store at `path`. Throws Error(store)
// naming the path for a file that is corrupt or not a chuhai database, locked by another
// process, of a newer schema version, or not writable.
std::unique_ptr<Store> open_store(const std::filesystem::path& path,
                                  const StoreOptions& options = {});

}  // namespace chuhai::store
