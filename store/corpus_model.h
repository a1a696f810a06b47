#pragma once
// How close a text is to the seed corpus: TF-IDF vectors over the store's terms (store/terms.h:
// folded words, CJK character bigrams; common English function words left out; Chinese names
// and words of the subject also counted as the English terms the corpus uses for them), with
// IDF over the corpus's paragraphs. A text's similarity to a document is the mean of its
// cosine with the whole document and with the document's closest paragraph. The score is 0 (no
// term in common) to 1 (the same distribution of terms).
//
// Calibrated with build/tests/bench/store/corpus_eval on the shipped corpus (docs/storage.md): news
// about the subject scores 0.04-0.27 (median 0.10), news on neighbouring subjects (the same
// companies at home, other firms abroad) 0-0.13 (median 0.06), unrelated feeds 0-0.12 (median
// 0.03); kCorpusRelatedScore separates them best.
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
    double score = 0;           // 0..1, see above
};

// From this score on, an item is about what the corpus document is about: half of the
// labelled on-topic news items reach it, a tenth of the hard negatives, one in a thousand
// entries of unrelated feeds. Digests show the nearest document from here; a rule's
// `similar_to_corpus` is best set around it.
inline constexpr double kCorpusRelatedScore = 0.10;

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
        std::uint32_t vector;  // a document (index into document_ids_) or a paragraph
        float weight;          // the term's weight in that unit vector
    };
    struct TermEntry {
        float idf = 0;
        std::vector<Posting> postings;
    };

    float idf_for(std::size_t paragraph_frequency) const;

    std::vector<std::int64_t> document_ids_;
    // Keyed by a 64-bit hash of the folded term, so that looking a term up costs no copy. Two
    // terms of a few thousand sharing a hash is a 1-in-10^12 event, and would only blur a score.
    std::unordered_map<std::uint64_t, TermEntry> terms_;
    // Vectors 0..n-1 are the documents, the rest their paragraphs; the document of each
    // paragraph vector, in order.
    std::vector<std::uint32_t> vector_document_;
    std::size_t paragraphs_ = 1;
};

// The text the store compares with the corpus, and builds the corpus from: title, summary and
// content, one per line.
std::string similarity_text(std::string_view title, std::string_view summary,
                            std::string_view content);

// The text of a news item compared with the corpus: what a reader sees first, the title and the
// summary, or the content when there is none. The pipeline and the store measure items on it
// alike, and the threshold kCorpusRelatedScore was calibrated on it (docs/storage.md).
std::string item_similarity_text(std::string_view title, std::string_view summary,
                                 std::string_view content);

// True for the common English words the model ignores ("the", "and", "of", ...).
bool is_stopword(std::string_view folded_term);

}  // namespace chuhai::store
