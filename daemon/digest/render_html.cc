// The HTML rendering for mail clients. Mail clients strip <style>, scripts and external
// resources and block images, so everything is nested tables with inline CSS and the chart is
// coloured table cells. Every piece of feed text goes through escape_text(); links only become
// hrefs when detail::is_web_link() accepts them.

#include <algorithm>

#include "digest/render.h"
#include "digest/render_common.h"
#include "digest/text_layout.h"

namespace chuhai::digest {

namespace {

constexpr std::size_t kHeaderCounts = 12;
constexpr int kChartBarPixels = 40;

constexpr const char* kFont = "font-family:Arial,Helvetica,sans-serif;";
constexpr const char* kMuted = "color:#666666;font-size:12px;";
constexpr const char* kUp = "#1a7f37";
constexpr const char* kDown = "#b42318";
constexpr const char* kBar = "#2f6feb";

// Text and attribute values alike: & < > " ' are the five characters that can end either.
std::string escape_text(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            case '\r':
            case '\n':
                out += ' ';
                break;
            default:
                out += c;
        }
    }
    return out;
}

// The escaped text as a link when the target is a web link, else as plain escaped text.
std::string link(std::string_view url, std::string_view text, std::string_view style = {}) {
    if (!detail::is_web_link(url))
        return escape_text(text);
    std::string out = "<a href=\"" + escape_text(url) + "\"";
    if (!style.empty())
        out += " style=\"" + std::string(style) + "\"";
    return out + ">" + escape_text(text) + "</a>";
}

std::string trend_cell(const CountChange& change) {
    const int d = change.change();
    const char* colour = d > 0 ? kUp : d < 0 ? kDown : "#666666";
    return std::string("<span style=\"color:") + colour + ";\">" +
           escape_text(detail::trend_text(change)) + "</span>";
}

void append_counts(std::string& out, const char* title, const std::vector<CountChange>& counts) {
    if (counts.empty())
        return;
    out += "<tr><td style=\"padding:8px 24px 0 24px;";
    out += kFont;
    out += "font-size:13px;\"><strong>";
    out += title;
    out += "</strong> ";
    for (std::size_t i = 0; i < counts.size() && i < kHeaderCounts; ++i) {
        if (i > 0)
            out += " &middot; ";
        out += escape_text(counts[i].name) + " " + std::to_string(counts[i].current) + " " +
               trend_cell(counts[i]);
    }
    if (counts.size() > kHeaderCounts)
        out += " &middot; +" + std::to_string(counts.size() - kHeaderCounts) + " more";
    out += "</td></tr>\n";
}

void append_chart(std::string& out, const Digest& digest) {
    if (digest.chart.empty() || digest.chart_periods.empty())
        return;
    int max_value = 1;
    for (const auto& series : digest.chart)
        for (int v : series.mentions)
            max_value = std::max(max_value, v);

    out += "<tr><td style=\"padding:16px 24px 0 24px;";
    out += kFont;
    out +=
        "\"><div style=\"font-size:13px;font-weight:bold;margin-bottom:4px;\">Mentions per "
        "company</div>\n";
    out +=
        "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
        "style=\"border-collapse:collapse;font-size:11px;\">\n";
    for (const auto& series : digest.chart) {
        out += "<tr><td style=\"padding:2px 8px 2px 0;white-space:nowrap;font-size:12px;\">" +
               escape_text(truncate_to_width(series.company, 24)) + "</td>";
        for (std::size_t i = 0; i < series.mentions.size(); ++i) {
            const int v = series.mentions[i];
            const int height = v <= 0 ? 1 : std::max(2, v * kChartBarPixels / max_value);
            const std::string label = i < digest.chart_periods.size()
                                          ? detail::period_label(digest, digest.chart_periods[i]) +
                                                ": " + std::to_string(v)
                                          : std::to_string(v);
            // A bottom-aligned cell holding a one-cell table whose height is the value.
            out += "<td title=\"" + escape_text(label) +
                   "\" style=\"vertical-align:bottom;padding:0 1px;height:" +
                   std::to_string(kChartBarPixels) +
                   "px;\"><table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" "
                   "border=\"0\" width=\"14\"><tr><td height=\"" +
                   std::to_string(height) + "\" style=\"height:" + std::to_string(height) +
                   "px;font-size:0;line-height:0;background-color:" + (v > 0 ? kBar : "#d0d7de") +
                   ";\">&nbsp;</td></tr></table></td>";
        }
        const int latest = series.mentions.empty() ? 0 : series.mentions.back();
        out += "<td style=\"padding:0 0 0 8px;vertical-align:bottom;font-size:12px;\">" +
               std::to_string(latest) + "</td></tr>\n";
    }
    // Period labels under the columns: the first and the last, which is enough to read it.
    out += "<tr><td></td><td colspan=\"" + std::to_string(digest.chart_periods.size()) +
           "\" style=\"" + kMuted + "padding-top:2px;\">" +
           escape_text(detail::period_label(digest, digest.chart_periods.front())) + " &rarr; " +
           escape_text(detail::period_label(digest, digest.chart_periods.back())) +
           "</td><td></td></tr>\n";
    out += "</table></td></tr>\n";
}

void append_story(std::string& out, const Digest& digest, const Story& story) {
    out += "<tr><td style=\"padding:10px 24px;border-bottom:1px solid #eeeeee;";
    out += kFont;
    out += "\">\n<div style=\"font-size:15px;font-weight:bold;line-height:1.3;\">";
    out += link(story.link, story.title.empty() ? "(untitled)" : story.title,
                "color:#0b57d0;text-decoration:none;");
    out += "</div>\n<div style=\"";
    out += kMuted;
    out += "margin-top:3px;\">";
    // Source names, each linked to its own copy of the story.
    std::vector<std::string> seen;
    std::vector<const SourceRef*> distinct;
    for (const auto& source : story.sources) {
        if (source.name.empty() || std::find(seen.begin(), seen.end(), source.name) != seen.end())
            continue;
        seen.push_back(source.name);
        distinct.push_back(&source);
    }
    const std::size_t named = distinct.size() <= 3 ? distinct.size() : 2;
    for (std::size_t i = 0; i < named; ++i) {
        if (i > 0)
            out += i + 1 == named && named == distinct.size() ? " and " : ", ";
        out += link(distinct[i]->link, distinct[i]->name, "color:#666666;");
    }
    if (named < distinct.size())
        out += " and " + std::to_string(distinct.size() - named) + " more";
    if (!distinct.empty())
        out += " &middot; ";
    out += "first seen " + escape_text(detail::local_time(digest, story.first_seen));
    if (story.published)
        out += " &middot; published " + escape_text(detail::local_time(digest, *story.published));
    out += " &middot; score " + escape_text(detail::score_text(story.score));
    out += "</div>\n";
    if (!story.excerpt.empty()) {
        out += "<div style=\"font-size:14px;line-height:1.45;margin-top:6px;color:#222222;\">" +
               escape_text(story.excerpt) + "</div>\n";
    }
    const std::string evidence = detail::evidence_text(story);
    if (!evidence.empty()) {
        out += "<div style=\"";
        out += kMuted;
        out += "margin-top:4px;\">Matched: " + escape_text(evidence) + "</div>\n";
    }
    if (!story.companies.empty()) {
        std::string companies;
        for (const auto& c : story.companies)
            companies += (companies.empty() ? "" : ", ") + c;
        out += "<div style=\"";
        out += kMuted;
        out += "\">Companies: " + escape_text(companies) + "</div>\n";
    }
    if (story.nearest_seed) {
        out += "<div style=\"";
        out += kMuted;
        out += "\">Related: " +
               link(story.nearest_seed->reference, story.nearest_seed->title, "color:#666666;");
        if (!detail::is_web_link(story.nearest_seed->reference))
            out += " (" + escape_text(story.nearest_seed->reference) + ")";
        out += " &middot; similarity " +
               escape_text(detail::score_text(story.nearest_seed->similarity)) + "</div>\n";
    }
    out += "</td></tr>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
    return escape_text(text);
}

std::string render_html(const Digest& digest) {
    std::string out;
    out.reserve(8192);
    const std::string title = "chuhai digest: " + digest.channel;
    out +=
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
        escape_text(title) +
        "</title></head>\n<body style=\"margin:0;padding:0;background-color:#f4f5f7;\">\n"
        "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" "
        "border=\"0\" style=\"background-color:#f4f5f7;\"><tr><td align=\"center\" "
        "style=\"padding:16px 8px;\">\n"
        "<table role=\"presentation\" width=\"640\" cellpadding=\"0\" cellspacing=\"0\" "
        "border=\"0\" style=\"width:100%;max-width:640px;background-color:#ffffff;"
        "border:1px solid #e1e4e8;\">\n";

    out += "<tr><td style=\"padding:20px 24px 4px 24px;";
    out += kFont;
    out += "\"><div style=\"font-size:20px;font-weight:bold;color:#111111;\">" +
           escape_text(title) + "</div><div style=\"";
    out += kMuted;
    out += "margin-top:4px;\">" + escape_text(detail::period_text(digest)) + " &middot; ";
    const int stories = digest.story_count();
    out += stories == 0 ? std::string("no new stories")
                        : std::to_string(stories) + (stories == 1 ? " story" : " stories");
    out += "</div></td></tr>\n";

    append_counts(out, "Topics", digest.topic_counts);
    append_counts(out, "Companies", digest.company_counts);
    if (!digest.topic_counts.empty() || !digest.company_counts.empty()) {
        out += "<tr><td style=\"padding:2px 24px 0 24px;";
        out += kFont;
        out += kMuted;
        out += "\">Changes against the previous period.</td></tr>\n";
    }
    append_chart(out, digest);

    for (const auto& section : digest.topics) {
        out += "<tr><td style=\"padding:20px 24px 4px 24px;border-bottom:2px solid #111111;";
        out += kFont;
        out += "font-size:16px;font-weight:bold;\">" + escape_text(section.topic) +
               " <span style=\"color:#666666;font-weight:normal;\">(" +
               std::to_string(section.stories.size()) + ")</span></td></tr>\n";
        for (const auto& story : section.stories)
            append_story(out, digest, story);
    }
    if (stories == 0) {
        out += "<tr><td style=\"padding:20px 24px;";
        out += kFont;
        out += "\">No new stories in this period.</td></tr>\n";
    }
    if (digest.omitted_stories > 0) {
        out += "<tr><td style=\"padding:12px 24px;";
        out += kFont;
        out += kMuted;
        out += "\">" + std::to_string(digest.omitted_stories) +
               (digest.omitted_stories == 1 ? " more story" : " more stories") +
               " matched but did not fit this digest.</td></tr>\n";
    }

    if (!digest.source_health.empty()) {
        out += "<tr><td style=\"padding:16px 24px;background-color:#fafbfc;";
        out += kFont;
        out +=
            "font-size:12px;\"><strong>Source health since the last digest</strong>"
            "<ul style=\"margin:4px 0 0 0;padding-left:18px;\">";
        for (const auto& note : digest.source_health) {
            out += "<li>" + escape_text(note.source) + ": " + to_string(note.kind);
            if (!note.detail.empty())
                out += " &mdash; " + escape_text(note.detail);
            out += " (since " + escape_text(detail::local_time(digest, note.since)) + ")</li>";
        }
        out += "</ul></td></tr>\n";
    }
    out += "<tr><td style=\"padding:12px 24px;";
    out += kFont;
    out += kMuted;
    out += "\">chuhai &middot; digest " + escape_text(digest.id) + "</td></tr>\n";
    out += "</table>\n</td></tr></table>\n</body></html>\n";
    return out;
}

}  // namespace chuhai::digest
