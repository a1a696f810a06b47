#include "store/sqlite_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <system_error>

#include "common/error.h"
#include "store/migrations.h"
#include "store/search_tokenizer.h"

namespace chuhai::store {

namespace {

// "CHAI": marks the file as a chuhai database (PRAGMA application_id).
constexpr std::int64_t kApplicationId = 0x43484149;

std::int64_t to_db(UtcTime t) {
    return t.time_since_epoch().count();
}
std::optional<std::int64_t> to_db(const std::optional<UtcTime>& t) {
    if (!t)
        return std::nullopt;
    return to_db(*t);
}
UtcTime from_db(std::int64_t seconds) {
    return UtcTime{std::chrono::seconds{seconds}};
}
std::optional<UtcTime> optional_time(const Statement& row, int column) {
    if (row.is_null(column))
        return std::nullopt;
    return from_db(row.column_int64(column));
}
std::optional<std::int64_t> to_db(const std::optional<std::chrono::seconds>& d) {
    if (!d)
        return std::nullopt;
    return d->count();
}

std::string to_json_array(const std::vector<std::string>& values) {
    return values.empty() ? std::string("[]") : nlohmann::json(values).dump();
}

std::vector<std::string> from_json_array(std::string_view text) {
    std::vector<std::string> values;
    if (text.empty())
        return values;
    const auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (!parsed.is_array())
        return values;
    for (const auto& value : parsed) {
        if (value.is_string())
            values.push_back(value.get<std::string>());
    }
    return values;
}

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw Error(ErrorKind::internal, "SHA-256 failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 0xF];
    }
    return hex;
}

// The text the store hashes when the parse stage gave no hash: title, summary and content,
// separated by a byte that cannot occur in them.
std::string content_hash_of(const ItemInput& item) {
    std::string text;
    text.reserve(item.title.size() + item.summary.size() + item.content.size() + 2);
    text += item.title;
    text += '\x1f';
    text += item.summary;
    text += '\x1f';
    text += item.content;
    return sha256_hex(text);
}

SourceKind parse_kind(std::string_view text) {
    return text == "seed" ? SourceKind::seed : SourceKind::feed;
}
SourceOrigin parse_origin(std::string_view text) {
    return text == "cli" ? SourceOrigin::cli : SourceOrigin::config;
}
DigestStatus parse_digest_status(std::string_view text) {
    if (text == "sent")
        return DigestStatus::sent;
    if (text == "failed")
        return DigestStatus::failed;
    return DigestStatus::pending;
}

// Owns a sqlite3_backup*.
struct BackupDeleter {
    void operator()(sqlite3_backup* backup) const { sqlite3_backup_finish(backup); }
};
using BackupHandle = std::unique_ptr<sqlite3_backup, BackupDeleter>;

// Owns a file descriptor, for syncing a folder after a rename.
class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    int get() const { return fd_; }

  private:
    int fd_;
};

constexpr std::string_view kSourceColumns = R"sql(
    s.id, s.url, s.name, s.tags, s.kind, s.origin, s.interval_seconds, s.timezone, s.enabled,
    s.created_at, s.removed_at, s.disabled_reason, s.disabled_at,
    s.last_attempt, s.last_success, s.last_status, s.last_error, s.consecutive_failures,
    s.last_bytes, s.last_duration_ms, s.last_items_seen, s.last_items_new, s.etag,
    s.last_modified, s.next_poll, s.mean_update_gap_seconds, s.updates_observed, s.retry_after_until,
    s.freshness_seconds, s.ttl_minutes,
    (SELECT json_group_array(url) FROM
        (SELECT url FROM source_aliases WHERE source_id = s.id ORDER BY renamed_at, url))
)sql";

Source read_source_row(const Statement& row) {
    Source source;
    source.id = row.column_int64(0);
    source.spec.url = row.column_string(1);
    source.spec.name = row.column_string(2);
    source.spec.tags = from_json_array(row.column_text(3));
    source.spec.kind = parse_kind(row.column_text(4));
    source.spec.origin = parse_origin(row.column_text(5));
    if (!row.is_null(6))
        source.spec.interval = std::chrono::seconds(row.column_int64(6));
    source.spec.timezone = row.column_string(7);
    source.spec.enabled = row.column_int64(8) != 0;
    source.created = from_db(row.column_int64(9));
    source.removed = optional_time(row, 10);
    source.disabled_reason = row.column_string(11);
    source.disabled_at = optional_time(row, 12);
    SourceHealth& health = source.health;
    health.last_attempt = optional_time(row, 13);
    health.last_success = optional_time(row, 14);
    if (!row.is_null(15))
        health.last_http_status = row.column_int(15);
    health.last_error = row.column_string(16);
    health.consecutive_failures = row.column_int(17);
    health.last_bytes = row.column_int64(18);
    health.last_duration = std::chrono::milliseconds(row.column_int64(19));
    health.last_items_seen = row.column_int(20);
    health.last_items_new = row.column_int(21);
    health.etag = row.column_string(22);
    health.last_modified = row.column_string(23);
    source.schedule.next_poll = optional_time(row, 24);
    source.schedule.mean_update_gap = std::chrono::seconds(row.column_int64(25));
    source.schedule.updates_observed = row.column_int(26);
    source.schedule.retry_after_until = optional_time(row, 27);
    if (!row.is_null(28))
        source.schedule.freshness = std::chrono::seconds(row.column_int64(28));
    if (!row.is_null(29))
        source.schedule.ttl_minutes = row.column_int(29);
    source.former_urls = from_json_array(row.column_text(30));
    return source;
}

constexpr std::string_view kItemColumns = R"sql(
    i.id, i.source_id, src.name, i.item_key, i.canonical_url, i.link, i.title, i.author,
    i.published, i.updated, i.first_seen, i.summary, i.content, i.content_html, i.categories,
    i.content_hash, i.fingerprint, i.language, i.story_id, i.revision_count, i.text_dropped_at,
    i.corpus_score, i.corpus_item_id,
    (SELECT json_group_array(DISTINCT topic) FROM matches WHERE item_id = i.id AND topic <> ''),
    i.sanitized_html
)sql";

Item read_item_row(const Statement& row) {
    Item item;
    item.id = row.column_int64(0);
    item.source = row.column_int64(1);
    item.source_name = row.column_string(2);
    item.key = row.column_string(3);
    item.canonical_url = row.column_string(4);
    item.link = row.column_string(5);
    item.title = row.column_string(6);
    item.author = row.column_string(7);
    item.published = optional_time(row, 8);
    item.updated = optional_time(row, 9);
    item.first_seen = from_db(row.column_int64(10));
    item.summary = row.column_string(11);
    item.content = row.column_string(12);
    item.content_html = row.column_string(13);
    item.categories = from_json_array(row.column_text(14));
    item.content_hash = row.column_string(15);
    if (!row.is_null(16))
        item.fingerprint = static_cast<std::uint64_t>(row.column_int64(16));
    item.language = row.column_string(17);
    item.story = row.column_int64(18);
    item.revision_count = row.column_int(19);
    item.text_dropped = !row.is_null(20);
    if (!row.is_null(21) && !row.is_null(22))
        item.corpus = CorpusSimilarity{row.column_int64(22), row.column_double(21)};
    item.topics = from_json_array(row.column_text(23));
    if (!row.is_null(24))
        item.sanitized_html = row.column_string(24);
    return item;
}

}  // namespace

const char* to_string(SourceKind kind) {
    return kind == SourceKind::seed ? "seed" : "feed";
}
const char* to_string(SourceOrigin origin) {
    return origin == SourceOrigin::cli ? "cli" : "config";
}
const char* to_string(FetchOutcome outcome) {
    switch (outcome) {
        case FetchOutcome::ok:
            return "ok";
        case FetchOutcome::not_modified:
            return "not_modified";
        case FetchOutcome::failed:
            return "failed";
    }
    return "failed";
}
const char* to_string(ItemOutcome outcome) {
    switch (outcome) {
        case ItemOutcome::added:
            return "added";
        case ItemOutcome::duplicate:
            return "duplicate";
        case ItemOutcome::revised:
            return "revised";
    }
    return "unknown";
}
const char* to_string(DigestStatus status) {
    switch (status) {
        case DigestStatus::pending:
            return "pending";
        case DigestStatus::sent:
            return "sent";
        case DigestStatus::failed:
            return "failed";
    }
    return "unknown";
}

const char* to_string(DeliveryKind kind) {
    return kind == DeliveryKind::webhook ? "webhook" : "email";
}

// ---- Opening -----------------------------------------------------------------------------------

std::unique_ptr<Database> open_database(const std::filesystem::path& path,
                                        std::chrono::milliseconds busy_timeout, bool create) {
    std::error_code ec;
    if (!create && !std::filesystem::exists(path, ec))
        throw Error(ErrorKind::store, "no such database file", path.string());
    auto db = std::make_unique<Database>(
        path.string(), create ? OpenMode::read_write_create : OpenMode::read_write, busy_timeout);
    if (sqlite3_db_readonly(db->handle(), "main") == 1) {
        throw Error(ErrorKind::store,
                    "database is read-only (the file or its folder is not writable)",
                    path.string());
    }
    // Reading the header and the schema is the first access: a file that is not a database
    // fails here, before anything is written to it.
    const std::int64_t application_id = db->query_int64("PRAGMA application_id");
    const std::int64_t version = db->query_int64("PRAGMA user_version");
    const std::int64_t tables = db->query_int64("SELECT count(*) FROM sqlite_schema");
    if (application_id != 0 && application_id != kApplicationId) {
        throw Error(ErrorKind::store,
                    "not a chuhai database (it belongs to another application, id " +
                        std::to_string(application_id) + ")",
                    path.string());
    }
    if (application_id == 0 && tables > 0 &&
        (version == 0 ||
         db->query_int64("SELECT count(*) FROM sqlite_schema WHERE name = 'sources'") == 0)) {
        throw Error(ErrorKind::store,
                    "not a chuhai database (it holds tables, but not chuhai's schema)",
                    path.string());
    }
    // A newer schema is refused before anything below writes to the file (the journal mode,
    // the application id): the database stays as the newer chuhai left it.
    if (version > latest_schema_version())
        throw Error(ErrorKind::store, newer_schema_message(static_cast<int>(version)),
                    path.string());
    if (tables == 0 && version == 0) {
        // A new database. Incremental vacuum can only be chosen before the first table.
        db->exec("PRAGMA auto_vacuum = INCREMENTAL");
    }
    if (application_id == 0)
        db->exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    // WAL: readers (search, status) never block the writer, and a commit is one append.
    {
        Statement journal(*db, "PRAGMA journal_mode = WAL");
        const std::string mode = journal.step() ? journal.column_string(0) : "";
        if (mode != "wal") {
            throw Error(ErrorKind::store,
                        "cannot switch to WAL journal mode (journal mode is '" + mode + "')",
                        path.string());
        }
    }
    // NORMAL in WAL mode: a commit survives a crash of the process; after a power loss the
    // database is consistent but may lack the last transactions (see docs/storage.md).
    db->exec("PRAGMA synchronous = NORMAL");
    db->exec("PRAGMA foreign_keys = ON");
    // Checkpoints stay small; the WAL file is truncated back after a large batch.
    db->exec("PRAGMA journal_size_limit = 67108864");
    register_search_tokenizer(db->handle(), path.string());
    register_search_functions(db->handle(), path.string());
    return db;
}

std::unique_ptr<SqliteStore> open_sqlite_store(const std::filesystem::path& path,
                                               const StoreOptions& options) {
    return std::make_unique<SqliteStore>(
        open_database(path, options.busy_timeout, options.create_if_missing), options);
}

std::unique_ptr<Store> open_store(const std::filesystem::path& path, const StoreOptions& options) {
    return open_sqlite_store(path, options);
}

SqliteStore::SqliteStore(std::unique_ptr<Database> db, const StoreOptions& options)
    : db_(std::move(db)),
      options_(options),
      story_window_(options.near_duplicate_distance, options.near_duplicate_overlap) {
    if (options_.near_duplicate_distance < 0 || options_.near_duplicate_distance > 64)
        throw Error(ErrorKind::internal, "near_duplicate_distance must be 0..64");
    if (!(options_.near_duplicate_overlap >= 0 && options_.near_duplicate_overlap <= 1))
        throw Error(ErrorKind::internal, "near_duplicate_overlap must be 0..1");
    migrate(*db_);
}

SqliteStore::~SqliteStore() = default;

UtcTime SqliteStore::now() const {
    return options_.clock != nullptr ? options_.clock->now() : system_clock_.now();
}

std::string SqliteStore::describe() const {
    return "sqlite:" + db_->path();
}

int SqliteStore::schema_version() {
    return store::schema_version(*db_);
}

void SqliteStore::require_changed(std::string_view what, std::int64_t id) {
    if (db_->changes() == 0)
        throw Error(ErrorKind::store, "no " + std::string(what) + " " + std::to_string(id),
                    db_->path());
}

// ---- Sources -----------------------------------------------------------------------------------

struct SqliteStore::SourceInfo {
    SourceId id = 0;
    SourceKind kind = SourceKind::feed;
};

SqliteStore::SourceInfo SqliteStore::source_info(SourceId id) {
    auto row = db_->cached("SELECT kind FROM sources WHERE id = ?1");
    row->bind(1, id);
    if (!row->step())
        throw Error(ErrorKind::store, "no source " + std::to_string(id), db_->path());
    return SourceInfo{id, parse_kind(row->column_text(0))};
}

SourceId SqliteStore::upsert_source_in_transaction(const SourceSpec& spec) {
    if (spec.url.empty())
        throw Error(ErrorKind::usage, "a source needs a URL", db_->path());
    std::optional<SourceId> existing;
    {
        auto find = db_->cached(
            "SELECT id FROM sources WHERE url = ?1 "
            "UNION ALL SELECT source_id FROM source_aliases WHERE url = ?1 LIMIT 1");
        find->bind(1, spec.url);
        if (find->step())
            existing = find->column_int64(0);
    }
    const std::string name = spec.name.empty() ? spec.url : spec.name;
    if (existing) {
        auto update = db_->cached(
            "UPDATE sources SET name = ?2, tags = ?3, kind = ?4, origin = ?5, "
            "interval_seconds = ?6, timezone = ?7, enabled = ?8, removed_at = NULL "
            "WHERE id = ?1");
        update->bind(1, *existing)
            .bind(2, name)
            .bind(3, to_json_array(spec.tags))
            .bind(4, to_string(spec.kind))
            .bind(5, to_string(spec.origin))
            .bind(6, to_db(spec.interval))
            .bind(7, spec.timezone)
            .bind(8, spec.enabled);
        update->run();
        return *existing;
    }
    auto insert = db_->cached(
        "INSERT INTO sources (url, name, tags, kind, origin, interval_seconds, timezone, "
        "enabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    insert->bind(1, spec.url)
        .bind(2, name)
        .bind(3, to_json_array(spec.tags))
        .bind(4, to_string(spec.kind))
        .bind(5, to_string(spec.origin))
        .bind(6, to_db(spec.interval))
        .bind(7, spec.timezone)
        .bind(8, spec.enabled)
        .bind(9, to_db(now()));
    insert->run();
    return db_->last_insert_rowid();
}

SourceId SqliteStore::upsert_source(const SourceSpec& spec) {
    Transaction transaction(*db_);
    const SourceId id = upsert_source_in_transaction(spec);
    transaction.commit();
    return id;
}

std::vector<SourceId> SqliteStore::sync_config_sources(std::span<const SourceSpec> specs) {
    Transaction transaction(*db_);
    std::vector<SourceId> ids;
    for (const SourceSpec& spec : specs) {
        SourceSpec config_spec = spec;
        config_spec.origin = SourceOrigin::config;
        ids.push_back(upsert_source_in_transaction(config_spec));
    }
    auto retire = db_->cached(
        "UPDATE sources SET enabled = 0 WHERE origin = 'config' AND kind = 'feed' "
        "AND id NOT IN (SELECT value FROM json_each(?1))");
    retire->bind(1, nlohmann::json(ids).dump());
    retire->run();
    transaction.commit();
    return ids;
}

std::optional<Source> SqliteStore::read_source(std::string_view where_clause,
                                               const std::function<void(Statement&)>& bind) {
    std::string sql = "SELECT ";
    sql += kSourceColumns;
    sql += " FROM sources s WHERE ";
    sql += where_clause;
    auto row = db_->cached(sql);
    bind(*row);
    if (!row->step())
        return std::nullopt;
    return read_source_row(*row);
}

std::optional<Source> SqliteStore::find_source(SourceId id) {
    return read_source("s.id = ?1", [&](Statement& s) { s.bind(1, id); });
}

std::optional<Source> SqliteStore::find_source(const std::string& url_or_name) {
    return read_source(
        "s.id = coalesce((SELECT id FROM sources WHERE url = ?1), "
        "(SELECT source_id FROM source_aliases WHERE url = ?1), "
        "(SELECT min(id) FROM sources WHERE name = ?1))",
        [&](Statement& s) { s.bind(1, url_or_name); });
}

std::vector<Source> SqliteStore::list_sources(bool include_removed) {
    std::string sql = "SELECT ";
    sql += kSourceColumns;
    sql += " FROM sources s WHERE ?1 OR s.removed_at IS NULL ORDER BY s.kind, s.name, s.id";
    std::vector<Source> sources;
    {
        auto rows = db_->cached(sql);
        rows->bind(1, include_removed);
        while (rows->step())
            sources.push_back(read_source_row(*rows));
    }
    // Arrivals: the fetches that brought something new (kept by pruning, so the history is
    // there). Twenty are enough to learn a rhythm.
    auto arrivals = db_->cached(
        "SELECT started_at FROM fetches WHERE source_id = ?1 AND new_sightings > 0 "
        "ORDER BY id DESC LIMIT 20");
    const UtcTime current = now();
    for (Source& source : sources) {
        if (source.spec.kind != SourceKind::feed)
            continue;
        std::vector<UtcTime> times;
        arrivals->bind(1, source.id);
        while (arrivals->step())
            times.push_back(from_db(arrivals->column_int64(0)));
        arrivals->reset();
        SourceHealth& health = source.health;
        if (!times.empty())
            health.last_new_item = times.front();
        health.usual_silence = usual_silence(times, options_.silence);
        // Silent means fetches keep succeeding but nothing new arrives; a failing source is
        // reported as failing instead.
        health.silent = health.usual_silence && health.last_success && source.active() &&
                        health.consecutive_failures == 0 &&
                        current - times.front() > *health.usual_silence;
    }
    return sources;
}

bool SqliteStore::rename_source_url(SourceId id, const std::string& new_url) {
    Transaction transaction(*db_);
    std::string old_url;
    {
        auto row = db_->cached("SELECT url FROM sources WHERE id = ?1");
        row->bind(1, id);
        if (!row->step())
            throw Error(ErrorKind::store, "no source " + std::to_string(id), db_->path());
        old_url = row->column_string(0);
    }
    if (old_url == new_url)
        return true;
    {
        auto taken = db_->cached("SELECT 1 FROM sources WHERE url = ?1");
        taken->bind(1, new_url);
        if (taken->step())
            return false;
    }
    {
        auto drop = db_->cached("DELETE FROM source_aliases WHERE url = ?1");
        drop->bind(1, new_url);
        drop->run();
    }
    {
        auto alias = db_->cached(
            "INSERT OR REPLACE INTO source_aliases (url, source_id, renamed_at) "
            "VALUES (?1, ?2, ?3)");
        alias->bind(1, old_url).bind(2, id).bind(3, to_db(now()));
        alias->run();
    }
    {
        auto update = db_->cached("UPDATE sources SET url = ?2 WHERE id = ?1");
        update->bind(1, id).bind(2, new_url);
        update->run();
    }
    transaction.commit();
    return true;
}

void SqliteStore::disable_source(SourceId id, const std::string& reason) {
    auto update =
        db_->cached("UPDATE sources SET disabled_reason = ?2, disabled_at = ?3 WHERE id = ?1");
    update->bind(1, id).bind(2, reason.empty() ? "disabled" : reason).bind(3, to_db(now()));
    update->run();
    require_changed("source", id);
}

void SqliteStore::enable_source(SourceId id) {
    auto update = db_->cached(
        "UPDATE sources SET disabled_reason = NULL, disabled_at = NULL, enabled = 1 "
        "WHERE id = ?1");
    update->bind(1, id);
    update->run();
    require_changed("source", id);
}

void SqliteStore::remove_source(SourceId id) {
    Transaction transaction(*db_);
    const SourceInfo info = source_info(id);
    auto update = db_->cached("UPDATE sources SET removed_at = ?2 WHERE id = ?1");
    update->bind(1, id).bind(2, to_db(now()));
    update->run();
    if (info.kind == SourceKind::seed)
        bump_corpus_generation();
    transaction.commit();
}

void SqliteStore::save_schedule(SourceId id, const SourceSchedule& schedule) {
    auto update = db_->cached(
        "UPDATE sources SET next_poll = ?2, mean_update_gap_seconds = ?3, updates_observed = ?4, "
        "retry_after_until = ?5, freshness_seconds = ?6, ttl_minutes = ?7 WHERE id = ?1");
    update->bind(1, id)
        .bind(2, to_db(schedule.next_poll))
        .bind(3, static_cast<std::int64_t>(schedule.mean_update_gap.count()))
        .bind(4, schedule.updates_observed)
        .bind(5, to_db(schedule.retry_after_until))
        .bind(6, to_db(schedule.freshness))
        .bind(7, schedule.ttl_minutes);
    update->run();
    require_changed("source", id);
}

// ---- Ingest ------------------------------------------------------------------------------------

struct SqliteStore::ItemWriteContext {
    SourceInfo source;
    std::optional<FetchId> fetch;
    UtcTime seen{};
    const CorpusModel* corpus = nullptr;
};

IngestResult SqliteStore::ingest(const FetchRecord& fetch, std::span<const ItemInput> items) {
    const FetchBatch batch{fetch, items};
    return std::move(ingest_batch(std::span<const FetchBatch>(&batch, 1)).front());
}

std::vector<IngestResult> SqliteStore::ingest_batch(std::span<const FetchBatch> batches) {
    const std::shared_ptr<const CorpusModel> corpus = corpus_model();
    Transaction transaction(*db_);
    // Inside the write transaction: every item another connection committed is visible.
    sync_story_window();
    const std::size_t window_size = story_window_.size();
    try {
        std::vector<IngestResult> results;
        results.reserve(batches.size());
        for (const FetchBatch& batch : batches)
            results.push_back(ingest_in_transaction(batch.fetch, batch.items, *corpus));
        transaction.commit();
        return results;
    } catch (...) {
        // The transaction rolls back: so do the items it added to the window.
        story_window_.truncate(window_size);
        throw;
    }
}

void SqliteStore::sync_story_window() {
    const std::int64_t since = to_db(now() - options_.story_window);
    story_window_.expire_before(since);
    // The items stored since the last look, by this connection or another one, that are
    // inside the window. The first time, that is the whole window.
    const ItemId from = std::max(story_window_.last_item() + 1,
                                 story_window_.last_item() == 0
                                     ? first_item_seen_since(now() - options_.story_window)
                                     : ItemId{0});
    auto rows = db_->cached(R"sql(
        SELECT id, story_id, first_seen, fingerprint, title,
               substr(coalesce(nullif(summary, ''), content, ''), 1, ?3)
        FROM items WHERE id >= ?1 AND first_seen >= ?2 AND fingerprint IS NOT NULL
        ORDER BY id)sql");
    rows->bind(1, from).bind(2, since).bind(3, static_cast<std::int64_t>(kStoryLeadChars));
    while (rows->step()) {
        StoryWindow::Entry entry;
        entry.item = rows->column_int64(0);
        entry.story = rows->column_int64(1);
        entry.first_seen = rows->column_int64(2);
        entry.fingerprint = static_cast<std::uint64_t>(rows->column_int64(3));
        entry.sketch = story_sketch(rows->column_text(4), rows->column_text(5), {});
        story_window_.add(entry);
    }
}

IngestResult SqliteStore::ingest_in_transaction(const FetchRecord& fetch,
                                                std::span<const ItemInput> items,
                                                const CorpusModel& corpus) {
    const SourceInfo source = source_info(fetch.source);
    if (fetch.outcome != FetchOutcome::ok && !items.empty()) {
        throw Error(ErrorKind::internal, "items given for a fetch that received no body",
                    db_->path());
    }
    IngestResult result;
    {
        auto insert = db_->cached(
            "INSERT INTO fetches (source_id, started_at, duration_ms, requested_url, final_url, "
            "http_status, outcome, error, bytes, etag, last_modified, items_seen) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
        insert->bind(1, fetch.source)
            .bind(2, to_db(fetch.started))
            .bind(3, static_cast<std::int64_t>(fetch.duration.count()))
            .bind(4, fetch.requested_url)
            .bind_text_or_null(5, fetch.final_url)
            .bind(6, fetch.http_status)
            .bind(7, to_string(fetch.outcome))
            .bind_text_or_null(8, fetch.error)
            .bind(9, fetch.bytes)
            .bind_text_or_null(10, fetch.etag)
            .bind_text_or_null(11, fetch.last_modified)
            .bind(12, static_cast<std::int64_t>(items.size()));
        insert->run();
        result.fetch = db_->last_insert_rowid();
    }

    const ItemWriteContext context{source, result.fetch, now(), &corpus};
    int new_sightings = 0;
    result.items.reserve(items.size());
    for (const ItemInput& input : items) {
        ItemResult item = write_item(context, input);
        switch (item.outcome) {
            case ItemOutcome::added:
                ++result.added;
                break;
            case ItemOutcome::duplicate:
                ++result.duplicates;
                break;
            case ItemOutcome::revised:
                ++result.revised;
                break;
        }
        if (item.new_sighting)
            ++new_sightings;
        result.items.push_back(std::move(item));
    }

    {
        auto counts = db_->cached(
            "UPDATE fetches SET items_new = ?2, new_sightings = ?3, items_revised = ?4 "
            "WHERE id = ?1");
        counts->bind(1, result.fetch)
            .bind(2, result.added)
            .bind(3, new_sightings)
            .bind(4, result.revised);
        counts->run();
    }
    {
        // Health and schedule. Validators change only with a response whose items are stored
        // in this same transaction (ok), or are refreshed by a 304: a crash can never leave
        // new validators without the items they stand for.
        const SourceSchedule schedule = fetch.schedule.value_or(SourceSchedule{});
        auto health = db_->cached(R"sql(
            UPDATE sources SET
                last_attempt = ?2,
                last_status = ?3,
                last_bytes = ?4,
                last_duration_ms = ?5,
                last_success = CASE WHEN ?6 <> 'failed' THEN ?2 ELSE last_success END,
                last_error = CASE WHEN ?6 <> 'failed' THEN NULL ELSE ?7 END,
                consecutive_failures =
                    CASE WHEN ?6 <> 'failed' THEN 0 ELSE consecutive_failures + 1 END,
                last_items_seen = ?8,
                last_items_new = ?9,
                etag = CASE ?6 WHEN 'ok' THEN ?10
                               WHEN 'not_modified' THEN coalesce(?10, etag)
                               ELSE etag END,
                last_modified = CASE ?6 WHEN 'ok' THEN ?11
                                        WHEN 'not_modified' THEN coalesce(?11, last_modified)
                                        ELSE last_modified END,
                next_poll = CASE WHEN ?18 THEN ?12 ELSE next_poll END,
                mean_update_gap_seconds = CASE WHEN ?18 THEN ?13 ELSE mean_update_gap_seconds END,
                updates_observed = CASE WHEN ?18 THEN ?14 ELSE updates_observed END,
                retry_after_until = CASE WHEN ?18 THEN ?15 ELSE retry_after_until END,
                freshness_seconds = CASE WHEN ?18 THEN ?16 ELSE freshness_seconds END,
                ttl_minutes = CASE WHEN ?18 THEN ?17 ELSE ttl_minutes END
            WHERE id = ?1)sql");
        health->bind(1, fetch.source)
            .bind(2, to_db(fetch.started))
            .bind(3, fetch.http_status)
            .bind(4, fetch.bytes)
            .bind(5, static_cast<std::int64_t>(fetch.duration.count()))
            .bind(6, to_string(fetch.outcome))
            .bind(7, fetch.error.empty() ? std::string("failed") : fetch.error)
            .bind(8, static_cast<std::int64_t>(items.size()))
            .bind(9, result.added)
            .bind_text_or_null(10, fetch.etag)
            .bind_text_or_null(11, fetch.last_modified)
            .bind(12, to_db(schedule.next_poll))
            .bind(13, static_cast<std::int64_t>(schedule.mean_update_gap.count()))
            .bind(14, schedule.updates_observed)
            .bind(15, to_db(schedule.retry_after_until))
            .bind(16, to_db(schedule.freshness))
            .bind(17, schedule.ttl_minutes)
            .bind(18, static_cast<std::int64_t>(fetch.schedule.has_value()));
        health->run();
    }
    {
        // Attempts that stored nothing are kept only as the latest few of each source; the
        // others are provenance of stored items and stay.
        auto prune = db_->cached(R"sql(
            DELETE FROM fetches
            WHERE source_id = ?1 AND new_sightings = 0 AND items_revised = 0
              AND id <= (SELECT id FROM fetches WHERE source_id = ?1
                         ORDER BY id DESC LIMIT 1 OFFSET ?2))sql");
        prune->bind(1, fetch.source).bind(2, options_.fetches_kept_per_source);
        prune->run();
    }
    return result;
}

ItemResult SqliteStore::write_item(const ItemWriteContext& context, const ItemInput& input) {
    ItemResult result;
    const std::string hash =
        input.content_hash.empty() ? content_hash_of(input) : input.content_hash;
    // The key identifies the item within its source; the parse stage always sets one, but a
    // caller without one still gets a stable identity.
    const std::string& key = !input.key.empty()             ? input.key
                             : !input.canonical_url.empty() ? input.canonical_url
                                                            : hash;
    const SourceId source = context.source.id;
    const std::int64_t seen = to_db(context.seen);

    auto add_sighting = [&](ItemId item) {
        auto insert = db_->cached(
            "INSERT INTO sightings (source_id, item_key, item_id, first_fetch_id, first_seen, "
            "last_seen, link) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)");
        insert->bind(1, source).bind(2, key).bind(3, item).bind(4, context.fetch).bind(5, seen);
        insert->bind_text_or_null(6, input.link);
        insert->run();
        result.new_sighting = true;
    };
    auto compute_similarity = [&](const ItemInput& text) -> std::optional<CorpusSimilarity> {
        if (context.source.kind == SourceKind::seed)
            return std::nullopt;
        if (text.corpus || text.corpus_computed)
            return text.corpus;
        return context.corpus->nearest(
            item_similarity_text(text.title, text.summary, text.content));
    };

    // 1. The same key from the same source: the item again, maybe revised.
    std::optional<ItemId> existing;
    {
        auto find =
            db_->cached("SELECT item_id FROM sightings WHERE source_id = ?1 AND item_key = ?2");
        find->bind(1, source).bind(2, key);
        if (find->step())
            existing = find->column_int64(0);
    }
    if (existing) {
        result.item = *existing;
        {
            auto touch = db_->cached(
                "UPDATE sightings SET last_seen = ?3 WHERE source_id = ?1 AND item_key = ?2");
            touch->bind(1, source).bind(2, key).bind(3, seen);
            touch->run();
        }
        SourceId first_source = 0;
        bool changed = false;
        {
            auto current = db_->cached(
                "SELECT source_id, title, content_hash, story_id FROM items WHERE id = ?1");
            current->bind(1, *existing);
            if (!current->step())
                throw Error(ErrorKind::store, "sighting of a missing item", db_->path());
            first_source = current->column_int64(0);
            changed = current->column_text(1) != input.title || current->column_text(2) != hash;
            result.story = current->column_int64(3);
        }
        // Only the item's first source revises it: another source's copy may differ without
        // the story having changed.
        if (!changed || first_source != source) {
            result.outcome = ItemOutcome::duplicate;
            return result;
        }
        {
            auto keep_old = db_->cached(
                "INSERT INTO item_revisions (item_id, replaced_at, fetch_id, title, summary, "
                "content, content_html, content_hash) "
                "SELECT id, ?2, ?3, title, summary, content, content_html, content_hash "
                "FROM items WHERE id = ?1");
            keep_old->bind(1, *existing).bind(2, seen).bind(3, context.fetch);
            keep_old->run();
        }
        result.corpus = compute_similarity(input);
        {
            auto update = db_->cached(R"sql(
                UPDATE items SET title = ?2, link = coalesce(?3, link), author = ?4,
                    updated = ?5, summary = ?6, content = ?7, content_html = ?8,
                    categories = ?9, content_hash = ?10,
                    fingerprint = coalesce(?11, fingerprint), language = coalesce(?12, language),
                    revision_count = revision_count + 1, last_revised = ?13,
                    text_dropped_at = NULL, corpus_score = ?14, corpus_item_id = ?15,
                    sanitized_html = ?16
                WHERE id = ?1)sql");
            update->bind(1, *existing)
                .bind(2, input.title)
                .bind_text_or_null(3, input.link)
                .bind_text_or_null(4, input.author)
                .bind(5, to_db(input.updated))
                .bind_text_or_null(6, input.summary)
                .bind_text_or_null(7, input.content)
                .bind_text_or_null(8, input.content_html)
                .bind(9, to_json_array(input.categories))
                .bind(10, hash)
                .bind_text_or_null(12, input.language)
                .bind(13, seen);
            if (input.fingerprint)
                update->bind(11, static_cast<std::int64_t>(*input.fingerprint));
            if (result.corpus) {
                update->bind(14, result.corpus->score).bind(15, result.corpus->document);
            }
            if (input.sanitized_html)
                update->bind(16, *input.sanitized_html);
            update->run();
        }
        if (input.fingerprint) {
            story_window_.update(*existing, *input.fingerprint,
                                 story_sketch(input.title, input.summary, input.content));
        }
        if (context.source.kind == SourceKind::seed)
            bump_corpus_generation();
        result.outcome = ItemOutcome::revised;
        return result;
    }

    // 2. The same canonical URL from any source: one item seen by another source.
    if (!input.canonical_url.empty()) {
        std::optional<std::pair<ItemId, StoryId>> same_url;
        {
            auto find = db_->cached("SELECT id, story_id FROM items WHERE canonical_url = ?1");
            find->bind(1, input.canonical_url);
            if (find->step())
                same_url = std::pair{find->column_int64(0), find->column_int64(1)};
        }
        if (same_url) {
            result.item = same_url->first;
            result.story = same_url->second;
            add_sighting(result.item);
            result.outcome = ItemOutcome::duplicate;
            return result;
        }
    }

    // 3. The seed corpus is idempotent by content: the same document under another name.
    if (context.source.kind == SourceKind::seed) {
        std::optional<std::pair<ItemId, StoryId>> same_text;
        {
            auto find = db_->cached(
                "SELECT i.id, i.story_id FROM items i JOIN sources s ON s.id = i.source_id "
                "WHERE s.kind = 'seed' AND i.content_hash = ?1 LIMIT 1");
            find->bind(1, hash);
            if (find->step())
                same_text = std::pair{find->column_int64(0), find->column_int64(1)};
        }
        if (same_text) {
            result.item = same_text->first;
            result.story = same_text->second;
            add_sighting(result.item);
            result.outcome = ItemOutcome::duplicate;
            return result;
        }
    }

    // 4. A new item, in the story of a recent near-duplicate or in a story of its own.
    std::optional<StorySketch> sketch;
    if (input.fingerprint)
        sketch = story_sketch(input.title, input.summary, input.content);
    result.story = find_or_start_story(context, input.fingerprint, sketch, result.joined_story);
    result.corpus = compute_similarity(input);
    {
        auto insert = db_->cached(R"sql(
            INSERT INTO items (source_id, item_key, canonical_url, link, title, author,
                published, updated, first_seen, summary, content, content_html, categories,
                content_hash, fingerprint, language, story_id, corpus_score, corpus_item_id,
                sanitized_html)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20))sql");
        insert->bind(1, source)
            .bind(2, key)
            .bind_text_or_null(3, input.canonical_url)
            .bind_text_or_null(4, input.link)
            .bind(5, input.title)
            .bind_text_or_null(6, input.author)
            .bind(7, to_db(input.published))
            .bind(8, to_db(input.updated))
            .bind(9, seen)
            .bind_text_or_null(10, input.summary)
            .bind_text_or_null(11, input.content)
            .bind_text_or_null(12, input.content_html)
            .bind(13, to_json_array(input.categories))
            .bind(14, hash)
            .bind_text_or_null(16, input.language)
            .bind(17, result.story);
        if (input.fingerprint)
            insert->bind(15, static_cast<std::int64_t>(*input.fingerprint));
        if (result.corpus)
            insert->bind(18, result.corpus->score).bind(19, result.corpus->document);
        if (input.sanitized_html)
            insert->bind(20, *input.sanitized_html);
        insert->run();
        result.item = db_->last_insert_rowid();
    }
    {
        // The index is kept by the writer for inserts (see migrations/0002_search.sql).
        auto index = db_->cached(
            "INSERT INTO items_fts (rowid, title, summary, content) VALUES (?1, ?2, ?3, ?4)");
        index->bind(1, result.item)
            .bind(2, input.title)
            .bind_text_or_null(3, input.summary)
            .bind_text_or_null(4, input.content);
        index->run();
    }
    add_sighting(result.item);
    if (input.fingerprint && context.source.kind == SourceKind::feed)
        story_window_.add({result.item, result.story, seen, *input.fingerprint, *sketch});
    if (context.source.kind == SourceKind::seed)
        bump_corpus_generation();
    result.outcome = ItemOutcome::added;
    return result;
}

StoryId SqliteStore::find_or_start_story(const ItemWriteContext& context,
                                         std::optional<std::uint64_t> fingerprint,
                                         const std::optional<StorySketch>& sketch, bool& joined) {
    joined = false;
    const std::int64_t seen = to_db(context.seen);
    if (fingerprint && sketch && context.source.kind == SourceKind::feed) {
        const auto match = story_window_.find(
            *fingerprint, *sketch, seen - static_cast<std::int64_t>(options_.story_window.count()));
        if (match) {
            auto touch =
                db_->cached("UPDATE stories SET last_seen = max(last_seen, ?2) WHERE id = ?1");
            touch->bind(1, match->story).bind(2, seen);
            touch->run();
            joined = true;
            return match->story;
        }
    }
    auto insert = db_->cached(
        "INSERT INTO stories (first_source_id, first_seen, last_seen) VALUES (?1, ?2, ?2)");
    insert->bind(1, context.source.id).bind(2, seen);
    insert->run();
    return db_->last_insert_rowid();
}

ItemId SqliteStore::first_item_seen_since(UtcTime since) {
    // Ids are given in the order items are first seen. (min(id) would walk the table in id
    // order, slow for a recent time; the first_seen index finds the boundary at once.)
    auto bound =
        db_->cached("SELECT id FROM items WHERE first_seen >= ?1 ORDER BY first_seen, id LIMIT 1");
    bound->bind(1, to_db(since));
    return bound->step() ? bound->column_int64(0) : std::numeric_limits<ItemId>::max();
}

void SqliteStore::bump_corpus_generation() {
    db_->cached("UPDATE store_meta SET value = value + 1 WHERE key = 'corpus_generation'")->run();
}

// ---- Matches -----------------------------------------------------------------------------------

void SqliteStore::record_matches(ItemId item, std::span<const MatchInput> matches) {
    Transaction transaction(*db_);
    insert_matches(item, matches, now());
    transaction.commit();
}

void SqliteStore::insert_matches(ItemId item, std::span<const MatchInput> matches,
                                 UtcTime matched_time) {
    auto upsert = db_->cached(R"sql(
        INSERT INTO matches (item_id, rule_id, ruleset_version, score, topic, evidence, matched_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        ON CONFLICT (item_id, rule_id, ruleset_version) DO UPDATE SET
            score = excluded.score, topic = excluded.topic, evidence = excluded.evidence,
            matched_at = excluded.matched_at)sql");
    const std::int64_t matched_at = to_db(matched_time);
    for (const MatchInput& match : matches) {
        upsert->bind(1, item)
            .bind(2, match.rule_id)
            .bind(3, match.ruleset_version)
            .bind(4, match.score)
            .bind(5, match.topic)
            .bind(6, match.evidence_json.empty() ? std::string("{}") : match.evidence_json)
            .bind(7, matched_at);
        upsert->run();
        upsert->reset();
    }
}

std::vector<Match> SqliteStore::matches_for(ItemId item) {
    auto rows = db_->cached(
        "SELECT rule_id, ruleset_version, score, topic, evidence, matched_at FROM matches "
        "WHERE item_id = ?1 ORDER BY score DESC, rule_id");
    rows->bind(1, item);
    std::vector<Match> matches;
    while (rows->step()) {
        Match match;
        match.item = item;
        match.rule_id = rows->column_string(0);
        match.ruleset_version = rows->column_string(1);
        match.score = rows->column_double(2);
        match.topic = rows->column_string(3);
        match.evidence_json = rows->column_string(4);
        match.matched_at = from_db(rows->column_int64(5));
        matches.push_back(std::move(match));
    }
    return matches;
}

RematchBatch SqliteStore::rematch_batch(const RematchQuery& query, const RematchDecision& decide) {
    // A dry run only reads, but in one transaction all the same: one consistent snapshot per
    // batch while the daemon writes.
    Transaction transaction(
        *db_, query.write ? Transaction::Kind::immediate : Transaction::Kind::deferred);
    RematchBatch batch;
    // Ids grow in the order items are first seen, so `since` is a lower bound on the id.
    ItemId after = query.after;
    if (query.since)
        after = std::max(after, first_item_seen_since(*query.since) - 1);
    std::vector<ItemId> ids;
    {
        auto rows = db_->cached(R"sql(
            SELECT i.id FROM items i JOIN sources s ON s.id = i.source_id
            WHERE i.id > ?1 AND (?2 IS NULL OR i.first_seen >= ?2) AND s.kind = 'feed'
            ORDER BY i.id LIMIT ?3)sql");
        rows->bind(1, after)
            .bind(2, to_db(query.since))
            .bind(3, static_cast<std::int64_t>(query.limit));
        while (rows->step())
            ids.push_back(rows->column_int64(0));
    }
    // The channels are few; asking each of them about an item uses the outbox's primary key.
    std::vector<std::string> channels;
    {
        auto rows = db_->cached("SELECT DISTINCT channel FROM digest_items ORDER BY channel");
        while (rows->step())
            channels.push_back(rows->column_string(0));
    }
    std::map<SourceId, std::vector<std::string>> tags_of_source;
    const UtcTime matched_at = now();
    for (const ItemId id : ids) {
        RematchItem candidate;
        candidate.item = *item(id);
        auto tags = tags_of_source.find(candidate.item.source);
        if (tags == tags_of_source.end()) {
            auto row = db_->cached("SELECT tags FROM sources WHERE id = ?1");
            row->bind(1, candidate.item.source);
            tags = tags_of_source
                       .emplace(candidate.item.source, row->step()
                                                           ? from_json_array(row->column_text(0))
                                                           : std::vector<std::string>{})
                       .first;
        }
        candidate.source_tags = tags->second;
        candidate.matches = matches_for(id);
        for (const std::string& channel : channels) {
            auto carried =
                db_->cached("SELECT 1 FROM digest_items WHERE channel = ?1 AND item_id = ?2");
            carried->bind(1, channel).bind(2, id);
            if (carried->step())
                candidate.digest_channels.push_back(channel);
        }
        ++batch.items;
        batch.last = id;
        const std::optional<std::vector<MatchInput>> decision = decide(candidate);
        if (!decision || !query.write)
            continue;
        auto remove = db_->cached("DELETE FROM matches WHERE item_id = ?1");
        remove->bind(1, id);
        remove->run();
        insert_matches(id, *decision, matched_at);
        ++batch.replaced;
    }
    transaction.commit();
    return batch;
}

// ---- Reading -----------------------------------------------------------------------------------

std::optional<Item> SqliteStore::item(ItemId id) {
    std::string sql = "SELECT ";
    sql += kItemColumns;
    sql += " FROM items i JOIN sources src ON src.id = i.source_id WHERE i.id = ?1";
    auto row = db_->cached(sql);
    row->bind(1, id);
    if (!row->step())
        return std::nullopt;
    return read_item_row(*row);
}

std::vector<Item> SqliteStore::list_items(const ItemQuery& query) {
    std::string sql = "SELECT ";
    sql += kItemColumns;
    sql += R"sql(
        FROM items i JOIN sources src ON src.id = i.source_id
        WHERE (?1 IS NULL OR i.first_seen >= ?1)
          AND (NOT ?2 OR EXISTS (SELECT 1 FROM matches m WHERE m.item_id = i.id))
          AND (?3 IS NULL OR EXISTS (
                SELECT 1 FROM sightings g JOIN sources gs ON gs.id = g.source_id
                WHERE g.item_id = i.id AND (gs.name = ?3 OR gs.url = ?3)))
          AND src.kind = ?4
        ORDER BY i.first_seen DESC, i.id DESC LIMIT ?5)sql";
    auto rows = db_->cached(sql);
    rows->bind(1, to_db(query.since))
        .bind(2, query.matched_only)
        .bind_text_or_null(3, query.source)
        .bind(4, to_string(query.kind))
        .bind(5, static_cast<std::int64_t>(query.limit));
    std::vector<Item> items;
    while (rows->step())
        items.push_back(read_item_row(*rows));
    return items;
}

std::optional<Provenance> SqliteStore::provenance(ItemId id) {
    SourceId first_source = 0;
    Provenance provenance;
    provenance.item = id;
    {
        auto row =
            db_->cached("SELECT source_id, story_id, revision_count FROM items WHERE id = ?1");
        row->bind(1, id);
        if (!row->step())
            return std::nullopt;
        first_source = row->column_int64(0);
        provenance.story = row->column_int64(1);
        provenance.revision_count = row->column_int(2);
    }
    auto rows = db_->cached(R"sql(
        SELECT g.source_id, s.name, s.url, g.item_key, g.first_seen, g.last_seen,
               f.id, f.started_at, f.requested_url, f.final_url, f.http_status, f.etag,
               f.last_modified, g.link
        FROM sightings g JOIN sources s ON s.id = g.source_id
        LEFT JOIN fetches f ON f.id = g.first_fetch_id
        WHERE g.item_id = ?1
        ORDER BY g.source_id <> ?2, g.first_seen, g.source_id)sql");
    rows->bind(1, id).bind(2, first_source);
    bool first = true;
    while (rows->step()) {
        Sighting sighting;
        sighting.source = rows->column_int64(0);
        sighting.source_name = rows->column_string(1);
        sighting.source_url = rows->column_string(2);
        sighting.item_key = rows->column_string(3);
        sighting.first_seen = from_db(rows->column_int64(4));
        sighting.last_seen = from_db(rows->column_int64(5));
        if (!rows->is_null(6)) {
            FetchInfo fetch;
            fetch.id = rows->column_int64(6);
            fetch.started = from_db(rows->column_int64(7));
            fetch.requested_url = rows->column_string(8);
            fetch.final_url = rows->column_string(9);
            if (fetch.final_url.empty())
                fetch.final_url = fetch.requested_url;
            if (!rows->is_null(10))
                fetch.http_status = rows->column_int(10);
            fetch.etag = rows->column_string(11);
            fetch.last_modified = rows->column_string(12);
            sighting.fetch = std::move(fetch);
        }
        sighting.link = rows->column_string(13);
        if (first)
            provenance.first = std::move(sighting);
        else
            provenance.others.push_back(std::move(sighting));
        first = false;
    }
    return provenance;
}

std::optional<Story> SqliteStore::story(StoryId id) {
    Story story;
    {
        auto row = db_->cached(
            "SELECT st.id, st.first_source_id, s.name, st.first_seen, st.last_seen "
            "FROM stories st JOIN sources s ON s.id = st.first_source_id WHERE st.id = ?1");
        row->bind(1, id);
        if (!row->step())
            return std::nullopt;
        story.id = row->column_int64(0);
        story.first_source = row->column_int64(1);
        story.first_source_name = row->column_string(2);
        story.first_seen = from_db(row->column_int64(3));
        story.last_seen = from_db(row->column_int64(4));
    }
    {
        auto rows = db_->cached("SELECT id FROM items WHERE story_id = ?1 ORDER BY first_seen, id");
        rows->bind(1, id);
        while (rows->step())
            story.members.push_back(rows->column_int64(0));
    }
    {
        auto rows = db_->cached(R"sql(
            SELECT s.name FROM sightings g JOIN items i ON i.id = g.item_id
            JOIN sources s ON s.id = g.source_id
            WHERE i.story_id = ?1
            GROUP BY s.id ORDER BY min(g.first_seen), s.id <> ?2, s.id)sql");
        rows->bind(1, id).bind(2, story.first_source);
        while (rows->step())
            story.source_names.push_back(rows->column_string(0));
    }
    return story;
}

std::vector<Revision> SqliteStore::revisions(ItemId id) {
    auto rows = db_->cached(
        "SELECT replaced_at, title, summary, content, content_hash FROM item_revisions "
        "WHERE item_id = ?1 ORDER BY id");
    rows->bind(1, id);
    std::vector<Revision> revisions;
    while (rows->step()) {
        Revision revision;
        revision.replaced_at = from_db(rows->column_int64(0));
        revision.title = rows->column_string(1);
        revision.summary = rows->column_string(2);
        revision.content = rows->column_string(3);
        revision.content_hash = rows->column_string(4);
        revisions.push_back(std::move(revision));
    }
    return revisions;
}

std::vector<SearchHit> SqliteStore::search(const SearchQuery& query) {
    const std::string expression = build_match_expression(query.text);
    if (expression.empty()) {
        throw Error(ErrorKind::usage,
                    "the search query has no words to look for: '" + query.text + "'");
    }
    // Phase 1: the best `limit` of the newest `candidates` matching items that pass the
    // filters. FTS5 walks the matches newest first (rowid order, no sorting) and bm25 is
    // computed only for the candidates: ranking every match of a very common word would cost
    // time in proportion to the whole archive, and for news the newest thousands are the ones
    // that matter. The filters never look rows up one by one: since becomes a rowid bound that
    // FTS5 applies in the index, topic and source become a set of ids checked in memory.
    const ItemId first_id = query.since ? first_item_seen_since(*query.since) : 0;
    std::optional<IdSet> eligible;
    auto restrict_to = [&eligible](IdSet ids) {
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        if (eligible) {
            IdSet both;
            std::set_intersection(eligible->begin(), eligible->end(), ids.begin(), ids.end(),
                                  std::back_inserter(both));
            ids = std::move(both);
        }
        eligible = std::move(ids);
    };
    // Each set is read through the index on its own column (a condition on item_id here would
    // tempt the planner into walking the item_id index instead); since is applied in memory.
    auto read_ids = [&](Statement& rows) {
        IdSet ids;
        while (rows.step()) {
            if (const std::int64_t id = rows.column_int64(0); id >= first_id)
                ids.push_back(id);
        }
        restrict_to(std::move(ids));
    };
    if (!query.topic.empty()) {
        auto rows = db_->cached("SELECT item_id FROM matches WHERE topic = ?1");
        rows->bind(1, query.topic);
        read_ids(*rows);
    }
    if (!query.source.empty()) {
        auto rows = db_->cached(
            "SELECT item_id FROM sightings "
            "WHERE source_id IN (SELECT id FROM sources WHERE name = ?1 OR url = ?1)");
        rows->bind(1, query.source);
        read_ids(*rows);
    }
    const std::int64_t candidates =
        query.candidates == 0 ? -1 : static_cast<std::int64_t>(query.candidates);
    std::vector<std::pair<ItemId, double>> ranked;
    if (!eligible || !eligible->empty()) {
        auto rows = eligible ? db_->cached(R"sql(
            SELECT id, score FROM (
                SELECT rowid AS id, bm25(items_fts, 4.0, 2.0, 1.0) AS score
                FROM items_fts WHERE items_fts MATCH ?1 AND rowid >= ?2
                  AND chuhai_in_set(rowid, ?5)
                ORDER BY rowid DESC LIMIT ?3)
            ORDER BY score, id DESC LIMIT ?4)sql")
                             : db_->cached(R"sql(
            SELECT id, score FROM (
                SELECT rowid AS id, bm25(items_fts, 4.0, 2.0, 1.0) AS score
                FROM items_fts WHERE items_fts MATCH ?1 AND rowid >= ?2
                ORDER BY rowid DESC LIMIT ?3)
            ORDER BY score, id DESC LIMIT ?4)sql");
        rows->bind(1, expression)
            .bind(2, first_id)
            .bind(3, candidates)
            .bind(4, static_cast<std::int64_t>(query.limit));
        if (eligible) {
            const int rc =
                sqlite3_bind_pointer(rows->handle(), 5, &*eligible, kIdSetPointerType, nullptr);
            if (rc != SQLITE_OK)
                db_->fail(rc, "binding the search filter");
        }
        while (rows->step())
            ranked.emplace_back(rows->column_int64(0), rows->column_double(1));
    }

    // Phase 2: highlights and snippets for the few results.
    auto details = db_->cached(R"sql(
        SELECT highlight(items_fts, 0, ?2, ?3), snippet(items_fts, -1, ?2, ?3, '…', 24),
               i.link, src.name, i.first_seen, i.published
        FROM items_fts f JOIN items i ON i.id = f.rowid JOIN sources src ON src.id = i.source_id
        WHERE items_fts MATCH ?1 AND f.rowid = ?4)sql");
    std::vector<SearchHit> hits;
    hits.reserve(ranked.size());
    for (const auto& [id, score] : ranked) {
        details->bind(1, expression)
            .bind(2, query.highlight_open)
            .bind(3, query.highlight_close)
            .bind(4, id);
        if (details->step()) {
            SearchHit hit;
            hit.item = id;
            hit.title = details->column_string(0);
            hit.snippet = details->column_string(1);
            hit.link = details->column_string(2);
            hit.source_name = details->column_string(3);
            hit.first_seen = from_db(details->column_int64(4));
            hit.published = optional_time(*details, 5);
            hit.rank = score;
            hits.push_back(std::move(hit));
        }
        details->reset();
    }
    return hits;
}

// ---- Corpus ------------------------------------------------------------------------------------

CorpusImportResult SqliteStore::import_corpus(const std::string& source_url,
                                              std::span<const CorpusDocument> documents) {
    SourceSpec spec;
    spec.url = source_url;
    // "corpus /srv/chuhai/corpus" for "file:///srv/chuhai/corpus".
    spec.name =
        "corpus " + (source_url.rfind("file://", 0) == 0 ? source_url.substr(7) : source_url);
    spec.kind = SourceKind::seed;
    spec.origin = SourceOrigin::cli;
    std::vector<ItemInput> items;
    items.reserve(documents.size());
    for (const CorpusDocument& document : documents) {
        ItemInput item;
        item.key = document.key;
        item.link = "file://" + document.path;
        item.title = document.title;
        item.content = document.text;
        items.push_back(std::move(item));
    }
    // The model is not needed for seeds, which get no similarity score.
    const CorpusModel no_corpus;
    Transaction transaction(*db_);
    CorpusImportResult result;
    result.source = upsert_source_in_transaction(spec);
    FetchRecord fetch;
    fetch.source = result.source;
    fetch.started = now();
    fetch.requested_url = source_url;
    fetch.outcome = FetchOutcome::ok;
    for (const CorpusDocument& document : documents)
        fetch.bytes += static_cast<std::int64_t>(document.title.size() + document.text.size());
    const IngestResult ingested = ingest_in_transaction(fetch, items, no_corpus);
    transaction.commit();
    result.added = ingested.added;
    result.unchanged = ingested.duplicates;
    result.revised = ingested.revised;
    return result;
}

std::vector<CorpusEntry> SqliteStore::list_corpus() {
    auto rows = db_->cached(R"sql(
        SELECT i.id, i.title, i.item_key, s.url, i.first_seen,
               length(CAST(i.title AS BLOB)) + coalesce(length(CAST(i.content AS BLOB)), 0),
               i.content_hash
        FROM items i JOIN sources s ON s.id = i.source_id
        WHERE s.kind = 'seed' AND s.removed_at IS NULL ORDER BY i.id)sql");
    std::vector<CorpusEntry> entries;
    while (rows->step()) {
        CorpusEntry entry;
        entry.item = rows->column_int64(0);
        entry.title = rows->column_string(1);
        entry.key = rows->column_string(2);
        entry.source_url = rows->column_string(3);
        entry.imported = from_db(rows->column_int64(4));
        entry.bytes = static_cast<std::size_t>(rows->column_int64(5));
        entry.content_hash = rows->column_string(6);
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::shared_ptr<const CorpusModel> SqliteStore::corpus_model() {
    const std::int64_t generation =
        db_->query_int64("SELECT value FROM store_meta WHERE key = 'corpus_generation'");
    if (corpus_ && generation == corpus_generation_)
        return corpus_;
    std::vector<CorpusModel::Document> documents;
    {
        auto rows = db_->cached(R"sql(
            SELECT i.id, i.title, i.summary, i.content
            FROM items i JOIN sources s ON s.id = i.source_id
            WHERE s.kind = 'seed' AND s.removed_at IS NULL ORDER BY i.id)sql");
        while (rows->step()) {
            documents.push_back(CorpusModel::Document{
                rows->column_int64(0),
                similarity_text(rows->column_text(1), rows->column_text(2), rows->column_text(3))});
        }
    }
    corpus_ = std::make_shared<const CorpusModel>(documents);
    corpus_generation_ = generation;
    return corpus_;
}

// ---- Digest outbox
// -------------------------------------------------------------------------------

DigestId SqliteStore::create_digest(const DigestDraft& draft) {
    if (draft.channel.empty() || draft.message_id.empty())
        throw Error(ErrorKind::internal, "a digest needs a channel and a message id", db_->path());
    Transaction transaction(*db_);
    const std::int64_t created = to_db(now());
    {
        auto insert = db_->cached(R"sql(
            INSERT INTO digests (channel, period_start, period_end, message_id, payload,
                next_attempt, created_at, kind, envelope_from, recipients, story_count)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10))sql");
        insert->bind(1, draft.channel)
            .bind(2, to_db(draft.period_start))
            .bind(3, to_db(draft.period_end))
            .bind(4, draft.message_id)
            .bind(5, draft.payload)
            .bind(6, created)
            .bind(7, to_string(draft.kind))
            .bind(8, draft.envelope_from)
            .bind(9, to_json_array(draft.recipients))
            .bind(10, draft.story_count);
        insert->run();
    }
    const DigestId id = db_->last_insert_rowid();
    auto claimed =
        db_->cached("SELECT digest_id FROM digest_items WHERE channel = ?1 AND item_id = ?2");
    auto claim =
        db_->cached("INSERT INTO digest_items (channel, item_id, digest_id) VALUES (?1, ?2, ?3)");
    for (const ItemId item : draft.items) {
        claimed->bind(1, draft.channel).bind(2, item);
        if (claimed->step()) {
            throw Error(ErrorKind::store,
                        "item " + std::to_string(item) + " is already in digest " +
                            std::to_string(claimed->column_int64(0)) + " of channel '" +
                            draft.channel + "'",
                        db_->path());
        }
        claimed->reset();
        claim->bind(1, draft.channel).bind(2, item).bind(3, id);
        claim->run();
        claim->reset();
    }
    transaction.commit();
    return id;
}

std::vector<ItemId> SqliteStore::undelivered_matched_items(const std::string& channel,
                                                           UtcTime since) {
    auto rows = db_->cached(R"sql(
        SELECT i.id FROM items i
        WHERE i.first_seen >= ?2
          AND EXISTS (SELECT 1 FROM matches m WHERE m.item_id = i.id)
          AND NOT EXISTS (SELECT 1 FROM digest_items d WHERE d.channel = ?1 AND d.item_id = i.id)
        ORDER BY i.first_seen, i.id)sql");
    rows->bind(1, channel).bind(2, to_db(since));
    std::vector<ItemId> items;
    while (rows->step())
        items.push_back(rows->column_int64(0));
    return items;
}

namespace {
constexpr std::string_view kDigestColumns =
    "id, channel, period_start, period_end, message_id, payload, status, attempts, "
    "next_attempt, last_error, created_at, delivered_at, kind, envelope_from, recipients, "
    "story_count";
}  // namespace

std::vector<Digest> SqliteStore::due_digests(UtcTime now_time) {
    std::string sql = "SELECT ";
    sql += kDigestColumns;
    sql +=
        " FROM digests WHERE status = 'pending' AND next_attempt <= ?1 ORDER BY next_attempt, id";
    std::vector<DigestId> ids;
    {
        auto rows = db_->cached(sql);
        rows->bind(1, to_db(now_time));
        while (rows->step())
            ids.push_back(rows->column_int64(0));
    }
    return digests_by_id(ids);
}

std::optional<Digest> SqliteStore::digest(DigestId id) {
    std::string sql = "SELECT ";
    sql += kDigestColumns;
    sql += " FROM digests WHERE id = ?1";
    Digest digest;
    {
        auto row = db_->cached(sql);
        row->bind(1, id);
        if (!row->step())
            return std::nullopt;
        digest.id = row->column_int64(0);
        digest.channel = row->column_string(1);
        digest.period_start = from_db(row->column_int64(2));
        digest.period_end = from_db(row->column_int64(3));
        digest.message_id = row->column_string(4);
        digest.payload = row->column_string(5);
        digest.status = parse_digest_status(row->column_text(6));
        digest.attempts = row->column_int(7);
        digest.next_attempt = from_db(row->column_int64(8));
        digest.last_error = row->column_string(9);
        digest.created = from_db(row->column_int64(10));
        digest.delivered = optional_time(*row, 11);
        digest.kind =
            row->column_text(12) == "webhook" ? DeliveryKind::webhook : DeliveryKind::email;
        digest.envelope_from = row->column_string(13);
        digest.recipients = from_json_array(row->column_text(14));
        digest.story_count = row->column_int(15);
    }
    auto items =
        db_->cached("SELECT item_id FROM digest_items WHERE digest_id = ?1 ORDER BY item_id");
    items->bind(1, id);
    while (items->step())
        digest.items.push_back(items->column_int64(0));
    return digest;
}

void SqliteStore::mark_digest_sent(DigestId id, UtcTime delivered) {
    auto update = db_->cached(
        "UPDATE digests SET status = 'sent', attempts = attempts + 1, delivered_at = ?2, "
        "last_error = NULL WHERE id = ?1");
    update->bind(1, id).bind(2, to_db(delivered));
    update->run();
    require_changed("digest", id);
}

void SqliteStore::mark_digest_retry(DigestId id, const std::string& error, UtcTime next_attempt) {
    auto update = db_->cached(
        "UPDATE digests SET attempts = attempts + 1, last_error = ?2, next_attempt = ?3 "
        "WHERE id = ?1 AND status = 'pending'");
    update->bind(1, id).bind(2, error).bind(3, to_db(next_attempt));
    update->run();
    require_changed("pending digest", id);
}

void SqliteStore::mark_digest_failed(DigestId id, const std::string& error) {
    auto update = db_->cached(
        "UPDATE digests SET status = 'failed', attempts = attempts + 1, last_error = ?2 "
        "WHERE id = ?1 AND status = 'pending'");
    update->bind(1, id).bind(2, error);
    update->run();
    require_changed("pending digest", id);
}

std::vector<Digest> SqliteStore::digests_by_id(const std::vector<DigestId>& ids) {
    std::vector<Digest> digests;
    for (const DigestId id : ids) {
        if (auto found = digest(id))
            digests.push_back(std::move(*found));
    }
    return digests;
}

std::vector<Digest> SqliteStore::list_digests(DigestStatus status, UtcTime since,
                                              std::size_t limit) {
    std::vector<DigestId> ids;
    {
        auto rows = db_->cached(R"sql(
            SELECT id FROM digests
            WHERE status = ?1 AND (status = 'pending' OR created_at >= ?2)
            ORDER BY created_at DESC, id DESC LIMIT ?3)sql");
        rows->bind(1, to_string(status))
            .bind(2, to_db(since))
            .bind(3, static_cast<std::int64_t>(limit));
        while (rows->step())
            ids.push_back(rows->column_int64(0));
    }
    return digests_by_id(ids);
}

bool SqliteStore::claim_digest_attempt(DigestId id, UtcTime now_time, UtcTime lease_until) {
    auto update = db_->cached(
        "UPDATE digests SET next_attempt = ?3 "
        "WHERE id = ?1 AND status = 'pending' AND next_attempt <= ?2");
    update->bind(1, id).bind(2, to_db(now_time)).bind(3, to_db(lease_until));
    update->run();
    return db_->changes() == 1;
}

std::optional<UtcTime> SqliteStore::channel_period_end(const std::string& channel) {
    auto row = db_->cached("SELECT last_period_end FROM digest_channels WHERE channel = ?1");
    row->bind(1, channel);
    if (!row->step())
        return std::nullopt;
    return from_db(row->column_int64(0));
}

void SqliteStore::set_channel_period_end(const std::string& channel, UtcTime end) {
    auto upsert = db_->cached(R"sql(
        INSERT INTO digest_channels (channel, last_period_end, updated_at) VALUES (?1, ?2, ?3)
        ON CONFLICT (channel) DO UPDATE SET last_period_end = ?2, updated_at = ?3)sql");
    upsert->bind(1, channel).bind(2, to_db(end)).bind(3, to_db(now()));
    upsert->run();
}

std::vector<ChannelState> SqliteStore::channel_states() {
    auto rows = db_->cached(
        "SELECT channel, last_period_end, updated_at FROM digest_channels ORDER BY channel");
    std::vector<ChannelState> states;
    while (rows->step()) {
        states.push_back(ChannelState{rows->column_string(0), from_db(rows->column_int64(1)),
                                      from_db(rows->column_int64(2))});
    }
    return states;
}

void SqliteStore::run_in_transaction(const std::function<void()>& work) {
    Transaction transaction(*db_);
    try {
        work();
        transaction.commit();
    } catch (...) {
        // An ingest inside `work` may have added items to the story window, or changed the
        // fingerprints of revised ones, that this rollback takes back: forget the window, and
        // the next ingest reads it again from what is committed.
        story_window_.truncate(0);
        throw;
    }
}

void SqliteStore::record_heartbeat(std::int64_t pid, UtcTime started, UtcTime now_time) {
    auto upsert = db_->cached(R"sql(
        INSERT INTO daemon_status (id, pid, started_at, heartbeat_at) VALUES (1, ?1, ?2, ?3)
        ON CONFLICT (id) DO UPDATE SET pid = ?1, started_at = ?2, heartbeat_at = ?3,
            stopped_at = NULL)sql");
    upsert->bind(1, pid).bind(2, to_db(started)).bind(3, to_db(now_time));
    upsert->run();
}

void SqliteStore::record_daemon_stop(std::int64_t pid, UtcTime now_time) {
    // Only the daemon that wrote the heartbeat marks it stopped: a second `chuhai run` that
    // failed to start must not declare the running one stopped.
    auto update = db_->cached(
        "UPDATE daemon_status SET stopped_at = ?2, heartbeat_at = ?2 WHERE id = 1 AND pid = ?1");
    update->bind(1, pid).bind(2, to_db(now_time));
    update->run();
}

void SqliteStore::record_cycle(UtcTime end, const std::string& summary, const std::string& by) {
    auto upsert = db_->cached(R"sql(
        INSERT INTO daemon_status (id, last_cycle_end, last_cycle_summary, last_cycle_by)
        VALUES (1, ?1, ?2, ?3)
        ON CONFLICT (id) DO UPDATE SET last_cycle_end = ?1, last_cycle_summary = ?2,
            last_cycle_by = ?3)sql");
    upsert->bind(1, to_db(end)).bind(2, summary).bind(3, by);
    upsert->run();
}

DaemonStatus SqliteStore::daemon_status() {
    DaemonStatus status;
    auto row = db_->cached(R"sql(
        SELECT pid, started_at, heartbeat_at, stopped_at, last_cycle_end, last_cycle_summary,
               last_cycle_by
        FROM daemon_status WHERE id = 1)sql");
    if (!row->step())
        return status;
    status.pid = row->column_optional_int64(0);
    status.started = optional_time(*row, 1);
    status.heartbeat = optional_time(*row, 2);
    status.stopped = optional_time(*row, 3);
    status.last_cycle_end = optional_time(*row, 4);
    status.last_cycle_summary = row->column_string(5);
    status.last_cycle_by = row->column_string(6);
    return status;
}

ItemCounts SqliteStore::count_items(UtcTime since, UtcTime until) {
    auto row = db_->cached(R"sql(
        SELECT count(*),
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM matches m WHERE m.item_id = i.id))
        FROM items i JOIN sources s ON s.id = i.source_id
        WHERE i.first_seen >= ?1 AND i.first_seen < ?2 AND s.kind = 'feed')sql");
    row->bind(1, to_db(since)).bind(2, to_db(until));
    ItemCounts counts;
    if (row->step()) {
        counts.items = row->column_int64(0);
        counts.matched = row->column_int64(1);
    }
    return counts;
}

std::vector<SourceMove> SqliteStore::source_moves_since(UtcTime since) {
    auto rows = db_->cached(R"sql(
        SELECT s.id, s.name, a.url, s.url, a.renamed_at
        FROM source_aliases a JOIN sources s ON s.id = a.source_id
        WHERE a.renamed_at >= ?1
        ORDER BY a.renamed_at, s.id)sql");
    rows->bind(1, to_db(since));
    std::vector<SourceMove> moves;
    while (rows->step()) {
        moves.push_back(SourceMove{rows->column_int64(0), rows->column_string(1),
                                   rows->column_string(2), rows->column_string(3),
                                   from_db(rows->column_int64(4))});
    }
    return moves;
}

// ---- Maintenance -------------------------------------------------------------------------------

RetentionResult SqliteStore::apply_retention(const RetentionPolicy& policy) {
    RetentionResult result;
    const UtcTime current = now();
    {
        Transaction transaction(*db_);
        if (policy.drop_unmatched_text_after) {
            // Items before the previous run's cutoff were dealt with then: each run looks
            // only at the items that crossed the limit since, not at the whole archive.
            const std::int64_t cutoff = to_db(current - *policy.drop_unmatched_text_after);
            const std::int64_t previous_cutoff = db_->query_int64(
                "SELECT value FROM store_meta WHERE key = 'retention_text_cutoff'");
            auto trim = db_->cached(R"sql(
                UPDATE items SET summary = NULL, content = NULL, content_html = NULL,
                    sanitized_html = NULL, text_dropped_at = ?3
                WHERE first_seen >= ?1 AND first_seen < ?2 AND text_dropped_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.item_id = items.id)
                  AND source_id NOT IN (SELECT id FROM sources WHERE kind = 'seed'))sql");
            trim->bind(1, previous_cutoff).bind(2, cutoff).bind(3, to_db(current));
            trim->run();
            result.items_trimmed = db_->changes();
            auto remember = db_->cached(
                "INSERT INTO store_meta (key, value) VALUES ('retention_text_cutoff', ?1) "
                "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)");
            remember->bind(1, cutoff);
            remember->run();
        }
        if (policy.drop_fetch_log_after) {
            // Like the text cutoff: each run looks only at the attempts after the last one it
            // dealt with, so the provenance rows that stay are not read again every day.
            const std::int64_t cutoff = to_db(current - *policy.drop_fetch_log_after);
            const std::int64_t done = db_->query_int64(
                "SELECT coalesce((SELECT value FROM store_meta WHERE key = 'retention_fetch_id'), "
                "0)");
            auto prune = db_->cached(R"sql(
                DELETE FROM fetches WHERE id > ?1 AND started_at < ?2
                  AND new_sightings = 0 AND items_revised = 0)sql");
            prune->bind(1, done).bind(2, cutoff);
            prune->run();
            result.fetches_pruned = db_->changes();
            auto remember = db_->cached(R"sql(
                INSERT INTO store_meta (key, value) VALUES ('retention_fetch_id',
                    coalesce((SELECT max(id) FROM fetches WHERE id > ?1 AND started_at < ?2), ?1))
                ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value))sql");
            remember->bind(1, done).bind(2, cutoff);
            remember->run();
        }
        {
            auto trim = db_->cached(R"sql(
                UPDATE item_revisions SET summary = NULL, content = NULL, content_html = NULL
                WHERE (summary IS NOT NULL OR content IS NOT NULL OR content_html IS NOT NULL)
                  AND item_id IN (SELECT id FROM items WHERE text_dropped_at IS NOT NULL))sql");
            trim->run();
            result.revisions_trimmed = db_->changes();
        }
        if (result.items_trimmed > 0) {
            // FTS5 records removals as delete markers in new segments; merging segments is what
            // drops the removed entries and lets the pages go back to the free list. A negative
            // budget merges any level with two or more segments, up to about 5000 pages of work.
            db_->exec("INSERT INTO items_fts(items_fts, rank) VALUES ('merge', -5000)");
        }
        transaction.commit();
    }
    // Fresh statistics for the query planner, bounded in time (SQLite's advice for long-lived
    // databases; cheap when nothing changed much).
    db_->exec("PRAGMA analysis_limit = 400; PRAGMA optimize");
    const std::int64_t free_before = db_->query_int64("PRAGMA freelist_count");
    db_->exec("PRAGMA incremental_vacuum(" + std::to_string(std::max(0, policy.vacuum_pages)) +
              ")");
    result.pages_freed = free_before - db_->query_int64("PRAGMA freelist_count");
    return result;
}

void SqliteStore::backup_to(const std::filesystem::path& destination) {
    std::error_code ec;
    const auto source_path = std::filesystem::weakly_canonical(db_->path(), ec);
    const auto target_path = std::filesystem::weakly_canonical(destination, ec);
    if (!ec && source_path == target_path) {
        throw Error(ErrorKind::usage, "the backup cannot overwrite the database itself",
                    destination.string());
    }
    std::filesystem::path temporary = destination;
    temporary += ".tmp-" + std::to_string(::getpid());
    std::filesystem::remove(temporary, ec);
    try {
        {
            Database target(temporary.string(), OpenMode::read_write_create, options_.busy_timeout);
            BackupHandle backup(
                sqlite3_backup_init(target.handle(), "main", db_->handle(), "main"));
            if (!backup)
                target.fail(sqlite3_errcode(target.handle()), "starting the backup");
            // All pages in one step: one read transaction on the source, so the copy is one
            // consistent snapshot even while the daemon commits (WAL readers see a snapshot).
            int rc = SQLITE_OK;
            for (;;) {
                rc = sqlite3_backup_step(backup.get(), -1);
                if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
                    break;
                sqlite3_sleep(50);
            }
            const int finish = sqlite3_backup_finish(backup.release());
            if (rc != SQLITE_DONE)
                target.fail(rc, "copying pages to the backup");
            if (finish != SQLITE_OK)
                target.fail(finish, "finishing the backup");
            // The copy is a rollback-journal file on its own, without a -wal beside it.
            target.exec("PRAGMA journal_mode = DELETE");
        }
        if (std::filesystem::exists(temporary.string() + "-wal"))
            throw Error(ErrorKind::internal, "backup left a write-ahead log", temporary.string());
        {
            FileDescriptor file(::open(temporary.c_str(), O_RDONLY | O_CLOEXEC));
            if (file.get() < 0 || ::fsync(file.get()) != 0) {
                throw Error(ErrorKind::io, std::string("cannot sync: ") + std::strerror(errno),
                            temporary.string());
            }
        }
        std::filesystem::rename(temporary, destination, ec);
        if (ec) {
            throw Error(ErrorKind::io, "cannot move the backup into place: " + ec.message(),
                        destination.string());
        }
        const auto folder =
            destination.has_parent_path() ? destination.parent_path() : std::filesystem::path(".");
        FileDescriptor directory(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (directory.get() >= 0)
            ::fsync(directory.get());
    } catch (...) {
        std::filesystem::remove(temporary, ec);
        std::filesystem::remove(temporary.string() + "-journal", ec);
        throw;
    }
}

std::vector<std::string> SqliteStore::check_integrity(IntegrityCheck depth) {
    std::vector<std::string> problems;
    try {
        Statement check(
            *db_, depth == IntegrityCheck::full ? "PRAGMA integrity_check" : "PRAGMA quick_check");
        while (check.step()) {
            std::string line = check.column_string(0);
            if (line != "ok")
                problems.push_back(std::move(line));
        }
    } catch (const Error& e) {
        // Damage bad enough to stop the check itself is its finding, not a failure to check.
        problems.push_back(e.message());
    }
    if (depth == IntegrityCheck::quick)
        return problems;
    {
        Statement check(*db_, "PRAGMA foreign_key_check");
        while (check.step()) {
            problems.push_back("foreign key: row " + std::to_string(check.column_int64(1)) +
                               " of " + check.column_string(0) + " refers to a missing row of " +
                               check.column_string(2));
        }
    }
    try {
        // rank 1: also compare the index with the text in items (external content).
        db_->exec("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)");
    } catch (const Error& e) {
        problems.push_back("full-text index: " + e.message());
    }
    return problems;
}

}  // namespace chuhai::store
