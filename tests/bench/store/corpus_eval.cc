// How well corpus similarity (store/corpus_model.h) tells on-topic news from the rest, and
// whether it names the right corpus document; the calibration docs/storage.md quotes.
//
//   corpus_eval [--shared DIR] [--corpus DIR] [--verbose]
//
// The model is built from the shipped corpus (store/corpus/) as `chuhai corpus import` would
// store it, and scores the text the pipeline gives it (title, then summary or content):
//   labelled    tests/fixtures/match/labelled (100 news items, labelled on-topic or not in
//               labelled.tsv): the score's distribution per label, the separation (AUC) and
//               the threshold that best splits them;
//   realworld   every entry of DIR/corpus/realworld: news and blogs on other subjects;
//   seeds       the four full texts of DIR/seeds, whole and by paragraph: each should be
//               nearest to the corpus document that summarises it.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "feed/feed_parser.h"
#include "store/corpus_files.h"
#include "store/corpus_model.h"

namespace {

using namespace chuhai;
namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5)];
}

void print_distribution(const char* label, const std::vector<double>& scores) {
    std::printf("   %-22s n=%-5zu min %.3f  p10 %.3f  median %.3f  p90 %.3f  max %.3f\n", label,
                scores.size(), percentile(scores, 0), percentile(scores, 0.1),
                percentile(scores, 0.5), percentile(scores, 0.9), percentile(scores, 1));
}

struct Options {
    fs::path shared = CHUHAI_SHARED_DIR;
    fs::path corpus = fs::path(CHUHAI_SOURCE_DIR) / "store" / "corpus";
    bool verbose = false;
};

double score_of(const store::CorpusModel& model, const std::string& text) {
    const auto nearest = model.nearest(text);
    return nearest ? nearest->score : 0.0;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--shared" && i + 1 < argc)
            options.shared = argv[++i];
        else if (arg == "--corpus" && i + 1 < argc)
            options.corpus = argv[++i];
        else if (arg == "--verbose")
            options.verbose = true;
        else {
            std::fprintf(stderr, "usage: corpus_eval [--shared DIR] [--corpus DIR] [--verbose]\n");
            return 2;
        }
    }
    try {
        const auto documents = store::read_corpus_folder(options.corpus);
        std::vector<store::CorpusModel::Document> model_documents;
        std::map<std::int64_t, std::string> names;
        for (std::size_t d = 0; d < documents.size(); ++d) {
            const auto id = static_cast<std::int64_t>(d + 1);
            model_documents.push_back({id, documents[d].title + "\n" + documents[d].text});
            names[id] = documents[d].key;
        }
        const store::CorpusModel model(model_documents);
        std::printf("corpus: %zu documents from %s\n\n", documents.size(), options.corpus.c_str());

        // Labelled news items.
        const fs::path labelled = fs::path(CHUHAI_SOURCE_DIR) / "tests/fixtures/match";
        std::ifstream labels(labelled / "labelled.tsv");
        std::vector<std::pair<double, bool>> scored;
        std::vector<double> on_topic;
        std::vector<double> off_topic;
        std::vector<double> on_topic_zh;
        std::vector<double> off_topic_zh;
        std::string line;
        while (std::getline(labels, line)) {
            const auto tab = line.find('\t');
            if (tab == std::string::npos)
                continue;
            const std::string file = line.substr(0, tab);
            const bool relevant = line.substr(tab + 1) == "1";
            const std::string text = read_file(labelled / "labelled" / file);
            const auto nearest = model.nearest(text);
            const double score = nearest ? nearest->score : 0.0;
            scored.emplace_back(score, relevant);
            (relevant ? on_topic : off_topic).push_back(score);
            if (file.rfind("zh-", 0) == 0)
                (relevant ? on_topic_zh : off_topic_zh).push_back(score);
            if (options.verbose) {
                std::printf("   %d %.3f %-40s %s\n", relevant ? 1 : 0, score,
                            nearest ? names[nearest->document].c_str() : "-", file.c_str());
            }
        }
        std::printf("== labelled news items (tests/fixtures/match/labelled)\n");
        print_distribution("on topic", on_topic);
        print_distribution("off topic", off_topic);
        print_distribution("on topic, Chinese", on_topic_zh);
        print_distribution("off topic, Chinese", off_topic_zh);
        // AUC: the chance that an on-topic item scores above an off-topic one.
        double wins = 0;
        for (const double a : on_topic) {
            for (const double b : off_topic)
                wins += a > b ? 1.0 : a == b ? 0.5 : 0.0;
        }
        std::printf("   AUC %.3f\n",
                    wins / static_cast<double>(on_topic.size() * off_topic.size()));
        for (const double threshold : {0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4}) {
            int true_positive = 0;
            int false_positive = 0;
            for (const auto& [score, relevant] : scored) {
                if (score >= threshold)
                    (relevant ? true_positive : false_positive) += 1;
            }
            std::printf("   at %.2f: %d of %zu on-topic items above, %d of %zu off-topic\n",
                        threshold, true_positive, on_topic.size(), false_positive,
                        off_topic.size());
        }

        // Realworld feeds.
        std::vector<double> realworld;
        const fs::path feeds = options.shared / "corpus" / "realworld";
        if (fs::is_directory(feeds)) {
            for (const auto& file : fs::directory_iterator(feeds)) {
                const auto name = file.path().filename().string();
                if (name == "MANIFEST.tsv" || name == "README.md")
                    continue;
                try {
                    for (const auto& entry : feed::parse_feed(read_file(file.path())).entries) {
                        realworld.push_back(score_of(
                            model, entry.title + "\n" +
                                       (entry.summary.empty() ? entry.content : entry.summary)));
                    }
                } catch (const Error&) {
                }
            }
        }
        std::printf("\n== realworld feeds (other subjects)\n");
        print_distribution("entries", realworld);
        for (const double threshold : {0.1, 0.15, 0.2}) {
            std::printf("   at %.2f: %zd of %zu above\n", threshold,
                        std::count_if(realworld.begin(), realworld.end(),
                                      [&](double s) { return s >= threshold; }),
                        realworld.size());
        }

        // Seeds: whole, and by paragraph, against the document that names them.
        std::printf("\n== seeds (full texts) against the corpus document that summarises each\n");
        for (const auto& document : documents) {
            const auto at = document.text.find("Seed file: ");
            if (at == std::string::npos)
                continue;
            const std::string seed_name = document.text.substr(at + 11, 24);
            const fs::path seed = options.shared / "seeds" / seed_name;
            if (!fs::exists(seed))
                continue;
            const std::string text = read_file(seed);
            const auto whole = model.nearest(text);
            int right = 0;
            int paragraphs = 0;
            std::vector<double> scores;
            std::istringstream in(text);
            while (std::getline(in, line)) {
                if (line.size() < 200)
                    continue;
                ++paragraphs;
                const auto nearest = model.nearest(line);
                scores.push_back(nearest ? nearest->score : 0.0);
                if (nearest && names[nearest->document] == document.key)
                    ++right;
            }
            std::printf(
                "   %s: whole text nearest %s (%.3f); paragraphs: %d of %d nearest it, "
                "median score %.3f\n",
                seed_name.c_str(), whole ? names[whole->document].c_str() : "-",
                whole ? whole->score : 0.0, right, paragraphs, percentile(scores, 0.5));
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "corpus_eval: %s\n", e.what());
        return 1;
    }
    return 0;
}
