#pragma once
// Which stories a channel wants: the `filters` of a channel, as a value, and the function that
// applies them. Empty lists mean "no restriction".

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "digest/digest.h"

namespace chuhai::digest {

struct ChannelFilter {
    std::vector<std::string> topics;       // a story must carry at least one of them
    std::vector<std::string> rules;        // ... and be matched by at least one of these rules
    double min_score = 0;                  // ... and score at least this much
    std::vector<std::string> source_tags;  // ... and come from a source with one of these tags
    std::size_t max_stories = 50;          // per digest; the rest is counted as omitted
    bool send_empty = false;               // send a digest even when no story qualifies
};

// What the store hands over for one story: the story as the digest shows it, plus what filters
// and excerpts need but readers do not see.
struct CandidateStory {
    Story story;
    std::vector<std::string> source_tags;  // tags of every source that carried it
    std::string text;  // plain text of the first item (summary or content), for the excerpt
    // The store's items this story stands for in its period: what the outbox records as carried
    // when the story goes out on a channel.
    std::vector<std::int64_t> items;
    // Every entity the story mentions (companies, places, products), to tell apart stories
    // whose words are alike but whose who and where are not.
    std::vector<std::string> entities;
};

// Whether a story passes every filter except max_stories. Topic, rule and tag comparisons are
// exact (the config stage canonicalises names).
bool passes(const ChannelFilter& filter, const CandidateStory& candidate);

// The stories that pass, best first (score descending, then earliest first seen, then id), cut
// to max_stories; `omitted` receives how many passed but were cut.
std::vector<const CandidateStory*> select_stories(const ChannelFilter& filter,
                                                  const std::vector<CandidateStory>& candidates,
                                                  int* omitted = nullptr);

}  // namespace chuhai::digest
