// Parse + normalise throughput over a folder of feeds (default ../shared/corpus/realworld),
// beside a raw pugixml parse of the same bytes in the same run, and html_to_text() beside
// gumbo on the HTML bodies those feeds hold. Prints medians of several rounds; `--json` prints
// one JSON object for tests/bench/feed/compare.py.
//
//   build/tests/bench/feed/bench_feed [--rounds N] [--json] [--parse-only] [--html-only]
//                               [--pugixml-only] [--per-file] [FOLDER]
//
// --parse-only runs nothing but parse_feed() for the rounds, --html-only nothing but
// html_to_text() on the HTML bodies, --pugixml-only nothing but the raw pugixml parse of the XML
// files (for profiling with perf or callgrind: instruction counts of the two sides of the ratio
// compare under any load); --per-file prints each
// file's parse + normalise rate beside pugixml's, to see which kinds of feed cost the most.

#include <gumbo.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/file.h"
#include "feed/feed_parser.h"
#include "feed/identity.h"
#include "text/html_text.h"

namespace {

struct Input {
    std::string name;
    std::string bytes;
    bool xml = false;  // what a raw XML parser can be compared on
};

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// CPU time of this (single-threaded) process: on a machine shared with compilers, wall time
// measures the neighbours as much as the code.
double cpu_seconds() {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

template <typename Work>
double median_seconds(int rounds, Work&& work) {
    std::vector<double> seconds;
    for (int round = 0; round < rounds; ++round) {
        const double start = cpu_seconds();
        work();
        seconds.push_back(cpu_seconds() - start);
    }
    return median(seconds);
}

std::size_t gumbo_text_length(const std::string& html) {
    GumboOutput* output = gumbo_parse(html.c_str());
    std::size_t length = 0;
    std::vector<const GumboNode*> stack{output->root};
    while (!stack.empty()) {
        const GumboNode* node = stack.back();
        stack.pop_back();
        if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE) {
            length += std::strlen(node->v.text.text);
        } else if (node->type == GUMBO_NODE_ELEMENT && node->v.element.tag != GUMBO_TAG_SCRIPT &&
                   node->v.element.tag != GUMBO_TAG_STYLE) {
            const GumboVector& children = node->v.element.children;
            for (unsigned i = 0; i < children.length; ++i)
                stack.push_back(static_cast<const GumboNode*>(children.data[i]));
        }
    }
    gumbo_destroy_output(&kGumboDefaultOptions, output);
    return length;
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 15;
    bool json = false;
    bool parse_only = false;
    bool per_file = false;
    bool html_only = false;
    bool pugixml_only = false;
    std::filesystem::path folder = std::filesystem::path(CHUHAI_SHARED_DIR) / "corpus/realworld";
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--rounds" && i + 1 < argc)
            rounds = std::max(1, std::atoi(argv[++i]));
        else if (arg == "--json")
            json = true;
        else if (arg == "--parse-only")
            parse_only = true;
        else if (arg == "--per-file")
            per_file = true;
        else if (arg == "--html-only")
            html_only = true;
        else if (arg == "--pugixml-only")
            pugixml_only = true;
        else
            folder = arg;
    }
    if (!std::filesystem::is_directory(folder)) {
        std::fprintf(stderr, "bench_feed: no corpus at %s\n", folder.c_str());
        return 1;
    }
    std::vector<Input> inputs;
    for (const auto& file : std::filesystem::directory_iterator(folder)) {
        const std::string name = file.path().filename().string();
        if (!file.is_regular_file() || name == "MANIFEST.tsv" || name == "README.md")
            continue;
        Input input{name, chuhai::read_file(file.path())};
        input.xml = !input.bytes.empty() && input.bytes.find('<') < 16 &&
                    static_cast<unsigned char>(input.bytes[0]) != 0x1F;
        inputs.push_back(std::move(input));
    }
    std::sort(inputs.begin(), inputs.end(),
              [](const Input& a, const Input& b) { return a.name < b.name; });

    std::size_t all_bytes = 0, xml_bytes = 0, all_entries = 0, xml_entries = 0;
    std::vector<std::string> bodies;
    std::size_t body_bytes = 0;
    for (const Input& input : inputs) {
        all_bytes += input.bytes.size();
        const auto doc = chuhai::feed::parse_feed(input.bytes);
        all_entries += doc.entries.size();
        if (input.xml) {
            xml_bytes += input.bytes.size();
            xml_entries += doc.entries.size();
        }
        for (const auto& entry : doc.entries) {
            if (!entry.content_html.empty()) {
                body_bytes += entry.content_html.size();
                bodies.push_back(entry.content_html);
            }
        }
    }

    std::size_t sink = 0;
    if (per_file) {
        std::printf("%-48s %9s %8s %10s %10s %6s\n", "file", "bytes", "entries", "chuhai MB/s",
                    "pugi MB/s", "ratio");
        for (const Input& input : inputs) {
            const double ours = median_seconds(rounds, [&] {
                for (int i = 0; i < 10; ++i)
                    sink += chuhai::feed::parse_feed(input.bytes).entries.size();
            });
            const std::size_t entries = chuhai::feed::parse_feed(input.bytes).entries.size();
            const double mbps = 10 * input.bytes.size() / 1e6 / ours;
            if (!input.xml) {
                std::printf("%-48s %9zu %8zu %10.1f %10s %6s\n", input.name.c_str(),
                            input.bytes.size(), entries, mbps, "-", "-");
                continue;
            }
            const double raw = median_seconds(rounds, [&] {
                for (int i = 0; i < 10; ++i) {
                    pugi::xml_document document;
                    sink += document.load_buffer(input.bytes.data(), input.bytes.size()) ? 1 : 0;
                }
            });
            const double raw_mbps = 10 * input.bytes.size() / 1e6 / raw;
            std::printf("%-48s %9zu %8zu %10.1f %10.1f %5.0f%%\n", input.name.c_str(),
                        input.bytes.size(), entries, mbps, raw_mbps, 100 * mbps / raw_mbps);
        }
        return 0;
    }
    if (html_only) {
        const double seconds = median_seconds(rounds, [&] {
            for (const std::string& body : bodies)
                sink += chuhai::text::html_to_text(body).size();
        });
        std::printf("html_to_text: %.1f MB/s (checksum %zu)\n", body_bytes / 1e6 / seconds,
                    sink % 10);
        return 0;
    }
    // The baseline: pugixml's own parse of the XML files, default flags, from a copy of the
    // bytes (load_buffer), as a program that only wants the tree would do it.
    const auto raw_pugixml_pass = [&] {
        for (const Input& input : inputs) {
            if (!input.xml)
                continue;
            pugi::xml_document document;
            sink += document.load_buffer(input.bytes.data(), input.bytes.size()) ? 1 : 0;
        }
    };
    if (pugixml_only) {
        const double seconds = median_seconds(rounds, raw_pugixml_pass);
        std::printf("raw pugixml: %.1f MB/s (checksum %zu)\n", xml_bytes / 1e6 / seconds,
                    sink % 10);
        return 0;
    }
    if (parse_only) {
        const double seconds = median_seconds(rounds, [&] {
            for (const Input& input : inputs)
                sink += chuhai::feed::parse_feed(input.bytes).entries.size();
        });
        std::printf("parse_feed: %.1f MB/s (checksum %zu)\n", all_bytes / 1e6 / seconds, sink % 10);
        return 0;
    }
    const double chuhai_all = median_seconds(rounds, [&] {
        for (const Input& input : inputs)
            sink += chuhai::feed::parse_feed(input.bytes).entries.size();
    });
    const double chuhai_xml = median_seconds(rounds, [&] {
        for (const Input& input : inputs)
            if (input.xml)
                sink += chuhai::feed::parse_feed(input.bytes).entries.size();
    });
    // What the pipeline computes per entry before matching: the parse, and the fingerprint the
    // parser leaves to it.
    const double chuhai_xml_fingerprint = median_seconds(rounds, [&] {
        for (const Input& input : inputs)
            if (input.xml)
                for (const auto& entry : chuhai::feed::parse_feed(input.bytes).entries)
                    sink += chuhai::feed::entry_simhash(entry) & 1;
    });
    const double pugixml_xml = median_seconds(rounds, raw_pugixml_pass);
    const double tokenizer = median_seconds(rounds, [&] {
        for (const std::string& body : bodies)
            sink += chuhai::text::html_to_text(body).size();
    });
    const double gumbo = median_seconds(std::max(3, rounds / 3), [&] {
        for (const std::string& body : bodies)
            sink += gumbo_text_length(body);
    });

    const double mb = 1e6;
    const double chuhai_all_mbps = all_bytes / mb / chuhai_all;
    const double chuhai_xml_mbps = xml_bytes / mb / chuhai_xml;
    const double chuhai_xml_fingerprint_mbps = xml_bytes / mb / chuhai_xml_fingerprint;
    const double pugixml_mbps = xml_bytes / mb / pugixml_xml;
    const double tokenizer_mbps = body_bytes / mb / tokenizer;
    const double gumbo_mbps = body_bytes / mb / gumbo;
    if (json) {
        std::printf(
            "{\"files\": %zu, \"bytes\": %zu, \"entries\": %zu, \"xml_files_bytes\": %zu, "
            "\"chuhai_mbps\": %.2f, \"chuhai_entries_per_s\": %.0f, \"chuhai_xml_mbps\": %.2f, "
            "\"chuhai_xml_with_simhash_mbps\": %.2f, \"pugixml_xml_mbps\": %.2f, "
            "\"html_bodies\": %zu, \"html_bytes\": %zu, "
            "\"html_to_text_mbps\": %.2f, \"gumbo_text_mbps\": %.2f, \"rounds\": %d, \"sink\": "
            "%zu}\n",
            inputs.size(), all_bytes, all_entries, xml_bytes, chuhai_all_mbps,
            all_entries / chuhai_all, chuhai_xml_mbps, chuhai_xml_fingerprint_mbps, pugixml_mbps,
            bodies.size(), body_bytes, tokenizer_mbps, gumbo_mbps, rounds, sink % 10);
        return 0;
    }
    std::printf("corpus: %s (%zu files, %.2f MB, %zu entries), median CPU time of %d rounds\n",
                folder.c_str(), inputs.size(), all_bytes / mb, all_entries, rounds);
    std::printf("%-44s %10s %14s\n", "", "MB/s", "entries/s");
    std::printf("%-44s %10.1f %14.0f\n", "chuhai parse+normalise, all files", chuhai_all_mbps,
                all_entries / chuhai_all);
    std::printf("%-44s %10.1f %14.0f\n", "chuhai parse+normalise, XML files", chuhai_xml_mbps,
                xml_entries / chuhai_xml);
    std::printf("%-44s %10.1f %14.0f\n", "  ... and SimHash of each entry (pipeline)",
                chuhai_xml_fingerprint_mbps, xml_entries / chuhai_xml_fingerprint);
    std::printf("%-44s %10.1f %14s\n", "raw pugixml parse, same XML files", pugixml_mbps, "-");
    std::printf("%-44s %9.0f%%\n", "chuhai / raw pugixml", 100.0 * chuhai_xml_mbps / pugixml_mbps);
    std::printf("%-44s %9.0f%%\n", "chuhai with SimHash / raw pugixml",
                100.0 * chuhai_xml_fingerprint_mbps / pugixml_mbps);
    std::printf("%-44s %10.1f   (%zu bodies, %.2f MB)\n", "html_to_text() on the HTML bodies",
                tokenizer_mbps, bodies.size(), body_bytes / mb);
    std::printf("%-44s %10.1f\n", "gumbo parse + text walk, same bodies", gumbo_mbps);
    std::printf("(checksum %zu)\n", sink % 10);
    return 0;
}
