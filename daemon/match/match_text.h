#pragma once
// Text as the matcher sees it, for rule terms and document fields alike: NFKC case folded, then
// every run of whitespace and hyphens collapsed to one separator. A run that contains a line
// break becomes '\n' (a sentence boundary), any other run ' '; the automaton reads both as ' '.
// So "Data-Centre", "data  centre" and "data\ncentre" all read "data centre".

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/normalize.h"

namespace chuhai::match {

// Folds and collapses a rule term; also trims the separators at both ends.
std::string normalize_term(std::string_view term);

// True when the code point starting at `offset` of normalised text is part of a word for word
// boundaries: letters and digits of scripts written with spaces, and '_'. Han, kana and the
// scripts of South-East Asia written without spaces are not, so a Latin term next to Chinese
// text still starts or ends on a boundary.
bool is_word_char_at(std::string_view text, std::size_t offset);
// The same for the code point that ends just before `offset`.
bool is_word_char_before(std::string_view text, std::size_t offset);
// True when the code point at `offset` is written without spaces (Han, kana, Thai…): each such
// character counts as one word for proximity.
bool is_unspaced_char_at(std::string_view text, std::size_t offset);

// One field of one document, normalised, with the way back to the original bytes and its word
// numbering (built with the text) and sentence numbering (built on first use) for proximity.
class FieldText {
  public:
    // Normalises `original`; buffers are reused between calls.
    void assign(std::string_view original);
    // The same through ICU (text::fold_mapped) and a second pass: what assign() does for text
    // its one-pass fast path cannot take, and the reference the tests compare it with.
    void assign_reference(std::string_view original);

    const std::string& text() const { return text_; }
    // Whether the last assign() took the one-pass path (for tests and benchmarks).
    bool folded_in_one_pass() const { return one_pass_; }
    // The byte offset in the original text of a normalised offset (see text::OffsetMap).
    std::size_t original_offset(std::size_t offset, bool is_end = false) const;

    // The number of the word containing the offset, counting from 0 (or of the last word before
    // it, when the offset is on a separator). A word is a run of text between separators, so
    // "U.S." and "Huawei's" are one word each; each character of a script written without
    // spaces (Han, kana, Thai…) is a word of its own.
    std::uint32_t word_index(std::size_t offset) const;
    // The number of the sentence containing the offset, counting from 0. Sentences end at a line
    // break, at '!', '?', ';', '。', and at '.' followed by a separator or the end of the text
    // (so "01.AI" and "3.5" do not end a sentence).
    std::uint32_t sentence_index(std::size_t offset) const;

  private:
    void build_sentence_index() const;

    text::FoldedText folded_;  // its maps are empty after the fast path
    std::string text_;
    // Normalised → folded offsets; straight to the original after the fast path.
    text::OffsetMap to_folded_;
    mutable bool sentences_built_ = false;
    // Filled by assign(): the first word_count_ entries (the vector only grows, so that the
    // fast path writes into it without clearing it first).
    std::vector<std::uint32_t> word_starts_;
    std::size_t word_count_ = 0;
    bool one_pass_ = false;
    mutable std::vector<std::uint32_t> sentence_starts_;
};

}  // namespace chuhai::match
