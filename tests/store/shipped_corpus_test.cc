// The corpus compiled into the binary is the one in store/corpus/, and its model scores text
// exactly as the store's model does once that folder is imported.

#include "store/shipped_corpus.h"

#include <gtest/gtest.h>

#include "store/corpus_files.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

const std::filesystem::path kShippedFolder =
    std::filesystem::path(CHUHAI_SOURCE_DIR) / "store" / "corpus";

TEST(CompiledInCorpus, IsTheFolderTheProjectShips) {
    const auto compiled_in = shipped_corpus();
    const auto on_disk = read_corpus_folder(kShippedFolder);
    ASSERT_EQ(compiled_in.size(), on_disk.size());
    ASSERT_GE(compiled_in.size(), 4u);
    for (std::size_t i = 0; i < on_disk.size(); ++i) {
        EXPECT_EQ(compiled_in[i].key, on_disk[i].key);
        EXPECT_EQ(compiled_in[i].title, on_disk[i].title);
        EXPECT_EQ(compiled_in[i].text, on_disk[i].text);
    }
}

TEST_F(StoreTest, ModelOfUnstoredDocumentsScoresLikeTheStoresModel) {
    const auto documents = shipped_corpus();
    const CorpusModel unstored = corpus_model_of(documents);
    ASSERT_EQ(unstored.size(), documents.size());

    store().import_corpus("file://" + kShippedFolder.string(), read_corpus_folder(kShippedFolder));
    const auto stored = store().corpus_model();
    // The store's document id of each shipped document, by title.
    std::map<std::int64_t, std::int64_t> stored_id_of;
    for (const CorpusEntry& entry : store().list_corpus()) {
        for (std::size_t i = 0; i < documents.size(); ++i) {
            if (documents[i].title == entry.title)
                stored_id_of[static_cast<std::int64_t>(i + 1)] = entry.item;
        }
    }
    ASSERT_EQ(stored_id_of.size(), documents.size());

    for (const std::string text :
         {"Alibaba Cloud opens a data centre in Mexico as Chinese firms expand abroad",
          "阿里云在墨西哥启用新的数据中心，服务出海的中国企业",
          "Is China building an AI Belt and Road? Huawei and ZTE in the Gulf",
          "A bakery in Lyon wins a prize for its croissants"}) {
        const auto a = unstored.similarities(text);
        const auto b = stored->similarities(text);
        ASSERT_EQ(a.size(), b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            EXPECT_EQ(stored_id_of.at(a[i].document), b[i].document) << text;
            EXPECT_DOUBLE_EQ(a[i].score, b[i].score) << text;
        }
        const auto nearest = unstored.nearest(text);
        const auto stored_nearest = stored->nearest(text);
        ASSERT_EQ(nearest.has_value(), stored_nearest.has_value()) << text;
        if (nearest) {
            EXPECT_EQ(stored_id_of.at(nearest->document), stored_nearest->document) << text;
        }
    }
    EXPECT_GT(unstored.nearest("Alibaba Cloud opens a data centre in Mexico")->score, 0.05);
}

}  // namespace
}  // namespace chuhai::store::testing
