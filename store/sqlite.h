#pragma once
// RAII owners for SQLite handles. Every failure becomes chuhai::Error(ErrorKind::store) whose
// `where` is the database path and whose message says the cause in words a user can act on
// ("database is locked by another process", "database or disk is full", ...).
//
// A Database and the statements prepared from it belong to one thread at a time.

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace chuhai::store {

class Database;

// A prepared statement: prepare once, bind, step, reset; finalized by the destructor.
// Parameters are 1-based as in SQLite; columns are 0-based.
class Statement {
  public:
    Statement(Database& db, std::string_view sql);
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    ~Statement();

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, bool value) { return bind(index, std::int64_t{value ? 1 : 0}); }
    // The text is copied by SQLite (SQLITE_TRANSIENT), so temporaries are safe.
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    Statement& bind(int index, const std::string& text) {
        return bind(index, std::string_view(text));
    }
    Statement& bind_null(int index);
    // Binds NULL for an empty optional.
    template <class T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind_null(index);
    }
    // Binds NULL for an empty string, the text otherwise.
    Statement& bind_text_or_null(int index, std::string_view text);

    // Advances to the next row: true when a row is available, false when done. Throws on error.
    bool step();
    // Steps a statement that returns no rows (or whose rows do not matter) to completion.
    void run();
    // Makes the statement ready to run again and clears its bindings. Never throws.
    void reset() noexcept;

    bool is_null(int column) const;
    std::int64_t column_int64(int column) const;
    int column_int(int column) const { return static_cast<int>(column_int64(column)); }
    double column_double(int column) const;
    // Valid until the next step/reset; empty for NULL.
    std::string_view column_text(int column) const;
    std::string column_string(int column) const { return std::string(column_text(column)); }
    std::optional<std::int64_t> column_optional_int64(int column) const;

    sqlite3_stmt* handle() const noexcept { return stmt_; }

  private:
    void check_bind(int rc, int index);

    Database* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// A cached statement in use: resets the statement (and so ends any read it holds open) when it
// goes out of scope, also when an exception unwinds through it.
class StatementUse {
  public:
    explicit StatementUse(Statement& statement) : statement_(&statement) {}
    StatementUse(const StatementUse&) = delete;
    StatementUse& operator=(const StatementUse&) = delete;
    ~StatementUse() { statement_->reset(); }
    Statement* operator->() const { return statement_; }
    Statement& operator*() const { return *statement_; }

  private:
    Statement* statement_;
};

enum class OpenMode {
    read_write_create,  // create the file when it is missing
    read_write,         // the file must exist
    read_only,
};

// Owns a sqlite3* connection and a cache of prepared statements.
class Database {
  public:
    // Opens (or creates) the file. The busy timeout is how long a statement waits for another
    // connection's lock before failing with "locked by another process".
    Database(const std::string& path, OpenMode mode,
             std::chrono::milliseconds busy_timeout = std::chrono::seconds(5));
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    // Runs one or more statements without parameters (schema, pragmas).
    void exec(std::string_view sql);
    // A statement prepared on first use and kept for the lifetime of the connection, reset when
    // the returned StatementUse goes out of scope. `sql` is the cache key.
    StatementUse cached(std::string_view sql);
    // The first column of the first row as an integer (0 when there is no row or it is NULL).
    std::int64_t query_int64(std::string_view sql);

    std::int64_t last_insert_rowid() const;
    int changes() const;

    // Throws Error(store) for a SQLite result code, naming the database and the cause.
    [[noreturn]] void fail(int rc, std::string_view context = {}) const;

    sqlite3* handle() const noexcept { return db_; }
    const std::string& path() const noexcept { return path_; }
    std::chrono::milliseconds busy_timeout() const noexcept { return busy_timeout_; }

  private:
    sqlite3* db_ = nullptr;
    std::string path_;
    std::chrono::milliseconds busy_timeout_;
    // Keyed by the SQL text, which each entry owns; looked up without copying the text.
    struct CachedStatement {
        std::string sql;
        Statement statement;
    };
    std::unordered_map<std::string_view, std::unique_ptr<CachedStatement>> statement_cache_;
};

// A transaction that rolls back unless committed. The destructor never throws: a failed
// rollback is logged (SQLite rolls back by itself when the connection closes).
//
// Opened while another transaction is open on the connection, it is a savepoint inside it: its
// commit keeps its changes for the outer transaction to commit, its rollback undoes only them.
// That lets a write that is one transaction on its own (create_digest) join a larger one
// (Store::run_in_transaction).
class Transaction {
  public:
    enum class Kind {
        deferred,
        immediate,  // takes the write lock at BEGIN: the choice for every writer
    };
    explicit Transaction(Database& db, Kind kind = Kind::immediate);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    void commit();

  private:
    Database* db_;
    bool open_ = false;
    bool nested_ = false;  // a savepoint inside an open transaction
};

// Turns a SQLite result code into the sentence chuhai prints ("database is locked by another
// process", ...), with SQLite's own message appended when it adds something.
std::string describe_sqlite_error(int rc, std::string_view sqlite_message,
                                  std::chrono::milliseconds busy_timeout);

}  // namespace chuhai::store
