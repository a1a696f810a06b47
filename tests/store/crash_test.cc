// Crash safety: ingestion killed with SIGKILL at random moments, at least 30 times. After each
// kill the database passes its integrity checks, holds every batch whose commit was reported,
// holds every batch whole or not at all, holds no item twice, and opens again cleanly; the
// writer then resumes with the batch that was in flight (committed or not, it cannot know), and
// now and then with batches it knows are stored: those must come back as duplicates, whole. The
// same writer, left running, shows that a backup taken meanwhile is consistent.
// tests/integration/crash_daemon_test.py does the same to the real `chuhai run`.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "tests/store/child_process.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

using chuhai::testing::TempDir;
using std::chrono::milliseconds;

constexpr int kItemsPerBatch = 40;  // as in crash_writer.cc

// Every batch number whose items are in the database, with how many of its items are there.
std::map<int, int> batches_in(SqliteStore& store) {
    Statement rows(store.database(),
                   "SELECT CAST(substr(item_key, 2, instr(item_key, '-') - 2) AS INTEGER), "
                   "count(*) FROM items JOIN sources s ON s.id = items.source_id "
                   "WHERE s.name = 'crash' GROUP BY 1");
    std::map<int, int> batches;
    while (rows.step())
        batches[rows.column_int(0)] = rows.column_int(1);
    return batches;
}

void expect_consistent(SqliteStore& store, const std::set<int>& committed) {
    const auto problems = store.check_integrity();
    EXPECT_TRUE(problems.empty()) << problems.front();
    const auto batches = batches_in(store);
    for (const int batch : committed)
        EXPECT_TRUE(batches.count(batch)) << "committed batch " << batch << " is missing";
    for (const auto& [batch, items] : batches)
        EXPECT_EQ(items, kItemsPerBatch) << "batch " << batch << " is partial";
    Database& db = store.database();
    // No constraint keeps a source's key unique in items (a quarter of the items have no
    // canonical URL, whose index is unique): only the store's lookup of the key does.
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM (SELECT 1 FROM items "
                             "GROUP BY source_id, item_key HAVING count(*) > 1)"),
              0)
        << "an item stored twice";
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM items i WHERE (SELECT count(*) FROM sightings g "
                             "WHERE g.item_id = i.id AND g.source_id = i.source_id) <> 1"),
              0)
        << "an item without its one sighting by its first source";
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM items i JOIN sources s ON s.id = i.source_id "
                             "WHERE s.url = 'https://feeds.example.com/other'"),
              0)
        << "the other source's copies are sightings, not items";
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM items WHERE story_id NOT IN "
                             "(SELECT id FROM stories)"),
              0);
    // The outbox never holds an item twice in a channel (the key says so; check it held).
    EXPECT_EQ(db.query_int64("SELECT count(*) - count(DISTINCT item_id) FROM digest_items "
                             "WHERE channel = 'daily'"),
              0);
}

// "batch N added A duplicates D": the batch and what the store made of it.
struct Report {
    int batch = -1;
    int added = 0;
    int duplicates = 0;
};
std::optional<Report> parse_report(const std::string& line) {
    Report report;
    if (std::sscanf(line.c_str(), "batch %d added %d duplicates %d", &report.batch, &report.added,
                    &report.duplicates) != 3) {
        return std::nullopt;
    }
    return report;
}

TEST(CrashSafety, SigkillAtRandomMomentsLosesNoCommittedBatch) {
    TempDir dir;
    const auto path = dir / "crash.db";
    // A fixed seed: a failure can be replayed. The delays cover the start-up (creation and
    // migration of the database on the first run) as well as the middle of batches.
    std::mt19937 random(20250624);
    std::uniform_int_distribution<int> delay_ms(0, 250);
    std::set<int> committed;
    int replayed = 0;
    // Every report: a batch comes whole, either all new or, sent again, all duplicates.
    const auto note = [&](const std::string& line) -> std::optional<Report> {
        const auto report = parse_report(line);
        if (!report)
            return std::nullopt;
        const bool again = committed.count(report->batch) > 0;
        EXPECT_EQ(report->added + report->duplicates, kItemsPerBatch) << line;
        if (again) {
            EXPECT_EQ(report->added, 0) << "batch " << report->batch << " stored twice: " << line;
        } else {
            EXPECT_TRUE(report->added == kItemsPerBatch || report->added == 0)
                << "batch " << report->batch << " half stored before: " << line;
        }
        committed.insert(report->batch);
        return report;
    };
    constexpr int kRuns = 36;
    int kills = 0;
    for (int run = 0; run < kRuns; ++run) {
        SCOPED_TRACE("run " + std::to_string(run));
        // Resume with the batch after the last one reported: it was in flight at the kill and
        // may have been committed or not. Every fourth run goes back two batches it knows are
        // stored, as a daemon that re-fetches would.
        const int last = committed.empty() ? -1 : *committed.rbegin();
        const bool replay = run % 4 == 3 && last >= 1;
        const int first = replay ? last - 1 : last + 1;
        ChildProcess writer({CHUHAI_CRASH_WRITER, path.string(), std::to_string(first)});
        // Every third run, and every replay, waits for reported commits before its delay
        // starts: on a loaded machine (the sanitizer build on two busy cores) no fixed delay
        // guarantees that the writer commits anything, and a test that only ever kills during
        // start-up proves little.
        const int wait_for = replay ? 2 : run % 3 == 2 ? 1 : 0;
        for (int seen = 0; seen < wait_for;) {
            const auto line = writer.read_line(std::chrono::seconds(60));
            if (!line)
                break;
            if (const auto report = note(*line)) {
                ++seen;
                if (replay && report->duplicates == kItemsPerBatch)
                    ++replayed;
            }
        }
        const int delay = run < 3 ? run : delay_ms(random);
        std::this_thread::sleep_for(milliseconds(delay));
        writer.kill(SIGKILL);
        const int status = writer.wait();
        if (status == 128 + SIGKILL)
            ++kills;
        else
            ADD_FAILURE() << "the writer ended by itself with status " << status;
        for (const auto& line : writer.drain_lines())
            note(line);
        auto store = open_sqlite_store(path);
        expect_consistent(*store, committed);
        if (::testing::Test::HasFailure())
            break;
    }
    EXPECT_GE(kills, 30);
    // Each waiting run commits at least one batch the earlier runs did not.
    EXPECT_GE(committed.size(), static_cast<std::size_t>(kRuns / 3))
        << "the writer should get some work done between kills";
    EXPECT_GE(replayed, 10) << "batches known to be stored were sent again";
}

TEST(CrashSafety, ABackupTakenWhileAnotherProcessWritesIsConsistent) {
    TempDir dir;
    const auto path = dir / "live.db";
    open_sqlite_store(path);  // created before the writer starts
    ChildProcess writer({CHUHAI_CRASH_WRITER, path.string()});
    ASSERT_TRUE(writer.read_line(std::chrono::seconds(30)));  // "start 0"
    auto store = open_sqlite_store(path);
    int backups = 0;
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(writer.read_line(std::chrono::seconds(30))) << "the writer stopped";
        const auto backup = dir / ("backup-" + std::to_string(i) + ".db");
        store->backup_to(backup);
        auto copy = open_sqlite_store(backup);
        expect_consistent(*copy, {});
        EXPECT_FALSE(batches_in(*copy).empty());
        ++backups;
    }
    writer.kill(SIGKILL);
    writer.wait();
    EXPECT_EQ(backups, 4);
}

}  // namespace
}  // namespace chuhai::store::testing
