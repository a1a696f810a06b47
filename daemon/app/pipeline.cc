#include "app/pipeline.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "feed/feed_parser.h"
#include "feed/identity.h"

namespace chuhai::app {

namespace {

store::FetchRecord base_record(const SourceContext& source, const fetch::FetchResult& result) {
    store::FetchRecord record;
    record.source = source.id;
    record.started =
        result.received_at - std::chrono::duration_cast<std::chrono::seconds>(result.elapsed);
    record.duration = result.elapsed;
    record.requested_url = source.url;
    record.final_url = result.final_url == source.url ? std::string() : result.final_url;
    if (result.status != 0)
        record.http_status = static_cast<int>(result.status);
    record.bytes = static_cast<std::int64_t>(result.wire_bytes);
    record.etag = result.etag;
    record.last_modified = result.last_modified;
    if (result.ok()) {
        record.outcome = store::FetchOutcome::ok;
    } else if (result.not_modified()) {
        record.outcome = store::FetchOutcome::not_modified;
    } else {
        record.outcome = store::FetchOutcome::failed;
        record.error =
            result.error != fetch::FetchError::none
                ? std::string(fetch::to_string(result.error)) + ": " + result.error_message
                : "HTTP " + std::to_string(result.status);
    }
    return record;
}

store::ItemInput item_input(const feed::FeedEntry& entry) {
    store::ItemInput item;
    item.key = entry.key;
    item.canonical_url = entry.link;
    item.link = entry.link;
    item.title = entry.title;
    item.author = entry.author;
    item.published = entry.published;
    item.updated = entry.updated;
    item.summary = entry.summary;
    item.content = entry.content;
    item.content_html = entry.content_html;
    item.categories = entry.categories;
    item.content_hash = feed::to_hex(feed::content_hash(entry));
    item.fingerprint = feed::entry_simhash(entry);
    return item;
}

// The text the corpus model compares: what a reader sees first.
std::string similarity_text(const feed::FeedEntry& entry) {
    std::string text = entry.title;
    text += '\n';
    text += entry.summary.empty() ? entry.content : entry.summary;
    return text;
}

nlohmann::json evidence_json(const match::RuleHit& hit, const match::MatchResult& verdict) {
    nlohmann::json evidence = nlohmann::json::array();
    for (const auto& e : hit.evidence) {
        evidence.push_back({{"term", e.term},
                            {"list", e.list},
                            {"field", std::string(match::field_name(e.field))},
                            {"begin", e.begin},
                            {"end", e.end},
                            {"text", e.text}});
    }
    nlohmann::json entities = nlohmann::json::array();
    for (const auto& entity : verdict.entities) {
        entities.push_back({{"list", entity.list},
                            {"kind", entity.kind},
                            {"name", entity.name},
                            {"count", entity.count}});
    }
    return {{"title", hit.title},
            {"tags", hit.tags},
            {"evidence", std::move(evidence)},
            {"entities", std::move(entities)},
            {"item_score", verdict.score},
            {"threshold", verdict.threshold}};
}

}  // namespace

match::Document match_document(const feed::FeedEntry& entry, const SourceContext& source,
                               std::optional<double> corpus_similarity) {
    match::Document document;
    document.title = entry.title;
    document.summary = entry.summary;
    document.content = entry.content;
    document.author = entry.author;
    document.categories = entry.categories;
    document.link = entry.link;
    document.source_name = source.name;
    document.source_tags = source.tags;
    document.corpus_similarity = corpus_similarity;
    return document;
}

std::vector<store::MatchInput> match_inputs(const match::MatchResult& verdict) {
    std::vector<store::MatchInput> inputs;
    if (!verdict.matched)
        return inputs;
    for (const auto& hit : verdict.rules) {
        store::MatchInput input;
        input.rule_id = hit.id;
        input.ruleset_version = verdict.rules_version;
        input.score = hit.score;
        input.topic = hit.topic;
        input.evidence_json = evidence_json(hit, verdict).dump();
        inputs.push_back(std::move(input));
    }
    return inputs;
}

store::FetchRecord record_without_body(const SourceContext& source,
                                       const fetch::FetchResult& result) {
    return base_record(source, result);
}

PreparedFetch prepare_fetch(const SourceContext& source, const fetch::FetchResult& result,
                            const match::RuleSet& rules, const store::CorpusModel* corpus,
                            const PrepareOptions& options) {
    PreparedFetch prepared;
    prepared.record = base_record(source, result);

    feed::ParseOptions parse_options;
    parse_options.content_type = result.content_type;
    parse_options.base_url = result.final_url.empty() ? source.url : result.final_url;
    parse_options.timezone = source.timezone;
    parse_options.max_bytes = options.max_bytes;
    parse_options.source = source.name;

    feed::FeedDocument document;
    try {
        document = feed::parse_feed(result.body, parse_options);
    } catch (const Error& e) {
        prepared.error = e.message();
        prepared.record.outcome = store::FetchOutcome::failed;
        prepared.record.error = "not a feed: " + e.message();
        // Validators of a body we could not use must not suppress the next full GET.
        prepared.record.etag.clear();
        prepared.record.last_modified.clear();
        return prepared;
    }
    prepared.format = document.format;
    prepared.encoding = document.encoding;
    if (document.bozo)
        prepared.bozo_reason = document.bozo_reason;
    prepared.ttl_minutes = document.ttl_minutes;

    prepared.items.reserve(document.entries.size());
    prepared.verdicts.reserve(document.entries.size());
    for (const auto& entry : document.entries) {
        store::ItemInput item = item_input(entry);
        std::optional<double> similarity;
        if (corpus != nullptr && !corpus->empty()) {
            item.corpus = corpus->nearest(similarity_text(entry));
            if (item.corpus)
                similarity = item.corpus->score;
            else
                similarity = 0.0;
        }
        prepared.verdicts.push_back(rules.evaluate(match_document(entry, source, similarity)));
        prepared.items.push_back(std::move(item));
    }
    return prepared;
}

namespace {

WriteOutcome write_items_and_matches(store::Store& store, const PreparedFetch& prepared) {
    WriteOutcome outcome;
    const store::IngestResult ingested = store.ingest(prepared.record, prepared.items);
    outcome.items_seen = static_cast<int>(prepared.items.size());
    outcome.items_new = ingested.added;
    outcome.duplicates = ingested.duplicates;
    outcome.revised = ingested.revised;
    for (std::size_t i = 0; i < ingested.items.size() && i < prepared.verdicts.size(); ++i) {
        const auto& item = ingested.items[i];
        if (item.outcome == store::ItemOutcome::duplicate)
            continue;
        const auto inputs = match_inputs(prepared.verdicts[i]);
        if (inputs.empty())
            continue;
        store.record_matches(item.item, inputs);
        ++outcome.matched;
    }
    return outcome;
}

}  // namespace

WriteOutcome write_prepared(store::Store& store, const PreparedFetch& prepared) {
    WriteOutcome outcome;
    // Items and their matches commit together: a digest built on another connection between
    // the two would see the items unmatched, and their period would pass without them.
    store.run_in_transaction([&] { outcome = write_items_and_matches(store, prepared); });
    return outcome;
}

}  // namespace chuhai::app
