#pragma once
// HTML for digests: the markup of an item, reduced to what is safe to put in an email or a web
// page. Built on gumbo's HTML5 parser because it needs the tree; it is slow next to
// html_to_text() (tens of MB/s), so call it lazily, only for items that are shown.
//
// Contract of sanitize_html():
// - only allow-listed elements survive (paragraphs, lists, headings, emphasis, links, quotes,
//   code, tables); other unknown or presentational elements are unwrapped (their text kept);
// - script, style, iframe, object, embed, form controls, media, svg and math are removed with
//   their contents; images (external resources) become their alt text;
// - only allow-listed attributes survive: href on <a> (passed through `resolve_link`, which
//   returns the absolute URL to keep or "" to drop it; without one, only absolute http, https
//   and mailto links are kept; links get rel="nofollow noopener noreferrer"), title,
//   colspan/rowspan, start;
//   never event handlers, style, class, id or src;
// - the output is well-formed: every element closed, text and attributes escaped;
// - markup nested deeper than kMaxSanitizeDepth is flattened to its escaped text.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace chuhai::text {

inline constexpr std::size_t kMaxSanitizeDepth = 512;

using LinkResolver = std::function<std::string(std::string_view href)>;

std::string sanitize_html(std::string_view html, const LinkResolver& resolve_link = {});

}  // namespace chuhai::text
