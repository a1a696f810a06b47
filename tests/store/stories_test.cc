// Near-duplicate stories end to end, from real text: feed files parsed by the parse stage
// (its fingerprints), ingested from several sources, grouped by the store. And the other side:
// real feeds and news items that must not be grouped, about the same subjects as much as not.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/error.h"
#include "feed/feed_parser.h"
#include "feed/identity.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

// What the pipeline makes of a parsed entry (app::pipeline.cc), as far as the store cares.
ItemInput item_of(const feed::FeedEntry& entry) {
    ItemInput item;
    item.key = entry.key;
    item.canonical_url = entry.link;
    item.link = entry.link;
    item.title = entry.title;
    item.summary = entry.summary;
    item.content = entry.content;
    item.published = entry.published;
    item.content_hash = feed::to_hex(entry.content_hash);
    item.fingerprint = feed::entry_simhash(entry);
    return item;
}

std::vector<ItemInput> parse_items(const std::string& bytes, const std::string& base_url) {
    feed::ParseOptions options;
    options.base_url = base_url;
    std::vector<ItemInput> items;
    for (const auto& entry : feed::parse_feed(bytes, options).entries)
        items.push_back(item_of(entry));
    return items;
}

class StoriesTest : public StoreTest {
  protected:
    IngestResult ingest_feed(const std::string& fixture, const std::string& name) {
        const std::string url = "https://" + name + ".example/feed.xml";
        const SourceId source = add_source(url, name);
        const auto items =
            parse_items(chuhai::testing::read_fixture("store/stories/" + fixture), url);
        return ingest(source, items);
    }

    ItemId item_titled(const std::string& title) {
        Statement row(db(), "SELECT id FROM items WHERE title = ?1");
        row.bind(1, title);
        EXPECT_TRUE(row.step()) << title;
        return row.column_int64(0);
    }

    // Stories of more than one item, each as its members' titles.
    std::vector<std::vector<std::string>> grouped_titles() {
        std::vector<std::vector<std::string>> groups;
        Statement rows(db(),
                       "SELECT group_concat(title, char(31)) FROM (SELECT story_id, title FROM "
                       "items ORDER BY id) GROUP BY story_id HAVING count(*) > 1");
        while (rows.step()) {
            std::vector<std::string> titles;
            std::istringstream in(rows.column_string(0));
            for (std::string title; std::getline(in, title, '\x1f');)
                titles.push_back(title);
            groups.push_back(std::move(titles));
        }
        return groups;
    }
};

TEST_F(StoriesTest, WireCopiesFromThreeSourcesAreOneStoryWithItsFirstSource) {
    ingest_feed("wire-agency.xml", "Wire Agency");
    clock_.advance(std::chrono::hours(1));
    ingest_feed("wire-reprint.xml", "Asia Business Daily");
    clock_.advance(std::chrono::hours(3));
    ingest_feed("wire-aggregator.xml", "Cloud Watch");

    const ItemId original = item_titled(
        "Alibaba Cloud opens second data centre in Mexico as overseas push accelerates");
    const auto story = store().story(store().item(original)->story);
    ASSERT_TRUE(story);
    EXPECT_EQ(story->members.size(), 3u);
    EXPECT_EQ(story->first_source_name, "Wire Agency");
    EXPECT_EQ(story->first_seen, at("2025-06-24T08:00:00Z"));
    EXPECT_EQ(story->last_seen, at("2025-06-24T12:00:00Z"));
    EXPECT_EQ(story->source_names,
              (std::vector<std::string>{"Wire Agency", "Asia Business Daily", "Cloud Watch"}));
    EXPECT_EQ(story->members.front(), original);

    const auto chinese =
        store().story(store().item(item_titled("阿里云在墨西哥启用第二座数据中心"))->story);
    ASSERT_TRUE(chinese);
    EXPECT_EQ(chinese->source_names,
              (std::vector<std::string>{"Wire Agency", "Asia Business Daily"}));

    // The other stories about Alibaba Cloud, Mexico and Huawei Cloud stay on their own: two
    // stories of several items, five of one.
    EXPECT_EQ(count("SELECT count(*) FROM items"), 9);
    EXPECT_EQ(count("SELECT count(DISTINCT story_id) FROM items"), 6);
    const auto groups = grouped_titles();
    EXPECT_EQ(groups.size(), 2u);
}

// Real feeds of every kind (news, blogs, podcasts, classified ads, templated calendars), all
// stored at the same moment: the only items grouped are entries a feed lists twice under two
// links, with the same title. Before the store confirmed candidates by their text, weekly
// calendars, podcast episodes and ads of one seller were grouped (13 stories, 30 items).
TEST_F(StoriesTest, RealFeedsGroupOnlyTheirRepeatedEntries) {
    const auto shared = chuhai::testing::shared_dir();
    if (shared.empty() || !std::filesystem::is_directory(shared / "corpus" / "realworld"))
        GTEST_SKIP() << "../shared/corpus/realworld is missing";
    int sources = 0;
    for (const auto& file : std::filesystem::directory_iterator(shared / "corpus" / "realworld")) {
        const std::string name = file.path().filename().string();
        if (name == "MANIFEST.tsv" || name == "README.md")
            continue;
        std::ifstream in(file.path(), std::ios::binary);
        std::ostringstream bytes;
        bytes << in.rdbuf();
        const std::string url = "https://" + name + ".example/feed";
        try {
            const auto items = parse_items(bytes.str(), url);
            ingest(add_source(url, name), items);
            ++sources;
        } catch (const chuhai::Error&) {
            // Not a feed (the parse stage's own tests cover which): nothing to group.
        }
    }
    EXPECT_GT(sources, 50);
    EXPECT_GT(count("SELECT count(*) FROM items"), 2000);
    for (const auto& titles : grouped_titles()) {
        for (const auto& title : titles)
            EXPECT_EQ(title, titles.front()) << "grouped with '" << titles.front() << "'";
    }
}

// A hundred news items, many about the same few companies (Alibaba Cloud, Huawei, ByteDance,
// DeepSeek) and countries: none is a copy of another, so none may be grouped.
TEST_F(StoriesTest, NewsAboutTheSameCompaniesIsNotGrouped) {
    const SourceId source = add_source("https://labelled.example/feed", "Labelled");
    std::vector<ItemInput> items;
    for (const auto& file :
         std::filesystem::directory_iterator(chuhai::testing::fixture_path("match/labelled"))) {
        const std::string text =
            chuhai::testing::read_fixture("match/labelled/" + file.path().filename().string());
        feed::FeedEntry entry;
        const auto end = text.find('\n');
        entry.title = text.substr(0, end);
        entry.summary = end == std::string::npos ? "" : text.substr(end + 1);
        entry.link = "https://labelled.example/" + file.path().stem().string();
        entry.key = entry.link;
        items.push_back(item_of(entry));
    }
    ASSERT_EQ(items.size(), 100u);
    ingest(source, items);
    EXPECT_EQ(count("SELECT count(DISTINCT story_id) FROM items"), 100);
}

}  // namespace
}  // namespace chuhai::store::testing
