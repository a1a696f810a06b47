#pragma once
// A table of one entry per character of the Basic Multilingual Plane, filled 256 characters at
// a time the first time text uses a block: what a character folds to on its own, asked of ICU
// once per process instead of once per character of text (the SimHash fold in
// feed/fingerprint.cc, the matcher's one-pass normaliser in match/match_text.cc).
//
// A block is filled privately and published with one compare-and-swap; a thread that loses the
// race frees its copy and uses the winner's. Readers never lock, and a published block never
// changes, so the fill must give every thread the same entries. At most 256 blocks; freed at
// exit.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

namespace chuhai::text {

template <class Entry>
class BmpTable {
  public:
    using Block = std::array<Entry, 256>;

    constexpr BmpTable() = default;
    BmpTable(const BmpTable&) = delete;
    BmpTable& operator=(const BmpTable&) = delete;
    ~BmpTable() {
        for (std::atomic<Block*>& block : blocks_)
            delete block.load(std::memory_order_acquire);
    }

    // The entry of `code_point` (at most 0xFFFF). When its block is new, fill(first, block)
    // computes the block of the 256 code points from `first`.
    template <class Fill>
    const Entry& entry(std::uint32_t code_point, Fill&& fill) {
        const std::uint32_t index = code_point >> 8;
        Block* block = blocks_[index].load(std::memory_order_acquire);
        if (block == nullptr) [[unlikely]]
            block = publish(index, fill);
        return (*block)[code_point & 0xFF];
    }

  private:
    template <class Fill>
    Block* publish(std::uint32_t index, Fill& fill) {
        auto block = std::make_unique<Block>();
        fill(index << 8, *block);
        Block* expected = nullptr;
        if (blocks_[index].compare_exchange_strong(expected, block.get(),
                                                   std::memory_order_acq_rel))
            return block.release();
        return expected;  // another thread published it first
    }

    std::array<std::atomic<Block*>, 256> blocks_{};
};

}  // namespace chuhai::text
