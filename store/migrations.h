#pragma once
// The schema as numbered, forward-only migrations (store/migrations/NNNN_*.sql, embedded at
// build time). The database's PRAGMA user_version is the number of the last migration applied.

#include <span>
#include <string>
#include <string_view>

#include "store/sqlite.h"

namespace chuhai::store {

struct Migration {
    int version;            // 1, 2, 3, ... in order
    std::string_view name;  // the file name, for messages
    std::string_view sql;
};

// Every migration, in order (generated from store/migrations/).
std::span<const Migration> embedded_migrations();

// The version a fully migrated database has.
int latest_schema_version();

// Why a database of schema `version` (newer than latest_schema_version()) is refused.
std::string newer_schema_message(int version);

// The database's user_version.
int schema_version(Database& db);

// Applies the migrations after the database's version, up to and including `target` (the
// latest by default), each in its own IMMEDIATE transaction together with the new
// user_version, so a crash leaves the database at one version or the next, never between.
// Throws Error(store) naming the database when its version is newer than `target` knows
// (written by a newer chuhai) or when a migration fails; a failed migration changes nothing.
void migrate(Database& db, int target = -1);

// The same with a given list of migrations (for tests of the mechanism itself).
void migrate(Database& db, std::span<const Migration> migrations, int target);

}  // namespace chuhai::store
