#include "app/digest_candidates.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/log.h"
#include "match/match_result.h"

namespace chuhai::app {

namespace {

// A story syndicated a hundred times lists its first sources; the rest add nothing readable.
constexpr std::size_t kMaxStoryMembers = 50;
// SameStoryFinder: the share of (rarity-weighted) words two tellings have in common, and the
// fewest shared words that count.
constexpr double kSameStoryOverlap = 0.6;
constexpr std::size_t kSameStoryMinShared = 6;
// ... and the share of their entities that must agree, when both mention some.
constexpr double kSameStoryEntityOverlap = 0.5;
// Only the start of the text is compared: it is where syndicated copies say the same thing.
constexpr std::size_t kSameStoryTextBytes = 600;

void add_unique(std::vector<std::string>& values, const std::string& value) {
    if (!value.empty() && std::find(values.begin(), values.end(), value) == values.end())
        values.push_back(value);
}

void add_evidence(digest::Story& story, digest::RuleEvidence evidence) {
    auto existing =
        std::find_if(story.matches.begin(), story.matches.end(),
                     [&](const digest::RuleEvidence& r) { return r.rule == evidence.rule; });
    if (existing == story.matches.end()) {
        story.matches.push_back(std::move(evidence));
        return;
    }
    for (const auto& term : evidence.terms)
        add_unique(existing->terms, term);
}

// The rules, terms, topics and companies recorded with an item's matches. Only mentions of
// company entity lists are companies (places and products are entities too; docs/rules.md).
// `topic_scores` adds up each topic's rule scores, to rank the story's topics.
void add_matches(digest::CandidateStory& candidate, const std::vector<store::Match>& matches,
                 std::map<std::string, double>& topic_scores) {
    digest::Story& story = candidate.story;
    double item_score = 0;
    for (const auto& match : matches) {
        item_score += match.score;
        add_unique(story.topics, match.topic);
        if (!match.topic.empty())
            topic_scores[match.topic] += match.score;
        digest::RuleEvidence evidence{match.rule_id, {}};
        const auto json = nlohmann::json::parse(match.evidence_json, nullptr, false);
        if (json.is_object()) {
            for (const auto& e : json.value("evidence", nlohmann::json::array())) {
                if (e.is_object())
                    add_unique(evidence.terms, e.value("term", std::string()));
            }
            for (const auto& entity : json.value("entities", nlohmann::json::array())) {
                if (!entity.is_object())
                    continue;
                const std::string name = entity.value("name", std::string());
                add_unique(candidate.entities, name);
                if (entity.value("kind", std::string()) == match::kCompanyEntity)
                    add_unique(story.companies, name);
            }
        }
        add_evidence(story, std::move(evidence));
    }
    story.score = std::max(story.score, item_score);
}

// Tags of every source, looked up once per call.
class SourceTags {
  public:
    explicit SourceTags(store::Store& store) {
        for (const auto& source : store.list_sources(true))
            tags_[source.id] = source.spec.tags;
    }
    const std::vector<std::string>& of(store::SourceId id) const {
        static const std::vector<std::string> none;
        const auto it = tags_.find(id);
        return it == tags_.end() ? none : it->second;
    }

  private:
    std::map<store::SourceId, std::vector<std::string>> tags_;
};

// Every source that carried one of the story's items, first first, each with its own link.
void add_sources(store::Store& store, const SourceTags& tags, digest::CandidateStory& candidate,
                 const std::vector<store::ItemId>& members) {
    for (const store::ItemId member : members) {
        const auto item = store.item(member);
        const auto provenance = store.provenance(member);
        if (!item || !provenance)
            continue;
        auto add = [&](const store::Sighting& sighting) {
            const bool known = std::any_of(
                candidate.story.sources.begin(), candidate.story.sources.end(),
                [&](const digest::SourceRef& s) { return s.name == sighting.source_name; });
            if (!known) {
                candidate.story.sources.push_back(
                    {sighting.source_name, sighting.link.empty() ? item->link : sighting.link});
            }
            for (const auto& tag : tags.of(sighting.source))
                add_unique(candidate.source_tags, tag);
        };
        add(provenance->first);
        for (const auto& other : provenance->others)
            add(other);
    }
}

// Words of Latin-script text (lower-cased ASCII letters and digits, other letters kept as
// they are), and pairs of neighbouring characters of Chinese and Japanese text, which has no
// spaces between words.
std::set<std::string> story_words(const digest::CandidateStory& candidate) {
    std::string text =
        candidate.story.title + "\n" +
        candidate.text.substr(0, std::min(candidate.text.size(), kSameStoryTextBytes));
    std::set<std::string> words;
    std::string word;
    std::string previous_ideograph;
    auto end_word = [&] {
        if (word.size() > 1)
            words.insert(word);
        word.clear();
    };
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        length = std::min(length, text.size() - i);
        const std::string character = text.substr(i, length);
        i += length;
        if (length == 1) {
            previous_ideograph.clear();
            if (std::isalnum(c))
                word += static_cast<char>(std::tolower(c));
            else
                end_word();
            continue;
        }
        // Three-byte UTF-8 from U+3040 (kana, CJK ideographs, full-width forms): no spaces.
        const bool ideograph =
            length == 3 &&
            (c > 0xE3 || (c == 0xE3 && static_cast<unsigned char>(character[1]) >= 0x81));
        if (!ideograph) {
            word += character;  // a letter of another script: part of the word
            continue;
        }
        end_word();
        if (!previous_ideograph.empty())
            words.insert(previous_ideograph + character);
        previous_ideograph = character;
    }
    end_word();
    return words;
}

// `b`'s sources, items, rules and companies join `a`, which keeps its title and link.
void merge_into(digest::CandidateStory& a, digest::CandidateStory&& b) {
    for (auto& source : b.story.sources) {
        const bool known =
            std::any_of(a.story.sources.begin(), a.story.sources.end(),
                        [&](const digest::SourceRef& s) { return s.name == source.name; });
        if (!known)
            a.story.sources.push_back(std::move(source));
    }
    for (const auto& tag : b.source_tags)
        add_unique(a.source_tags, tag);
    a.items.insert(a.items.end(), b.items.begin(), b.items.end());
    for (const auto& topic : b.story.topics)
        add_unique(a.story.topics, topic);
    for (auto& evidence : b.story.matches)
        add_evidence(a.story, std::move(evidence));
    for (const auto& company : b.story.companies)
        add_unique(a.story.companies, company);
    for (const auto& entity : b.entities)
        add_unique(a.entities, entity);
    a.story.score = std::max(a.story.score, b.story.score);
    a.story.first_seen = std::min(a.story.first_seen, b.story.first_seen);
    if (b.story.nearest_seed && (!a.story.nearest_seed || b.story.nearest_seed->similarity >
                                                              a.story.nearest_seed->similarity))
        a.story.nearest_seed = b.story.nearest_seed;
}

// Each candidate joins the first earlier one that tells the same story (compared as it was
// told, before anything joined it, so that no chain of small likenesses merges unrelated
// stories).
std::vector<digest::CandidateStory> merge_same_stories(std::vector<digest::CandidateStory> all) {
    const SameStoryFinder finder(all);
    std::vector<std::size_t> kept;  // indices into `all` of the stories kept
    std::vector<std::size_t> merged_into(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        const auto same = std::find_if(kept.begin(), kept.end(),
                                       [&](std::size_t k) { return finder.same(k, i); });
        merged_into[i] = same == kept.end() ? i : *same;
        if (same == kept.end())
            kept.push_back(i);
    }
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (merged_into[i] != i)
            merge_into(all[merged_into[i]], std::move(all[i]));
    }
    std::vector<digest::CandidateStory> merged;
    merged.reserve(kept.size());
    for (const std::size_t k : kept)
        merged.push_back(std::move(all[k]));
    return merged;
}

}  // namespace

std::vector<store::ItemId> matched_items_between(store::Store& store, UtcTime since, UtcTime until,
                                                 std::size_t limit) {
    store::ItemQuery query;
    query.since = since;
    query.matched_only = true;
    query.limit = limit;
    std::vector<std::pair<UtcTime, store::ItemId>> found;
    for (const auto& item : store.list_items(query)) {
        if (item.first_seen < until)
            found.emplace_back(item.first_seen, item.id);
    }
    std::sort(found.begin(), found.end());
    std::vector<store::ItemId> ids;
    ids.reserve(found.size());
    for (const auto& entry : found)
        ids.push_back(entry.second);
    return ids;
}

std::vector<store::ItemId> undelivered_items(store::Store& store, const std::string& channel,
                                             UtcTime since, UtcTime until) {
    const auto undelivered = store.undelivered_matched_items(channel, since);
    const std::set<store::ItemId> pending(undelivered.begin(), undelivered.end());
    std::vector<store::ItemId> ids;
    for (const store::ItemId id : matched_items_between(store, since, until)) {
        if (pending.count(id) > 0)
            ids.push_back(id);
    }
    return ids;
}

std::vector<digest::CandidateStory> candidate_stories(store::Store& store,
                                                      const std::vector<store::ItemId>& ids) {
    std::vector<store::Item> items;
    for (const store::ItemId id : ids) {
        if (auto item = store.item(id))
            items.push_back(std::move(*item));
    }
    // Oldest first, so that stories come in the order they were first reported.
    std::sort(items.begin(), items.end(), [](const store::Item& a, const store::Item& b) {
        return a.first_seen != b.first_seen ? a.first_seen < b.first_seen : a.id < b.id;
    });

    const SourceTags tags(store);
    std::map<store::StoryId, std::size_t> index_of_story;
    std::vector<digest::CandidateStory> candidates;
    std::vector<std::map<std::string, double>> topic_scores;
    for (const auto& item : items) {
        const store::StoryId story_id = item.story != 0 ? item.story : -item.id;
        auto [slot, inserted] = index_of_story.emplace(story_id, candidates.size());
        if (inserted) {
            std::vector<store::ItemId> members{item.id};
            std::optional<store::Story> story;
            if (item.story != 0)
                story = store.story(item.story);
            if (story && !story->members.empty()) {
                members = story->members;
                if (members.size() > kMaxStoryMembers)
                    members.resize(kMaxStoryMembers);
            }
            // Titled and linked after the story's first report, wherever it came from.
            std::optional<store::Item> first;
            if (members.front() != item.id)
                first = store.item(members.front());
            const store::Item& lead = first ? *first : item;
            digest::CandidateStory candidate;
            candidate.story.id = story_id;
            candidate.story.title = lead.title;
            candidate.story.link = lead.link;
            candidate.story.first_seen =
                std::min(item.first_seen, story ? story->first_seen : item.first_seen);
            candidate.story.published = lead.published ? lead.published : lead.updated;
            candidate.text = lead.summary.empty() ? lead.content : lead.summary;
            if (candidate.text.empty())
                candidate.text = item.summary.empty() ? item.content : item.summary;
            add_sources(store, tags, candidate, members);
            candidates.push_back(std::move(candidate));
            topic_scores.emplace_back();
        }
        auto& candidate = candidates[slot->second];
        candidate.items.push_back(item.id);
        add_matches(candidate, store.matches_for(item.id), topic_scores[slot->second]);
        if (item.corpus && item.corpus->score >= store::kCorpusRelatedScore &&
            (!candidate.story.nearest_seed ||
             item.corpus->score > candidate.story.nearest_seed->similarity)) {
            if (const auto seed = store.item(item.corpus->document)) {
                candidate.story.nearest_seed = digest::SeedReference{
                    seed->title, seed->link.empty() ? seed->key : seed->link, item.corpus->score};
            }
        }
    }
    // The topic that scored most comes first: the digest lists a story under it.
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const auto& scores = topic_scores[i];
        std::stable_sort(candidates[i].story.topics.begin(), candidates[i].story.topics.end(),
                         [&scores](const std::string& a, const std::string& b) {
                             const auto sa = scores.find(a);
                             const auto sb = scores.find(b);
                             return (sa == scores.end() ? 0.0 : sa->second) >
                                    (sb == scores.end() ? 0.0 : sb->second);
                         });
    }
    return merge_same_stories(std::move(candidates));
}

std::vector<digest::CandidateStory> candidate_stories(store::Store& store, UtcTime since,
                                                      UtcTime until, std::size_t limit) {
    return candidate_stories(store, matched_items_between(store, since, until, limit));
}

SameStoryFinder::SameStoryFinder(const std::vector<digest::CandidateStory>& candidates) {
    words_.reserve(candidates.size());
    for (const auto& candidate : candidates) {
        words_.push_back(story_words(candidate));
        entities_.push_back(candidate.entities);
        for (const auto& word : words_.back())
            ++documents_with_[word];
    }
}

double SameStoryFinder::weight(const std::string& word) const {
    const auto it = documents_with_.find(word);
    const double with = it == documents_with_.end() ? 1.0 : static_cast<double>(it->second);
    return std::log(1.0 + static_cast<double>(words_.size()) / with);
}

bool SameStoryFinder::same(std::size_t a, std::size_t b) const {
    // About other companies or places: another story, however alike the words.
    const auto& ea = entities_[a];
    const auto& eb = entities_[b];
    if (!ea.empty() && !eb.empty()) {
        const auto common = static_cast<std::size_t>(
            std::count_if(ea.begin(), ea.end(), [&eb](const std::string& e) {
                return std::find(eb.begin(), eb.end(), e) != eb.end();
            }));
        if (static_cast<double>(common) <
            kSameStoryEntityOverlap * static_cast<double>(ea.size() + eb.size() - common))
            return false;
    }
    std::size_t shared = 0;
    double shared_weight = 0;
    double either_weight = 0;
    for (const auto& word : words_[a]) {
        const double w = weight(word);
        either_weight += w;
        if (words_[b].count(word) > 0) {
            ++shared;
            shared_weight += w;
        }
    }
    for (const auto& word : words_[b]) {
        if (words_[a].count(word) == 0)
            either_weight += weight(word);
    }
    return shared >= kSameStoryMinShared && shared_weight >= kSameStoryOverlap * either_weight;
}

bool same_story(const digest::CandidateStory& a, const digest::CandidateStory& b) {
    return SameStoryFinder({a, b}).same(0, 1);
}

std::vector<digest::SourceHealthNote> source_health_notes(store::Store& store, UtcTime since,
                                                          UtcTime now) {
    using digest::SourceHealthKind;
    std::vector<digest::SourceHealthNote> notes;
    for (const auto& source : store.list_sources()) {
        if (source.spec.kind != store::SourceKind::feed || !source.spec.enabled)
            continue;
        const auto& health = source.health;
        const std::string name =
            source.spec.name.empty() ? redact_secrets(source.spec.url) : source.spec.name;
        if (!source.disabled_reason.empty()) {
            if (source.disabled_at && *source.disabled_at >= since) {
                notes.push_back({name, SourceHealthKind::disabled,
                                 redact_secrets(source.disabled_reason), *source.disabled_at});
            }
            continue;
        }
        if (health.consecutive_failures > 0) {
            std::string detail =
                health.last_error.empty() ? "failing" : redact_secrets(health.last_error);
            detail += " (" + std::to_string(health.consecutive_failures) +
                      (health.consecutive_failures == 1 ? " attempt)" : " attempts in a row)");
            notes.push_back({name, SourceHealthKind::failed, detail,
                             health.last_success.value_or(source.created)});
        } else if (health.silent && health.last_new_item) {
            const auto days =
                std::chrono::duration_cast<std::chrono::days>(now - *health.last_new_item).count();
            notes.push_back({name, SourceHealthKind::silent,
                             days >= 1 ? "nothing new for " + std::to_string(days) +
                                             (days == 1 ? " day, longer than usual"
                                                        : " days, longer than usual")
                                       : "nothing new for longer than usual",
                             *health.last_new_item});
        }
    }
    for (const auto& move : store.source_moves_since(since))
        notes.push_back({move.name, SourceHealthKind::moved,
                         "now at " + redact_secrets(move.new_url), move.moved});
    return notes;
}

}  // namespace chuhai::app
