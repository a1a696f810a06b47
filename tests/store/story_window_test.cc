// The story window's pieces: the fingerprint scan against a plain loop, the sketches' overlap
// against exact set arithmetic, and the window's bookkeeping (expiry, rollback, revisions).

#include "store/story_window.h"

#include <gtest/gtest.h>

#include <bit>
#include <random>

namespace chuhai::store {
namespace {

TEST(StoryWindow, TheScanFindsExactlyTheFingerprintsWithinTheDistance) {
    std::mt19937_64 random(7);
    std::vector<std::uint64_t> fingerprints;
    const std::uint64_t probe = random();
    for (int i = 0; i < 5000; ++i) {
        // Every distance from 0 to 64 occurs, most of all the ones around the threshold.
        std::uint64_t f = probe;
        const int flips = i % 3 == 0 ? static_cast<int>(random() % 65) : 14 + i % 7;
        for (int b = 0; b < flips; ++b)
            f ^= 1ull << (random() % 64);
        fingerprints.push_back(i % 5 == 0 ? random() : f);
    }
    for (const int distance : {0, 3, 16, 17, 18, 64}) {
        std::vector<std::uint32_t> found;
        scan_fingerprints(fingerprints.data(), fingerprints.size(), probe, distance, found);
        std::vector<std::uint32_t> expected;
        for (std::size_t i = 0; i < fingerprints.size(); ++i) {
            if (std::popcount(fingerprints[i] ^ probe) <= distance)
                expected.push_back(static_cast<std::uint32_t>(i));
        }
        EXPECT_EQ(found, expected) << "distance " << distance;
    }
}

TEST(StoryWindow, OverlapIsExactForShortTextsAndCloseForLongOnes) {
    const auto a = story_sketch("Alibaba Cloud opens data centre in Mexico",
                                "The facility in Queretaro serves retail and gaming.", "");
    EXPECT_DOUBLE_EQ(sketch_overlap(a.shingles, a.shingles), 1.0);
    EXPECT_DOUBLE_EQ(story_overlap(a, a), 1.0);
    // Half of the other's pairs of words: "alibaba cloud", "cloud opens" are shared, the rest not.
    const auto b = story_sketch("Alibaba Cloud opens office", "", "");
    EXPECT_EQ(b.shingles.distinct, 3);
    EXPECT_NEAR(sketch_overlap(a.shingles, b.shingles), 2.0 / 3.0, 1e-9);
    EXPECT_DOUBLE_EQ(sketch_overlap(a.shingles, story_sketch("", "", "").shingles), 0.0);

    // Two long texts sharing half their words: the estimate from 32 of several hundred
    // shingles stays near the truth.
    std::string shared;
    std::string first;
    std::string second;
    for (int i = 0; i < 300; ++i) {
        shared += " common" + std::to_string(i);
        first += " first" + std::to_string(i);
        second += " second" + std::to_string(i);
    }
    const auto long_a = story_sketch("title", shared + first, "");
    const auto long_b = story_sketch("title", shared + second, "");
    EXPECT_GT(long_a.shingles.distinct, 32);
    // The lead is cut at 400 characters: only the shared words are compared.
    EXPECT_NEAR(sketch_overlap(long_a.shingles, long_b.shingles), 1.0, 0.01);
}

TEST(StoryWindow, TitlesMustAgreeOnWordsAndNumbers) {
    const std::string lead = "Events, classes and support groups for the coming week.";
    const auto week1 = story_sketch("D.C. wellness calendar, Aug. 9-16", lead, "");
    const auto week2 = story_sketch("D.C. wellness calendar, Aug. 16-23", lead, "");
    EXPECT_DOUBLE_EQ(story_overlap(week1, week2), 0.0) << "each title has a number the other lacks";
    const auto update = story_sketch("UPDATE 1-D.C. wellness calendar, Aug. 9-16", lead, "");
    EXPECT_GT(story_overlap(week1, update), 0.9) << "a number on one side only is no conflict";
    const auto other_title = story_sketch("Maryland running clubs open to beginners", lead, "");
    EXPECT_DOUBLE_EQ(story_overlap(week1, other_title), 0.0) << "same boilerplate, other title";
}

StoryWindow::Entry entry(std::int64_t item, std::int64_t seen, std::uint64_t fingerprint,
                         const StorySketch& sketch) {
    return StoryWindow::Entry{item, 100 + item, seen, fingerprint, sketch};
}

TEST(StoryWindow, FindsTheBestMatchInsideTheWindowAndForgetsWhatRolledBack) {
    const auto story =
        story_sketch("Zhipu lists in Hong Kong", "Shares rose on the first day.", "");
    const auto other = story_sketch("Zhipu opens office in Singapore", "Its first abroad.", "");
    StoryWindow window(17, 0.5);
    window.add(entry(1, 1000, 0xFF, story));
    window.add(entry(2, 2000, 0xFF00, other));
    window.add(entry(3, 3000, 0x0, story));

    auto match = window.find(0x1, story, 0);
    ASSERT_TRUE(match);
    EXPECT_EQ(match->item, 3) << "equal overlap: the smaller distance";
    EXPECT_EQ(match->distance, 1);
    EXPECT_FALSE(window.find(~0ull, story, 0)) << "beyond the distance";
    EXPECT_FALSE(window.find(0xFF00, story_sketch("Weather", "Rain.", ""), 0));

    // Only entries first seen at or after `since` count; expiry drops the older ones.
    match = window.find(0xFF, story, 1500);
    ASSERT_TRUE(match);
    EXPECT_EQ(match->item, 3);
    window.expire_before(2500);
    EXPECT_EQ(window.size(), 1u);

    window.add(entry(4, 4000, 0xF0F0, other));
    window.truncate(1);
    EXPECT_EQ(window.size(), 1u);
    EXPECT_EQ(window.last_item(), 3);
    EXPECT_FALSE(window.find(0xF0F0, other, 0));

    // A revision changes what an item is compared on.
    window.update(3, 0xF0F0, other);
    match = window.find(0xF0F0, other, 0);
    ASSERT_TRUE(match);
    EXPECT_EQ(match->item, 3);
}

}  // namespace
}  // namespace chuhai::store
