#pragma once
// The digest model: what one channel's reader gets for one period, independent of how it is
// rendered (text, HTML, JSON, Slack, Discord) or delivered. Built by build_digest()
// (digest/build.h) from stories the store hands over; every string is UTF-8 as it came from the
// feeds, unescaped — renderers escape for their format.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"
#include "digest/schedule.h"

namespace chuhai::digest {

struct SourceRef {
    std::string name;  // the source's display name ("Reuters")
    std::string link;  // the item's link at that source
};

// One rule that matched a story and the terms it found.
struct RuleEvidence {
    std::string rule;
    std::vector<std::string> terms;
};

// The seed-corpus document nearest to a story, when the store judged it relevant.
struct SeedReference {
    std::string title;
    std::string reference;  // a link or the corpus path
    double similarity = 0;  // 0..1
};

struct Story {
    std::int64_t id = 0;  // the store's story id
    std::string title;
    std::string link;                // the first source's link
    std::vector<SourceRef> sources;  // first source first
    UtcTime first_seen{};
    std::optional<UtcTime> published;
    std::string excerpt;  // one or two plain sentences
    double score = 0;
    std::vector<std::string> topics;
    std::vector<RuleEvidence> matches;
    std::vector<std::string> companies;  // canonical names from the rule lists
    std::optional<SeedReference> nearest_seed;
};

struct TopicSection {
    std::string topic;
    std::vector<Story> stories;  // by score, highest first
};

// A count in this period against the previous one; the trend is the sign of the difference.
struct CountChange {
    std::string name;
    int current = 0;
    int previous = 0;
    int change() const { return current - previous; }
};

// Mentions of one company in each of Digest::chart_periods (oldest first).
struct CompanySeries {
    std::string company;
    std::vector<int> mentions;
};

enum class SourceHealthKind { failed, moved, silent, disabled };
const char* to_string(SourceHealthKind kind);

// Something the reader should know about a source since the last digest.
struct SourceHealthNote {
    std::string source;
    SourceHealthKind kind = SourceHealthKind::failed;
    std::string detail;  // "HTTP 404 since Monday", "now at https://…", "no items for 9 days"
    UtcTime since{};
};

struct Digest {
    // Stable for a channel and period: the outbox key, the Message-ID's local part and the
    // webhook idempotency key, so a resend after a crash carries the same identity.
    std::string id;
    std::string channel;
    Period period;
    UtcTime generated{};
    TimeZone zone;  // for printing times

    std::vector<TopicSection> topics;         // sections in topic order of the header
    std::vector<CountChange> topic_counts;    // most mentioned first
    std::vector<CountChange> company_counts;  // most mentioned first
    std::vector<Period> chart_periods;        // oldest first, the current period last
    std::vector<CompanySeries> chart;         // most mentioned first
    std::vector<SourceHealthNote> source_health;

    int story_count() const;
    int omitted_stories = 0;  // matched the filters but beyond the channel's maximum
    bool empty() const { return story_count() == 0; }
};

// "<channel slug>-<hash>-<start>-<end>", e.g.
// "daily-en-1a2b3c4d-20250701t000000z-20250702t000000z", made of [a-z0-9-] only so it fits a
// Message-ID, an HTTP header and a file name. The hash of the exact channel name keeps channels
// whose slugs coincide apart.
std::string make_digest_id(std::string_view channel, const Period& period);

// The channel name as a lower-case ASCII slug ("Daily (EN)" -> "daily-en"), at most 40
// characters, "channel" when nothing is left; followed by "-" and 8 hex digits of a hash of the
// exact name, so two channels never share one.
std::string channel_slug(std::string_view channel);

}  // namespace chuhai::digest
