// The store's subcommands: corpus import/list, search, items, backup.
//
//   chuhai corpus import DIR         import .txt/.md/.html documents as the seed corpus
//   chuhai corpus list               list the corpus
//   chuhai search QUERY [--since 7d] [--topic T] [--source S] [--limit N] [--json]
//   chuhai items [--since 7d] [--matched] [--source S] [--limit N] [--json]
//   chuhai backup FILE               a consistent copy, safe while the daemon runs
//   chuhai db check [--quick]        the database's integrity (exit status 1 when damaged)
//
// Each reads the database named by the configuration (--config), or --db FILE.

#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/app_config.h"
#include "app/cli_format.h"
#include "app/commands.h"
#include "app/store_options.h"
#include "common/error.h"
#include "common/time.h"
#include "digest/render.h"
#include "store/corpus_files.h"
#include "store/store.h"

namespace chuhai::app {

namespace {

using nlohmann::json;

}  // namespace

void add_db_option(CLI::App& command, StoreCommandOptions& options, CommonOptions& common) {
    add_config_option(command, common);
    command.add_option("--db", options.db_path, "the database file (default: the configuration's)")
        ->type_name("FILE");
}

UtcTime parse_since(const std::string& text, UtcTime now) {
    if (const auto duration = parse_duration(text))
        return now - *duration;
    if (const auto time = parse_rfc3339(text))
        return *time;
    throw Error(ErrorKind::usage,
                "--since: expected a duration such as 7d or 36h, or a time such as "
                "2025-06-24T00:00:00Z, not '" +
                    text + "'");
}

std::unique_ptr<store::Store> open_store_from_options(const StoreCommandOptions& options,
                                                      const CommonOptions& common,
                                                      MissingDatabase missing) {
    const bool create = missing == MissingDatabase::create;
    if (!options.db_path.empty()) {
        apply_log_level(common);
        store::StoreOptions store_options;
        store_options.create_if_missing = create;
        return store::open_store(options.db_path, store_options);
    }
    return open_configured_store(load_app_config(common), create);
}

namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

void corpus_import(store::Store& store, const std::string& folder, bool as_json) {
    std::error_code ec;
    const auto absolute = std::filesystem::canonical(folder, ec);
    if (ec)
        throw Error(ErrorKind::io, "cannot read the folder: " + ec.message(), folder);
    const auto documents = store::read_corpus_folder(absolute);
    if (documents.empty()) {
        throw Error(ErrorKind::usage, "no .txt, .md or .html documents in the folder",
                    absolute.string());
    }
    const auto result = store.import_corpus("file://" + absolute.string(), documents);
    if (as_json) {
        std::cout << json{{"source", result.source},
                          {"documents", documents.size()},
                          {"added", result.added},
                          {"unchanged", result.unchanged},
                          {"revised", result.revised}}
                         .dump(2)
                  << "\n";
        return;
    }
    std::cout << "imported " << documents.size() << " documents from " << absolute.string() << ": "
              << result.added << " added, " << result.revised << " revised, " << result.unchanged
              << " unchanged\n";
}

void corpus_list(store::Store& store, bool as_json) {
    const auto entries = store.list_corpus();
    if (as_json) {
        json list = json::array();
        for (const auto& entry : entries) {
            list.push_back({{"id", entry.item},
                            {"title", entry.title},
                            {"key", entry.key},
                            {"source", entry.source_url},
                            {"imported", format_rfc3339(entry.imported)},
                            {"bytes", entry.bytes},
                            {"content_hash", entry.content_hash}});
        }
        std::cout << list.dump(2) << "\n";
        return;
    }
    if (entries.empty()) {
        std::cout << "the corpus is empty: import documents with 'chuhai corpus import DIR'\n";
        return;
    }
    for (const auto& entry : entries) {
        std::cout << entry.item << "  " << entry.title << "\n    " << entry.key << " in "
                  << entry.source_url << ", " << entry.bytes << " bytes, imported "
                  << format_day_minute(entry.imported) << " UTC\n";
    }
}

struct SearchOptions {
    std::vector<std::string> words;
    std::string since;
    std::string topic;
    std::string source;
    std::size_t limit = 20;
    bool json = false;
};

void search(store::Store& store, const SearchOptions& options, UtcTime now) {
    store::SearchQuery query;
    for (const auto& word : options.words) {
        if (!query.text.empty())
            query.text += ' ';
        query.text += word;
    }
    if (!options.since.empty())
        query.since = parse_since(options.since, now);
    query.topic = options.topic;
    query.source = options.source;
    query.limit = options.limit;
    // In JSON the matches are <mark>ed in HTML-escaped text, so that a page can show the snippet
    // as HTML without the item's own text turning into markup: the store marks them with two
    // control characters, which survive the escaping.
    constexpr std::string_view kMarkOpen = "\x01";
    constexpr std::string_view kMarkClose = "\x02";
    if (options.json) {
        query.highlight_open = kMarkOpen;
        query.highlight_close = kMarkClose;
    } else if (::isatty(STDOUT_FILENO) != 0) {
        query.highlight_open = "\x1b[1m";
        query.highlight_close = "\x1b[0m";
    }
    const auto hits = store.search(query);
    if (options.json) {
        json list = json::array();
        for (const auto& hit : hits) {
            const auto marked_html = [&](const std::string& text) {
                std::string html = digest::html_escape(text);
                replace_all(html, kMarkOpen, "<mark>");
                replace_all(html, kMarkClose, "</mark>");
                return html;
            };
            list.push_back({{"id", hit.item},
                            {"title", marked_html(hit.title)},
                            {"snippet", marked_html(hit.snippet)},
                            {"link", hit.link},
                            {"source", hit.source_name},
                            {"first_seen", format_rfc3339(hit.first_seen)},
                            {"published", time_json(hit.published)},
                            {"rank", hit.rank}});
        }
        std::cout << list.dump(2) << "\n";
        return;
    }
    if (hits.empty()) {
        std::cout << "no results\n";
        return;
    }
    int position = 1;
    for (const auto& hit : hits) {
        std::cout << position++ << ". " << hit.title << "\n   " << hit.source_name << " · "
                  << format_day_minute(hit.published.value_or(hit.first_seen)) << " UTC";
        if (!hit.link.empty())
            std::cout << " · " << hit.link;
        std::cout << "\n   " << hit.snippet << "\n";
    }
}

struct ItemsOptions {
    std::string since;
    bool matched = false;
    std::string source;
    std::size_t limit = 50;
    bool json = false;
};

json fetch_json(const std::optional<store::FetchInfo>& fetch) {
    if (!fetch)
        return nullptr;
    return {{"id", fetch->id},
            {"started", format_rfc3339(fetch->started)},
            {"requested_url", fetch->requested_url},
            {"final_url", fetch->final_url},
            {"http_status", fetch->http_status ? json(*fetch->http_status) : json(nullptr)},
            {"etag", fetch->etag.empty() ? json(nullptr) : json(fetch->etag)},
            {"last_modified",
             fetch->last_modified.empty() ? json(nullptr) : json(fetch->last_modified)}};
}

json sighting_json(const store::Sighting& sighting) {
    return {{"source", sighting.source_name},
            {"source_url", sighting.source_url},
            {"key", sighting.item_key},
            {"first_seen", format_rfc3339(sighting.first_seen)},
            {"last_seen", format_rfc3339(sighting.last_seen)},
            {"fetch", fetch_json(sighting.fetch)}};
}

// Where an item came from: the source that carried it first, in which fetch (final URL after
// redirects, HTTP validators), and every other source that carried it.
json provenance_json(store::Store& store, store::ItemId id) {
    const auto provenance = store.provenance(id);
    if (!provenance)
        return nullptr;
    json others = json::array();
    for (const auto& other : provenance->others)
        others.push_back(sighting_json(other));
    return {{"first", sighting_json(provenance->first)}, {"others", std::move(others)}};
}

void items(store::Store& store, const ItemsOptions& options, UtcTime now) {
    store::ItemQuery query;
    if (!options.since.empty())
        query.since = parse_since(options.since, now);
    query.matched_only = options.matched;
    query.source = options.source;
    query.limit = options.limit;
    const auto found = store.list_items(query);
    if (options.json) {
        json list = json::array();
        for (const auto& item : found) {
            json corpus = nullptr;
            if (item.corpus)
                corpus = {{"document", item.corpus->document}, {"score", item.corpus->score}};
            list.push_back({{"id", item.id},
                            {"title", item.title},
                            {"link", item.link},
                            {"canonical_url", item.canonical_url},
                            {"source", item.source_name},
                            {"author", item.author},
                            {"first_seen", format_rfc3339(item.first_seen)},
                            {"published", time_json(item.published)},
                            {"topics", item.topics},
                            {"story", item.story},
                            {"revisions", item.revision_count},
                            {"corpus", corpus},
                            {"text_dropped", item.text_dropped},
                            {"provenance", provenance_json(store, item.id)},
                            {"sanitized_html",
                             item.sanitized_html ? json(*item.sanitized_html) : json(nullptr)}});
        }
        std::cout << list.dump(2) << "\n";
        return;
    }
    if (found.empty()) {
        std::cout << "no items\n";
        return;
    }
    for (const auto& item : found) {
        std::cout << format_day_minute(item.first_seen) << "  " << item.title;
        if (!item.topics.empty()) {
            std::cout << "  [";
            for (std::size_t i = 0; i < item.topics.size(); ++i)
                std::cout << (i > 0 ? ", " : "") << item.topics[i];
            std::cout << "]";
        }
        std::cout << "\n                  " << item.source_name;
        if (!item.link.empty())
            std::cout << " · " << item.link;
        std::cout << "\n";
    }
}

}  // namespace

void add_store_commands(CommandLine& cli) {
    CommonOptions& common = cli.common;
    int& exit_status = cli.exit_status;

    // chuhai corpus import DIR | corpus list
    auto* corpus = cli.app.add_subcommand("corpus", "the seed corpus the news is measured against");
    corpus->require_subcommand(1);
    {
        auto options = std::make_shared<StoreCommandOptions>();
        auto folder = std::make_shared<std::string>();
        auto as_json = std::make_shared<bool>(false);
        auto* import_command = corpus->add_subcommand(
            "import", "import .txt, .md and .html documents (first line: title); idempotent");
        import_command->add_option("DIR", *folder, "folder of documents")->required();
        add_db_option(*import_command, *options, common);
        import_command->add_flag("--json", *as_json, "print the result as JSON");
        import_command->callback([options, folder, as_json, &common, &exit_status] {
            auto store = open_store_from_options(*options, common, MissingDatabase::create);
            corpus_import(*store, *folder, *as_json);
            exit_status = kExitOk;
        });
    }
    {
        auto options = std::make_shared<StoreCommandOptions>();
        auto as_json = std::make_shared<bool>(false);
        auto* list = corpus->add_subcommand("list", "list the corpus documents");
        add_db_option(*list, *options, common);
        list->add_flag("--json", *as_json, "print JSON");
        list->callback([options, as_json, &common, &exit_status] {
            auto store = open_store_from_options(*options, common, MissingDatabase::refuse);
            corpus_list(*store, *as_json);
            exit_status = kExitOk;
        });
    }

    // chuhai search QUERY...
    {
        auto options = std::make_shared<StoreCommandOptions>();
        auto search_options = std::make_shared<SearchOptions>();
        auto* command = cli.app.add_subcommand(
            "search", "full-text search of stored items, English and Chinese, ranked by bm25");
        command->add_option("QUERY", search_options->words, "words and \"quoted phrases\"")
            ->required();
        command->add_option("--since", search_options->since, "e.g. 7d, 36h or an RFC 3339 time");
        command->add_option("--topic", search_options->topic, "only items matched to this topic");
        command->add_option("--source", search_options->source, "only items this source carried");
        command->add_option("--limit", search_options->limit, "at most this many results")
            ->check(CLI::Range(1, 10000));
        command->add_flag("--json", search_options->json, "print JSON (highlights as <mark>)");
        add_db_option(*command, *options, common);
        command->callback([options, search_options, &common, &exit_status] {
            auto store = open_store_from_options(*options, common, MissingDatabase::refuse);
            search(*store, *search_options, SystemClock().now());
            exit_status = kExitOk;
        });
    }

    // chuhai items
    {
        auto options = std::make_shared<StoreCommandOptions>();
        auto items_options = std::make_shared<ItemsOptions>();
        auto* command = cli.app.add_subcommand("items", "list stored items, newest first");
        command->add_option("--since", items_options->since, "e.g. 7d, 36h or an RFC 3339 time");
        command->add_flag("--matched", items_options->matched, "only items that matched a rule");
        command->add_option("--source", items_options->source, "only items this source carried");
        command->add_option("--limit", items_options->limit, "at most this many items")
            ->check(CLI::Range(1, 100000));
        command->add_flag("--json", items_options->json, "print JSON");
        add_db_option(*command, *options, common);
        command->callback([options, items_options, &common, &exit_status] {
            auto store = open_store_from_options(*options, common, MissingDatabase::refuse);
            items(*store, *items_options, SystemClock().now());
            exit_status = kExitOk;
        });
    }

    // chuhai db check [--quick]
    {
        auto* db = cli.app.add_subcommand("db", "the database itself");
        db->require_subcommand(1);
        auto options = std::make_shared<StoreCommandOptions>();
        auto quick = std::make_shared<bool>(false);
        auto as_json = std::make_shared<bool>(false);
        auto* check = db->add_subcommand(
            "check", "check the database's integrity: every page, index and the search index");
        check->add_flag("--quick", *quick,
                        "PRAGMA quick_check only (what the daemon runs at start): every page read, "
                        "indexes not compared with their tables");
        check->add_flag("--json", *as_json, "print JSON");
        add_db_option(*check, *options, common);
        check->callback([options, quick, as_json, &common, &exit_status] {
            auto store = open_store_from_options(*options, common, MissingDatabase::refuse);
            const auto problems = store->check_integrity(
                *quick ? store::Store::IntegrityCheck::quick : store::Store::IntegrityCheck::full);
            if (*as_json) {
                std::cout << json{{"database", store->describe()},
                                  {"check", *quick ? "quick" : "full"},
                                  {"ok", problems.empty()},
                                  {"problems", problems}}
                                 .dump(2)
                          << "\n";
            } else if (problems.empty()) {
                std::cout << store->describe() << ": ok (" << (*quick ? "quick" : "full")
                          << " check)\n";
            } else {
                std::cout << store->describe() << ": " << problems.size() << " problem"
                          << (problems.size() == 1 ? "" : "s") << "\n";
                for (const auto& problem : problems)
                    std::cout << "  " << problem << "\n";
            }
            exit_status = problems.empty() ? kExitOk : kExitFailure;
        });
    }

    // chuhai backup FILE
    {
        auto options = std::make_shared<StoreCommandOptions>();
        auto destination = std::make_shared<std::string>();
        auto* command = cli.app.add_subcommand(
            "backup", "write a consistent copy of the database (safe while the daemon runs)");
        command->add_option("FILE", *destination, "where to write the copy")->required();
        add_db_option(*command, *options, common);
        command->callback([options, destination, &common, &exit_status] {
            auto store = open_store_from_options(*options, common, MissingDatabase::refuse);
            store->backup_to(*destination);
            std::error_code ec;
            const auto size = std::filesystem::file_size(*destination, ec);
            std::cout << "backup of " << store->describe() << " written to " << *destination;
            if (!ec)
                std::cout << " (" << size << " bytes)";
            std::cout << "\n";
            exit_status = kExitOk;
        });
    }
}

}  // namespace chuhai::app
