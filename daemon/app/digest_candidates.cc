#include "app/digest_candidates.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace chuhai::app {

namespace {

void add_unique(std::vector<std::string>& values, const std::string& value) {
    if (!value.empty() && std::find(values.begin(), values.end(), value) == values.end()) {
        values.push_back(value);
    }
}

// The rules, terms and companies recorded with an item's matches.
void add_matches(digest::Story& story, const std::vector<store::Match>& matches) {
    double item_score = 0;
    for (const auto& match : matches) {
        item_score += match.score;
        add_unique(story.topics, match.topic);
        digest::RuleEvidence evidence{match.rule_id, {}};
        const auto json = nlohmann::json::parse(match.evidence_json, nullptr, false);
        if (json.is_object()) {
            for (const auto& e : json.value("evidence", nlohmann::json::array())) {
                if (e.is_object())
                    add_unique(evidence.terms, e.value("term", std::string()));
            }
            for (const auto& entity : json.value("entities", nlohmann::json::array())) {
                if (entity.is_object())
                    add_unique(story.companies, entity.value("name", std::string()));
            }
        }
        auto existing =
            std::find_if(story.matches.begin(), story.matches.end(),
                         [&](const digest::RuleEvidence& r) { return r.rule == evidence.rule; });
        if (existing == story.matches.end()) {
            story.matches.push_back(std::move(evidence));
        } else {
            for (const auto& term : evidence.terms)
                add_unique(existing->terms, term);
        }
    }
    story.score = std::max(story.score, item_score);
}

}  // namespace

std::vector<digest::CandidateStory> candidate_stories(store::Store& store, UtcTime since,
                                                      UtcTime until, std::size_t limit) {
    store::ItemQuery query;
    query.since = since;
    query.matched_only = true;
    query.limit = limit;
    std::vector<store::Item> items = store.list_items(query);
    // Oldest first, so that a story is titled after the first item that reported it.
    std::sort(items.begin(), items.end(), [](const store::Item& a, const store::Item& b) {
        return a.first_seen != b.first_seen ? a.first_seen < b.first_seen : a.id < b.id;
    });

    std::map<store::StoryId, std::size_t> index_of_story;
    std::vector<digest::CandidateStory> candidates;
    for (const auto& item : items) {
        if (item.first_seen >= until)
            continue;
        const store::StoryId story_id = item.story != 0 ? item.story : -item.id;
        auto [slot, inserted] = index_of_story.emplace(story_id, candidates.size());
        if (inserted) {
            digest::CandidateStory candidate;
            candidate.story.id = story_id;
            candidate.story.title = item.title;
            candidate.story.link = item.link;
            candidate.story.first_seen = item.first_seen;
            candidate.story.published = item.published ? item.published : item.updated;
            candidate.text = item.summary.empty() ? item.content : item.summary;
            if (item.story != 0) {
                if (const auto story = store.story(item.story)) {
                    candidate.story.first_seen =
                        std::min(candidate.story.first_seen, story->first_seen);
                }
            }
            // A seed document is worth pointing to only when the item really resembles it.
            if (item.corpus && item.corpus->score >= store::kCorpusRelatedScore) {
                if (const auto seed = store.item(item.corpus->document)) {
                    candidate.story.nearest_seed = digest::SeedReference{
                        seed->title, seed->link.empty() ? seed->key : seed->link,
                        item.corpus->score};
                }
            }
            candidates.push_back(std::move(candidate));
        }
        auto& candidate = candidates[slot->second];
        add_matches(candidate.story, store.matches_for(item.id));
        // Every source that carried this item, first first.
        if (const auto provenance = store.provenance(item.id)) {
            auto add_source = [&](const store::Sighting& sighting) {
                const bool known = std::any_of(
                    candidate.story.sources.begin(), candidate.story.sources.end(),
                    [&](const digest::SourceRef& s) { return s.name == sighting.source_name; });
                if (!known)
                    candidate.story.sources.push_back({sighting.source_name, item.link});
                if (const auto source = store.find_source(sighting.source)) {
                    for (const auto& tag : source->spec.tags)
                        add_unique(candidate.source_tags, tag);
                }
            };
            add_source(provenance->first);
            for (const auto& other : provenance->others)
                add_source(other);
        }
    }
    return candidates;
}

}  // namespace chuhai::app
