// The sanitised HTML the pipeline computes for matched items (ItemInput::sanitized_html): stored
// with a new item, NULL when not given, replaced or cleared by a revision, untouched by another
// sighting, read back by item() and list_items().

#include <gtest/gtest.h>

#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

using std::chrono::hours;

TEST_F(StoreTest, SanitizedHtmlIsStoredOnlyWhenGiven) {
    const SourceId source = add_source("https://feeds.example.com/a");
    ItemInput matched = make_item("m", "Alibaba Cloud opens Riyadh region", "The region opens.");
    matched.content_html = "<p onclick=\"x()\">The region <script>y()</script>opens.</p>";
    matched.sanitized_html = "<p>The region opens.</p>";
    ItemInput other = make_item("o", "Bicycle lanes approved", "Next spring.");
    other.content_html = "<p>Next spring.</p>";
    const IngestResult result = ingest(source, {matched, other});

    EXPECT_EQ(store().item(result.items[0].item)->sanitized_html,
              std::optional<std::string>("<p>The region opens.</p>"));
    EXPECT_FALSE(store().item(result.items[1].item)->sanitized_html);
    EXPECT_EQ(count("SELECT count(*) FROM items WHERE sanitized_html IS NULL"), 1);
    const auto listed = store().list_items({});
    ASSERT_EQ(listed.size(), 2u);
    for (const Item& item : listed)
        EXPECT_EQ(item.sanitized_html.has_value(), item.key == "m") << item.key;
}

TEST_F(StoreTest, ARevisionReplacesOrClearsTheSanitizedHtml) {
    const SourceId source = add_source("https://feeds.example.com/a");
    const SourceId other_source = add_source("https://feeds.example.com/b");
    ItemInput item = make_item("k", "Huawei to sell Ascend chips in Malaysia", "Huawei will.");
    item.sanitized_html = "<p>first</p>";
    const auto id = ingest(source, {item}).items[0].item;

    // The same URL from another source is a sighting: what is stored stays.
    ItemInput copy = item;
    copy.sanitized_html.reset();
    ingest(other_source, {copy});
    EXPECT_EQ(store().item(id)->sanitized_html, std::optional<std::string>("<p>first</p>"));

    clock_.advance(hours(1));
    item.title = "Huawei sells Ascend chips in Malaysia";
    item.sanitized_html = "<p>second</p>";
    ASSERT_EQ(ingest(source, {item}).revised, 1);
    EXPECT_EQ(store().item(id)->sanitized_html, std::optional<std::string>("<p>second</p>"));

    // Revised into an item that matches no rule: nothing sanitised is left for it.
    clock_.advance(hours(1));
    item.title = "Huawei sells Ascend chips in Malaysia and Thailand";
    item.sanitized_html.reset();
    ASSERT_EQ(ingest(source, {item}).revised, 1);
    EXPECT_FALSE(store().item(id)->sanitized_html);
}

}  // namespace
}  // namespace chuhai::store::testing
