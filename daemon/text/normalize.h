#pragma once
// Unicode normalisation shared by matching, search and corpus similarity: the same text must
// fold to the same bytes wherever it is compared.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chuhai::text {

// NFKC case folding (ICU's NFKC_Casefold): full-width and half-width forms, compatibility
// ligatures and case all fold together. Invalid UTF-8 becomes U+FFFD (one per maximal ill-formed
// subsequence). Output is UTF-8. Pure ASCII input takes a fast path with the same result.
std::string fold(std::string_view utf8);

// Maps byte offsets in a text derived from another (folded, repaired, collapsed) back to the text
// it was derived from. Only the regions that changed are stored, so the map of an unchanged text
// is empty and costs nothing.
class OffsetMap {
  public:
    // Records that `source_length` bytes at `source_offset` became `derived_length` bytes at
    // `derived_offset`. Changes must be added in increasing order of offset.
    void add_change(std::size_t derived_offset, std::size_t derived_length,
                    std::size_t source_offset, std::size_t source_length);
    void clear() { changes_.clear(); }
    bool empty() const { return changes_.empty(); }

    // The source offset for a derived offset. An offset strictly inside a changed region maps to
    // the region's source start, or to its source end when `is_end` (so that a [begin, end)
    // range always covers the whole source of what it covers in the derived text).
    std::size_t to_source(std::size_t derived_offset, bool is_end = false) const;

  private:
    struct Change {
        std::uint32_t derived;
        std::uint32_t derived_length;
        std::uint32_t source;
        std::uint32_t source_length;
    };
    std::vector<Change> changes_;
};

// The folded form of a text together with the way back to the original bytes.
struct FoldedText {
    std::string text;  // exactly fold(original)
    // Folded offset → offset in the repaired original (equal to the original when it was valid
    // UTF-8), then repaired → original.
    OffsetMap folded_to_repaired;
    OffsetMap repaired_to_original;

    std::size_t original_offset(std::size_t folded_offset, bool is_end = false) const {
        return repaired_to_original.to_source(folded_to_repaired.to_source(folded_offset, is_end),
                                              is_end);
    }
};

// fold() with offsets: fills `out` (reusing its buffers) so that matching can report where in the
// original text a folded match lies.
void fold_mapped(std::string_view utf8, FoldedText& out);

}  // namespace chuhai::text
