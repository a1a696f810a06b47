#pragma once
// Turns a broken XML document into a well-formed one that keeps everything a reader of the
// broken one would see, so that pugixml can build a tree from it. Used only after a strict
// parse failed.
//
// What it repairs: mismatched and unclosed tags (an end tag closes the open elements above its
// match; an end tag with no match is dropped), a '<' or '&' that starts no markup (escaped),
// control characters (dropped), unquoted or duplicate attributes, a document cut off anywhere
// (a cut-off item or entry is dropped whole; everything before it is kept), nesting deeper
// than `max_depth` (the deeper tags are dropped, their text kept). DOCTYPEs (and with them any
// entity definitions) and processing instructions are removed.

#include <cstddef>
#include <string>
#include <string_view>

namespace chuhai::feed {

struct RepairedXml {
    std::string xml;
    std::size_t unmatched_end_tags = 0;  // dropped
    std::size_t unclosed_elements = 0;   // closed by the repair
    bool cut_inside_entry = false;       // the input ended inside an item/entry, which was dropped
    bool too_deep = false;
};

RepairedXml repair_xml(std::string_view document, std::size_t max_depth);

// "item" and "entry", whatever their prefix.
bool is_entry_element_name(std::string_view qualified_name);

}  // namespace chuhai::feed
