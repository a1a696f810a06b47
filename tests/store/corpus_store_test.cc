// The seed corpus in the store: idempotent import, revisions, similarity of new items, and the
// corpus the project ships measured against the documents it summarises.

#include <gtest/gtest.h>

#include <algorithm>

#include "common/file.h"
#include "store/corpus_files.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

std::vector<CorpusDocument> two_documents() {
    return {
        {"chips.md", "/c/chips.md", "Huawei Ascend chips abroad",
         "Huawei exports Ascend 910C accelerators to Belt and Road partners; Cambricon and Biren "
         "follow. 华为昇腾芯片出海。"},
        {"cloud.md", "/c/cloud.md", "Alibaba Cloud builds data centres abroad",
         "Alibaba Cloud opens data centres in Mexico, Brazil, France and Dubai and invests 380 "
         "billion yuan in AI infrastructure. 阿里云在海外建设数据中心。"},
    };
}

TEST_F(StoreTest, CorpusImportIsIdempotentByContent) {
    const auto documents = two_documents();
    const auto first = store().import_corpus("file:///c", documents);
    EXPECT_EQ(first.added, 2);
    EXPECT_EQ(store().find_source(first.source)->spec.kind, SourceKind::seed);

    const auto again = store().import_corpus("file:///c", documents);
    EXPECT_EQ(again.added, 0);
    EXPECT_EQ(again.unchanged, 2);

    // The same text under another name or folder is not a new document.
    auto renamed = documents;
    renamed[0].key = "renamed.md";
    const auto moved = store().import_corpus("file:///elsewhere", renamed);
    EXPECT_EQ(moved.added, 0);
    EXPECT_EQ(moved.unchanged, 2);

    // A changed document is a revision of the same entry.
    auto edited = documents;
    edited[1].text += " It also opens a region in the Netherlands.";
    const auto revised = store().import_corpus("file:///c", edited);
    EXPECT_EQ(revised.revised, 1);
    EXPECT_EQ(revised.unchanged, 1);

    const auto entries = store().list_corpus();
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].title, "Huawei Ascend chips abroad");
    EXPECT_EQ(entries[0].key, "chips.md");
    EXPECT_EQ(entries[0].source_url, "file:///c");
    EXPECT_EQ(entries[1].content_hash.size(), 64u);
    EXPECT_GT(entries[1].bytes, edited[1].text.size());
    // Seeds are not news.
    EXPECT_TRUE(store().list_items({}).empty());
    EXPECT_EQ(store().list_items({.kind = SourceKind::seed}).size(), 2u);
}

TEST_F(StoreTest, NewItemsGetTheirSimilarityToTheNearestCorpusDocument) {
    const SourceId source = add_source("https://feeds.example.com/a");
    const auto before = ingest(source, {make_item("early", "Alibaba Cloud Dubai data centre")});
    EXPECT_FALSE(before.items[0].corpus) << "no corpus yet";

    store().import_corpus("file:///c", two_documents());
    const auto cloud_id = store().list_corpus()[1].item;
    const auto chips_id = store().list_corpus()[0].item;
    const auto result = ingest(
        source, {make_item("cloud", "Alibaba Cloud opens a data centre in Brazil",
                           "The new Alibaba Cloud data centre in Brazil serves AI customers."),
                 make_item("chips", "华为昇腾芯片进入马来西亚", "华为宣布昇腾芯片出海。"),
                 make_item("other", "Football results", "The home team won three nil.")});
    ASSERT_TRUE(result.items[0].corpus);
    EXPECT_EQ(result.items[0].corpus->document, cloud_id);
    EXPECT_GT(result.items[0].corpus->score, 0.2);
    ASSERT_TRUE(result.items[1].corpus);
    EXPECT_EQ(result.items[1].corpus->document, chips_id);
    EXPECT_FALSE(result.items[2].corpus && result.items[2].corpus->score > 0.05);

    const auto stored = *store().item(result.items[0].item);
    ASSERT_TRUE(stored.corpus);
    EXPECT_EQ(stored.corpus->document, cloud_id);
    EXPECT_DOUBLE_EQ(stored.corpus->score, result.items[0].corpus->score);

    // A score computed earlier by the pipeline (for the rules) is stored as given.
    ItemInput precomputed = make_item("pre", "Anything");
    precomputed.corpus = CorpusSimilarity{chips_id, 0.42};
    const auto pre = ingest(source, {precomputed});
    EXPECT_DOUBLE_EQ(store().item(pre.items[0].item)->corpus->score, 0.42);

    // So is the pipeline's finding that an item has nothing in common with the corpus: the
    // writer does not compute it again (on the item's whole text, which might differ).
    ItemInput nothing = make_item("none", "Alibaba Cloud data centres");
    nothing.corpus_computed = true;
    const auto none = ingest(source, {nothing});
    EXPECT_FALSE(none.items[0].corpus);
    EXPECT_FALSE(store().item(none.items[0].item)->corpus);
}

TEST_F(StoreTest, TheCorpusModelFollowsImportsByOtherConnections) {
    const auto model = store().corpus_model();
    EXPECT_TRUE(model->empty());
    {
        StoreOptions options;
        options.clock = &clock_;
        const auto other = open_sqlite_store(db_path(), options);
        other->import_corpus("file:///c", two_documents());
    }
    const auto refreshed = store().corpus_model();
    EXPECT_EQ(refreshed->size(), 2u);
    EXPECT_EQ(store().corpus_model(), refreshed) << "rebuilt only when the corpus changed";
    EXPECT_TRUE(model->empty()) << "a model handed out earlier is never changed";

    store().remove_source(store().find_source("file:///c")->id);
    EXPECT_TRUE(store().corpus_model()->empty());
}

// The corpus the project ships in store/corpus/ summarises the four documents in
// ../shared/seeds/. Each full document must find its own summary as the nearest corpus entry:
// that checks the summaries and the similarity measure together.
TEST_F(StoreTest, EachSeedDocumentIsNearestToItsOwnSummary) {
    const auto seeds = chuhai::testing::shared_dir() / "seeds";
    if (!std::filesystem::is_directory(seeds))
        GTEST_SKIP() << "../shared/seeds is missing";
    const auto shipped =
        read_corpus_folder(std::filesystem::path(CHUHAI_SOURCE_DIR) / "store" / "corpus");
    ASSERT_EQ(shipped.size(), 4u);
    store().import_corpus("file:///shipped", shipped);
    const auto entries = store().list_corpus();
    const auto model = store().corpus_model();
    int checked = 0;
    for (const auto& entry : entries) {
        const auto summary = store().item(entry.item);
        const std::size_t marker = summary->content.find("Seed file: ");
        ASSERT_NE(marker, std::string::npos) << entry.key;
        const std::string seed_name =
            summary->content.substr(marker + 11, summary->content.find('\n', marker) - marker - 11);
        const std::string seed_text = read_file(seeds / seed_name);
        // Its own summary is the nearest, clearly ahead of the others.
        double own = 0;
        double best_other = 0;
        for (const auto& similarity : model->similarities(seed_text)) {
            if (similarity.document == entry.item)
                own = similarity.score;
            else
                best_other = std::max(best_other, similarity.score);
        }
        // (Measured: 2.4 to 2.7 times the next; each document's paragraphs about the common
        // subject keep the others from scoring near zero.)
        EXPECT_GT(own, 2 * best_other)
            << seed_name << ": own summary " << own << ", best other " << best_other;
        EXPECT_GT(own, 2 * kCorpusRelatedScore) << seed_name;
        EXPECT_EQ(model->nearest(seed_text)->document, entry.item) << seed_name;
        ++checked;
    }
    EXPECT_EQ(checked, 4);
}

}  // namespace
}  // namespace chuhai::store::testing
