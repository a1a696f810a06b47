#include "app/seen_items.h"

#include <functional>
#include <string>

namespace chuhai::app {

namespace {

// 0 marks an empty slot, so no digest may be 0.
std::uint64_t nonzero(std::uint64_t digest) {
    return digest == 0 ? 1 : digest;
}

// The slot of a digest: its bits mixed (splitmix64's finaliser), so that digests differing only
// in their high bits do not all land in one slot.
std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

SeenItems::SeenItems(unsigned slot_bits)
    : mask_((std::uint64_t{1} << slot_bits) - 1),
      slots_(std::make_unique<std::atomic<std::uint64_t>[]>(mask_ + 1)) {}

std::uint64_t SeenItems::digest(std::string_view canonical_url, std::string_view content_hash) {
    std::string key;
    key.reserve(canonical_url.size() + content_hash.size() + 1);
    key.append(canonical_url).push_back('\0');  // no URL ends where another begins
    key.append(content_hash);
    return nonzero(std::hash<std::string>{}(key));
}

void SeenItems::insert(std::uint64_t digest) noexcept {
    digest = nonzero(digest);
    slots_[mix(digest) & mask_].store(digest, std::memory_order_relaxed);
}

bool SeenItems::contains(std::uint64_t digest) const noexcept {
    digest = nonzero(digest);
    return slots_[mix(digest) & mask_].load(std::memory_order_relaxed) == digest;
}

}  // namespace chuhai::app
