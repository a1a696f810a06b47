#pragma once
// Inside the feed library (identity.cc and its tests): the folding SimHash applies before it
// splits text into features, without ICU for the text feeds mostly send.

#include <string>
#include <string_view>

namespace chuhai::feed::detail {

// Writes `first`, then, when `second` is given, '\n' and `second`, into `buffer`, folded
// exactly as text::fold() folds that text (NFKC_Casefold), and returns a view of the result.
// Sixteen readable zero bytes follow the view (SimHash reads words in blocks of 8 and 16).
//
// Fast when every character is already folded but for ASCII capitals (see is_fold_stable):
// one copy, lowering A-Z. Otherwise ICU decides, as text::fold() does; the result is the same
// either way. `buffer` is reused storage; the view points into it.
std::string_view fold_for_fingerprint(std::string_view first, const std::string_view* second,
                                      std::string& buffer);

// True when text::fold() leaves `code_point` as it is in any context: it has a normalization
// boundary before it (nothing before it combines with it) and folding it alone changes
// nothing. Text made only of such characters (and ASCII, once A-Z are lowered) folds to
// itself. Characters outside the Basic Multilingual Plane are never reported stable (they take
// ICU's path).
bool is_fold_stable(char32_t code_point);

}  // namespace chuhai::feed::detail
