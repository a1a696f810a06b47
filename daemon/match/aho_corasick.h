#pragma once
// A byte-level Aho–Corasick automaton: every occurrence of every pattern in one pass over the
// text, whatever the number of patterns.
//
// Layout, chosen for scan speed at tens of thousands of patterns: bytes are first mapped to a
// small alphabet of classes (the bytes that occur in some pattern, plus one class for all
// others); states are numbered breadth-first, and the shallowest states — where a scan spends
// nearly all its time — get full DFA rows of the transition table, up to a memory budget. Deeper
// states keep sparse edges and a failure link, followed only until a dense state is reached.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chuhai::match {

class AhoCorasick {
  public:
    struct Options {
        // Upper bound for the dense rows (bytes). The scan is correct with any budget; a larger
        // one makes more states a single table lookup, but rows of states rarely visited only
        // push the hot ones out of the cache: at 1,000 and 10,000 rules, 256 KiB matched
        // 20-50% more items per second than 1 MiB (docs/performance.md).
        std::size_t dense_budget_bytes = std::size_t{1} << 18;
        // Pairs (text byte, pattern byte): the text byte is read as if it were the pattern byte.
        // The matcher reads '\n' as ' ' so that phrases match across line breaks.
        std::vector<std::pair<unsigned char, unsigned char>> read_as;
    };

    AhoCorasick();  // matches nothing
    // Pattern ids are indices into `patterns`. Empty patterns are never reported.
    explicit AhoCorasick(const std::vector<std::string>& patterns, const Options& options);

    // Calls on_match(pattern_id, end_offset) for every occurrence, overlapping ones included,
    // each exactly once. The start is end_offset - pattern_length(pattern_id). Long texts are
    // scanned as two interleaved halves (the table lookups of one half do not wait for the
    // other's: a scan is bound by their latency), so occurrences come in increasing order of
    // end offset within each half only.
    template <class OnMatch>
    void scan(std::string_view text, OnMatch&& on_match) const;

    std::size_t pattern_length(std::uint32_t pattern) const { return pattern_lengths_[pattern]; }
    std::size_t pattern_count() const { return pattern_lengths_.size(); }
    std::size_t state_count() const { return fail_.size(); }
    std::size_t dense_state_count() const { return dense_states_; }
    std::size_t class_count() const { return classes_; }
    std::size_t memory_bytes() const;

  private:
    // Transitions hold an encoded target: a dense state as the offset of its row in dense_ (so
    // the scan needs no multiplication), a sparse state as its number with kSparseFlag; and
    // kOutputFlag when the target reports patterns.
    static constexpr std::uint32_t kOutputFlag = 0x80000000u;
    static constexpr std::uint32_t kSparseFlag = 0x40000000u;
    static constexpr std::uint32_t kValueMask = 0x3fffffffu;
    static constexpr std::uint32_t kNone = 0xffffffffu;

    struct Edge {
        std::uint16_t byte_class;
        std::uint32_t target;  // encoded
    };

    std::uint32_t encode(std::uint32_t state) const;
    std::uint32_t decode(std::uint32_t encoded) const {
        return (encoded & kSparseFlag)
                   ? (encoded & kValueMask)
                   : (encoded & kValueMask) / static_cast<std::uint32_t>(classes_);
    }
    // The encoded transition from a sparse state (its number).
    std::uint32_t next_slow(std::uint32_t state, std::uint16_t byte_class) const;
    std::uint32_t step(std::uint32_t current, unsigned char byte) const {
        const std::uint16_t c = class_of_[byte];
        return (current & kSparseFlag) == 0 ? dense_[current + c]
                                            : next_slow(current & kValueMask, c);
    }
    template <class OnMatch>
    void report(std::uint32_t state, std::size_t end, OnMatch& on_match) const;

    std::array<std::uint16_t, 256> class_of_{};
    std::size_t classes_ = 1;
    std::size_t dense_states_ = 0;
    std::vector<std::uint32_t> dense_;  // dense_states_ rows of classes_ entries
    // Per state (breadth-first numbering).
    std::vector<std::uint32_t> fail_;
    std::vector<std::uint32_t> edges_begin_;  // sparse edges of deep states; size states + 1
    std::vector<Edge> edges_;
    std::vector<std::uint32_t> outputs_begin_;  // own patterns; size states + 1
    std::vector<std::uint32_t> outputs_;
    std::vector<std::uint32_t> dictionary_link_;  // nearest proper suffix state with outputs
    std::vector<std::uint32_t> pattern_lengths_;
    std::size_t longest_pattern_ = 0;
};

template <class OnMatch>
void AhoCorasick::report(std::uint32_t state, std::size_t end, OnMatch& on_match) const {
    for (std::uint32_t s = state; s != kNone; s = dictionary_link_[s]) {
        for (std::uint32_t i = outputs_begin_[s]; i < outputs_begin_[s + 1]; ++i)
            on_match(outputs_[i], end);
    }
}

template <class OnMatch>
void AhoCorasick::scan(std::string_view text, OnMatch&& on_match) const {
    if (fail_.empty() || longest_pattern_ == 0)
        return;
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    // Two halves: the first reports the occurrences ending at or before `middle`; the second
    // starts early enough to see every occurrence ending after it, and reports only those.
    // (Four streams measured no faster; and the order occurrences come in decides which are
    // kept when a text holds more than the matcher keeps, so it stays what it always was.)
    std::size_t middle = n;
    std::size_t second_start = n;
    if (n >= 8 * longest_pattern_ + 256) {
        middle = n / 2;
        second_start = middle - (longest_pattern_ - 1);
    }
    const unsigned char* const first_bytes = bytes;
    const unsigned char* const second_bytes = bytes + second_start;
    const std::size_t common = std::min(middle, n - second_start);
    std::uint32_t first = 0;  // encoded states, without flags; the root's row is at offset 0
    std::uint32_t second = 0;
    bool sparse = false;  // one of them is a sparse state
    // Interleaved while both halves have text. In the common case both states are dense and
    // nothing is reported: a table lookup per byte and one test per pair of bytes.
    for (std::size_t k = 0; k < common; ++k) {
        std::uint32_t a;
        std::uint32_t b;
        if (!sparse) [[likely]] {
            a = dense_[first + class_of_[first_bytes[k]]];
            b = dense_[second + class_of_[second_bytes[k]]];
        } else {
            a = step(first, first_bytes[k]);
            b = step(second, second_bytes[k]);
        }
        if (((a | b) & (kOutputFlag | kSparseFlag)) == 0) [[likely]] {
            first = a;
            second = b;
            continue;
        }
        first = a & ~kOutputFlag;
        second = b & ~kOutputFlag;
        if (a & kOutputFlag)
            report(decode(first), k + 1, on_match);
        if ((b & kOutputFlag) && second_start + k >= middle)
            report(decode(second), second_start + k + 1, on_match);
        sparse = ((first | second) & kSparseFlag) != 0;
    }
    for (std::size_t i = common; i < middle; ++i) {
        const std::uint32_t a = step(first, bytes[i]);
        first = a & ~kOutputFlag;
        if (a & kOutputFlag) [[unlikely]]
            report(decode(first), i + 1, on_match);
    }
    for (std::size_t j = second_start + common; j < n; ++j) {
        const std::uint32_t b = step(second, bytes[j]);
        second = b & ~kOutputFlag;
        if ((b & kOutputFlag) && j >= middle) [[unlikely]]
            report(decode(second), j + 1, on_match);
    }
}

}  // namespace chuhai::match
