// Loading and checking rule files: every mistake an analyst can make is reported with its
// FILE:LINE:COL, all of them at once.

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "match/rule_set.h"
#include "tests/match/match_test_support.h"
#include "tests/support/test_support.h"

namespace chuhai::match {
namespace {

using chuhai::testing::fixture_path;
using chuhai::testing::read_fixture;
using chuhai::testing::TempDir;
using testing::compile_ok;
using testing::diagnostics_of;

// The diagnostics of one fixture file under tests/fixtures/match/check/.
std::vector<Diagnostic> check_fixture(const std::string& name) {
    return diagnostics_of(read_fixture("match/check/" + name), name);
}

std::vector<std::string> errors_of(const std::vector<Diagnostic>& diagnostics) {
    std::vector<std::string> out;
    for (const Diagnostic& d : diagnostics) {
        if (d.severity == Severity::error)
            out.push_back(d.to_string());
    }
    return out;
}

TEST(RuleCheck, YamlSyntaxErrorNamesLineAndColumn) {
    const auto errors = errors_of(check_fixture("yaml-syntax-error.yaml"));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].rfind("yaml-syntax-error.yaml:4:", 0), 0u) << errors[0];
    EXPECT_NE(errors[0].find("YAML syntax"), std::string::npos);
}

TEST(RuleCheck, UnknownKeySuggestsTheNearestOne) {
    const auto errors = errors_of(check_fixture("unknown-key-anny.yaml"));
    ASSERT_FALSE(errors.empty());
    EXPECT_EQ(
        errors[0],
        "unknown-key-anny.yaml:7:11: unknown key 'anny' in a condition (did you mean 'any'?)");
}

TEST(RuleCheck, UndefinedListSuggestsTheNearestOne) {
    const auto errors = errors_of(check_fixture("undefined-list.yaml"));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0],
              "undefined-list.yaml:9:17: undefined list 'overseas_place' (did you mean "
              "'overseas_places'?)");
}

TEST(RuleCheck, DuplicateIdPointsAtBothDefinitions) {
    const auto errors = errors_of(check_fixture("duplicate-rule-id.yaml"));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0],
              "duplicate-rule-id.yaml:5:9: duplicate rule id 'same' (first defined at "
              "duplicate-rule-id.yaml:2:5)");
}

TEST(RuleCheck, InvalidRegexCarriesRe2sReason) {
    const auto errors = errors_of(check_fixture("invalid-regex.yaml"));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].rfind("invalid-regex.yaml:5:14: invalid regex /qwen[0-9/: ", 0), 0u)
        << errors[0];
    EXPECT_NE(errors[0].find("missing ]"), std::string::npos) << errors[0];
}

TEST(RuleCheck, RegexMatchingEmptyTextIsRefused) {
    const auto errors = errors_of(check_fixture("regex-matches-empty-text.yaml"));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("matches the empty text"), std::string::npos);
}

TEST(RuleCheck, OtherMistakes) {
    struct Case {
        const char* file;
        const char* expected;  // the start of the one error
    };
    const Case cases[] = {
        {"bad-near.yaml", "bad-near.yaml:6:11: near: expects 'N words'"},
        {"near-on-any.yaml", "near-on-any.yaml:6:11: near: needs the match to be all: or"},
        {"at-least-more-than-given.yaml",
         "at-least-more-than-given.yaml:5:17: at_least: must be a whole number from 1 to the 2"},
        {"missing-topic.yaml", "missing-topic.yaml:2:5: rule 'no-topic' needs topic:"},
        {"star-inside-a-word.yaml", "star-inside-a-word.yaml:4:12: '*' goes at the end of a word"},
        {"unknown-field.yaml",
         "unknown-field.yaml:4:13: unknown field 'contnet' (did you mean 'content'?)"},
        {"two-operators.yaml", "two-operators.yaml:5:7: a condition has one operator"},
        {"empty-alternative.yaml", "empty-alternative.yaml:4:12: empty alternative in term"},
        {"threshold-not-a-number.yaml",
         "threshold-not-a-number.yaml:2:14: threshold must be a number, not 'high'"},
    };
    for (const Case& c : cases) {
        const auto errors = errors_of(check_fixture(c.file));
        ASSERT_EQ(errors.size(), 1u) << c.file;
        EXPECT_EQ(errors[0].rfind(c.expected, 0), 0u) << errors[0];
    }
}

TEST(RuleCheck, SettingsInTwoFilesIsAnError) {
    const std::string settings = read_fixture("match/check/settings-twice.yaml");
    const auto result =
        RuleSet::compile({RuleFile{"a.yaml", "a.yaml", settings},
                          RuleFile{"b.yaml", "b.yaml", "settings:\n  threshold: 3\n"}});
    const auto errors = errors_of(result.diagnostics);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "b.yaml:1:1: settings: given again (first in a.yaml:1:1)");
}

TEST(RuleCheck, UnusedListIsOnlyAWarning) {
    const auto diagnostics = check_fixture("unused-list.yaml");
    ASSERT_EQ(diagnostics.size(), 1u);
    EXPECT_EQ(diagnostics[0].severity, Severity::warning);
    EXPECT_EQ(diagnostics[0].to_string().rfind("unused-list.yaml:2:3: warning: list 'spare'", 0),
              0u);
}

TEST(RuleCheck, ReportsEveryErrorOfADirectory) {
    const auto diagnostics = RuleSet::check(fixture_path("match/broken-rules"));
    const auto errors = errors_of(diagnostics);
    const std::string dir = fixture_path("match/broken-rules").string();
    ASSERT_EQ(errors.size(), 4u) << ::testing::PrintToString(errors);
    EXPECT_EQ(errors[0],
              dir + "/cloud.yaml:7:11: unknown key 'anny' in a condition (did you mean 'any'?)");
    EXPECT_EQ(errors[1], dir + "/cloud.yaml:13:17: undefined list 'chip_makers'");
    EXPECT_EQ(errors[2],
              dir + "/models.yaml:2:9: duplicate rule id 'cloud-abroad' (first defined at " + dir +
                  "/cloud.yaml:2:5)");
    EXPECT_EQ(errors[3].rfind(dir + "/models.yaml:5:14: invalid regex /qwen(2/", 0), 0u);
}

TEST(RuleLoad, ThrowsConfigErrorAtTheFirstProblem) {
    try {
        (void)RuleSet::load(fixture_path("match/broken-rules"));
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::config);
        EXPECT_EQ(e.where(), fixture_path("match/broken-rules").string() + "/cloud.yaml:7:11");
        EXPECT_NE(e.message().find("and 3 more errors"), std::string::npos) << e.message();
    }
}

TEST(RuleLoad, MissingOrEmptyDirectoryIsAConfigError) {
    TempDir dir;
    try {
        (void)RuleSet::load(dir / "nope");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::config);
        EXPECT_EQ(e.message(), "rules directory not found");
    }
    dir.write("notes.txt", "not a rule file");
    try {
        (void)RuleSet::load(dir.path());
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.message(), "no rule files (*.yaml) in the rules directory");
    }
}

TEST(RuleLoad, ReadsYamlFilesRecursivelySkippingHiddenOnes) {
    TempDir dir;
    dir.write("lists/places.yml", "lists:\n  places:\n    - Mexico\n");
    dir.write("rules/cloud.yaml",
              "rules:\n  - id: r\n    topic: t\n    match:\n      list: places\n");
    dir.write(".hidden/broken.yaml", "this: [is not valid");
    dir.write("rules/.cloud.yaml.swp", "garbage");
    const auto rules = RuleSet::load(dir.path());
    EXPECT_EQ(rules->rule_count(), 1u);
    EXPECT_EQ(rules->rules()[0].where, (dir / "rules/cloud.yaml").string() + ":2:5");
}

TEST(RuleLoad, VersionDependsOnContentAndRelativePathsOnly) {
    TempDir a;
    TempDir b;
    const std::string yaml = "rules:\n  - id: r\n    topic: t\n    match: DeepSeek\n";
    a.write("x.yaml", yaml);
    b.write("x.yaml", yaml);
    const auto va = RuleSet::load(a.path())->version();
    EXPECT_EQ(va, RuleSet::load(b.path())->version());
    EXPECT_EQ(va.size(), 16u);
    b.write("x.yaml", yaml + "# a comment changes the version\n");
    EXPECT_NE(va, RuleSet::load(b.path())->version());
}

TEST(RuleLoad, AliasBombIsRefused) {
    // Eight levels of ten aliases each: 10^8 nodes once expanded.
    std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 8; ++i) {
        const std::string previous = "*a" + std::to_string(i - 1);
        yaml.append("a").append(std::to_string(i)).append(": &a").append(std::to_string(i));
        yaml.append(" [").append(previous);
        for (int j = 1; j < 10; ++j)
            yaml.append(", ").append(previous);
        yaml.append("]\n");
    }
    const auto errors = errors_of(diagnostics_of(yaml));
    ASSERT_FALSE(errors.empty());
    EXPECT_NE(errors[0].find("YAML nodes"), std::string::npos) << errors[0];
}

TEST(RuleLoad, DeepNestingIsRefusedNotOverflowed) {
    std::string condition = "DeepSeek";
    for (int i = 0; i < 40; ++i)
        condition = "{any: [" + condition + "]}";
    const auto errors = errors_of(
        diagnostics_of("rules:\n  - id: deep\n    topic: t\n    match: " + condition + "\n"));
    ASSERT_FALSE(errors.empty());
    EXPECT_NE(errors[0].find("nested deeper than 32"), std::string::npos) << errors[0];
}

TEST(RuleLoad, StatsDescribeTheCompiledSet) {
    const auto rules = compile_ok(
        "lists:\n  clouds:\n    - Alibaba Cloud | 阿里云\n    - Tencent Cloud\n"
        "rules:\n  - id: a\n    topic: t\n    match:\n      all: [{list: clouds}, {regex: "
        "'qwen\\d'}]\n"
        "  - id: b\n    topic: t\n    enabled: false\n    match: x\n");
    ASSERT_TRUE(rules);
    const RuleSetStats stats = rules->stats();
    EXPECT_EQ(stats.rules, 2u);
    EXPECT_EQ(stats.enabled_rules, 1u);
    EXPECT_EQ(stats.lists, 1u);
    EXPECT_EQ(stats.list_entries, 2u);
    EXPECT_EQ(stats.regexes, 1u);
    // alibaba cloud, 阿里云, 阿里雲 (its Traditional spelling), tencent cloud, x
    EXPECT_EQ(stats.literal_patterns, 5u);
    EXPECT_GT(stats.automaton_states, 10u);
}

}  // namespace
}  // namespace chuhai::match
