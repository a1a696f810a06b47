#include "digest/build.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/digest/sample_digest.h"

namespace chuhai::digest {
namespace {

CandidateStory story(std::int64_t id, double score, std::vector<std::string> topics,
                     std::vector<std::string> rules = {}, std::vector<std::string> tags = {}) {
    CandidateStory c;
    c.story.id = id;
    c.story.title = "story " + std::to_string(id);
    c.story.score = score;
    c.story.topics = std::move(topics);
    for (auto& rule : rules)
        c.story.matches.push_back({rule, {"term"}});
    c.source_tags = std::move(tags);
    return c;
}

TEST(Filter, EachCriterionExcludesOnItsOwn) {
    const auto c = story(1, 5.0, {"funding"}, {"rule-a"}, {"cn"});
    EXPECT_TRUE(passes(ChannelFilter{}, c));

    ChannelFilter f;
    f.topics = {"hiring"};
    EXPECT_FALSE(passes(f, c));
    f.topics = {"hiring", "funding"};
    EXPECT_TRUE(passes(f, c));

    ChannelFilter rules;
    rules.rules = {"rule-b"};
    EXPECT_FALSE(passes(rules, c));
    rules.rules = {"rule-a"};
    EXPECT_TRUE(passes(rules, c));

    ChannelFilter score;
    score.min_score = 5.01;
    EXPECT_FALSE(passes(score, c));
    score.min_score = 5.0;
    EXPECT_TRUE(passes(score, c));

    ChannelFilter tags;
    tags.source_tags = {"en"};
    EXPECT_FALSE(passes(tags, c));
    tags.source_tags = {"en", "cn"};
    EXPECT_TRUE(passes(tags, c));
}

TEST(Filter, SelectsTheBestAndCountsTheRest) {
    std::vector<CandidateStory> candidates = {story(1, 2.0, {"a"}), story(2, 9.0, {"a"}),
                                              story(3, 5.0, {"a"}), story(4, 5.0, {"a"}),
                                              story(5, 0.1, {"a"})};
    candidates[3].story.first_seen = candidates[2].story.first_seen - std::chrono::seconds{1};
    ChannelFilter f;
    f.max_stories = 3;
    f.min_score = 1.0;
    int omitted = -1;
    const auto selected = select_stories(f, candidates, &omitted);
    ASSERT_EQ(selected.size(), 3u);
    EXPECT_EQ(selected[0]->story.id, 2);
    EXPECT_EQ(selected[1]->story.id, 4);  // same score, seen earlier
    EXPECT_EQ(selected[2]->story.id, 3);
    EXPECT_EQ(omitted, 1);  // story 1; story 5 is below the minimum and not counted
}

TEST(Build, GroupsEachStoryOnceUnderItsFirstAcceptedTopic) {
    const Digest d = chuhai::testing::sample_digest();
    ASSERT_EQ(d.topics.size(), 3u);
    EXPECT_EQ(d.topics[0].topic, "overseas-expansion");
    EXPECT_EQ(d.topics[1].topic, "funding");
    EXPECT_EQ(d.topics[2].topic, kOtherTopic);
    EXPECT_EQ(d.story_count(), 5);  // the sixth is below min_score
    std::vector<std::int64_t> ids;
    for (const auto& section : d.topics) {
        for (std::size_t i = 1; i < section.stories.size(); ++i)
            EXPECT_GE(section.stories[i - 1].score, section.stories[i].score);
        for (const auto& s : section.stories)
            ids.push_back(s.id);
    }
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, (std::vector<std::int64_t>{101, 102, 103, 104, 105}));

    auto in = chuhai::testing::sample_inputs();
    in.filter.topics = {"hiring", "funding"};
    const Digest narrowed = build_digest(in);
    ASSERT_EQ(narrowed.topics.size(), 2u);
    EXPECT_EQ(narrowed.topics[0].topic, "hiring");  // story 101's accepted topic
    EXPECT_EQ(narrowed.topics[1].topic, "funding");
}

TEST(Build, CleansFieldsAndMakesExcerpts) {
    const Digest d = chuhai::testing::sample_digest();
    const Story& crlf = d.topics[0].stories[1];
    EXPECT_EQ(crlf.id, 102);
    EXPECT_EQ(crlf.title.find('\n'), std::string::npos);
    EXPECT_EQ(crlf.title.find('\r'), std::string::npos);
    EXPECT_TRUE(crlf.excerpt.starts_with("月之暗面宣布"));
    EXPECT_TRUE(crlf.excerpt.ends_with("。"));
    const Story& script = d.topics[0].stories[0];
    EXPECT_EQ(script.excerpt,
              "MiniMax said on Tuesday it will open an office in Tokyo. The U.S. listing plans "
              "were not discussed.");
}

TEST(Build, CountsAgainstThePreviousPeriod) {
    const Digest d = chuhai::testing::sample_digest();
    auto find = [](const std::vector<CountChange>& counts, const std::string& name) {
        const auto it = std::find_if(counts.begin(), counts.end(),
                                     [&](const CountChange& c) { return c.name == name; });
        return it == counts.end() ? CountChange{name, -1, -1} : *it;
    };
    // Each story counts once, under the topic of its section: the counts add up to the stories.
    const auto expansion = find(d.topic_counts, "overseas-expansion");
    EXPECT_EQ(expansion.current, 2);  // 101, 102
    EXPECT_EQ(expansion.previous, 1);
    EXPECT_EQ(expansion.change(), 1);
    const auto funding = find(d.topic_counts, "funding");
    EXPECT_EQ(funding.current, 2);  // 103, 104 (106 is below the minimum score)
    EXPECT_EQ(funding.previous, 3);
    EXPECT_EQ(find(d.topic_counts, kOtherTopic).current, 1);  // 105 has no topic
    EXPECT_EQ(find(d.topic_counts, "hiring").current, -1) << "101 is listed under expansion";
    int counted = 0;
    for (const auto& count : d.topic_counts)
        counted += count.current;
    EXPECT_EQ(counted, d.story_count());
    for (const auto& section : d.topics) {
        EXPECT_EQ(find(d.topic_counts, section.topic).current,
                  static_cast<int>(section.stories.size()))
            << section.topic;
    }

    const auto zhipu = find(d.company_counts, "Zhipu AI");
    EXPECT_EQ(zhipu.current, 2);
    EXPECT_EQ(zhipu.previous, 2);
    const auto minimax = find(d.company_counts, "MiniMax");
    EXPECT_EQ(minimax.current, 0);  // dropped to zero: still listed, trending down
    EXPECT_EQ(minimax.previous, 1);
    EXPECT_EQ(d.company_counts.front().name, "Zhipu AI");  // most mentioned first
}

TEST(Build, ChartsCompaniesOverTheRecentPeriods) {
    const Digest d = chuhai::testing::sample_digest();
    ASSERT_EQ(d.chart_periods.size(), 5u);
    EXPECT_EQ(d.chart_periods.back(), d.period);
    ASSERT_FALSE(d.chart.empty());
    EXPECT_EQ(d.chart[0].company, "DeepSeek");
    EXPECT_EQ(d.chart[0].mentions, (std::vector<int>{1, 2, 4, 2, 1}));
    for (const auto& series : d.chart)
        EXPECT_EQ(series.mentions.size(), d.chart_periods.size());

    auto in = chuhai::testing::sample_inputs();
    in.chart_companies = 2;
    EXPECT_EQ(build_digest(in).chart.size(), 2u);
}

TEST(Build, KeepsOmittedStoriesAndHealthNotes) {
    auto in = chuhai::testing::sample_inputs();
    in.filter.max_stories = 2;
    const Digest d = build_digest(in);
    EXPECT_EQ(d.story_count(), 2);
    EXPECT_EQ(d.omitted_stories, 3);
    EXPECT_EQ(d.source_health.size(), 4u);
    in.candidates.clear();
    EXPECT_TRUE(build_digest(in).empty());
}

TEST(DigestId, IsStableSafeAndDistinct) {
    const Period p{*parse_rfc3339("2025-07-01T00:00:00Z"), *parse_rfc3339("2025-07-02T00:00:00Z")};
    const std::string id = make_digest_id("Daily (EN)", p);
    EXPECT_EQ(id, make_digest_id("Daily (EN)", p));
    EXPECT_TRUE(id.starts_with("daily-en-"));
    EXPECT_TRUE(id.ends_with("-20250701t000000z-20250702t000000z"));
    for (char c : id)
        EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << id;
    EXPECT_NE(make_digest_id("daily en", p), id);  // same slug, different channel
    EXPECT_NE(make_digest_id("Daily (EN)", Period{p.start, p.end + std::chrono::hours{1}}), id);
    EXPECT_TRUE(make_digest_id("每日", p).starts_with("channel-"));
}

}  // namespace
}  // namespace chuhai::digest
