// write_prepared(): a fetch, its items and their matches are stored whole or not at all, so a
// digest built on another connection never sees items whose matches are still to come.

#include <gtest/gtest.h>

#include "app/pipeline.h"
#include "tests/app/digest_test_support.h"

namespace chuhai::app::testing {
namespace {

class PipelineWriteTest : public DigestStoreTest {
  protected:
    PreparedFetch prepared(const std::string& evidence_text) {
        PreparedFetch p;
        p.record = fetch_of(source("Wire"));
        p.items.push_back(store::testing::make_item("1", "DeepSeek opens an office in Paris"));
        match::MatchResult verdict;
        verdict.matched = true;
        verdict.score = 20;
        match::RuleHit hit;
        hit.id = "expansion";
        hit.topic = "going-global";
        hit.score = 20;
        hit.evidence.push_back(
            match::Evidence{"Paris", "", match::Field::title, 0, 5, evidence_text});
        verdict.rules.push_back(hit);
        p.verdicts.push_back(verdict);
        return p;
    }
};

TEST_F(PipelineWriteTest, ItemsAndTheirMatchesAreStoredTogether) {
    const WriteOutcome outcome = write_prepared(store(), prepared("Paris"));
    EXPECT_EQ(outcome.items_new, 1);
    EXPECT_EQ(outcome.matched, 1);
    EXPECT_EQ(count("SELECT count(*) FROM items"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM matches"), 1);
}

TEST_F(PipelineWriteTest, WhenTheMatchesCannotBeStoredNeitherAreTheItems) {
    // Text that is not UTF-8 cannot become the match's JSON evidence: the write fails half-way.
    EXPECT_ANY_THROW(write_prepared(store(), prepared(std::string("Par\xff\xfe"))));
    EXPECT_EQ(count("SELECT count(*) FROM items"), 0) << "the items went with the matches";
    EXPECT_EQ(count("SELECT count(*) FROM fetches"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM matches"), 0);
}

}  // namespace
}  // namespace chuhai::app::testing
