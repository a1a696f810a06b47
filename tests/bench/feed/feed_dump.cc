// Prints everything parse_feed() returns for each file given (folders are walked, files taken
// in name order), one field per line, so that two builds of the parser can be compared with
// diff: an optimisation of the parse stage must leave this output unchanged.
//
//   build/tests/bench/feed/feed_dump [--base-url URL] [--timezone ZONE] PATH... > dump.txt
//
// Each file is parsed twice, without and with a Content-Type naming a charset, base URL and
// timezone (ones the fuzzer uses too), so that those paths are compared as well. Strings are
// printed with control characters, '\\' and non-UTF-8-looking bytes escaped; hashes in hex.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/file.h"
#include "common/time.h"
#include "feed/feed_parser.h"
#include "feed/identity.h"

namespace {

using chuhai::feed::FeedDocument;
using chuhai::feed::FeedEntry;
using chuhai::feed::ParseOptions;

std::string escaped(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\\') {
            out += "\\\\";
        } else if (byte < 0x20 || byte == 0x7F) {
            char code[8];
            std::snprintf(code, sizeof code, "\\x%02x", byte);
            out += code;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

void field(const char* name, const std::string& value) {
    std::printf("  %s: %s\n", name, escaped(value).c_str());
}

void time_field(const char* name, const std::optional<chuhai::UtcTime>& value) {
    std::printf("  %s: %s\n", name, value ? chuhai::format_rfc3339(*value).c_str() : "null");
}

void print_document(const FeedDocument& doc) {
    field("format", doc.format);
    field("encoding", doc.encoding);
    std::printf("  bozo: %d\n", doc.bozo ? 1 : 0);
    field("bozo_reason", doc.bozo_reason);
    field("title", doc.title);
    field("link", doc.link);
    field("url", doc.url);
    field("subtitle", doc.subtitle);
    std::printf("  ttl: %s\n", doc.ttl_minutes ? std::to_string(*doc.ttl_minutes).c_str() : "-");
    std::printf("  duplicate_entries: %zu\n", doc.duplicate_entries);
    std::printf("  empty_entries: %zu\n", doc.empty_entries);
    std::printf("  entries: %zu\n", doc.entries.size());
    for (const FeedEntry& entry : doc.entries) {
        std::printf(" entry\n");
        field("id", entry.id);
        field("link", entry.link);
        field("url", entry.url);
        field("html_base", entry.html_base);
        field("key", entry.key);
        field("title", entry.title);
        field("author", entry.author);
        field("summary", entry.summary);
        field("content", entry.content);
        field("content_html", entry.content_html);
        for (const std::string& category : entry.categories)
            field("category", category);
        field("thumbnail", entry.thumbnail);
        time_field("published", entry.published);
        time_field("updated", entry.updated);
        std::printf("  content_hash: %s\n", chuhai::feed::to_hex(entry.content_hash).c_str());
        std::printf("  simhash: %s\n",
                    chuhai::feed::to_hex(chuhai::feed::entry_simhash(entry)).c_str());
    }
}

void dump(const std::filesystem::path& path, const std::string& bytes, const ParseOptions& options,
          const char* variant) {
    std::printf("== %s [%s]\n", path.c_str(), variant);
    try {
        print_document(chuhai::feed::parse_feed(bytes, options));
    } catch (const chuhai::Error& error) {
        std::printf("  error: %s: %s (%s)\n", chuhai::to_string(error.kind()),
                    escaped(error.message()).c_str(), escaped(error.where()).c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    ParseOptions plain;
    ParseOptions labelled;
    labelled.content_type = "application/rss+xml; charset=gb2312";
    labelled.base_url = "https://dump.example/feeds/feed.xml";
    labelled.timezone = "Asia/Shanghai";
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--base-url" && i + 1 < argc) {
            plain.base_url = argv[++i];
        } else if (arg == "--timezone" && i + 1 < argc) {
            plain.timezone = argv[++i];
        } else if (std::filesystem::is_directory(arg)) {
            for (const auto& file : std::filesystem::recursive_directory_iterator(arg))
                if (file.is_regular_file())
                    files.push_back(file.path());
        } else {
            files.emplace_back(arg);
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
        std::string bytes;
        try {
            bytes = chuhai::read_file(path);
        } catch (const chuhai::Error& error) {
            std::fprintf(stderr, "feed_dump: %s\n", error.what());
            return 1;
        }
        dump(path, bytes, plain, "plain");
        dump(path, bytes, labelled, "labelled");
    }
    return 0;
}
