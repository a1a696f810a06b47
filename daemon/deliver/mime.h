#pragma once
// An RFC 5322 / MIME message builder for digests: multipart/alternative with text/plain and
// text/html parts in UTF-8, each quoted-printable or base64 (whichever is shorter for the text),
// RFC 2047 encoded words for non-ASCII header text, lines within 78 (headers, where they can be
// folded) and 76 (bodies) characters, CRLF throughout.
//
// Header injection is impossible by construction: every header value is reduced to one line
// (CR, LF and other control characters become spaces) before it is encoded, addresses are
// validated, and header names are checked against RFC 5322's field-name syntax.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/time.h"

namespace chuhai::deliver {

struct Mailbox {
    std::string display_name;  // any UTF-8; may be empty
    std::string address;       // local@domain, ASCII
};

// Parses "Name <local@domain>", "\"Name, Jr.\" <local@domain>" or "local@domain". Throws
// Error(config) naming `where` when the text holds anything else or the address is invalid.
Mailbox parse_mailbox(std::string_view text, std::string_view where = {});

// An ASCII addr-spec with a dot-atom local part and a host name domain, at most 254 bytes.
// Quoted local parts, address literals and internationalised addresses are not accepted.
bool is_valid_address(std::string_view address);

struct MailMessage {
    Mailbox from;
    std::vector<Mailbox> to;
    std::string subject;
    UtcTime date{};
    // The Message-ID without angle brackets: dot-atom "@" domain (see make_message_id). Kept
    // stable across resends of the same digest.
    std::string message_id;
    // List-Id: a phrase (may be empty) and a dot-atom label such as "daily.chuhai.example.org".
    std::string list_name;
    std::string list_id;
    std::string text_body;  // required; LF or CRLF line ends
    std::string html_body;  // optional; without it the message is a single text/plain part
    // Further headers ("Auto-Submitted" is always added); values are made single-line.
    std::vector<std::pair<std::string, std::string>> extra_headers;
};

// The whole message, ready for SMTP DATA (curl does the dot-stuffing). Throws Error(config) when
// an address, the Message-ID, the List-Id label or a header name is invalid, or when there is no
// recipient.
std::string build_mime_message(const MailMessage& message);

// "<local>@<domain>" from any text: characters outside dot-atom become '-', so the result is a
// valid msg-id for any input. `domain` must be a valid domain (the From address's, usually).
std::string make_message_id(std::string_view local, std::string_view domain);

// "Tue, 01 Jul 2025 08:00:00 +0000".
std::string format_rfc5322_date(UtcTime t);

// Body encodings (RFC 2045), CRLF line ends in and out. Quoted-printable also encodes a '.' or
// "From " at the start of a line, which some relays and mbox files mangle.
std::string encode_quoted_printable(std::string_view crlf_text);
std::string encode_base64(std::string_view bytes, std::size_t line_length = 76);

// A header field "Name: value\r\n" with `value` made single-line and, when it is not plain
// printable ASCII, written as RFC 2047 B encoded words of whole UTF-8 characters; folded so
// lines stay within 78 characters.
std::string unstructured_header(std::string_view name, std::string_view value);

// LF, CR or CRLF line ends, all made CRLF.
std::string to_crlf(std::string_view text);

}  // namespace chuhai::deliver
