#include "store/search_tokenizer.h"

#include <gtest/gtest.h>

namespace chuhai::store {
namespace {

TEST(BuildMatchExpression, QuotesEveryWordAndJoinsWithAnd) {
    EXPECT_EQ(build_match_expression("qwen data centre"), "\"qwen\" AND \"data\" AND \"centre\"");
}

TEST(BuildMatchExpression, KeepsQuotedPhrasesTogether) {
    EXPECT_EQ(build_match_expression("\"data centre\" Alibaba"), "\"data centre\" AND \"Alibaba\"");
}

TEST(BuildMatchExpression, OperatorsAndPunctuationAreLiteral) {
    // FTS5 syntax in user input must never become a syntax error or an operator.
    EXPECT_EQ(build_match_expression("NOT C++ OR (x"), "\"NOT\" AND \"C++\" AND \"OR\" AND \"(x\"");
    EXPECT_EQ(build_match_expression("a\"b"), "\"a\" AND \"b\"");
}

TEST(BuildMatchExpression, DropsChunksWithoutTerms) {
    EXPECT_EQ(build_match_expression("  !!! -- "), "");
    EXPECT_EQ(build_match_expression("\"\" ?"), "");
    EXPECT_EQ(build_match_expression("华为 ，"), "\"华为\"");
}

TEST(BuildMatchExpression, ALoneChineseCharacterBecomesAPrefixSearch) {
    EXPECT_EQ(build_match_expression("云"), "\"云\" *");
    EXPECT_EQ(build_match_expression("AI云"), "\"AI云\" *");
    EXPECT_EQ(build_match_expression("阿里云"), "\"阿里云\"");
}

TEST(BuildMatchExpression, UnterminatedQuoteTakesTheRest) {
    EXPECT_EQ(build_match_expression("\"open source"), "\"open source\"");
}

}  // namespace
}  // namespace chuhai::store
