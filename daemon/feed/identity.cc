#include "feed/identity.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "feed/fingerprint.h"

namespace chuhai::feed {

namespace {

constexpr std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

bool is_space(char c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
}

// Appends the non-whitespace bytes of `text` and a field separator: hashing what this builds
// makes the hash blind to whitespace. Branch-free, as it runs over every entry's full text.
void append_without_whitespace(std::string_view text, std::string& out) {
    const std::size_t base = out.size();
    out.resize(base + text.size() + 1);
    char* write = out.data() + base;
    for (const char c : text) {
        *write = c;
        write += !is_space(c);
    }
    *write++ = '\x1f';
    out.resize(static_cast<std::size_t>(write - out.data()));
}

// Up to eight bytes as a little-endian number, whatever the host's byte order (the values
// are stored, so they must not depend on it).
std::uint64_t load_le(const char* p, std::size_t n) {
    if constexpr (std::endian::native == std::endian::little) {
        std::uint64_t value = 0;
        std::memcpy(&value, p, n);
        return value;
    } else {
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < n; ++i)
            value |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
        return value;
    }
}

char32_t next_code_point(std::string_view s, std::size_t& i) {
    const auto c = static_cast<unsigned char>(s[i]);
    auto cont = [&](std::size_t k) -> char32_t {
        return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) & 0x3F : 0;
    };
    if (c < 0x80) {
        i += 1;
        return c;
    }
    if (c < 0xE0) {
        const char32_t cp = ((c & 0x1F) << 6) | cont(1);
        i += 2;
        return cp;
    }
    if (c < 0xF0) {
        const char32_t cp = ((c & 0x0F) << 12) | (cont(1) << 6) | cont(2);
        i += 3;
        return cp;
    }
    const char32_t cp = ((c & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
    i += 4;
    return cp;
}

bool is_cjk(char32_t cp) {
    return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x20000 && cp <= 0x2FFFF);
}

bool is_separator(char32_t cp) {
    if (cp < 0x80)
        return !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'));
    return (cp >= 0x80 && cp <= 0xBF) || (cp >= 0x2000 && cp <= 0x206F) ||
           (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFF0F) || cp == 0xFFFD;
}

// A word of up to eight bytes as one number, for comparing short words without memcmp.
constexpr std::uint64_t pack_word(std::string_view word) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < word.size() && i < 8; ++i)
        value |= static_cast<std::uint64_t>(static_cast<unsigned char>(word[i])) << (8 * i);
    return value;
}

// Words too common in headlines to say anything about which story it is, in an
// open-addressing table of packed words built at compile time (one or two probes a word).
constexpr std::string_view kStopWords[] = {
    "a",  "an",  "the",  "of",   "in",   "on",   "to",    "for",  "and",  "or",
    "is", "are", "was",  "its",  "it",   "with", "by",    "at",   "as",   "from",
    "be", "has", "have", "that", "this", "new",  "after", "says", "said", "will"};
constexpr std::size_t kStopSlots = 128;

constexpr std::size_t stop_slot(std::uint64_t packed) {
    return static_cast<std::size_t>((packed * 0x9E3779B97F4A7C15ull) >> 57);  // 7 bits
}

constexpr std::array<std::uint64_t, kStopSlots> make_stop_table() {
    std::array<std::uint64_t, kStopSlots> table{};
    for (const std::string_view word : kStopWords) {
        const std::uint64_t packed = pack_word(word);
        std::size_t slot = stop_slot(packed);
        while (table[slot] != 0)
            slot = (slot + 1) % kStopSlots;
        table[slot] = packed;
    }
    return table;
}
constexpr std::array<std::uint64_t, kStopSlots> kStopTable = make_stop_table();

// ASCII letters and digits; every byte has an entry (non-ASCII ones are false).
constexpr std::array<bool, 256> make_ascii_word_bytes() {
    std::array<bool, 256> table{};
    for (unsigned c = 0; c < 128; ++c)
        table[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return table;
}
constexpr std::array<bool, 256> kAsciiWordByte = make_ascii_word_bytes();

// Counts, for each of the 64 bits, how many feature hashes have it set, and answers which
// bits most hashes have. The counts are kept bit-sliced: plane k holds bit k of all 64
// counters. Hashes arrive in groups of eight, which carry-save adders (Harley and Seal's
// popcount) fold into the planes for weights 1, 2 and 4 with a single carry of weight 8
// rippling into the planes above: about six operations a hash instead of a ripple per hash.
// The planes are flushed into wide counters before they can overflow (255 hashes).
class SimHashAccumulator {
  public:
    void add_hash(std::uint64_t h) {
        group_[grouped_++] = h;
        if (grouped_ == group_.size()) {
            if (pending_ + 8 > 255)
                flush();
            add_group();
            grouped_ = 0;
        }
        ++features_;
    }

    std::uint64_t value() {
        for (std::size_t i = 0; i < grouped_; ++i) {
            if (pending_ == 255)
                flush();
            ripple(group_[i], 0);
            ++pending_;
        }
        grouped_ = 0;
        if (!flushed_) {
            // Fewer than 255 features (the usual case): compare all 64 counters at once,
            // bit-sliced, with the majority threshold: a bit is set when count * 2 > features.
            const unsigned threshold = features_ / 2 + 1;  // count >= threshold
            std::uint64_t greater = 0, equal = ~std::uint64_t{0};
            for (std::size_t k = planes_.size(); k-- > 0;) {
                if ((threshold >> k) & 1) {
                    equal &= planes_[k];
                } else {
                    greater |= equal & planes_[k];
                    equal &= ~planes_[k];
                }
            }
            return greater | equal;
        }
        flush();
        std::uint64_t out = 0;
        for (int bit = 0; bit < 64; ++bit)
            if (2 * counts_[bit] > features_)
                out |= std::uint64_t{1} << bit;
        return out;
    }

  private:
    // a + b + c = low + 2 * high, bit by bit.
    static void carry_save(std::uint64_t& high, std::uint64_t& low, std::uint64_t a,
                           std::uint64_t b, std::uint64_t c) {
        const std::uint64_t u = a ^ b;
        high = (a & b) | (u & c);
        low = u ^ c;
    }

    void add_group() {
        std::uint64_t& ones = planes_[0];
        std::uint64_t& twos = planes_[1];
        std::uint64_t& fours = planes_[2];
        std::uint64_t twos_a, twos_b, fours_a, fours_b, eights;
        carry_save(twos_a, ones, ones, group_[0], group_[1]);
        carry_save(twos_b, ones, ones, group_[2], group_[3]);
        carry_save(fours_a, twos, twos, twos_a, twos_b);
        carry_save(twos_a, ones, ones, group_[4], group_[5]);
        carry_save(twos_b, ones, ones, group_[6], group_[7]);
        carry_save(fours_b, twos, twos, twos_a, twos_b);
        carry_save(eights, fours, fours, fours_a, fours_b);
        ripple(eights, 3);
        pending_ += 8;
    }

    // Adds `bits` (one per counter) at plane `k`'s weight.
    void ripple(std::uint64_t carry, std::size_t k) {
        for (; carry != 0 && k < planes_.size(); ++k) {
            const std::uint64_t next = planes_[k] & carry;
            planes_[k] ^= carry;
            carry = next;
        }
    }

    void flush() {
        if (!flushed_)
            counts_.fill(0);  // only texts of 255 features or more need the wide counters
        for (int bit = 0; bit < 64; ++bit) {
            unsigned count = 0;
            for (std::size_t k = 0; k < planes_.size(); ++k)
                count |= static_cast<unsigned>((planes_[k] >> bit) & 1) << k;
            counts_[bit] += count;
        }
        planes_.fill(0);
        pending_ = 0;
        flushed_ = true;
    }

    std::array<std::uint64_t, 8> planes_{};
    std::array<std::uint64_t, 8> group_;  // the first grouped_ are set
    std::size_t grouped_ = 0;
    std::array<unsigned, 64> counts_;  // zeroed by the first flush()
    unsigned pending_ = 0;             // hashes in the planes since the last flush
    unsigned features_ = 0;
    bool flushed_ = false;
};

// Set bits of a 16-bit mask, without a library call on CPUs without POPCNT.
[[maybe_unused]] std::size_t bits_set_in_16(unsigned x) {
    x = x - ((x >> 1) & 0x5555u);
    x = (x & 0x3333u) + ((x >> 2) & 0x3333u);
    x = (x + (x >> 4)) & 0x0F0Fu;
    return (x + (x >> 8)) & 0x1Fu;
}

// The first kLeadChars code points of the summary (or the content): counted by the bytes
// that start one, sixteen at a time where SSE2 is available.
std::string_view lead_of(const FeedEntry& entry) {
    const std::string& body = !entry.summary.empty() ? entry.summary : entry.content;
    const std::size_t n = body.size();
    std::size_t i = 0, count = 0;
#if defined(__SSE2__)
    // Continuation bytes (0x80-0xBF) are the signed bytes below -64.
    const __m128i last_continuation = _mm_set1_epi8(-65);
    while (i + 16 <= n) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(body.data() + i));
        const auto starts = bits_set_in_16(
            static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpgt_epi8(v, last_continuation))));
        if (count + starts > kLeadChars)
            break;  // the end is in these sixteen bytes
        count += starts;
        i += 16;
    }
#endif
    while (i < n) {
        if ((static_cast<unsigned char>(body[i]) & 0xC0) != 0x80 && count++ == kLeadChars)
            break;
        ++i;
    }
    return std::string_view(body).substr(0, i);
}

}  // namespace

std::uint64_t stable_hash64(std::string_view bytes, std::uint64_t seed) {
    // Eight bytes at a time (read little-endian whatever the host), one multiply each, the
    // length in the initial state and a full mix at the end.
    const char* p = bytes.data();
    std::size_t n = bytes.size();
    std::uint64_t h = mix(seed ^ (static_cast<std::uint64_t>(n) * 0x9E3779B97F4A7C15ull));
    while (n >= 8) {
        h = (h ^ load_le(p, 8)) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        h = (h ^ load_le(p, n)) * 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 32;
    }
    return mix(h);
}

std::string to_hex(std::uint64_t value) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = kDigits[value & 15];
        value >>= 4;
    }
    return out;
}

std::string item_key(const FeedEntry& entry, bool id_is_unique, bool link_is_unique) {
    if (!entry.id.empty() && id_is_unique)
        return "id:" + entry.id;
    if (!entry.link.empty() && link_is_unique)
        return "url:" + entry.link;
    // Neither identifies the entry alone: title and date do, with the id and link when
    // present so that entries sharing only those stay apart.
    std::string fields;
    append_without_whitespace(entry.title, fields);
    const std::optional<UtcTime>& when = entry.published ? entry.published : entry.updated;
    append_without_whitespace(when ? format_rfc3339(*when) : std::string(), fields);
    append_without_whitespace(entry.id, fields);
    append_without_whitespace(entry.link, fields);
    if (entry.title.empty())
        append_without_whitespace(entry.summary.empty() ? entry.content : entry.summary, fields);
    return "hash:" + to_hex(stable_hash64(fields, 0x6b6579));
}

namespace {

// For each value, the index of the first value equal to it (its own index when it is the
// first). Values are grouped by a 64-bit hash in one sort of integers, and only values with
// equal hashes are compared: no hash table, no allocation per value.
template <typename ValueOf>
std::vector<std::uint32_t> first_equal(std::size_t count, ValueOf&& value_of) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> order(count);
    for (std::uint32_t i = 0; i < count; ++i)
        order[i] = {stable_hash64(value_of(i)), i};
    std::sort(order.begin(), order.end());
    std::vector<std::uint32_t> first(count);
    for (std::size_t run = 0; run < count;) {
        std::size_t end = run + 1;
        while (end < count && order[end].first == order[run].first)
            ++end;
        // Inside a run (one value, unless values repeat or hashes collide) indices ascend.
        for (std::size_t k = run; k < end; ++k) {
            const std::uint32_t i = order[k].second;
            first[i] = i;
            for (std::size_t e = run; e < k; ++e)
                if (value_of(order[e].second) == value_of(i)) {
                    first[i] = first[order[e].second];
                    break;
                }
        }
        run = end;
    }
    return first;
}

// Whether each value occurs once (empty values count as unique).
template <typename ValueOf>
std::vector<bool> unique_values(std::size_t count, ValueOf&& value_of) {
    const std::vector<std::uint32_t> first = first_equal(count, value_of);
    std::vector<std::uint32_t> occurrences(count);
    for (std::size_t i = 0; i < count; ++i)
        ++occurrences[first[i]];
    std::vector<bool> unique(count);
    for (std::size_t i = 0; i < count; ++i)
        unique[i] = value_of(i).empty() || occurrences[first[i]] == 1;
    return unique;
}

}  // namespace

void assign_item_keys(std::vector<FeedEntry>& entries) {
    const std::vector<bool> id_unique = unique_values(
        entries.size(), [&](std::size_t i) { return std::string_view(entries[i].id); });
    const std::vector<bool> link_unique = unique_values(
        entries.size(), [&](std::size_t i) { return std::string_view(entries[i].link); });
    for (std::size_t i = 0; i < entries.size(); ++i)
        entries[i].key = item_key(entries[i], id_unique[i], link_unique[i]);
}

std::uint64_t content_hash(const FeedEntry& entry) {
    // The fields are already whitespace-collapsed by the parser (html_to_text and
    // collapse_whitespace), so hashing them as they are ignores re-indentation and spacing.
    std::uint64_t h = stable_hash64(entry.title, 0x636f6e74);
    h = stable_hash64(entry.summary, h);
    return stable_hash64(entry.content, h);
}

namespace {

constexpr std::uint64_t kFeatureSeed = 0x5157;

// stable_hash64(bytes, kFeatureSeed)'s starting state for each length up to eight.
constexpr std::array<std::uint64_t, 9> make_feature_hash_starts() {
    std::array<std::uint64_t, 9> starts{};
    for (std::uint64_t n = 0; n < starts.size(); ++n)
        starts[n] = mix(kFeatureSeed ^ (n * 0x9E3779B97F4A7C15ull));
    return starts;
}
constexpr std::array<std::uint64_t, 9> kFeatureHashStarts = make_feature_hash_starts();

// The bytes of a feature of one to eight bytes as a little-endian number (what stable_hash64
// and pack_word read). `p` must have eight readable bytes: fold_for_fingerprint pads.
std::uint64_t load_short(const char* p, std::size_t n) {
    std::uint64_t value;
    std::memcpy(&value, p, 8);
    return n == 8 ? value : value & ((std::uint64_t{1} << (8 * n)) - 1);
}

// stable_hash64(feature, kFeatureSeed), computed without its loop for the short features
// that most words and CJK pairs are.
std::uint64_t feature_hash(const char* p, std::size_t n) {
    if constexpr (std::endian::native == std::endian::little) {
        if (n >= 1 && n <= 8) {
            std::uint64_t h = kFeatureHashStarts[n];
            h = (h ^ load_short(p, n)) * (n == 8 ? 0xff51afd7ed558ccdull : 0xc4ceb9fe1a85ec53ull);
            h ^= h >> 32;
            return mix(h);
        }
    }
    return stable_hash64(std::string_view(p, n), kFeatureSeed);
}

bool is_stop_word(const char* p, std::size_t n) {
    if (n == 0 || n > 5)
        return false;
    std::uint64_t packed;
    if constexpr (std::endian::native == std::endian::little)
        packed = load_short(p, n);
    else
        packed = pack_word(std::string_view(p, n));
    for (std::size_t slot = stop_slot(packed); kStopTable[slot] != 0;
         slot = (slot + 1) % kStopSlots)
        if (kStopTable[slot] == packed)
            return true;
    return false;
}

#if defined(__SSE2__)
// Which of sixteen bytes are ASCII letters or digits, as bits.
unsigned ascii_word_bytes(__m128i v) {
    const __m128i digit =
        _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(static_cast<char>(-128 - '0'))),
                       _mm_set1_epi8(static_cast<char>(-128 + 10)));
    const __m128i letter =
        _mm_cmplt_epi8(_mm_add_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)),
                                    _mm_set1_epi8(static_cast<char>(-128 - 'a'))),
                       _mm_set1_epi8(static_cast<char>(-128 + 26)));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(digit, letter)));
}
#endif

// Where the run of ASCII letters and digits that continues at `j` ends. The text must be
// followed by sixteen readable bytes that end it (fold_for_fingerprint's zero padding).
std::size_t ascii_word_end(const char* data, std::size_t j) {
#if defined(__SSE2__)
    for (;;) {
        const unsigned word =
            ascii_word_bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + j)));
        if (word != 0xFFFF)
            return j + static_cast<std::size_t>(__builtin_ctz(~word));
        j += 16;
    }
#else
    while (kAsciiWordByte[static_cast<unsigned char>(data[j])])
        ++j;
    return j;
#endif
}

// SimHash over folded text with sixteen readable bytes after it (fold_for_fingerprint).
std::uint64_t simhash_of_folded(std::string_view text) {
    SimHashAccumulator accumulator;
    const char* data = text.data();
    const std::size_t n = text.size();
    std::size_t word_start = 0, word_length = 0;
    std::uint64_t previous_word = 0;  // its hash, for word pairs (they tell stories apart)
    std::size_t cjk_start = 0;        // where the last CJK character starts
    std::size_t cjk_length = 0;       // its length; 0 outside a CJK run
    bool lone_cjk = false;            // a CJK run of one character still to count
    auto end_word = [&] {
        if (word_length >= 2 && !is_stop_word(data + word_start, word_length)) {
            const std::uint64_t h = feature_hash(data + word_start, word_length);
            accumulator.add_hash(h);
            // The pair's feature combines the two words' hashes (order matters).
            if (previous_word != 0)
                accumulator.add_hash(mix(previous_word * 0x9E3779B97F4A7C15ull + h));
            previous_word = h;
        }
        word_length = 0;
    };
    auto end_cjk_run = [&] {
        if (lone_cjk)
            accumulator.add_hash(feature_hash(data + cjk_start, cjk_length));
        lone_cjk = false;
        cjk_length = 0;
    };
    std::size_t i = 0;
    while (i < n) {
#if defined(__SSE2__)
        // Sixteen ASCII bytes at a time (the padding after the text is readable and ends any
        // word): words are found from a bit mask of their bytes, so that neither a word's
        // bytes nor the separators between words cost a branch each.
        if (const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
            _mm_movemask_epi8(v) == 0) {
            const unsigned word = ascii_word_bytes(v);
            if (cjk_length != 0)
                end_cjk_run();
            unsigned at = 0;
            if (word_length != 0) {  // a word runs in from before this block
                at = static_cast<unsigned>(__builtin_ctz(~word));
                word_length += at;
                if (at == 16) {
                    i += 16;
                    continue;
                }
                end_word();
            }
            for (unsigned rest = word >> at << at; rest != 0; rest = word >> at << at) {
                const auto start = static_cast<unsigned>(__builtin_ctz(rest));
                at = start + static_cast<unsigned>(__builtin_ctz(~(word >> start)));
                word_start = i + start;
                word_length = at - start;
                if (at == 16)
                    break;  // the word runs on into the next block
                end_word();
            }
            i += 16;
            continue;
        }
#endif
        const auto byte = static_cast<unsigned char>(data[i]);
        if (byte < 0x80) {
            // ASCII, the common case: a run of letters and digits, or one separator.
            if (kAsciiWordByte[byte]) {
                if (cjk_length != 0)
                    end_cjk_run();
                if (word_length == 0)
                    word_start = i;
                const std::size_t j = ascii_word_end(data, i + 1);
                word_length = j - word_start;
                i = j;
            } else {
                if (word_length != 0)
                    end_word();
                if (cjk_length != 0)
                    end_cjk_run();
                ++i;
            }
            continue;
        }
        const std::size_t start = i;
        const char32_t cp = next_code_point(text, i);
        const std::size_t end = std::min(i, n);
        if (is_cjk(cp)) {
            end_word();
            if (cjk_length == 0) {
                lone_cjk = true;
            } else {
                // The pair: the previous character and this one, adjacent in the text.
                accumulator.add_hash(feature_hash(data + cjk_start, end - cjk_start));
                lone_cjk = false;
            }
            cjk_start = start;
            cjk_length = end - start;
        } else if (is_separator(cp)) {
            end_word();
            end_cjk_run();
        } else {
            end_cjk_run();
            if (word_length == 0)
                word_start = start;
            word_length = end - word_start;
        }
    }
    end_word();
    end_cjk_run();
    return accumulator.value();
}

}  // namespace

std::uint64_t simhash(std::string_view raw_text) {
    std::string buffer;
    return simhash_of_folded(detail::fold_for_fingerprint(raw_text, nullptr, buffer));
}

std::uint64_t entry_simhash(const FeedEntry& entry) {
    const std::string_view lead = lead_of(entry);
    std::string buffer;
    return simhash_of_folded(detail::fold_for_fingerprint(entry.title, &lead, buffer));
}

int hamming_distance(std::uint64_t a, std::uint64_t b) {
    return std::popcount(a ^ b);
}

std::size_t remove_duplicate_entries(std::vector<FeedEntry>& entries) {
    // Which entries to keep is decided first, with views of the keys (no copies); the
    // entries move only afterwards, when no view is looked at any more.
    std::vector<bool> keep(entries.size());
    {
        const std::vector<std::uint32_t> first = first_equal(
            entries.size(), [&](std::size_t i) { return std::string_view(entries[i].key); });
        for (std::size_t i = 0; i < entries.size(); ++i)
            keep[i] = first[i] == i;
    }
    std::size_t kept = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!keep[i])
            continue;
        if (kept != i)
            entries[kept] = std::move(entries[i]);
        ++kept;
    }
    const std::size_t removed = entries.size() - kept;
    entries.resize(kept);
    return removed;
}

}  // namespace chuhai::feed
