#pragma once
// How close a text is to the seed corpus: TF-IDF vectors over the store's terms (store/terms.h:
// folded words, CJK character bigrams; common English function words left out), compared by
// cosine similarity. The score is 0 (no term in common) to 1 (the same distribution of terms).
//
// A CorpusModel is immutable once built: one instance can be shared by any number of threads.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace chuhai::store {

struct CorpusSimilarity {
    std::int64_t document = 0;  // the item id of the nearest corpus document
    double score = 0;           // cosine similarity, 0..1
};

class CorpusModel {
  public:
    struct Document {
        std::int64_t id = 0;
        std::string text;  // title and body
    };

    // An empty corpus: nearest() always returns nullopt.
    CorpusModel() = default;
    explicit CorpusModel(std::span<const Document> documents);

    // The most similar document, or nullopt when the corpus is empty or the text shares no
    // term with it.
    std::optional<CorpusSimilarity> nearest(std::string_view text) const;
    // The similarity to every document, in the order they were given.
    std::vector<CorpusSimilarity> similarities(std::string_view text) const;

    std::size_t size() const { return document_ids_.size(); }
    bool empty() const { return document_ids_.empty(); }

  private:
    struct Posting {
        std::uint32_t document;  // index into document_ids_
        float weight;            // the term's weight in the document's unit vector
    };
    struct TermEntry {
        float idf = 0;
        std::vector<Posting> postings;
    };

    float idf_for(std::size_t document_frequency) const;

    std::vector<std::int64_t> document_ids_;
    // Keyed by a 64-bit hash of the folded term, so that looking a term up costs no copy. Two
    // terms of a few thousand sharing a hash is a 1-in-10^12 event, and would only blur a score.
    std::unordered_map<std::uint64_t, TermEntry> terms_;
};

// The text the store compares with the corpus, and builds the corpus from: title, summary and
// content, one per line.
std::string similarity_text(std::string_view title, std::string_view summary,
                            std::string_view content);

// True for the common English words the model ignores ("the", "and", "of", ...).
bool is_stopword(std::string_view folded_term);

}  // namespace chuhai::store
