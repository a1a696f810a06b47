#include "app/seen_items.h"

#include <gtest/gtest.h>

#include <set>

namespace chuhai::app {
namespace {

TEST(SeenItems, KnowsWhatWasInsertedAndNothingElse) {
    SeenItems seen(10);
    const auto a = SeenItems::digest("https://example.com/a", "hash-1");
    const auto b = SeenItems::digest("https://example.com/b", "hash-1");
    EXPECT_FALSE(seen.contains(a));
    seen.insert(a);
    EXPECT_TRUE(seen.contains(a));
    EXPECT_FALSE(seen.contains(b));
    EXPECT_FALSE(seen.contains(SeenItems::digest("https://example.com/a", "hash-2")))
        << "the same URL with other text is not the same item";
}

TEST(SeenItems, DigestKeepsTheTwoPartsApart) {
    EXPECT_NE(SeenItems::digest("ab", "c"), SeenItems::digest("a", "bc"));
    EXPECT_NE(SeenItems::digest("", ""), 0u) << "0 marks an empty slot";
}

// A full table forgets (a lookup misses, so the item is matched as before) but never invents.
TEST(SeenItems, EvictionOnlyEverMisses) {
    SeenItems seen(4);  // 16 slots
    std::set<std::uint64_t> inserted;
    for (int i = 0; i < 200; ++i) {
        const auto digest = SeenItems::digest("https://example.com/" + std::to_string(i), "h");
        seen.insert(digest);
        inserted.insert(digest);
        EXPECT_TRUE(seen.contains(digest)) << "the newest is always there";
    }
    int remembered = 0;
    for (const auto digest : inserted)
        remembered += seen.contains(digest) ? 1 : 0;
    EXPECT_LE(remembered, 16);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_FALSE(
            seen.contains(SeenItems::digest("https://other.example/" + std::to_string(i), "h")));
    }
}

}  // namespace
}  // namespace chuhai::app
