#pragma once
// Shared helpers for the store tests: a store in a temporary folder with a hand-moved clock, and
// short constructors for sources, fetches and items.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/sqlite_store.h"
#include "tests/support/test_support.h"

namespace chuhai::store::testing {

inline UtcTime at(const char* rfc3339) {
    return *parse_rfc3339(rfc3339);
}

inline std::int64_t to_db_seconds(UtcTime t) {
    return t.time_since_epoch().count();
}

inline ItemInput make_item(const std::string& key, const std::string& title,
                           const std::string& content = "",
                           std::optional<std::uint64_t> fingerprint = std::nullopt) {
    ItemInput item;
    item.key = key;
    item.canonical_url = "https://example.com/" + key;
    item.link = item.canonical_url + "?utm_source=feed";
    item.title = title;
    item.content = content;
    item.summary = content.substr(0, std::min<std::size_t>(content.size(), 60));
    item.fingerprint = fingerprint;
    return item;
}

// A digest of `channel` for the day before `now`, carrying `items`.
inline DigestDraft make_draft(const std::string& channel, std::vector<ItemId> items,
                              const std::string& message_id, UtcTime now) {
    DigestDraft d;
    d.channel = channel;
    d.period_start = now - std::chrono::hours(24);
    d.period_end = now;
    d.message_id = message_id;
    d.payload = "Subject: digest\r\n\r\nbody for " + channel;
    d.items = std::move(items);
    return d;
}

class StoreTest : public ::testing::Test {
  protected:
    StoreTest() : clock_(at("2025-06-24T08:00:00Z")) { reopen(); }

    void reopen(SilenceRule silence = {}) {
        store_.reset();
        StoreOptions options;
        options.clock = &clock_;
        options.silence = silence;
        options.busy_timeout = std::chrono::milliseconds(500);
        store_ = open_sqlite_store(db_path(), options);
    }

    std::filesystem::path db_path() const { return dir_ / "chuhai.db"; }
    SqliteStore& store() { return *store_; }
    Database& db() { return store_->database(); }
    std::int64_t count(const std::string& sql) { return db().query_int64(sql); }

    SourceId add_source(const std::string& url, const std::string& name = "") {
        SourceSpec spec;
        spec.url = url;
        spec.name = name;
        return store().upsert_source(spec);
    }

    FetchRecord fetch_of(SourceId source, const std::string& url = "https://feeds.example.com/a") {
        FetchRecord fetch;
        fetch.source = source;
        fetch.started = clock_.now();
        fetch.duration = std::chrono::milliseconds(120);
        fetch.requested_url = url;
        fetch.final_url = url;
        fetch.http_status = 200;
        fetch.bytes = 4096;
        fetch.etag = "\"v1\"";
        fetch.last_modified = "Tue, 24 Jun 2025 07:00:00 GMT";
        return fetch;
    }

    IngestResult ingest(SourceId source, const std::vector<ItemInput>& items) {
        return store().ingest(fetch_of(source), items);
    }

    chuhai::testing::TempDir dir_;
    ManualClock clock_;
    std::unique_ptr<SqliteStore> store_;
};

}  // namespace chuhai::store::testing
