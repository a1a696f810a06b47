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

// canonicalize_url()'s shortcut, exposed for its tests: true only for URLs that are their own
// canonical form (http or https, a lower-case host without port or user, a path of plain
// bytes without dot segments, no '%', no fragment, a query of non-empty pairs without
// tracking parameters). canonicalize_url() returns those as they are.
bool is_already_canonical(std::string_view url);
// canonicalize_url()'s second shortcut, exposed for its tests: for an http(s) URL whose scheme,
// host and path pass is_already_canonical() and whose query has only plain bytes, writes its
// canonical form (empty pairs and tracking parameters dropped, the fragment dropped) to `out`
// and returns true; returns false for anything else.
bool canonicalize_plain(std::string_view url, std::string& out);
// canonicalize_url() without the shortcuts.
std::string canonicalize_url_in_full(std::string_view url, std::string_view base = {});

}  // namespace detail

}  // namespace chuhai::feed
