#include "feed/feed_parser.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <pugixml.hpp>
#include <vector>

#include "common/error.h"
#include "feed/charset.h"
#include "feed/identity.h"
#include "feed/parse_context.h"
#include "feed/url.h"
#include "feed/xml_repair.h"
#include "feed/xml_text.h"
#include "text/html_text.h"

namespace chuhai::feed {

namespace detail {

void ParseContext::bozo(std::string_view reason) {
    FeedDocument& doc = document;
    if (!doc.bozo) {
        doc.bozo = true;
        doc.bozo_reason.assign(reason);
        return;
    }
    // Keep the message short: three reasons say enough.
    if (std::count(doc.bozo_reason.begin(), doc.bozo_reason.end(), ';') < 2) {
        doc.bozo_reason += "; ";
        doc.bozo_reason += reason;
    }
}

void finish_entry(FeedEntry& entry, std::string_view raw_link, std::string_view base) {
    entry.html_base.assign(base);
    if (!raw_link.empty()) {
        entry.url = resolve_url(raw_link, base);
        entry.link = canonicalize_url(entry.url);
    }
    entry.content_hash = content_hash(entry);
}

}  // namespace detail

namespace {

using detail::ParseContext;

enum class Ns {
    none,
    atom10,
    atom03,
    rss10,
    rss090,
    rdf,
    dc,
    dcterms,
    content,
    media,
    xhtml,
    itunes,
    other
};

// `text` == `literal`, compared with a memcmp of a constant size (which the compiler inlines)
// rather than a library call: element names are compared by the dozen for every entry.
template <std::size_t N>
bool is(std::string_view text, const char (&literal)[N]) {
    return text.size() == N - 1 && std::memcmp(text.data(), literal, N - 1) == 0;
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// ASCII case-insensitive equality (std::tolower would consult the C locale for every byte).
bool equals_ci(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

Ns ns_from_uri(std::string_view uri) {
    while (!uri.empty() && uri.back() == '/')
        uri.remove_suffix(1);
    if (is(uri, "http://www.w3.org/2005/Atom") || is(uri, "https://www.w3.org/2005/Atom"))
        return Ns::atom10;
    if (is(uri, "http://purl.org/atom/ns#") ||
        is(uri, "http://purl.org/atom/ns#draft-ietf-atompub-format-07") ||
        is(uri, "http://example.com/newformat#") || is(uri, "http://purl.org/echo"))
        return Ns::atom03;
    if (is(uri, "http://purl.org/rss/1.0"))
        return Ns::rss10;
    if (is(uri, "http://my.netscape.com/rdf/simple/0.9"))
        return Ns::rss090;
    if (is(uri, "http://www.w3.org/1999/02/22-rdf-syntax-ns#"))
        return Ns::rdf;
    if (is(uri, "http://purl.org/dc/elements/1.1") || is(uri, "http://purl.org/dc/elements/1.0"))
        return Ns::dc;
    if (is(uri, "http://purl.org/dc/terms"))
        return Ns::dcterms;
    if (is(uri, "http://purl.org/rss/1.0/modules/content"))
        return Ns::content;
    if (is(uri, "http://search.yahoo.com/mrss") || is(uri, "http://video.search.yahoo.com/mrss"))
        return Ns::media;
    if (is(uri, "http://www.w3.org/1999/xhtml"))
        return Ns::xhtml;
    if (equals_ci(uri, "http://www.itunes.com/dtds/podcast-1.0.dtd") ||
        equals_ci(uri, "https://www.itunes.com/dtds/podcast-1.0.dtd"))
        return Ns::itunes;
    // RSS 2.0 namespaces some generators declare: the same vocabulary as no namespace.
    if (uri.rfind("http://backend.userland.com/rss", 0) == 0 ||
        is(uri, "http://blogs.law.harvard.edu/tech/rss") || is(uri, "http://purl.org/rss/2.0") ||
        uri.empty())
        return Ns::none;
    return Ns::other;
}

// For prefixes a broken feed uses without declaring them.
Ns ns_from_prefix(std::string_view prefix) {
    if (is(prefix, "dc"))
        return Ns::dc;
    if (is(prefix, "dcterms"))
        return Ns::dcterms;
    if (is(prefix, "content"))
        return Ns::content;
    if (is(prefix, "media"))
        return Ns::media;
    if (is(prefix, "atom") || is(prefix, "atom10"))
        return Ns::atom10;
    if (is(prefix, "rdf"))
        return Ns::rdf;
    if (is(prefix, "xhtml"))
        return Ns::xhtml;
    if (is(prefix, "itunes"))
        return Ns::itunes;
    return Ns::other;
}

struct QName {
    Ns ns;
    std::string_view local;
};

// Resolves element names to (namespace, local name). Most feeds declare every namespace on
// the root, so the root's declarations are read once; elements below it are checked for
// their own (re)declarations on the way up, which are rare and cheap to look for.
class NamespaceResolver {
  public:
    // `declarations_in_document`: how often "xmlns" occurs in the document's text. When the
    // root holds all of them, nothing below it can redeclare a prefix and the walk up is
    // skipped.
    NamespaceResolver(const pugi::xml_node& root, std::size_t declarations_in_document)
        : root_(root) {
        for (const pugi::xml_attribute& attribute : root.attributes()) {
            const std::string_view name = attribute.name();
            if (is(name, "xmlns"))
                root_declarations_.push_back({"", ns_from_uri(attribute.value())});
            else if (name.substr(0, 6) == "xmlns:")
                root_declarations_.push_back({name.substr(6), ns_from_uri(attribute.value())});
        }
        only_root_declares_ = declarations_in_document <= root_declarations_.size();
    }

    QName resolve(const pugi::xml_node& node) const {
        const std::string_view name = node.name();
        const std::size_t colon = name.find(':');
        const std::string_view prefix =
            colon == std::string_view::npos ? std::string_view{} : name.substr(0, colon);
        const std::string_view local =
            colon == std::string_view::npos ? name : name.substr(colon + 1);
        if (is(prefix, "xml"))
            return {Ns::other, local};
        if (!only_root_declares_ && node != root_ && node.type() == pugi::node_element) {
            // The element's own declarations, then its ancestors' below the root, nearest
            // first. Siblings share their ancestors, so what their parent's chain says about
            // a prefix is remembered while the reader goes through the parent's children.
            if (const std::optional<Ns> ns = declared_on(node, prefix))
                return {*ns, local};
            const pugi::xml_node parent = node.parent();
            if (parent != chain_of_) {
                chain_of_ = parent;
                chain_answers_.clear();
            }
            for (const auto& [known, ns] : chain_answers_)
                if (known == prefix)
                    return {ns, local};
            const Ns ns = resolve_above(parent, prefix);
            chain_answers_.push_back({prefix, ns});
            return {ns, local};
        }
        return {from_root(prefix), local};
    }

    // The first prefix an element the reader looked at used without declaring it (the
    // document is then not namespace-well-formed), or "".
    std::string_view undeclared_prefix() const { return undeclared_prefix_; }

  private:
    // The namespace of `prefix` for the children of `parent`: declared by `parent` or an
    // ancestor below the root, else by the root, else guessed from the prefix.
    Ns resolve_above(const pugi::xml_node& parent, std::string_view prefix) const {
        for (pugi::xml_node n = parent; n && n != root_ && n.type() == pugi::node_element;
             n = n.parent())
            if (const std::optional<Ns> ns = declared_on(n, prefix))
                return *ns;
        return from_root(prefix);
    }

    Ns from_root(std::string_view prefix) const {
        for (const auto& [declared, ns] : root_declarations_)
            if (declared == prefix)
                return ns;
        if (prefix.empty())
            return Ns::none;
        if (undeclared_prefix_.empty())
            undeclared_prefix_ = prefix;
        return ns_from_prefix(prefix);
    }

    // The namespace `element` itself declares for `prefix`, if it does.
    std::optional<Ns> declared_on(const pugi::xml_node& element, std::string_view prefix) const {
        // first_attribute() rather than attributes(): most elements have none, and building
        // the range costs more than the call.
        for (pugi::xml_attribute attribute = element.first_attribute(); attribute;
             attribute = attribute.next_attribute()) {
            const std::string_view attribute_name = attribute.name();
            if (attribute_name.size() < 5 || attribute_name.substr(0, 5) != "xmlns")
                continue;
            const std::string_view declared = attribute_name.size() > 6 && attribute_name[5] == ':'
                                                  ? attribute_name.substr(6)
                                                  : std::string_view{};
            if ((attribute_name.size() == 5 && prefix.empty()) ||
                (!prefix.empty() && declared == prefix))
                return cached_ns_from_uri(attribute.value());
        }
        return std::nullopt;
    }

    // Feeds that declare namespaces on every element (feedburner's atom10:link, podcasts'
    // itunes:* and media:*) repeat a few URIs; pugixml gives each its own copy, so the last
    // few are remembered by content.
    Ns cached_ns_from_uri(std::string_view uri) const {
        for (const auto& [known, ns] : recent_uris_)
            if (known == uri)
                return ns;
        const Ns ns = ns_from_uri(uri);
        recent_uris_[next_recent_] = {uri, ns};
        next_recent_ = (next_recent_ + 1) % recent_uris_.size();
        return ns;
    }

    pugi::xml_node root_;
    std::vector<std::pair<std::string_view, Ns>> root_declarations_;
    bool only_root_declares_ = false;
    mutable pugi::xml_node chain_of_;  // the parent chain_answers_ is about
    mutable std::vector<std::pair<std::string_view, Ns>> chain_answers_;
    // Views of attribute values inside the parsed document, which outlives the resolver.
    mutable std::array<std::pair<std::string_view, Ns>, 4> recent_uris_{};
    mutable std::size_t next_recent_ = 0;
    mutable std::string_view undeclared_prefix_;  // a view into the parsed document
};

std::string_view trimmed_view(std::string_view s) {
    while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ')
        s.remove_prefix(1);
    while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ')
        s.remove_suffix(1);
    return s;
}

std::string trimmed(std::string_view s) {
    return std::string(trimmed_view(s));
}

std::string base64_decode(std::string_view in) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        if (c == '+' || c == '-')
            return 62;
        if (c == '/' || c == '_')
            return 63;
        return -1;
    };
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : in) {
        const int v = value(c);
        if (v < 0)
            continue;
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
        }
    }
    return out;
}

// An Atom text construct (or any element that may hold text or markup), read once.
struct TextValue {
    std::string markup;  // HTML source when is_html, else the plain text
    bool is_html = false;
    // Where the markup came from, for the xml:base its links resolve against: the element,
    // and the xhtml div whose children are the markup (null when there is none).
    pugi::xml_node element, wrapper;

    std::string plain() const {
        return is_html ? text::html_to_text(markup) : text::collapse_whitespace(markup);
    }
};

class XmlFeedReader {
  public:
    XmlFeedReader(ParseContext& context, XmlText& xml, const pugi::xml_node& root,
                  std::size_t namespace_declarations)
        : context_(context), xml_(xml), namespaces_(root, namespace_declarations) {}

    void read(const pugi::xml_node& root) {
        const QName name = qname_of(root);
        const std::string base = with_base(root, context_.options.base_url);
        if (is(name.local, "rss") && (name.ns == Ns::none || name.ns == Ns::other)) {
            const std::string_view version = root.attribute("version").value();
            doc().format = version.substr(0, 3) == "0.9" ? "rss0.9x" : "rss2.0";
            read_rss(root, base);
        } else if (is(name.local, "RDF") && (name.ns == Ns::rdf || name.ns == Ns::other)) {
            bool rss090 = ns_from_uri(root.attribute("xmlns").value()) == Ns::rss090;
            for (const pugi::xml_node& child : root.children())
                if (child.type() == pugi::node_element && qname_of(child).ns == Ns::rss090)
                    rss090 = true;
            doc().format = rss090 ? "rss0.9x" : "rss1.0";
            read_rss(root, base);
        } else if (is(name.local, "feed") && name.ns != Ns::rss10 && name.ns != Ns::xhtml) {
            // Drafts of Atom used several namespaces; a <feed> root in any of them is Atom.
            const std::string_view version = root.attribute("version").value();
            atom03_ = name.ns == Ns::atom03 || (name.ns != Ns::atom10 && is(version, "0.3"));
            root_ns_ = name.ns;
            doc().format = atom03_ ? "atom0.3" : "atom1.0";
            read_atom_feed(root, base);
        } else if (is(name.local, "channel") && name.ns == Ns::none) {
            doc().format = "rss0.9x";  // a bare <channel> without <rss> around it
            read_rss_channel_and_items(root, root, base);
        } else if (equals_ci(name.local, "html")) {
            throw Error(ErrorKind::parse, "an HTML page, not a feed", context_.where());
        } else {
            throw Error(ErrorKind::parse,
                        "not a feed: the root element is <" + std::string(root.name()) + ">",
                        context_.where());
        }
    }

    // See NamespaceResolver::undeclared_prefix().
    std::string_view undeclared_prefix() const { return namespaces_.undeclared_prefix(); }

  private:
    FeedDocument& doc() { return context_.document; }

    // The base below `node`. An xml:base with a scheme other than http(s) (javascript:,
    // data:) is ignored: links resolved against it would become scripts.
    std::string with_base(const pugi::xml_node& node, const std::string& parent_base) {
        const pugi::xml_attribute attribute = node.attribute("xml:base");
        if (!attribute)
            return parent_base;
        std::string base = resolve_url(xml_.decode(attribute.value()), parent_base);
        return has_non_web_scheme(base) ? parent_base : base;
    }

    std::string attribute_text(const pugi::xml_node& node, const char* name) {
        scratch_.clear();
        xml_.decode(node.attribute(name).value(), scratch_);
        return trimmed(scratch_);
    }

    // The element's text, trimmed. Intermediate text goes through scratch_, so that only the
    // result is allocated.
    std::string trimmed_text(const pugi::xml_node& node) {
        scratch_.clear();
        xml_.text(node, scratch_);
        return trimmed(scratch_);
    }

    // The element's content read as HTML, as plain text (titles, RSS descriptions).
    std::string html_text(const pugi::xml_node& node) {
        scratch_.clear();
        xml_.markup(node, scratch_);
        return text::html_to_text(scratch_);
    }

    TextValue construct(const pugi::xml_node& node) {
        TextValue value;
        value.element = node;
        std::string type = node.attribute("type").value();
        std::transform(type.begin(), type.end(), type.begin(), ascii_lower);
        const std::string_view mode = node.attribute("mode").value();
        const bool html = is(type, "html") || is(type, "text/html");
        const bool xhtml = is(type, "xhtml") || is(type, "application/xhtml+xml");
        // Atom 1.0: a MIME type that is neither text nor XML means base64 content.
        const bool binary = !type.empty() && type.find('/') != std::string::npos &&
                            type.rfind("text/", 0) != 0 && type.find("xml") == std::string::npos;
        if (is(mode, "base64") || binary) {
            value.markup = base64_decode(xml_.text(node));
            std::string repaired;
            repair_utf8(value.markup, repaired);
            value.markup = std::move(repaired);
            value.is_html = html || xhtml;
            return value;
        }
        if (xhtml || is(mode, "xml")) {
            // The content is the children of one xhtml:div (Atom 1.0), or inline markup.
            pugi::xml_node wrapper;
            for (const pugi::xml_node& child : node.children()) {
                if (child.type() == pugi::node_element) {
                    if (!wrapper && is(qname_of(child).local, "div"))
                        wrapper = child;
                    else
                        wrapper = pugi::xml_node();
                }
            }
            if (xhtml)
                value.wrapper = wrapper;
            value.markup = xml_.markup(wrapper && xhtml ? wrapper : node, /*inline_markup=*/true);
            value.is_html = true;
            return value;
        }
        if (html) {
            value.markup = xml_.markup(node);
            value.is_html = true;
            return value;
        }
        if (*node.value() == '\0' && node.first_child() &&
            node.first_child().type() == pugi::node_element) {
            // Plain text that holds elements anyway: read as markup.
            value.markup = xml_.markup(node);
            value.is_html = true;
            return value;
        }
        value.markup = xml_.text(node);
        value.is_html = false;  // type "text" (Atom's default) or "text/plain"
        return value;
    }

    std::string plain_text(const pugi::xml_node& node) {
        scratch_.clear();
        xml_.text(node, scratch_);
        return text::collapse_whitespace(scratch_);
    }

    // ---- RSS 0.9x / 2.0 / 1.0 -------------------------------------------------------------

    void read_rss(const pugi::xml_node& root, const std::string& base) {
        pugi::xml_node channel;
        for (const pugi::xml_node& child : root.children()) {
            if (child.type() == pugi::node_element && is(qname_of(child).local, "channel")) {
                channel = child;
                break;
            }
        }
        read_rss_channel_and_items(channel, root, base);
    }

    void read_rss_channel_and_items(const pugi::xml_node& channel, const pugi::xml_node& root,
                                    const std::string& root_base) {
        const std::string channel_base = channel ? with_base(channel, root_base) : root_base;
        std::string link, atom_link, itunes_subtitle;
        reserve_entries(channel);
        if (root != channel)
            reserve_entries(root);
        if (channel) {
            for (const pugi::xml_node& child : channel.children()) {
                if (child.type() != pugi::node_element)
                    continue;
                const QName name = qname_of(child);
                if (name.ns == Ns::none || name.ns == Ns::rss10 || name.ns == Ns::rss090) {
                    if (is(name.local, "title") && doc().title.empty())
                        doc().title = html_text(child);
                    else if (is(name.local, "link") && link.empty())
                        link = trimmed_text(child);
                    else if (is(name.local, "description") && doc().subtitle.empty())
                        doc().subtitle = html_text(child);
                    else if (is(name.local, "ttl"))
                        read_ttl(child);
                    else if (is(name.local, "item"))
                        read_rss_item(child, channel_base);
                } else if (name.ns == Ns::dc) {
                    if (is(name.local, "title") && doc().title.empty())
                        doc().title = html_text(child);
                    else if (is(name.local, "description") && doc().subtitle.empty())
                        doc().subtitle = html_text(child);
                } else if (name.ns == Ns::itunes) {
                    if ((is(name.local, "subtitle") || is(name.local, "summary")) &&
                        itunes_subtitle.empty())
                        itunes_subtitle = plain_text(child);
                } else if (name.ns == Ns::atom10 && is(name.local, "link") && atom_link.empty()) {
                    const std::string rel = attribute_text(child, "rel");
                    if (rel.empty() || is(rel, "alternate"))
                        atom_link = resolve_url(attribute_text(child, "href"),
                                                with_base(child, channel_base));
                }
            }
        }
        if (doc().subtitle.empty())
            doc().subtitle = std::move(itunes_subtitle);
        if (!link.empty())
            doc().url = resolve_url(link, channel_base);
        else if (!atom_link.empty())
            doc().url = atom_link;
        doc().link = canonicalize_url(doc().url);
        // Items are children of the channel (RSS 2.0) or of the root (RSS 1.0, some 0.9x).
        if (root != channel) {
            for (const pugi::xml_node& child : root.children()) {
                if (child.type() != pugi::node_element)
                    continue;
                const QName name = qname_of(child);
                if (is(name.local, "item") && name.ns != Ns::other)
                    read_rss_item(child, root_base);
                else if (is(name.local, "textinput") || is(name.local, "textInput"))
                    continue;
            }
        }
    }

    // Room for as many entries as `parent` has child elements (an upper bound on the entries
    // among them): entries are large, and growing the vector moves them all.
    void reserve_entries(const pugi::xml_node& parent) {
        std::size_t elements = 0;
        for (pugi::xml_node child = parent.first_child(); child; child = child.next_sibling())
            elements += child.type() == pugi::node_element ? 1 : 0;
        doc().entries.reserve(doc().entries.size() + elements);
    }

    void read_ttl(const pugi::xml_node& node) {
        const std::string value = trimmed_text(node);
        if (value.empty() || value.size() > 9 ||
            !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return;
        doc().ttl_minutes = std::stoi(value);
    }

    void read_rss_item(const pugi::xml_node& item, const std::string& parent_base,
                       int nesting = 0) {
        FeedEntry entry;
        std::vector<pugi::xml_node> nested_items;
        const std::string base = with_base(item, parent_base);
        std::string link, atom_link, guid_link;
        std::string description, content, media_description;
        bool have_description = false, have_content = false;
        std::string published_text, dc_date_text, updated_text;
        std::string itunes_author, media_title;
        MediaImage image;
        for (const pugi::xml_node& child : item.children()) {
            if (child.type() != pugi::node_element)
                continue;
            const QName name = qname_of(child);
            switch (name.ns) {
                case Ns::none:
                case Ns::rss10:
                case Ns::rss090:
                    if (is(name.local, "title")) {
                        if (entry.title.empty())
                            entry.title = html_text(child);
                    } else if (is(name.local, "link")) {
                        if (link.empty())
                            link = trimmed_text(child);
                    } else if (is(name.local, "guid")) {
                        if (entry.id.empty()) {
                            entry.id = trimmed_text(child);
                            const std::string permalink = attribute_text(child, "isPermaLink");
                            if (!is(permalink, "false") && !entry.id.empty())
                                guid_link = entry.id;
                        }
                    } else if (is(name.local, "description")) {
                        if (!have_description) {
                            description = xml_.markup(child);
                            have_description = true;
                        }
                    } else if (is(name.local, "pubDate")) {
                        if (published_text.empty())
                            published_text = trimmed_text(child);
                    } else if (is(name.local, "author")) {
                        if (entry.author.empty())
                            entry.author = plain_text(child);
                    } else if (is(name.local, "category")) {
                        add_category(entry, plain_text(child));
                    } else if (is(name.local, "body") || is(name.local, "fullitem")) {
                        // Early RSS extensions for full content (inline or escaped).
                        if (!have_content) {
                            content = xml_.markup(child);
                            have_content = true;
                        }
                    } else if (is(name.local, "item")) {
                        // An item inside an item: broken, but an entry of its own for every
                        // reader that recovers it.
                        nested_items.push_back(child);
                    }
                    break;
                case Ns::dc:
                    if (is(name.local, "creator") || is(name.local, "author") ||
                        is(name.local, "contributor")) {
                        if (entry.author.empty())
                            entry.author = plain_text(child);
                    } else if (is(name.local, "date")) {
                        if (dc_date_text.empty())
                            dc_date_text = trimmed_text(child);
                    } else if (is(name.local, "subject")) {
                        add_category(entry, plain_text(child));
                    } else if (is(name.local, "title")) {
                        if (entry.title.empty())
                            entry.title = html_text(child);
                    } else if (is(name.local, "description")) {
                        if (!have_description) {
                            description = xml_.markup(child);
                            have_description = true;
                        }
                    } else if (is(name.local, "identifier")) {
                        if (entry.id.empty())
                            entry.id = trimmed_text(child);
                    }
                    break;
                case Ns::dcterms:
                    if (is(name.local, "modified")) {
                        if (updated_text.empty())
                            updated_text = trimmed_text(child);
                    } else if (is(name.local, "issued") || is(name.local, "created")) {
                        if (published_text.empty())
                            published_text = trimmed_text(child);
                    }
                    break;
                case Ns::content:
                    if (is(name.local, "encoded") && !have_content) {
                        content = xml_.markup(child);
                        have_content = true;
                    }
                    break;
                case Ns::xhtml:
                    if (is(name.local, "body") && !have_content) {
                        content = xml_.markup(child);
                        have_content = true;
                    }
                    break;
                case Ns::atom10:
                    if (is(name.local, "link")) {
                        const std::string rel = attribute_text(child, "rel");
                        if (atom_link.empty() && (rel.empty() || is(rel, "alternate")))
                            atom_link =
                                resolve_url(attribute_text(child, "href"), with_base(child, base));
                    } else if (is(name.local, "updated")) {
                        if (updated_text.empty())
                            updated_text = trimmed_text(child);
                    } else if (is(name.local, "published")) {
                        if (published_text.empty())
                            published_text = trimmed_text(child);
                    } else if (is(name.local, "summary")) {
                        if (!have_description) {
                            description = construct(child).markup;
                            have_description = true;
                        }
                    } else if (is(name.local, "content")) {
                        if (!have_content) {
                            const TextValue value = construct(child);
                            content = value.is_html ? value.markup : escape_html(value.markup);
                            have_content = true;
                        }
                    }
                    break;
                case Ns::itunes:
                    if (is(name.local, "summary") && media_description.empty())
                        media_description = xml_.markup(child);
                    else if (is(name.local, "author") && itunes_author.empty())
                        itunes_author = plain_text(child);
                    else if (is(name.local, "category"))
                        add_itunes_categories(entry, child);
                    break;
                case Ns::media:
                    if (is(name.local, "category"))
                        add_category(entry, plain_text(child));
                    else if (is(name.local, "title") && media_title.empty())
                        media_title = html_text(child);
                    else if (is(name.local, "description") && media_description.empty())
                        media_description = xml_.markup(child);
                    else if (is(name.local, "group"))
                        for (const pugi::xml_node& inner : child.children()) {
                            if (inner.type() != pugi::node_element)
                                continue;
                            const std::string_view local = qname_of(inner).local;
                            if (is(local, "description") && media_description.empty())
                                media_description = xml_.markup(inner);
                            else
                                note_media_image(inner, local, base, image);
                        }
                    else
                        note_media_image(child, name.local, base, image);
                    break;
                default:
                    break;
            }
        }
        if (!have_description && !media_description.empty()) {
            description = std::move(media_description);
            have_description = true;
        }
        if (entry.title.empty())
            entry.title = std::move(media_title);
        entry.thumbnail = std::move(image.url);
        if (entry.author.empty())
            entry.author = std::move(itunes_author);
        entry.author = person_from_rss(entry.author);
        if (entry.id.empty()) {
            // RSS 1.0 identifies items by rdf:about.
            for (const pugi::xml_attribute& attribute : item.attributes()) {
                const std::string_view attribute_name = attribute.name();
                if (attribute_name.size() > 6 &&
                    attribute_name.substr(attribute_name.size() - 6) == ":about")
                    entry.id = trimmed(xml_.decode(attribute.value()));
            }
        }
        // dc:date is the item's date: its publication when nothing else says, and its update.
        if (!dc_date_text.empty() && updated_text.empty())
            updated_text = dc_date_text;
        if (published_text.empty())
            published_text = dc_date_text;
        if (!published_text.empty())
            entry.published = context_.dates.parse(published_text);
        if (!updated_text.empty())
            entry.updated = context_.dates.parse(updated_text);
        entry.summary = text::html_to_text(description);
        if (have_content) {
            entry.content = text::html_to_text(content);
            entry.content_html = std::move(content);
        } else {
            entry.content_html = std::move(description);
        }
        // The link: <link>, else atom:link, else a guid that is a permalink URL.
        std::string raw_link = link;
        std::string link_base = base;
        if (raw_link.empty() && !atom_link.empty()) {
            raw_link = atom_link;
        }
        if (raw_link.empty() && is_url(guid_link))
            raw_link = guid_link;
        detail::finish_entry(entry, raw_link, link_base);
        doc().entries.push_back(std::move(entry));
        if (nesting < 8)
            for (const pugi::xml_node& nested : nested_items)
                read_rss_item(nested, base, nesting + 1);
    }

    // Media RSS images of an entry: the first media:thumbnail wins; without one, the widest
    // media:content that is an image.
    struct MediaImage {
        std::string url;
        bool thumbnail = false;
        long width = -1;
    };

    void note_media_image(const pugi::xml_node& element, std::string_view local,
                          const std::string& base, MediaImage& image) {
        if (image.thumbnail)
            return;
        const bool thumbnail = is(local, "thumbnail");
        if (!thumbnail && !(is(local, "content") && is_image_content(element)))
            return;
        // The width as written: digits only (a reference or a sign makes it no width).
        long width = -1;
        const std::string_view width_text = trimmed_view(element.attribute("width").value());
        if (!width_text.empty() && width_text.size() < 9 &&
            std::all_of(width_text.begin(), width_text.end(),
                        [](char c) { return c >= '0' && c <= '9'; }))
            width = std::stol(std::string(width_text));
        if (!thumbnail && !image.url.empty() && width <= image.width)
            return;
        const std::string url = attribute_text(element, "url");
        if (url.empty())
            return;
        std::string resolved = resolve_url(url, with_base(element, base));
        if (has_non_web_scheme(resolved))
            return;
        image = {std::move(resolved), thumbnail, width};
    }

    // medium="image", else an image/* type, else (neither given) a URL naming an image file.
    // The attributes are compared as written: the words they must hold need no references.
    bool is_image_content(const pugi::xml_node& element) {
        const std::string_view medium = trimmed_view(element.attribute("medium").value());
        if (!medium.empty())
            return equals_ci(medium, "image");
        const std::string_view type = trimmed_view(element.attribute("type").value());
        if (!type.empty())
            return type.size() > 6 && equals_ci(type.substr(0, 6), "image/");
        std::string_view path = element.attribute("url").value();
        std::size_t end = 0;
        while (end < path.size() && path[end] != '?' && path[end] != '#')
            ++end;
        path = path.substr(0, end);
        const std::size_t dot = path.rfind('.');
        if (dot == std::string_view::npos)
            return false;
        const std::string_view extension = path.substr(dot + 1);
        for (const std::string_view image : {"jpg", "jpeg", "png", "gif", "webp", "avif"})
            if (equals_ci(extension, image))
                return true;
        return false;
    }

    // RSS writes people as "email (Name)", "Name (email)" or "Name <email>": keep the name.
    static std::string person_from_rss(const std::string& text) {
        const std::size_t at = text.find('@');
        if (at == std::string::npos)
            return text;
        const std::size_t open = text.find_first_of("(<");
        const std::size_t close = text.find_last_of(")>");
        if (open == std::string::npos || close == std::string::npos || close < open)
            return text;
        std::string inside = trimmed(std::string_view(text).substr(open + 1, close - open - 1));
        std::string outside = trimmed(std::string_view(text).substr(0, open));
        if (inside.find('@') != std::string::npos)
            return outside.empty() ? inside : outside;
        return inside.empty() ? outside : inside;
    }

    static bool is_url(std::string_view s) {
        return s.substr(0, 7) == "http://" || s.substr(0, 8) == "https://";
    }

    static std::string escape_html(std::string_view text) {
        std::string out;
        for (const char c : text) {
            if (c == '<')
                out += "&lt;";
            else if (c == '&')
                out += "&amp;";
            else if (c == '>')
                out += "&gt;";
            else
                out.push_back(c);
        }
        return out;
    }

    void add_itunes_categories(FeedEntry& entry, const pugi::xml_node& category) {
        add_category(entry, attribute_text(category, "text"));
        for (const pugi::xml_node& child : category.children())
            if (child.type() == pugi::node_element && is(qname_of(child).local, "category"))
                add_category(entry, attribute_text(child, "text"));
    }

    static void add_category(FeedEntry& entry, std::string category) {
        if (category.empty())
            return;
        if (std::find(entry.categories.begin(), entry.categories.end(), category) ==
            entry.categories.end())
            entry.categories.push_back(std::move(category));
    }

    // ---- Atom -------------------------------------------------------------------------------

    bool is_atom(Ns ns) const {
        return ns == Ns::atom10 || ns == Ns::atom03 || ns == Ns::none || ns == root_ns_;
    }

    // The href of the best alternate link among `node`'s children.
    std::string alternate_link(const pugi::xml_node& node, const std::string& base) {
        std::string best;
        bool best_is_html = false;
        for (const pugi::xml_node& child : node.children()) {
            if (child.type() != pugi::node_element)
                continue;
            const QName name = qname_of(child);
            if (!is(name.local, "link") || !is_atom(name.ns))
                continue;
            const std::string rel = attribute_text(child, "rel");
            if (!rel.empty() && !is(rel, "alternate") &&
                !is(rel, "http://www.iana.org/assignments/relation/alternate"))
                continue;
            // Early Atom writers put the URL in the element's text instead of href.
            std::string href =
                child.attribute("href") ? attribute_text(child, "href") : trimmed_text(child);
            if (href.empty())
                continue;
            const std::string type = attribute_text(child, "type");
            const bool html =
                type.empty() || is(type, "text/html") || is(type, "application/xhtml+xml");
            if (best.empty() || (html && !best_is_html)) {
                best = resolve_url(href, with_base(child, base));
                best_is_html = html;
            }
        }
        return best;
    }

    void read_atom_feed(const pugi::xml_node& root, const std::string& base) {
        reserve_entries(root);
        for (const pugi::xml_node& child : root.children()) {
            if (child.type() != pugi::node_element)
                continue;
            const QName name = qname_of(child);
            if (!is_atom(name.ns))
                continue;
            if (is(name.local, "title") && doc().title.empty()) {
                doc().title = construct(child).plain();
            } else if ((is(name.local, "subtitle") || is(name.local, "tagline")) &&
                       doc().subtitle.empty()) {
                doc().subtitle = construct(child).plain();
            } else if (is(name.local, "entry")) {
                read_atom_entry(child, base);
            }
        }
        doc().url = alternate_link(root, base);
        doc().link = canonicalize_url(doc().url);
    }

    void read_atom_entry(const pugi::xml_node& node, const std::string& parent_base) {
        FeedEntry entry;
        const std::string base = with_base(node, parent_base);
        std::string published_text, updated_text;
        TextValue summary, content;
        bool have_summary = false, have_content = false;
        MediaImage image;
        for (const pugi::xml_node& child : node.children()) {
            if (child.type() != pugi::node_element)
                continue;
            const QName name = qname_of(child);
            if (is_atom(name.ns)) {
                const std::string_view local = name.local;
                if (is(local, "title")) {
                    if (entry.title.empty())
                        entry.title = construct(child).plain();
                } else if (is(local, "id")) {
                    if (entry.id.empty())
                        entry.id = trimmed_text(child);
                } else if (is(local, "published") || is(local, "issued") || is(local, "created")) {
                    if (published_text.empty())
                        published_text = trimmed_text(child);
                } else if (is(local, "updated") || is(local, "modified")) {
                    if (updated_text.empty())
                        updated_text = trimmed_text(child);
                } else if (is(local, "author")) {
                    if (entry.author.empty())
                        entry.author = person_name(child);
                } else if (is(local, "summary")) {
                    if (!have_summary) {
                        summary = construct(child);
                        have_summary = true;
                    }
                } else if (is(local, "content")) {
                    if (!have_content && !child.attribute("src")) {
                        content = construct(child);
                        have_content = true;
                    }
                } else if (is(local, "category")) {
                    std::string term = attribute_text(child, "term");
                    if (term.empty())
                        term = attribute_text(child, "label");
                    if (term.empty())
                        term = plain_text(child);
                    add_category(entry, std::move(term));
                }
            } else if (name.ns == Ns::dc) {
                if (is(name.local, "subject"))
                    add_category(entry, plain_text(child));
                else if (is(name.local, "creator") && entry.author.empty())
                    entry.author = plain_text(child);
                else if (is(name.local, "date") && published_text.empty())
                    published_text = trimmed_text(child);
            } else if (name.ns == Ns::media && is(name.local, "category")) {
                add_category(entry, plain_text(child));
            } else if (name.ns == Ns::media && is(name.local, "group")) {
                for (const pugi::xml_node& inner : child.children()) {
                    if (inner.type() != pugi::node_element)
                        continue;
                    const std::string_view local = qname_of(inner).local;
                    if (is(local, "description") && !have_summary) {
                        summary = construct(inner);
                        have_summary = true;
                    } else {
                        note_media_image(inner, local, base, image);
                    }
                }
            } else if (name.ns == Ns::media) {
                note_media_image(child, name.local, base, image);
            }
        }
        entry.thumbnail = std::move(image.url);
        if (!published_text.empty())
            entry.published = context_.dates.parse(published_text);
        if (!updated_text.empty())
            entry.updated = context_.dates.parse(updated_text);
        if (have_summary)
            entry.summary = summary.plain();
        // content_html's links resolve against the xml:base of the element it came from (and
        // of its xhtml div), which may differ from the entry's.
        const TextValue* html_source =
            have_content ? &content : (have_summary ? &summary : nullptr);
        std::string html_base =
            html_source == nullptr
                ? base
                : with_base(html_source->wrapper, with_base(html_source->element, base));
        if (have_content) {
            entry.content = content.plain();
            entry.content_html =
                content.is_html ? std::move(content.markup) : escape_html(content.markup);
        } else if (have_summary) {
            entry.content_html =
                summary.is_html ? std::move(summary.markup) : escape_html(summary.markup);
        }
        const std::string link = alternate_link(node, base);
        detail::finish_entry(entry, link, base);
        entry.html_base = std::move(html_base);
        doc().entries.push_back(std::move(entry));
    }

    std::string person_name(const pugi::xml_node& person) {
        std::string name, email;
        for (const pugi::xml_node& child : person.children()) {
            if (child.type() != pugi::node_element)
                continue;
            const std::string_view local = qname_of(child).local;
            if (is(local, "name") && name.empty())
                name = plain_text(child);
            else if (is(local, "email") && email.empty())
                email = plain_text(child);
        }
        if (name.empty() && email.empty())
            return plain_text(person);
        return name.empty() ? email : name;
    }

    QName qname_of(const pugi::xml_node& node) const { return namespaces_.resolve(node); }

    ParseContext& context_;
    XmlText& xml_;
    NamespaceResolver namespaces_;
    bool atom03_ = false;
    Ns root_ns_ = Ns::atom10;
    std::string scratch_;  // reused for text that is only an intermediate step
};

// Inflates a gzip body that arrived without Content-Encoding, up to max_bytes of output.
std::string gunzip(std::string_view bytes, std::size_t max_bytes, bool& truncated, bool& failed) {
    std::string out;
    z_stream stream{};
    if (inflateInit2(&stream, 15 + 32) != Z_OK) {
        failed = true;
        return out;
    }
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    stream.avail_in = static_cast<uInt>(bytes.size());
    char chunk[64 * 1024];
    int status = Z_OK;
    while (status == Z_OK) {
        stream.next_out = reinterpret_cast<Bytef*>(chunk);
        stream.avail_out = sizeof chunk;
        status = inflate(&stream, Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END) {
            failed = out.empty();
            truncated = !out.empty();
            break;
        }
        out.append(chunk, sizeof chunk - stream.avail_out);
        if (out.size() > max_bytes) {
            out.resize(max_bytes);
            truncated = true;
            break;
        }
        if (stream.avail_in == 0 && status == Z_OK && stream.avail_out != 0) {
            truncated = true;  // the stream ended before its end marker
            break;
        }
    }
    inflateEnd(&stream);
    return out;
}

std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1, line_start = 0;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, offset - line_start + 1};
}

std::string describe_position(std::string_view text, std::ptrdiff_t offset) {
    if (offset < 0)
        return {};
    const auto [line, column] = line_and_column(text, static_cast<std::size_t>(offset));
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// parse_embed_pcdata: an element's first character data child is kept as the element's
// value instead of a node of its own (fewer nodes to build and to walk); xml_text.cc reads it
// where that child would be.
constexpr unsigned kPugiFlags = pugi::parse_cdata | pugi::parse_eol | pugi::parse_wconv_attribute |
                                pugi::parse_ws_pcdata | pugi::parse_embed_pcdata;

// How often "xmlns" occurs in the text. With SSE2, sixteen positions at a time are tested for
// "xm" (rare in text, unlike 'x' alone), and only those are compared in full.
std::size_t count_xmlns(std::string_view text) {
    std::size_t count = 0;
    std::size_t i = 0;
    const std::size_t n = text.size();
#if defined(__SSE2__)
    const __m128i x = _mm_set1_epi8('x');
    const __m128i m = _mm_set1_epi8('m');
    while (i + 17 <= n) {
        const __m128i here = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
        const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i + 1));
        unsigned mask = static_cast<unsigned>(
            _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(here, x), _mm_cmpeq_epi8(next, m))));
        while (mask != 0) {
            const std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(mask));
            if (text.compare(at, 5, "xmlns") == 0)
                ++count;
            mask &= mask - 1;
        }
        i += 16;
    }
#endif
    for (std::size_t at = text.find("xmlns", i); at != std::string_view::npos;
         at = text.find("xmlns", at + 5))
        ++count;
    return count;
}

// Parses `buffer` from `start` in place (the common, well-formed case costs no copy). When
// it is not well-formed, `pristine` rebuilds the text the parse consumed, for the repair.
template <typename Pristine>
void parse_xml(std::string& buffer, std::size_t start, Pristine&& pristine, ParseContext& context) {
    // Counted before the in-place parse changes the text.
    const std::size_t declarations = count_xmlns(std::string_view(buffer).substr(start));
    pugi::xml_document document;
    pugi::xml_parse_result result = document.load_buffer_inplace(
        buffer.data() + start, buffer.size() - start, kPugiFlags, pugi::encoding_utf8);
    std::string repaired_text;
    std::string_view parsed_text = std::string_view(buffer).substr(start);
    if (!result) {
        buffer = pristine();
        const std::string_view text = std::string_view(buffer).substr(start);
        std::string reason = "not well-formed XML (" +
                             describe_position(text, static_cast<std::ptrdiff_t>(result.offset)) +
                             ": " + result.description() + ")";
        RepairedXml repaired = repair_xml(text, kMaxNestingDepth);
        if (repaired.cut_inside_entry)
            reason += "; the document ends inside an entry, which was dropped";
        if (repaired.too_deep)
            reason += "; nesting deeper than " + std::to_string(kMaxNestingDepth) + " flattened";
        context.bozo(reason);
        repaired_text = std::move(repaired.xml);
        parsed_text = repaired_text;
        document.reset();
        result = document.load_buffer_inplace(repaired_text.data(), repaired_text.size(),
                                              kPugiFlags, pugi::encoding_utf8);
        // A repaired document that still fails keeps the tree pugixml built before the error.
    }
    const pugi::xml_node root = document.document_element();
    if (!root)
        throw Error(ErrorKind::parse, "not a feed: no root element", context.where());
    // Offsets into pugixml's own copy of the buffer: its start is the root name minus the
    // root's offset.
    const char* buffer_start = root.name() - root.offset_debug();
    XmlText xml(buffer_start, kMaxNestingDepth);
    xml.undo_double_encoding(context.document.encoding == "utf-8");
    XmlFeedReader reader(context, xml, root, declarations);
    reader.read(root);
    if (const std::string_view prefix = reader.undeclared_prefix(); !prefix.empty())
        context.bozo("namespace prefix '" + std::string(prefix) + "' used without a declaration");
    if (xml.problems().count > 0) {
        std::string reason = xml.problems().first;
        const std::string position = describe_position(parsed_text, xml.problems().first_offset);
        if (!position.empty())
            reason = position + ": " + reason;
        if (xml.problems().count > 1)
            reason += " (and " + std::to_string(xml.problems().count - 1) + " more)";
        context.bozo(reason);
    }
    if (xml.too_deep())
        context.bozo("markup nested deeper than " + std::to_string(kMaxNestingDepth) +
                     " flattened");
}

// Where the document starts: after whitespace, or at the first markup when junk precedes it.
std::size_t document_start(std::string_view text, ParseContext& context) {
    std::size_t start = 0;
    while (start < text.size() && (text[start] == ' ' || text[start] == '\t' ||
                                   text[start] == '\n' || text[start] == '\r'))
        ++start;
    if (start == text.size())
        throw Error(ErrorKind::parse, "not a feed: the document is empty", context.where());
    const char first = text[start];
    if (first == '<' || first == '{' || first == '[')
        return start;
    const std::string_view head = text.substr(0, 4096);
    for (const std::string_view marker : {"<?xml", "<rss", "<feed", "<rdf:RDF", "<RDF"}) {
        const std::size_t at = head.find(marker);
        if (at != std::string_view::npos) {
            context.bozo("text before the start of the document, ignored");
            return at;
        }
    }
    throw Error(ErrorKind::parse, "not a feed: the document does not start with markup or JSON",
                context.where());
}

// An entry with nothing in it is no item: stored, it would be an untitled item without a
// link, and every such entry of a feed would share one key.
std::size_t remove_empty_entries(std::vector<FeedEntry>& entries) {
    const auto empty = [](const FeedEntry& e) {
        return e.title.empty() && e.link.empty() && e.url.empty() && e.id.empty() &&
               e.summary.empty() && e.content.empty() && e.content_html.empty() &&
               e.author.empty() && e.categories.empty() && e.thumbnail.empty() && !e.published &&
               !e.updated;
    };
    const auto kept = std::remove_if(entries.begin(), entries.end(), empty);
    const auto removed = static_cast<std::size_t>(entries.end() - kept);
    entries.erase(kept, entries.end());
    return removed;
}

}  // namespace

FeedDocument parse_feed(std::string_view bytes, const ParseOptions& options) {
    FeedDocument document;
    ParseContext context{options, DateParser(options.timezone), document};
    std::string inflated;
    if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1F &&
        static_cast<unsigned char>(bytes[1]) == 0x8B) {
        bool truncated = false, failed = false;
        inflated = gunzip(bytes, options.max_bytes, truncated, failed);
        if (failed)
            throw Error(ErrorKind::parse, "not a feed: a gzip stream that does not inflate",
                        context.where());
        if (truncated)
            context.bozo("the gzip-compressed body is cut off or larger than " +
                         std::to_string(options.max_bytes) + " bytes");
        bytes = inflated;
    }
    if (bytes.size() > options.max_bytes) {
        context.bozo("the document is larger than " + std::to_string(options.max_bytes) +
                     " bytes; only the first " + std::to_string(options.max_bytes) +
                     " were parsed");
        bytes = bytes.substr(0, options.max_bytes);
    }
    // `bytes` may point into `inflated`, which must live as long as the parse: a broken
    // document is decoded again for its repair.
    DecodedText decoded = decode_to_utf8(bytes, options.content_type);
    document.encoding = decoded.encoding;
    if (!decoded.problem.empty())
        context.bozo(decoded.problem);
    if (decoded.replaced_invalid)
        context.bozo("bytes invalid in " + decoded.encoding + " replaced with U+FFFD");
    const std::string_view text = decoded.utf8;
    const std::size_t start = document_start(text, context);
    if (text[start] == '{' || text[start] == '[') {
        detail::read_json_feed(text.substr(start), context);
    } else {
        // What feedparser calls NonXMLContentType: the server says this is no XML.
        if (!options.content_type.empty() && !is_xml_media_type(options.content_type))
            context.bozo("served as '" + options.content_type + "', not an XML media type");
        parse_xml(
            decoded.utf8, start, [&] { return decode_to_utf8(bytes, options.content_type).utf8; },
            context);
    }
    document.empty_entries = remove_empty_entries(document.entries);
    assign_item_keys(document.entries);
    document.duplicate_entries = remove_duplicate_entries(document.entries);
    return document;
}

}  // namespace chuhai::feed
