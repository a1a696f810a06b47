#include "store/migrations.h"

#include <string>

#include "common/error.h"

namespace chuhai::store {

int latest_schema_version() {
    return static_cast<int>(embedded_migrations().size());
}

std::string newer_schema_message(int version) {
    return "database schema version " + std::to_string(version) +
           " is newer than this chuhai knows (" + std::to_string(latest_schema_version()) +
           "); it was written by a newer chuhai: upgrade chuhai or use a backup";
}

int schema_version(Database& db) {
    return static_cast<int>(db.query_int64("PRAGMA user_version"));
}

void migrate(Database& db, int target) {
    migrate(db, embedded_migrations(), target);
}

void migrate(Database& db, std::span<const Migration> migrations, int target) {
    const int latest = static_cast<int>(migrations.size());
    if (target < 0)
        target = latest;
    if (target > latest) {
        throw Error(ErrorKind::internal, "no migration to schema version " + std::to_string(target),
                    db.path());
    }
    const int current = schema_version(db);
    if (current > latest)
        throw Error(ErrorKind::store, newer_schema_message(current), db.path());
    for (const Migration& migration : migrations) {
        if (migration.version <= current || migration.version > target)
            continue;
        Transaction transaction(db);
        // Another process may have migrated while this one waited for the write lock.
        if (schema_version(db) >= migration.version)
            continue;
        try {
            db.exec(migration.sql);
        } catch (const Error& e) {
            throw Error(ErrorKind::store,
                        "migration " + std::string(migration.name) + " failed: " + e.message(),
                        db.path());
        }
        db.exec("PRAGMA user_version = " + std::to_string(migration.version));
        transaction.commit();
    }
}

}  // namespace chuhai::store
