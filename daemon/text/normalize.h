#pragma once
// Unicode normalisation shared by matching, search and corpus similarity: the same text must
// fold to the same bytes wherever it is compared.

#include <string>
#include <string_view>

namespace chuhai::text {

// NFKC case folding (ICU's NFKC_Casefold): full-width and half-width forms, compatibility
// ligatures and case all fold together. Invalid UTF-8 becomes U+FFFD. Output is UTF-8.
std::string fold(std::string_view utf8);

}  // namespace chuhai::text
