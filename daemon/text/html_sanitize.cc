#include "text/html_sanitize.h"

#include <gumbo.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "text/html_text.h"

namespace chuhai::text {

namespace {

struct GumboOutputDeleter {
    void operator()(GumboOutput* output) const noexcept {
        gumbo_destroy_output(&kGumboDefaultOptions, output);
    }
};
using GumboOutputPtr = std::unique_ptr<GumboOutput, GumboOutputDeleter>;

enum class Treatment { keep, unwrap, drop, image };

bool in(std::string_view name, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

Treatment treatment_of(std::string_view tag) {
    if (in(tag,
           {"a",      "abbr",  "b",     "blockquote", "br",    "caption", "cite",   "code",
            "dd",     "del",   "dfn",   "div",        "dl",    "dt",      "em",     "figcaption",
            "figure", "h1",    "h2",    "h3",         "h4",    "h5",      "h6",     "hr",
            "i",      "ins",   "kbd",   "li",         "mark",  "ol",      "p",      "pre",
            "q",      "s",     "samp",  "small",      "span",  "strike",  "strong", "sub",
            "sup",    "table", "tbody", "td",         "tfoot", "th",      "thead",  "tr",
            "u",      "ul",    "var"}))
        return Treatment::keep;
    if (in(tag,
           {"script",   "style",    "iframe", "frame", "frameset", "object",  "embed",    "applet",
            "noscript", "template", "form",   "input", "button",   "select",  "textarea", "option",
            "audio",    "video",    "source", "track", "picture",  "canvas",  "svg",      "math",
            "link",     "meta",     "base",   "head",  "title",    "noembed", "noframes", "param",
            "map",      "area",     "dialog", "portal"}))
        return Treatment::drop;
    if (tag == "img")
        return Treatment::image;
    return Treatment::unwrap;
}

bool is_void(std::string_view tag) {
    return tag == "br" || tag == "hr";
}

void append_escaped(std::string_view text, std::string& out, bool attribute) {
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                if (attribute) {
                    out += "&quot;";
                    break;
                }
                [[fallthrough]];
            default:
                out.push_back(c);
        }
    }
}

std::string_view tag_name(const GumboElement& element) {
    if (element.tag != GUMBO_TAG_UNKNOWN)
        return gumbo_normalized_tagname(element.tag);
    return {};  // unknown tags are unwrapped
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i])
            return false;
    }
    return true;
}

std::string default_link_policy(std::string_view href) {
    std::size_t start = 0;
    while (start < href.size() && static_cast<unsigned char>(href[start]) <= ' ')
        ++start;
    href.remove_prefix(start);
    if (starts_with_ci(href, "http://") || starts_with_ci(href, "https://") ||
        starts_with_ci(href, "mailto:"))
        return std::string(href);
    return {};
}

void append_attributes(const GumboElement& element, std::string_view tag, std::string& out,
                       const LinkResolver& resolve_link) {
    for (unsigned i = 0; i < element.attributes.length; ++i) {
        const auto* attribute = static_cast<const GumboAttribute*>(element.attributes.data[i]);
        const std::string_view name = attribute->name;
        const std::string_view value = attribute->value;
        if (tag == "a" && name == "href") {
            std::string url = resolve_link ? resolve_link(value) : default_link_policy(value);
            // A resolver may be lenient; the scheme check is not optional.
            if (!url.empty() && !default_link_policy(url).empty()) {
                out += " href=\"";
                append_escaped(url, out, true);
                out += "\" rel=\"nofollow noopener noreferrer\"";
            }
        } else if (name == "title" ||
                   ((tag == "td" || tag == "th") && (name == "colspan" || name == "rowspan")) ||
                   (tag == "ol" && name == "start")) {
            out += ' ';
            out += name;
            out += "=\"";
            append_escaped(value, out, true);
            out += '"';
        }
    }
}

// A rough count of open-element depth, enough to decide whether gumbo (whose tree teardown
// recurses) may see this markup.
std::size_t rough_nesting_depth(std::string_view html) {
    std::size_t depth = 0, deepest = 0;
    for (std::size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1)) {
        if (i + 1 >= html.size())
            break;
        const char next = html[i + 1];
        if (next == '/') {
            if (depth > 0)
                --depth;
        } else if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z')) {
            deepest = std::max(deepest, ++depth);
        }
    }
    return deepest;
}

struct Frame {
    const GumboNode* node;
    unsigned next_child;
    std::string_view close_tag;  // empty when the element was unwrapped or is void
};

}  // namespace

std::string sanitize_html(std::string_view html, const LinkResolver& resolve_link) {
    std::string out;
    if (rough_nesting_depth(html) > kMaxSanitizeDepth) {
        out += "<p>";
        append_escaped(html_to_text(html), out, false);
        out += "</p>";
        return out;
    }
    GumboOptions options = kGumboDefaultOptions;
    options.max_errors = 0;  // errors are not reported to anyone; do not collect them
    GumboOutputPtr parsed(gumbo_parse_with_options(&options, html.data(), html.size()));
    if (!parsed)
        return out;

    // The fragment is parsed as a document: its content is the children of <body>. Walk
    // iteratively so that depth never costs stack.
    std::vector<Frame> stack;
    const GumboNode* root = parsed->root;
    const GumboNode* body = nullptr;
    const GumboVector& root_children = root->v.element.children;
    for (unsigned i = 0; i < root_children.length; ++i) {
        const auto* child = static_cast<const GumboNode*>(root_children.data[i]);
        if (child->type == GUMBO_NODE_ELEMENT && child->v.element.tag == GUMBO_TAG_BODY)
            body = child;
    }
    if (body == nullptr)
        return out;
    stack.push_back({body, 0, {}});
    while (!stack.empty()) {
        Frame& frame = stack.back();
        const GumboVector& children = frame.node->v.element.children;
        if (frame.next_child >= children.length) {
            if (!frame.close_tag.empty()) {
                out += "</";
                out += frame.close_tag;
                out += '>';
            }
            stack.pop_back();
            continue;
        }
        const auto* child = static_cast<const GumboNode*>(children.data[frame.next_child++]);
        switch (child->type) {
            case GUMBO_NODE_TEXT:
            case GUMBO_NODE_WHITESPACE:
            case GUMBO_NODE_CDATA:
                append_escaped(child->v.text.text, out, false);
                break;
            case GUMBO_NODE_ELEMENT:
            case GUMBO_NODE_TEMPLATE: {
                const GumboElement& element = child->v.element;
                const std::string_view tag = tag_name(element);
                const Treatment treatment =
                    tag.empty() ? Treatment::unwrap
                                : (child->type == GUMBO_NODE_TEMPLATE ? Treatment::drop
                                                                      : treatment_of(tag));
                if (element.tag_namespace != GUMBO_NAMESPACE_HTML && treatment != Treatment::drop) {
                    // Foreign content outside svg/math roots: keep the text only.
                    stack.push_back({child, 0, {}});
                    break;
                }
                if (treatment == Treatment::drop)
                    break;
                if (treatment == Treatment::image) {
                    if (const GumboAttribute* alt = gumbo_get_attribute(&element.attributes, "alt"))
                        append_escaped(alt->value, out, false);
                    break;
                }
                if (treatment == Treatment::unwrap) {
                    stack.push_back({child, 0, {}});
                    break;
                }
                out += '<';
                out += tag;
                append_attributes(element, tag, out, resolve_link);
                out += '>';
                stack.push_back({child, 0, is_void(tag) ? std::string_view{} : tag});
                break;
            }
            case GUMBO_NODE_COMMENT:
            case GUMBO_NODE_DOCUMENT:
                break;
        }
    }
    return out;
}

}  // namespace chuhai::text
