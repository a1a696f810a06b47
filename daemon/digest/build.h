#pragma once
// Turning the stories the store hands over for one channel and period into a Digest: filters
// applied, stories grouped by topic and ranked, counts against the previous period, the mentions
// chart and the source-health footer. A pure function: same inputs, same digest.

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "digest/digest.h"
#include "digest/filter.h"

namespace chuhai::digest {

// How often topics and companies came up among the stories that pass a channel's filters
// (max_stories does not apply: counts describe the period, not the digest's length). Each story
// counts once for a topic, the one whose section it is listed under (its first accepted topic,
// or kOtherTopic), so the topic counts add up to the stories; and once for each company.
struct MentionCounts {
    std::map<std::string, int> topics;
    std::map<std::string, int> companies;
};

MentionCounts count_mentions(const ChannelFilter& filter,
                             const std::vector<CandidateStory>& candidates);

// Counts for one earlier period, for the comparison and the chart.
struct PeriodCounts {
    Period period;
    MentionCounts counts;
};

struct DigestInputs {
    std::string channel;
    Period period;
    UtcTime generated{};
    TimeZone zone;
    ChannelFilter filter;
    // Stories of the period not yet sent on this channel (the store guarantees the latter).
    std::vector<CandidateStory> candidates;
    // Earlier periods, oldest first (see recent_periods()); the last one is "the previous
    // period" of the header. May be empty (a new channel): everything then counts as up.
    std::vector<PeriodCounts> history;
    std::vector<SourceHealthNote> source_health;
    std::size_t chart_companies = 8;  // companies shown in the chart, most mentioned first
    std::size_t excerpt_chars = 280;  // for excerpts made here from CandidateStory::text
};

// Builds the digest. Each story appears once, in the section of its first topic that the
// channel's filter accepts (topic-less stories go to "Other"); sections are ordered by their
// best story's score. Titles, names and excerpts are made single-line (digest/text_layout.h);
// a story without an excerpt gets one from CandidateStory::text.
Digest build_digest(const DigestInputs& inputs);

// The section name of stories without a topic.
inline constexpr const char* kOtherTopic = "Other";

}  // namespace chuhai::digest
