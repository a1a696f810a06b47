// The default rule pack (rules/) against the seed documents, the shared Chinese feeds and the
// labelled set written for it (tests/fixtures/match/labelled/).

#include <gtest/gtest.h>
#include <unicode/unistr.h>

#include <pugixml.hpp>
#include <random>
#include <set>

#include "common/file.h"
#include "match/corpus.h"
#include "match/rule_set.h"
#include "tests/support/test_support.h"

namespace chuhai::match {
namespace {

using chuhai::testing::fixture_path;
using chuhai::testing::shared_dir;

std::filesystem::path pack_dir() {
    return std::filesystem::path(CHUHAI_SOURCE_DIR) / "rules";
}

const RuleSet& pack() {
    static const std::shared_ptr<const RuleSet> rules = RuleSet::load(pack_dir());
    return *rules;
}

std::string describe(const MatchResult& r) {
    std::string out = "score " + std::to_string(r.score) + " rules:";
    for (const RuleHit& h : r.rules)
        out += " " + h.id;
    return out;
}

TEST(RulePack, ChecksCleanWithoutWarnings) {
    const auto diagnostics = RuleSet::check(pack_dir());
    for (const Diagnostic& d : diagnostics)
        ADD_FAILURE() << d.to_string();
    EXPECT_GE(pack().rule_count(), 15u);
}

TEST(RulePack, EverySeedMatchesWithAFittingTopic) {
    const auto shared = shared_dir();
    if (shared.empty())
        GTEST_SKIP() << "../shared is missing: seed documents not available";
    // The topics that fit each seed (by what the document is about); the first topic of the
    // verdict must be one of them.
    const std::map<std::string, std::set<std::string>> fitting = {
        {"000_8509292f38fcaabe.txt", {"going-global", "infrastructure", "consumer-apps"}},
        {"001_ba29d6a949b3eac7.txt", {"belt-and-road", "chips"}},
        {"002_1987978e83138c7b.txt", {"open-models", "infrastructure", "going-global"}},
        {"003_15315c76c1d55877.txt", {"infrastructure"}},
    };
    std::size_t seen = 0;
    for (const auto& entry : std::filesystem::directory_iterator(shared / "seeds")) {
        const std::string name = entry.path().filename().string();
        const MatchResult r = pack().evaluate(read_document_file(entry.path()));
        EXPECT_TRUE(r.matched) << name << ": " << describe(r);
        ASSERT_FALSE(r.topics.empty()) << name;
        const auto it = fitting.find(name);
        if (it != fitting.end()) {
            ++seen;
            EXPECT_TRUE(it->second.count(r.topics.front()))
                << name << " has first topic " << r.topics.front();
        }
    }
    EXPECT_EQ(seen, fitting.size());
}

// The five headlines under "More on Technology" in seed 002: title and one-line summary each.
std::vector<Document> more_on_technology(const std::filesystem::path& seed) {
    const std::string text = read_file(seed);
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    std::vector<Document> out;
    auto it = std::find(lines.begin(), lines.end(), "More on Technology");
    if (it == lines.end())
        return out;
    for (++it; it != lines.end() && *it == "-" && it + 2 < lines.end(); it += 3) {
        Document d;
        d.title = *(it + 1);
        d.summary = *(it + 2);
        out.push_back(std::move(d));
    }
    return out;
}

TEST(RulePack, UnrelatedTechnologyHeadlinesMatchNothing) {
    const auto shared = shared_dir();
    if (shared.empty())
        GTEST_SKIP() << "../shared is missing: seed documents not available";
    const auto headlines = more_on_technology(shared / "seeds" / "002_1987978e83138c7b.txt");
    ASSERT_EQ(headlines.size(), 5u);
    for (const Document& d : headlines) {
        // No rule holds at all, not even one that a threshold would outweigh: a headline that
        // merely falls short of the threshold would be one rule edit away from matching.
        const MatchResult r = pack().evaluate(d);
        EXPECT_TRUE(r.rules.empty()) << d.title << ": " << describe(r);
        EXPECT_FALSE(r.matched) << d.title;
    }
}

// Items (title, description) of an RSS file whose bytes are UTF-8.
std::vector<Document> rss_items(const std::string& utf8_xml) {
    pugi::xml_document xml;
    EXPECT_TRUE(xml.load_buffer(utf8_xml.data(), utf8_xml.size(), pugi::parse_default,
                                pugi::encoding_utf8));
    std::vector<Document> out;
    for (const pugi::xpath_node& node : xml.select_nodes("//item")) {
        Document d;
        d.title = node.node().child_value("title");
        d.summary = node.node().child_value("description");
        out.push_back(std::move(d));
    }
    return out;
}

TEST(RulePack, ChineseFeedsAiAbroadMatchesEverydayNewsDoesNot) {
    const auto shared = shared_dir();
    if (shared.empty())
        GTEST_SKIP() << "../shared is missing: Chinese feeds not available";
    const auto dir = shared / "corpus" / "chinese";
    std::vector<Document> items = rss_items(read_file(dir / "utf8_declared_gb2312.xml"));
    // The Traditional Chinese feed is Big5: decode it with ICU first.
    const std::string big5 = read_file(dir / "big5_traditional.xml");
    std::string utf8;
    icu::UnicodeString(big5.data(), static_cast<int32_t>(big5.size()), "big5").toUTF8String(utf8);
    for (Document& d : rss_items(utf8))
        items.push_back(std::move(d));
    ASSERT_EQ(items.size(), 11u);

    const std::set<std::string> unrelated = {"上海发布暴雨蓝色预警", "淘宝双十一成交额创新高",
                                             "台北捷運票價調整"};
    for (const Document& d : items) {
        const MatchResult r = pack().evaluate(d);
        if (unrelated.count(d.title)) {
            EXPECT_FALSE(r.matched) << d.title << ": " << describe(r);
        } else {
            EXPECT_TRUE(r.matched) << d.title << ": " << describe(r);
            // The title alone says enough for these.
            Document title_only;
            title_only.title = d.title;
            EXPECT_GT(pack().evaluate(title_only).score, 0) << d.title;
        }
    }
}

struct LabelledRun {
    std::vector<std::string> names;
    std::vector<MatchResult> results;
    LabelledOutcome outcome;
};

const LabelledRun& labelled_run() {
    static const LabelledRun run = [] {
        LabelledRun r;
        const Corpus corpus = read_corpus(fixture_path("match/labelled"));
        for (const NamedDocument& d : corpus.documents) {
            r.names.push_back(d.name);
            r.results.push_back(pack().evaluate(d.document));
        }
        r.outcome = score_against_labels(r.names, r.results,
                                         read_labels(fixture_path("match/labelled.tsv")));
        return r;
    }();
    return run;
}

TEST(RulePack, LabelledSetHasEnoughOfEachKind) {
    const auto labels = read_labels(fixture_path("match/labelled.tsv"));
    std::size_t positives = 0;
    std::size_t chinese = 0;
    for (const auto& [name, positive] : labels) {
        positives += positive ? 1 : 0;
        chinese += name.rfind("zh-", 0) == 0 ? 1 : 0;
    }
    EXPECT_GE(labels.size(), 80u);
    EXPECT_GE(positives * 2, labels.size() - 10);
    EXPECT_GE((labels.size() - positives) * 2, labels.size() - 10);
    EXPECT_GE(chinese, 25u);
    EXPECT_TRUE(labelled_run().outcome.unlabelled.empty());
}

TEST(RulePack, LabelledSetPrecisionAndRecall) {
    const LabelledOutcome& o = labelled_run().outcome;
    for (const std::string& name : o.false_positives_names)
        ADD_FAILURE() << "false positive: " << name;
    for (const std::string& name : o.false_negatives_names)
        ADD_FAILURE() << "false negative: " << name;
    EXPECT_GE(o.precision, 0.9);
    EXPECT_GE(o.recall, 0.9);
}

// Random mixtures of the pack's own vocabulary, Chinese, separators and invalid bytes: the verdict
// and its explanation agree, and every piece of evidence points inside its field.
TEST(RulePack, RandomTextKeepsEvidenceInsideTheOriginal) {
    const std::vector<std::string> pieces = {"Alibaba Cloud",
                                             "阿里雲",
                                             "data centre",
                                             "Mexico",
                                             "墨西哥",
                                             " ",
                                             "\n",
                                             "-",
                                             "’s",
                                             "ＡＩ",
                                             "open-source",
                                             "Qwen2.5",
                                             "\xff",
                                             "\xe4\xb8",
                                             "\xc3",
                                             "。",
                                             "U.S.",
                                             "*",
                                             "Huawei Mate 70 review",
                                             "出海",
                                             "expanding globally",
                                             "e\u0301",
                                             "\u200b",
                                             "Z.ai"};
    std::mt19937 rng(7);
    for (int round = 0; round < 300; ++round) {
        Document d;
        for (std::string* field : {&d.title, &d.summary, &d.content}) {
            const int count = static_cast<int>(rng() % 40);
            for (int i = 0; i < count; ++i)
                *field += pieces[rng() % pieces.size()];
        }
        d.categories = {pieces[rng() % pieces.size()], pieces[rng() % pieces.size()]};
        const MatchResult r = pack().evaluate(d);
        for (const RuleHit& hit : r.rules) {
            for (const Evidence& e : hit.evidence) {
                const std::string text = field_text(d, e.field);
                ASSERT_LE(e.begin, e.end);
                ASSERT_LE(e.end, text.size());
                ASSERT_EQ(text.substr(e.begin, e.end - e.begin), e.text);
            }
        }
        ASSERT_EQ(to_json(pack().explain(d).result), to_json(r)) << "round " << round;
    }
}

TEST(RulePack, ExplanationsAgreeWithVerdicts) {
    const Corpus corpus = read_corpus(fixture_path("match/labelled"));
    for (const NamedDocument& d : corpus.documents)
        EXPECT_EQ(to_json(pack().explain(d.document).result), to_json(pack().evaluate(d.document)))
            << d.name;
}

}  // namespace
}  // namespace chuhai::match
