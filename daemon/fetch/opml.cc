#include "fetch/opml.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <pugixml.hpp>
#include <sstream>

#include "common/error.h"
#include "common/file.h"

namespace chuhai::fetch {

namespace {

constexpr std::size_t kMaxOpmlBytes = 64u << 20;
constexpr int kMaxDepth = 64;  // nesting deeper than any reader produces: a hostile file

std::string trim(std::string_view s) {
    const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
    while (!s.empty() && space(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && space(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return std::string(s);
}

bool is_http_url(std::string_view url) {
    auto lower = std::string(url.substr(0, 8));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower.rfind("http://", 0) == 0 || lower.rfind("https://", 0) == 0;
}

struct Position {
    long line = 1;
    long column = 1;
};

Position position_of(std::string_view text, std::ptrdiff_t offset) {
    Position pos;
    if (offset < 0)
        return pos;
    const auto end = std::min(text.size(), static_cast<std::size_t>(offset));
    for (std::size_t i = 0; i < end; ++i) {
        if (text[i] == '\n') {
            ++pos.line;
            pos.column = 1;
        } else {
            ++pos.column;
        }
    }
    return pos;
}

// Case-insensitive attribute lookup: readers write xmlUrl, xmlurl and XMLURL.
pugi::xml_attribute attribute(const pugi::xml_node& node, std::string_view name) {
    for (const auto& attr : node.attributes()) {
        const std::string_view attr_name = attr.name();
        if (attr_name.size() == name.size() &&
            std::equal(attr_name.begin(), attr_name.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            }))
            return attr;
    }
    return {};
}

void add_tag(std::vector<std::string>& tags, std::string tag) {
    if (!tag.empty() && std::find(tags.begin(), tags.end(), tag) == tags.end())
        tags.push_back(std::move(tag));
}

class OutlineReader {
  public:
    OutlineReader(std::string_view text, const std::string& origin, OpmlDocument& out)
        : text_(text), origin_(origin), out_(out) {}

    void read(const pugi::xml_node& parent, std::vector<std::string>& folders, int depth) {
        for (const auto& node : parent.children("outline")) {
            if (depth > kMaxDepth) {
                warn(node, "outlines nested too deeply; the rest of this branch is skipped");
                return;
            }
            const std::string text = trim(attribute(node, "text").value());
            const std::string title = trim(attribute(node, "title").value());
            const std::string xml_url = trim(attribute(node, "xmlUrl").value());
            if (xml_url.empty()) {
                if (node.child("outline")) {  // a folder
                    folders.push_back(!text.empty() ? text : title);
                    read(node, folders, depth + 1);
                    folders.pop_back();
                } else if (!text.empty() || !title.empty()) {
                    warn(node, fmt::format("outline \"{}\" has no xmlUrl; skipped",
                                           !text.empty() ? text : title));
                }
                continue;
            }
            if (!is_http_url(xml_url)) {
                warn(node, fmt::format("xmlUrl \"{}\" is not http or https; skipped", xml_url));
                continue;
            }
            OpmlFeed feed;
            feed.xml_url = xml_url;
            feed.title = !text.empty() ? text : !title.empty() ? title : xml_url;
            feed.html_url = trim(attribute(node, "htmlUrl").value());
            for (const auto& folder : folders)
                add_tag(feed.tags, folder);
            std::stringstream categories(attribute(node, "category").value());
            for (std::string category; std::getline(categories, category, ',');) {
                std::string tag = trim(category);
                while (!tag.empty() && tag.front() == '/')
                    tag.erase(0, 1);
                while (!tag.empty() && tag.back() == '/')
                    tag.pop_back();
                add_tag(feed.tags, std::move(tag));
            }
            add(node, std::move(feed));
        }
    }

  private:
    void add(const pugi::xml_node& node, OpmlFeed feed) {
        auto same = std::find_if(out_.feeds.begin(), out_.feeds.end(),
                                 [&](const OpmlFeed& f) { return f.xml_url == feed.xml_url; });
        if (same == out_.feeds.end()) {
            out_.feeds.push_back(std::move(feed));
            return;
        }
        for (auto& tag : feed.tags)
            add_tag(same->tags, std::move(tag));
        warn(node, fmt::format("{} is listed again; merged into the first entry", feed.xml_url));
    }

    void warn(const pugi::xml_node& node, const std::string& reason) {
        const Position pos = position_of(text_, node.offset_debug());
        out_.warnings.push_back(fmt::format("{}:{}: {}", origin_, pos.line, reason));
    }

    std::string_view text_;
    const std::string& origin_;
    OpmlDocument& out_;
};

std::string rfc822(UtcTime t) {
    using namespace std::chrono;
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const weekday wd{day};
    const hh_mm_ss hms{t - day};
    return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[wd.c_encoding()],
                       static_cast<unsigned>(ymd.day()),
                       kMonths[static_cast<unsigned>(ymd.month()) - 1],
                       static_cast<int>(ymd.year()), hms.hours().count(), hms.minutes().count(),
                       hms.seconds().count());
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const auto& part : parts) {
        if (!out.empty())
            out += separator;
        out += part;
    }
    return out;
}

void write_feed(pugi::xml_node parent, const OpmlFeed& feed) {
    auto outline = parent.append_child("outline");
    outline.append_attribute("type") = "rss";
    outline.append_attribute("text") = feed.title.c_str();
    outline.append_attribute("title") = feed.title.c_str();
    outline.append_attribute("xmlUrl") = feed.xml_url.c_str();
    if (!feed.html_url.empty())
        outline.append_attribute("htmlUrl") = feed.html_url.c_str();
    if (!feed.tags.empty())
        outline.append_attribute("category") = join(feed.tags, ",").c_str();
}

// The category attribute is comma-separated and parse_opml trims slashes and spaces: tags are
// written in the form they will be read back in, folder names included.
std::string clean_tag(std::string tag) {
    std::replace(tag.begin(), tag.end(), ',', ' ');
    tag = trim(tag);
    while (!tag.empty() && tag.front() == '/')
        tag.erase(0, 1);
    while (!tag.empty() && tag.back() == '/')
        tag.pop_back();
    return tag;
}

}  // namespace

OpmlDocument parse_opml(std::string_view xml, const std::string& origin) {
    pugi::xml_document doc;
    const pugi::xml_parse_result parsed =
        doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto);
    if (!parsed) {
        const Position pos = position_of(xml, parsed.offset);
        throw Error(ErrorKind::parse, fmt::format("not well-formed XML: {}", parsed.description()),
                    fmt::format("{}:{}:{}", origin, pos.line, pos.column));
    }
    const pugi::xml_node root = doc.document_element();
    if (std::string_view(root.name()) != "opml") {
        const Position pos = position_of(xml, root.offset_debug());
        throw Error(ErrorKind::parse,
                    root ? fmt::format("the root element is <{}>, not <opml>", root.name())
                         : std::string("no root element"),
                    fmt::format("{}:{}:{}", origin, pos.line, pos.column));
    }
    OpmlDocument out;
    out.title = trim(root.child("head").child_value("title"));
    const pugi::xml_node body = root.child("body");
    if (!body) {
        const Position pos = position_of(xml, root.offset_debug());
        throw Error(ErrorKind::parse, "<opml> has no <body>",
                    fmt::format("{}:{}:{}", origin, pos.line, pos.column));
    }
    std::vector<std::string> folders;
    OutlineReader(xml, origin, out).read(body, folders, 0);
    return out;
}

OpmlDocument read_opml_file(const std::filesystem::path& path) {
    return parse_opml(read_file(path, kMaxOpmlBytes), path.string());
}

std::string write_opml(const OpmlDocument& document, std::optional<UtcTime> created) {
    pugi::xml_document doc;
    auto declaration = doc.append_child(pugi::node_declaration);
    declaration.append_attribute("version") = "1.0";
    declaration.append_attribute("encoding") = "UTF-8";
    auto opml = doc.append_child("opml");
    opml.append_attribute("version") = "2.0";
    auto head = opml.append_child("head");
    head.append_child("title").text().set(document.title.empty() ? "chuhai sources"
                                                                 : document.title.c_str());
    if (created)
        head.append_child("dateCreated").text().set(rfc822(*created).c_str());
    auto body = opml.append_child("body");

    std::vector<OpmlFeed> feeds = document.feeds;
    for (auto& feed : feeds) {
        std::vector<std::string> tags;
        for (auto& tag : feed.tags)
            add_tag(tags, clean_tag(std::move(tag)));
        feed.tags = std::move(tags);
    }
    std::vector<std::string> folder_order;
    for (const auto& feed : feeds) {
        if (!feed.tags.empty()) {
            add_tag(folder_order, feed.tags.front());
        }
    }
    for (const auto& feed : feeds) {
        if (feed.tags.empty())
            write_feed(body, feed);
    }
    for (const auto& folder_name : folder_order) {
        auto folder = body.append_child("outline");
        folder.append_attribute("text") = folder_name.c_str();
        folder.append_attribute("title") = folder_name.c_str();
        for (const auto& feed : feeds) {
            if (!feed.tags.empty() && feed.tags.front() == folder_name)
                write_feed(folder, feed);
        }
    }
    std::ostringstream out;
    doc.save(out, "  ", pugi::format_indent | pugi::format_no_declaration, pugi::encoding_utf8);
    return out.str();
}

}  // namespace chuhai::fetch
