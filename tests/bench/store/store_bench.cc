// Store benchmark: items inserted per second with the full-text index on (batched, through the
// real ingest path: dedup lookups, sightings, stories, corpus similarity, FTS triggers), then
// search latency over everything inserted. Prints medians and percentiles; docs/performance.md
// quotes them with the command.
//
//   store_bench [--items N] [--batch B] [--queries Q] [--db PATH] [--keep]
//
// The items are synthetic but shaped like feed items: English titles and bodies drawn from a
// Zipf-distributed vocabulary with the subject's names in it, one item in four in Chinese, a
// tenth of them copies of a recent item (stories), fifty sources.

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "store/corpus_files.h"
#include "store/sqlite_store.h"

namespace {

using namespace chuhai;
using namespace chuhai::store;
using Stopwatch = std::chrono::steady_clock;

struct Options {
    long items = 1'000'000;
    int batch = 500;
    int queries = 20;  // runs of each query
    std::string db;
    bool keep = false;
    bool corpus = true;        // score items against the shipped corpus, as the daemon does
    std::string pragmas;       // extra SQL run on the store's connection first, for experiments
    bool search_only = false;  // query the database --db holds (kept by an earlier --keep run)
    // The pipeline computes each item's corpus similarity on its worker threads, for the rules,
    // and hands it to the store (ItemInput::corpus); --similarity-in-writer leaves it to the
    // store's writer instead.
    bool similarity_in_writer = false;
    bool floor = true;  // also insert the first items into bare FTS5 tables (--no-floor: skip)
};

double seconds_since(Stopwatch::time_point start) {
    return std::chrono::duration<double>(Stopwatch::now() - start).count();
}

double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const double rank = p * static_cast<double>(values.size() - 1);
    const auto low = static_cast<std::size_t>(std::floor(rank));
    const auto high = static_cast<std::size_t>(std::ceil(rank));
    return values[low] + (values[high] - values[low]) * (rank - static_cast<double>(low));
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// CPU time of the calling thread: on a machine shared with other builds, wall time measures the
// other builds too, CPU time only this benchmark's work.
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

// Words: the subject's names (frequent), then synthetic words whose frequencies follow Zipf's
// law, like a real vocabulary.
class TextGenerator {
  public:
    explicit TextGenerator(std::uint64_t seed) : random_(seed) {
        const char* syllables[] = {"ka", "lo", "mi", "re", "tu", "sa", "ne", "po", "chi", "vo",
                                   "da", "ge", "fi", "ru", "zo", "be", "la", "no", "xi",  "qua"};
        std::uniform_int_distribution<int> syllable(0, 19);
        std::uniform_int_distribution<int> length(2, 4);
        while (words_.size() < 20000) {
            std::string word;
            for (int i = length(random_); i > 0; --i)
                word += syllables[syllable(random_)];
            words_.push_back(word);
        }
        // The subject's names at the middle ranks of the vocabulary: common in this news, far
        // from the commonest words.
        const char* names[] = {"alibaba",  "cloud",     "qwen",      "huawei", "ascend",
                               "deepseek", "tencent",   "bytedance", "capcut", "zhipu",
                               "minimax",  "moonshot",  "data",      "centre", "chips",
                               "overseas", "expansion", "model",     "dubai",  "malaysia",
                               "mexico",   "saudi",     "open",      "source"};
        for (std::size_t i = 0; i < std::size(names); ++i)
            words_[200 + 37 * i] = names[i];
        zipf_weights(words_.size(), word_cdf_);
        // Common Chinese characters (the CJK block's first few thousand code points).
        for (char32_t c = 0x4E00; c < 0x4E00 + 3000; ++c)
            hanzi_.push_back(c);
        zipf_weights(hanzi_.size(), hanzi_cdf_);
    }

    const std::string& word() { return words_[pick(word_cdf_)]; }
    const std::string& word_at(std::size_t rank) const { return words_[rank]; }
    std::string hanzi_at(std::size_t rank) const {
        std::string text;
        append_utf8(text, hanzi_[rank]);
        return text;
    }

    std::string english(int count) {
        std::string text;
        for (int i = 0; i < count; ++i) {
            if (i > 0)
                text += (i % 12 == 0) ? ". " : " ";
            text += word();
        }
        return text;
    }

    std::string chinese(int characters) {
        std::string text;
        for (int i = 0; i < characters; ++i) {
            if (i > 0 && i % 18 == 0)
                text += "\xEF\xBC\x8C";  // ，
            append_utf8(text, hanzi_[pick(hanzi_cdf_)]);
        }
        return text;
    }

    std::mt19937_64& random() { return random_; }

  private:
    static void zipf_weights(std::size_t n, std::vector<double>& cdf) {
        double total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            total += 1.0 / std::pow(static_cast<double>(i + 1), 1.05);
            cdf.push_back(total);
        }
        for (double& value : cdf)
            value /= total;
    }

    std::size_t pick(const std::vector<double>& cdf) {
        const double u = std::uniform_real_distribution<double>(0, 1)(random_);
        return static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
    }

    static void append_utf8(std::string& out, char32_t c) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }

    std::mt19937_64 random_;
    std::vector<std::string> words_;
    std::vector<double> word_cdf_;
    std::vector<char32_t> hanzi_;
    std::vector<double> hanzi_cdf_;
};

Options parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", arg.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--items")
            options.items = std::stol(value());
        else if (arg == "--batch")
            options.batch = std::stoi(value());
        else if (arg == "--queries")
            options.queries = std::stoi(value());
        else if (arg == "--db")
            options.db = value();
        else if (arg == "--keep")
            options.keep = true;
        else if (arg == "--no-corpus")
            options.corpus = false;
        else if (arg == "--sql")
            options.pragmas = value();
        else if (arg == "--search-only")
            options.search_only = true;
        else if (arg == "--similarity-in-writer")
            options.similarity_in_writer = true;
        else if (arg == "--no-floor")
            options.floor = false;
        else {
            std::fprintf(stderr,
                         "usage: store_bench [--items N] [--batch B] [--queries Q] [--db PATH] "
                         "[--keep] [--no-corpus] [--sql SQL] [--search-only] "
                         "[--similarity-in-writer] [--no-floor]\n");
            std::exit(2);
        }
    }
    return options;
}

// A recent item that later items may copy (a wire story other outlets run).
struct RecentItem {
    std::uint64_t fingerprint = 0;
    std::string title;
    std::string summary;
    std::string language;
};

// One synthetic item. Sized like the items of ../shared/corpus/realworld (text per item: mean
// about 1.2 KB, median about 0.5 KB): every item has a title and a summary, not quite half of
// them a full body as well; one in four is Chinese; one in ten is a copy of a recent item (its
// title with an outlet's suffix, its summary, a fingerprint up to 14 bits away), which the
// store groups into the same story.
ItemInput make_item(TextGenerator& text, long id, std::vector<RecentItem>& recent) {
    std::uniform_real_distribution<double> unit(0, 1);
    ItemInput item;
    item.key = "item-" + std::to_string(id);
    item.canonical_url = "https://news.example.com/" + std::to_string(id);
    item.link = item.canonical_url;
    const bool with_body = unit(text.random()) < 0.45;
    if (!recent.empty() && unit(text.random()) < 0.1) {
        const RecentItem& base = recent[text.random()() % recent.size()];
        item.title = base.title + " - Wire";
        item.summary = base.summary;
        item.language = base.language;
        item.fingerprint = base.fingerprint;
        for (int bit = static_cast<int>(text.random()() % 15); bit > 0; --bit)
            *item.fingerprint ^= 1ull << (text.random()() % 64);
        return item;
    }
    if (unit(text.random()) < 0.25) {
        item.title = text.chinese(16);
        item.summary = text.chinese(110);
        if (with_body)
            item.content = text.chinese(600);
        item.language = "zh";
    } else {
        item.title = text.english(10);
        item.summary = text.english(50);
        if (with_body)
            item.content = text.english(260);
        item.language = "en";
    }
    item.fingerprint = text.random()();
    recent.push_back({*item.fingerprint, item.title, item.summary, item.language});
    if (recent.size() > 2000)
        recent.erase(recent.begin(), recent.begin() + 1000);
    return item;
}

// The floor: the same items into a bare table with an FTS5 index and nothing else (no dedup,
// provenance, stories or similarity), in transactions of the same size.
struct Rate {
    double wall = 0;  // items per second of wall time
    double cpu = 0;   // items per CPU second
};
Rate bare_fts_rate(const std::string& path, const std::string& tokenizer, long count,
                   int batch_size) {
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(path + suffix);
    auto db = open_database(path, std::chrono::seconds(5));
    db->exec(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT, summary TEXT, content TEXT);"
        "CREATE VIRTUAL TABLE items_fts USING fts5(title, summary, content, content='items', "
        "content_rowid='id', tokenize='" +
        tokenizer + "')");
    TextGenerator text(42);
    std::vector<RecentItem> recent;
    std::vector<ItemInput> items;
    double seconds = 0;
    double cpu = 0;
    for (long done = 0; done < count;) {
        items.clear();
        for (long i = 0; i < batch_size && done + i < count; ++i)
            items.push_back(make_item(text, done + i, recent));
        const auto start = Stopwatch::now();
        const double cpu_start = thread_cpu_seconds();
        Transaction transaction(*db);
        for (const ItemInput& item : items) {
            ++done;
            auto insert = db->cached(
                "INSERT INTO items (id, title, summary, content) "
                "VALUES (?1, ?2, ?3, ?4)");
            insert->bind(1, static_cast<std::int64_t>(done))
                .bind(2, item.title)
                .bind(3, item.summary)
                .bind(4, item.content);
            insert->run();
            auto index = db->cached(
                "INSERT INTO items_fts (rowid, title, summary, content) "
                "VALUES (?1, ?2, ?3, ?4)");
            index->bind(1, static_cast<std::int64_t>(done))
                .bind(2, item.title)
                .bind(3, item.summary)
                .bind(4, item.content);
            index->run();
        }
        transaction.commit();
        seconds += seconds_since(start);
        cpu += thread_cpu_seconds() - cpu_start;
    }
    db.reset();
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(path + suffix);
    return Rate{static_cast<double>(count) / seconds, static_cast<double>(count) / cpu};
}

struct QueryCase {
    std::string label;
    SearchQuery query;
};

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse_options(argc, argv);
    const std::string path =
        options.db.empty()
            ? (std::filesystem::temp_directory_path() / "chuhai-store-bench.db").string()
            : options.db;
    if (!options.search_only) {
        for (const char* suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(path + suffix);
    }

    try {
        ManualClock clock(*parse_rfc3339("2025-01-01T00:00:00Z"));
        StoreOptions store_options;
        store_options.clock = &clock;
        auto store = open_sqlite_store(path, store_options);
        if (!options.pragmas.empty())
            store->database().exec(options.pragmas);
        TextGenerator text(42);
        long inserted = 0;
        if (options.search_only) {
            inserted = store->database().query_int64("SELECT count(*) FROM items");
            clock.set(UtcTime{std::chrono::seconds{
                store->database().query_int64("SELECT max(first_seen) FROM items")}});
        } else {
            // The shipped corpus, so that every item is scored against it as in production.
            const auto corpus_folder =
                std::filesystem::path(CHUHAI_SOURCE_DIR) / "store" / "corpus";
            if (options.corpus) {
                store->import_corpus("file://" + corpus_folder.string(),
                                     read_corpus_folder(corpus_folder));
            }

            std::vector<SourceId> sources;
            for (int i = 0; i < 50; ++i) {
                SourceSpec spec;
                spec.url = "https://feed" + std::to_string(i) + ".example.com/rss";
                spec.name = "Source " + std::to_string(i);
                sources.push_back(store->upsert_source(spec));
            }

            std::vector<RecentItem> recent;
            std::vector<double> batch_rates;
            std::vector<ItemInput> batch;
            const auto insert_start = Stopwatch::now();
            const double insert_cpu_start = cpu_seconds();
            double generate_seconds = 0;
            double similarity_cpu = 0;
            long joined = 0;
            double store_cpu = 0;
            double retention_seconds = 0;
            const auto corpus_model = store->corpus_model();
            int retention_runs = 0;
            UtcTime last_retention = clock.now();
            std::size_t text_bytes = 0;
            std::printf("inserting %ld items in batches of %d into %s\n", options.items,
                        options.batch, path.c_str());
            while (inserted < options.items) {
                const auto generate_start = Stopwatch::now();
                batch.clear();
                const long n = std::min<long>(options.batch, options.items - inserted);
                for (long i = 0; i < n; ++i) {
                    batch.push_back(make_item(text, inserted + i, recent));
                    text_bytes += batch.back().title.size() + batch.back().summary.size() +
                                  batch.back().content.size();
                }
                generate_seconds += seconds_since(generate_start);
                if (!options.similarity_in_writer && !corpus_model->empty()) {
                    // What prepare_fetch() does on a worker: title and lead.
                    const double similarity_start = thread_cpu_seconds();
                    for (ItemInput& item : batch) {
                        item.corpus = corpus_model->nearest(
                            item.title + "\n" +
                            (item.summary.empty() ? item.content : item.summary));
                        item.corpus_computed = true;
                    }
                    similarity_cpu += thread_cpu_seconds() - similarity_start;
                }
                FetchRecord fetch;
                fetch.source =
                    sources[static_cast<std::size_t>(inserted / options.batch) % sources.size()];
                fetch.started = clock.now();
                fetch.requested_url = "https://feed.example.com/rss";
                fetch.http_status = 200;
                const auto start = Stopwatch::now();
                const double cpu_start = thread_cpu_seconds();
                const auto result = store->ingest(fetch, batch);
                store_cpu += thread_cpu_seconds() - cpu_start;
                const double elapsed = seconds_since(start);
                for (const auto& item : result.items)
                    joined += item.joined_story ? 1 : 0;
                if (result.added != n) {
                    std::fprintf(stderr, "expected %ld new items, got %d\n", n, result.added);
                    return 1;
                }
                batch_rates.push_back(static_cast<double>(n) / elapsed);
                inserted += n;
                // About 20,000 new items a day (a thousand busy sources): a batch of 500 is 36
                // minutes of news. Once a day the daemon's retention job prunes the near-duplicate
                // index to the story window (3 days); it is timed apart from the inserts.
                clock.advance(std::chrono::minutes(36) * options.batch / 500);
                if (clock.now() - last_retention >= std::chrono::days(1)) {
                    const auto retention_start = Stopwatch::now();
                    store->apply_retention({.drop_unmatched_text_after = std::chrono::days(3650)});
                    retention_seconds += seconds_since(retention_start);
                    ++retention_runs;
                    last_retention = clock.now();
                }
                if (inserted % 100000 == 0) {
                    std::printf("  %7ld items, %.1f s, last batch %.0f items/s\n", inserted,
                                seconds_since(insert_start), batch_rates.back());
                    std::fflush(stdout);
                }
            }
            const double insert_cpu = cpu_seconds() - insert_cpu_start;  // generation included
            const double insert_seconds =
                seconds_since(insert_start) - generate_seconds - retention_seconds;
            const std::size_t tenth = std::max<std::size_t>(1, batch_rates.size() / 10);
            const std::vector<double> first_tenth(batch_rates.begin(), batch_rates.begin() + tenth);
            const std::vector<double> last_tenth(batch_rates.end() - tenth, batch_rates.end());

            // Steady state: a feed mostly returns items already stored. The last batch again, 20
            // times: all duplicates.
            double duplicate_seconds = 0;
            for (int round = 0; round < 20; ++round) {
                FetchRecord fetch;
                fetch.source = sources.front();
                fetch.started = clock.now();
                fetch.requested_url = "https://feed.example.com/rss";
                const auto start = Stopwatch::now();
                const auto result = store->ingest(fetch, batch);
                duplicate_seconds += seconds_since(start);
                if (result.duplicates != static_cast<int>(batch.size())) {
                    std::fprintf(stderr, "expected only duplicates\n");
                    return 1;
                }
            }
            const double duplicate_rate =
                20.0 * static_cast<double>(batch.size()) / duplicate_seconds;

            // Matches for 2% of the items, for the topic filter.
            const auto match_start = Stopwatch::now();
            const long matched = options.items / 50;
            for (long i = 0; i < matched; ++i) {
                const ItemId item = 5 + i * 50;  // ids after the 4 corpus documents
                store->record_matches(
                    item, std::vector<MatchInput>{
                              {"alibaba", "v1", 0.8, i % 2 == 0 ? "cloud" : "chips", "{}"}});
            }
            const double match_seconds = seconds_since(match_start);

            std::printf("\n== insert (FTS on, %d items per transaction)\n", options.batch);
            std::printf("items:                 %ld (text: mean %.0f bytes per item)\n", inserted,
                        static_cast<double>(text_bytes) / static_cast<double>(inserted));
            std::printf("wall time:             %.1f s (not counting %.1f s generating text)\n",
                        insert_seconds, generate_seconds);
            std::printf("CPU time:              %.1f s (generation and retention included)\n",
                        insert_cpu);
            std::printf("daily retention:       %d runs, %.1f s in all\n", retention_runs,
                        retention_seconds);
            std::printf("overall:               %.0f items/s\n",
                        static_cast<double>(inserted) / insert_seconds);
            std::printf("joined a story:        %ld items (%.1f%%; one in ten is a copy)\n", joined,
                        100.0 * static_cast<double>(joined) / static_cast<double>(inserted));
            std::printf("store CPU time:        %.1f s: %.0f items per CPU second\n", store_cpu,
                        static_cast<double>(inserted) / store_cpu);
            if (similarity_cpu > 0) {
                std::printf("similarity (workers):  %.1f CPU s: %.0f items per CPU second\n",
                            similarity_cpu, static_cast<double>(inserted) / similarity_cpu);
            }
            std::printf("batch median:          %.0f items/s\n", percentile(batch_rates, 0.5));
            std::printf("batch median, first 10%%: %.0f items/s; last 10%%: %.0f items/s\n",
                        percentile(first_tenth, 0.5), percentile(last_tenth, 0.5));
            std::printf("matches recorded:      %ld in %.1f s (one transaction each)\n", matched,
                        match_seconds);
            std::printf("duplicates (steady state, a known batch again): %.0f items/s\n",
                        duplicate_rate);

            // The floor, on the first items of the same sequence.
            if (options.floor) {
                const long bare_count = std::min<long>(options.items, 200000);
                const Rate bare_unicode61 =
                    bare_fts_rate(path + ".bare", "unicode61", bare_count, options.batch);
                const Rate bare_chuhai =
                    bare_fts_rate(path + ".bare", "chuhai", bare_count, options.batch);
                const std::size_t bare_batches =
                    std::max<std::size_t>(1, static_cast<std::size_t>(bare_count / options.batch));
                const double store_rate_same_items =
                    static_cast<double>(bare_batches) /
                    std::accumulate(batch_rates.begin(),
                                    batch_rates.begin() + static_cast<long>(std::min(
                                                              bare_batches, batch_rates.size())),
                                    0.0, [](double sum, double rate) { return sum + 1.0 / rate; });
                std::printf(
                    "\n== floor: the first %ld items into a bare table + FTS5, nothing else\n",
                    bare_count);
                std::printf("bare FTS5, unicode61:  %.0f items/s, %.0f items per CPU second\n",
                            bare_unicode61.wall, bare_unicode61.cpu);
                std::printf("bare FTS5, chuhai:     %.0f items/s, %.0f items per CPU second\n",
                            bare_chuhai.wall, bare_chuhai.cpu);
                std::printf("store on those items:  %.0f items/s (%.0f%% of bare chuhai FTS5)\n",
                            store_rate_same_items,
                            100.0 * store_rate_same_items / bare_chuhai.wall);
            }
        }

        // Search: one query per kind, each run several times after a warm-up.
        const UtcTime last_week = clock.now() - std::chrono::days(7);
        std::vector<QueryCase> cases = {
            {"frequent word", {.text = "cloud"}},
            {"two words", {.text = "alibaba cloud"}},
            {"three words", {.text = "qwen data centre"}},
            {"phrase", {.text = "\"data centre\""}},
            {"rare word", {.text = text.word_at(15000)}},
            {"common word", {.text = text.word_at(3)}},
            {"chinese 2 chars", {.text = text.hanzi_at(20) + text.hanzi_at(30)}},
            {"chinese 4 chars",
             {.text = text.hanzi_at(5) + text.hanzi_at(9) + text.hanzi_at(40) + text.hanzi_at(2)}},
            {"chinese 2 words",
             {.text = text.hanzi_at(3) + text.hanzi_at(8) + " " + text.hanzi_at(12) +
                      text.hanzi_at(1)}},
            {"words + since 7d", {.text = "huawei ascend", .since = last_week}},
            {"word + topic", {.text = "cloud", .topic = "cloud"}},
            {"word + source", {.text = "alibaba", .source = "Source 7"}},
        };
        std::printf("\n== search over %ld items (%d runs each, limit 20)\n", inserted,
                    options.queries);
        std::printf("%-20s %8s %10s %10s %10s\n", "query", "hits", "median ms", "p95 ms", "max ms");
        std::vector<double> all_latencies;
        for (auto& query_case : cases) {
            store->search(query_case.query);  // warm-up: pages into the cache
            std::vector<double> latencies;
            std::size_t hits = 0;
            for (int run = 0; run < options.queries; ++run) {
                const auto start = Stopwatch::now();
                hits = store->search(query_case.query).size();
                latencies.push_back(seconds_since(start) * 1000);
            }
            all_latencies.insert(all_latencies.end(), latencies.begin(), latencies.end());
            std::printf("%-20s %8zu %10.2f %10.2f %10.2f\n", query_case.label.c_str(), hits,
                        percentile(latencies, 0.5), percentile(latencies, 0.95),
                        percentile(latencies, 1.0));
        }
        std::printf("%-20s %8s %10.2f %10.2f %10.2f\n", "all queries", "",
                    percentile(all_latencies, 0.5), percentile(all_latencies, 0.95),
                    percentile(all_latencies, 1.0));

        std::error_code ec;
        std::printf("\ndatabase size:         %.0f MiB (+ WAL %.0f MiB)\n",
                    static_cast<double>(std::filesystem::file_size(path, ec)) / (1 << 20),
                    static_cast<double>(std::filesystem::file_size(path + "-wal", ec)) / (1 << 20));
        std::printf("peak RSS:              %ld MiB\n", peak_rss_mib());
    } catch (const Error& e) {
        std::fprintf(stderr, "store_bench: %s\n", e.what());
        return 1;
    }
    if (!options.keep) {
        for (const char* suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(path + suffix);
    }
    return 0;
}
