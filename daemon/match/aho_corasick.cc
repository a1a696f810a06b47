#include "match/aho_corasick.h"

#include <algorithm>

#include "common/error.h"

namespace chuhai::match {

namespace {

// The trie while it is being built: children as small unsorted vectors, since nearly every node
// below the first two levels has one or two.
struct BuildNode {
    std::vector<std::pair<std::uint16_t, std::uint32_t>> children;
    std::vector<std::uint32_t> patterns;
};

std::uint32_t find_child(const BuildNode& node, std::uint16_t byte_class) {
    for (const auto& [c, child] : node.children) {
        if (c == byte_class)
            return child;
    }
    return 0xffffffffu;
}

}  // namespace

AhoCorasick::AhoCorasick() = default;

AhoCorasick::AhoCorasick(const std::vector<std::string>& patterns, const Options& options) {
    if (patterns.size() >= kValueMask)
        throw Error(ErrorKind::internal, "too many patterns for the automaton");

    // Alphabet: class 0 for bytes that occur in no pattern, one class per byte that does.
    std::array<bool, 256> used{};
    for (const std::string& p : patterns) {
        for (const char ch : p)
            used[static_cast<unsigned char>(ch)] = true;
    }
    classes_ = 1;
    for (std::size_t b = 0; b < 256; ++b)
        class_of_[b] = used[b] ? static_cast<std::uint16_t>(classes_++) : 0;
    for (const auto& [text_byte, pattern_byte] : options.read_as)
        class_of_[text_byte] = class_of_[pattern_byte];

    // The trie.
    std::vector<BuildNode> trie(1);
    pattern_lengths_.reserve(patterns.size());
    for (std::uint32_t id = 0; id < patterns.size(); ++id) {
        const std::string& p = patterns[id];
        pattern_lengths_.push_back(static_cast<std::uint32_t>(p.size()));
        longest_pattern_ = std::max(longest_pattern_, p.size());
        if (p.empty())
            continue;
        std::uint32_t node = 0;
        for (const char ch : p) {
            const std::uint16_t c = class_of_[static_cast<unsigned char>(ch)];
            std::uint32_t child = find_child(trie[node], c);
            if (child == 0xffffffffu) {
                child = static_cast<std::uint32_t>(trie.size());
                if (child >= kValueMask)
                    throw Error(ErrorKind::internal, "automaton too large");
                trie[node].children.emplace_back(c, child);
                trie.emplace_back();
            }
            node = child;
        }
        trie[node].patterns.push_back(id);
    }

    // Breadth-first numbering, so that a state's failure target always has a smaller number and
    // the dense rows cover the shallowest states.
    const std::size_t states = trie.size();
    std::vector<std::uint32_t> order;  // new number → trie index
    std::vector<std::uint32_t> number(states);
    order.reserve(states);
    order.push_back(0);
    for (std::size_t head = 0; head < order.size(); ++head) {
        BuildNode& node = trie[order[head]];
        std::sort(node.children.begin(), node.children.end());
        for (const auto& [c, child] : node.children)
            order.push_back(child);
    }
    for (std::uint32_t i = 0; i < states; ++i)
        number[order[i]] = i;

    // Sparse edges, renumbered, for every state (the dense rows are derived from them).
    edges_begin_.assign(states + 1, 0);
    edges_.reserve(states);
    for (std::uint32_t s = 0; s < states; ++s) {
        edges_begin_[s] = static_cast<std::uint32_t>(edges_.size());
        for (const auto& [c, child] : trie[order[s]].children)
            edges_.push_back(Edge{c, number[child]});
    }
    edges_begin_[states] = static_cast<std::uint32_t>(edges_.size());

    outputs_begin_.assign(states + 1, 0);
    for (std::uint32_t s = 0; s < states; ++s) {
        outputs_begin_[s] = static_cast<std::uint32_t>(outputs_.size());
        const auto& own = trie[order[s]].patterns;
        outputs_.insert(outputs_.end(), own.begin(), own.end());
    }
    outputs_begin_[states] = static_cast<std::uint32_t>(outputs_.size());
    trie.clear();
    trie.shrink_to_fit();

    auto goto_edge = [this](std::uint32_t s, std::uint16_t c) -> std::uint32_t {
        const Edge* first = edges_.data() + edges_begin_[s];
        const Edge* last = edges_.data() + edges_begin_[s + 1];
        const Edge* it = std::lower_bound(
            first, last, c, [](const Edge& e, std::uint16_t v) { return e.byte_class < v; });
        return (it != last && it->byte_class == c) ? it->target : kNone;
    };

    // Failure and dictionary links, in breadth-first order.
    fail_.assign(states, 0);
    dictionary_link_.assign(states, kNone);
    for (std::uint32_t s = 0; s < states; ++s) {
        for (std::uint32_t e = edges_begin_[s]; e < edges_begin_[s + 1]; ++e) {
            const std::uint16_t c = edges_[e].byte_class;
            const std::uint32_t child = edges_[e].target;
            std::uint32_t f = 0;
            if (s != 0) {
                std::uint32_t candidate = fail_[s];
                for (;;) {
                    const std::uint32_t t = goto_edge(candidate, c);
                    if (t != kNone) {
                        f = t;
                        break;
                    }
                    if (candidate == 0)
                        break;
                    candidate = fail_[candidate];
                }
            }
            fail_[child] = f;
            dictionary_link_[child] =
                outputs_begin_[f] != outputs_begin_[f + 1] ? f : dictionary_link_[f];
        }
    }
    // Dense rows for the shallowest states: the complete DFA transition on every class.
    const std::size_t row_bytes = classes_ * sizeof(std::uint32_t);
    dense_states_ = std::clamp<std::size_t>(options.dense_budget_bytes / row_bytes, 1, states);
    if (dense_states_ * classes_ > kValueMask)
        dense_states_ = kValueMask / classes_;
    for (Edge& e : edges_)
        e.target = encode(e.target);
    dense_.assign(dense_states_ * classes_, 0);  // 0: the root, without output
    for (std::uint32_t s = 0; s < dense_states_; ++s) {
        std::uint32_t* row = dense_.data() + std::size_t{s} * classes_;
        if (s != 0) {
            // fail_[s] < s, so its row is already complete.
            const std::uint32_t* fail_row = dense_.data() + std::size_t{fail_[s]} * classes_;
            std::copy(fail_row, fail_row + classes_, row);
        }
        for (std::uint32_t e = edges_begin_[s]; e < edges_begin_[s + 1]; ++e)
            row[edges_[e].byte_class] = edges_[e].target;
    }
}

std::uint32_t AhoCorasick::encode(std::uint32_t state) const {
    const bool reports =
        outputs_begin_[state] != outputs_begin_[state + 1] || dictionary_link_[state] != kNone;
    const std::uint32_t value = state < dense_states_ ? state * static_cast<std::uint32_t>(classes_)
                                                      : (state | kSparseFlag);
    return value | (reports ? kOutputFlag : 0);
}

std::uint32_t AhoCorasick::next_slow(std::uint32_t state, std::uint16_t byte_class) const {
    while (state >= dense_states_) {
        for (std::uint32_t e = edges_begin_[state]; e < edges_begin_[state + 1]; ++e) {
            if (edges_[e].byte_class == byte_class)
                return edges_[e].target;
        }
        state = fail_[state];
    }
    return dense_[std::size_t{state} * classes_ + byte_class];
}

std::size_t AhoCorasick::memory_bytes() const {
    return dense_.size() * sizeof(std::uint32_t) +
           (fail_.size() + edges_begin_.size() + outputs_begin_.size() + outputs_.size() +
            dictionary_link_.size() + pattern_lengths_.size()) *
               sizeof(std::uint32_t) +
           edges_.size() * sizeof(Edge);
}

}  // namespace chuhai::match
