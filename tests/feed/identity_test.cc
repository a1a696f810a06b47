#include "feed/identity.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "feed/feed_parser.h"

namespace chuhai::feed {
namespace {

FeedEntry entry(std::string title, std::string summary) {
    FeedEntry e;
    e.title = std::move(title);
    e.summary = std::move(summary);
    return e;
}

// Syndicated copies: one wire story as three outlets ran it (headline tweaks, a dateline, a
// trimmed or extended lead), in English and in Chinese.
const FeedEntry kWireOriginal =
    entry("Alibaba Cloud opens second data centre in Mexico as overseas push accelerates",
          "Alibaba Cloud said on Monday it had opened a second data centre in Mexico, part of a "
          "plan to expand its international infrastructure as Chinese technology companies look "
          "for growth in Latin America. The Hangzhou-based company said the new facility in "
          "Queretaro would serve customers in retail, finance and gaming.");
const FeedEntry kWireCopy =
    entry("Alibaba Cloud opens second data center in Mexico as overseas push accelerates - Reuters",
          "HANGZHOU, June 24 (Reuters) - Alibaba Cloud said on Monday it had opened a second data "
          "center in Mexico, part of a plan to expand its international infrastructure as Chinese "
          "technology companies look for growth in Latin America. The Hangzhou-based company said "
          "the new facility in Queretaro would serve customers in retail, finance and gaming.");
const FeedEntry kWireRepost =
    entry("UPDATE 1-Alibaba Cloud opens second data centre in Mexico as overseas push accelerates",
          "Alibaba Cloud said on Monday it had opened a second data centre in Mexico, part of a "
          "plan to expand its international infrastructure as Chinese technology companies look "
          "for growth in Latin America.");
// Different stories about the same company, and about the same place.
const FeedEntry kOtherAlibaba =
    entry("Alibaba Cloud cuts prices of Qwen models for developers in Europe",
          "Alibaba Cloud on Tuesday lowered the prices of its Qwen large language models for "
          "customers in Europe by up to 50%, stepping up competition with US rivals as it courts "
          "developers in Germany and France.");
const FeedEntry kOtherMexico =
    entry("Huawei Cloud opens data centre in Mexico City to serve Latin American banks",
          "Huawei Cloud said it had opened a new data centre in Mexico City, its third in the "
          "country, targeting banks and government agencies across Latin America.");

const FeedEntry kChineseOriginal =
    entry("阿里云在墨西哥启用第二座数据中心",
          "阿里云周一宣布在墨西哥克雷塔罗启用第二座数据中心，这是其加速海外基础设施布局的一部分，"
          "新数据中心将服务零售、金融和游戏行业客户。");
const FeedEntry kChineseRepost = entry("阿里云在墨西哥启用第二座数据中心 加速出海",
                                       "【新华社】阿里云周一宣布在墨西哥克雷塔罗启用第二座数据中心"
                                       "，这是其加速海外基础设施布局的一部分，"
                                       "新数据中心将服务零售、金融和游戏行业客户。");
const FeedEntry kChineseOther = entry(
    "华为云在利雅得上线人工智能区域",
    "华为云周二宣布在沙特阿拉伯利雅得上线人工智能云区域，面向中东政府和企业客户提供大模型服务。");

int distance(const FeedEntry& a, const FeedEntry& b) {
    return hamming_distance(entry_simhash(a), entry_simhash(b));
}

TEST(Identity, SyndicatedCopiesAreNearDuplicates) {
    EXPECT_LE(distance(kWireOriginal, kWireCopy), kNearDuplicateDistance);
    EXPECT_LE(distance(kWireOriginal, kWireRepost), kNearDuplicateDistance);
    EXPECT_LE(distance(kWireCopy, kWireRepost), kNearDuplicateDistance);
    EXPECT_LE(distance(kChineseOriginal, kChineseRepost), kNearDuplicateDistance);
}

TEST(Identity, ThresholdSitsInTheGapBetweenCopiesAndOtherStories) {
    // Measured on the examples above (docs/feeds.md): copies 8-14 bits apart, different
    // stories 21 or more. The threshold keeps a margin of three bits on both sides.
    int closest_different = 64, farthest_copy = 0;
    const FeedEntry* english[] = {&kWireOriginal, &kWireCopy, &kWireRepost};
    for (const FeedEntry* a : english)
        for (const FeedEntry* b : english)
            farthest_copy = std::max(farthest_copy, distance(*a, *b));
    farthest_copy = std::max(farthest_copy, distance(kChineseOriginal, kChineseRepost));
    for (const FeedEntry* a : english)
        for (const FeedEntry* b : {&kOtherAlibaba, &kOtherMexico})
            closest_different = std::min(closest_different, distance(*a, *b));
    closest_different = std::min(closest_different, distance(kChineseOriginal, kChineseOther));
    EXPECT_LE(farthest_copy + 3, kNearDuplicateDistance);
    EXPECT_GE(closest_different - 3, kNearDuplicateDistance);
}

TEST(Identity, DifferentStoriesAreNot) {
    for (const FeedEntry* story : {&kWireOriginal, &kWireCopy, &kWireRepost}) {
        EXPECT_GT(distance(*story, kOtherAlibaba), kNearDuplicateDistance);
        EXPECT_GT(distance(*story, kOtherMexico), kNearDuplicateDistance);
    }
    EXPECT_GT(distance(kOtherAlibaba, kOtherMexico), kNearDuplicateDistance);
    EXPECT_GT(distance(kChineseOriginal, kChineseOther), kNearDuplicateDistance);
    EXPECT_GT(distance(kChineseRepost, kChineseOther), kNearDuplicateDistance);
}

TEST(Identity, SimHashIgnoresCaseWidthAndPunctuation) {
    EXPECT_EQ(simhash("Alibaba Cloud opens DATA centre!"),
              simhash("alibaba cloud, opens data centre"));
    EXPECT_EQ(simhash("ＡＩ出海"), simhash("ai出海"));
    EXPECT_EQ(hamming_distance(0, ~std::uint64_t{0}), 64);
    EXPECT_EQ(hamming_distance(0b1011, 0b0001), 2);
}

TEST(Identity, ContentHashSeesTextChangesNotSpacing) {
    auto hash_of = [](const std::string& description) {
        const std::string feed =
            "<rss version=\"2.0\"><channel><item><title>Title</title>"
            "<guid>g</guid><description>" +
            description + "</description></item></channel></rss>";
        return parse_feed(feed).entries.at(0).content_hash;
    };
    const std::uint64_t original = hash_of("&lt;p&gt;Some summary text&lt;/p&gt;");
    EXPECT_EQ(original, hash_of("\n   &lt;p&gt;Some   summary\n\ttext &lt;/p&gt;  "));
    EXPECT_EQ(original, hash_of("Some summary text"));
    EXPECT_NE(original, hash_of("Some summary text, corrected"));
    FeedEntry a = entry("Title", "Some summary text");
    FeedEntry b = a;
    EXPECT_EQ(content_hash(a), content_hash(b));
    b.content = "now with content";
    EXPECT_NE(content_hash(a), content_hash(b));
    b = a;
    b.title = "Title (updated)";
    EXPECT_NE(content_hash(a), content_hash(b));
}

TEST(Identity, KeysPreferUniqueIdThenUniqueLinkThenHash) {
    std::vector<FeedEntry> entries(4);
    entries[0].id = "a";
    entries[0].link = "https://e.com/1";
    entries[1].id = "shared";
    entries[1].link = "https://e.com/2";
    entries[2].id = "shared";
    entries[2].link = "https://e.com/3";
    entries[3].title = "No id, no link";
    assign_item_keys(entries);
    EXPECT_EQ(entries[0].key, "id:a");
    EXPECT_EQ(entries[1].key, "url:https://e.com/2");
    EXPECT_EQ(entries[2].key, "url:https://e.com/3");
    EXPECT_EQ(entries[3].key.rfind("hash:", 0), 0u);
    EXPECT_EQ(entries[3].key.size(), 5u + 16u);
    // Stable: the same entry alone gets the same key.
    std::vector<FeedEntry> again{entries[3]};
    assign_item_keys(again);
    EXPECT_EQ(again[0].key, entries[3].key);
}

TEST(Identity, RemoveDuplicateEntriesKeepsTheFirst) {
    std::vector<FeedEntry> entries(3);
    entries[0].key = "id:1";
    entries[0].title = "first";
    entries[1].key = "id:2";
    entries[2].key = "id:1";
    entries[2].title = "repeat";
    EXPECT_EQ(remove_duplicate_entries(entries), 1u);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].title, "first");
}

TEST(Identity, StableHashIsStable) {
    // Stored values: these must never change between versions.
    EXPECT_EQ(to_hex(stable_hash64("")), to_hex(stable_hash64("")));
    EXPECT_NE(stable_hash64("a"), stable_hash64("b"));
    EXPECT_EQ(to_hex(0x0123456789abcdefull), "0123456789abcdef");
}

}  // namespace
}  // namespace chuhai::feed
