// Bad databases: corrupt, not chuhai's, newer schema, locked by another process, read-only,
// full. Each gives Error(store) naming the file and the cause, and writes nothing.

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "common/error.h"
#include "common/file.h"
#include "store/migrations.h"
#include "tests/store/child_process.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

using chuhai::testing::TempDir;
using std::chrono::milliseconds;

// Runs `open` and returns the Error it throws; fails the test when it throws nothing.
template <class F>
Error error_of(F&& open) {
    try {
        open();
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "expected chuhai::Error";
    return Error(ErrorKind::internal, "no error");
}

void expect_store_error(const Error& e, const std::filesystem::path& path,
                        const std::string& cause) {
    EXPECT_EQ(e.kind(), ErrorKind::store) << e.what();
    EXPECT_EQ(e.where(), path.string()) << e.what();
    EXPECT_NE(e.message().find(cause), std::string::npos) << e.what();
}

StoreOptions quick_options() {
    StoreOptions options;
    options.busy_timeout = milliseconds(200);
    return options;
}

void fill_database(const std::filesystem::path& path, int items) {
    auto store = open_store(path);
    SourceSpec spec;
    spec.url = "https://feeds.example.com/a";
    const SourceId source = store->upsert_source(spec);
    std::vector<ItemInput> inputs;
    for (int i = 0; i < items; ++i)
        inputs.push_back(make_item("k" + std::to_string(i), "Title " + std::to_string(i),
                                   std::string(2000, static_cast<char>('a' + i % 26))));
    FetchRecord fetch;
    fetch.source = source;
    fetch.requested_url = spec.url;
    store->ingest(fetch, inputs);
}

TEST(OpenErrors, AFileThatIsNotADatabaseIsRefusedAndLeftAlone) {
    TempDir dir;
    std::string garbage;
    for (int i = 0; i < 8192; ++i)
        garbage += static_cast<char>((i * 7919) % 251);
    const auto path = dir.write("garbage.db", garbage);
    expect_store_error(error_of([&] { open_store(path); }), path, "not a SQLite database");
    EXPECT_EQ(read_file(path), garbage) << "nothing written";
    EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
}

TEST(OpenErrors, ADatabaseWithADamagedHeaderIsRefused) {
    TempDir dir;
    const auto path = dir / "damaged.db";
    fill_database(path, 10);
    {
        std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
        file.write("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    }
    const std::string before = read_file(path);
    expect_store_error(error_of([&] { open_store(path); }), path, "not a SQLite database");
    EXPECT_EQ(read_file(path), before);
}

TEST(OpenErrors, CorruptPagesAreReportedAsCorruptNamingTheFile) {
    TempDir dir;
    const auto path = dir / "corrupt.db";
    fill_database(path, 200);
    const auto size = std::filesystem::file_size(path);
    {
        // Overwrite the second half of the file (item pages and indexes) with a pattern.
        std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(static_cast<std::streamoff>(size / 2));
        const std::string junk(size / 2, '\x5a');
        file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    // The damage is found when the pages are read: by the integrity check, or by any query
    // that touches them, as an Error naming the file.
    bool reported = false;
    try {
        auto store = open_store(path, quick_options());
        reported = !store->check_integrity().empty();
        store->list_items({.limit = 1000});
        store->search({.text = "title"});
    } catch (const Error& e) {
        expect_store_error(e, path, "corrupt");
        reported = true;
    }
    EXPECT_TRUE(reported);
}

TEST(OpenErrors, AnotherApplicationsDatabaseIsRefused) {
    TempDir dir;
    const auto path = dir / "other.db";
    {
        Database other(path.string(), OpenMode::read_write_create);
        other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
    }
    expect_store_error(error_of([&] { open_store(path); }), path, "not a chuhai database");
    {
        Database other(path.string(), OpenMode::read_write);
        other.exec("PRAGMA user_version = 3");
    }
    expect_store_error(error_of([&] { open_store(path); }), path, "not a chuhai database");
    {
        Database other(path.string(), OpenMode::read_write);
        other.exec("PRAGMA application_id = 1234");
    }
    expect_store_error(error_of([&] { open_store(path); }), path, "another application");
}

TEST(OpenErrors, ANewerSchemaVersionIsRefusedUntouched) {
    TempDir dir;
    const auto path = dir / "newer.db";
    fill_database(path, 3);
    const int newer = latest_schema_version() + 1;
    {
        // As a newer chuhai, or a backup, may leave it: a rollback journal, not WAL.
        Database db(path.string(), OpenMode::read_write);
        db.exec("PRAGMA user_version = " + std::to_string(newer));
        db.exec("PRAGMA journal_mode = DELETE");
    }
    const std::string before = read_file(path);
    const Error e = error_of([&] { open_store(path); });
    expect_store_error(e, path, "newer than this chuhai knows");
    EXPECT_NE(e.message().find(std::to_string(newer)), std::string::npos);
    // Untouched to the byte: not even the journal mode was switched.
    EXPECT_EQ(read_file(path), before);
    EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
    Database db(path.string(), OpenMode::read_only);
    EXPECT_EQ(schema_version(db), newer);
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM items"), 3);
}

TEST(OpenErrors, AMissingFileIsAnErrorWhenItMayNotBeCreated) {
    TempDir dir;
    const auto path = dir / "typo.db";
    StoreOptions options;
    options.create_if_missing = false;
    expect_store_error(error_of([&] { open_store(path, options); }), path, "no such database file");
    EXPECT_FALSE(std::filesystem::exists(path));
    open_store(path);  // the default creates it
    EXPECT_TRUE(std::filesystem::exists(path));
    EXPECT_NO_THROW(open_store(path, options));
}

// Starts Python's sqlite3 on the database, runs `statements` in it, and keeps the connection
// (and whatever lock it took) until its stdin is closed.
std::unique_ptr<ChildProcess> hold_lock(const std::filesystem::path& path,
                                        const std::string& statements) {
    auto holder = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/bin/python3", "-c",
                                 "import sqlite3, sys\n"
                                 "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n" +
                                     statements +
                                     "print('locked', flush=True)\n"
                                     "sys.stdin.read()\n",
                                 path.string()});
    EXPECT_EQ(holder->read_line(std::chrono::seconds(10)), "locked");
    return holder;
}

// Another process holds the write lock; our writes give up after the busy timeout with a clear
// error and leave nothing behind.
TEST(OpenErrors, AWriteLockHeldByAnotherProcessIsReportedAsLocked) {
    TempDir dir;
    const auto path = dir / "locked.db";
    fill_database(path, 2);
    auto holder = hold_lock(path,
                            "c.execute('BEGIN IMMEDIATE')\n"
                            "c.execute(\"UPDATE sources SET name = 'held'\")\n");

    auto store = open_store(path, quick_options());  // reading is fine in WAL mode
    EXPECT_EQ(store->list_items({}).size(), 2u);
    FetchRecord fetch;
    fetch.source = store->find_source("https://feeds.example.com/a")->id;
    fetch.requested_url = "https://feeds.example.com/a";
    const Error e =
        error_of([&] { store->ingest(fetch, std::vector<ItemInput>{make_item("new", "New")}); });
    expect_store_error(e, path, "locked by another process");

    holder->close_stdin();
    EXPECT_EQ(holder->wait(), 0);
    EXPECT_EQ(store->list_items({}).size(), 2u) << "no partial write";
    EXPECT_EQ(store->ingest(fetch, std::vector<ItemInput>{make_item("new", "New")}).added, 1);
}

// A process that holds the file in exclusive locking mode keeps even readers out: the open
// itself fails.
TEST(OpenErrors, AnExclusiveLockHeldByAnotherProcessFailsTheOpen) {
    TempDir dir;
    const auto path = dir / "exclusive.db";
    fill_database(path, 2);
    auto holder = hold_lock(path,
                            "c.execute('PRAGMA locking_mode = EXCLUSIVE')\n"
                            "c.execute('BEGIN EXCLUSIVE')\n"
                            "c.execute('SELECT count(*) FROM items').fetchall()\n");
    expect_store_error(error_of([&] { open_store(path, quick_options()); }), path,
                       "locked by another process");
    holder->close_stdin();
    EXPECT_EQ(holder->wait(), 0);
    EXPECT_NO_THROW(open_store(path, quick_options()));
}

// Runs `body` in a forked child process and returns the text it returned: for what must not
// happen in the test process itself (giving up root, entering a mount namespace).
std::string in_child_process(const std::function<std::string()>& body) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0)
        return "pipe failed";
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(pipe_fds[0]);
        std::string result;
        try {
            result = body();
        } catch (const std::exception& e) {
            result = std::string("exception|") + e.what();
        }
        if (::write(pipe_fds[1], result.data(), result.size()) < 0) {
        }
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    std::string output;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0)
        output.append(buffer, static_cast<std::size_t>(n));
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return output;
}

// Runs `body` as a user who is not root (root ignores file permissions), in a child process;
// returns "kind|where|message" of the Error it threw, or an empty string when it threw nothing.
std::string as_unprivileged_user(const std::function<void()>& body) {
    return in_child_process([&]() -> std::string {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0))
            return "setuid failed";
        try {
            body();
        } catch (const Error& e) {
            return std::string(to_string(e.kind())) + "|" + e.where() + "|" + e.message();
        }
        return "";
    });
}

class ReadOnlyTest : public ::testing::Test {
  protected:
    ReadOnlyTest() {
        // The unprivileged user must be able to reach the folder.
        std::filesystem::permissions(dir_.path(), std::filesystem::perms(0755));
    }
    TempDir dir_;
};

TEST_F(ReadOnlyTest, ANewDatabaseInAReadOnlyFolderCannotBeCreated) {
    const auto folder = dir_ / "readonly";
    std::filesystem::create_directory(folder);
    std::filesystem::permissions(folder, std::filesystem::perms(0555));
    const auto path = folder / "new.db";
    const std::string result = as_unprivileged_user([&] { open_store(path); });
    EXPECT_EQ(result, "store|" + path.string() +
                          "|cannot open the database file (missing folder, or no permission)");
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(ReadOnlyTest, AReadOnlyDatabaseFileIsRefusedUntouched) {
    const auto path = dir_ / "readonly.db";
    fill_database(path, 2);
    std::filesystem::permissions(path, std::filesystem::perms(0444));
    const std::string before = read_file(path);
    const std::string result = as_unprivileged_user([&] { open_store(path); });
    EXPECT_EQ(result, "store|" + path.string() +
                          "|database is read-only (the file or its folder is not writable)");
    EXPECT_EQ(read_file(path), before);
}

TEST_F(ReadOnlyTest, AWritableDatabaseInAReadOnlyFolderIsRefused) {
    const auto folder = dir_ / "folder";
    std::filesystem::create_directory(folder);
    const auto path = folder / "chuhai.db";
    fill_database(path, 2);
    std::filesystem::permissions(path, std::filesystem::perms(0666));
    std::filesystem::permissions(folder, std::filesystem::perms(0555));
    const std::string before = read_file(path);
    // WAL mode needs its -wal and -shm files beside the database.
    const std::string result = as_unprivileged_user([&] { open_store(path); });
    EXPECT_EQ(result.rfind("store|" + path.string() + "|", 0), 0u) << result;
    EXPECT_EQ(read_file(path), before);
    std::filesystem::permissions(folder, std::filesystem::perms(0755));
}

// A full database, simulated with PRAGMA max_page_count: the batch fails as a whole with a
// clear error, and the store keeps working once there is room again.
TEST_F(StoreTest, AFullDatabaseFailsTheWholeBatchAndRecovers) {
    const SourceId source = add_source("https://feeds.example.com/a");
    ingest(source, {make_item("before", "Before")});
    const auto items_before = count("SELECT count(*) FROM items");
    const auto fetches_before = count("SELECT count(*) FROM fetches");
    db().exec("PRAGMA max_page_count = " + std::to_string(count("PRAGMA page_count") + 5));

    std::vector<ItemInput> big;
    for (int i = 0; i < 500; ++i)
        big.push_back(make_item("big" + std::to_string(i), "Big " + std::to_string(i),
                                std::string(3000, 'x')));
    const Error e = error_of([&] { ingest(source, big); });
    expect_store_error(e, db_path(), "database or disk is full");
    EXPECT_EQ(count("SELECT count(*) FROM items"), items_before);
    EXPECT_EQ(count("SELECT count(*) FROM fetches"), fetches_before);
    EXPECT_TRUE(store().check_integrity().empty());

    db().exec("PRAGMA max_page_count = 1073741823");
    EXPECT_EQ(ingest(source, big).added, 500);
    EXPECT_TRUE(store().check_integrity().empty());
}

// The real thing where the machine allows it: a 1 MiB tmpfs filled up by ingestion, in a
// private mount namespace of a child process.
TEST(OpenErrors, ARealFullFileSystemFailsCleanly) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "mounting a small tmpfs needs root";
    TempDir dir;
    const auto mount_point = dir / "tiny";
    std::filesystem::create_directory(mount_point);
    const std::string output = in_child_process([&] {
        std::string result;
        if (::unshare(CLONE_NEWNS) != 0 ||
            ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=1m") != 0) {
            result = "skip";
        } else {
            const auto path = mount_point / "chuhai.db";
            int stored = 0;
            try {
                auto store = open_store(path);
                SourceSpec spec;
                spec.url = "https://feeds.example.com/a";
                const SourceId source = store->upsert_source(spec);
                for (int batch = 0; batch < 1000; ++batch) {
                    std::vector<ItemInput> items;
                    for (int i = 0; i < 20; ++i) {
                        const std::string key = std::to_string(batch) + "-" + std::to_string(i);
                        items.push_back(make_item(key, "Title " + key, std::string(2000, 'q')));
                    }
                    FetchRecord fetch;
                    fetch.source = source;
                    fetch.requested_url = spec.url;
                    store->ingest(fetch, items);
                    stored += 20;
                }
                result = "no error";
            } catch (const Error& e) {
                result = e.where() + "|" + e.message();
            }
            // Whatever was committed is intact and complete.
            try {
                auto store = open_store(path);
                const auto count = dynamic_cast<SqliteStore&>(*store).database().query_int64(
                    "SELECT count(*) FROM items");
                result += "|" + std::to_string(count == stored) + "|" +
                          std::to_string(store->check_integrity().empty());
            } catch (const Error& e) {
                // Reopening may itself need a little room for the WAL; that error must also
                // name the file.
                result += "|reopen:" + std::string(e.what());
            }
        }
        return result;
    });
    if (output == "skip")
        GTEST_SKIP() << "cannot mount a tmpfs here";
    const std::string expected_path = (mount_point / "chuhai.db").string();
    EXPECT_EQ(output.rfind(expected_path + "|database or disk is full", 0), 0u) << output;
    EXPECT_NE(output.find("|1|1"), std::string::npos) << output;
}

}  // namespace
}  // namespace chuhai::store::testing
