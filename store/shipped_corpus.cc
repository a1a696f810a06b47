#include "store/shipped_corpus.h"

#include <algorithm>

#include "common/embedded_file.h"
#include "store/corpus_files.h"

// Generated from store/corpus/ by chuhai_embed_files() (store/CMakeLists.txt).
std::span<const chuhai::EmbeddedFile> shipped_corpus_files();

namespace chuhai::store {

std::vector<CorpusDocument> shipped_corpus() {
    std::vector<CorpusDocument> documents;
    for (const EmbeddedFile& file : shipped_corpus_files()) {
        const std::string name(file.name);
        documents.push_back(parse_corpus_document(name, name, file.contents));
    }
    std::sort(documents.begin(), documents.end(),
              [](const CorpusDocument& a, const CorpusDocument& b) { return a.key < b.key; });
    return documents;
}

CorpusModel corpus_model_of(std::span<const CorpusDocument> documents) {
    // Imported documents are stored with their text as the item's content and no summary
    // (SqliteStore::import_corpus), and the store's model reads them back that way.
    std::vector<CorpusModel::Document> model_documents;
    model_documents.reserve(documents.size());
    for (std::size_t i = 0; i < documents.size(); ++i) {
        model_documents.push_back(CorpusModel::Document{
            static_cast<std::int64_t>(i + 1),
            similarity_text(documents[i].title, std::string_view(), documents[i].text)});
    }
    return CorpusModel(model_documents);
}

}  // namespace chuhai::store
