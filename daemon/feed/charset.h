#pragma once
// Bytes in whatever charset a source used → UTF-8, deciding the charset in order of trust:
// a byte-order mark, the charset parameter of the HTTP Content-Type, the XML declaration, then
// detection. Labels are read the way browsers read them: GB2312 and GBK decode as GB18030 (the
// superset real servers need), ISO-8859-1 and US-ASCII as windows-1252, and sloppy aliases
// ("utf8", "UTF_8", quoted) are understood. A declared legacy charset loses to the bytes when
// they are valid UTF-8 with non-ASCII text (servers often label UTF-8 as GB2312). Invalid byte
// sequences become U+FFFD; decoding never fails.

#include <string>
#include <string_view>

namespace chuhai::feed {

struct DecodedText {
    std::string utf8;      // the text, always valid UTF-8, without a byte-order mark
    std::string encoding;  // what it was decoded from: "utf-8", "gb18030", "windows-1252", ...
    std::string source;    // what decided it: "bom", "http", "xml", "detected", "default"
    bool replaced_invalid = false;  // some bytes were invalid and became U+FFFD
    std::string note;               // why a declared charset was overruled, when it was
    // Set when the bytes contradict what was declared in a way the XML and HTTP specifications
    // call an error (the parser reports it as bozo): a charset label nobody knows, UTF-16/32
    // declared for ASCII-compatible bytes, non-ASCII bytes served as text/* without a charset
    // (US-ASCII by RFC 3023), or undeclared bytes that are not UTF-8 (XML's default). A legacy
    // label that loses to valid UTF-8 is recovered silently: servers mislabel UTF-8 as GB2312
    // so often that it is no news.
    std::string problem;
};

DecodedText decode_to_utf8(std::string_view bytes, std::string_view content_type = {});

// The label as chuhai decodes it ("GBK" → "gb18030", "utf8" → "utf-8", "latin1" →
// "windows-1252"); lower-cased and unquoted otherwise. Empty for an empty label.
std::string canonical_charset(std::string_view label);

// The charset parameter of a Content-Type value, or "".
std::string charset_from_content_type(std::string_view content_type);

// Whether a Content-Type names an XML media type (RFC 3023): application/xml, text/xml, their
// -dtd and -external-parsed-entity forms, application/*+xml and text/*+xml.
bool is_xml_media_type(std::string_view content_type);

// The encoding pseudo-attribute of an XML declaration at the start of ASCII-compatible bytes,
// or "".
std::string charset_from_xml_declaration(std::string_view bytes);

bool is_valid_utf8(std::string_view bytes);

// Restores text that is UTF-8 read as windows-1252 (or Latin-1) and encoded again: "â€¦"
// (or the references &#226;&#128;&#166;) back to "…". Applies only when every character of
// text[from..] is one windows-1252 or Latin-1 can encode and those bytes are valid UTF-8 with
// non-ASCII characters, as feedparser does for UTF-8 documents; stops at the first character
// that rules it out, so ordinary text costs a scan to its first non-ASCII character or two.
// Returns whether the text changed.
bool undo_double_encoding(std::string& text, std::size_t from = 0);

// Copies UTF-8, replacing each invalid sequence (maximal subpart) with U+FFFD. Returns how
// many replacements it made.
std::size_t repair_utf8(std::string_view bytes, std::string& out);

}  // namespace chuhai::feed
