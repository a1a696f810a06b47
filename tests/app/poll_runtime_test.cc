// The cycle summary line: what `chuhai once` prints, the daemon logs after each cycle and systemd
// shows as the unit's status. Scripts and people read it; its shape is a contract.

#include "app/poll_runtime.h"

#include <gtest/gtest.h>

namespace chuhai::app {
namespace {

TEST(SummaryLine, CountsEveryPartOfACycle) {
    CycleReport r;
    r.sources = 4;
    r.sources_ok = 3;
    r.not_modified = 1;
    r.sources_failed = 1;
    r.items_seen = 12;
    r.items_new = 9;
    r.items_duplicate = 2;
    r.items_revised = 1;
    r.items_matched = 6;
    EXPECT_EQ(summary_line(r),
              "4 sources: 3 ok (1 not modified), 1 failed; 12 items: 9 new, 2 duplicate, 1 "
              "revised; 6 matched");
}

TEST(SummaryLine, SkippedSourcesShowOnlyWhenThereAreSome) {
    CycleReport r;
    r.sources = 2;
    r.sources_ok = 1;
    r.sources_skipped = 1;
    EXPECT_EQ(summary_line(r),
              "2 sources: 1 ok (0 not modified), 0 failed, 1 skipped; 0 items: 0 new, 0 "
              "duplicate, 0 revised; 0 matched");
    r.sources_skipped = 0;
    EXPECT_EQ(summary_line(r).find("skipped"), std::string::npos);
}

TEST(SummaryLine, OneOfAThingIsSingular) {
    CycleReport r;
    r.sources = 1;
    r.sources_ok = 1;
    r.items_seen = 1;
    r.items_new = 1;
    EXPECT_EQ(summary_line(r),
              "1 source: 1 ok (0 not modified), 0 failed; 1 item: 1 new, 0 duplicate, 0 revised; "
              "0 matched");
}

TEST(SummaryLine, AnEmptyCycle) {
    EXPECT_EQ(summary_line(CycleReport{}),
              "0 sources: 0 ok (0 not modified), 0 failed; 0 items: 0 new, 0 duplicate, 0 "
              "revised; 0 matched");
}

}  // namespace
}  // namespace chuhai::app
