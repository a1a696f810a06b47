#pragma once
// Renderers: one Digest, five formats. Each escapes every field for its own format (HTML
// entities, Slack's &<> escapes, Discord markdown escapes, JSON string escapes); links are only
// made clickable when they are http(s) URLs. Outputs are UTF-8 with LF line ends (the MIME
// builder turns them into CRLF).

#include <string>
#include <string_view>

#include "digest/digest.h"

namespace chuhai::digest {

// The version of the generic JSON schema documented in docs/digests.md. Bumped on any change
// that could break a receiver; additions of optional fields do not bump it.
inline constexpr int kJsonSchemaVersion = 1;

// The plain-text digest: header counts with trend markers, a chart of text bars, stories by
// topic with wrapped excerpts, the source-health footer. Lines fit 78 columns except URLs.
std::string render_text(const Digest& digest);

// The HTML digest for mail clients: nested tables, inline CSS, the chart drawn with table
// cells; no scripts, no external resources, no images.
std::string render_html(const Digest& digest);

// The generic JSON document ("schema": "chuhai.digest", "version": kJsonSchemaVersion).
std::string render_json(const Digest& digest);

// A Slack incoming-webhook payload (Block Kit; at most 50 blocks, 3000 characters a section;
// what does not fit is summarised as "and N more stories").
std::string render_slack(const Digest& digest);

// A Discord webhook payload (content plus at most 10 embeds and 6000 characters in them;
// mentions disabled through allowed_mentions).
std::string render_discord(const Digest& digest);

// Text for Slack: its mrkdwn and plain text reserve only &, < and > (control sequences such as
// <!channel> start with <), which become entities.
std::string slack_escape(std::string_view text);

// Text and attribute values for HTML: & < > " ' become entities, CR and LF spaces.
std::string html_escape(std::string_view text);

// The subject of the digest's e-mail: "chuhai digest: CHANNEL, 2025-07-02 (12 stories)", the
// date being the period's last day in the channel's time zone. One line, unescaped.
std::string subject_line(const Digest& digest);

}  // namespace chuhai::digest
