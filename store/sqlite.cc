#include "store/sqlite.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "common/error.h"

namespace chuhai::store {

std::string describe_sqlite_error(int rc, std::string_view sqlite_message,
                                  std::chrono::milliseconds busy_timeout) {
    std::string cause;
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            cause = "database is locked by another process (gave up after " +
                    std::to_string(busy_timeout.count()) + " ms)";
            break;
        case SQLITE_FULL:
            cause = "database or disk is full";
            break;
        case SQLITE_READONLY:
            cause = "database is read-only (the file or its folder is not writable)";
            break;
        case SQLITE_CANTOPEN:
            cause = "cannot open the database file (missing folder, or no permission)";
            break;
        case SQLITE_CORRUPT:
            cause = "database file is corrupt";
            break;
        case SQLITE_NOTADB:
            cause = "file is not a SQLite database (or it is corrupt)";
            break;
        case SQLITE_IOERR:
            cause = "I/O error";
            break;
        case SQLITE_PERM:
        case SQLITE_AUTH:
            cause = "permission denied";
            break;
        case SQLITE_NOMEM:
            cause = "out of memory";
            break;
        default:
            cause = sqlite3_errstr(rc);
            break;
    }
    // SQLite's own message repeats the generic text for most codes; add it only when it says
    // more (a constraint name, a syntax error, the failing I/O call).
    if (!sqlite_message.empty() && sqlite_message != sqlite3_errstr(rc) &&
        sqlite_message != "database is locked" && sqlite_message != "database or disk is full" &&
        sqlite_message != "file is not a database" &&
        sqlite_message != "attempt to write a readonly database" &&
        sqlite_message != "unable to open database file") {
        cause += ": ";
        cause += sqlite_message;
    }
    return cause;
}

// ---- Database --------------------------------------------------------------------------------

Database::Database(const std::string& path, OpenMode mode, std::chrono::milliseconds busy_timeout)
    : path_(path), busy_timeout_(busy_timeout) {
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    switch (mode) {
        case OpenMode::read_write_create:
            flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
            break;
        case OpenMode::read_write:
            flags |= SQLITE_OPEN_READWRITE;
            break;
        case OpenMode::read_only:
            flags |= SQLITE_OPEN_READONLY;
            break;
    }
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        // A handle is returned even on failure and must be closed.
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw Error(ErrorKind::store, describe_sqlite_error(rc, message, busy_timeout_), path_);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout_.count()));
}

Database::~Database() {
    // Statements must be finalized before the connection closes.
    statement_cache_.clear();
    if (db_ != nullptr) {
        const int rc = sqlite3_close(db_);
        if (rc != SQLITE_OK) {
            spdlog::warn("{}: closing the database: {}", path_, sqlite3_errstr(rc));
            sqlite3_close_v2(db_);
        }
    }
}

void Database::fail(int rc, std::string_view context) const {
    std::string message =
        describe_sqlite_error(rc, db_ != nullptr ? sqlite3_errmsg(db_) : "", busy_timeout_);
    if (!context.empty()) {
        message += " (while ";
        message += context;
        message += ")";
    }
    throw Error(ErrorKind::store, std::move(message), path_);
}

void Database::exec(std::string_view sql) {
    const std::string text(sql);
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        // sqlite3_errmsg() still holds the message; the copy in `error` is only freed.
        sqlite3_free(error);
        fail(rc);
    }
}

StatementUse Database::cached(std::string_view sql) {
    auto it = statement_cache_.find(sql);
    if (it == statement_cache_.end()) {
        auto entry = std::make_unique<CachedStatement>(
            CachedStatement{std::string(sql), Statement(*this, sql)});
        const std::string_view key = entry->sql;
        it = statement_cache_.emplace(key, std::move(entry)).first;
    }
    return StatementUse(it->second->statement);
}

std::int64_t Database::query_int64(std::string_view sql) {
    Statement statement(*this, sql);
    return statement.step() ? statement.column_int64(0) : 0;
}

std::int64_t Database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

int Database::changes() const {
    return sqlite3_changes(db_);
}

// ---- Statement -------------------------------------------------------------------------------

Statement::Statement(Database& db, std::string_view sql) : db_(&db) {
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, &tail);
    if (rc != SQLITE_OK)
        db.fail(rc, "preparing a statement");
    if (stmt_ == nullptr)
        throw Error(ErrorKind::internal, "empty SQL statement", db.path());
    for (; tail != nullptr && tail < sql.data() + sql.size(); ++tail) {
        if (*tail != ' ' && *tail != '\n' && *tail != '\t' && *tail != ';') {
            sqlite3_finalize(stmt_);
            stmt_ = nullptr;
            throw Error(ErrorKind::internal, "more than one SQL statement in one Statement",
                        db.path());
        }
    }
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

void Statement::check_bind(int rc, int index) {
    if (rc != SQLITE_OK)
        db_->fail(rc, "binding parameter " + std::to_string(index));
}

Statement& Statement::bind(int index, std::int64_t value) {
    check_bind(sqlite3_bind_int64(stmt_, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    check_bind(sqlite3_bind_double(stmt_, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    check_bind(
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
        index);
    return *this;
}

Statement& Statement::bind_null(int index) {
    check_bind(sqlite3_bind_null(stmt_, index), index);
    return *this;
}

Statement& Statement::bind_text_or_null(int index, std::string_view text) {
    return text.empty() ? bind_null(index) : bind(index, text);
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    db_->fail(rc);
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() noexcept {
    // The result of reset repeats the last step's error, which was already reported.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

double Statement::column_double(int column) const {
    return sqlite3_column_double(stmt_, column);
}

std::string_view Statement::column_text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (text == nullptr)
        return {};
    return std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::int64_t> Statement::column_optional_int64(int column) const {
    if (is_null(column))
        return std::nullopt;
    return column_int64(column);
}

// ---- Transaction -----------------------------------------------------------------------------

Transaction::Transaction(Database& db, Kind kind) : db_(&db) {
    nested_ = sqlite3_get_autocommit(db.handle()) == 0;
    if (nested_)
        db.exec("SAVEPOINT chuhai_nested");
    else
        db.exec(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
    open_ = true;
}

Transaction::~Transaction() {
    if (!open_)
        return;
    // Rolling back after an error: the statement that failed may already have ended the
    // transaction (SQLITE_FULL and some I/O errors do), so check before issuing ROLLBACK.
    if (sqlite3_get_autocommit(db_->handle()) != 0)
        return;
    // A savepoint is rolled back to and then released, so the outer transaction goes on
    // without its changes.
    const char* sql = nested_ ? "ROLLBACK TO chuhai_nested; RELEASE chuhai_nested" : "ROLLBACK";
    char* error = nullptr;
    const int rc = sqlite3_exec(db_->handle(), sql, nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        spdlog::error("{}: rollback failed: {}", db_->path(),
                      error != nullptr ? error : sqlite3_errstr(rc));
    }
    sqlite3_free(error);
}

void Transaction::commit() {
    db_->exec(nested_ ? "RELEASE chuhai_nested" : "COMMIT");
    open_ = false;
}

}  // namespace chuhai::store
