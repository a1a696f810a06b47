#pragma once
// Who an item is, whether it changed, and which items tell the same story.
//
// - item_key(): stable across polls. The guid/id when the feed gives one that is unique within
//   the feed, else the canonical link when that is unique within the feed, else a hash of
//   title and date (and of the shared id and link, when there are some). Prefixed with its
//   kind ("id:", "url:", "hash:") so the kinds never collide. Entries whose keys are equal are
//   the same item: a feed that lists an item twice.
// - content_hash(): changes when the title, summary or content text changes (not when only
//   spacing or indentation does: the parser collapses whitespace first), so the store can
//   record a revision of the same item.
// - simhash(): a 64-bit SimHash over the folded title and lead (the first kLeadChars characters
//   of the summary, or the content); features are Latin-script words and word pairs (stop
//   words dropped) and CJK character bigrams.
//   Copies of one story (syndicated, reposted, lightly edited) land within
//   kNearDuplicateDistance bits of each other; different stories, even about the same
//   company, land further apart. See docs/feeds.md for how the threshold was chosen.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "feed/feed.h"

namespace chuhai::feed {

inline constexpr std::size_t kLeadChars = 400;
inline constexpr int kNearDuplicateDistance = 17;

// Fills entry.key for every entry of the feed (needs them all: a guid counts only when unique).
void assign_item_keys(std::vector<FeedEntry>& entries);

// The key of one entry, given whether its id and its canonical link are unique in its feed.
std::string item_key(const FeedEntry& entry, bool id_is_unique, bool link_is_unique);

// A 64-bit hash of the entry's title, summary and content text as the parser normalised them.
std::uint64_t content_hash(const FeedEntry& entry);

// SimHash over the text; fold() is applied first, so case and width do not matter.
std::uint64_t simhash(std::string_view text);
// The fingerprint of an entry: its title and lead.
std::uint64_t entry_simhash(const FeedEntry& entry);

int hamming_distance(std::uint64_t a, std::uint64_t b);

inline bool is_near_duplicate(std::uint64_t a, std::uint64_t b) {
    return hamming_distance(a, b) <= kNearDuplicateDistance;
}

// Removes later entries whose key an earlier one has (feeds repeat items); returns how many.
// Keys must be assigned.
std::size_t remove_duplicate_entries(std::vector<FeedEntry>& entries);

// A fast 64-bit hash (eight bytes per step, a final mix); stable across runs, versions and
// platforms, because the store keeps its values.
std::uint64_t stable_hash64(std::string_view bytes, std::uint64_t seed = 0);

// Lower-case hex of a 64-bit value, 16 digits.
std::string to_hex(std::uint64_t value);

}  // namespace chuhai::feed
