#include "store/corpus_files.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <system_error>

#include "common/error.h"
#include "common/file.h"

namespace chuhai::store {

namespace {

enum class Format { text, markdown, html };

std::optional<Format> format_of(const std::filesystem::path& path) {
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (extension == ".txt")
        return Format::text;
    if (extension == ".md" || extension == ".markdown")
        return Format::markdown;
    if (extension == ".html" || extension == ".htm")
        return Format::html;
    return std::nullopt;
}

// The 1-based line of the first invalid UTF-8 sequence, or 0 when the bytes are valid.
std::size_t first_invalid_utf8_line(std::string_view bytes) {
    std::size_t line = 1;
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    const auto length = static_cast<int32_t>(bytes.size());
    for (int32_t i = 0; i < length;) {
        if (data[i] == '\n')
            ++line;
        UChar32 c;
        U8_NEXT(data, i, length, c);
        if (c < 0)
            return line;
    }
    return 0;
}

void append_utf8(std::string& out, char32_t c) {
    if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        c = 0xFFFD;
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

bool starts_with_ci(std::string_view text, std::size_t pos, std::string_view prefix) {
    if (pos + prefix.size() > text.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[pos + i])) != prefix[i])
            return false;
    }
    return true;
}

bool is_block_element(std::string_view name) {
    static constexpr std::string_view kBlocks[] = {
        "address",    "article", "aside",  "blockquote", "br",  "dd", "div", "dl",  "dt",
        "figcaption", "figure",  "footer", "h1",         "h2",  "h3", "h4",  "h5",  "h6",
        "header",     "hr",      "li",     "main",       "nav", "ol", "p",   "pre", "section",
        "table",      "td",      "th",     "title",      "tr",  "ul"};
    return std::find(std::begin(kBlocks), std::end(kBlocks), name) != std::end(kBlocks);
}

// Decodes the character reference at text[pos] == '&' into out; returns the position after it,
// or pos + 1 (having appended '&') when it is not one.
std::size_t decode_reference(std::string_view text, std::size_t pos, std::string& out) {
    const std::size_t semicolon = text.find(';', pos);
    if (semicolon == std::string_view::npos || semicolon - pos > 12) {
        out += '&';
        return pos + 1;
    }
    const std::string_view name = text.substr(pos + 1, semicolon - pos - 1);
    if (!name.empty() && name[0] == '#') {
        const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
        const std::string_view digits = name.substr(hex ? 2 : 1);
        std::uint32_t value = 0;
        const auto [end, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), value, hex ? 16 : 10);
        if (ec == std::errc{} && end == digits.data() + digits.size() && !digits.empty()) {
            append_utf8(out, value);
            return semicolon + 1;
        }
    }
    static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
        {"amp", "&"},         {"lt", "<"},         {"gt", ">"},         {"quot", "\""},
        {"apos", "'"},        {"nbsp", " "},       {"mdash", "\u2014"}, {"ndash", "\u2013"},
        {"hellip", "\u2026"}, {"lsquo", "\u2018"}, {"rsquo", "\u2019"}, {"ldquo", "\u201C"},
        {"rdquo", "\u201D"},  {"copy", "\u00A9"},  {"middot", "\u00B7"}};
    for (const auto& [entity, replacement] : kNamed) {
        if (name == entity) {
            out += replacement;
            return semicolon + 1;
        }
    }
    out += '&';
    return pos + 1;
}

// Collapses runs of spaces and tabs, trims each line and drops empty lines, keeping one between
// paragraphs when asked (plain text marks paragraphs with them; in HTML they are noise).
std::string tidy_lines(std::string_view text, bool keep_paragraph_breaks) {
    std::string out;
    std::size_t empty_lines = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        std::string line;
        bool space = false;
        for (std::size_t i = start; i < end; ++i) {
            const char c = text[i];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
                space = !line.empty();
            } else {
                if (space)
                    line += ' ';
                space = false;
                line += c;
            }
        }
        if (line.empty()) {
            ++empty_lines;
        } else {
            if (!out.empty())
                out += empty_lines > 0 && keep_paragraph_breaks ? "\n\n" : "\n";
            out += line;
            empty_lines = 0;
        }
        start = end + 1;
    }
    return out;
}

}  // namespace

std::string corpus_html_to_text(std::string_view html) {
    std::string out;
    out.reserve(html.size());
    std::size_t i = 0;
    while (i < html.size()) {
        const char c = html[i];
        if (c == '&') {
            i = decode_reference(html, i, out);
            continue;
        }
        if (c != '<') {
            out += c;
            ++i;
            continue;
        }
        if (html.compare(i, 4, "<!--") == 0) {
            const std::size_t end = html.find("-->", i + 4);
            i = end == std::string_view::npos ? html.size() : end + 3;
            continue;
        }
        // A tag: its name, then skip to the closing '>' outside quoted attribute values.
        std::size_t j = i + 1;
        const bool closing = j < html.size() && html[j] == '/';
        if (closing)
            ++j;
        const std::size_t name_begin = j;
        while (j < html.size() && std::isalnum(static_cast<unsigned char>(html[j])))
            ++j;
        std::string name(html.substr(name_begin, j - name_begin));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (name.empty() && !closing && (j >= html.size() || html[j] != '!')) {
            out += '<';  // a lone '<' in text
            ++i;
            continue;
        }
        char quote = 0;
        for (; j < html.size(); ++j) {
            if (quote != 0) {
                if (html[j] == quote)
                    quote = 0;
            } else if (html[j] == '"' || html[j] == '\'') {
                quote = html[j];
            } else if (html[j] == '>') {
                break;
            }
        }
        i = j < html.size() ? j + 1 : html.size();
        if (!closing && (name == "script" || name == "style")) {
            // Their contents are not text: skip to the matching end tag.
            const std::string end_tag = "</" + name;
            std::size_t k = i;
            while (k < html.size() && !starts_with_ci(html, k, end_tag))
                ++k;
            const std::size_t close = html.find('>', k);
            i = close == std::string_view::npos ? html.size() : close + 1;
            continue;
        }
        if (is_block_element(name))
            out += '\n';
    }
    return tidy_lines(out, false);
}

CorpusDocument parse_corpus_document(const std::filesystem::path& path, std::string key,
                                     std::string_view bytes) {
    const auto format = format_of(path);
    if (!format) {
        throw Error(ErrorKind::parse, "not a corpus document (.txt, .md, .html or .htm)",
                    path.string());
    }
    if (bytes.size() > kMaxCorpusFileBytes) {
        throw Error(ErrorKind::parse,
                    "larger than " + std::to_string(kMaxCorpusFileBytes >> 20) + " MiB",
                    path.string());
    }
    if (bytes.substr(0, 3) == "\xEF\xBB\xBF")
        bytes.remove_prefix(3);
    if (const std::size_t line = first_invalid_utf8_line(bytes); line != 0) {
        throw Error(ErrorKind::parse, "not valid UTF-8 (convert the file to UTF-8)",
                    path.string() + ":" + std::to_string(line));
    }
    const std::string text =
        *format == Format::html ? corpus_html_to_text(bytes) : tidy_lines(bytes, true);
    // The first non-empty line is the title (tidy_lines has trimmed and dropped empty ones).
    const std::size_t newline = text.find('\n');
    std::string title = text.substr(0, newline);
    if (*format == Format::markdown) {
        const std::size_t hashes = title.find_first_not_of('#');
        if (hashes != std::string::npos && hashes > 0 && title[hashes] == ' ')
            title.erase(0, hashes + 1);
    }
    if (title.empty())
        throw Error(ErrorKind::parse, "empty document: no title line", path.string());
    CorpusDocument document;
    document.key = std::move(key);
    document.path = path.string();
    document.title = std::move(title);
    if (newline != std::string::npos)
        document.text = text.substr(text.find_first_not_of('\n', newline));
    return document;
}

std::vector<CorpusDocument> read_corpus_folder(const std::filesystem::path& folder) {
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec))
        throw Error(ErrorKind::io, "not a folder", folder.string());
    std::vector<std::filesystem::path> files;
    std::filesystem::recursive_directory_iterator it(folder, ec), end;
    if (ec)
        throw Error(ErrorKind::io, "cannot read the folder: " + ec.message(), folder.string());
    for (; it != end; it.increment(ec)) {
        if (ec)
            throw Error(ErrorKind::io, "cannot read the folder: " + ec.message(), folder.string());
        if (it->is_regular_file(ec) && format_of(it->path()))
            files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    std::vector<CorpusDocument> documents;
    for (const auto& file : files) {
        const std::string bytes = read_file(file, kMaxCorpusFileBytes + 1);
        documents.push_back(parse_corpus_document(
            file, std::filesystem::relative(file, folder).generic_string(), bytes));
    }
    return documents;
}

}  // namespace chuhai::store
