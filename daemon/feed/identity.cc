#include "feed/identity.h"

#include <array>
#include <bit>
#include <unordered_map>
#include <unordered_set>

#include "text/normalize.h"

namespace chuhai::feed {

namespace {

constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;

std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

bool is_space(char c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
}

// Feeds the non-whitespace bytes of `text` into an FNV state, one separator per field.
std::uint64_t hash_words(std::uint64_t h, std::string_view text) {
    for (const char c : text) {
        if (is_space(c))
            continue;
        h ^= static_cast<unsigned char>(c);
        h *= kFnvPrime;
    }
    h ^= 0x1f;
    return h * kFnvPrime;
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

// Words too common in headlines to say anything about which story it is.
bool is_stop_word(std::string_view word) {
    static const std::unordered_set<std::string_view> kStopWords = {
        "a",  "an",   "the",  "of",  "in",   "on",   "to",   "for", "and", "or",
        "is", "are",  "was",  "its", "it",   "with", "by",   "at",  "as",  "from",
        "be", "has",  "have", "that", "this", "new", "after", "says", "said", "will"};
    return kStopWords.count(word) != 0;
}

class SimHashAccumulator {
  public:
    void add(std::string_view feature) {
        const std::uint64_t h = stable_hash64(feature, 0x5157);
        for (int bit = 0; bit < 64; ++bit)
            weights_[bit] += ((h >> bit) & 1) ? 1 : -1;
        ++features_;
    }
    std::uint64_t value() const {
        std::uint64_t out = 0;
        for (int bit = 0; bit < 64; ++bit)
            if (weights_[bit] > 0)
                out |= std::uint64_t{1} << bit;
        return out;
    }

  private:
    std::array<int, 64> weights_{};
    int features_ = 0;
};

std::string lead_of(const FeedEntry& entry) {
    const std::string& body = !entry.summary.empty() ? entry.summary : entry.content;
    std::size_t i = 0, count = 0;
    while (i < body.size() && count < kLeadChars) {
        next_code_point(body, i);
        ++count;
    }
    return body.substr(0, std::min(i, body.size()));
}

}  // namespace

std::uint64_t stable_hash64(std::string_view bytes, std::uint64_t seed) {
    std::uint64_t h = kFnvOffset ^ mix(seed);
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= kFnvPrime;
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
    std::uint64_t h = hash_words(kFnvOffset, entry.title);
    const std::optional<UtcTime>& when = entry.published ? entry.published : entry.updated;
    h = hash_words(h, when ? format_rfc3339(*when) : std::string());
    h = hash_words(h, entry.id);
    h = hash_words(h, entry.link);
    if (entry.title.empty())
        h = hash_words(h, entry.summary.empty() ? entry.content : entry.summary);
    return "hash:" + to_hex(mix(h));
}

void assign_item_keys(std::vector<FeedEntry>& entries) {
    std::unordered_map<std::string_view, int> id_counts, link_counts;
    for (const FeedEntry& entry : entries) {
        if (!entry.id.empty())
            ++id_counts[entry.id];
        if (!entry.link.empty())
            ++link_counts[entry.link];
    }
    for (FeedEntry& entry : entries) {
        entry.key = item_key(entry, entry.id.empty() || id_counts[entry.id] == 1,
                             entry.link.empty() || link_counts[entry.link] == 1);
    }
}

std::uint64_t content_hash(const FeedEntry& entry) {
    std::uint64_t h = kFnvOffset;
    h = hash_words(h, entry.title);
    h = hash_words(h, entry.summary);
    h = hash_words(h, entry.content);
    return mix(h);
}

std::uint64_t simhash(std::string_view raw_text) {
    const std::string text = chuhai::text::fold(raw_text);
    SimHashAccumulator accumulator;
    std::string word;
    std::string previous_word;  // for word bigrams, which tell stories apart better than words
    std::string previous_cjk;  // the last CJK character, for bigrams
    std::string current;
    bool lone_cjk = false;  // a CJK run of one character still to count
    auto end_word = [&] {
        if (word.size() >= 2 && !is_stop_word(word)) {
            accumulator.add(word);
            if (!previous_word.empty())
                accumulator.add(previous_word + ' ' + word);
            previous_word = word;
        }
        word.clear();
    };
    auto end_cjk_run = [&] {
        if (lone_cjk)
            accumulator.add(previous_cjk);
        lone_cjk = false;
        previous_cjk.clear();
    };
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t start = i;
        const char32_t cp = next_code_point(text, i);
        const std::string_view bytes(text.data() + start, std::min(i, text.size()) - start);
        if (is_cjk(cp)) {
            end_word();
            current.assign(bytes);
            if (previous_cjk.empty()) {
                lone_cjk = true;
            } else {
                accumulator.add(previous_cjk + current);
                lone_cjk = false;
            }
            previous_cjk = current;
        } else if (is_separator(cp)) {
            end_word();
            end_cjk_run();
        } else {
            end_cjk_run();
            word.append(bytes);
        }
    }
    end_word();
    end_cjk_run();
    return accumulator.value();
}

std::uint64_t entry_simhash(const FeedEntry& entry) {
    return simhash(entry.title + "\n" + lead_of(entry));
}

int hamming_distance(std::uint64_t a, std::uint64_t b) {
    return std::popcount(a ^ b);
}

std::size_t remove_duplicate_entries(std::vector<FeedEntry>& entries) {
    std::unordered_set<std::string> seen;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!seen.insert(entries[i].key).second)
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
