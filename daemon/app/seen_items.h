#pragma once
// Items the store already holds, as the pipeline last wrote them: a fixed-size, lossy set of
// 64-bit digests of (canonical URL, content hash). A fetched entry found here is one the store
// will call a duplicate (the same URL with the same text, from this source or another), and the
// store keeps no verdict for a duplicate, so the worker need not run the rules on it. Most entries
// of a feed that changed are ones it carried before, and so are most of a cold cycle's when many
// feeds carry the same stories.
//
// Lossy in one direction only: a slot holds one digest, a newer one evicts it, so an entry may be
// missing (and is then matched as before) but is never reported present unless its digest was
// inserted (two different items sharing a 64-bit digest are as likely as not to occur in the
// lifetime of the universe). Fixed memory: 8 bytes a slot, never more.
//
// Threading: insert() (the writer, after a commit) and contains() (workers) from any thread,
// lock-free.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace chuhai::app {

class SeenItems {
  public:
    // 2^slot_bits slots (8 bytes each); the default takes 2 MiB, room for 262,144 items.
    explicit SeenItems(unsigned slot_bits = 18);

    static std::uint64_t digest(std::string_view canonical_url, std::string_view content_hash);

    void insert(std::uint64_t digest) noexcept;
    bool contains(std::uint64_t digest) const noexcept;

  private:
    std::uint64_t mask_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> slots_;
};

}  // namespace chuhai::app
