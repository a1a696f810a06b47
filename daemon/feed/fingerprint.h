#pragma once
// Inside the feed library (identity.cc and its tests): the folding SimHash applies before it
// splits text into features, without ICU for the text feeds mostly send.

#include <optional>
#include <string>
#include <string_view>

namespace chuhai::feed::detail {

// Writes `first`, then, when `second` is given, '\n' and `second`, into `buffer`, folded
// exactly as text::fold() folds that text (NFKC_Casefold), and returns a view of the result.
// Sixteen readable zero bytes follow the view (SimHash reads words in blocks of 8 and 16).
//
// Fast when every character folds the same wherever it stands (see fold_alone): one copy,
// lowering A-Z, and a second only when a character folds to something else (Cyrillic or
// Latin capitals, compatibility forms). Otherwise ICU folds the whole text, as text::fold()
// does; the result is the same either way. (For ill-formed UTF-8, which the parser never
// passes, ICU only checks the lowered text, as SimHash always did, where text::fold() would
// put U+FFFD.) `buffer` is reused storage; the view points into it.
std::string_view fold_for_fingerprint(std::string_view first, const std::string_view* second,
                                      std::string& buffer);

// What text::fold() makes of `code_point` in any context, when that can be told from the
// character alone: it has a normalization boundary before it (nothing before it combines
// with it or changes it), so text made only of such characters folds character by character.
// nullopt for the others, and for characters outside the Basic Multilingual Plane (they take
// ICU's path).
std::optional<std::string_view> fold_alone(char32_t code_point);

// fold_alone() says the character folds to itself.
bool is_fold_stable(char32_t code_point);

}  // namespace chuhai::feed::detail
