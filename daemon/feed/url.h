#pragma once
// Links as chuhai compares them. Two feeds that link the same article in different spellings
// must produce the same string: that string is how the store recognises one item seen by two
// sources.

#include <string>
#include <string_view>

namespace chuhai::feed {

// Resolves `reference` against `base` (RFC 3986 section 5.2) without normalising anything
// else. Surrounding whitespace is trimmed. An absolute reference is returned as is; a relative
// one with no usable base is returned trimmed.
std::string resolve_url(std::string_view reference, std::string_view base);

// resolve_url(), then, for http and https: scheme and host lower-cased, the default port
// dropped, dot segments removed, an empty path made "/", percent-escapes upper-cased (and
// unreserved ones decoded), spaces and non-ASCII bytes percent-encoded, the fragment dropped,
// and tracking parameters removed from the query (utm_*, fbclid, gclid, dclid, msclkid,
// yclid, igshid, mc_cid, mc_eid, spm, _hsenc, _hsmi, mkt_tok, ...), the others kept in order.
// Other schemes (mailto:, urn:, tag:) only get a lower-cased scheme and no fragment.
std::string canonicalize_url(std::string_view url, std::string_view base = {});

// True when `url` names a scheme other than http or https (javascript:, data:, mailto:); a
// relative reference names none. Bases and images with such schemes are not used.
bool has_non_web_scheme(std::string_view url);

// True for the query parameters canonicalize_url() removes.
bool is_tracking_parameter(std::string_view name);

namespace detail {

// canonicalize_url()'s shortcut, exposed for its tests: for an http(s) URL with a lower-case
// host without port or user, a path of plain bytes without dot segments or '%', and a query of
// plain bytes, rewrites `url` in place to its canonical form (empty pairs, tracking parameters
// and the fragment dropped; nothing else changes for such URLs) and returns true; returns false,
// leaving `url` as it is, for anything else. Most links take it, without being taken apart.
bool canonicalize_plain(std::string& url);
// True only for URLs that are their own canonical form and take the shortcut.
bool is_already_canonical(std::string_view url);
// canonicalize_url() without the shortcut.
std::string canonicalize_url_in_full(std::string_view url, std::string_view base = {});

}  // namespace detail

}  // namespace chuhai::feed
