// Prints the verdict of a rule set on documents, one line each: `NAME<TAB>` and the result as
// the store keeps it (to_json of RuleSet::evaluate, evidence and mentions included). Run by two
// builds over the same inputs, its outputs must be byte-identical: that is how a change of the
// engine that is meant only to make it faster is shown to change no verdict
// (docs/performance.md, "Matching").
//
//   match_dump --rules DIR PATH...   every .txt/.md/.html document and every entry of every
//                                    feed file (.xml/.rss/.atom/.rdf/.json) under the paths,
//                                    an entry as the pipeline gives it to the rules
//   match_dump --synthetic           the benchmark's rule sets (10 to 10,000 rules) on its
//                                    items, English and Chinese, related and not

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "app/pipeline.h"
#include "common/error.h"
#include "common/file.h"
#include "feed/feed_parser.h"
#include "match/corpus.h"
#include "match/rule_set.h"
#include "tests/bench/match/synthetic.h"

namespace {

using namespace chuhai;

void print(const std::string& name, const match::MatchResult& result) {
    std::printf("%s\t%s\n", name.c_str(), match::to_json(result).c_str());
}

void dump_path(const match::RuleSet& rules, const std::filesystem::path& root) {
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(root)) {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
            if (entry.is_regular_file())
                files.push_back(entry.path());
        }
    } else {
        files.push_back(root);
    }
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
        if (match::is_document_file(path)) {
            print(path.string(), rules.evaluate(match::read_document_file(path)));
            continue;
        }
        if (!match::is_feed_file(path))
            continue;
        feed::FeedDocument feed;
        try {
            feed = feed::parse_feed(read_file(path, std::size_t{20} << 20));
        } catch (const Error&) {
            continue;  // not a feed
        }
        app::SourceContext source;
        source.name = feed.title;
        for (std::size_t i = 0; i < feed.entries.size(); ++i) {
            print(path.string() + "#" + std::to_string(i + 1),
                  rules.evaluate(app::match_document(feed.entries[i], source, std::nullopt)));
        }
    }
}

void dump_synthetic() {
    for (const std::size_t count :
         {std::size_t{10}, std::size_t{100}, std::size_t{1000}, std::size_t{10000}}) {
        const auto loaded =
            match::RuleSet::compile({match::RuleFile{"bench.yaml", "", bench::rules_yaml(count)}});
        if (!loaded.rules)
            throw Error(ErrorKind::internal, "the synthetic rules do not compile");
        for (const bool chinese : {false, true}) {
            for (const bool related : {true, false}) {
                const auto items = bench::make_items(count, chinese, related);
                for (std::size_t i = 0; i < items.size(); ++i) {
                    print(std::to_string(count) + (chinese ? "/zh" : "/en") +
                              (related ? "/related/" : "/unrelated/") + std::to_string(i),
                          loaded.rules->evaluate(items[i]));
                }
            }
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::vector<std::string> args(argv + 1, argv + argc);
        if (args.size() == 1 && args[0] == "--synthetic") {
            dump_synthetic();
            return 0;
        }
        if (args.size() < 3 || args[0] != "--rules") {
            std::fprintf(stderr,
                         "usage: match_dump --rules DIR PATH... | match_dump --synthetic\n");
            return 2;
        }
        const auto rules = match::RuleSet::load(args[1]);
        for (std::size_t i = 2; i < args.size(); ++i)
            dump_path(*rules, args[i]);
        return 0;
    } catch (const Error& e) {
        std::fprintf(stderr, "match_dump: %s\n", e.what());
        return 1;
    }
}
