#pragma once
// Internal to the match stage: the compiled form of a rules directory, shared by the compiler
// (rule_compiler.cc) and the evaluator (evaluator.cc).
//
// Vocabulary: a *pattern* is one thing the scanners look for — a literal in the automaton or a
// regex in the RE2::Set (ids: literals first, then regexes). An *atom* is what one leaf of a rule
// tests: a set of patterns that count as the same term — the alternatives of a term ("data centre
// | data center"), their Simplified/Traditional spellings, or all the aliases of all the entries
// of a list. Atoms are shared: every rule that says `list: chinese_ai_companies` tests one atom.

#include <re2/re2.h>
#include <re2/set.h>

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "match/aho_corasick.h"
#include "match/rule_set.h"

namespace chuhai::match {

using FieldMask = std::uint16_t;
inline constexpr FieldMask field_bit(Field f) {
    return static_cast<FieldMask>(1u << static_cast<unsigned>(f));
}
inline constexpr std::uint32_t kNoNode = std::numeric_limits<std::uint32_t>::max();

// A literal term. A '*' ends a word early ("expand* globally"): the automaton looks for the
// part before the first '*' (`text`), and a hit is then extended to the end of that word and
// checked against the rest (`tail`), segment by segment.
struct Literal {
    struct Segment {
        std::string text;  // normalised, starting with the separator after the '*'-word
        bool prefix;       // followed by '*'
    };
    std::string text;     // normalised (see match_text.h): what the automaton looks for
    bool left_boundary;   // starts with a word character: needs a non-word character before
    bool right_boundary;  // ends with a word character and no '*': needs a non-word one after
    bool prefix;          // `text` is followed by '*': the hit runs on to the end of the word
    std::vector<Segment> tail;
};

struct Atom {
    std::string label;       // how explanations name it
    std::int32_t list = -1;  // the list it stands for, or -1 for a term written in a rule
    // (pattern id, index into `displays`), sorted by pattern id.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> members;
    std::vector<std::string> displays;  // alternatives as written, or entity entries' names
};

struct ListInfo {
    std::string name;
    std::string where;
    std::vector<std::string> entry_names;  // canonical names
    std::uint32_t atom = 0;
    bool entities = false;  // declared under entities: — its entries count as mentions
    // Entity lists only: what their entries are (kEntityKinds); digests count companies.
    std::string kind;
    bool used = false;
};

enum class NodeKind : std::uint8_t { atom, any, all, at_least, negation, similar };
enum class ProximityKind : std::uint8_t { none, words, sentence };

struct Node {
    NodeKind kind = NodeKind::atom;
    ProximityKind near = ProximityKind::none;
    FieldMask fields = 0;           // atoms: the fields they look in
    std::uint32_t atom = 0;         // atoms
    std::uint32_t first_child = 0;  // into Impl::children
    std::uint32_t child_count = 0;
    std::uint32_t at_least = 0;    // at_least: how many children must hold
    std::uint32_t near_words = 0;  // near == words: the largest span in words
    double similarity = 0;         // similar: the least corpus similarity
    std::string where;             // FILE:LINE:COL
};

struct CompiledRule {
    RuleInfo info;
    std::uint32_t match = kNoNode;
    std::uint32_t exclusion = kNoNode;     // the rule's `not:`
    std::vector<std::string> source_tags;  // folded; empty means every source
    bool can_hold_without_hits = false;    // evaluated for every document
};

struct RuleSet::Impl {
    // Settings.
    double threshold = 1.0;
    std::array<double, kFieldCount> field_weights{};

    // Scanners.
    std::vector<Literal> literals;
    AhoCorasick automaton;
    std::vector<std::unique_ptr<RE2>> regexes;  // pattern id = literals.size() + index
    std::vector<std::string> regex_sources;
    std::unique_ptr<RE2::Set> regex_set;
    FieldMask scanned_fields = 0;  // fields some atom looks in

    // Pattern → atoms that contain it, and → list entries (list, entry) it is an alias of.
    std::vector<std::uint32_t> pattern_atoms_begin;
    std::vector<std::uint32_t> pattern_atoms;
    // Beside pattern_atoms: the atom's display of the pattern (an index into its displays),
    // looked up once here instead of for every piece of evidence.
    std::vector<std::uint32_t> pattern_atom_displays;
    std::vector<std::uint32_t> pattern_entities_begin;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pattern_entities;

    std::vector<Atom> atoms;
    // Atom → rules it triggers: a hit makes those rules candidates. Each rule is registered
    // under a few atoms at least one of which must hit for it to hold (see trigger_atoms()).
    std::vector<std::uint32_t> atom_rules_begin;
    std::vector<std::uint32_t> atom_rules;
    std::vector<std::uint32_t> always_evaluated_rules;

    std::vector<ListInfo> lists;
    std::vector<Node> nodes;
    std::vector<std::uint32_t> children;
    std::vector<CompiledRule> rules;
    std::vector<RuleInfo> rule_infos;

    std::string version;

    std::size_t pattern_count() const { return literals.size() + regexes.size(); }
};

}  // namespace chuhai::match
