// chuhai rules check | rules test | rules backfill | explain: the commands analysts use to write,
// debug and re-apply rules.

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <system_error>

#include "app/app_config.h"
#include "app/backfill.h"
#include "app/commands.h"
#include "app/pipeline.h"
#include "app/store_options.h"
#include "common/error.h"
#include "common/file.h"
#include "feed/feed_parser.h"
#include "match/corpus.h"
#include "match/rule_set.h"
#include "store/shipped_corpus.h"

namespace chuhai::app {

namespace {

// Feed files larger than this are refused, as the daemon refuses larger bodies.
constexpr std::size_t kMaxFeedFileBytes = std::size_t{20} << 20;

std::string format_score(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4g", value);
    return buffer;
}

std::string format_similarity(std::optional<double> value) {
    if (!value)
        return "-";
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3f", *value);
    return buffer;
}

std::string join(const std::vector<std::string>& words, std::string_view separator) {
    std::string out;
    for (const std::string& w : words) {
        if (!out.empty())
            out += separator;
        out += w;
    }
    return out;
}

// "1 item", "3 items".
std::string count_of(std::size_t n, const std::string& noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string dump(const nlohmann::json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

int run_check(const std::filesystem::path& dir) {
    const match::LoadResult result = match::RuleSet::try_load(dir);
    std::size_t errors = 0;
    std::size_t warnings = 0;
    for (const match::Diagnostic& d : result.diagnostics) {
        std::cout << d.to_string() << '\n';
        (d.severity == match::Severity::error ? errors : warnings) += 1;
    }
    if (!result.rules) {
        std::cout << errors << (errors == 1 ? " error" : " errors") << ", " << warnings
                  << (warnings == 1 ? " warning" : " warnings") << '\n';
        return kExitUsage;
    }
    const match::RuleSetStats stats = result.rules->stats();
    std::cout << "ok: " << stats.rules << " rules (" << stats.enabled_rules << " enabled), "
              << stats.lists << " lists with " << stats.list_entries << " entries, "
              << stats.literal_patterns << " patterns, " << stats.regexes << " regexes; threshold "
              << format_score(result.rules->threshold()) << "; version " << result.rules->version();
    if (warnings > 0)
        std::cout << "; " << warnings << (warnings == 1 ? " warning" : " warnings");
    std::cout << '\n';
    return kExitOk;
}

// ---- The corpus that documents read from files are measured against -------------------------

// What `rules test` and `explain FILE` measure corpus similarity against: the corpus imported in
// the configured database when --config is given (what the daemon uses), else the reference
// corpus shipped with chuhai.
struct CorpusChoice {
    std::shared_ptr<const store::CorpusModel> model;  // null: no corpus, similarity unknown
    std::string origin;                               // "shipped", "database" or "none"
    std::string description;                          // for people
    std::map<std::int64_t, std::string> titles;       // document id → title
};

CorpusChoice shipped_corpus_choice() {
    CorpusChoice choice;
    const std::vector<store::CorpusDocument> documents = store::shipped_corpus();
    choice.model = std::make_shared<const store::CorpusModel>(store::corpus_model_of(documents));
    choice.origin = "shipped";
    choice.description = "the reference corpus shipped with chuhai (" +
                         std::to_string(documents.size()) +
                         " documents; --config measures against the database's corpus instead)";
    for (std::size_t i = 0; i < documents.size(); ++i)
        choice.titles[static_cast<std::int64_t>(i + 1)] = documents[i].title;
    return choice;
}

CorpusChoice database_corpus_choice(const std::filesystem::path& database) {
    CorpusChoice choice;
    choice.origin = "none";
    std::error_code ec;
    if (!std::filesystem::exists(database, ec)) {
        // A test must not create the daemon's database; the daemon would start with no corpus.
        choice.description = "none: the database " + database.string() +
                             " does not exist yet, so similar_to_corpus never holds";
        return choice;
    }
    const auto store = store::open_store(database);
    const std::vector<store::CorpusEntry> entries = store->list_corpus();
    if (entries.empty()) {
        choice.description = "none: no corpus is imported in " + database.string() +
                             " ('chuhai corpus import DIR'), so similar_to_corpus never holds, "
                             "as in the daemon";
        return choice;
    }
    choice.model = store->corpus_model();
    choice.origin = "database";
    choice.description = "the corpus imported in " + database.string() + " (" +
                         std::to_string(choice.model->size()) + " documents)";
    for (const store::CorpusEntry& entry : entries)
        choice.titles[entry.item] = entry.title;
    return choice;
}

// The database's corpus when the command names a database (--db, or --config), else the shipped
// one.
CorpusChoice choose_corpus(const CLI::App& command, const CommonOptions& common,
                           const StoreCommandOptions& store) {
    if (!store.db_path.empty())
        return database_corpus_choice(store.db_path);
    if (command.count("--config") > 0)
        return database_corpus_choice(load_app_config(common).database);
    return shipped_corpus_choice();
}

// Measures a document as the pipeline measures an item; returns the nearest corpus document.
std::optional<store::CorpusSimilarity> measure(match::Document& document,
                                               const CorpusChoice& corpus) {
    const CorpusMeasure measure = measure_against_corpus(corpus.model.get(), document.title,
                                                         document.summary, document.content);
    document.corpus_similarity = measure.similarity;
    return measure.nearest;
}

nlohmann::json corpus_json(const CorpusChoice& corpus) {
    return {{"origin", corpus.origin},
            {"description", corpus.description},
            {"documents", corpus.model ? corpus.model->size() : 0}};
}

// ---- Documents from files -------------------------------------------------------------------

// The entries of a feed file, each a document as the pipeline builds it for a source named after
// the feed's title (its file name when it has none) with no tags.
std::vector<match::NamedDocument> read_feed_entries(const std::filesystem::path& path) {
    const std::string bytes = read_file(path, kMaxFeedFileBytes);
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
    feed::ParseOptions options;
    options.base_url = "file://" + (ec ? path : absolute).string();
    options.source = path.string();
    options.max_bytes = kMaxFeedFileBytes;
    const feed::FeedDocument feed = feed::parse_feed(bytes, options);
    if (feed.bozo)
        std::cerr << "note: " << path.string() << ": a broken feed, read as far as it goes ("
                  << feed.bozo_reason << ")\n";
    SourceContext source;
    source.name = feed.title.empty() ? path.filename().string() : feed.title;
    std::vector<match::NamedDocument> entries;
    entries.reserve(feed.entries.size());
    for (std::size_t i = 0; i < feed.entries.size(); ++i) {
        entries.push_back(match::NamedDocument{"#" + std::to_string(i + 1),
                                               match_document(feed.entries[i], source, {}), true});
    }
    return entries;
}

// One document named on the command line: a .txt/.md/.html file, or one entry of a feed file as
// FILE#N (FILE alone when the feed has one entry).
match::NamedDocument read_one_document(const std::string& argument) {
    std::filesystem::path path = argument;
    std::size_t entry = 0;
    std::error_code ec;
    if (const auto hash = argument.rfind('#');
        hash != std::string::npos && !std::filesystem::exists(path, ec)) {
        const std::string number = argument.substr(hash + 1);
        if (!number.empty() && number.find_first_not_of("0123456789") == std::string::npos &&
            number.size() < 9) {
            path = argument.substr(0, hash);
            entry = std::stoul(number);
        }
    }
    if (!match::is_feed_file(path)) {
        if (entry != 0) {
            throw Error(ErrorKind::usage,
                        "#N names an entry of a feed file (.xml, .rss, .atom, "
                        ".rdf, .json), not of a document",
                        argument);
        }
        return match::NamedDocument{argument, match::read_document_file(path), false};
    }
    std::vector<match::NamedDocument> entries = read_feed_entries(path);
    if (entries.empty())
        throw Error(ErrorKind::parse, "the feed has no entries", path.string());
    if (entry == 0 && entries.size() > 1) {
        throw Error(ErrorKind::usage,
                    "the feed has " + std::to_string(entries.size()) +
                        " entries: name one as FILE#N (N from 1 to " +
                        std::to_string(entries.size()) + ")",
                    path.string());
    }
    if (entry == 0)
        entry = 1;
    if (entry > entries.size()) {
        throw Error(ErrorKind::usage,
                    "the feed has " + std::to_string(entries.size()) + " entries, not " +
                        std::to_string(entry),
                    path.string());
    }
    match::NamedDocument named = std::move(entries[entry - 1]);
    named.name = path.string() + "#" + std::to_string(entry);
    return named;
}

// ---- rules test -------------------------------------------------------------------------------

struct TestOptions {
    std::string rules;
    std::string corpus;
    std::string labels;
    bool json = false;
    StoreCommandOptions store;  // whose corpus similarity is measured against
};

int run_test(const std::filesystem::path& rules_dir, const TestOptions& options,
             const CorpusChoice& similarity_corpus) {
    const auto rules = match::RuleSet::load(rules_dir);
    match::Corpus corpus = match::read_corpus(options.corpus, read_feed_entries);
    for (const std::string& skipped : corpus.skipped)
        std::cerr << "skipped " << skipped << '\n';

    std::vector<std::string> names;
    std::vector<match::MatchResult> results;
    for (match::NamedDocument& d : corpus.documents) {
        measure(d.document, similarity_corpus);
        names.push_back(d.name);
        results.push_back(rules->evaluate(d.document));
    }
    std::optional<match::LabelledOutcome> outcome;
    if (!options.labels.empty()) {
        outcome = match::score_against_labels(names, results, match::read_labels(options.labels));
    }

    if (options.json) {
        nlohmann::json documents = nlohmann::json::array();
        for (std::size_t i = 0; i < names.size(); ++i) {
            std::vector<std::string> rule_ids;
            for (const match::RuleHit& hit : results[i].rules)
                rule_ids.push_back(hit.id);
            const match::Document& document = corpus.documents[i].document;
            nlohmann::json entry = {{"file", names[i]},
                                    {"matched", results[i].matched},
                                    {"score", results[i].score},
                                    {"topics", results[i].topics},
                                    {"rules", rule_ids}};
            entry["similarity"] = document.corpus_similarity
                                      ? nlohmann::json(*document.corpus_similarity)
                                      : nlohmann::json(nullptr);
            if (corpus.documents[i].feed_entry)
                entry["title"] = document.title;
            documents.push_back(std::move(entry));
        }
        nlohmann::json out = {{"documents", std::move(documents)},
                              {"threshold", rules->threshold()},
                              {"rules_version", rules->version()},
                              {"corpus", corpus_json(similarity_corpus)},
                              {"skipped", corpus.skipped}};
        if (outcome) {
            out["precision"] = outcome->precision;
            out["recall"] = outcome->recall;
            out["false_positives"] = outcome->false_positives_names;
            out["false_negatives"] = outcome->false_negatives_names;
        }
        std::cout << dump(out) << '\n';
        return kExitOk;
    }

    std::size_t matched = 0;
    std::printf("%-5s %6s  %5s  %-28s %s\n", "", "score", "sim", "topics", "document");
    for (std::size_t i = 0; i < names.size(); ++i) {
        const match::MatchResult& r = results[i];
        const match::NamedDocument& d = corpus.documents[i];
        matched += r.matched ? 1 : 0;
        std::vector<std::string> rule_ids;
        for (const match::RuleHit& hit : r.rules)
            rule_ids.push_back(hit.id + " " + format_score(hit.score));
        std::printf("%-5s %6s  %5s  %-28s %s", r.matched ? "MATCH" : "-",
                    format_score(r.score).c_str(),
                    format_similarity(d.document.corpus_similarity).c_str(),
                    join(r.topics, ",").c_str(), names[i].c_str());
        if (d.feed_entry)
            std::printf(" \"%s\"", d.document.title.c_str());
        if (!rule_ids.empty())
            std::printf("  [%s]", join(rule_ids, ", ").c_str());
        std::printf("\n");
    }
    std::printf("\n%zu of %zu documents match at threshold %s (rules version %s)\n", matched,
                names.size(), format_score(rules->threshold()).c_str(), rules->version().c_str());
    std::printf("corpus similarity (sim) against %s\n", similarity_corpus.description.c_str());
    if (outcome) {
        std::printf("precision %.3f (%zu true, %zu false positives)\n", outcome->precision,
                    outcome->true_positives, outcome->false_positives);
        std::printf("recall    %.3f (%zu of %zu that should match)\n", outcome->recall,
                    outcome->true_positives, outcome->true_positives + outcome->false_negatives);
        for (const std::string& name : outcome->false_positives_names)
            std::printf("false positive: %s\n", name.c_str());
        for (const std::string& name : outcome->false_negatives_names)
            std::printf("false negative: %s\n", name.c_str());
        if (!outcome->unlabelled.empty())
            std::printf("%zu documents have no label\n", outcome->unlabelled.size());
    }
    std::fflush(stdout);
    return kExitOk;
}

// ---- explain ----------------------------------------------------------------------------------

struct ExplainOptions {
    std::string target;  // ITEM_ID or FILE
    std::string rules;
    bool json = false;
    bool verbose = false;
    StoreCommandOptions store;
};

// An argument of digits only names a stored item; "./42" names a file called 42.
std::optional<store::ItemId> item_id_of(const std::string& argument) {
    if (argument.empty() || argument.size() > 18 ||
        argument.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return static_cast<store::ItemId>(std::stoll(argument));
}

std::string similarity_line(std::optional<double> similarity,
                            const std::optional<store::CorpusSimilarity>& nearest,
                            const std::map<std::int64_t, std::string>& titles) {
    std::string line = format_similarity(similarity);
    if (nearest) {
        const auto title = titles.find(nearest->document);
        if (title != titles.end())
            line += " (nearest: \"" + title->second + "\")";
    }
    return line;
}

int explain_document(const match::RuleSet& rules, const ExplainOptions& options,
                     const CorpusChoice& similarity_corpus) {
    match::NamedDocument named = read_one_document(options.target);
    const auto nearest = measure(named.document, similarity_corpus);
    const match::Explanation explanation = rules.explain(named.document);
    if (options.json) {
        nlohmann::json out = nlohmann::json::parse(match::to_json(explanation));
        out["document"] = {{"file", named.name},
                           {"title", named.document.title},
                           {"similarity", named.document.corpus_similarity
                                              ? nlohmann::json(*named.document.corpus_similarity)
                                              : nlohmann::json(nullptr)},
                           {"corpus", corpus_json(similarity_corpus)}};
        std::cout << dump(out) << '\n';
        return kExitOk;
    }
    std::cout << "document: " << named.name << "\ntitle: " << named.document.title
              << "\ncorpus similarity: "
              << similarity_line(named.document.corpus_similarity, nearest,
                                 similarity_corpus.titles)
              << ", against " << similarity_corpus.description << '\n'
              << match::render_explanation(explanation, options.verbose);
    return kExitOk;
}

// The stored matches of an item in one line: "partnerships-abroad 15, … (rules 9848bf78…)".
std::string stored_verdict_line(const std::vector<store::Match>& matches) {
    if (matches.empty())
        return "no match";
    std::vector<std::string> rules;
    std::vector<std::string> versions;
    for (const store::Match& m : matches) {
        rules.push_back(m.rule_id + " " + format_score(m.score));
        if (std::find(versions.begin(), versions.end(), m.ruleset_version) == versions.end())
            versions.push_back(m.ruleset_version);
    }
    return "matched by " + join(rules, ", ") + " (rules " + join(versions, ", ") + ")";
}

// Whether the stored matches say the same as the verdict of the current rules.
bool same_verdict(const std::vector<store::Match>& stored, const match::MatchResult& now) {
    std::vector<std::string> before;
    for (const store::Match& m : stored)
        before.push_back(m.rule_id);
    std::vector<std::string> after;
    if (now.matched) {
        for (const match::RuleHit& hit : now.rules)
            after.push_back(hit.id);
    }
    std::sort(before.begin(), before.end());
    before.erase(std::unique(before.begin(), before.end()), before.end());
    std::sort(after.begin(), after.end());
    return before == after;
}

int explain_item(const match::RuleSet& rules, const ExplainOptions& options,
                 const CommonOptions& common, store::ItemId id) {
    const auto store = open_store_from_options(options.store, common, MissingDatabase::refuse);
    const std::optional<store::Item> item = store->item(id);
    if (!item) {
        throw Error(ErrorKind::usage,
                    "no item " + std::to_string(id) +
                        " (item ids are in 'chuhai items --json'; write ./" + options.target +
                        " for a file of that name)",
                    store->describe());
    }
    std::vector<std::string> tags;
    if (const auto source = store->find_source(item->source))
        tags = source->spec.tags;
    const match::Document document = match_document(*item, tags);
    const match::Explanation explanation = rules.explain(document);
    const std::vector<store::Match> stored = store->matches_for(id);
    std::string nearest_title;
    if (item->corpus) {
        if (const auto seed = store->item(item->corpus->document))
            nearest_title = seed->title;
    }

    if (options.json) {
        nlohmann::json out = nlohmann::json::parse(match::to_json(explanation));
        nlohmann::json stored_json = nlohmann::json::array();
        for (const store::Match& m : stored) {
            stored_json.push_back({{"rule", m.rule_id},
                                   {"rules_version", m.ruleset_version},
                                   {"score", m.score},
                                   {"topic", m.topic},
                                   {"matched_at", format_rfc3339(m.matched_at)}});
        }
        nlohmann::json corpus = nullptr;
        if (item->corpus) {
            corpus = {{"similarity", item->corpus->score},
                      {"document", item->corpus->document},
                      {"title", nearest_title}};
        }
        out["item"] = {{"id", item->id},
                       {"title", item->title},
                       {"link", item->link},
                       {"source", item->source_name},
                       {"source_tags", tags},
                       {"first_seen", format_rfc3339(item->first_seen)},
                       {"text_dropped", item->text_dropped},
                       {"corpus", corpus},
                       {"stored_matches", std::move(stored_json)},
                       {"stored_verdict_differs", !same_verdict(stored, explanation.result)}};
        std::cout << dump(out) << '\n';
        return kExitOk;
    }
    std::cout << "item " << item->id << ": " << item->title << "\nsource: " << item->source_name;
    if (!tags.empty())
        std::cout << " (tags: " << join(tags, ", ") << ")";
    std::cout << ", first seen " << format_rfc3339(item->first_seen);
    if (!item->link.empty())
        std::cout << ", " << item->link;
    std::cout << "\ncorpus similarity: ";
    if (item->corpus) {
        std::cout << format_similarity(item->corpus->score);
        if (!nearest_title.empty())
            std::cout << " (nearest: \"" << nearest_title << "\")";
        std::cout << ", as stored\n";
    } else {
        std::cout << "unknown (none was stored), so similar_to_corpus does not hold\n";
    }
    if (item->text_dropped)
        std::cout << "text: dropped by retention; only the title, link, author and categories "
                     "are left to match\n";
    std::cout << "stored: " << stored_verdict_line(stored) << '\n';
    if (!same_verdict(stored, explanation.result))
        std::cout << "note: the current rules decide differently from what is stored; "
                     "'chuhai rules backfill' re-applies them\n";
    std::cout << match::render_explanation(explanation, options.verbose);
    return kExitOk;
}

// ---- rules backfill ---------------------------------------------------------------------------

struct BackfillCommandOptions {
    std::string rules;
    std::string since;  // empty or "all": every stored item
    bool dry_run = false;
    bool json = false;
    std::size_t list = 20;
    std::size_t batch = 500;
    StoreCommandOptions store;
};

nlohmann::json backfill_items_json(const std::vector<BackfillItem>& items) {
    nlohmann::json list = nlohmann::json::array();
    for (const BackfillItem& item : items) {
        list.push_back({{"id", item.id},
                        {"title", item.title},
                        {"first_seen", format_rfc3339(item.first_seen)},
                        {"rules_before", item.rules_before},
                        {"rules_after", item.rules_after},
                        {"digest_channels", item.channels},
                        {"text_dropped", item.text_dropped}});
    }
    return list;
}

void print_backfill_items(const char* heading, std::size_t total,
                          const std::vector<BackfillItem>& items) {
    if (total == 0)
        return;
    std::printf("\n%s (%zu):\n", heading, total);
    for (const BackfillItem& item : items) {
        std::printf("  %8lld  %s  %s\n", static_cast<long long>(item.id),
                    format_rfc3339(item.first_seen).substr(0, 10).c_str(), item.title.c_str());
        std::string rules;
        if (!item.rules_before.empty())
            rules += "was: " + join(item.rules_before, ", ");
        if (!item.rules_after.empty())
            rules += (rules.empty() ? "now: " : "; now: ") + join(item.rules_after, ", ");
        std::printf("            %s", rules.c_str());
        if (!item.channels.empty())
            std::printf("; already sent to %s", join(item.channels, ", ").c_str());
        if (item.text_dropped)
            std::printf("; title only (text dropped by retention)");
        std::printf("\n");
    }
    if (items.size() < total)
        std::printf("  … and %zu more (--list 0 lists them all)\n", total - items.size());
}

int run_backfill_command(const std::filesystem::path& rules_dir,
                         const BackfillCommandOptions& options, const CommonOptions& common) {
    const auto rules = match::RuleSet::load(rules_dir);
    BackfillOptions backfill;
    if (!options.since.empty() && options.since != "all")
        backfill.since = parse_since(options.since, SystemClock().now());
    backfill.dry_run = options.dry_run;
    backfill.list_limit = options.list;
    backfill.batch_size = options.batch;
    const auto store = open_store_from_options(options.store, common, MissingDatabase::refuse);
    const BackfillReport r = run_backfill(*store, *rules, backfill);

    if (options.json) {
        nlohmann::json rule_list = nlohmann::json::array();
        for (const BackfillRule& rule : r.rules) {
            rule_list.push_back({{"id", rule.id},
                                 {"added", rule.added},
                                 {"removed", rule.removed},
                                 {"kept", rule.kept},
                                 {"in_rules", rule.in_rules}});
        }
        nlohmann::json out = {
            {"dry_run", r.dry_run},
            {"rules_version", r.rules_version},
            {"threshold", r.threshold},
            {"since", r.since ? nlohmann::json(format_rfc3339(*r.since)) : nlohmann::json(nullptr)},
            {"items", r.items},
            {"title_only", r.title_only},
            {"newly_matched", r.newly_matched},
            {"no_longer_matched", r.no_longer_matched},
            {"rules_changed", r.rules_changed},
            {"unchanged", r.unchanged},
            {"rewritten", r.rewritten},
            {"newly_matched_already_sent", r.newly_matched_sent},
            {"no_longer_matched_already_sent", r.no_longer_matched_sent},
            {"rules", std::move(rule_list)},
            {"newly_matched_items", backfill_items_json(r.newly_matched_items)},
            {"no_longer_matched_items", backfill_items_json(r.no_longer_matched_items)},
            {"rules_changed_items", backfill_items_json(r.rules_changed_items)}};
        std::cout << dump(out) << '\n';
        return kExitOk;
    }

    std::printf("%s: rules %s (threshold %s), %s\n",
                r.dry_run ? "rules backfill --dry-run (nothing is changed)" : "rules backfill",
                r.rules_version.c_str(), format_score(r.threshold).c_str(),
                store->describe().c_str());
    std::printf("%s first seen %s", count_of(r.items, "item").c_str(),
                r.since ? ("since " + format_rfc3339(*r.since)).c_str() : "at any time");
    if (r.title_only > 0)
        std::printf(" (%zu with only their title left: retention dropped their text)",
                    r.title_only);
    if (r.dry_run) {
        std::printf(
            "\n%zu would newly match, %zu would no longer match, %zu would match by other "
            "rules, %zu unchanged\n%s would have their matches written again\n",
            r.newly_matched, r.no_longer_matched, r.rules_changed, r.unchanged,
            count_of(r.rewritten, "item").c_str());
    } else {
        std::printf(
            "\n%zu newly matched, %zu no longer matched, %zu matched by other rules, %zu "
            "unchanged\n%s had their matches written again\n",
            r.newly_matched, r.no_longer_matched, r.rules_changed, r.unchanged,
            count_of(r.rewritten, "item").c_str());
    }

    if (!r.rules.empty()) {
        std::vector<std::string> names;
        int width = 4;
        for (const BackfillRule& rule : r.rules) {
            names.push_back(rule.in_rules ? rule.id : rule.id + " (not in the rules)");
            width = std::max(width, static_cast<int>(names.back().size()));
        }
        std::printf("\n%-*s %7s %7s %7s\n", width, "rule", "+new", "-gone", "kept");
        for (std::size_t i = 0; i < r.rules.size(); ++i) {
            std::printf("%-*s %7zu %7zu %7zu\n", width, names[i].c_str(), r.rules[i].added,
                        r.rules[i].removed, r.rules[i].kept);
        }
    }
    print_backfill_items(r.dry_run ? "would newly match" : "newly matched", r.newly_matched,
                         r.newly_matched_items);
    print_backfill_items(r.dry_run ? "would no longer match" : "no longer matched",
                         r.no_longer_matched, r.no_longer_matched_items);
    print_backfill_items(r.dry_run ? "would match by other rules" : "matched by other rules",
                         r.rules_changed, r.rules_changed_items);

    // What it means for digests, which are never recalled and never repeat an item.
    const std::size_t offered = r.newly_matched - r.newly_matched_sent;
    if (offered > 0) {
        std::printf(
            "\ndigests: %s %s offered to the next digest of each channel whose period "
            "covers %s\n",
            count_of(offered, "newly matched item").c_str(),
            r.dry_run ? "would be" : (offered == 1 ? "is" : "are"), offered == 1 ? "it" : "them");
    }
    if (r.newly_matched_sent > 0) {
        std::printf("digests: %s newly matched %s sent before and %s never sent again\n",
                    count_of(r.newly_matched_sent, "item").c_str(),
                    r.newly_matched_sent == 1 ? "was" : "were",
                    r.newly_matched_sent == 1 ? "is" : "are");
    }
    if (r.no_longer_matched_sent > 0) {
        std::printf(
            "digests: %s that no longer %s already sent; a digest is never "
            "recalled\n",
            count_of(r.no_longer_matched_sent, "item").c_str(),
            r.no_longer_matched_sent == 1 ? "matches was" : "match were");
    }
    std::fflush(stdout);
    return kExitOk;
}

}  // namespace

std::filesystem::path resolve_rules_dir(const std::string& explicit_dir,
                                        const CommonOptions& common) {
    if (!explicit_dir.empty())
        return explicit_dir;
    const std::filesystem::path config =
        common.config_path.empty() ? default_config_path() : common.config_path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(config, ec)) {
        throw Error(ErrorKind::usage,
                    "no rules directory: pass --rules DIR, or set rules: in the "
                    "config file (" +
                        config.string() + " not found)");
    }
    YAML::Node root;
    try {
        root = YAML::LoadFile(config.string());
    } catch (const YAML::Exception& e) {
        throw Error(ErrorKind::config, "YAML syntax: " + e.msg,
                    config.string() + ":" + std::to_string(e.mark.line + 1) + ":" +
                        std::to_string(e.mark.column + 1));
    }
    const YAML::Node rules = root.IsMap() ? root["rules"] : YAML::Node();
    if (!rules || !rules.IsScalar() || rules.Scalar().empty()) {
        throw Error(ErrorKind::usage,
                    "no rules directory: pass --rules DIR, or set rules: DIR in the config file",
                    config.string());
    }
    std::filesystem::path dir = rules.Scalar();
    if (dir.is_relative())
        dir = config.parent_path() / dir;
    return dir;
}

void add_rules_commands(CommandLine& cli) {
    CLI::App* rules = cli.app.add_subcommand("rules", "check, test and re-apply the match rules");
    rules->require_subcommand(1);

    // Option values live in shared objects owned by the subcommands' callbacks, so they last as
    // long as the command line.
    auto check_dir = std::make_shared<std::string>();
    auto check_rules = std::make_shared<std::string>();
    CLI::App* check = rules->add_subcommand(
        "check", "report every error in the rule files as FILE:LINE:COL: message (exit 2 on any)");
    check->add_option("DIR", *check_dir, "the rules directory (default: --rules, or the config's)");
    check->add_option("--rules", *check_rules, "the rules directory");
    add_config_option(*check, cli.common);
    check->callback([&cli, check_dir, check_rules] {
        const std::string& given = !check_dir->empty() ? *check_dir : *check_rules;
        cli.exit_status = run_check(resolve_rules_dir(given, cli.common));
    });

    auto test_options = std::make_shared<TestOptions>();
    CLI::App* test = rules->add_subcommand(
        "test", "run the rules over a folder of documents; with --labels, precision and recall");
    test->add_option("--rules", test_options->rules, "the rules directory");
    test->add_option("--corpus", test_options->corpus,
                     "folder of .txt/.md (first line = title), .html and feed files "
                     "(.xml/.rss/.atom/.rdf/.json, each entry a document)")
        ->required();
    test->add_option("--labels", test_options->labels,
                     "TSV of NAME<TAB>1|0: whether each document should match");
    test->add_flag("--json", test_options->json, "print one JSON object");
    add_db_option(*test, test_options->store, cli.common);
    test->callback([&cli, test, test_options] {
        const std::filesystem::path dir = resolve_rules_dir(test_options->rules, cli.common);
        cli.exit_status =
            run_test(dir, *test_options, choose_corpus(*test, cli.common, test_options->store));
    });

    auto backfill_options = std::make_shared<BackfillCommandOptions>();
    CLI::App* backfill = rules->add_subcommand(
        "backfill",
        "re-apply the current rules to stored items; with --dry-run, show what would change");
    backfill->add_option("--rules", backfill_options->rules, "the rules directory");
    backfill->add_option("--since", backfill_options->since,
                         "only items first seen since: 30d, 36h, an RFC 3339 time, or all "
                         "(default)");
    backfill->add_flag("--dry-run", backfill_options->dry_run,
                       "change nothing; list the items whose verdict would change, per rule");
    backfill->add_flag("--json", backfill_options->json, "print one JSON object");
    backfill
        ->add_option("--list", backfill_options->list,
                     "items listed per kind of change (default 20; 0: all)")
        ->check(CLI::Range(0, 1000000));
    backfill->add_option("--batch", backfill_options->batch, "items per transaction (default 500)")
        ->check(CLI::Range(1, 100000));
    add_db_option(*backfill, backfill_options->store, cli.common);
    backfill->callback([&cli, backfill_options] {
        cli.exit_status = run_backfill_command(
            resolve_rules_dir(backfill_options->rules, cli.common), *backfill_options, cli.common);
    });

    auto explain_options = std::make_shared<ExplainOptions>();
    CLI::App* explain = cli.app.add_subcommand(
        "explain",
        "show each rule's verdict on a stored item or a document, with the terms and positions "
        "that hit");
    explain
        ->add_option("ITEM_ID|FILE", explain_options->target,
                     "a stored item's id, a .txt, .md or .html document, or FILE#N: entry N of a "
                     "feed file")
        ->required();
    explain->add_option("--rules", explain_options->rules, "the rules directory");
    explain->add_flag("--json", explain_options->json, "print the explanation as JSON");
    explain->add_flag("--verbose,-v", explain_options->verbose,
                      "show the condition tree of every rule, even far from holding");
    add_db_option(*explain, explain_options->store, cli.common);
    explain->callback([&cli, explain, explain_options] {
        const auto rule_set =
            match::RuleSet::load(resolve_rules_dir(explain_options->rules, cli.common));
        if (const auto id = item_id_of(explain_options->target)) {
            cli.exit_status = explain_item(*rule_set, *explain_options, cli.common, *id);
            return;
        }
        cli.exit_status =
            explain_document(*rule_set, *explain_options,
                             choose_corpus(*explain, cli.common, explain_options->store));
    });
}

}  // namespace chuhai::app
