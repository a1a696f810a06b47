// The plain-text rendering: what text-only mail readers and `chuhai digest preview --text` show.

#include <algorithm>
#include <array>

#include "digest/render.h"
#include "digest/render_common.h"
#include "digest/text_layout.h"

namespace chuhai::digest {

namespace {

constexpr std::size_t kWidth = 78;
constexpr std::size_t kStoryIndent = 4;
constexpr std::size_t kBarColumns = 24;
constexpr std::size_t kMaxLabelColumns = 18;
constexpr std::size_t kHeaderCounts = 8;

constexpr std::array<std::string_view, 8> kLevels = {"\xE2\x96\x81", "\xE2\x96\x82", "\xE2\x96\x83",
                                                     "\xE2\x96\x84", "\xE2\x96\x85", "\xE2\x96\x86",
                                                     "\xE2\x96\x87", "\xE2\x96\x88"};  // ▁ … █
constexpr std::string_view kFullBlock = "\xE2\x96\x88";
constexpr std::string_view kZero = "\xC2\xB7";  // ·

// Appends `text` wrapped to the page width, the first line after `first_prefix`, the others
// indented to the same column.
void append_wrapped(std::string& out, std::string_view first_prefix, std::string_view text) {
    const std::size_t indent = display_width(first_prefix);
    const std::size_t room = kWidth > indent + 20 ? kWidth - indent : 20;
    const auto lines = wrap(text, room);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        out += i == 0 ? std::string(first_prefix) : std::string(indent, ' ');
        out += lines[i];
        out += '\n';
    }
    if (lines.empty()) {
        out += first_prefix;
        out += '\n';
    }
}

// Appends items joined by " · ", breaking lines only between items (an item longer than a line
// is wrapped on its own), so "published 2025-07-01 09:30 CST" or "MiniMax 0 ▼ -1" stay whole.
void append_items(std::string& out, std::string_view first_prefix,
                  const std::vector<std::string>& items) {
    constexpr std::string_view kSeparator = " \xC2\xB7 ";
    const std::size_t indent = display_width(first_prefix);
    const std::size_t room = kWidth > indent + 20 ? kWidth - indent : 20;
    std::string line;
    std::size_t width = 0;
    bool first_line = true;
    auto flush = [&] {
        out += first_line ? std::string(first_prefix) : std::string(indent, ' ');
        out += line;
        out += '\n';
        line.clear();
        width = 0;
        first_line = false;
    };
    for (const auto& item : items) {
        const std::size_t item_width = display_width(item);
        if (!line.empty() && width + 3 + item_width > room)
            flush();
        if (item_width > room) {
            for (const auto& piece : wrap(item, room)) {
                if (!line.empty())
                    flush();
                line = piece;
                width = display_width(piece);
            }
            continue;
        }
        if (!line.empty()) {
            line += kSeparator;
            width += 3;
        }
        line += item;
        width += item_width;
    }
    if (!line.empty() || first_line)
        flush();
}

std::vector<std::string> count_items(const std::vector<CountChange>& counts, std::size_t max) {
    std::vector<std::string> items;
    for (std::size_t i = 0; i < counts.size() && i < max; ++i) {
        items.push_back(counts[i].name + " " + std::to_string(counts[i].current) + " " +
                        detail::trend_text(counts[i]));
    }
    if (counts.size() > max)
        items.push_back(detail::concat({"+", std::to_string(counts.size() - max), " more"}));
    return items;
}

void append_chart(std::string& out, const Digest& digest) {
    if (digest.chart.empty() || digest.chart_periods.empty())
        return;
    int max_value = 0;
    std::size_t label_width = 0;
    for (const auto& series : digest.chart) {
        for (int v : series.mentions)
            max_value = std::max(max_value, v);
        label_width =
            std::max(label_width, std::min(display_width(series.company), kMaxLabelColumns));
    }
    const auto& periods = digest.chart_periods;
    out += "Mentions per company, " + detail::period_label(digest, periods.front()) +
           " \xE2\x86\x92 " + detail::period_label(digest, periods.back()) + " (" +
           std::to_string(periods.size()) + (periods.size() == 1 ? " period" : " periods") +
           "; the bar is the latest)\n";
    for (const auto& series : digest.chart) {
        std::string line =
            "  " + pad_to_width(truncate_to_width(series.company, kMaxLabelColumns), label_width);
        line += "  ";
        for (int v : series.mentions) {
            if (v <= 0 || max_value == 0) {
                line += kZero;
                continue;
            }
            const auto level = static_cast<std::size_t>((v * 8 + max_value - 1) / max_value);
            line += kLevels[std::clamp<std::size_t>(level, 1, 8) - 1];
        }
        const int latest = series.mentions.empty() ? 0 : series.mentions.back();
        const std::string count = std::to_string(latest);
        line += "  " + std::string(count.size() < 4 ? 4 - count.size() : 0, ' ') + count;
        const std::size_t bar =
            max_value == 0
                ? 0
                : static_cast<std::size_t>((static_cast<std::size_t>(latest) * kBarColumns +
                                            static_cast<std::size_t>(max_value) - 1) /
                                           static_cast<std::size_t>(max_value));
        if (bar > 0)
            line += ' ';
        for (std::size_t i = 0; i < bar; ++i)
            line += kFullBlock;
        out += line + '\n';
    }
    out += '\n';
}

void append_story(std::string& out, const Digest& digest, const Story& story, int number) {
    std::string prefix = std::to_string(number) + ". ";
    prefix.insert(0, prefix.size() < kStoryIndent ? kStoryIndent - prefix.size() : 0, ' ');
    append_wrapped(out, prefix, story.title.empty() ? "(untitled)" : story.title);
    const std::string indent(kStoryIndent, ' ');
    // Only web links are shown: a javascript: or data: "link" from a feed is not for clicking.
    if (detail::is_web_link(story.link))
        out += indent + story.link + '\n';
    std::vector<std::string> meta;
    if (const std::string sources = summarize_sources(story.sources); !sources.empty())
        meta.push_back(sources);
    meta.push_back("first seen " + detail::local_time(digest, story.first_seen));
    if (story.published)
        meta.push_back("published " + detail::local_time(digest, *story.published));
    meta.push_back("score " + detail::score_text(story.score));
    append_items(out, indent, meta);
    if (!story.excerpt.empty())
        append_wrapped(out, indent, story.excerpt);
    const std::string evidence = detail::evidence_text(story);
    if (!evidence.empty())
        append_wrapped(out, indent, "Matched: " + evidence);
    if (!story.companies.empty()) {
        std::string companies;
        for (const auto& c : story.companies)
            companies += (companies.empty() ? "" : ", ") + c;
        append_wrapped(out, indent, "Companies: " + companies);
    }
    if (story.nearest_seed) {
        append_wrapped(out, indent,
                       "Related: " + story.nearest_seed->title + " \xE2\x80\x94 " +
                           story.nearest_seed->reference + " (similarity " +
                           detail::score_text(story.nearest_seed->similarity) + ")");
    }
    out += '\n';
}

}  // namespace

std::string render_text(const Digest& digest) {
    std::string out;
    append_wrapped(out, "", "chuhai digest: " + digest.channel);
    out += detail::period_text(digest) + '\n';
    const int stories = digest.story_count();
    if (stories == 0) {
        out += "No new stories in this period.\n";
    } else {
        out += std::to_string(stories) + (stories == 1 ? " story" : " stories") + " in " +
               std::to_string(digest.topics.size()) +
               (digest.topics.size() == 1 ? " topic" : " topics") + '\n';
    }
    out += '\n';

    if (!digest.topic_counts.empty())
        append_items(out, "Topics     ", count_items(digest.topic_counts, kHeaderCounts));
    if (!digest.company_counts.empty())
        append_items(out, "Companies  ", count_items(digest.company_counts, kHeaderCounts));
    if (!digest.topic_counts.empty() || !digest.company_counts.empty())
        out += "           (against the previous period)\n\n";
    append_chart(out, digest);

    int number = 0;
    for (const auto& section : digest.topics) {
        const std::string heading =
            section.topic + " (" + std::to_string(section.stories.size()) + ")";
        out += heading + '\n';
        out += std::string(std::min(display_width(heading), kWidth), '=') + "\n\n";
        for (const auto& story : section.stories)
            append_story(out, digest, story, ++number);
    }
    if (digest.omitted_stories > 0) {
        out += std::to_string(digest.omitted_stories) +
               (digest.omitted_stories == 1 ? " more story" : " more stories") +
               " matched but did not fit this digest.\n\n";
    }

    if (!digest.source_health.empty()) {
        out += "Source health since the last digest\n";
        for (const auto& note : digest.source_health) {
            std::string line = note.source + ": " + to_string(note.kind);
            if (!note.detail.empty())
                line += " \xE2\x80\x94 " + note.detail;
            line += " (since " + detail::local_time(digest, note.since) + ")";
            append_wrapped(out, "  - ", line);
        }
        out += '\n';
    }
    out += "-- \nchuhai \xC2\xB7 digest " + digest.id + '\n';
    return out;
}

std::string subject_line(const Digest& digest) {
    const int n = digest.story_count();
    // The period's last day: the end instant is exclusive, so step back one second.
    const std::string day =
        digest.zone.format(digest.period.end - std::chrono::seconds{1}, "%Y-%m-%d");
    return single_line("chuhai digest: " + digest.channel + ", " + day + " (" + std::to_string(n) +
                       (n == 1 ? " story)" : " stories)"));
}

}  // namespace chuhai::digest
