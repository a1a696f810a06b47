#pragma once
// How the store cuts text into terms, for the full-text index and for corpus similarity alike,
// so that a query, an item and a corpus document are compared on the same terms:
//
//  - runs of letters and digits (any script that separates words with spaces or punctuation)
//    become one term each, folded with text::fold (NFKC case folding; ASCII is lowered without
//    calling ICU);
//  - runs of CJK characters (Han, Hiragana, Katakana), which have no spaces between words, become
//    overlapping character bigrams: "阿里云出海" → 阿里 里云 云出 出海; a one-character run is
//    that character alone. When indexing documents the last character of a longer run is also
//    emitted alone, so that every character starts some term and a one-character query can be
//    answered with a prefix search (queries must not emit it, or phrases would not line up);
//  - everything else separates terms.
//
// Byte offsets refer to the input text, so that snippets can highlight the original words.

#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

namespace chuhai::store {

struct Term {
    enum class Kind { word, cjk_bigram, cjk_single };
    std::string_view text;  // folded; valid only during the callback
    std::size_t begin;      // byte offsets of the original text it came from
    std::size_t end;
    Kind kind;
};

// A non-owning reference to a callable, so the splitter can live in a .cc without the cost of
// std::function. Returning false from the callback stops the split.
class TermSink {
  public:
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, TermSink>>>
    TermSink(F&& f)  // NOLINT(google-explicit-constructor): meant to convert from lambdas
        : object_(const_cast<void*>(static_cast<const void*>(&f))),
          call_([](void* object, const Term& term) {
              return (*static_cast<std::remove_reference_t<F>*>(object))(term);
          }) {}
    bool operator()(const Term& term) const { return call_(object_, term); }

  private:
    void* object_;
    bool (*call_)(void*, const Term&);
};

enum class TermMode {
    index,  // document text for the full-text index: adds the trailing single character
    query,  // query text, and text compared for similarity: bigrams only
};

// Calls `sink` for every term of `utf8`, in order. Invalid UTF-8 bytes separate terms. Terms
// longer than kMaxTermBytes are cut there. Returns false when the sink stopped the split.
bool split_terms(std::string_view utf8, TermMode mode, TermSink sink);

inline constexpr std::size_t kMaxTermBytes = 96;

}  // namespace chuhai::store
