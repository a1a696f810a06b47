// Slack and Discord payloads. Both platforms cap message sizes; stories that do not fit are
// summarised in one line rather than making the platform reject the whole message (which would
// count as a permanent failure).

#include <nlohmann/json.hpp>

#include "digest/render.h"
#include "digest/render_common.h"
#include "digest/text_layout.h"

namespace chuhai::digest {

namespace {

using nlohmann::json;

constexpr const char* kMiddot = " \xC2\xB7 ";

std::string dump(const json& doc) {
    return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string story_count_text(const Digest& digest) {
    const int n = digest.story_count();
    return n == 0 ? "no new stories" : std::to_string(n) + (n == 1 ? " story" : " stories");
}

std::string meta_text(const Digest& digest, const Story& story) {
    std::string meta = summarize_sources(story.sources);
    if (!meta.empty())
        meta += kMiddot;
    meta += "first seen " + detail::local_time(digest, story.first_seen);
    if (story.published)
        meta += kMiddot + std::string("published ") + detail::local_time(digest, *story.published);
    return meta;
}

// --- Slack ---------------------------------------------------------------------------------

constexpr std::size_t kSlackMaxBlocks = 50;
constexpr std::size_t kSlackSectionChars = 3000;
constexpr std::size_t kSlackHeaderChars = 150;

// <url|text>: '|', '<' and '>' in the URL are percent-encoded so they cannot end it, and '&' is
// written &amp; like everywhere else in the text (Slack decodes it before opening the link).
std::string slack_link(std::string_view url, std::string_view text) {
    if (!detail::is_web_link(url))
        return slack_escape(text);
    return detail::concat(
        {"<", slack_escape(detail::encode_link_target(url, "|<>")), "|", slack_escape(text), ">"});
}

json slack_section(const std::string& mrkdwn) {
    return json{
        {"type", "section"},
        {"text", json{{"type", "mrkdwn"}, {"text", truncate_chars(mrkdwn, kSlackSectionChars)}}}};
}

json slack_context(const std::string& mrkdwn) {
    return json{
        {"type", "context"},
        {"elements", json::array({json{{"type", "mrkdwn"},
                                       {"text", truncate_chars(mrkdwn, kSlackSectionChars)}}})}};
}

// --- Discord -------------------------------------------------------------------------------

constexpr std::size_t kDiscordContentChars = 2000;
constexpr std::size_t kDiscordMaxEmbeds = 10;
constexpr std::size_t kDiscordTitleChars = 256;
constexpr std::size_t kDiscordDescriptionChars = 4096;
constexpr std::size_t kDiscordTotalChars = 6000;

// Backslash-escapes Discord markdown so a title such as "**x**" or "[a](b)" stays literal.
std::string discord_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '\\':
            case '*':
            case '_':
            case '~':
            case '`':
            case '|':
            case '>':
            case '<':
            case '[':
            case ']':
            case '(':
            case ')':
            case '#':
            case '-':
            case '@':
            case ':':
                out += '\\';
                [[fallthrough]];
            default:
                out += c;
        }
    }
    return out;
}

std::string discord_link(std::string_view url, std::string_view text) {
    if (!detail::is_web_link(url))
        return discord_escape(text);
    return detail::concat(
        {"[", discord_escape(text), "](", detail::encode_link_target(url, "()<>"), ")"});
}

}  // namespace

std::string render_slack(const Digest& digest) {
    json blocks = json::array();
    blocks.push_back(json{{"type", "header"},
                          {"text", json{{"type", "plain_text"},
                                        {"text", truncate_chars("chuhai digest: " + digest.channel,
                                                                kSlackHeaderChars)},
                                        {"emoji", false}}}});
    blocks.push_back(slack_context(slack_escape(detail::period_text(digest)) + kMiddot +
                                   story_count_text(digest)));
    std::string counts;
    if (!digest.topic_counts.empty())
        counts += "*Topics* " + slack_escape(detail::counts_line(digest.topic_counts, 8));
    if (!digest.company_counts.empty()) {
        counts += (counts.empty() ? "" : "\n") + std::string("*Companies* ") +
                  slack_escape(detail::counts_line(digest.company_counts, 8));
    }
    if (!counts.empty())
        blocks.push_back(slack_section(counts));

    std::string footer;
    for (const auto& note : digest.source_health) {
        footer += (footer.empty() ? "Source health: " : "; ") + slack_escape(note.source) + " " +
                  to_string(note.kind);
        if (!note.detail.empty())
            footer += " (" + slack_escape(note.detail) + ")";
    }
    // Room for the section headers and stories: keep one block for "and N more", one for the
    // footer.
    const std::size_t reserved = 1 + (footer.empty() ? 0 : 1);
    int left_out = digest.omitted_stories;
    for (const auto& section : digest.topics) {
        for (std::size_t i = 0; i < section.stories.size(); ++i) {
            const Story& story = section.stories[i];
            // The first story of a section also brings a divider and the section's title.
            const std::size_t needed = (i == 0 ? 3 : 1);
            if (blocks.size() + needed + reserved > kSlackMaxBlocks) {
                left_out += static_cast<int>(section.stories.size() - i);
                break;
            }
            if (i == 0) {
                blocks.push_back(json{{"type", "divider"}});
                blocks.push_back(
                    slack_section(detail::concat({"*", slack_escape(section.topic), "* (",
                                                  std::to_string(section.stories.size()), ")"})));
            }
            const std::string title = story.title.empty() ? "(untitled)" : story.title;
            std::string text = detail::concat({"*", slack_link(story.link, title), "*\n",
                                               slack_escape(meta_text(digest, story))});
            if (!story.excerpt.empty())
                text += detail::concat({"\n", slack_escape(story.excerpt)});
            const std::string evidence = detail::evidence_text(story);
            if (!evidence.empty())
                text += "\n_Matched: " + slack_escape(evidence) + "_";
            blocks.push_back(slack_section(text));
        }
    }
    if (left_out > 0) {
        blocks.push_back(slack_context("and " + std::to_string(left_out) +
                                       (left_out == 1 ? " more story" : " more stories")));
    }
    if (!footer.empty())
        blocks.push_back(slack_context(footer));

    const json doc{
        // The notification text is mrkdwn too.
        {"text", truncate_chars(detail::concat({"chuhai digest: ", slack_escape(digest.channel),
                                                kMiddot, story_count_text(digest)}),
                                300)},
        {"blocks", std::move(blocks)},
        {"unfurl_links", false},
        {"unfurl_media", false},
    };
    return dump(doc);
}

std::string render_discord(const Digest& digest) {
    std::string content = "**" + discord_escape("chuhai digest: " + digest.channel) + "**\n" +
                          discord_escape(detail::period_text(digest)) + kMiddot +
                          story_count_text(digest);
    if (!digest.topic_counts.empty())
        content += "\nTopics: " + discord_escape(detail::counts_line(digest.topic_counts, 6));
    if (!digest.company_counts.empty())
        content += "\nCompanies: " + discord_escape(detail::counts_line(digest.company_counts, 6));

    json embeds = json::array();
    std::size_t total = 0;
    int left_out = digest.omitted_stories;
    std::string footer;
    for (const auto& note : digest.source_health) {
        footer += (footer.empty() ? "Source health: " : "; ") + discord_escape(note.source) + " " +
                  to_string(note.kind);
    }
    footer = truncate_chars(footer, 1024);
    const std::size_t footer_room = count_chars(footer) + 64;  // + "and N more stories"

    for (const auto& section : digest.topics) {
        const std::string title =
            truncate_chars(detail::concat({discord_escape(section.topic), " (",
                                           std::to_string(section.stories.size()), ")"}),
                           kDiscordTitleChars);
        std::string description;
        std::size_t i = 0;
        for (; i < section.stories.size(); ++i) {
            const Story& story = section.stories[i];
            const std::string story_title = story.title.empty() ? "(untitled)" : story.title;
            std::string entry = detail::concat({"**", discord_link(story.link, story_title), "**\n",
                                                discord_escape(meta_text(digest, story))});
            if (!story.excerpt.empty())
                entry += detail::concat({"\n", discord_escape(story.excerpt)});
            entry += "\n\n";
            const std::size_t grown = count_chars(description) + count_chars(entry);
            if (grown > kDiscordDescriptionChars ||
                total + count_chars(title) + grown + footer_room > kDiscordTotalChars)
                break;
            description += entry;
        }
        left_out += static_cast<int>(section.stories.size() - i);
        if (description.empty() || embeds.size() + 1 >= kDiscordMaxEmbeds) {
            if (!description.empty())
                left_out += static_cast<int>(i);
            continue;
        }
        total += count_chars(title) + count_chars(description);
        embeds.push_back(json{{"title", title}, {"description", description}, {"color", 0x2F6FEB}});
    }
    if (left_out > 0 || !footer.empty()) {
        std::string text;
        if (left_out > 0)
            text = "and " + std::to_string(left_out) +
                   (left_out == 1 ? " more story" : " more stories");
        if (!footer.empty())
            text += (text.empty() ? "" : "\n") + footer;
        embeds.push_back(json{{"description", text}, {"color", 0x666666}});
    }

    const json doc{
        {"content", truncate_chars(content, kDiscordContentChars)},
        {"embeds", std::move(embeds)},
        {"allowed_mentions", json{{"parse", json::array()}}},
    };
    return dump(doc);
}

std::string slack_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else
            out += c;
    }
    return out;
}

}  // namespace chuhai::digest
