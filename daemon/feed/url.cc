#include "feed/url.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <optional>
#include <vector>

#include "common/hex.h"

namespace chuhai::feed {

namespace {

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ')
        s.remove_prefix(1);
    while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ')
        s.remove_suffix(1);
    return s;
}

// The five parts of RFC 3986; an absent part differs from an empty one.
struct UriParts {
    std::optional<std::string> scheme;
    std::optional<std::string> authority;
    std::string path;
    std::optional<std::string> query;
    std::optional<std::string> fragment;
};

// The length of the scheme `s` starts with (without its ':'), or 0 when it has none.
std::size_t scheme_length(std::string_view s) {
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
    if (s.empty() || !is_alpha(s[0]))
        return 0;
    std::size_t i = 1;
    while (i < s.size() &&
           (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        ++i;
    return i < s.size() && s[i] == ':' ? i : 0;
}

UriParts split(std::string_view s) {
    UriParts parts;
    if (const std::size_t length = scheme_length(s); length > 0) {
        parts.scheme = std::string(s.substr(0, length));
        s.remove_prefix(length + 1);
    }
    if (const std::size_t hash = s.find('#'); hash != std::string_view::npos) {
        parts.fragment = std::string(s.substr(hash + 1));
        s = s.substr(0, hash);
    }
    if (const std::size_t question = s.find('?'); question != std::string_view::npos) {
        parts.query = std::string(s.substr(question + 1));
        s = s.substr(0, question);
    }
    if (s.size() >= 2 && s[0] == '/' && s[1] == '/') {
        s.remove_prefix(2);
        const std::size_t slash = s.find('/');
        parts.authority = std::string(s.substr(0, slash));
        s = slash == std::string_view::npos ? std::string_view{} : s.substr(slash);
    }
    parts.path = std::string(s);
    return parts;
}

std::string remove_dot_segments(std::string_view path) {
    std::vector<std::string_view> output;
    const bool absolute = !path.empty() && path[0] == '/';
    std::size_t i = absolute ? 1 : 0;
    bool trailing_slash = false;
    while (i <= path.size()) {
        std::size_t end = path.find('/', i);
        if (end == std::string_view::npos)
            end = path.size();
        const std::string_view segment = path.substr(i, end - i);
        const bool last = end == path.size();
        if (segment == ".") {
            trailing_slash = last;
        } else if (segment == "..") {
            if (!output.empty())
                output.pop_back();
            trailing_slash = last;
        } else {
            output.push_back(segment);
            trailing_slash = false;
        }
        i = end + 1;
    }
    std::string out;
    if (absolute)
        out.push_back('/');
    for (std::size_t k = 0; k < output.size(); ++k) {
        if (k > 0)
            out.push_back('/');
        out.append(output[k]);
    }
    if (trailing_slash && !output.empty())
        out.push_back('/');
    return out;
}

std::string merge_paths(const UriParts& base, std::string_view reference_path) {
    std::string merged;
    if (base.authority && base.path.empty()) {
        merged.push_back('/');
    } else if (const std::size_t slash = base.path.rfind('/'); slash != std::string::npos) {
        merged.append(base.path, 0, slash + 1);
    }
    merged.append(reference_path);
    return merged;
}

std::string join(const UriParts& parts, bool with_fragment) {
    std::string out;
    if (parts.scheme) {
        out += *parts.scheme;
        out += ':';
    }
    if (parts.authority) {
        out += "//";
        out += *parts.authority;
    }
    out += parts.path;
    if (parts.query) {
        out += '?';
        out += *parts.query;
    }
    if (with_fragment && parts.fragment) {
        out += '#';
        out += *parts.fragment;
    }
    return out;
}

bool is_unreserved(char c) {
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Upper-cases percent-escapes, decodes the ones of unreserved characters and encodes bytes
// that may not appear raw (space, controls, non-ASCII, and a '%' that starts no escape).
std::string normalize_escapes(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '%') {
            if (i + 2 < s.size() && hex_digit_value(s[i + 1]) >= 0 &&
                hex_digit_value(s[i + 2]) >= 0) {
                const char decoded =
                    static_cast<char>(hex_digit_value(s[i + 1]) * 16 + hex_digit_value(s[i + 2]));
                if (is_unreserved(decoded)) {
                    out.push_back(decoded);
                } else {
                    out.push_back('%');
                    out.push_back(
                        static_cast<char>(std::toupper(static_cast<unsigned char>(s[i + 1]))));
                    out.push_back(
                        static_cast<char>(std::toupper(static_cast<unsigned char>(s[i + 2]))));
                }
                i += 2;
                continue;
            }
            out += "%25";
            continue;
        }
        if (c <= ' ' || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
            c == '`' || c == '{' || c == '|' || c == '}') {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
            continue;
        }
        out.push_back(static_cast<char>(c));
    }
    return out;
}

std::string normalize_authority(std::string_view authority, std::string_view scheme) {
    std::string userinfo;
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        userinfo = std::string(authority.substr(0, at + 1));
        authority.remove_prefix(at + 1);
    }
    std::string_view host = authority;
    std::string_view port;
    // An IPv6 literal keeps its colons inside brackets.
    const std::size_t bracket = authority.rfind(']');
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    std::string out = userinfo + lowered(host);
    while (!out.empty() && out.back() == '.')
        out.pop_back();  // "example.com." is the same host
    const bool default_port =
        port.empty() || (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
    if (!default_port && std::all_of(port.begin(), port.end(), is_digit)) {
        out += ':';
        out += port;
    }
    return out;
}

std::string filter_query(std::string_view query) {
    std::string out;
    std::size_t i = 0;
    while (i <= query.size()) {
        std::size_t end = query.find('&', i);
        if (end == std::string_view::npos)
            end = query.size();
        const std::string_view pair = query.substr(i, end - i);
        const std::string_view name = pair.substr(0, pair.find('='));
        if (!pair.empty() && !is_tracking_parameter(name)) {
            if (!out.empty())
                out.push_back('&');
            out.append(pair);
        }
        i = end + 1;
    }
    return out;
}

}  // namespace

bool has_non_web_scheme(std::string_view url) {
    // A loop, not find_first_of(), which calls memchr() once per byte of the URL.
    std::size_t end = 0;
    while (end < url.size() && url[end] != ':' && url[end] != '/' && url[end] != '?' &&
           url[end] != '#')
        ++end;
    if (end == url.size() || url[end] != ':' || end == 0)
        return false;  // relative: no scheme of its own
    auto lower_equals = [](std::string_view text, std::string_view lower) {
        return text.size() == lower.size() &&
               std::equal(text.begin(), text.end(), lower.begin(), [](char a, char b) {
                   return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
               });
    };
    const std::string_view scheme = url.substr(0, end);
    return !lower_equals(scheme, "http") && !lower_equals(scheme, "https");
}

bool is_tracking_parameter(std::string_view name) {
    // Compared lower-cased, without building the lower-cased copy.
    auto is = [name](std::string_view lower_case) {
        return name.size() == lower_case.size() &&
               std::equal(name.begin(), name.end(), lower_case.begin(),
                          [](char a, char b) { return lower(a) == b; });
    };
    if (name.size() >= 4 && lower(name[0]) == 'u' && lower(name[1]) == 't' &&
        lower(name[2]) == 'm' && name[3] == '_')
        return true;
    static constexpr std::string_view kTracking[] = {
        "fbclid", "gclid",   "dclid",   "gbraid",      "wbraid",      "msclkid",
        "yclid",  "igshid",  "mc_cid",  "mc_eid",      "spm",         "_hsenc",
        "_hsmi",  "mkt_tok", "vero_id", "oly_enc_id",  "oly_anon_id", "__twitter_impression",
        "_ga",    "_gl",     "scm",     "share_token", "wt_mc",       "cmpid",
        "ncid",   "sr_share"};
    return std::any_of(std::begin(kTracking), std::end(kTracking), is);
}

std::string resolve_url(std::string_view reference, std::string_view base) {
    reference = trim(reference);
    // An absolute reference (what feeds mostly link) is the answer as it is.
    if (scheme_length(reference) > 0)
        return std::string(reference);
    base = trim(base);
    const UriParts ref = split(reference);
    const UriParts base_parts = split(base);
    if (!base_parts.scheme)
        return std::string(reference);
    UriParts target;
    target.scheme = base_parts.scheme;
    target.fragment = ref.fragment;
    if (ref.authority) {
        target.authority = ref.authority;
        target.path = remove_dot_segments(ref.path);
        target.query = ref.query;
    } else {
        target.authority = base_parts.authority;
        if (ref.path.empty()) {
            target.path = base_parts.path;
            target.query = ref.query ? ref.query : base_parts.query;
        } else {
            target.path = ref.path[0] == '/'
                              ? remove_dot_segments(ref.path)
                              : remove_dot_segments(merge_paths(base_parts, ref.path));
            target.query = ref.query;
        }
    }
    return join(target, true);
}

namespace {

constexpr std::array<bool, 256> make_plain_url_bytes() {
    std::array<bool, 256> table{};
    for (int c = '!'; c < 0x7F; ++c)
        table[static_cast<std::size_t>(c)] = true;
    for (const char c : std::string_view("%#\"<>\\^`{|}"))
        table[static_cast<unsigned char>(c)] = false;
    return table;
}
constexpr std::array<bool, 256> kPlainUrlByte = make_plain_url_bytes();

}  // namespace

namespace detail {

// Where the path of an http(s) URL with a canonical scheme, host and path ends (at '?', '#' or
// the end), or npos when those parts are not canonical: a lower-case host of letters, digits,
// '-' and '.' without port, a path of bytes the escape normalisation leaves as they are ('%'
// excluded: it might rewrite an escape) without "." or ".." segments.
std::size_t canonical_path_end(std::string_view url) {
    std::size_t i;
    if (url.substr(0, 7) == "http://")
        i = 7;
    else if (url.substr(0, 8) == "https://")
        i = 8;
    else
        return std::string_view::npos;
    const std::size_t n = url.size();
    const std::size_t host_start = i;
    while (i < n &&
           (is_digit(url[i]) || (url[i] >= 'a' && url[i] <= 'z') || url[i] == '-' || url[i] == '.'))
        ++i;
    if (i == host_start || url[i - 1] == '.' || i == n || url[i] != '/')
        return std::string_view::npos;
    std::size_t segment = i + 1;
    for (++i;; ++i) {
        if (i == n || url[i] == '/' || url[i] == '?' || url[i] == '#') {
            const std::string_view name = url.substr(segment, i - segment);
            if (name == "." || name == "..")
                return std::string_view::npos;
            if (i == n || url[i] != '/')
                return i;
            segment = i + 1;
        } else if (!kPlainUrlByte[static_cast<unsigned char>(url[i])]) {
            return std::string_view::npos;
        }
    }
}

bool canonicalize_plain(std::string& url) {
    const std::size_t path_end = canonical_path_end(url);
    if (path_end == std::string::npos)
        return false;
    std::size_t end = url.find('#', path_end);
    if (end == std::string::npos)
        end = url.size();
    if (path_end == end || url[path_end] != '?') {
        url.resize(path_end);  // no query; the fragment, if any, goes
        return true;
    }
    for (std::size_t i = path_end + 1; i < end; ++i)
        if (!kPlainUrlByte[static_cast<unsigned char>(url[i])])
            return false;
    // The pairs that are not empty and no tracking parameter, moved down in order (a write
    // never passes the read).
    std::size_t write = path_end;
    std::size_t pair = path_end + 1;
    for (std::size_t i = pair;; ++i) {
        if (i == end || url[i] == '&') {
            const std::string_view text = std::string_view(url).substr(pair, i - pair);
            if (!text.empty() && !is_tracking_parameter(text.substr(0, text.find('=')))) {
                url[write] = write == path_end ? '?' : '&';
                ++write;
                std::memmove(url.data() + write, url.data() + pair, i - pair);
                write += i - pair;
            }
            if (i == end)
                break;
            pair = i + 1;
        }
    }
    url.resize(write);
    return true;
}

bool is_already_canonical(std::string_view url) {
    std::string canonical(url);
    return canonicalize_plain(canonical) && canonical == url;
}

}  // namespace detail

namespace {

// canonicalize_url() after its resolve_url().
std::string canonicalize_resolved(std::string resolved) {
    UriParts parts = split(resolved);
    if (!parts.scheme)
        return resolved;
    const std::string scheme = lowered(*parts.scheme);
    parts.scheme = scheme;
    parts.fragment.reset();
    if ((scheme != "http" && scheme != "https") || !parts.authority)
        return join(parts, false);
    parts.authority = normalize_authority(*parts.authority, scheme);
    parts.path = remove_dot_segments(normalize_escapes(parts.path));
    if (parts.path.empty())
        parts.path.assign(1, '/');  // not = "/": GCC 12 warns falsely (-Wrestrict)
    if (parts.query) {
        std::string query = filter_query(normalize_escapes(*parts.query));
        if (query.empty())
            parts.query.reset();
        else
            parts.query = std::move(query);
    }
    return join(parts, false);
}

}  // namespace

std::string detail::canonicalize_url_in_full(std::string_view url, std::string_view base) {
    return canonicalize_resolved(resolve_url(url, base));
}

std::string canonicalize_url(std::string_view url, std::string_view base) {
    std::string resolved = resolve_url(url, base);
    // Most links are canonical already, or only carry tracking parameters or a fragment.
    if (detail::canonicalize_plain(resolved))
        return resolved;
    return canonicalize_resolved(std::move(resolved));
}

}  // namespace chuhai::feed
