#include "text/normalize.h"

#include <gtest/gtest.h>

namespace chuhai::text {
namespace {

TEST(Fold, CaseAndWidthFoldTogether) {
    EXPECT_EQ(fold("DeepSeek"), "deepseek");
    EXPECT_EQ(fold("ＤｅｅｐＳｅｅｋ"), "deepseek");  // full-width Latin
    EXPECT_EQ(fold("Straße"), "strasse");
    EXPECT_EQ(fold("阿里云"), "阿里云");
}

TEST(Fold, InvalidUtf8BecomesReplacementCharacter) {
    const std::string folded =
        fold(std::string("a\xff"
                         "b",
                         3));
    EXPECT_EQ(folded,
              "a\xEF\xBF\xBD"
              "b");
}

}  // namespace
}  // namespace chuhai::text
