// A database without a reference corpus gets the shipped one before the first poll, once, and
// only when the configuration allows it.

#include <gtest/gtest.h>

#include "app/app_config.h"
#include "store/shipped_corpus.h"
#include "tests/support/test_support.h"

namespace chuhai::app {
namespace {

TEST(ReferenceCorpus, AnEmptyDatabaseGetsTheShippedCorpusOnce) {
    chuhai::testing::TempDir dir;
    config::Settings settings;
    settings.database = dir / "chuhai.db";
    auto store = open_configured_store(settings);
    const auto shipped = store::shipped_corpus();
    ASSERT_GE(shipped.size(), 4u);

    EXPECT_EQ(ensure_reference_corpus(*store, settings), static_cast<int>(shipped.size()));
    const auto corpus = store->list_corpus();
    ASSERT_EQ(corpus.size(), shipped.size());
    EXPECT_FALSE(store->corpus_model()->empty());
    // Again, or on the next start: nothing more.
    EXPECT_EQ(ensure_reference_corpus(*store, settings), 0);
    EXPECT_EQ(open_configured_store(settings)->list_corpus().size(), shipped.size());
}

TEST(ReferenceCorpus, AUsersOwnCorpusOrTheConfigurationKeepsItOut) {
    chuhai::testing::TempDir dir;
    config::Settings settings;
    settings.database = dir / "chuhai.db";
    settings.store.shipped_corpus = false;
    auto store = open_configured_store(settings);
    EXPECT_EQ(ensure_reference_corpus(*store, settings), 0);
    EXPECT_TRUE(store->list_corpus().empty());

    settings.store.shipped_corpus = true;
    store::CorpusDocument own;
    own.key = "own.md";
    own.path = "/srv/corpus/own.md";
    own.title = "Our own reference document";
    own.text = "Chinese cloud providers open data centres abroad.";
    store->import_corpus("file:///srv/corpus", std::vector<store::CorpusDocument>{own});
    EXPECT_EQ(ensure_reference_corpus(*store, settings), 0);
    ASSERT_EQ(store->list_corpus().size(), 1u);
    EXPECT_EQ(store->list_corpus()[0].title, "Our own reference document");
}

}  // namespace
}  // namespace chuhai::app
