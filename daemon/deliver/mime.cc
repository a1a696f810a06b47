#include "deliver/mime.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "common/error.h"

namespace chuhai::deliver {

namespace {

constexpr std::size_t kHeaderLineLimit = 78;  // RFC 5322 2.1.1 "SHOULD"
constexpr std::size_t kBodyLineLimit = 76;    // RFC 2045 6.7 (5)
// Raw bytes per encoded word: 39 bytes are 52 base64 characters, plus "=?UTF-8?B?" and "?=" 64,
// which fits after "Subject: " and after the folding space.
constexpr std::size_t kEncodedWordBytes = 39;
constexpr std::size_t kMaxHeaderValueBytes = 2000;
// Longest word written as is, so that "Subject: " and the word fit in 78 characters; longer
// ones go into encoded words, which can be split.
constexpr std::size_t kMaxPlainWord = 66;

constexpr char kHex[] = "0123456789ABCDEF";

bool is_atext(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_dot_atom(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.')
        return false;
    char previous = 0;
    for (char c : s) {
        if (c == '.' ? previous == '.' : !is_atext(c))
            return false;
        previous = c;
    }
    return true;
}

bool is_domain(std::string_view d) {
    if (d.empty() || d.size() > 253)
        return false;
    std::size_t label_start = 0;
    for (std::size_t i = 0; i <= d.size(); ++i) {
        if (i == d.size() || d[i] == '.') {
            const std::size_t len = i - label_start;
            if (len == 0 || len > 63 || d[label_start] == '-' || d[i - 1] == '-')
                return false;
            label_start = i + 1;
            continue;
        }
        const char c = d[i];
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

// Decodes one UTF-8 sequence at `i`; returns its length, or 0 when it is invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned cp = 0;
    if (b0 < 0x80)
        return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        cp = b0 & 0x07;
    } else {
        return 0;
    }
    if (i + len > s.size())
        return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF.
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

// One line of valid UTF-8: control characters (C0, DEL, and C1 written in UTF-8) become spaces,
// spaces collapse, invalid bytes become U+FFFD. This is what makes header injection impossible.
std::string header_text(std::string_view value) {
    std::string out;
    bool space = false;
    for (std::size_t i = 0; i < value.size() && out.size() < kMaxHeaderValueBytes;) {
        const std::size_t len = utf8_sequence_length(value, i);
        if (len == 0) {
            out += space && !out.empty() ? " \xEF\xBF\xBD" : "\xEF\xBF\xBD";
            space = false;
            ++i;
            continue;
        }
        const auto b0 = static_cast<unsigned char>(value[i]);
        const bool control =
            (len == 1 && (b0 < 0x20 || b0 == 0x7F)) ||
            (len == 2 && b0 == 0xC2 && static_cast<unsigned char>(value[i + 1]) < 0xA0);
        // U+2028 / U+2029 (line and paragraph separators) are line breaks too.
        const bool separator = len == 3 && value.substr(i, 2) == "\xE2\x80" &&
                               (value[i + 2] == '\xA8' || value[i + 2] == '\xA9');
        if (control || separator || value[i] == ' ') {
            space = true;
        } else {
            if (space && !out.empty())
                out += ' ';
            space = false;
            out.append(value.substr(i, len));
        }
        i += len;
    }
    return out;
}

bool is_plain_ascii(std::string_view s) {
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7E)
            return false;
    }
    // Text that looks like an encoded word would be decoded by readers: encode it instead.
    return s.find("=?") == std::string_view::npos;
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// RFC 2047 B encoded words for single-line UTF-8 text, each holding whole characters.
std::vector<std::string> encoded_words(std::string_view text) {
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = start;
        while (end < text.size()) {
            std::size_t len = utf8_sequence_length(text, end);
            if (len == 0)
                len = 1;  // cannot happen after header_text(); keep going regardless
            if (end + len - start > kEncodedWordBytes)
                break;
            end += len;
        }
        words.push_back("=?UTF-8?B?" + base64(text.substr(start, end - start)) + "?=");
        start = end;
    }
    return words;
}

// Joins `pieces` after "Name:", a space before each, folding (CRLF + space) before a piece that
// would make the line longer than kHeaderLineLimit. Pieces are at most 76 characters, so every
// line stays within the limit.
std::string fold(std::string_view name, const std::vector<std::string>& pieces) {
    std::string out(name);
    out += ':';
    std::size_t line_length = out.size();
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        if (i > 0 && line_length + 1 + pieces[i].size() > kHeaderLineLimit) {
            out += "\r\n";
            line_length = 0;
        }
        out += ' ';
        out += pieces[i];
        line_length += 1 + pieces[i].size();
    }
    out += "\r\n";
    return out;
}

std::vector<std::string> split_spaces(std::string_view text) {
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t space = text.find(' ', start);
        const std::size_t end = space == std::string_view::npos ? text.size() : space;
        if (end > start)
            words.emplace_back(text.substr(start, end - start));
        if (space == std::string_view::npos)
            break;
        start = space + 1;
    }
    return words;
}

// A display name as a phrase: atoms when it is plain words, a quoted string when it holds
// specials, encoded words when it is not ASCII.
std::vector<std::string> phrase_pieces(std::string_view display_name) {
    const std::string text = header_text(display_name);
    if (text.empty())
        return {};
    if (!is_plain_ascii(text))
        return encoded_words(text);
    bool all_atoms = true;
    for (char c : text)
        all_atoms = all_atoms && (is_atext(c) || c == ' ');
    auto words = split_spaces(text);
    if (all_atoms && std::all_of(words.begin(), words.end(),
                                 [](const std::string& w) { return w.size() <= kMaxPlainWord; }))
        return words;
    if (text.size() + 2 > kMaxPlainWord)
        return encoded_words(text);
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            quoted += '\\';
        quoted += c;
    }
    quoted += '"';
    return {quoted};
}

void check_address(const std::string& address, const char* role) {
    if (!is_valid_address(address)) {
        throw Error(ErrorKind::config,
                    std::string("invalid ") + role + " address '" + header_text(address) + "'");
    }
}

// "Name <addr>" pieces; the last piece carries the address.
std::vector<std::string> mailbox_pieces(const Mailbox& mailbox) {
    auto pieces = phrase_pieces(mailbox.display_name);
    pieces.push_back("<" + mailbox.address + ">");
    return pieces;
}

std::string address_list_header(std::string_view name, const std::vector<Mailbox>& mailboxes) {
    std::vector<std::string> pieces;
    for (std::size_t m = 0; m < mailboxes.size(); ++m) {
        auto mailbox = mailbox_pieces(mailboxes[m]);
        if (m + 1 < mailboxes.size())
            mailbox.back() += ',';
        pieces.insert(pieces.end(), mailbox.begin(), mailbox.end());
    }
    return fold(name, pieces);
}

bool is_field_name(std::string_view name) {
    if (name.empty() || name.size() > 76)
        return false;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 33 || u > 126 || c == ':')
            return false;
    }
    return true;
}

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned i = 0; i < length; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 15];
    }
    return hex;
}

// The shorter of the two encodings for this body: base64 for mostly non-ASCII text (Chinese
// triples in quoted-printable), quoted-printable otherwise, which stays readable.
std::pair<std::string, std::string> encode_body(std::string_view body) {
    const std::string crlf = to_crlf(body);
    std::size_t non_ascii = 0;
    for (char c : crlf)
        non_ascii += static_cast<unsigned char>(c) >= 0x80 ? 1 : 0;
    if (non_ascii * 3 > crlf.size())
        return {"base64", encode_base64(crlf)};
    return {"quoted-printable", encode_quoted_printable(crlf)};
}

std::string body_part(std::string_view media_type, std::string_view body) {
    const auto [encoding, encoded] = encode_body(body);
    std::string out = "Content-Type: " + std::string(media_type) + "; charset=utf-8\r\n";
    out += "Content-Transfer-Encoding: " + encoding + "\r\n\r\n";
    out += encoded;
    if (!out.ends_with("\r\n"))
        out += "\r\n";
    return out;
}

}  // namespace

bool is_valid_address(std::string_view address) {
    if (address.size() > 254)
        return false;
    const std::size_t at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || at > 64)
        return false;
    return is_dot_atom(address.substr(0, at)) && is_domain(address.substr(at + 1));
}

Mailbox parse_mailbox(std::string_view text, std::string_view where) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
            s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
            s.remove_suffix(1);
        return s;
    };
    const std::string_view all = trim(text);
    Mailbox mailbox;
    const std::size_t open = all.rfind('<');
    if (open != std::string_view::npos && all.ends_with('>')) {
        mailbox.address = std::string(all.substr(open + 1, all.size() - open - 2));
        std::string_view name = trim(all.substr(0, open));
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
            name = name.substr(1, name.size() - 2);
            std::string unquoted;
            for (std::size_t i = 0; i < name.size(); ++i) {
                if (name[i] == '\\' && i + 1 < name.size())
                    ++i;
                unquoted += name[i];
            }
            mailbox.display_name = unquoted;
        } else {
            mailbox.display_name = std::string(name);
        }
    } else {
        mailbox.address = std::string(all);
    }
    const bool control_in_name =
        std::any_of(mailbox.display_name.begin(), mailbox.display_name.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
    if (!is_valid_address(mailbox.address) || control_in_name) {
        throw Error(ErrorKind::config,
                    "invalid e-mail address '" + header_text(text) +
                        "' (expected local@domain or Name <local@domain>)",
                    std::string(where));
    }
    return mailbox;
}

std::string make_message_id(std::string_view local, std::string_view domain) {
    std::string clean;
    for (char c : local)
        clean += (is_atext(c) || c == '.') ? c : '-';
    // No leading, trailing or doubled dots in a dot-atom.
    std::string atom;
    for (char c : clean) {
        if (c == '.' && (atom.empty() || atom.back() == '.'))
            continue;
        atom += c;
    }
    while (!atom.empty() && atom.back() == '.')
        atom.pop_back();
    if (atom.empty())
        atom = "chuhai";
    return atom + "@" + std::string(domain);
}

std::string format_rfc5322_date(UtcTime t) {
    using namespace std::chrono;
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const weekday wd{day};
    const hh_mm_ss hms{t - day};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d +0000", kDays[wd.c_encoding()],
                  static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                  static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return buf;
}

std::string to_crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\r') {
            out += "\r\n";
            if (i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string encode_quoted_printable(std::string_view crlf_text) {
    std::string out;
    out.reserve(crlf_text.size() + crlf_text.size() / 4);
    std::size_t line_start = 0;
    while (line_start <= crlf_text.size()) {
        std::size_t line_end = crlf_text.find("\r\n", line_start);
        const bool last = line_end == std::string_view::npos;
        if (last)
            line_end = crlf_text.size();
        const std::string_view line = crlf_text.substr(line_start, line_end - line_start);
        std::size_t column = 0;
        for (std::size_t i = 0; i < line.size(); ++i) {
            const auto c = static_cast<unsigned char>(line[i]);
            const bool at_end = i + 1 == line.size();
            const bool leading_dot = i == 0 && c == '.';
            const bool leading_from = i == 0 && line.substr(0, 5) == "From ";
            const bool literal =
                ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_end)) &&
                !leading_dot && !leading_from;
            const std::size_t width = literal ? 1 : 3;
            // Room for the piece plus a soft break '=' must stay within the limit, unless this
            // is the line's last piece, which needs no soft break after it.
            const std::size_t needed = column + width + (at_end ? 0 : 1);
            if (needed > kBodyLineLimit) {
                out += "=\r\n";
                column = 0;
            }
            if (literal) {
                out += static_cast<char>(c);
            } else {
                out += '=';
                out += kHex[c >> 4];
                out += kHex[c & 15];
            }
            column += width;
        }
        if (last)
            break;
        out += "\r\n";
        line_start = line_end + 2;
    }
    return out;
}

std::string encode_base64(std::string_view bytes, std::size_t line_length) {
    const std::string flat = base64(bytes);
    std::string out;
    out.reserve(flat.size() + 2 * (flat.size() / line_length + 1));
    for (std::size_t i = 0; i < flat.size(); i += line_length) {
        out.append(flat, i, line_length);
        out += "\r\n";
    }
    return out;
}

std::string unstructured_header(std::string_view name, std::string_view value) {
    const std::string text = header_text(value);
    if (text.empty())
        return std::string(name) + ":\r\n";
    if (is_plain_ascii(text)) {
        auto words = split_spaces(text);
        if (std::all_of(words.begin(), words.end(),
                        [](const std::string& w) { return w.size() <= kMaxPlainWord; }))
            return fold(name, words);
    }
    // Not ASCII, or a word too long to fold around: encoded words split anywhere.
    return fold(name, encoded_words(text));
}

std::string build_mime_message(const MailMessage& m) {
    check_address(m.from.address, "sender");
    if (m.to.empty())
        throw Error(ErrorKind::config, "a message needs at least one recipient");
    for (const auto& to : m.to)
        check_address(to.address, "recipient");
    if (!is_valid_address(m.message_id)) {
        throw Error(ErrorKind::config,
                    "invalid Message-ID '" + header_text(m.message_id) + "' (use make_message_id)");
    }
    if (!m.list_id.empty() && !is_dot_atom(m.list_id))
        throw Error(ErrorKind::config, "invalid List-Id label '" + header_text(m.list_id) + "'");

    std::string out;
    out += "Date: " + format_rfc5322_date(m.date) + "\r\n";
    out += address_list_header("From", {m.from});
    out += address_list_header("To", m.to);
    out += unstructured_header("Subject", m.subject);
    out += "Message-ID: <" + m.message_id + ">\r\n";
    if (!m.list_id.empty()) {
        auto pieces = phrase_pieces(m.list_name);
        pieces.push_back("<" + m.list_id + ">");
        out += fold("List-Id", pieces);
    }
    out += "MIME-Version: 1.0\r\n";
    out += "Auto-Submitted: auto-generated\r\n";
    for (const auto& [name, value] : m.extra_headers) {
        if (!is_field_name(name))
            throw Error(ErrorKind::config, "invalid header name '" + header_text(name) + "'");
        out += unstructured_header(name, value);
    }

    if (m.html_body.empty()) {
        out += body_part("text/plain", m.text_body);
        return out;
    }
    // "=_" never occurs in quoted-printable or base64 output, so the boundary cannot collide
    // with the parts; deriving it from the content keeps the message reproducible.
    const std::string boundary =
        "=_chuhai_" +
        sha256_hex(m.message_id + '\0' + m.text_body + '\0' + m.html_body).substr(0, 32);
    out += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
    out += "This is a multi-part message in MIME format.\r\n";
    // The CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1): one more keeps the
    // part's own last line end.
    out += "--" + boundary + "\r\n" + body_part("text/plain", m.text_body) + "\r\n";
    out += "--" + boundary + "\r\n" + body_part("text/html", m.html_body) + "\r\n";
    out += "--" + boundary + "--\r\n";
    return out;
}

}  // namespace chuhai::deliver
