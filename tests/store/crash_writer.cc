// Helper for crash_test.cc: ingests batches into the store at argv[1] in an endless loop and
// prints "batch N added A duplicates D" on stdout after each batch's transaction has
// committed. The test kills it with SIGKILL at random moments and checks what survived.
//
//   crash_writer DATABASE [FIRST_BATCH]
//
// FIRST_BATCH is where to resume: the test passes the batch after the last one it saw
// reported, which may have been committed without being reported (the kill came between the
// commit and the line), or an earlier one, so that batches already stored are sent again, as a
// daemon re-fetching after a crash would. Without it, the writer resumes after the last batch
// in the database.
//
// Batch N holds the items "bN-0" ... "bN-(kItemsPerBatch-1)"; every fourth has no canonical
// URL, so only its key tells that it is stored already; another source carries two items of
// batch N-1 (sightings, not new items); groups of four share a fingerprint and a title
// (stories).

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "common/error.h"
#include "store/sqlite_store.h"

namespace {

constexpr int kItemsPerBatch = 40;

void print_line(const std::string& line) {
    // Unbuffered: a printed line means the commit happened before it.
    const std::string text = line + "\n";
    if (::write(1, text.data(), text.size()) < 0)
        std::_Exit(3);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace chuhai;
    using namespace chuhai::store;
    if (argc != 2 && argc != 3) {
        std::fprintf(stderr, "usage: crash_writer DATABASE [FIRST_BATCH]\n");
        return 2;
    }
    try {
        auto store = open_sqlite_store(argv[1]);
        SourceSpec spec;
        spec.url = "https://feeds.example.com/crash";
        spec.name = "crash";
        const SourceId source = store->upsert_source(spec);
        SourceSpec other_spec;
        other_spec.url = "https://feeds.example.com/other";
        const SourceId other = store->upsert_source(other_spec);
        // Continue where the test says, or after the last batch a previous (killed) run
        // committed.
        int batch = argc == 3 ? std::atoi(argv[2])
                              : static_cast<int>(store->database().query_int64(
                                    "SELECT coalesce(max(CAST(substr(item_key, 2, "
                                    "instr(item_key, '-') - 2) AS INTEGER)), -1) + 1 FROM items "
                                    "WHERE source_id = " +
                                    std::to_string(source)));
        print_line("start " + std::to_string(batch));
        for (;; ++batch) {
            std::vector<ItemInput> items;
            for (int i = 0; i < kItemsPerBatch; ++i) {
                ItemInput item;
                item.key = "b" + std::to_string(batch) + "-" + std::to_string(i);
                if (i % 4 != 3)
                    item.canonical_url = "https://example.com/" + item.key;
                item.title = "Batch " + std::to_string(batch) + " group " + std::to_string(i / 4) +
                             " about Alibaba Cloud 阿里云 data centres";
                item.content = std::string(1500 + 37 * i, static_cast<char>('a' + i % 26)) +
                               " Huawei Ascend 华为昇腾 " + item.key;
                item.fingerprint = 0x9E3779B97F4A7C15ull *
                                   static_cast<std::uint64_t>(batch * kItemsPerBatch + i / 4);
                items.push_back(std::move(item));
            }
            FetchRecord fetch;
            fetch.source = source;
            fetch.requested_url = spec.url;
            fetch.http_status = 200;
            fetch.etag = "\"" + std::to_string(batch) + "\"";
            const FetchBatch batches[] = {{fetch, items}};
            std::vector<ItemInput> copies;
            if (batch > 0) {
                // Another source carries two items of the previous batch.
                for (int i = 0; i < 2; ++i) {
                    ItemInput copy;
                    copy.key = "copy-" + std::to_string(batch) + "-" + std::to_string(i);
                    copy.canonical_url = "https://example.com/b" + std::to_string(batch - 1) + "-" +
                                         std::to_string(i);
                    copy.title = "Copy";
                    copies.push_back(std::move(copy));
                }
            }
            FetchRecord other_fetch;
            other_fetch.source = other;
            other_fetch.requested_url = other_spec.url;
            const FetchBatch both[] = {{fetch, items}, {other_fetch, copies}};
            const auto results =
                store->ingest_batch(batch % 2 == 0 ? std::span<const FetchBatch>(both)
                                                   : std::span<const FetchBatch>(batches));
            print_line("batch " + std::to_string(batch) + " added " +
                       std::to_string(results[0].added) + " duplicates " +
                       std::to_string(results[0].duplicates));
            store->record_matches(results[0].items[0].item,
                                  std::vector<MatchInput>{{"rule", "v1", 1.0, "cloud", "{}"}});
            // A batch sent again (all duplicates) made its digest the first time, if it got that
            // far; its message id is taken.
            if (batch % 5 == 0 && results[0].added > 0) {
                DigestDraft draft;
                draft.channel = "daily";
                draft.message_id = "<digest-" + std::to_string(batch) + "@chuhai>";
                draft.payload = "digest";
                draft.items = store->undelivered_matched_items("daily", UtcTime{});
                store->create_digest(draft);
            }
        }
    } catch (const chuhai::Error& e) {
        std::fprintf(stderr, "crash_writer: %s\n", e.what());
        return 1;
    }
}
