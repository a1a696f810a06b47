#pragma once
// The SQLite implementation of Store. Code outside the store uses Store (store/store.h) and
// open_store(); this header exists for tests and tools that need the connection itself.

#include <filesystem>
#include <functional>
#include <memory>

#include "store/sqlite.h"
#include "store/store.h"
#include "store/story_window.h"

namespace chuhai::store {

// Opens a connection configured the way the store needs it: WAL journal, synchronous=NORMAL,
// foreign keys on, busy timeout, the search tokenizer registered. It checks that the file is a
// chuhai database (or empty, or new) of a schema this chuhai knows, before writing anything to
// it, and refuses a read-only one; it does not migrate. With `create` false a missing file is
// an error instead of a new database.
std::unique_ptr<Database> open_database(const std::filesystem::path& path,
                                        std::chrono::milliseconds busy_timeout, bool create = true);

class SqliteStore;

// Opens and migrates like open_store(), returning the concrete type.
std::unique_ptr<SqliteStore> open_sqlite_store(const std::filesystem::path& path,
                                               const StoreOptions& options = {});

class SqliteStore final : public Store {
  public:
    // Takes a connection from open_database(); migrates it to the latest schema.
    SqliteStore(std::unique_ptr<Database> db, const StoreOptions& options);
    ~SqliteStore() override;

    Database& database() { return *db_; }

    SourceId upsert_source(const SourceSpec& spec) override;
    std::vector<SourceId> sync_config_sources(std::span<const SourceSpec> specs) override;
    std::optional<Source> find_source(SourceId id) override;
    std::optional<Source> find_source(const std::string& url_or_name) override;
    std::vector<Source> list_sources(bool include_removed = false) override;
    bool rename_source_url(SourceId id, const std::string& new_url) override;
    void disable_source(SourceId id, const std::string& reason) override;
    void enable_source(SourceId id) override;
    void remove_source(SourceId id) override;
    void save_schedule(SourceId id, const SourceSchedule& schedule) override;

    IngestResult ingest(const FetchRecord& fetch, std::span<const ItemInput> items) override;
    std::vector<IngestResult> ingest_batch(std::span<const FetchBatch> batches) override;

    void record_matches(ItemId item, std::span<const MatchInput> matches) override;
    std::vector<Match> matches_for(ItemId item) override;
    RematchBatch rematch_batch(const RematchQuery& query, const RematchDecision& decide) override;

    std::optional<Item> item(ItemId id) override;
    std::vector<Item> list_items(const ItemQuery& query) override;
    std::optional<Provenance> provenance(ItemId id) override;
    std::optional<Story> story(StoryId id) override;
    std::vector<Revision> revisions(ItemId id) override;
    std::vector<SearchHit> search(const SearchQuery& query) override;

    CorpusImportResult import_corpus(const std::string& source_url,
                                     std::span<const CorpusDocument> documents) override;
    std::vector<CorpusEntry> list_corpus() override;
    std::shared_ptr<const CorpusModel> corpus_model() override;

    DigestId create_digest(const DigestDraft& draft) override;
    std::vector<ItemId> undelivered_matched_items(const std::string& channel,
                                                  UtcTime since) override;
    std::vector<Digest> due_digests(UtcTime now) override;
    std::optional<Digest> digest(DigestId id) override;
    void mark_digest_sent(DigestId id, UtcTime delivered) override;
    void mark_digest_retry(DigestId id, const std::string& error, UtcTime next_attempt) override;
    void mark_digest_failed(DigestId id, const std::string& error) override;
    std::vector<Digest> list_digests(DigestStatus status, UtcTime since,
                                     std::size_t limit) override;
    bool claim_digest_attempt(DigestId id, UtcTime now, UtcTime lease_until) override;

    std::optional<UtcTime> channel_period_end(const std::string& channel) override;
    void set_channel_period_end(const std::string& channel, UtcTime end) override;
    std::vector<ChannelState> channel_states() override;

    void run_in_transaction(const std::function<void()>& work) override;

    void record_heartbeat(std::int64_t pid, UtcTime started, UtcTime now) override;
    void record_daemon_stop(std::int64_t pid, UtcTime now) override;
    void record_cycle(UtcTime end, const std::string& summary, const std::string& by) override;
    DaemonStatus daemon_status() override;
    ItemCounts count_items(UtcTime since, UtcTime until) override;
    std::vector<SourceMove> source_moves_since(UtcTime since) override;

    RetentionResult apply_retention(const RetentionPolicy& policy) override;
    void backup_to(const std::filesystem::path& destination) override;
    std::vector<std::string> check_integrity(IntegrityCheck depth = IntegrityCheck::full) override;
    int schema_version() override;
    std::string describe() const override;

  private:
    struct SourceInfo;
    struct ItemWriteContext;

    UtcTime now() const;
    SourceId upsert_source_in_transaction(const SourceSpec& spec);
    std::optional<Source> read_source(std::string_view where_clause,
                                      const std::function<void(Statement&)>& bind);
    SourceInfo source_info(SourceId id);
    IngestResult ingest_in_transaction(const FetchRecord& fetch, std::span<const ItemInput> items,
                                       const CorpusModel& corpus);
    ItemResult write_item(const ItemWriteContext& context, const ItemInput& input);
    StoryId find_or_start_story(const ItemWriteContext& context,
                                std::optional<std::uint64_t> fingerprint,
                                const std::optional<StorySketch>& sketch, bool& joined);
    // Brings the in-memory story window up to date with the items table: drops what has left
    // the window, reads what other connections (or an earlier run) stored since.
    void sync_story_window();
    // The first item first seen at or after `since` (the largest id when there is none).
    ItemId first_item_seen_since(UtcTime since);
    void bump_corpus_generation();
    void insert_matches(ItemId item, std::span<const MatchInput> matches, UtcTime matched_at);
    void require_changed(std::string_view what, std::int64_t id);
    std::vector<Digest> digests_by_id(const std::vector<DigestId>& ids);

    std::unique_ptr<Database> db_;
    StoreOptions options_;
    SystemClock system_clock_;
    std::shared_ptr<const CorpusModel> corpus_;
    std::int64_t corpus_generation_ = -1;
    StoryWindow story_window_;
};

}  // namespace chuhai::store
