#include "match/explanation.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/match/match_test_support.h"

namespace chuhai::match {
namespace {

using testing::compile_ok;
using testing::doc;

const char* kRules =
    "settings:\n  threshold: 10\n"
    "entities:\n  places:\n    - Mexico | 墨西哥\n"
    "rules:\n"
    "  - id: cloud\n    title: Cloud abroad\n    topic: infrastructure\n    score: 10\n"
    "    match:\n      all: [Alibaba Cloud, {list: places}]\n      near: 5 words\n"
    "    not:\n      any: [price target]\n"
    "  - id: chips\n    topic: chips\n    match: {all: [Ascend, export]}\n"
    "  - id: far\n    topic: other\n    match: Biren\n";

TEST(Explain, TellsTheSameStoryAsEvaluate) {
    const auto rules = compile_ok(kRules);
    ASSERT_TRUE(rules);
    for (const Document& d :
         {doc("Alibaba Cloud opens in Mexico"), doc("Alibaba Cloud price target, Mexico"),
          doc("Ascend", "export of Ascend chips, Alibaba Cloud far from Mexico")}) {
        const Explanation e = rules->explain(d);
        EXPECT_EQ(to_json(e.result), to_json(rules->evaluate(d)));
    }
}

TEST(Explain, EveryRuleWithItsVerdictAndTrace) {
    const auto rules = compile_ok(kRules);
    ASSERT_TRUE(rules);
    const Explanation e = rules->explain(doc("Alibaba Cloud opens in Mexico", "Ascend chips"));
    ASSERT_EQ(e.rules.size(), 3u);
    const RuleVerdict& cloud = e.rules[0];
    EXPECT_TRUE(cloud.held);
    EXPECT_EQ(cloud.note, "held");
    EXPECT_DOUBLE_EQ(cloud.score, 15.0);
    EXPECT_EQ(cloud.where, "rules.yaml:7:5");
    ASSERT_TRUE(cloud.match);
    EXPECT_EQ(cloud.match->label, "all of within 5 words");
    ASSERT_EQ(cloud.match->children.size(), 2u);
    ASSERT_EQ(cloud.match->children[1].hits.size(), 1u);
    EXPECT_EQ(cloud.match->children[1].label, "list places");
    EXPECT_EQ(cloud.match->children[1].hits[0].term, "Mexico");
    ASSERT_TRUE(cloud.exclusion);
    EXPECT_FALSE(cloud.exclusion->held);

    const RuleVerdict& chips = e.rules[1];
    EXPECT_FALSE(chips.held);
    EXPECT_EQ(chips.note, "conditions not met");
    EXPECT_EQ(chips.match->note, "1 of 2 held, 2 needed");
    EXPECT_EQ(chips.match->children[1].note, "no occurrence in title, summary, content");

    EXPECT_EQ(e.rules[2].note, "none of its key terms occurs");
}

TEST(Explain, ProximityFailureSaysHowCloseItCame) {
    const auto rules = compile_ok(kRules);
    ASSERT_TRUE(rules);
    const Explanation e =
        rules->explain(doc("Alibaba Cloud said on Monday it would soon open in Mexico"));
    const RuleVerdict& cloud = e.rules[0];
    EXPECT_FALSE(cloud.held);
    EXPECT_EQ(cloud.match->note,
              "not within 5 words (closest: 10 words apart, from word 1 of title)");
}

TEST(Explain, RendersTextAndJson) {
    const auto rules = compile_ok(kRules);
    ASSERT_TRUE(rules);
    const Explanation e = rules->explain(doc("Alibaba Cloud opens in 墨西哥"));
    const std::string text = render_explanation(e);
    EXPECT_NE(text.find("verdict: MATCH  score 15 (threshold 10)"), std::string::npos) << text;
    EXPECT_NE(
        text.find("[+] cloud  +15  \"Cloud abroad\"  [infrastructure]  held  @rules.yaml:7:5"),
        std::string::npos)
        << text;
    EXPECT_NE(text.find("title[23,32) \"墨西哥\" = Mexico"), std::string::npos) << text;
    EXPECT_NE(text.find("mentions: places: Mexico x1"), std::string::npos) << text;
    EXPECT_EQ(text.find("Biren"), std::string::npos);  // far rules summarised
    EXPECT_NE(render_explanation(e, true).find("Biren"), std::string::npos);

    const nlohmann::json json = nlohmann::json::parse(to_json(e));
    EXPECT_EQ(json["result"]["matched"], true);
    EXPECT_EQ(json["rules"][0]["id"], "cloud");
    EXPECT_EQ(json["rules"][0]["match"]["children"][0]["hits"][0]["text"], "Alibaba Cloud");
    EXPECT_TRUE(json["rules"][2]["exclusion"].is_null());
}

TEST(Explain, NegativeScoresShowTheirOwnSign) {
    const auto rules = compile_ok(
        "rules:\n  - id: review\n    score: -12\n    match: phone review\n"
        "  - id: huawei\n    topic: t\n    score: 3\n    match: Huawei\n");
    ASSERT_TRUE(rules);
    const std::string text =
        render_explanation(rules->explain(doc("Huawei phone review", "a phone review")));
    EXPECT_NE(text.find("[+] review  -18  "), std::string::npos) << text;
    EXPECT_NE(text.find("[+] huawei  +4.5  "), std::string::npos) << text;
    EXPECT_EQ(text.find("+-"), std::string::npos) << text;
}

}  // namespace
}  // namespace chuhai::match
