#include "store/corpus_model.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>

#include "store/terms.h"

namespace chuhai::store {

namespace {

// Function words that carry no topic. Their high frequency would otherwise dominate cosine
// similarity in a corpus of a handful of documents, where IDF alone cannot tell them apart.
constexpr std::string_view kStopwords[] = {
    "a",      "about", "above",   "after",   "again",  "against", "all",    "also",    "am",
    "an",     "and",   "any",     "are",     "as",     "at",      "be",     "because", "been",
    "before", "being", "below",   "between", "both",   "but",     "by",     "can",     "could",
    "did",    "do",    "does",    "doing",   "down",   "during",  "each",   "even",    "few",
    "for",    "from",  "further", "had",     "has",    "have",    "having", "he",      "her",
    "here",   "hers",  "him",     "his",     "how",    "however", "i",      "if",      "in",
    "into",   "is",    "it",      "its",     "itself", "just",    "may",    "me",      "more",
    "most",   "much",  "must",    "my",      "no",     "nor",     "not",    "now",     "of",
    "off",    "on",    "once",    "one",     "only",   "or",      "other",  "our",     "out",
    "over",   "own",   "said",    "same",    "she",    "should",  "so",     "some",    "such",
    "than",   "that",  "the",     "their",   "them",   "then",    "there",  "these",   "they",
    "this",   "those", "through", "to",      "too",    "under",   "until",  "up",      "very",
    "was",    "we",    "were",    "what",    "when",   "where",   "which",  "while",   "who",
    "will",   "with",  "would",   "you",
};

// Calls on_term(folded term) for every term that counts for similarity.
template <class F>
void for_each_counted_term(std::string_view text, F&& on_term) {
    split_terms(text, TermMode::query, [&](const Term& term) {
        if (term.kind == Term::Kind::word && (term.text.size() < 2 || is_stopword(term.text)))
            return true;
        on_term(term.text);
        return true;
    });
}

std::uint64_t term_hash(std::string_view term) {
    return std::hash<std::string_view>{}(term);
}

// The distinct term hashes of a text with their counts, sorted by hash.
std::vector<std::pair<std::uint64_t, int>> count_terms(std::string_view text) {
    std::vector<std::uint64_t> hashes;
    hashes.reserve(text.size() / 5);
    for_each_counted_term(text, [&](std::string_view term) { hashes.push_back(term_hash(term)); });
    std::sort(hashes.begin(), hashes.end());
    std::vector<std::pair<std::uint64_t, int>> counts;
    for (const std::uint64_t hash : hashes) {
        if (!counts.empty() && counts.back().first == hash)
            ++counts.back().second;
        else
            counts.emplace_back(hash, 1);
    }
    return counts;
}

float tf_weight(int count) {
    return 1.0f + std::log(static_cast<float>(count));
}

}  // namespace

std::string similarity_text(std::string_view title, std::string_view summary,
                            std::string_view content) {
    std::string text;
    text.reserve(title.size() + summary.size() + content.size() + 2);
    text += title;
    text += '\n';
    text += summary;
    text += '\n';
    text += content;
    return text;
}

bool is_stopword(std::string_view folded_term) {
    static const std::vector<std::string_view> sorted = [] {
        std::vector<std::string_view> words(std::begin(kStopwords), std::end(kStopwords));
        std::sort(words.begin(), words.end());
        return words;
    }();
    return std::binary_search(sorted.begin(), sorted.end(), folded_term);
}

float CorpusModel::idf_for(std::size_t document_frequency) const {
    // Smoothed so that a term in every document still counts a little and a term the corpus
    // has never seen (frequency 0) counts most.
    const double n = static_cast<double>(document_ids_.size());
    return static_cast<float>(
        std::log((n + 1.0) / (static_cast<double>(document_frequency) + 0.5)));
}

CorpusModel::CorpusModel(std::span<const Document> documents) {
    for (std::size_t d = 0; d < documents.size(); ++d) {
        document_ids_.push_back(documents[d].id);
        for (const auto& [hash, count] : count_terms(documents[d].text)) {
            terms_[hash].postings.push_back(
                Posting{static_cast<std::uint32_t>(d), tf_weight(count)});
        }
    }
    // Weights (tf × idf), then each document's vector scaled to unit length.
    std::vector<double> norms(documents.size(), 0.0);
    for (auto& [hash, entry] : terms_) {
        entry.idf = idf_for(entry.postings.size());
        for (Posting& posting : entry.postings) {
            posting.weight *= entry.idf;
            norms[posting.document] += static_cast<double>(posting.weight) * posting.weight;
        }
    }
    for (auto& [hash, entry] : terms_) {
        for (Posting& posting : entry.postings) {
            const double norm = std::sqrt(norms[posting.document]);
            posting.weight = norm > 0 ? static_cast<float>(posting.weight / norm) : 0.0f;
        }
    }
}

std::vector<CorpusSimilarity> CorpusModel::similarities(std::string_view text) const {
    std::vector<CorpusSimilarity> result;
    if (empty())
        return result;
    std::vector<double> dots(document_ids_.size(), 0.0);
    double norm = 0;
    const double unknown_idf = idf_for(0);
    for (const auto& [hash, count] : count_terms(text)) {
        const auto it = terms_.find(hash);
        // A term the corpus has never seen only lengthens the text's vector, which lowers the
        // cosine, as it should.
        const double weight =
            tf_weight(count) * (it != terms_.end() ? it->second.idf : unknown_idf);
        norm += weight * weight;
        if (it == terms_.end())
            continue;
        for (const Posting& posting : it->second.postings)
            dots[posting.document] += weight * posting.weight;
    }
    norm = std::sqrt(norm);
    result.reserve(document_ids_.size());
    for (std::size_t d = 0; d < document_ids_.size(); ++d) {
        const double score = norm > 0 ? std::clamp(dots[d] / norm, 0.0, 1.0) : 0.0;
        result.push_back(CorpusSimilarity{document_ids_[d], score});
    }
    return result;
}

std::optional<CorpusSimilarity> CorpusModel::nearest(std::string_view text) const {
    std::optional<CorpusSimilarity> best;
    for (const CorpusSimilarity& candidate : similarities(text)) {
        if (candidate.score > 0 && (!best || candidate.score > best->score))
            best = candidate;
    }
    return best;
}

}  // namespace chuhai::store
