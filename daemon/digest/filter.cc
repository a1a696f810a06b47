#include "digest/filter.h"

#include <algorithm>

namespace chuhai::digest {

namespace {

bool intersects(const std::vector<std::string>& wanted, const std::vector<std::string>& have) {
    if (wanted.empty())
        return true;
    for (const auto& w : wanted) {
        if (std::find(have.begin(), have.end(), w) != have.end())
            return true;
    }
    return false;
}

bool matched_by_any(const std::vector<std::string>& rules, const std::vector<RuleEvidence>& have) {
    if (rules.empty())
        return true;
    for (const auto& evidence : have) {
        if (std::find(rules.begin(), rules.end(), evidence.rule) != rules.end())
            return true;
    }
    return false;
}

}  // namespace

bool passes(const ChannelFilter& filter, const CandidateStory& candidate) {
    const Story& story = candidate.story;
    return story.score >= filter.min_score && intersects(filter.topics, story.topics) &&
           matched_by_any(filter.rules, story.matches) &&
           intersects(filter.source_tags, candidate.source_tags);
}

std::vector<const CandidateStory*> select_stories(const ChannelFilter& filter,
                                                  const std::vector<CandidateStory>& candidates,
                                                  int* omitted) {
    std::vector<const CandidateStory*> selected;
    for (const auto& candidate : candidates) {
        if (passes(filter, candidate))
            selected.push_back(&candidate);
    }
    std::stable_sort(selected.begin(), selected.end(),
                     [](const CandidateStory* a, const CandidateStory* b) {
                         if (a->story.score != b->story.score)
                             return a->story.score > b->story.score;
                         if (a->story.first_seen != b->story.first_seen)
                             return a->story.first_seen < b->story.first_seen;
                         return a->story.id < b->story.id;
                     });
    const std::size_t passed = selected.size();
    if (selected.size() > filter.max_stories)
        selected.resize(filter.max_stories);
    if (omitted != nullptr)
        *omitted = static_cast<int>(passed - selected.size());
    return selected;
}

}  // namespace chuhai::digest
