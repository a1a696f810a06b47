// The generic JSON digest (schema documented in docs/digests.md).

#include <nlohmann/json.hpp>

#include "digest/render.h"
#include "digest/render_common.h"

namespace chuhai::digest {

namespace {

using nlohmann::json;

json period_json(const Period& period) {
    return json{{"start", format_rfc3339(period.start)}, {"end", format_rfc3339(period.end)}};
}

json counts_json(const std::vector<CountChange>& counts) {
    json out = json::array();
    for (const auto& c : counts) {
        out.push_back(json{{"name", c.name},
                           {"current", c.current},
                           {"previous", c.previous},
                           {"change", c.change()}});
    }
    return out;
}

json story_json(const Story& story) {
    json sources = json::array();
    for (const auto& s : story.sources)
        sources.push_back(json{{"name", s.name}, {"link", s.link}});
    json matches = json::array();
    for (const auto& m : story.matches)
        matches.push_back(json{{"rule", m.rule}, {"terms", m.terms}});
    json out{
        {"id", story.id},
        {"title", story.title},
        {"link", story.link},
        {"sources", std::move(sources)},
        {"first_seen", format_rfc3339(story.first_seen)},
        {"published", story.published ? json(format_rfc3339(*story.published)) : json(nullptr)},
        {"excerpt", story.excerpt},
        {"score", std::isfinite(story.score) ? story.score : 0.0},
        {"topics", story.topics},
        {"matches", std::move(matches)},
        {"companies", story.companies},
        {"nearest_seed", nullptr},
    };
    if (story.nearest_seed) {
        out["nearest_seed"] = json{{"title", story.nearest_seed->title},
                                   {"reference", story.nearest_seed->reference},
                                   {"similarity", story.nearest_seed->similarity}};
    }
    return out;
}

}  // namespace

std::string render_json(const Digest& digest) {
    json topics = json::array();
    for (const auto& section : digest.topics) {
        json stories = json::array();
        for (const auto& story : section.stories)
            stories.push_back(story_json(story));
        topics.push_back(json{{"topic", section.topic}, {"stories", std::move(stories)}});
    }
    json periods = json::array();
    for (const auto& p : digest.chart_periods)
        periods.push_back(period_json(p));
    json series = json::array();
    for (const auto& s : digest.chart)
        series.push_back(json{{"company", s.company}, {"mentions", s.mentions}});
    json health = json::array();
    for (const auto& note : digest.source_health) {
        health.push_back(json{{"source", note.source},
                              {"kind", to_string(note.kind)},
                              {"detail", note.detail},
                              {"since", format_rfc3339(note.since)}});
    }
    const json doc{
        {"schema", "chuhai.digest"},
        {"version", kJsonSchemaVersion},
        {"id", digest.id},
        {"channel", digest.channel},
        {"period", period_json(digest.period)},
        {"generated", format_rfc3339(digest.generated)},
        {"time_zone", digest.zone.name()},
        {"story_count", digest.story_count()},
        {"omitted_stories", digest.omitted_stories},
        {"counts", json{{"topics", counts_json(digest.topic_counts)},
                        {"companies", counts_json(digest.company_counts)}}},
        {"chart", json{{"periods", std::move(periods)}, {"series", std::move(series)}}},
        {"topics", std::move(topics)},
        {"source_health", std::move(health)},
    };
    // Invalid UTF-8 cannot reach here through build_digest(), but a hand-made Digest could
    // carry it: replace it instead of throwing.
    return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace chuhai::digest
