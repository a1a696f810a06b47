#include "digest/build.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <set>

#include "digest/text_layout.h"

namespace chuhai::digest {

namespace {

// The topics of a story that the channel shows, in the story's order.
std::vector<std::string> accepted_topics(const ChannelFilter& filter, const Story& story) {
    std::vector<std::string> topics;
    for (const auto& topic : story.topics) {
        const bool accepted =
            filter.topics.empty() ||
            std::find(filter.topics.begin(), filter.topics.end(), topic) != filter.topics.end();
        if (accepted && std::find(topics.begin(), topics.end(), topic) == topics.end())
            topics.push_back(topic);
    }
    return topics;
}

std::vector<std::string> unique(const std::vector<std::string>& values) {
    std::vector<std::string> out;
    for (const auto& v : values) {
        const std::string clean = single_line(v);
        if (!clean.empty() && std::find(out.begin(), out.end(), clean) == out.end())
            out.push_back(clean);
    }
    return out;
}

Story cleaned(const CandidateStory& candidate, std::size_t excerpt_chars) {
    Story story = candidate.story;
    story.title = single_line(story.title);
    story.link = single_line(story.link);
    for (auto& source : story.sources) {
        source.name = single_line(source.name);
        source.link = single_line(source.link);
    }
    story.excerpt = story.excerpt.empty() ? make_excerpt(candidate.text, excerpt_chars)
                                          : make_excerpt(story.excerpt, excerpt_chars);
    story.topics = unique(story.topics);
    story.companies = unique(story.companies);
    for (auto& evidence : story.matches) {
        evidence.rule = single_line(evidence.rule);
        evidence.terms = unique(evidence.terms);
    }
    if (story.nearest_seed) {
        story.nearest_seed->title = single_line(story.nearest_seed->title);
        story.nearest_seed->reference = single_line(story.nearest_seed->reference);
    }
    if (story.link.empty() && !story.sources.empty())
        story.link = story.sources.front().link;
    return story;
}

std::vector<CountChange> compare(const std::map<std::string, int>& current,
                                 const std::map<std::string, int>* previous) {
    std::vector<CountChange> changes;
    for (const auto& [name, n] : current)
        changes.push_back(CountChange{name, n, 0});
    if (previous != nullptr) {
        // Not a structured binding: clang 14 cannot capture one in the lambda.
        for (const auto& entry : *previous) {
            const std::string& name = entry.first;
            auto it = std::find_if(changes.begin(), changes.end(),
                                   [&name](const CountChange& c) { return c.name == name; });
            if (it == changes.end())
                changes.push_back(CountChange{name, 0, entry.second});
            else
                it->previous = entry.second;
        }
    }
    std::sort(changes.begin(), changes.end(), [](const CountChange& a, const CountChange& b) {
        if (a.current != b.current)
            return a.current > b.current;
        if (a.previous != b.previous)
            return a.previous > b.previous;
        return a.name < b.name;
    });
    return changes;
}

}  // namespace

MentionCounts count_mentions(const ChannelFilter& filter,
                             const std::vector<CandidateStory>& candidates) {
    MentionCounts counts;
    for (const auto& candidate : candidates) {
        if (!passes(filter, candidate))
            continue;
        // Once, under the topic whose section lists it, so that the header's counts add up to
        // the sections below them.
        const auto topics = accepted_topics(filter, candidate.story);
        ++counts.topics[topics.empty() ? std::string(kOtherTopic) : single_line(topics.front())];
        for (const auto& company : unique(candidate.story.companies))
            ++counts.companies[company];
    }
    return counts;
}

Digest build_digest(const DigestInputs& in) {
    Digest digest;
    digest.channel = single_line(in.channel);
    digest.period = in.period;
    digest.generated = in.generated;
    digest.zone = in.zone;
    digest.id = make_digest_id(in.channel, in.period);
    digest.source_health = in.source_health;
    for (auto& note : digest.source_health) {
        note.source = single_line(note.source);
        note.detail = single_line(note.detail);
    }

    const auto selected = select_stories(in.filter, in.candidates, &digest.omitted_stories);
    for (const CandidateStory* candidate : selected) {
        Story story = cleaned(*candidate, in.excerpt_chars);
        const auto topics = accepted_topics(in.filter, story);
        const std::string section = topics.empty() ? kOtherTopic : topics.front();
        auto it = std::find_if(digest.topics.begin(), digest.topics.end(),
                               [&](const TopicSection& s) { return s.topic == section; });
        if (it == digest.topics.end()) {
            digest.topics.push_back(TopicSection{section, {}});
            it = digest.topics.end() - 1;
        }
        // `selected` is ranked, so each section stays ranked and the first story is its best.
        it->stories.push_back(std::move(story));
    }
    std::stable_sort(digest.topics.begin(), digest.topics.end(),
                     [](const TopicSection& a, const TopicSection& b) {
                         return a.stories.front().score > b.stories.front().score;
                     });

    const MentionCounts current = count_mentions(in.filter, in.candidates);
    const MentionCounts* previous = in.history.empty() ? nullptr : &in.history.back().counts;
    digest.topic_counts = compare(current.topics, previous ? &previous->topics : nullptr);
    digest.company_counts = compare(current.companies, previous ? &previous->companies : nullptr);

    // The chart: every period of the history plus the current one, companies by total.
    for (const auto& earlier : in.history)
        digest.chart_periods.push_back(earlier.period);
    digest.chart_periods.push_back(in.period);
    std::map<std::string, int> totals;
    for (const auto& earlier : in.history) {
        for (const auto& [company, n] : earlier.counts.companies)
            totals[company] += n;
    }
    for (const auto& [company, n] : current.companies)
        totals[company] += n;
    std::vector<std::pair<std::string, int>> ranked(totals.begin(), totals.end());
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [company, total] : ranked) {
        if (digest.chart.size() >= in.chart_companies || total == 0)
            break;
        CompanySeries series{company, {}};
        for (const auto& earlier : in.history) {
            const auto it = earlier.counts.companies.find(company);
            series.mentions.push_back(it == earlier.counts.companies.end() ? 0 : it->second);
        }
        const auto it = current.companies.find(company);
        series.mentions.push_back(it == current.companies.end() ? 0 : it->second);
        digest.chart.push_back(std::move(series));
    }
    return digest;
}

int Digest::story_count() const {
    int n = 0;
    for (const auto& section : topics)
        n += static_cast<int>(section.stories.size());
    return n;
}

const char* to_string(SourceHealthKind kind) {
    switch (kind) {
        case SourceHealthKind::failed:
            return "failed";
        case SourceHealthKind::moved:
            return "moved";
        case SourceHealthKind::silent:
            return "silent";
        case SourceHealthKind::disabled:
            return "disabled";
    }
    return "unknown";
}

std::string channel_slug(std::string_view channel) {
    std::string slug;
    for (char c : channel) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        const bool upper = c >= 'A' && c <= 'Z';
        if (alnum || upper)
            slug += upper ? static_cast<char>(c - 'A' + 'a') : c;
        else if (!slug.empty() && slug.back() != '-')
            slug += '-';
        if (slug.size() >= 40)
            break;
    }
    while (!slug.empty() && slug.back() == '-')
        slug.pop_back();
    if (slug.empty())
        slug = "channel";
    // FNV-1a over the exact bytes of the name.
    std::uint32_t hash = 2166136261u;
    for (unsigned char c : channel) {
        hash ^= c;
        hash *= 16777619u;
    }
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", hash);
    return slug + "-" + hex;
}

std::string make_digest_id(std::string_view channel, const Period& period) {
    auto compact = [](UtcTime t) {
        std::string s = format_rfc3339(t);  // 2025-07-01T08:00:00Z
        std::erase(s, '-');
        std::erase(s, ':');
        for (auto& c : s)
            c = (c == 'T' || c == 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        return s;
    };
    return channel_slug(channel) + "-" + compact(period.start) + "-" + compact(period.end);
}

}  // namespace chuhai::digest
