#include "match/corpus.h"

#include <gumbo.h>

#include <algorithm>
#include <memory>
#include <system_error>

#include "common/error.h"
#include "common/file.h"

namespace chuhai::match {

namespace {

constexpr std::size_t kMaxDocumentBytes = std::size_t{16} << 20;
constexpr std::size_t kMaxCorpusFiles = 100'000;

std::string lower_extension(const std::filesystem::path& path) {
    std::string e = path.extension().string();
    std::transform(e.begin(), e.end(), e.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return e;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

Document read_text(std::string_view bytes, bool markdown) {
    // A UTF-8 byte order mark is not part of the title.
    if (bytes.substr(0, 3) == "\xEF\xBB\xBF")
        bytes.remove_prefix(3);
    Document d;
    std::size_t position = 0;
    while (position < bytes.size()) {
        std::size_t end = bytes.find('\n', position);
        if (end == std::string_view::npos)
            end = bytes.size();
        std::string_view line = trim(bytes.substr(position, end - position));
        position = end + 1;
        if (line.empty())
            continue;
        if (markdown) {
            while (!line.empty() && line.front() == '#')
                line.remove_prefix(1);
            line = trim(line);
        }
        d.title = std::string(line);
        break;
    }
    if (position < bytes.size()) {
        std::string_view rest = bytes.substr(position);
        const auto first = rest.find_first_not_of(" \t\r\n");
        if (first != std::string_view::npos)
            d.content =
                std::string(rest.substr(first, rest.find_last_not_of(" \t\r\n") - first + 1));
    }
    return d;
}

struct GumboOutputDeleter {
    void operator()(GumboOutput* output) const {
        gumbo_destroy_output(&kGumboDefaultOptions, output);
    }
};

bool is_block(GumboTag tag) {
    switch (tag) {
        case GUMBO_TAG_P:
        case GUMBO_TAG_DIV:
        case GUMBO_TAG_BR:
        case GUMBO_TAG_LI:
        case GUMBO_TAG_H1:
        case GUMBO_TAG_H2:
        case GUMBO_TAG_H3:
        case GUMBO_TAG_H4:
        case GUMBO_TAG_H5:
        case GUMBO_TAG_H6:
        case GUMBO_TAG_TR:
        case GUMBO_TAG_SECTION:
        case GUMBO_TAG_ARTICLE:
        case GUMBO_TAG_HEADER:
        case GUMBO_TAG_FOOTER:
        case GUMBO_TAG_BLOCKQUOTE:
        case GUMBO_TAG_PRE:
        case GUMBO_TAG_TABLE:
        case GUMBO_TAG_UL:
        case GUMBO_TAG_OL:
            return true;
        default:
            return false;
    }
}

// Appends the visible text under `node`; iterative, so that deeply nested markup cannot exhaust
// the stack.
void collect_text(const GumboNode* root, std::string& out) {
    std::vector<std::pair<const GumboNode*, bool>> stack;  // (node, closing a block)
    stack.emplace_back(root, false);
    while (!stack.empty()) {
        const auto [node, closing] = stack.back();
        stack.pop_back();
        if (closing) {
            out.push_back('\n');
            continue;
        }
        if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_CDATA ||
            node->type == GUMBO_NODE_WHITESPACE) {
            out += node->v.text.text;
            continue;
        }
        if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE)
            continue;
        const GumboTag tag = node->v.element.tag;
        if (tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_NOSCRIPT ||
            tag == GUMBO_TAG_TEMPLATE || tag == GUMBO_TAG_HEAD)
            continue;
        const bool block = is_block(tag);
        if (block) {
            out.push_back('\n');
            stack.emplace_back(node, true);
        }
        const GumboVector& children = node->v.element.children;
        for (unsigned int i = children.length; i > 0; --i)
            stack.emplace_back(static_cast<const GumboNode*>(children.data[i - 1]), false);
    }
}

const GumboNode* find_first(const GumboNode* root, GumboTag wanted) {
    std::vector<const GumboNode*> stack{root};
    while (!stack.empty()) {
        const GumboNode* node = stack.back();
        stack.pop_back();
        if (node->type != GUMBO_NODE_ELEMENT)
            continue;
        if (node->v.element.tag == wanted)
            return node;
        const GumboVector& children = node->v.element.children;
        for (unsigned int i = children.length; i > 0; --i)
            stack.push_back(static_cast<const GumboNode*>(children.data[i - 1]));
    }
    return nullptr;
}

std::string squeeze_spaces(std::string_view text) {
    std::string out;
    bool space = false;
    for (const char c : text) {
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            space = !out.empty();
            continue;
        }
        if (space)
            out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

Document read_html(const std::string& bytes) {
    std::unique_ptr<GumboOutput, GumboOutputDeleter> output(
        gumbo_parse_with_options(&kGumboDefaultOptions, bytes.data(), bytes.size()));
    Document d;
    if (!output)
        return d;
    const GumboNode* title = find_first(output->root, GUMBO_TAG_TITLE);
    if (title == nullptr)
        title = find_first(output->root, GUMBO_TAG_H1);
    if (title != nullptr) {
        std::string text;
        collect_text(title, text);
        d.title = squeeze_spaces(text);
    }
    if (const GumboNode* body = find_first(output->root, GUMBO_TAG_BODY)) {
        std::string text;
        collect_text(body, text);
        // Keep line breaks (they end sentences), drop the blank runs markup leaves.
        std::string content;
        std::size_t position = 0;
        while (position <= text.size()) {
            std::size_t end = text.find('\n', position);
            if (end == std::string::npos)
                end = text.size();
            const std::string line = squeeze_spaces(text.substr(position, end - position));
            if (!line.empty()) {
                if (!content.empty())
                    content.push_back('\n');
                content += line;
            }
            position = end + 1;
        }
        d.content = std::move(content);
    }
    return d;
}

}  // namespace

bool is_document_file(const std::filesystem::path& path) {
    const std::string e = lower_extension(path);
    return e == ".txt" || e == ".md" || e == ".html" || e == ".htm";
}

bool is_feed_file(const std::filesystem::path& path) {
    const std::string e = lower_extension(path);
    return e == ".xml" || e == ".rss" || e == ".atom" || e == ".rdf" || e == ".json";
}

Document read_document_file(const std::filesystem::path& path) {
    const std::string e = lower_extension(path);
    if (!is_document_file(path)) {
        throw Error(ErrorKind::parse,
                    "unknown document type '" + e + "' (expected .txt, .md, .html or .htm)",
                    path.string());
    }
    const std::string bytes = read_file(path, kMaxDocumentBytes);
    if (e == ".html" || e == ".htm")
        return read_html(bytes);
    return read_text(bytes, e == ".md");
}

Corpus read_corpus(const std::filesystem::path& dir, const FeedFileReader& read_feed) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw Error(ErrorKind::io, "corpus folder not found", dir.string());
    std::vector<fs::path> paths;
    for (fs::recursive_directory_iterator
             it(dir, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.empty() && name.front() == '.') {
            if (it->is_directory(ec))
                it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file(ec))
            paths.push_back(it->path());
        if (paths.size() > kMaxCorpusFiles) {
            throw Error(ErrorKind::io, "more than " + std::to_string(kMaxCorpusFiles) + " files",
                        dir.string());
        }
    }
    if (ec)
        throw Error(ErrorKind::io, "cannot read the corpus folder: " + ec.message(), dir.string());
    std::sort(paths.begin(), paths.end());
    Corpus corpus;
    for (const fs::path& path : paths) {
        const std::string name = path.lexically_relative(dir).generic_string();
        if (is_document_file(path)) {
            corpus.documents.push_back(NamedDocument{name, read_document_file(path)});
        } else if (is_feed_file(path)) {
            if (!read_feed) {
                corpus.skipped.push_back(name + ": feed files are not read here");
                continue;
            }
            std::vector<NamedDocument> entries;
            try {
                entries = read_feed(path);
            } catch (const Error& e) {
                if (e.kind() != ErrorKind::parse)
                    throw;
                corpus.skipped.push_back(name + ": not a feed: " + e.message());
                continue;
            }
            for (NamedDocument& entry : entries) {
                entry.name = name + entry.name;
                entry.feed_entry = true;
                corpus.documents.push_back(std::move(entry));
            }
        } else {
            corpus.skipped.push_back(name + ": not a document (.txt, .md, .html) or feed file");
        }
    }
    return corpus;
}

std::map<std::string, bool> read_labels(const std::filesystem::path& tsv) {
    const std::string text = read_file(tsv, std::size_t{64} << 20);
    std::map<std::string, bool> labels;
    std::size_t position = 0;
    int line_number = 0;
    while (position < text.size()) {
        std::size_t end = text.find('\n', position);
        if (end == std::string::npos)
            end = text.size();
        std::string_view line(text.data() + position, end - position);
        position = end + 1;
        ++line_number;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (trim(line).empty() || line.front() == '#')
            continue;
        const std::string where = tsv.string() + ":" + std::to_string(line_number);
        const std::size_t tab = line.find('\t');
        if (tab == std::string_view::npos) {
            throw Error(ErrorKind::parse, "expected NAME<TAB>1 or NAME<TAB>0", where);
        }
        const std::string name(trim(line.substr(0, tab)));
        const std::string_view value = trim(line.substr(tab + 1));
        if (name.empty() || (value != "1" && value != "0"))
            throw Error(ErrorKind::parse, "expected NAME<TAB>1 or NAME<TAB>0", where);
        if (!labels.emplace(name, value == "1").second)
            throw Error(ErrorKind::parse, "'" + name + "' is labelled twice", where);
    }
    return labels;
}

LabelledOutcome score_against_labels(const std::vector<std::string>& names,
                                     const std::vector<MatchResult>& results,
                                     const std::map<std::string, bool>& labels) {
    LabelledOutcome outcome;
    std::map<std::string, bool> seen;
    for (std::size_t i = 0; i < names.size() && i < results.size(); ++i) {
        const auto label = labels.find(names[i]);
        if (label == labels.end()) {
            outcome.unlabelled.push_back(names[i]);
            continue;
        }
        seen.emplace(names[i], true);
        const bool matched = results[i].matched;
        if (label->second && matched)
            ++outcome.true_positives;
        else if (label->second) {
            ++outcome.false_negatives;
            outcome.false_negatives_names.push_back(names[i]);
        } else if (matched) {
            ++outcome.false_positives;
            outcome.false_positives_names.push_back(names[i]);
        } else {
            ++outcome.true_negatives;
        }
    }
    for (const auto& [name, positive] : labels) {
        if (!seen.count(name))
            throw Error(ErrorKind::usage, "labelled document '" + name + "' is not in the corpus");
    }
    const std::size_t predicted = outcome.true_positives + outcome.false_positives;
    const std::size_t actual = outcome.true_positives + outcome.false_negatives;
    if (predicted > 0)
        outcome.precision =
            static_cast<double>(outcome.true_positives) / static_cast<double>(predicted);
    if (actual > 0)
        outcome.recall = static_cast<double>(outcome.true_positives) / static_cast<double>(actual);
    return outcome;
}

}  // namespace chuhai::match
