#pragma once
// Near-duplicate stories: which recent item, if any, a new item is a copy of.
//
// The parse stage gives every item a 64-bit SimHash of its title and lead (feed/identity.h).
// Copies of one story (a wire story as several outlets ran it, a repost with a source tag)
// land 8 to 14 bits apart, and the feed layer calls two fingerprints within 17 bits
// near-duplicates. Two things follow for the store:
//
//  - No index finds every fingerprint within 17 bits faster than looking at each one. Split
//    into bands, the pigeonhole argument needs 18 bands of 3 or 4 bits for that distance, and
//    such bands select almost nothing. So the writer keeps the fingerprints of the story window
//    (3 days) in memory and compares the new one with each: one XOR and one population count
//    per item, some tens of thousands per new item, a few microseconds.
//  - Within 17 bits is not rare by chance: among unrelated texts one fingerprint in about 9,000
//    is that close, so a window of tens of thousands of items holds several for every new
//    item, more among items on the same subject. A fingerprint within the distance is only a
//    candidate; what confirms it is a second, independent measure: how many of the shorter
//    text's shingles (pairs of consecutive words, Chinese character bigrams) the other text
//    has too, estimated from bottom-k sketches. Copies share most of them; different stories
//    about the same company share names and little else. Templated series (a weekly calendar,
//    episode 2 and episode 3 of a podcast, classified ads) share their boilerplate lead too,
//    so the titles must agree as well: most of the shorter title's words in the other, and no
//    number in each that the other lacks ("Aug. 9-16" against "Aug. 16-23"). See
//    docs/storage.md for the figures.
//
// A StoryWindow belongs to the store's writer, like its connection.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace chuhai::store {

// A set of 32-bit hashes kept as its smallest N (a bottom-k sketch) and how many distinct ones
// there were. Sets no larger than the sketch are compared exactly.
template <std::size_t N>
struct HashSketch {
    static constexpr std::size_t kSize = N;
    std::uint32_t hashes[N] = {};  // ascending; `stored` of them are used
    std::uint16_t stored = 0;
    std::uint16_t distinct = 0;
};

// What the store compares of two items to tell whether they are one story.
struct StorySketch {
    HashSketch<32> shingles{};  // of the title and lead
    HashSketch<16> title{};     // words and CJK bigrams of the title
    HashSketch<8> numbers{};    // words of the title with a digit in them
};

// The text the fingerprint covers: the title and the first kStoryLeadChars characters of the
// summary (or, without one, of the content).
inline constexpr std::size_t kStoryLeadChars = 400;

StorySketch story_sketch(std::string_view title, std::string_view summary,
                         std::string_view content);

// How much of the smaller of two sets the other one contains: the estimated number of hashes
// they share divided by the size of the smaller set, 0..1. 0 when either is empty.
template <std::size_t N>
double sketch_overlap(const HashSketch<N>& a, const HashSketch<N>& b);

// The shingle overlap of two items when their titles agree (most of the shorter title's terms
// in the other, no conflicting numbers), else 0.
double story_overlap(const StorySketch& a, const StorySketch& b);

// The share of the shorter title's terms the other title has, at least this for one story.
inline constexpr double kMinTitleOverlap = 0.7;

struct StoryMatch {
    std::int64_t item = 0;
    std::int64_t story = 0;
    int distance = 0;
    double overlap = 0;
};

class StoryWindow {
  public:
    struct Entry {
        std::int64_t item = 0;
        std::int64_t story = 0;
        std::int64_t first_seen = 0;  // seconds since the epoch
        std::uint64_t fingerprint = 0;
        StorySketch sketch{};
    };

    // Fingerprints within `max_distance` bits are candidates; a candidate is the same story
    // when the overlap of their shingles is at least `min_overlap`.
    StoryWindow(int max_distance, double min_overlap)
        : max_distance_(max_distance), min_overlap_(min_overlap) {}

    // Entries must be added in the order of their item ids.
    void add(const Entry& entry);
    // Forgets the entries first seen before `first_seen`.
    void expire_before(std::int64_t first_seen);
    // Forgets the entries added after the first `size` (a transaction that rolled back).
    void truncate(std::size_t size);
    // The fingerprint and sketch of an item that was revised, when it is in the window.
    void update(std::int64_t item, std::uint64_t fingerprint, const StorySketch& sketch);

    // The entry first seen at or after `since` that is the same story as the fingerprint and
    // sketch: the largest overlap wins, then the smaller distance, then the older story.
    std::optional<StoryMatch> find(std::uint64_t fingerprint, const StorySketch& sketch,
                                   std::int64_t since) const;

    std::size_t size() const { return entries_.size() - begin_; }
    // The largest item id added (0 when none), to know where to resume reading.
    std::int64_t last_item() const { return last_item_; }

  private:
    int max_distance_;
    double min_overlap_;
    // Entries in item-id order (which is first-seen order); the first begin_ have expired and
    // are dropped in bulk. The fingerprints are kept apart, contiguous, for the scan.
    std::vector<Entry> entries_;
    std::vector<std::uint64_t> fingerprints_;
    std::size_t begin_ = 0;
    std::int64_t last_item_ = 0;
};

// Calls on_candidate(index) for every index i of `fingerprints` whose Hamming distance to
// `fingerprint` is at most `max_distance`, in order. Uses the processor's population-count
// instructions where it has them.
void scan_fingerprints(const std::uint64_t* fingerprints, std::size_t count,
                       std::uint64_t fingerprint, int max_distance,
                       std::vector<std::uint32_t>& candidates);

}  // namespace chuhai::store
