// What the rule language means: matching semantics (normalisation, word boundaries, Chinese),
// logic, proximity, fields, scores, evidence and mentions.

#include <gtest/gtest.h>

#include "match/rule_set.h"
#include "tests/match/match_test_support.h"

namespace chuhai::match {
namespace {

using testing::compile_ok;
using testing::doc;
using testing::holds;
using testing::one_rule;

TEST(Matching, LatinTermsMatchWholeWordsOnly) {
    const auto rules = one_rule("      AI\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("Chinese AI firms")));
    EXPECT_TRUE(holds(*rules, doc("AI-powered tools")));
    EXPECT_TRUE(holds(*rules, doc("the (AI) boom")));
    EXPECT_TRUE(holds(*rules, doc("中国AI企业出海")));
    EXPECT_FALSE(holds(*rules, doc("the company said so")));
    EXPECT_FALSE(holds(*rules, doc("AIs are everywhere")));  // no automatic plurals
    EXPECT_FALSE(holds(*rules, doc("MAIL")));
}

TEST(Matching, PossessivesMatchTheName) {
    const auto rules = one_rule("      Huawei\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("Huawei's new chip")));
    EXPECT_TRUE(holds(*rules, doc("Huawei’s new chip")));
    EXPECT_TRUE(holds(*rules, doc("Huaweis")) == false);
}

TEST(Matching, TrailingStarMatchesAnyEnding) {
    const auto rules = one_rule("      \"data center*\"\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("two data centers")));
    EXPECT_TRUE(holds(*rules, doc("a data center")));
    EXPECT_FALSE(holds(*rules, doc("data centres")));  // a different spelling, not an ending
    EXPECT_FALSE(holds(*rules, doc("bigdata center")));
    const auto result = rules->evaluate(doc("new data centers open"));
    ASSERT_EQ(result.rules.size(), 1u);
    EXPECT_EQ(result.rules[0].evidence[0].text, "data centers");  // the whole word is evidence
}

TEST(Matching, StarInsideAPhrase) {
    const auto rules = one_rule("      \"expand* globally\"\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("It is expanding globally")));
    EXPECT_TRUE(holds(*rules, doc("DeepSeek expands globally.")));
    EXPECT_TRUE(holds(*rules, doc("expand globally")));
    EXPECT_FALSE(holds(*rules, doc("expands global reach")));
    EXPECT_FALSE(holds(*rules, doc("expands globallyish")));
    EXPECT_FALSE(holds(*rules, doc("it expands in Asia, globally")));
}

TEST(Matching, CaseAndWidthFoldOnBothSides) {
    const auto rules = one_rule("      ＤｅｅｐＳｅｅｋ\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("DEEPSEEK releases R2")));
    EXPECT_TRUE(holds(*rules, doc("ｄｅｅｐｓｅｅｋ发布新模型")));
}

TEST(Matching, HyphensLineBreaksAndSpacesAreOneSeparator) {
    const auto rules = one_rule("      \"Belt and Road\"\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("the Belt-and-Road Initiative")));
    EXPECT_TRUE(holds(*rules, doc("", "the Belt and\nRoad")));
    EXPECT_TRUE(holds(*rules, doc("the belt  and   road")));
    EXPECT_FALSE(holds(*rules, doc("the belt, and road")));
}

TEST(Matching, ChineseTermsMatchInsideRunningText) {
    const auto rules = one_rule("      数据中心\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("阿里云在墨西哥启用第二座数据中心")));
    EXPECT_TRUE(holds(*rules, doc("新数据中心将为拉美客户服务")));
    EXPECT_FALSE(holds(*rules, doc("数据 中心")));
}

TEST(Matching, MixedLatinAndChineseTerms) {
    const auto rules = one_rule("      Qwen大模型\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("基于Qwen大模型的应用")));
    EXPECT_TRUE(holds(*rules, doc("基于ＱＷＥＮ大模型")));
    EXPECT_FALSE(holds(*rules, doc("基于MyQwen大模型")));  // the Latin start keeps its boundary
}

TEST(Matching, SimplifiedAndTraditionalSpellingsMatchEachOther) {
    const auto simplified = one_rule("      阿里云\n");
    ASSERT_TRUE(simplified);
    EXPECT_TRUE(holds(*simplified, doc("阿里雲通義千問成為全球下載最多的開源模型")));
    const auto traditional = one_rule("      華為雲\n");
    ASSERT_TRUE(traditional);
    EXPECT_TRUE(holds(*traditional, doc("华为云在利雅得上线人工智能区域")));
    EXPECT_TRUE(holds(*traditional, doc("華為雲在沙烏地阿拉伯啟用資料中心")));
}

TEST(Matching, AlternativesAndRegexes) {
    const auto rules =
        one_rule("      any: [\"data centre | data center*\", {regex: 'qwen ?[0-9.]+'}]\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("new data centre")));
    EXPECT_TRUE(holds(*rules, doc("new data centers")));
    const auto result = rules->evaluate(doc("Alibaba ships Qwen2.5 today"));
    ASSERT_EQ(result.rules.size(), 1u);
    ASSERT_EQ(result.rules[0].evidence.size(), 1u);
    EXPECT_EQ(result.rules[0].evidence[0].text, "Qwen2.5");
    EXPECT_EQ(result.rules[0].evidence[0].term, "/qwen ?[0-9.]+/");
    EXPECT_FALSE(holds(*rules, doc("Qwen is here")));
}

TEST(Logic, AllAnyNotNested) {
    const auto rules = one_rule(
        "      all:\n"
        "        - any: [Alibaba Cloud, Tencent Cloud]\n"
        "        - any: [Mexico, Brazil]\n"
        "        - not: [price target, earnings]\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("Tencent Cloud enters Brazil")));
    EXPECT_FALSE(holds(*rules, doc("Tencent Cloud enters Chile")));
    EXPECT_FALSE(holds(*rules, doc("Tencent Cloud in Brazil lifts price target")));
    EXPECT_FALSE(holds(*rules, doc("Tencent Cloud in Brazil", "earnings rose")));
}

TEST(Logic, AtLeastNOf) {
    const auto rules = one_rule("      at_least: 2\n      of: [DeepSeek, Qwen, Kimi]\n");
    ASSERT_TRUE(rules);
    EXPECT_FALSE(holds(*rules, doc("DeepSeek DeepSeek DeepSeek")));
    EXPECT_TRUE(holds(*rules, doc("DeepSeek and Kimi")));
    EXPECT_TRUE(holds(*rules, doc("Qwen", "and Kimi")));
}

TEST(Logic, RuleLevelNotExcludes) {
    const auto rules = one_rule("      Alibaba\n", "    not:\n      any: [quarterly results]\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("Alibaba opens office")));
    EXPECT_FALSE(holds(*rules, doc("Alibaba quarterly results beat estimates")));
}

TEST(Proximity, WithinNWords) {
    const auto rules = one_rule("      all: [Alibaba Cloud, Mexico]\n      near: 5 words\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("Alibaba Cloud opens in Mexico")));  // 4 words apart
    EXPECT_FALSE(holds(*rules, doc("Alibaba Cloud said that it will open a site in Mexico")));
    // Some occurrence pair is close enough, even if others are far.
    EXPECT_TRUE(holds(*rules, doc("Mexico was mentioned. Later, much later, far away, Alibaba "
                                  "Cloud went to Mexico")));
    // Proximity never joins two fields.
    EXPECT_FALSE(holds(*rules, doc("Alibaba Cloud", "Mexico")));
}

TEST(Proximity, WordsInChineseAreCharacters) {
    // Each Han character counts as a word: 阿0 里1 云2 在3 墨4.
    const auto rules = one_rule("      all: [阿里云, 墨西哥]\n      near: 4 words\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("阿里云在墨西哥")));
    EXPECT_FALSE(holds(*rules, doc("阿里云今天宣布在墨西哥")));
}

TEST(Proximity, SameSentence) {
    const auto rules = one_rule("      all: [Alibaba Cloud, Mexico]\n      near: sentence\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(
        holds(*rules, doc("", "First. Alibaba Cloud, after long talks, picked Mexico. End")));
    EXPECT_FALSE(holds(*rules, doc("", "Alibaba Cloud grew. Mexico voted.")));
    EXPECT_FALSE(holds(*rules, doc("", "阿里云表示。Alibaba Cloud\nMexico")));
}

TEST(Proximity, AtLeastWithinAWindow) {
    const auto rules =
        one_rule("      at_least: 2\n      of: [DeepSeek, Qwen, Kimi]\n      near: 3 words\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("DeepSeek versus Kimi")));
    EXPECT_FALSE(holds(*rules, doc("DeepSeek is a model, and so is one called Kimi")));
}

TEST(Proximity, NotChildrenDoNotNeedPositions) {
    const auto rules =
        one_rule("      all: [Alibaba Cloud, Mexico, {not: earnings}]\n      near: 5 words\n");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(holds(*rules, doc("Alibaba Cloud opens in Mexico")));
    EXPECT_FALSE(holds(*rules, doc("Alibaba Cloud opens in Mexico", "earnings")));
}

TEST(Fields, DefaultFieldsAndIn) {
    const auto rules = compile_ok(
        "rules:\n"
        "  - id: body\n    topic: t\n    match: DeepSeek\n"
        "  - id: author\n    topic: t\n    match: {term: Jane Doe, in: [author]}\n"
        "  - id: link\n    topic: t\n    fields: [link]\n    match: deepseek\n"
        "  - id: tags\n    topic: t\n    match: {term: ai-policy, in: source_tags}\n");
    ASSERT_TRUE(rules);
    Document d;
    d.author = "Jane Doe";
    d.link = "https://www.deepseek.com/news";
    d.source_tags = {"china", "ai-policy"};
    const MatchResult result = rules->evaluate(d);
    std::vector<std::string> ids;
    for (const RuleHit& hit : result.rules)
        ids.push_back(hit.id);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, (std::vector<std::string>{"author", "link", "tags"}));
    // The body rule looks only in title, summary and content.
    d.summary = "DeepSeek R2";
    EXPECT_EQ(rules->evaluate(d).rules.size(), 4u);
}

TEST(Scoring, TitleHitsWeighMoreAndThresholdDecides) {
    const auto rules = one_rule("      DeepSeek\n");
    ASSERT_TRUE(rules);
    const MatchResult in_title = rules->evaluate(doc("DeepSeek goes abroad"));
    const MatchResult in_body = rules->evaluate(doc("News", "DeepSeek goes abroad"));
    EXPECT_DOUBLE_EQ(in_title.score, 15.0);
    EXPECT_DOUBLE_EQ(in_body.score, 10.0);
    EXPECT_TRUE(in_body.matched);
    const auto strict = compile_ok(
        "settings:\n  threshold: 12\n  field_weights: {title: 2, content: 0.5}\n"
        "rules:\n  - id: r\n    topic: t\n    score: 10\n    match: DeepSeek\n");
    ASSERT_TRUE(strict);
    EXPECT_DOUBLE_EQ(strict->evaluate(doc("DeepSeek")).score, 20.0);
    EXPECT_DOUBLE_EQ(strict->evaluate(doc("", "DeepSeek")).score, 5.0);
    EXPECT_FALSE(strict->evaluate(doc("", "DeepSeek")).matched);
    EXPECT_DOUBLE_EQ(strict->threshold(), 12.0);
}

TEST(Scoring, NegativeRulesSubtractAndGiveNoTopic) {
    const auto rules = compile_ok(
        "settings:\n  threshold: 10\n"
        "rules:\n"
        "  - id: pos\n    topic: models\n    tags: [b, a]\n    score: 12\n    match: DeepSeek\n"
        "  - id: pos2\n    topic: apps\n    tags: [a]\n    score: 5\n    match: Talkie\n"
        "  - id: neg\n    score: -5\n    match: review\n");
    ASSERT_TRUE(rules);
    const MatchResult r = rules->evaluate(doc("", "DeepSeek review"));
    EXPECT_DOUBLE_EQ(r.score, 7.0);
    EXPECT_FALSE(r.matched);
    EXPECT_EQ(r.topics, (std::vector<std::string>{"models"}));
    const MatchResult both = rules->evaluate(doc("", "DeepSeek and Talkie"));
    EXPECT_TRUE(both.matched);
    EXPECT_EQ(both.topics, (std::vector<std::string>{"models", "apps"}));
    EXPECT_EQ(both.tags, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(both.rules[0].id, "pos");  // highest score first
}

TEST(Scoring, SourceTagsFilterRules) {
    const auto rules = one_rule("      DeepSeek\n", "    source_tags: [Chinese-Media, analysts]\n");
    ASSERT_TRUE(rules);
    Document d = doc("DeepSeek");
    EXPECT_FALSE(holds(*rules, d));
    d.source_tags = {"tech", "chinese-media"};
    EXPECT_TRUE(holds(*rules, d));
}

TEST(Scoring, DisabledRulesNeverHold) {
    const auto rules = one_rule("      DeepSeek\n", "    enabled: false\n");
    ASSERT_TRUE(rules);
    EXPECT_FALSE(holds(*rules, doc("DeepSeek")));
    const Explanation e = rules->explain(doc("DeepSeek"));
    ASSERT_EQ(e.rules.size(), 1u);
    EXPECT_EQ(e.rules[0].note, "disabled (would have held)");
}

TEST(Scoring, CorpusSimilarity) {
    const auto rules = compile_ok(
        "rules:\n  - id: similar\n    topic: t\n    match:\n      similar_to_corpus: 0.3\n"
        "  - id: both\n    topic: t\n    match:\n      all: [DeepSeek, {similar_to_corpus: "
        "0.5}]\n");
    ASSERT_TRUE(rules);
    Document d = doc("nothing in common");
    EXPECT_TRUE(rules->evaluate(d).rules.empty());  // similarity unknown
    d.corpus_similarity = 0.31;
    ASSERT_EQ(rules->evaluate(d).rules.size(), 1u);
    EXPECT_EQ(rules->evaluate(d).rules[0].id, "similar");
    d.title = "DeepSeek";
    d.corpus_similarity = 0.6;
    EXPECT_EQ(rules->evaluate(d).rules.size(), 2u);
}

TEST(Evidence, OffsetsPointIntoTheOriginalText) {
    const auto rules = one_rule("      all: [qwen, 数据中心, Mexico]\n");
    ASSERT_TRUE(rules);
    Document d;
    d.title = "ＱＷＥＮ in 新数据中心";
    d.content = "Opening  in\n\nMEXICO soon";
    const MatchResult r = rules->evaluate(d);
    ASSERT_EQ(r.rules.size(), 1u);
    const auto& evidence = r.rules[0].evidence;
    ASSERT_EQ(evidence.size(), 3u);
    for (const Evidence& e : evidence) {
        const std::string& text = e.field == Field::title ? d.title : d.content;
        EXPECT_EQ(text.substr(e.begin, e.end - e.begin), e.text);
    }
    EXPECT_EQ(evidence[0].text, "ＱＷＥＮ");
    EXPECT_EQ(evidence[1].text, "数据中心");
    EXPECT_EQ(evidence[2].text, "MEXICO");
    EXPECT_EQ(evidence[2].field, Field::content);
}

TEST(Mentions, CanonicalNamesCountedOncePerPlace) {
    const auto rules = compile_ok(
        "entities:\n"
        "  companies:\n"
        "    - Alibaba Cloud | Aliyun | 阿里云\n"
        "    - Alibaba | 阿里巴巴\n"
        "    - DeepSeek* | 深度求索\n"
        "  places:\n    - Mexico | 墨西哥\n    - Latin America\n    - America\n"
        "lists:\n  vocabulary:\n    - cloud\n"
        "rules:\n  - id: r\n    topic: t\n    match: {all: [{list: companies}, {list: "
        "vocabulary}]}\n");
    ASSERT_TRUE(rules);
    const MatchResult r = rules->evaluate(doc(
        "Alibaba Cloud and Aliyun",
        "阿里雲 in 墨西哥 and Latin America; Alibaba itself; DeepSeek-R1 and 深度求索; America"));
    std::vector<std::string> seen;
    for (const EntityMention& m : r.entities)
        seen.push_back(m.list + ":" + m.name + "=" + std::to_string(m.count));
    // "Alibaba" inside "Alibaba Cloud" is not a mention of Alibaba, nor "America" inside "Latin
    // America"; the entity list no rule uses still counts; vocabulary lists never do.
    EXPECT_EQ(seen, (std::vector<std::string>{"companies:Alibaba Cloud=3", "companies:DeepSeek=2",
                                              "companies:Alibaba=1", "places:America=1",
                                              "places:Latin America=1", "places:Mexico=1"}));
    ASSERT_EQ(r.rules.size(), 1u);
    for (const Evidence& e : r.rules[0].evidence) {
        if (e.list == "vocabulary") {
            EXPECT_EQ(e.term, "cloud");  // vocabulary evidence shows the term as written
        }
    }
}

TEST(Mentions, ANameInsideALongerNameIsNoEvidenceForItsList) {
    const auto rules = compile_ok(
        "entities:\n"
        "  places:\n    kind: place\n    entries:\n"
        "      - United States | American\n      - Latin America | Latin American\n"
        "  us:\n    kind: place\n    entries:\n      - United States | American\n"
        "rules:\n"
        "  - id: any-place\n    topic: t\n    match: {list: places}\n"
        "  - id: us-only\n    topic: t\n    match: {list: us}\n"
        "  - id: us-word\n    topic: t\n    match: {any: [American]}\n");
    ASSERT_TRUE(rules);
    const auto held = [](const MatchResult& r) {
        std::vector<std::string> ids;
        for (const RuleHit& hit : r.rules)
            ids.push_back(hit.id);
        return ids;
    };
    // "American" inside "Latin American" names Latin America: the list of the United States
    // does not hold on it, evidence does not show it, and a term written in a rule still
    // matches the word.
    const MatchResult latin = rules->evaluate(doc("A cloud region for Latin American startups"));
    EXPECT_EQ(held(latin), (std::vector<std::string>{"any-place", "us-word"}));
    ASSERT_FALSE(latin.rules.empty());
    for (const Evidence& e : latin.rules[0].evidence)
        EXPECT_EQ(e.term, "Latin America") << e.text;
    // On its own the same word names the United States, for both lists; one name in two lists
    // at one place is no longer name of the other.
    const MatchResult us = rules->evaluate(doc("American startups adopt Qwen"));
    EXPECT_EQ(held(us), (std::vector<std::string>{"any-place", "us-only", "us-word"}));
    std::vector<std::string> seen;
    for (const EntityMention& m : us.entities)
        seen.push_back(m.list + ":" + m.name + "=" + std::to_string(m.count));
    EXPECT_EQ(seen, (std::vector<std::string>{"places:United States=1", "us:United States=1"}));
}

TEST(Mentions, EachMentionCarriesItsListsKind) {
    const auto rules = compile_ok(
        "entities:\n"
        "  labs:\n    - DeepSeek* | 深度求索\n"
        "  models:\n    kind: product\n    entries:\n      - Qwen*\n"
        "  places:\n    kind: place\n    entries:\n      - Saudi Arabia | Saudi\n"
        "rules:\n  - id: r\n    topic: t\n    match: {list: labs}\n");
    ASSERT_TRUE(rules);
    const MatchResult r = rules->evaluate(doc("DeepSeek and Qwen in Saudi Arabia"));
    std::vector<std::string> seen;
    for (const EntityMention& m : r.entities)
        seen.push_back(m.list + ":" + m.kind + ":" + m.name);
    EXPECT_EQ(seen, (std::vector<std::string>{"labs:company:DeepSeek", "models:product:Qwen",
                                              "places:place:Saudi Arabia"}));
    EXPECT_NE(to_json(r).find("\"kind\":\"place\""), std::string::npos) << to_json(r);
}

TEST(Mentions, AnEntityListsKindIsChecked) {
    using testing::diagnostics_of;
    const auto unknown =
        diagnostics_of("entities:\n  places:\n    kind: city\n    entries:\n      - Riyadh\n");
    ASSERT_FALSE(unknown.empty());
    EXPECT_EQ(unknown[0].to_string(),
              "rules.yaml:3:11: unknown entity kind 'city' (use company, product, place, other)");
    const auto no_entries = diagnostics_of("entities:\n  places:\n    kind: place\n");
    EXPECT_TRUE(std::any_of(no_entries.begin(), no_entries.end(), [](const Diagnostic& d) {
        return d.severity == Severity::error &&
               d.to_string() ==
                   "rules.yaml:3:5: entity list 'places' written as a mapping needs entries:";
    }));
    const auto typo =
        diagnostics_of("entities:\n  places:\n    knid: place\n    entries:\n      - Riyadh\n");
    ASSERT_FALSE(typo.empty());
    EXPECT_EQ(typo[0].to_string(),
              "rules.yaml:3:5: unknown key 'knid' in an entity list (allowed: kind, entries)");
    // Vocabulary lists have no kind.
    EXPECT_FALSE(diagnostics_of("lists:\n  words:\n    kind: place\n    entries: [a]\n").empty());
}

TEST(Robustness, HostileDocumentsNeverCrash) {
    const auto rules = one_rule("      all: [DeepSeek, {regex: 'a+b'}]\n      near: sentence\n");
    ASSERT_TRUE(rules);
    Document d;
    d.title = std::string("\xff\xfe\xc3", 3) + "DeepSeek";
    for (int i = 0; i < 200000; ++i)
        d.content += "DeepSeek aab ";
    const MatchResult r = rules->evaluate(d);
    EXPECT_TRUE(r.matched);
    EXPECT_TRUE(r.hits_truncated);
    EXPECT_LE(r.rules[0].evidence.size(), kMaxEvidencePerRule);
    EXPECT_FALSE(rules->evaluate(Document{}).matched);
    Document huge;
    huge.content = std::string(3u << 20, 'x') + " DeepSeek aab";
    EXPECT_FALSE(rules->evaluate(huge).matched);  // beyond the scanned prefix of the field
}

TEST(Json, ResultSerialisesEvidence) {
    const auto rules = one_rule("      DeepSeek\n");
    ASSERT_TRUE(rules);
    const std::string json = to_json(rules->evaluate(doc("DeepSeek \"R1\"")));
    EXPECT_NE(json.find("\"matched\":true"), std::string::npos) << json;
    EXPECT_NE(json.find("\"evidence\":[{\"begin\":0,\"end\":8,\"field\":\"title\",\"list\":\"\","
                        "\"term\":\"DeepSeek\",\"text\":\"DeepSeek\"}]"),
              std::string::npos)
        << json;
    EXPECT_NE(json.find("\"rules_version\":\"" + rules->version() + "\""), std::string::npos);
}

}  // namespace
}  // namespace chuhai::match
