#include "store/corpus_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <iterator>

#include "store/terms.h"

namespace chuhai::store {

namespace {

// Function words that carry no topic. Their high frequency would otherwise dominate the
// similarity of a short text to a small corpus, where IDF alone cannot tell them apart.
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

// Chinese names and words of the subject, with the English terms the corpus uses for them, so
// that a Chinese item is compared with the English text of the corpus too (its Chinese summary
// is a paragraph). Added to the terms of any text that contains them.
struct GlossaryEntry {
    std::string_view chinese;
    std::string_view english;  // one or more terms, separated by spaces
};
constexpr GlossaryEntry kGlossary[] = {
    {"阿里巴巴", "alibaba"},
    {"阿里云", "alibaba cloud"},
    {"华为", "huawei"},
    {"昇腾", "ascend"},
    {"腾讯", "tencent"},
    {"字节跳动", "bytedance"},
    {"百度", "baidu"},
    {"火山引擎", "bytedance cloud"},
    {"剪映", "capcut"},
    {"深度求索", "deepseek"},
    {"智谱", "zhipu"},
    {"月之暗面", "moonshot"},
    {"百川", "baichuan"},
    {"通义", "qwen tongyi"},
    {"千问", "qwen"},
    {"出海", "overseas global abroad"},
    {"海外", "overseas abroad"},
    {"全球", "global"},
    {"国际", "international"},
    {"数据中心", "data centre"},
    {"云计算", "cloud computing"},
    {"大模型", "models"},
    {"人工智能", "ai"},
    {"芯片", "chips"},
    {"算力", "computing"},
    {"开源", "open source"},
    {"东南亚", "southeast asia"},
    {"中东", "middle east"},
    {"沙特", "saudi"},
    {"迪拜", "dubai"},
    {"墨西哥", "mexico"},
    {"巴西", "brazil"},
    {"欧洲", "europe"},
    {"一带一路", "belt road"},
    {"丝绸之路", "silk road"},
    {"马来西亚", "malaysia"},
    {"泰国", "thailand"},
    {"韩国", "korea"},
    {"新加坡", "singapore"},
    {"印度尼西亚", "indonesia"},
    {"印尼", "indonesia"},
    {"非洲", "africa"},
    {"拉美", "latin america"},
    {"出口", "export"},
};

bool has_cjk(std::string_view text) {
    // Every CJK character of the glossary is a three-byte UTF-8 sequence.
    return std::any_of(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xF0) == 0xE0; });
}

// Calls on_term(term) for every term that counts for similarity: the store's terms (folded
// words, CJK bigrams) without function words and one-letter words. A glossary word in the text
// counts as its English terms instead of its bigrams, so that "阿里云在墨西哥" and "Alibaba Cloud
// in Mexico" meet on the same terms, and a long Chinese name does not weigh as several bigrams.
template <class F>
void for_each_counted_term(std::string_view text, F&& on_term) {
    // The byte ranges of the glossary words in the text, with their entries.
    thread_local std::vector<std::pair<std::size_t, std::size_t>> ranges;
    ranges.clear();
    if (has_cjk(text)) {
        for (const GlossaryEntry& entry : kGlossary) {
            for (std::size_t at = text.find(entry.chinese); at != std::string_view::npos;
                 at = text.find(entry.chinese, at + entry.chinese.size())) {
                ranges.emplace_back(at, at + entry.chinese.size());
                std::string_view rest = entry.english;
                while (!rest.empty()) {
                    const auto space = rest.find(' ');
                    on_term(rest.substr(0, space), false);
                    rest = space == std::string_view::npos ? std::string_view()
                                                           : rest.substr(space + 1);
                }
            }
        }
    }
    split_terms(text, TermMode::query, [&](const Term& term) {
        if (term.kind == Term::Kind::word) {
            if (term.text.size() < 2 || is_stopword(term.text))
                return true;
        } else if (std::any_of(ranges.begin(), ranges.end(), [&](const auto& range) {
                       return term.begin < range.second && range.first < term.end;
                   })) {
            return true;  // part of a glossary word, counted as its English terms
        }
        on_term(term.text, term.kind != Term::Kind::word);
        return true;
    });
}

// A term's hash; its lowest bit says whether it is CJK (see CorpusModel::similarities).
std::uint64_t term_hash(std::string_view term, bool cjk) {
    return (std::hash<std::string_view>{}(term) & ~std::uint64_t{1}) | (cjk ? 1 : 0);
}
bool is_cjk_hash(std::uint64_t hash) {
    return (hash & 1) != 0;
}

// The distinct term hashes of a text with their counts, sorted by hash.
std::vector<std::pair<std::uint64_t, int>> count_terms(std::string_view text) {
    std::vector<std::uint64_t> hashes;
    hashes.reserve(text.size() / 5);
    for_each_counted_term(
        text, [&](std::string_view term, bool cjk) { hashes.push_back(term_hash(term, cjk)); });
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

constexpr double kUnknownCjkWeight = 0.5;

double tf_weight(int count) {
    return 1.0 + std::log(static_cast<double>(count));
}

// The paragraphs of a document: its lines of at least kMinParagraphBytes.
constexpr std::size_t kMinParagraphBytes = 40;
template <class F>
void for_each_paragraph(std::string_view text, F&& on_paragraph) {
    while (!text.empty()) {
        const auto end = text.find('\n');
        const std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        if (line.size() >= kMinParagraphBytes)
            on_paragraph(line);
    }
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

std::string item_similarity_text(std::string_view title, std::string_view summary,
                                 std::string_view content) {
    const std::string_view body = summary.empty() ? content : summary;
    std::string text;
    text.reserve(title.size() + body.size() + 1);
    text += title;
    text += '\n';
    text += body;
    return text;
}

bool is_stopword(std::string_view folded_term) {
    // Called for every word the store compares (sketches, similarity), so the words are kept
    // by first letter: a lookup compares a handful of short words, not a binary search.
    static const auto by_letter = [] {
        std::array<std::vector<std::string_view>, 26> table;
        for (const std::string_view word : kStopwords)
            table[static_cast<std::size_t>(word[0] - 'a')].push_back(word);
        return table;
    }();
    if (folded_term.empty() || folded_term.size() > 7 || folded_term[0] < 'a' ||
        folded_term[0] > 'z') {
        return false;  // the longest function word has seven letters
    }
    for (const std::string_view word : by_letter[static_cast<std::size_t>(folded_term[0] - 'a')]) {
        if (word == folded_term)
            return true;
    }
    return false;
}

CorpusModel::CorpusModel(std::span<const Document> documents) {
    // Term counts of every vector: the documents first, then their paragraphs.
    std::vector<std::vector<std::pair<std::uint64_t, int>>> counts;
    for (std::size_t d = 0; d < documents.size(); ++d) {
        document_ids_.push_back(documents[d].id);
        counts.push_back(count_terms(documents[d].text));
    }
    std::unordered_map<std::uint64_t, std::size_t> paragraphs_with;
    for (std::size_t d = 0; d < documents.size(); ++d) {
        for_each_paragraph(documents[d].text, [&](std::string_view paragraph) {
            counts.push_back(count_terms(paragraph));
            vector_document_.push_back(static_cast<std::uint32_t>(d));
            for (const auto& [hash, count] : counts.back())
                ++paragraphs_with[hash];
        });
    }
    paragraphs_ = std::max<std::size_t>(1, counts.size() - documents.size());
    // IDF over paragraphs: with a handful of documents, almost every word is in all of them;
    // paragraphs tell the words of one passage from the words of all.
    for (const auto& [hash, n] : paragraphs_with)
        terms_[hash].idf = idf_for(n);
    std::vector<double> norms(counts.size(), 0.0);
    for (std::size_t v = 0; v < counts.size(); ++v) {
        for (const auto& [hash, count] : counts[v]) {
            TermEntry& entry = terms_[hash];
            if (entry.idf == 0)
                entry.idf = idf_for(1);  // in a document, in no paragraph (short lines)
            const double weight = tf_weight(count) * entry.idf;
            entry.postings.push_back(
                Posting{static_cast<std::uint32_t>(v), static_cast<float>(weight)});
            norms[v] += weight * weight;
        }
    }
    for (auto& [hash, entry] : terms_) {
        for (Posting& posting : entry.postings) {
            const double norm = std::sqrt(norms[posting.vector]);
            posting.weight = norm > 0 ? static_cast<float>(posting.weight / norm) : 0.0f;
        }
    }
}

float CorpusModel::idf_for(std::size_t paragraph_frequency) const {
    // A word the corpus does not have weighs as much as one in a single paragraph: news
    // items are full of words no four documents hold, and they should lower the similarity,
    // not decide it.
    const double n = static_cast<double>(std::max<std::size_t>(1, paragraph_frequency));
    return static_cast<float>(std::log(1.0 + static_cast<double>(paragraphs_) / n));
}

std::vector<CorpusSimilarity> CorpusModel::similarities(std::string_view text) const {
    std::vector<CorpusSimilarity> result;
    if (empty())
        return result;
    const std::size_t vectors = document_ids_.size() + vector_document_.size();
    std::vector<double> dots(vectors, 0.0);
    double norm = 0;
    const double unknown = idf_for(1);
    for (const auto& [hash, count] : count_terms(text)) {
        const auto it = terms_.find(hash);
        // The corpus holds little Chinese (a summary paragraph per document): a Chinese bigram
        // it lacks says less about the text being off the subject than an English word does.
        const double weight = tf_weight(count) * (it != terms_.end()  ? it->second.idf
                                                  : is_cjk_hash(hash) ? kUnknownCjkWeight * unknown
                                                                      : unknown);
        norm += weight * weight;
        if (it == terms_.end())
            continue;
        for (const Posting& posting : it->second.postings)
            dots[posting.vector] += weight * posting.weight;
    }
    norm = std::sqrt(norm);
    // The cosine with the whole document and with its closest paragraph, averaged: a news item
    // is the size of a paragraph, and the paragraph about the same thing says so more clearly
    // than the whole document; the whole document keeps one lucky paragraph from deciding.
    std::vector<double> best_paragraph(document_ids_.size(), 0.0);
    for (std::size_t p = 0; p < vector_document_.size(); ++p) {
        const std::uint32_t d = vector_document_[p];
        best_paragraph[d] = std::max(best_paragraph[d], dots[document_ids_.size() + p]);
    }
    result.reserve(document_ids_.size());
    for (std::size_t d = 0; d < document_ids_.size(); ++d) {
        const double cosine = norm > 0 ? (dots[d] + best_paragraph[d]) / (2 * norm) : 0.0;
        result.push_back(CorpusSimilarity{document_ids_[d], std::clamp(cosine, 0.0, 1.0)});
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
