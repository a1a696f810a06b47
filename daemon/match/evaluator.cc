// Evaluation of a compiled rule set on one document: scan each field once with the automaton
// (and the regex set), then evaluate only the candidate rules from the hit positions.
//
// evaluate() and explain() share one evaluation routine, templated on whether it records a
// trace, so an explanation always tells the same story as the verdict stored with the item.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "match/compiled_rules.h"
#include "match/match_text.h"

namespace chuhai::match {

namespace {

// Occurrences kept per document: per pattern, so that one term repeated all over a huge text
// cannot crowd out the others, and in all, to bound memory.
constexpr std::uint32_t kMaxHitsPerPattern = 1000;
constexpr std::size_t kMaxHits = 100000;
constexpr std::size_t kMaxHitsPerRegex = 256;    // matches looked for per regex and field
constexpr std::size_t kMaxTraceHitsPerLeaf = 8;  // evidence shown per leaf in explanations

struct Hit {
    std::uint32_t pattern;
    Field field;
    std::uint32_t begin;  // normalised offsets in the field
    std::uint32_t end;
};

struct AtomHit {
    std::uint32_t atom;
    std::uint32_t hit;
    std::uint32_t display;  // into the atom's displays: how evidence names the term
    bool operator<(const AtomHit& other) const {
        return atom != other.atom ? atom < other.atom : hit < other.hit;
    }
};

// Where a child's supporting hits sit in the support stack, for proximity.
struct Segment {
    std::uint32_t begin;
    std::uint32_t end;
    bool held;
    bool positional;  // terms can be near each other; not: and similar_to_corpus cannot
};

// Buffers reused across the documents one thread evaluates, so that steady-state matching
// allocates little.
struct Scratch {
    std::array<FieldText, kFieldCount> fields;
    std::array<std::string, kFieldCount> joined;
    std::array<std::string_view, kFieldCount> originals;
    std::vector<Hit> hits;
    // Hits per pattern in the current document; all zero between documents (only the patterns
    // that hit are reset, so the cost does not grow with the number of rules).
    std::vector<std::uint32_t> pattern_hits;
    std::vector<AtomHit> atom_hits;
    // Per hit: an entity alias's occurrence inside a longer one of an entity (mark_covered()).
    std::vector<std::uint8_t> covered;
    std::vector<std::uint32_t> entity_hits;  // mark_covered()'s sorting room
    std::vector<std::uint32_t> candidates;
    std::vector<std::uint32_t> support;  // indices into atom_hits
    std::vector<Segment> segments;
    std::vector<int> regex_matches;
    std::vector<std::uint32_t> window_counts;
    struct Keyed {
        Field field;
        std::uint32_t key;
        std::uint32_t segment;
    };
    std::vector<Keyed> keyed;
};

Scratch& thread_scratch() {
    thread_local Scratch scratch;
    return scratch;
}

// The end of the word that runs through `offset` (for terms with '*').
std::size_t end_of_word(std::string_view text, std::size_t offset) {
    while (offset < text.size() && is_word_char_at(text, offset)) {
        ++offset;
        while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80)
            ++offset;
    }
    return offset;
}

std::string_view cut_at_character(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes)
        return text;
    std::size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        --end;
    return text.substr(0, end);
}

std::string_view field_view(const Document& d, Field f, std::string& joined) {
    auto join = [&](const std::vector<std::string>& values) -> std::string_view {
        joined.clear();
        for (const std::string& v : values) {
            if (!joined.empty())
                joined.push_back('\n');
            joined += v;
        }
        return joined;
    };
    switch (f) {
        case Field::title:
            return d.title;
        case Field::summary:
            return d.summary;
        case Field::content:
            return d.content;
        case Field::author:
            return d.author;
        case Field::categories:
            return join(d.categories);
        case Field::link:
            return d.link;
        case Field::source_name:
            return d.source_name;
        case Field::source_tags:
            return join(d.source_tags);
    }
    return {};
}

std::string format_number(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", value);
    return buffer;
}

std::string field_list(FieldMask mask) {
    std::string out;
    for (std::size_t f = 0; f < kFieldCount; ++f) {
        if (mask & (1u << f)) {
            if (!out.empty())
                out += ", ";
            out += field_name(static_cast<Field>(f));
        }
    }
    return out;
}

// One document's evaluation against one rule set.
class Evaluation {
  public:
    Evaluation(const RuleSet::Impl& impl, const Document& document, Scratch& scratch)
        : impl_(impl), document_(document), s_(scratch) {}

    void scan();
    void find_candidates();
    template <bool Trace>
    bool evaluate_rule(std::uint32_t rule, double& score, ConditionTrace* match_trace,
                       std::optional<ConditionTrace>* exclusion_trace, std::string& note);
    void add_rule_hit(std::uint32_t rule, double score, MatchResult& result);
    void finish_result(MatchResult& result);
    const std::vector<std::uint32_t>& candidates() const { return s_.candidates; }
    bool truncated() const { return truncated_; }

  private:
    template <bool Trace>
    bool eval(std::uint32_t node, bool collect, ConditionTrace* trace);
    template <bool Trace>
    bool eval_atom(const Node& node, bool collect, ConditionTrace* trace);
    template <bool Trace>
    bool eval_group(const Node& node, bool collect, ConditionTrace* trace);
    // Whether `required` distinct children have hits within the node's window in some field;
    // sets `fields` to the fields where they do.
    bool within_window(const Node& node, std::size_t first_segment, std::uint32_t required,
                       FieldMask& fields, std::string* note);
    void add_hit(std::uint32_t pattern, Field field, std::size_t begin, std::size_t end);
    bool is_entity_pattern(std::uint32_t pattern) const {
        return impl_.pattern_entities_begin[pattern] != impl_.pattern_entities_begin[pattern + 1];
    }
    void mark_covered();
    Evidence evidence(const AtomHit& atom_hit) const;
    bool source_allowed(const CompiledRule& rule) const;

    const RuleSet::Impl& impl_;
    const Document& document_;
    Scratch& s_;
    bool truncated_ = false;
};

void Evaluation::add_hit(std::uint32_t pattern, Field field, std::size_t begin, std::size_t end) {
    std::uint32_t& count = s_.pattern_hits[pattern];
    if (count >= kMaxHitsPerPattern || s_.hits.size() >= kMaxHits) {
        truncated_ = true;
        return;
    }
    ++count;
    s_.hits.push_back(
        Hit{pattern, field, static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end)});
}

void Evaluation::scan() {
    for (const Hit& hit : s_.hits)
        s_.pattern_hits[hit.pattern] = 0;  // what the previous document counted
    s_.hits.clear();
    if (s_.pattern_hits.size() < impl_.pattern_count())
        s_.pattern_hits.resize(impl_.pattern_count(), 0);
    for (std::size_t f = 0; f < kFieldCount; ++f) {
        if (!(impl_.scanned_fields & (1u << f)))
            continue;
        const auto field = static_cast<Field>(f);
        const std::string_view original =
            cut_at_character(field_view(document_, field, s_.joined[f]), RuleSet::kMaxFieldBytes);
        s_.originals[f] = original;
        if (original.empty())
            continue;
        FieldText& field_text = s_.fields[f];
        field_text.assign(original);
        const std::string& text = field_text.text();
        const auto on_literal = [&](std::uint32_t pattern, std::size_t end) {
            const Literal& literal = impl_.literals[pattern];
            const std::size_t begin = end - literal.text.size();
            if (literal.left_boundary && is_word_char_before(text, begin))
                return;
            if (literal.prefix) {
                end = end_of_word(text, end);
                for (const Literal::Segment& segment : literal.tail) {
                    if (text.compare(end, segment.text.size(), segment.text) != 0)
                        return;
                    end += segment.text.size();
                    if (segment.prefix)
                        end = end_of_word(text, end);
                }
            }
            if (literal.right_boundary && is_word_char_at(text, end))
                return;
            add_hit(pattern, field, begin, end);
        };
        impl_.automaton.scan(text, on_literal);
        if (impl_.regex_set) {
            s_.regex_matches.clear();
            if (impl_.regex_set->Match(text, &s_.regex_matches)) {
                const auto base = static_cast<std::uint32_t>(impl_.literals.size());
                for (const int index : s_.regex_matches) {
                    const RE2& re = *impl_.regexes[static_cast<std::size_t>(index)];
                    std::size_t position = 0;
                    re2::StringPiece match;
                    for (std::size_t found = 0; found < kMaxHitsPerRegex && position <= text.size();
                         ++found) {
                        if (!re.Match(text, position, text.size(), RE2::UNANCHORED, &match, 1))
                            break;
                        const auto begin = static_cast<std::size_t>(match.data() - text.data());
                        const std::size_t end = begin + match.size();
                        if (end > begin)
                            add_hit(base + static_cast<std::uint32_t>(index), field, begin, end);
                        position = end > begin ? end : begin + 1;
                    }
                }
            }
        }
    }
    mark_covered();
    // Hits → atoms, sorted so that each atom's hits are one range. A covered occurrence is part
    // of a longer name: entity lists do not see it (terms written in a rule still do).
    s_.atom_hits.clear();
    for (std::uint32_t h = 0; h < s_.hits.size(); ++h) {
        const std::uint32_t pattern = s_.hits[h].pattern;
        for (std::uint32_t i = impl_.pattern_atoms_begin[pattern];
             i < impl_.pattern_atoms_begin[pattern + 1]; ++i) {
            const std::uint32_t atom = impl_.pattern_atoms[i];
            if (s_.covered[h] != 0) {
                const std::int32_t list = impl_.atoms[atom].list;
                if (list >= 0 && impl_.lists[static_cast<std::size_t>(list)].entities)
                    continue;
            }
            s_.atom_hits.push_back(AtomHit{atom, h, impl_.pattern_atom_displays[i]});
        }
    }
    std::sort(s_.atom_hits.begin(), s_.atom_hits.end());
}

// An occurrence of an entity alias that lies inside a longer occurrence of an entity alias in
// the same field ("America" inside "Latin American", "Huawei" inside "Huawei Cloud", "Mexico"
// inside "New Mexico") names the longer entry, not its own: it is marked covered, and neither
// entity lists in rules nor mentions count it. Occurrences with the same span (one name in two
// lists) are not covered.
void Evaluation::mark_covered() {
    s_.covered.assign(s_.hits.size(), 0);
    s_.entity_hits.clear();
    for (std::uint32_t h = 0; h < s_.hits.size(); ++h) {
        if (is_entity_pattern(s_.hits[h].pattern))
            s_.entity_hits.push_back(h);
    }
    if (s_.entity_hits.size() < 2)
        return;
    std::sort(s_.entity_hits.begin(), s_.entity_hits.end(), [&](std::uint32_t a, std::uint32_t b) {
        const Hit& ha = s_.hits[a];
        const Hit& hb = s_.hits[b];
        if (ha.field != hb.field)
            return ha.field < hb.field;
        if (ha.begin != hb.begin)
            return ha.begin < hb.begin;
        return ha.end > hb.end;  // longest first
    });
    // Among the occurrences sorted so, one is inside a longer one exactly when it ends no later
    // than the furthest end reached before it in its field.
    const Hit* furthest = nullptr;
    for (const std::uint32_t h : s_.entity_hits) {
        const Hit& hit = s_.hits[h];
        if (furthest != nullptr && furthest->field == hit.field) {
            const bool same_span = hit.begin == furthest->begin && hit.end == furthest->end;
            if (hit.end <= furthest->end) {
                s_.covered[h] = same_span ? 0 : 1;
                continue;
            }
        }
        furthest = &hit;
    }
}

void Evaluation::find_candidates() {
    s_.candidates.assign(impl_.always_evaluated_rules.begin(), impl_.always_evaluated_rules.end());
    std::uint32_t previous = kNoNode;
    for (const AtomHit& ah : s_.atom_hits) {
        if (ah.atom == previous)
            continue;
        previous = ah.atom;
        s_.candidates.insert(s_.candidates.end(),
                             impl_.atom_rules.begin() + impl_.atom_rules_begin[ah.atom],
                             impl_.atom_rules.begin() + impl_.atom_rules_begin[ah.atom + 1]);
    }
    std::sort(s_.candidates.begin(), s_.candidates.end());
    s_.candidates.erase(std::unique(s_.candidates.begin(), s_.candidates.end()),
                        s_.candidates.end());
}

bool Evaluation::source_allowed(const CompiledRule& rule) const {
    if (rule.source_tags.empty())
        return true;
    for (const std::string& tag : document_.source_tags) {
        const std::string folded = normalize_term(tag);
        if (std::find(rule.source_tags.begin(), rule.source_tags.end(), folded) !=
            rule.source_tags.end())
            return true;
    }
    return false;
}

Evidence Evaluation::evidence(const AtomHit& atom_hit) const {
    const Hit& hit = s_.hits[atom_hit.hit];
    const Atom& atom = impl_.atoms[atom_hit.atom];
    const auto f = static_cast<std::size_t>(hit.field);
    const FieldText& field_text = s_.fields[f];
    const std::string_view original = s_.originals[f];
    Evidence e;
    e.term = atom.displays[atom_hit.display];
    if (atom.list >= 0)
        e.list = impl_.lists[static_cast<std::size_t>(atom.list)].name;
    e.field = hit.field;
    const std::size_t begin = std::min(field_text.original_offset(hit.begin), original.size());
    const std::size_t end =
        std::clamp(field_text.original_offset(hit.end, true), begin, original.size());
    e.begin = static_cast<std::uint32_t>(begin);
    e.end = static_cast<std::uint32_t>(end);
    e.text = std::string(original.substr(begin, end - begin));
    return e;
}

template <bool Trace>
bool Evaluation::eval_atom(const Node& node, bool collect, ConditionTrace* trace) {
    const auto range =
        std::equal_range(s_.atom_hits.begin(), s_.atom_hits.end(), AtomHit{node.atom, 0, 0},
                         [](const AtomHit& a, const AtomHit& b) { return a.atom < b.atom; });
    bool held = false;
    std::size_t shown = 0;
    for (auto it = range.first; it != range.second; ++it) {
        if (!(node.fields & field_bit(s_.hits[it->hit].field)))
            continue;
        held = true;
        if (collect)
            s_.support.push_back(static_cast<std::uint32_t>(it - s_.atom_hits.begin()));
        if constexpr (Trace) {
            if (shown++ < kMaxTraceHitsPerLeaf)
                trace->hits.push_back(evidence(*it));
        } else if (!collect) {
            break;
        }
    }
    if constexpr (Trace) {
        trace->label = impl_.atoms[node.atom].label;
        if (!held)
            trace->note = "no occurrence in " + field_list(node.fields);
        else if (shown > kMaxTraceHitsPerLeaf)
            trace->note = std::to_string(shown) + " occurrences, first " +
                          std::to_string(kMaxTraceHitsPerLeaf) + " shown";
    }
    return held;
}

bool Evaluation::within_window(const Node& node, std::size_t first_segment, std::uint32_t required,
                               FieldMask& fields, std::string* note) {
    fields = static_cast<FieldMask>(~0u);
    if (required <= 1)
        return true;
    fields = 0;
    const std::size_t segment_count = s_.segments.size() - first_segment;
    const std::size_t keyed_base = s_.keyed.size();
    for (std::size_t i = 0; i < segment_count; ++i) {
        const Segment& seg = s_.segments[first_segment + i];
        if (!seg.held || !seg.positional)
            continue;
        for (std::uint32_t k = seg.begin; k < seg.end; ++k) {
            const Hit& hit = s_.hits[s_.atom_hits[s_.support[k]].hit];
            const FieldText& text = s_.fields[static_cast<std::size_t>(hit.field)];
            const std::uint32_t key = node.near == ProximityKind::sentence
                                          ? text.sentence_index(hit.begin)
                                          : text.word_index(hit.begin);
            s_.keyed.push_back(Scratch::Keyed{hit.field, key, static_cast<std::uint32_t>(i)});
        }
    }
    auto first = s_.keyed.begin() + static_cast<std::ptrdiff_t>(keyed_base);
    auto last = s_.keyed.end();
    std::sort(first, last, [](const Scratch::Keyed& a, const Scratch::Keyed& b) {
        return a.field != b.field ? a.field < b.field : a.key < b.key;
    });
    // The smallest span, over fields, that holds a hit of `required` distinct children.
    s_.window_counts.assign(segment_count, 0);
    std::uint32_t best = std::numeric_limits<std::uint32_t>::max();
    Field best_field = Field::title;
    std::uint32_t best_from = 0;
    std::uint32_t distinct = 0;
    auto left = first;
    for (auto right = first; right != last; ++right) {
        if (right != first && right->field != (right - 1)->field) {
            // A window never spans two fields.
            std::fill(s_.window_counts.begin(), s_.window_counts.end(), 0);
            distinct = 0;
            left = right;
        }
        if (s_.window_counts[right->segment]++ == 0)
            ++distinct;
        while (distinct >= required) {
            const std::uint32_t span = right->key - left->key;
            if (span <= (node.near == ProximityKind::sentence ? 0 : node.near_words))
                fields |= field_bit(right->field);
            if (span < best) {
                best = span;
                best_field = right->field;
                best_from = left->key;
            }
            if (--s_.window_counts[left->segment] == 0)
                --distinct;
            ++left;
        }
    }
    s_.keyed.resize(keyed_base);
    const std::uint32_t allowed = node.near == ProximityKind::sentence ? 0 : node.near_words;
    const bool held = best <= allowed;
    if (note != nullptr) {
        const std::string unit = node.near == ProximityKind::sentence ? "sentence" : "word";
        if (best == std::numeric_limits<std::uint32_t>::max()) {
            *note = "no one field holds them all";
        } else if (node.near == ProximityKind::sentence) {
            *note = held ? "together in sentence " + std::to_string(best_from + 1) + " of " +
                               std::string(field_name(best_field))
                         : "never in one sentence (closest: " + std::to_string(best + 1) +
                               " sentences apart in " + std::string(field_name(best_field)) + ")";
        } else {
            *note = (held ? "within " : "not within ") + std::to_string(node.near_words) +
                    " words (closest: " + std::to_string(best) + " words apart, from word " +
                    std::to_string(best_from + 1) + " of " + std::string(field_name(best_field)) +
                    ")";
        }
    }
    return held;
}

template <bool Trace>
bool Evaluation::eval_group(const Node& node, bool collect, ConditionTrace* trace) {
    const bool proximity = node.near != ProximityKind::none;
    // Proximity needs every child's positions even where the caller does not collect them.
    const bool collect_children = collect || proximity;
    const std::size_t support_mark = s_.support.size();
    const std::size_t first_segment = s_.segments.size();
    std::uint32_t held_count = 0;
    std::uint32_t held_without_position = 0;
    const std::uint32_t needed = node.kind == NodeKind::any        ? 1
                                 : node.kind == NodeKind::at_least ? node.at_least
                                                                   : node.child_count;
    if constexpr (Trace)
        trace->children.resize(node.child_count);
    for (std::uint32_t i = 0; i < node.child_count; ++i) {
        const std::uint32_t child = impl_.children[node.first_child + i];
        const auto begin = static_cast<std::uint32_t>(s_.support.size());
        const bool held =
            eval<Trace>(child, collect_children, Trace ? &trace->children[i] : nullptr);
        const NodeKind kind = impl_.nodes[child].kind;
        const bool positional = kind != NodeKind::negation && kind != NodeKind::similar;
        s_.segments.push_back(
            Segment{begin, static_cast<std::uint32_t>(s_.support.size()), held, positional});
        if (held) {
            ++held_count;
            if (!positional)
                ++held_without_position;
        }
        if constexpr (!Trace) {
            // Stop early only when the outcome is settled and nobody needs more positions.
            if (node.kind == NodeKind::all && !held)
                break;
            if (!collect_children && held_count >= needed)
                break;
            if (node.kind == NodeKind::at_least && held_count + (node.child_count - i - 1) < needed)
                break;
        }
    }
    bool held = held_count >= needed;
    std::string window_note;
    if (held && proximity) {
        const std::uint32_t required =
            node.kind == NodeKind::all
                ? node.child_count - held_without_position
                : (needed > held_without_position ? needed - held_without_position : 0);
        FieldMask window_fields = 0;
        held = within_window(node, first_segment, required, window_fields,
                             Trace ? &window_note : nullptr);
        // Only the fields where the terms are near each other support the verdict (and so
        // decide the field weight and the evidence).
        if (held && collect) {
            auto kept = s_.support.begin() + static_cast<std::ptrdiff_t>(support_mark);
            for (auto it = kept; it != s_.support.end(); ++it) {
                if (window_fields & field_bit(s_.hits[s_.atom_hits[*it].hit].field))
                    *kept++ = *it;
            }
            s_.support.erase(kept, s_.support.end());
        }
    }
    s_.segments.resize(first_segment);
    if (!held || !collect)
        s_.support.resize(support_mark);
    if constexpr (Trace) {
        std::string near;
        if (node.near == ProximityKind::sentence)
            near = " in one sentence";
        else if (node.near == ProximityKind::words)
            near = " within " + std::to_string(node.near_words) + " words";
        switch (node.kind) {
            case NodeKind::any:
                trace->label = "any of";
                break;
            case NodeKind::all:
                trace->label = "all of" + near;
                break;
            default:
                trace->label = "at least " + std::to_string(node.at_least) + " of" + near;
                break;
        }
        if (held_count < needed) {
            trace->note = std::to_string(held_count) + " of " + std::to_string(node.child_count) +
                          " held, " + std::to_string(needed) + " needed";
        } else if (!window_note.empty()) {
            trace->note = window_note;
        }
    }
    return held;
}

template <bool Trace>
bool Evaluation::eval(std::uint32_t id, bool collect, ConditionTrace* trace) {
    const Node& node = impl_.nodes[id];
    bool held = false;
    switch (node.kind) {
        case NodeKind::atom:
            held = eval_atom<Trace>(node, collect, trace);
            break;
        case NodeKind::any:
        case NodeKind::all:
        case NodeKind::at_least:
            held = eval_group<Trace>(node, collect, trace);
            break;
        case NodeKind::negation: {
            if constexpr (Trace) {
                trace->label = "not";
                trace->children.resize(1);
            }
            held = !eval<Trace>(impl_.children[node.first_child], false,
                                Trace ? &trace->children[0] : nullptr);
            break;
        }
        case NodeKind::similar: {
            const bool known = document_.corpus_similarity.has_value();
            held = known && *document_.corpus_similarity >= node.similarity;
            if constexpr (Trace) {
                trace->label = "similar to the seed corpus >= " + format_number(node.similarity);
                trace->note = known ? "similarity " + format_number(*document_.corpus_similarity)
                                    : "similarity unknown for this document";
            }
            break;
        }
    }
    if constexpr (Trace) {
        trace->where = node.where;
        trace->held = held;
    }
    return held;
}

template <bool Trace>
bool Evaluation::evaluate_rule(std::uint32_t r, double& score, ConditionTrace* match_trace,
                               std::optional<ConditionTrace>* exclusion_trace, std::string& note) {
    const CompiledRule& rule = impl_.rules[r];
    s_.support.clear();
    s_.segments.clear();
    const bool allowed = source_allowed(rule);
    if (!Trace && !allowed)
        return false;
    bool held = eval<Trace>(rule.match, true, match_trace);
    bool excluded = false;
    if (held || Trace) {
        if (rule.exclusion != kNoNode) {
            ConditionTrace* t = nullptr;
            if constexpr (Trace) {
                exclusion_trace->emplace();
                t = &**exclusion_trace;
            }
            excluded = eval<Trace>(rule.exclusion, false, t);
        }
    }
    if constexpr (Trace) {
        const std::string would = held && !excluded ? " (would have held)" : "";
        if (!rule.info.enabled)
            note = "disabled" + would;
        else if (!allowed)
            note = "not for this source: needs a source tag among " + [&] {
                std::string tags;
                for (const std::string& t : rule.source_tags)
                    tags += (tags.empty() ? "" : ", ") + t;
                return tags;
            }() + would;
        else if (!held)
            note = "conditions not met";
        else if (excluded)
            note = "excluded by not:";
        else
            note = "held";
    }
    held = held && !excluded && allowed && rule.info.enabled;
    if (!held)
        return false;
    double weight = 0;
    for (const std::uint32_t k : s_.support) {
        const Field f = s_.hits[s_.atom_hits[k].hit].field;
        weight = std::max(weight, impl_.field_weights[static_cast<std::size_t>(f)]);
    }
    if (s_.support.empty())
        weight = 1.0;  // held without terms (similar_to_corpus, not:)
    score = rule.info.score * weight;
    return true;
}

void Evaluation::add_rule_hit(std::uint32_t r, double score, MatchResult& result) {
    const CompiledRule& rule = impl_.rules[r];
    RuleHit hit;
    hit.id = rule.info.id;
    hit.title = rule.info.title;
    hit.topic = rule.info.topic;
    hit.tags = rule.info.tags;
    hit.score = score;
    std::vector<std::uint32_t>& support = s_.support;
    std::sort(support.begin(), support.end(), [&](std::uint32_t a, std::uint32_t b) {
        const Hit& ha = s_.hits[s_.atom_hits[a].hit];
        const Hit& hb = s_.hits[s_.atom_hits[b].hit];
        return std::tie(ha.field, ha.begin, ha.end, a) < std::tie(hb.field, hb.begin, hb.end, b);
    });
    const Hit* previous = nullptr;
    for (const std::uint32_t k : support) {
        const Hit& h = s_.hits[s_.atom_hits[k].hit];
        if (previous != nullptr && previous->field == h.field && previous->begin == h.begin &&
            previous->end == h.end)
            continue;  // the same occurrence supporting two leaves
        previous = &h;
        hit.evidence.push_back(evidence(s_.atom_hits[k]));
        if (hit.evidence.size() >= kMaxEvidencePerRule)
            break;
    }
    result.score += score;
    result.rules.push_back(std::move(hit));
}

void Evaluation::finish_result(MatchResult& result) {
    result.threshold = impl_.threshold;
    result.rules_version = impl_.version;
    result.hits_truncated = truncated_;
    // Guard against -0 and rounding noise in the sum.
    result.score = std::round(result.score * 1e9) / 1e9 + 0.0;
    result.matched = result.score >= impl_.threshold;
    std::stable_sort(result.rules.begin(), result.rules.end(),
                     [](const RuleHit& a, const RuleHit& b) { return a.score > b.score; });
    // Topics in order of their best rule's score, then of their rules' scores together (so a
    // topic with one strong rule comes before one with several weak ones), then of rule order.
    struct TopicScore {
        std::string topic;
        double best;
        double total;
    };
    std::vector<TopicScore> topic_scores;
    for (const RuleHit& rule : result.rules) {
        if (rule.score <= 0)
            continue;
        result.tags.insert(result.tags.end(), rule.tags.begin(), rule.tags.end());
        if (rule.topic.empty())
            continue;
        auto it = std::find_if(topic_scores.begin(), topic_scores.end(),
                               [&](const TopicScore& t) { return t.topic == rule.topic; });
        if (it == topic_scores.end()) {
            topic_scores.push_back(TopicScore{rule.topic, rule.score, rule.score});
        } else {
            it->best = std::max(it->best, rule.score);
            it->total += rule.score;
        }
    }
    std::stable_sort(topic_scores.begin(), topic_scores.end(),
                     [](const TopicScore& a, const TopicScore& b) {
                         return a.best != b.best ? a.best > b.best : a.total > b.total;
                     });
    for (TopicScore& t : topic_scores)
        result.topics.push_back(std::move(t.topic));
    std::sort(result.tags.begin(), result.tags.end());
    result.tags.erase(std::unique(result.tags.begin(), result.tags.end()), result.tags.end());

    // Mentions of the entries of entity lists: covered occurrences do not count (mark_covered()),
    // and one entry found twice at one place (two aliases, two spellings) counts once.
    struct Mention {
        Field field;
        std::uint32_t begin;
        std::uint32_t end;
        std::uint32_t list;
        std::uint32_t entry;
    };
    std::vector<Mention> mentions;
    for (std::uint32_t h = 0; h < s_.hits.size(); ++h) {
        const Hit& hit = s_.hits[h];
        if (s_.covered[h] != 0)
            continue;
        for (std::uint32_t i = impl_.pattern_entities_begin[hit.pattern];
             i < impl_.pattern_entities_begin[hit.pattern + 1]; ++i) {
            const auto& [list, entry] = impl_.pattern_entities[i];
            mentions.push_back(Mention{hit.field, hit.begin, hit.end, list, entry});
        }
    }
    if (mentions.empty())
        return;
    const auto key = [](const Mention& m) {
        return std::tie(m.field, m.begin, m.end, m.list, m.entry);
    };
    std::sort(mentions.begin(), mentions.end(),
              [&key](const Mention& a, const Mention& b) { return key(a) < key(b); });
    mentions.erase(
        std::unique(mentions.begin(), mentions.end(),
                    [&key](const Mention& a, const Mention& b) { return key(a) == key(b); }),
        mentions.end());
    std::vector<std::pair<std::uint64_t, std::uint32_t>> counts;  // (list << 32 | entry, count)
    counts.reserve(mentions.size());
    for (const Mention& m : mentions)
        counts.emplace_back((std::uint64_t{m.list} << 32) | m.entry, 1);
    std::sort(counts.begin(), counts.end());
    for (std::size_t i = 0; i < counts.size();) {
        std::size_t j = i;
        std::uint32_t n = 0;
        for (; j < counts.size() && counts[j].first == counts[i].first; ++j)
            n += counts[j].second;
        const auto list = static_cast<std::uint32_t>(counts[i].first >> 32);
        const auto entry = static_cast<std::uint32_t>(counts[i].first & 0xffffffffu);
        result.entities.push_back(EntityMention{impl_.lists[list].name, impl_.lists[list].kind,
                                                impl_.lists[list].entry_names[entry], n});
        i = j;
    }
    std::stable_sort(result.entities.begin(), result.entities.end(),
                     [](const EntityMention& a, const EntityMention& b) {
                         if (a.list != b.list)
                             return a.list < b.list;
                         if (a.count != b.count)
                             return a.count > b.count;
                         return a.name < b.name;
                     });
}

}  // namespace

std::string_view field_name(Field field) {
    switch (field) {
        case Field::title:
            return "title";
        case Field::summary:
            return "summary";
        case Field::content:
            return "content";
        case Field::author:
            return "author";
        case Field::categories:
            return "categories";
        case Field::link:
            return "link";
        case Field::source_name:
            return "source_name";
        case Field::source_tags:
            return "source_tags";
    }
    return "unknown";
}

std::optional<Field> field_from_name(std::string_view name) {
    for (std::size_t f = 0; f < kFieldCount; ++f) {
        if (field_name(static_cast<Field>(f)) == name)
            return static_cast<Field>(f);
    }
    return std::nullopt;
}

std::string field_text(const Document& document, Field field) {
    std::string joined;
    return std::string(field_view(document, field, joined));
}

MatchResult RuleSet::evaluate(const Document& document) const {
    MatchResult result;
    Evaluation evaluation(*impl_, document, thread_scratch());
    evaluation.scan();
    evaluation.find_candidates();
    for (const std::uint32_t r : evaluation.candidates()) {
        double score = 0;
        std::string unused;
        if (evaluation.evaluate_rule<false>(r, score, nullptr, nullptr, unused))
            evaluation.add_rule_hit(r, score, result);
    }
    evaluation.finish_result(result);
    return result;
}

Explanation RuleSet::explain(const Document& document) const {
    Explanation explanation;
    Evaluation evaluation(*impl_, document, thread_scratch());
    evaluation.scan();
    evaluation.find_candidates();
    const std::vector<std::uint32_t>& candidates = evaluation.candidates();
    for (std::uint32_t r = 0; r < impl_->rules.size(); ++r) {
        const CompiledRule& rule = impl_->rules[r];
        RuleVerdict verdict;
        verdict.id = rule.info.id;
        verdict.title = rule.info.title;
        verdict.topic = rule.info.topic;
        verdict.where = rule.info.where;
        verdict.enabled = rule.info.enabled;
        verdict.match.emplace();
        double score = 0;
        verdict.held = evaluation.evaluate_rule<true>(r, score, &*verdict.match, &verdict.exclusion,
                                                      verdict.note);
        if (verdict.held) {
            verdict.score = score;
            evaluation.add_rule_hit(r, score, explanation.result);
        } else if (rule.info.enabled && verdict.note == "conditions not met" &&
                   !std::binary_search(candidates.begin(), candidates.end(), r)) {
            verdict.note = "none of its key terms occurs";
        }
        explanation.rules.push_back(std::move(verdict));
    }
    evaluation.finish_result(explanation.result);
    return explanation;
}

}  // namespace chuhai::match
