#include "app/pipeline.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "feed/feed_parser.h"
#include "feed/identity.h"
#include "feed/url.h"
#include "text/html_sanitize.h"

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
        // The fetch stage's message already starts with the error's kind and names the URL.
        record.error = result.error != fetch::FetchError::none
                           ? result.error_message
                           : "HTTP " + std::to_string(result.status);
    }
    return record;
}

// The entry's text moves into the item (a feed's text is copied once less per entry); the hashes
// are taken first.
store::ItemInput item_input(feed::FeedEntry&& entry) {
    store::ItemInput item;
    item.content_hash = feed::to_hex(entry.content_hash);
    item.fingerprint = feed::entry_simhash(entry);  // the parser leaves it to the pipeline
    item.key = std::move(entry.key);
    item.canonical_url = entry.link;
    item.link = std::move(entry.link);
    item.title = std::move(entry.title);
    item.author = std::move(entry.author);
    item.published = entry.published;
    item.updated = entry.updated;
    item.summary = std::move(entry.summary);
    item.content = std::move(entry.content);
    item.content_html = std::move(entry.content_html);
    item.categories = std::move(entry.categories);
    return item;
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

namespace {

// The fields a parsed entry and a stored item share, as the rules see them.
template <class Entry>
match::Document document_of(const Entry& entry) {
    match::Document document;
    document.title = entry.title;
    document.summary = entry.summary;
    document.content = entry.content;
    document.author = entry.author;
    document.categories = entry.categories;
    document.link = entry.link;
    return document;
}

// The rule engine's view of an entry, or of the item made of it, from a source.
template <class Entry>
match::Document document_for(const Entry& entry, const SourceContext& source,
                             std::optional<double> corpus_similarity) {
    match::Document document = document_of(entry);
    document.source_name = source.name;
    document.source_tags = source.tags;
    document.corpus_similarity = corpus_similarity;
    return document;
}

}  // namespace

CorpusMeasure measure_against_corpus(const store::CorpusModel* corpus, std::string_view title,
                                     std::string_view summary, std::string_view content) {
    CorpusMeasure measure;
    if (corpus == nullptr || corpus->empty())
        return measure;
    measure.nearest = corpus->nearest(store::item_similarity_text(title, summary, content));
    measure.similarity = measure.nearest ? measure.nearest->score : 0.0;
    return measure;
}

match::Document match_document(const feed::FeedEntry& entry, const SourceContext& source,
                               std::optional<double> corpus_similarity) {
    return document_for(entry, source, corpus_similarity);
}

match::Document match_document(const store::Item& item,
                               const std::vector<std::string>& source_tags) {
    match::Document document = document_of(item);
    document.source_name = item.source_name;
    document.source_tags = source_tags;
    if (item.corpus)
        document.corpus_similarity = item.corpus->score;
    return document;
}

std::string digest_html(const std::string& content_html, const std::string& html_base) {
    return text::sanitize_html(content_html, [&html_base](std::string_view href) {
        return feed::canonicalize_url(href, html_base);
    });
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

std::uint64_t seen_item_digest(store::SourceId source, const store::ItemInput& item) {
    // The store's own key when the item has none (store::ItemInput::key).
    const std::string& key = !item.key.empty()             ? item.key
                             : !item.canonical_url.empty() ? item.canonical_url
                                                           : item.content_hash;
    std::string identity = std::to_string(source);
    identity.push_back('\0');
    identity += key;
    identity.push_back('\0');
    identity += item.title;
    return SeenItems::digest(identity, item.content_hash);
}

std::uint64_t seen_url_digest(std::string_view canonical_url) {
    return SeenItems::digest("url", canonical_url);
}

bool looks_stored(const SeenItems& seen, store::SourceId source, const store::ItemInput& item) {
    return seen.contains(seen_item_digest(source, item)) ||
           (!item.canonical_url.empty() && seen.contains(seen_url_digest(item.canonical_url)));
}

void remember_stored(SeenItems& seen, const PreparedFetch& prepared) {
    for (const auto& item : prepared.items) {
        seen.insert(seen_item_digest(prepared.record.source, item));
        if (!item.canonical_url.empty())
            seen.insert(seen_url_digest(item.canonical_url));
    }
}

PreparedFetch prepare_fetch(const SourceContext& source, const fetch::FetchResult& result,
                            const match::RuleSet& rules, const store::CorpusModel* corpus,
                            const PrepareOptions& options) {
    PreparedFetch prepared;
    prepared.source = source;
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
    prepared.rules_skipped.reserve(document.entries.size());
    for (auto& entry : document.entries) {
        store::ItemInput item = item_input(std::move(entry));
        // Stored as it is: the store will call it a duplicate and keep no verdict, and compute no
        // similarity for it.
        if (options.seen != nullptr && looks_stored(*options.seen, source.id, item)) {
            prepared.verdicts.emplace_back();
            prepared.rules_skipped.push_back(true);
            prepared.items.push_back(std::move(item));
            continue;
        }
        const CorpusMeasure measure =
            measure_against_corpus(corpus, item.title, item.summary, item.content);
        item.corpus = measure.nearest;
        // Measured here, so the store need not (nothing to measure against counts as measured).
        item.corpus_computed = corpus != nullptr && !corpus->empty();
        match::MatchResult verdict = rules.evaluate(document_for(item, source, measure.similarity));
        // entry.html_base was not moved into the item.
        if (verdict.matched)
            item.sanitized_html = digest_html(item.content_html, entry.html_base);
        prepared.verdicts.push_back(std::move(verdict));
        prepared.rules_skipped.push_back(false);
        prepared.items.push_back(std::move(item));
    }
    return prepared;
}

namespace {

// The counts of an ingested fetch, and its matches recorded for new and revised items.
WriteOutcome record_outcome(store::Store& store, const PreparedFetch& prepared,
                            const store::IngestResult& ingested, const match::RuleSet* rules) {
    WriteOutcome outcome;
    outcome.items_seen = static_cast<int>(prepared.items.size());
    outcome.items_new = ingested.added;
    outcome.duplicates = ingested.duplicates;
    outcome.revised = ingested.revised;
    for (std::size_t i = 0; i < ingested.items.size() && i < prepared.verdicts.size(); ++i) {
        const auto& item = ingested.items[i];
        const bool skipped = i < prepared.rules_skipped.size() && prepared.rules_skipped[i];
        if (item.outcome == store::ItemOutcome::duplicate) {
            outcome.rules_skipped += skipped ? 1 : 0;
            continue;
        }
        const match::MatchResult* verdict = &prepared.verdicts[i];
        match::MatchResult late;
        if (skipped) {
            if (rules == nullptr)
                continue;
            // The rare item whose rules were skipped on the worker but which the store found new
            // or revised after all; its similarity is the one the store measured.
            late = rules->evaluate(document_for(
                prepared.items[i], prepared.source,
                item.corpus ? std::optional<double>(item.corpus->score) : std::nullopt));
            verdict = &late;
        }
        const auto inputs = match_inputs(*verdict);
        if (inputs.empty())
            continue;
        store.record_matches(item.item, inputs);
        ++outcome.matched;
        for (const auto& topic : verdict->topics)
            ++outcome.matched_topics[topic];
    }
    return outcome;
}

// One fetch's items and their matches in one transaction: a digest built meanwhile on the
// delivery thread's connection never sees the items unmatched, which would let their period pass
// without them.
WriteOutcome write_one(store::Store& store, const PreparedFetch& prepared,
                       const match::RuleSet* rules) {
    WriteOutcome outcome;
    store.run_in_transaction([&] {
        outcome =
            record_outcome(store, prepared, store.ingest(prepared.record, prepared.items), rules);
    });
    return outcome;
}

}  // namespace

WriteOutcome write_prepared(store::Store& store, const PreparedFetch& prepared,
                            const match::RuleSet* rules) {
    return write_one(store, prepared, rules);
}

std::vector<IngestAttempt> ingest_together(store::Store& store,
                                           std::span<const store::FetchBatch> fetches) {
    std::vector<IngestAttempt> attempts(fetches.size());
    if (fetches.size() > 1) {
        try {
            auto results = store.ingest_batch(fetches);
            for (std::size_t i = 0; i < results.size() && i < attempts.size(); ++i)
                attempts[i].result = std::move(results[i]);
            return attempts;
        } catch (const Error&) {
            // One of them was refused: each on its own below.
        }
    }
    for (std::size_t i = 0; i < fetches.size(); ++i) {
        try {
            attempts[i].result = store.ingest(fetches[i].fetch, fetches[i].items);
        } catch (const Error& e) {
            attempts[i].error = e.what();
        }
    }
    return attempts;
}

std::vector<BatchWriteResult> write_prepared_batch(store::Store& store,
                                                   std::span<const PreparedFetch* const> batch,
                                                   const match::RuleSet* rules) {
    std::vector<BatchWriteResult> results(batch.size());
    if (batch.size() > 1) {
        std::vector<store::FetchBatch> fetches;
        fetches.reserve(batch.size());
        for (const PreparedFetch* prepared : batch)
            fetches.push_back({prepared->record, prepared->items});
        try {
            // Every fetch with its items and matches in one transaction.
            store.run_in_transaction([&] {
                const auto ingested = store.ingest_batch(fetches);
                for (std::size_t i = 0; i < batch.size(); ++i)
                    results[i].outcome = record_outcome(store, *batch[i], ingested.at(i), rules);
            });
            return results;
        } catch (const Error&) {
            // One of them was refused: each on its own below, so that it fails alone.
            results.assign(batch.size(), BatchWriteResult{});
        }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        try {
            results[i].outcome = write_one(store, *batch[i], rules);
        } catch (const Error& e) {
            results[i].error = e.what();
        }
    }
    return results;
}

}  // namespace chuhai::app
