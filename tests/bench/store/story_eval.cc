// How well near-duplicate stories group (store/story_window.h): the real parse stage and the
// real store, on copies that must group and on texts that must not.
//
//   story_eval [--shared DIR] [--distance N] [--overlap X] [--verbose]
//
// Sets:
//   copies      tests/fixtures/store/stories/*.xml: one wire story as three outlets ran it, a
//               Chinese story and its repost, and four other stories about the same company,
//               country or rival on the same day.
//   realworld   every entry of DIR/corpus/realworld (61 feeds, ~2,400 entries), one source each.
//   seeds       each paragraph of DIR/seeds/*.txt as an item (first sentence as title): ~200
//               texts about one subject (Chinese AI companies abroad), all different.
//   labelled    tests/fixtures/match/labelled/*.txt (100 news items, 40 of them about the same
//               few companies).
//
// For each set it prints how many pairs of items have fingerprints within the distance (the
// candidates), the distribution of their shingle overlap, and what the store did: stories with
// more than one member. Every item of a set is ingested at the same moment, so the story window
// never separates them. docs/storage.md quotes the figures.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "feed/feed_parser.h"
#include "feed/identity.h"
#include "store/sqlite_store.h"
#include "store/story_window.h"

namespace {

using namespace chuhai;
namespace fs = std::filesystem;

struct Text {
    std::string source;
    std::string title;
    std::string summary;
    std::string content;
    std::string link;
    std::uint64_t fingerprint = 0;
};

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

Text from_entry(const std::string& source, const feed::FeedEntry& entry) {
    return Text{source,        entry.title, entry.summary,
                entry.content, entry.link,  feed::entry_simhash(entry)};
}

std::vector<Text> feed_texts(const std::vector<fs::path>& files) {
    std::vector<Text> texts;
    for (const fs::path& file : files) {
        try {
            feed::ParseOptions options;
            options.base_url = "https://" + file.stem().string() + ".example/";
            const auto document = feed::parse_feed(read_file(file), options);
            for (const auto& entry : document.entries)
                texts.push_back(from_entry(file.filename().string(), entry));
        } catch (const Error& e) {
            std::fprintf(stderr, "skipped %s: %s\n", file.c_str(), e.what());
        }
    }
    return texts;
}

std::vector<fs::path> files_in(const fs::path& folder, const std::string& extension = "") {
    std::vector<fs::path> files;
    if (!fs::is_directory(folder))
        return files;
    for (const auto& entry : fs::directory_iterator(folder)) {
        if (entry.is_regular_file() && entry.path().filename() != "MANIFEST.tsv" &&
            entry.path().filename() != "README.md" &&
            (extension.empty() || entry.path().extension() == extension)) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

// A text given as a title and a body, fingerprinted as the parse stage does it.
Text plain_text(const std::string& source, const std::string& title, const std::string& body,
                const std::string& link) {
    feed::FeedEntry entry;
    entry.title = title;
    entry.summary = body;
    Text text = from_entry(source, entry);
    text.link = link;
    text.fingerprint = feed::entry_simhash(entry);
    return text;
}

std::vector<Text> seed_paragraphs(const fs::path& folder) {
    std::vector<Text> texts;
    for (const fs::path& file : files_in(folder, ".txt")) {
        std::istringstream in(read_file(file));
        std::string line;
        int n = 0;
        while (std::getline(in, line)) {
            if (line.size() < 200)
                continue;
            // The first sentence is the title, the rest the body.
            std::size_t end = line.find(". ");
            if (end == std::string::npos || end > 200)
                end = std::min<std::size_t>(line.size(), 120);
            texts.push_back(plain_text(
                file.filename().string(), line.substr(0, end),
                line.substr(std::min(line.size(), end + 2)),
                "https://seeds.example/" + file.stem().string() + "/" + std::to_string(n++)));
        }
    }
    return texts;
}

std::vector<Text> labelled_documents(const fs::path& folder) {
    std::vector<Text> texts;
    for (const fs::path& file : files_in(folder, ".txt")) {
        const std::string body = read_file(file);
        const std::size_t end = body.find('\n');
        texts.push_back(plain_text("labelled", body.substr(0, end),
                                   end == std::string::npos ? "" : body.substr(end + 1),
                                   "https://labelled.example/" + file.stem().string()));
    }
    return texts;
}

struct Options {
    fs::path shared = CHUHAI_SHARED_DIR;
    int distance = store::StoreOptions{}.near_duplicate_distance;
    double overlap = store::StoreOptions{}.near_duplicate_overlap;
    bool verbose = false;
};

void evaluate(const std::string& name, const std::vector<Text>& texts, const Options& options) {
    if (texts.empty()) {
        std::printf("== %s: no texts (missing folder?)\n\n", name.c_str());
        return;
    }
    // Candidate pairs and their overlap.
    std::vector<store::StorySketch> sketches;
    for (const Text& text : texts)
        sketches.push_back(store::story_sketch(text.title, text.summary, text.content));
    std::size_t pairs = 0;
    std::size_t candidates = 0;
    std::map<int, std::size_t> overlap_tenths;
    double max_overlap = 0;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        for (std::size_t j = i + 1; j < texts.size(); ++j) {
            if (texts[i].link == texts[j].link)
                continue;  // the same item twice (one feed in two formats)
            ++pairs;
            if (feed::hamming_distance(texts[i].fingerprint, texts[j].fingerprint) >
                options.distance)
                continue;
            ++candidates;
            const double overlap = store::story_overlap(sketches[i], sketches[j]);
            ++overlap_tenths[std::min(9, static_cast<int>(overlap * 10))];
            max_overlap = std::max(max_overlap, overlap);
            if (options.verbose) {
                std::printf(
                    "  candidate: overlap %.2f (title %.2f, lead %.2f), %d bits\n    %s\n    %s\n",
                    overlap, store::sketch_overlap(sketches[i].title, sketches[j].title),
                    store::sketch_overlap(sketches[i].shingles, sketches[j].shingles),
                    feed::hamming_distance(texts[i].fingerprint, texts[j].fingerprint),
                    texts[i].title.c_str(), texts[j].title.c_str());
            }
        }
    }
    std::printf("== %s: %zu texts, %zu pairs; %zu within %d bits (%.3f%%)\n", name.c_str(),
                texts.size(), pairs, candidates, options.distance,
                pairs ? 100.0 * static_cast<double>(candidates) / static_cast<double>(pairs) : 0);
    std::printf("   overlap of those:");
    for (const auto& [tenth, count] : overlap_tenths)
        std::printf(" %.1f-%.1f: %zu;", tenth / 10.0, (tenth + 1) / 10.0, count);
    std::printf(" max %.2f\n", max_overlap);

    // What the store makes of them.
    const fs::path path = fs::temp_directory_path() / ("chuhai-story-eval-" + name + ".db");
    for (const char* suffix : {"", "-wal", "-shm"})
        fs::remove(path.string() + suffix);
    ManualClock clock(*parse_rfc3339("2025-06-24T12:00:00Z"));
    store::StoreOptions store_options;
    store_options.clock = &clock;
    store_options.near_duplicate_distance = options.distance;
    store_options.near_duplicate_overlap = options.overlap;
    auto store = store::open_sqlite_store(path, store_options);
    std::map<std::string, std::vector<store::ItemInput>> by_source;
    for (const Text& text : texts) {
        store::ItemInput item;
        item.key = text.link.empty() ? text.title : text.link;
        item.canonical_url = text.link;
        item.link = text.link;
        item.title = text.title;
        item.summary = text.summary;
        item.content = text.content;
        item.fingerprint = text.fingerprint;
        by_source[text.source].push_back(std::move(item));
    }
    for (const auto& [source, items] : by_source) {
        store::SourceSpec spec;
        spec.url = "https://" + source + ".example/feed";
        spec.name = source;
        store::FetchRecord fetch;
        fetch.source = store->upsert_source(spec);
        fetch.started = clock.now();
        fetch.requested_url = spec.url;
        store->ingest(fetch, items);
    }
    std::vector<store::StoryId> story_ids;
    std::size_t grouped = 0;
    {
        store::Statement rows(store->database(),
                              "SELECT story_id, count(*) FROM items GROUP BY story_id "
                              "HAVING count(*) > 1 ORDER BY story_id");
        while (rows.step()) {
            story_ids.push_back(rows.column_int64(0));
            grouped += static_cast<std::size_t>(rows.column_int64(1));
        }
    }
    const std::size_t stories = story_ids.size();
    for (const store::StoryId id : story_ids) {
        const auto story = store->story(id);
        std::printf("   story %lld (%zu items, first source %s):\n",
                    static_cast<long long>(story->id), story->members.size(),
                    story->first_source_name.c_str());
        for (const store::ItemId member : story->members) {
            const auto item = store->item(member);
            std::printf("     - [%s] %s\n", item->source_name.c_str(), item->title.c_str());
        }
    }
    std::printf("   store: %zu items in %zu stories of more than one item\n\n", grouped, stories);
    store.reset();
    for (const char* suffix : {"", "-wal", "-shm"})
        fs::remove(path.string() + suffix);
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--shared" && i + 1 < argc)
            options.shared = argv[++i];
        else if (arg == "--distance" && i + 1 < argc)
            options.distance = std::stoi(argv[++i]);
        else if (arg == "--overlap" && i + 1 < argc)
            options.overlap = std::stod(argv[++i]);
        else if (arg == "--verbose")
            options.verbose = true;
        else {
            std::fprintf(stderr,
                         "usage: story_eval [--shared DIR] [--distance N] [--overlap X] "
                         "[--verbose]\n");
            return 2;
        }
    }
    try {
        const fs::path fixtures = fs::path(CHUHAI_SOURCE_DIR) / "tests" / "fixtures";
        evaluate("copies", feed_texts(files_in(fixtures / "store" / "stories", ".xml")), options);
        evaluate("realworld", feed_texts(files_in(options.shared / "corpus" / "realworld")),
                 options);
        evaluate("seeds", seed_paragraphs(options.shared / "seeds"), options);
        evaluate("labelled", labelled_documents(fixtures / "match" / "labelled"), options);
    } catch (const Error& e) {
        std::fprintf(stderr, "story_eval: %s\n", e.what());
        return 1;
    }
    return 0;
}
