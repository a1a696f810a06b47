#include "store/story_window.h"

#include <algorithm>
#include <bit>
#include <functional>

#include "store/corpus_model.h"
#include "store/terms.h"

namespace chuhai::store {

namespace {

std::uint64_t mix(std::uint64_t x) {
    // The finaliser of MurmurHash3: spreads the pair's bits over the whole word.
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    x ^= x >> 33;
    return x;
}

bool has_digit(std::string_view word) {
    return std::any_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The terms of a title: its words (function words left out) and CJK bigrams; and apart, its
// words with digits.
void add_title_terms(std::string_view title, std::vector<std::uint32_t>& terms,
                     std::vector<std::uint32_t>& numbers) {
    split_terms(title, TermMode::query, [&](const Term& term) {
        const auto hash = static_cast<std::uint32_t>(mix(std::hash<std::string_view>{}(term.text)));
        if (term.kind == Term::Kind::word) {
            if (has_digit(term.text))
                numbers.push_back(hash);
            if (is_stopword(term.text))
                return true;
        }
        terms.push_back(hash);
        return true;
    });
}

template <std::size_t N>
HashSketch<N> make_sketch(std::vector<std::uint32_t>& hashes) {
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    HashSketch<N> sketch;
    sketch.distinct = static_cast<std::uint16_t>(std::min<std::size_t>(hashes.size(), 0xFFFF));
    sketch.stored = static_cast<std::uint16_t>(std::min(hashes.size(), N));
    std::copy_n(hashes.begin(), sketch.stored, sketch.hashes);
    return sketch;
}

// Whether a sorted array holds a value the other lacks.
bool has_value_missing_from(const std::uint32_t* a, std::size_t na, const std::uint32_t* b,
                            std::size_t nb) {
    for (std::size_t i = 0; i < na; ++i) {
        if (!std::binary_search(b, b + nb, a[i]))
            return true;
    }
    return false;
}

// Appends the shingles of one text: pairs of consecutive words (common English function words
// left out, so "the data centre" and "a data centre" agree) and CJK character bigrams as the
// terms splitter makes them. A text of one word contributes that word.
void add_shingles(std::string_view text, std::vector<std::uint32_t>& out) {
    std::uint64_t previous = 0;
    bool have_previous = false;
    std::size_t words = 0;
    std::uint64_t only_word = 0;
    split_terms(text, TermMode::query, [&](const Term& term) {
        const std::uint64_t hash = std::hash<std::string_view>{}(term.text);
        if (term.kind != Term::Kind::word) {
            out.push_back(static_cast<std::uint32_t>(mix(hash)));
            have_previous = false;  // a pair never spans a change of script
            return true;
        }
        if (term.text.size() < 2 || is_stopword(term.text))
            return true;
        ++words;
        only_word = hash;
        if (have_previous)
            out.push_back(static_cast<std::uint32_t>(mix(previous * 0x9E3779B97F4A7C15ull + hash)));
        previous = hash;
        have_previous = true;
        return true;
    });
    if (words == 1)
        out.push_back(static_cast<std::uint32_t>(mix(only_word)));
}

// The first `chars` characters of UTF-8 text.
std::string_view first_chars(std::string_view text, std::size_t chars) {
    std::size_t i = 0;
    for (std::size_t n = 0; n < chars && i < text.size(); ++n) {
        const auto lead = static_cast<unsigned char>(text[i]);
        i += lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    }
    return text.substr(0, std::min(i, text.size()));
}

// Appends to `out` the index of every fingerprint within `max_distance` bits of `probe`. Two
// builds of the same scan: with the POPCNT instruction where the processor has it (every x86-64
// made since 2008), and a portable sequence otherwise; the scan is a small part of an insert
// (measured: 20 us for a 60,000-fingerprint window against about 200 us for the insert).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CHUHAI_STORY_SCAN_DISPATCH 1
__attribute__((target("popcnt"))) void scan_popcnt(const std::uint64_t* fingerprints,
                                                   std::size_t count, std::uint64_t probe,
                                                   int max_distance,
                                                   std::vector<std::uint32_t>& out) {
    for (std::size_t i = 0; i < count; ++i) {
        if (__builtin_popcountll(fingerprints[i] ^ probe) <= max_distance)
            out.push_back(static_cast<std::uint32_t>(i));
    }
}
#endif
void scan_portable(const std::uint64_t* fingerprints, std::size_t count, std::uint64_t probe,
                   int max_distance, std::vector<std::uint32_t>& out) {
    for (std::size_t i = 0; i < count; ++i) {
        if (std::popcount(fingerprints[i] ^ probe) <= max_distance)
            out.push_back(static_cast<std::uint32_t>(i));
    }
}

using ScanFunction = void (*)(const std::uint64_t*, std::size_t, std::uint64_t, int,
                              std::vector<std::uint32_t>&);

ScanFunction pick_scan() {
#ifdef CHUHAI_STORY_SCAN_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("popcnt"))
        return scan_popcnt;
#endif
    return scan_portable;
}

}  // namespace

StorySketch story_sketch(std::string_view title, std::string_view summary,
                         std::string_view content) {
    thread_local std::vector<std::uint32_t> hashes;
    thread_local std::vector<std::uint32_t> numbers;
    hashes.clear();
    numbers.clear();
    StorySketch sketch;
    add_title_terms(title, hashes, numbers);
    sketch.title = make_sketch<16>(hashes);
    sketch.numbers = make_sketch<8>(numbers);
    hashes.clear();
    add_shingles(title, hashes);
    add_shingles(first_chars(summary.empty() ? content : summary, kStoryLeadChars), hashes);
    sketch.shingles = make_sketch<32>(hashes);
    return sketch;
}

template <std::size_t N>
double sketch_overlap(const HashSketch<N>& a, const HashSketch<N>& b) {
    if (a.stored == 0 || b.stored == 0)
        return 0;
    // The smallest k hashes of the union are the bottom-k sketch of the union of the two
    // sets; a hash among them that one set has is among that set's own smallest k, so "in
    // both sketches" means "in both sets". Exact when both sets fit their sketches.
    const std::size_t k = std::min<std::size_t>(N, std::size_t{a.distinct} + b.distinct);
    std::size_t i = 0;
    std::size_t j = 0;
    std::size_t taken = 0;
    std::size_t common = 0;
    while (taken < k && (i < a.stored || j < b.stored)) {
        if (j >= b.stored || (i < a.stored && a.hashes[i] < b.hashes[j])) {
            ++i;
        } else if (i >= a.stored || b.hashes[j] < a.hashes[i]) {
            ++j;
        } else {
            ++common;
            ++i;
            ++j;
        }
        ++taken;
    }
    if (taken == 0)
        return 0;
    const double jaccard = static_cast<double>(common) / static_cast<double>(taken);
    // |A ∩ B| = J (|A| + |B|) / (1 + J).
    const double shared = jaccard * static_cast<double>(a.distinct + b.distinct) / (1.0 + jaccard);
    const double smaller = static_cast<double>(std::min(a.distinct, b.distinct));
    return std::min(1.0, shared / smaller);
}

template double sketch_overlap(const HashSketch<8>&, const HashSketch<8>&);
template double sketch_overlap(const HashSketch<16>&, const HashSketch<16>&);
template double sketch_overlap(const HashSketch<32>&, const HashSketch<32>&);

double story_overlap(const StorySketch& a, const StorySketch& b) {
    // Each title has a number the other lacks: another week, episode or quote.
    const auto& x = a.numbers;
    const auto& y = b.numbers;
    if (has_value_missing_from(x.hashes, x.stored, y.hashes, y.stored) &&
        has_value_missing_from(y.hashes, y.stored, x.hashes, x.stored)) {
        return 0;
    }
    if (sketch_overlap(a.title, b.title) < kMinTitleOverlap)
        return 0;
    return sketch_overlap(a.shingles, b.shingles);
}

void scan_fingerprints(const std::uint64_t* fingerprints, std::size_t count,
                       std::uint64_t fingerprint, int max_distance,
                       std::vector<std::uint32_t>& candidates) {
    static const ScanFunction scan = pick_scan();
    scan(fingerprints, count, fingerprint, max_distance, candidates);
}

void StoryWindow::add(const Entry& entry) {
    entries_.push_back(entry);
    fingerprints_.push_back(entry.fingerprint);
    last_item_ = std::max(last_item_, entry.item);
}

void StoryWindow::expire_before(std::int64_t first_seen) {
    while (begin_ < entries_.size() && entries_[begin_].first_seen < first_seen)
        ++begin_;
    // Dropped in bulk, once the expired part is as large as the live one: amortised O(1).
    if (begin_ > 0 && begin_ >= entries_.size() - begin_) {
        entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(begin_));
        fingerprints_.erase(fingerprints_.begin(),
                            fingerprints_.begin() + static_cast<std::ptrdiff_t>(begin_));
        begin_ = 0;
    }
}

void StoryWindow::truncate(std::size_t size) {
    const std::size_t keep = begin_ + size;
    if (keep >= entries_.size())
        return;
    entries_.resize(keep);
    fingerprints_.resize(keep);
    last_item_ = entries_.empty() ? 0 : entries_.back().item;
}

void StoryWindow::update(std::int64_t item, std::uint64_t fingerprint, const StorySketch& sketch) {
    const auto it =
        std::lower_bound(entries_.begin() + static_cast<std::ptrdiff_t>(begin_), entries_.end(),
                         item, [](const Entry& entry, std::int64_t id) { return entry.item < id; });
    if (it == entries_.end() || it->item != item)
        return;
    it->fingerprint = fingerprint;
    it->sketch = sketch;
    fingerprints_[static_cast<std::size_t>(it - entries_.begin())] = fingerprint;
}

std::optional<StoryMatch> StoryWindow::find(std::uint64_t fingerprint, const StorySketch& sketch,
                                            std::int64_t since) const {
    // Entries are in id order, which is first-seen order unless the clock went back: the time
    // is checked for each candidate rather than assumed from the position.
    thread_local std::vector<std::uint32_t> candidates;
    candidates.clear();
    scan_fingerprints(fingerprints_.data() + begin_, fingerprints_.size() - begin_, fingerprint,
                      max_distance_, candidates);
    std::optional<StoryMatch> best;
    for (const std::uint32_t index : candidates) {
        const Entry& entry = entries_[begin_ + index];
        if (entry.first_seen < since)
            continue;
        const double overlap = story_overlap(sketch, entry.sketch);
        if (overlap < min_overlap_)
            continue;
        const StoryMatch match{entry.item, entry.story,
                               std::popcount(entry.fingerprint ^ fingerprint), overlap};
        if (!best || match.overlap > best->overlap ||
            (match.overlap == best->overlap &&
             std::pair{match.distance, match.story} < std::pair{best->distance, best->story})) {
            best = match;
        }
    }
    return best;
}

}  // namespace chuhai::store
