#include "match/aho_corasick.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <tuple>

namespace chuhai::match {
namespace {

using Occurrence = std::pair<std::uint32_t, std::size_t>;  // (pattern, end)

std::vector<Occurrence> scan_all(const AhoCorasick& ac, std::string_view text) {
    std::vector<Occurrence> out;
    ac.scan(text, [&](std::uint32_t p, std::size_t end) { out.emplace_back(p, end); });
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<Occurrence> naive(const std::vector<std::string>& patterns, std::string_view text) {
    std::vector<Occurrence> out;
    for (std::uint32_t p = 0; p < patterns.size(); ++p) {
        if (patterns[p].empty())
            continue;
        for (std::size_t pos = text.find(patterns[p]); pos != std::string_view::npos;
             pos = text.find(patterns[p], pos + 1))
            out.emplace_back(p, pos + patterns[p].size());
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST(AhoCorasick, FindsOverlappingAndNestedPatterns) {
    const std::vector<std::string> patterns = {"he", "she", "his", "hers", "e"};
    const AhoCorasick ac(patterns, {});
    EXPECT_EQ(scan_all(ac, "ushers"), naive(patterns, "ushers"));
    EXPECT_EQ(scan_all(ac, "ushers").size(), 4u);  // she, he, e, hers
}

TEST(AhoCorasick, ReportsInOrderOfEndOffset) {
    const AhoCorasick ac({"abc", "b", "bcd"}, {});
    std::vector<std::size_t> ends;
    ac.scan("abcd", [&](std::uint32_t, std::size_t end) { ends.push_back(end); });
    EXPECT_TRUE(std::is_sorted(ends.begin(), ends.end()));
    EXPECT_EQ(ends.size(), 3u);
}

TEST(AhoCorasick, EmptyAutomatonAndEmptyPatternsReportNothing) {
    const AhoCorasick none;
    EXPECT_TRUE(scan_all(none, "anything").empty());
    const AhoCorasick with_empty({"", "a"}, {});
    EXPECT_EQ(scan_all(with_empty, "aa"), (std::vector<Occurrence>{{1, 1}, {1, 2}}));
}

TEST(AhoCorasick, ReadAsMapsTextBytes) {
    AhoCorasick::Options options;
    options.read_as.emplace_back('\n', ' ');
    const AhoCorasick ac({"data centre"}, options);
    EXPECT_EQ(scan_all(ac, "data\ncentre").size(), 1u);
    EXPECT_EQ(scan_all(ac, "data\tcentre").size(), 0u);
}

TEST(AhoCorasick, Utf8PatternsMatchInsideRunningText) {
    const std::vector<std::string> patterns = {"数据中心", "阿里云", "云"};
    const AhoCorasick ac(patterns, {});
    const std::string text = "阿里云在墨西哥启用第二座数据中心，云服务";
    EXPECT_EQ(scan_all(ac, text), naive(patterns, text));
}

// The dense rows are an optimisation: with any budget, down to the root row alone, the result
// is the same as a naive search.
class AhoCorasickRandom : public ::testing::TestWithParam<std::size_t> {};

TEST_P(AhoCorasickRandom, AgreesWithNaiveSearch) {
    std::mt19937 rng(12345);
    const std::string alphabet = "abcab ";  // skewed, so that patterns share prefixes and overlap
    auto random_string = [&](std::size_t n) {
        std::string s;
        for (std::size_t i = 0; i < n; ++i)
            s.push_back(alphabet[rng() % alphabet.size()]);
        return s;
    };
    for (int round = 0; round < 20; ++round) {
        std::vector<std::string> patterns;
        for (int i = 0; i < 200; ++i)
            patterns.push_back(random_string(1 + rng() % 6));
        AhoCorasick::Options options;
        options.dense_budget_bytes = GetParam();
        const AhoCorasick ac(patterns, options);
        const std::string text = random_string(2000);
        ASSERT_EQ(scan_all(ac, text), naive(patterns, text)) << "round " << round;
    }
}

// Texts of every length around the point where the scan splits into two halves, with patterns
// up to 40 bytes long: each occurrence exactly once, whichever half sees it.
TEST_P(AhoCorasickRandom, AgreesWithNaiveSearchAtEveryLength) {
    std::mt19937 rng(777);
    const std::string alphabet = "aab b";
    auto random_string = [&](std::size_t n) {
        std::string s;
        for (std::size_t i = 0; i < n; ++i)
            s.push_back(alphabet[rng() % alphabet.size()]);
        return s;
    };
    std::vector<std::string> patterns;
    for (int i = 0; i < 100; ++i)
        patterns.push_back(random_string(1 + rng() % 5));
    patterns.push_back(std::string(40, 'a'));  // the longest sets the halves' overlap
    AhoCorasick::Options options;
    options.dense_budget_bytes = GetParam();
    const AhoCorasick ac(patterns, options);
    for (std::size_t length = 0; length < 1000; length += 1 + rng() % 9) {
        std::string text = random_string(length);
        if (length > 200)  // an occurrence of the longest across the middle
            text.replace(length / 2 - 20, 40, std::string(40, 'a'));
        ASSERT_EQ(scan_all(ac, text), naive(patterns, text)) << "length " << length;
    }
}

INSTANTIATE_TEST_SUITE_P(DenseBudgets, AhoCorasickRandom,
                         ::testing::Values(std::size_t{0}, std::size_t{64}, std::size_t{4096},
                                           std::size_t{8} << 20));

TEST(AhoCorasick, HybridLayoutKeepsMostStatesSparse) {
    std::vector<std::string> patterns;
    for (int i = 0; i < 5000; ++i)
        patterns.push_back("term" + std::to_string(i * 7919));
    AhoCorasick::Options options;
    options.dense_budget_bytes = 16 * 1024;
    const AhoCorasick ac(patterns, options);
    EXPECT_LT(ac.dense_state_count(), ac.state_count());
    EXPECT_GE(ac.dense_state_count(), 1u);
    const std::string text = "a term7919 and term15838x term0";
    EXPECT_EQ(scan_all(ac, text), naive(patterns, text));
    EXPECT_GE(scan_all(ac, text).size(), 3u);
}

}  // namespace
}  // namespace chuhai::match
