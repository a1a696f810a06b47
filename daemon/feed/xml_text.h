#pragma once
// Text and markup out of pugixml nodes. The parser loads documents without pugixml's own
// entity decoding and with parse_embed_pcdata (an element's first character data child is
// the element's value), so that this layer sees every reference as written: it decodes the XML
// ones, decodes HTML's named ones (which feeds use though XML does not define them) and
// reports them, and reports bare '&' and control characters, which make a document not
// well-formed.

#include <cstddef>
#include <pugixml.hpp>
#include <string>
#include <string_view>

namespace chuhai::feed {

// What decoding ran into; the first problem's offset into the parsed buffer is kept for the
// bozo reason.
struct XmlTextProblems {
    std::size_t count = 0;
    std::string first;  // e.g. "undefined entity &nbsp;"
    std::ptrdiff_t first_offset = -1;

    void note(std::string what, std::ptrdiff_t offset) {
        if (count++ == 0) {
            first = std::move(what);
            first_offset = offset;
        }
    }
};

class XmlText {
  public:
    // `buffer_start` is the start of the buffer pugixml parsed in place, for offsets.
    explicit XmlText(const char* buffer_start, std::size_t max_depth)
        : buffer_start_(buffer_start), max_depth_(max_depth) {}

    // Appends decoded character data (pcdata or an attribute value as written) to `out`.
    void decode(std::string_view raw, std::string& out);
    std::string decode(std::string_view raw) {
        std::string out;
        decode(raw, out);
        return out;
    }

    // The node's content as HTML source. Without child elements it is escaped HTML: character
    // data decoded once, CDATA as is. With child elements it is inline markup: elements
    // serialised, character data kept escaped.
    // `inline_markup` forces the second reading (XHTML content).
    // Appends to `out`.
    void markup(const pugi::xml_node& node, std::string& out, bool inline_markup = false);
    std::string markup(const pugi::xml_node& node, bool inline_markup = false) {
        std::string out;
        markup(node, out, inline_markup);
        return out;
    }
    // The node's content as text: character data decoded, CDATA as is, child elements'
    // text included. Appends to `out`.
    void text(const pugi::xml_node& node, std::string& out);
    std::string text(const pugi::xml_node& node) {
        std::string out;
        text(node, out);
        return out;
    }

    // For UTF-8 documents: each markup() and text() result that is UTF-8 read as
    // windows-1252 and encoded again is restored (charset.h, undo_double_encoding).
    void undo_double_encoding(bool on) { undo_double_encoding_ = on; }

    const XmlTextProblems& problems() const { return problems_; }
    bool too_deep() const { return too_deep_; }

  private:
    void serialize_element(const pugi::xml_node& element, std::string& out);
    void append_raw_filtered(std::string_view raw, std::string& out);

    const char* buffer_start_;
    std::size_t max_depth_;
    XmlTextProblems problems_;
    bool too_deep_ = false;
    bool undo_double_encoding_ = false;
    std::string scratch_;    // decoded text that only the problems are wanted from
    std::string reference_;  // one decoded character reference
};

}  // namespace chuhai::feed
