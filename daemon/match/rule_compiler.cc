// Rules directory → RuleSet: reads the YAML files, checks everything an analyst can get wrong
// (collecting every problem with its FILE:LINE:COL rather than stopping at the first), and
// compiles the terms into the scanners.

#include <openssl/evp.h>
#include <unicode/translit.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <system_error>
#include <unordered_map>

#include "common/error.h"
#include "common/file.h"
#include "match/compiled_rules.h"
#include "match/match_text.h"

namespace chuhai::match {

namespace {

constexpr std::size_t kMaxTermBytes = 256;
// U+E000, a private-use character: stands for '*' while a term is normalised.
constexpr std::string_view kStarMark = "\xEE\x80\x80";
constexpr int kMaxConditionDepth = 32;
constexpr std::size_t kMaxYamlNodes = 2'000'000;
constexpr std::uint32_t kMaxNearWords = 100'000;
constexpr std::int64_t kRegexMaxMemory = std::int64_t{2} << 20;
constexpr std::int64_t kRegexSetMaxMemory = std::int64_t{64} << 20;

const std::vector<std::string> kTopLevelKeys = {"entities", "lists", "rules", "settings"};
const std::vector<std::string> kSettingsKeys = {"threshold", "field_weights", "fields"};
const std::vector<std::string> kRuleKeys = {"id",   "title", "description", "topic",
                                            "tags", "score", "enabled",     "match",
                                            "not",  "near",  "fields",      "source_tags"};
const std::vector<std::string> kOperatorKeys = {"any",  "all",  "not",   "at_least",
                                                "list", "term", "regex", "similar_to_corpus"};
const std::vector<std::string> kConditionKeys = {"any",  "all",  "not",   "at_least",
                                                 "list", "term", "regex", "similar_to_corpus",
                                                 "of",   "near", "in"};
const std::vector<std::string> kEntryKeys = {"name", "aliases"};
const std::vector<std::string> kEntityListKeys = {"kind", "entries"};
// What an entity list may hold; a list that does not say holds companies.
const std::vector<std::string> kEntityKinds = {kCompanyEntity, "product", "place", "other"};

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// " (did you mean 'any'?)" when one candidate is close enough to be a typo, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_distance = std::string::npos;
    for (const std::string& candidate : candidates) {
        const std::size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    const std::size_t allowed = std::max<std::size_t>(1, std::min(word.size(), best.size()) / 3);
    if (best.empty() || best_distance > allowed)
        return {};
    return " (did you mean '" + best + "'?)";
}

std::string join(const std::vector<std::string>& words, std::string_view separator) {
    std::string out;
    for (const std::string& w : words) {
        if (!out.empty())
            out += separator;
        out += w;
    }
    return out;
}

bool has_han(std::string_view text) {
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const auto n = static_cast<int32_t>(text.size());
    for (int32_t i = 0; i < n;) {
        UChar32 c;
        U8_NEXT(s, i, n, c);
        UErrorCode status = U_ZERO_ERROR;
        if (c >= 0x80 && uscript_getScript(c, &status) == USCRIPT_HAN)
            return true;
    }
    return false;
}

std::string sha256_hex_prefix(const std::vector<RuleFile>& files) {
    std::vector<const RuleFile*> sorted;
    for (const RuleFile& f : files)
        sorted.push_back(&f);
    auto name = [](const RuleFile* f) -> const std::string& {
        return f->relative_path.empty() ? f->path : f->relative_path;
    };
    std::sort(sorted.begin(), sorted.end(),
              [&](const RuleFile* a, const RuleFile* b) { return name(a) < name(b); });
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1)
        throw Error(ErrorKind::internal, "SHA-256 unavailable");
    for (const RuleFile* f : sorted) {
        const std::string& n = name(f);
        EVP_DigestUpdate(context.get(), n.data(), n.size() + 1);  // with the terminating NUL
        EVP_DigestUpdate(context.get(), f->contents.data(), f->contents.size());
        EVP_DigestUpdate(context.get(), "", 1);
    }
    EVP_DigestFinal_ex(context.get(), digest, &digest_length);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < 8 && i < digest_length; ++i) {
        out.push_back(kHex[digest[i] >> 4]);
        out.push_back(kHex[digest[i] & 15]);
    }
    return out;
}

// Transliterators for Simplified ↔ Traditional spellings of Han terms. Creating them costs a few
// milliseconds, so only rule sets with Chinese terms pay for it.
class ScriptVariants {
  public:
    // False (with the reason) when ICU lacks the transforms.
    bool available(std::string& reason) {
        if (!tried_) {
            tried_ = true;
            UErrorCode status = U_ZERO_ERROR;
            to_simplified_.reset(
                icu::Transliterator::createInstance("Hant-Hans", UTRANS_FORWARD, status));
            if (U_SUCCESS(status)) {
                to_traditional_.reset(
                    icu::Transliterator::createInstance("Hans-Hant", UTRANS_FORWARD, status));
            }
            if (U_FAILURE(status) || !to_simplified_ || !to_traditional_) {
                reason_ = u_errorName(status);
                to_simplified_.reset();
                to_traditional_.reset();
            }
        }
        reason = reason_;
        return to_simplified_ != nullptr;
    }

    // The Simplified and Traditional spellings of a normalised term (possibly equal to it).
    std::vector<std::string> of(const std::string& term) {
        std::vector<std::string> out;
        const icu::UnicodeString source = icu::UnicodeString::fromUTF8(term);
        icu::UnicodeString simplified = source;
        to_simplified_->transliterate(simplified);
        icu::UnicodeString traditional = source;
        to_traditional_->transliterate(traditional);
        icu::UnicodeString traditional_of_simplified = simplified;
        to_traditional_->transliterate(traditional_of_simplified);
        for (const icu::UnicodeString* u :
             {&simplified, &traditional, &traditional_of_simplified}) {
            std::string utf8;
            u->toUTF8String(utf8);
            out.push_back(normalize_term(utf8));
        }
        return out;
    }

  private:
    bool tried_ = false;
    std::string reason_;
    std::unique_ptr<icu::Transliterator> to_simplified_;
    std::unique_ptr<icu::Transliterator> to_traditional_;
};

}  // namespace

class RuleCompiler {
  public:
    LoadResult compile(const std::vector<RuleFile>& files);

  private:
    struct Located {
        std::string file;
        YAML::Node node;
    };
    struct PendingList {
        std::string name;
        std::string file;
        YAML::Mark mark;
        YAML::Node entries;
        bool entities;  // from entities: (mentions are counted) rather than lists:
    };
    // What a condition is parsed in: its file and the fields its terms look in.
    struct Context {
        const std::string* file;
        FieldMask fields;
        std::vector<std::uint32_t>* atoms_used;
        bool* has_similarity;
    };

    // Diagnostics.
    void error(const std::string& file, const YAML::Mark& mark, std::string message) {
        add(Severity::error, file, mark, std::move(message));
    }
    void warning(const std::string& file, const YAML::Mark& mark, std::string message) {
        add(Severity::warning, file, mark, std::move(message));
    }
    void add(Severity severity, const std::string& file, const YAML::Mark& mark,
             std::string message) {
        Diagnostic d;
        d.severity = severity;
        d.file = file;
        if (mark.line >= 0) {
            d.line = mark.line + 1;
            d.column = mark.column + 1;
        }
        d.message = std::move(message);
        diagnostics_.push_back(std::move(d));
    }
    static std::string where(const std::string& file, const YAML::Mark& mark) {
        if (mark.line < 0)
            return file;
        return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    }

    // YAML helpers. Each reports its own error and returns nullopt/false on bad input.
    bool count_nodes(const YAML::Node& node, const std::string& file, std::size_t& budget);
    std::optional<std::string> scalar(const YAML::Node& node, const std::string& file,
                                      std::string_view what);
    std::optional<double> number(const YAML::Node& node, const std::string& file,
                                 std::string_view what);
    std::optional<std::vector<std::string>> strings(const YAML::Node& node, const std::string& file,
                                                    std::string_view what);
    // Iterates a mapping, reporting unknown and repeated keys; calls on_key for the others.
    template <class OnKey>
    void for_each_key(const YAML::Node& map, const std::string& file,
                      const std::vector<std::string>& allowed, std::string_view context,
                      OnKey&& on_key);
    std::optional<FieldMask> fields(const YAML::Node& node, const std::string& file);

    // Phases.
    void read_file(const RuleFile& file);
    void compile_settings();
    void compile_lists();
    void compile_rule(const Located& rule_node);
    std::uint32_t condition(const YAML::Node& node, Context& context, int depth);
    std::uint32_t term_atom(const YAML::Node& node, Context& context);
    std::uint32_t regex_atom(const YAML::Node& node, Context& context);
    void set_near(std::uint32_t node, const YAML::Node& value, const std::string& file);
    bool can_hold_without_hits(std::uint32_t node) const;
    // Atoms of which at least one must hit for `node` to hold, chosen to be cheap: a rule is
    // evaluated for a document only when one of its trigger atoms hit. `usage` counts the rules
    // that use each atom; widely shared lists make poor triggers. Returns false when the node
    // can hold without any hit.
    bool trigger_atoms(std::uint32_t node, const std::vector<std::uint32_t>& usage,
                       std::vector<std::uint32_t>& out) const;
    void finish(const std::vector<RuleFile>& files);

    // Adds the alternatives of `written` ("a | b | c*") to `atom`. For an entity list
    // (`entity_list` >= 0) they are aliases of entry `entry`, and evidence shows the entry's
    // name; otherwise evidence shows the alternative as written. Returns false (after reporting)
    // when a term is malformed.
    bool add_alternatives(Atom& atom, std::string_view written, const std::string& file,
                          const YAML::Mark& mark, std::int32_t entity_list, std::uint32_t entry);
    // `normalized` is a normalised alternative in which kStarMark stands for each '*'.
    std::uint32_t intern_literal(const std::string& normalized);

    std::uint32_t add_node(Node node) {
        impl_->nodes.push_back(std::move(node));
        return static_cast<std::uint32_t>(impl_->nodes.size() - 1);
    }

    std::unique_ptr<RuleSet::Impl> impl_ = std::make_unique<RuleSet::Impl>();
    std::vector<Diagnostic> diagnostics_;
    std::optional<Located> settings_;
    std::string settings_where_;
    FieldMask default_fields_ =
        field_bit(Field::title) | field_bit(Field::summary) | field_bit(Field::content);
    std::vector<PendingList> pending_lists_;
    std::vector<Located> pending_rules_;
    std::unordered_map<std::string, std::uint32_t> list_index_;
    std::unordered_map<std::string, std::uint32_t> literal_index_;
    std::unordered_map<std::string, std::uint32_t> term_atoms_;
    std::unordered_map<std::string, std::uint32_t> regex_atoms_;
    std::unordered_map<std::string, std::string> rule_where_;
    std::vector<std::vector<std::uint32_t>> rule_atoms_;
    // (pattern, (list, entry)) before they become the CSR table.
    std::vector<std::pair<std::uint32_t, std::pair<std::uint32_t, std::uint32_t>>> entity_aliases_;
    ScriptVariants variants_;
    bool variants_warned_ = false;
    std::size_t node_budget_ = kMaxYamlNodes;
};

bool RuleCompiler::count_nodes(const YAML::Node& node, const std::string& file,
                               std::size_t& budget) {
    // Aliases can make a small file expand into a huge tree; refuse before walking it.
    if (budget == 0)
        return false;
    --budget;
    if (node.IsSequence() || node.IsMap()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (node.IsMap()) {
                if (!count_nodes(it->first, file, budget) || !count_nodes(it->second, file, budget))
                    return false;
            } else if (!count_nodes(*it, file, budget)) {
                return false;
            }
        }
    }
    return true;
}

std::optional<std::string> RuleCompiler::scalar(const YAML::Node& node, const std::string& file,
                                                std::string_view what) {
    if (!node.IsScalar()) {
        error(file, node.Mark(), std::string(what) + " must be a single value");
        return std::nullopt;
    }
    return node.Scalar();
}

std::optional<double> RuleCompiler::number(const YAML::Node& node, const std::string& file,
                                           std::string_view what) {
    const auto text = scalar(node, file, what);
    if (!text)
        return std::nullopt;
    double value = 0;
    const char* first = text->data();
    const char* last = first + text->size();
    if (first != last && *first == '+')
        ++first;
    const auto [end, ec] = std::from_chars(first, last, value);
    if (ec != std::errc{} || end != last || !std::isfinite(value)) {
        error(file, node.Mark(), std::string(what) + " must be a number, not '" + *text + "'");
        return std::nullopt;
    }
    return value;
}

std::optional<std::vector<std::string>> RuleCompiler::strings(const YAML::Node& node,
                                                              const std::string& file,
                                                              std::string_view what) {
    std::vector<std::string> out;
    if (node.IsScalar()) {
        out.push_back(node.Scalar());
        return out;
    }
    if (!node.IsSequence()) {
        error(file, node.Mark(), std::string(what) + " must be a value or a list of values");
        return std::nullopt;
    }
    bool ok = true;
    for (const YAML::Node& item : node) {
        if (!item.IsScalar()) {
            error(file, item.Mark(), std::string(what) + " entries must be single values");
            ok = false;
            continue;
        }
        out.push_back(item.Scalar());
    }
    if (!ok)
        return std::nullopt;
    return out;
}

template <class OnKey>
void RuleCompiler::for_each_key(const YAML::Node& map, const std::string& file,
                                const std::vector<std::string>& allowed, std::string_view context,
                                OnKey&& on_key) {
    std::map<std::string, YAML::Mark> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
        // Copies: yaml-cpp's iterator hands out a temporary pair.
        const YAML::Node key = it->first;
        const YAML::Node value = it->second;
        if (!key.IsScalar()) {
            error(file, key.Mark(),
                  std::string("keys in ") + std::string(context) + " must be plain words");
            continue;
        }
        const std::string& name = key.Scalar();
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            std::string hint = did_you_mean(name, allowed);
            if (hint.empty())
                hint = " (allowed: " + join(allowed, ", ") + ")";
            error(file, key.Mark(), "unknown key '" + name + "' in " + std::string(context) + hint);
            continue;
        }
        if (const auto previous = seen.find(name); previous != seen.end()) {
            error(file, key.Mark(),
                  "key '" + name + "' given twice in " + std::string(context) + " (first at line " +
                      std::to_string(previous->second.line + 1) + ")");
            continue;
        }
        seen.emplace(name, key.Mark());
        on_key(name, key, value);
    }
}

std::optional<FieldMask> RuleCompiler::fields(const YAML::Node& node, const std::string& file) {
    const auto names = strings(node, file, "fields");
    if (!names)
        return std::nullopt;
    static const std::vector<std::string> kNames = {"title",       "summary",    "content",
                                                    "author",      "categories", "link",
                                                    "source_name", "source_tags"};
    FieldMask mask = 0;
    for (const std::string& name : *names) {
        const auto field = field_from_name(name);
        if (!field) {
            std::string hint = did_you_mean(name, kNames);
            if (hint.empty())
                hint = " (fields: " + join(kNames, ", ") + ")";
            error(file, node.Mark(), "unknown field '" + name + "'" + hint);
            return std::nullopt;
        }
        mask |= field_bit(*field);
    }
    if (mask == 0) {
        error(file, node.Mark(), "fields: needs at least one field");
        return std::nullopt;
    }
    return mask;
}

void RuleCompiler::read_file(const RuleFile& rule_file) {
    const std::string& file = rule_file.path;
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(rule_file.contents);
    } catch (const YAML::Exception& e) {
        error(file, e.mark, "YAML syntax: " + e.msg);
        return;
    }
    if (documents.empty() || documents.front().IsNull()) {
        warning(file, YAML::Mark::null_mark(), "the file holds no lists, rules or settings");
        return;
    }
    if (documents.size() > 1) {
        error(file, documents[1].Mark(),
              "one YAML document per rule file (found a second one after '---')");
        return;
    }
    const YAML::Node& root = documents.front();
    std::size_t budget = node_budget_;
    if (!count_nodes(root, file, budget)) {
        error(file, root.Mark(),
              "the file expands to more than " + std::to_string(kMaxYamlNodes) +
                  " YAML nodes (aliases?)");
        return;
    }
    node_budget_ = budget;
    if (!root.IsMap()) {
        error(file, root.Mark(), "a rule file is a mapping with lists:, rules: or settings:");
        return;
    }
    for_each_key(
        root, file, kTopLevelKeys, "a rule file",
        [&](const std::string& key, const YAML::Node& key_node, const YAML::Node& value) {
            if (key == "settings") {
                if (settings_) {
                    error(file, key_node.Mark(),
                          "settings: given again (first in " + settings_where_ + ")");
                    return;
                }
                settings_ = Located{file, value};
                settings_where_ = where(file, key_node.Mark());
            } else if (key == "lists" || key == "entities") {
                if (value.IsNull())
                    return;
                if (!value.IsMap()) {
                    error(file, value.Mark(), key + ": maps list names to their entries");
                    return;
                }
                for (auto it = value.begin(); it != value.end(); ++it) {
                    if (!it->first.IsScalar()) {
                        error(file, it->first.Mark(), "a list name must be a word");
                        continue;
                    }
                    pending_lists_.push_back(PendingList{it->first.Scalar(), file, it->first.Mark(),
                                                         it->second, key == "entities"});
                }
            } else if (key == "rules") {
                if (value.IsNull())
                    return;
                if (!value.IsSequence()) {
                    error(file, value.Mark(),
                          "rules: is a list of rules, each starting with '- id:'");
                    return;
                }
                for (const YAML::Node& rule : value)
                    pending_rules_.push_back(Located{file, rule});
            }
        });
}

void RuleCompiler::compile_settings() {
    impl_->field_weights.fill(1.0);
    impl_->field_weights[static_cast<std::size_t>(Field::title)] = 1.5;
    if (!settings_)
        return;
    const std::string& file = settings_->file;
    const YAML::Node& node = settings_->node;
    if (node.IsNull())
        return;
    if (!node.IsMap()) {
        error(file, node.Mark(),
              "settings: must be a mapping (threshold:, field_weights:, fields:)");
        return;
    }
    for_each_key(node, file, kSettingsKeys, "settings",
                 [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
                     if (key == "threshold") {
                         if (const auto t = number(value, file, "threshold"))
                             impl_->threshold = *t;
                     } else if (key == "fields") {
                         if (const auto mask = fields(value, file))
                             default_fields_ = *mask;
                     } else if (key == "field_weights") {
                         if (!value.IsMap()) {
                             error(file, value.Mark(),
                                   "field_weights: maps field names to weights, e.g. title: 1.5");
                             return;
                         }
                         for (auto it = value.begin(); it != value.end(); ++it) {
                             const auto mask = fields(it->first, file);
                             const auto weight = number(it->second, file, "a field weight");
                             if (!mask || !weight)
                                 continue;
                             if (*weight < 0) {
                                 error(file, it->second.Mark(),
                                       "a field weight cannot be negative");
                                 continue;
                             }
                             for (std::size_t f = 0; f < kFieldCount; ++f) {
                                 if (*mask & (1u << f))
                                     impl_->field_weights[f] = *weight;
                             }
                         }
                     }
                 });
}

std::uint32_t RuleCompiler::intern_literal(const std::string& normalized) {
    const auto [it, inserted] =
        literal_index_.emplace(normalized, static_cast<std::uint32_t>(impl_->literals.size()));
    if (!inserted)
        return it->second;
    Literal literal;
    std::size_t star = normalized.find(kStarMark);
    literal.text = normalized.substr(0, star);
    literal.prefix = star != std::string::npos;
    while (star != std::string::npos) {
        const std::size_t from = star + kStarMark.size();
        star = normalized.find(kStarMark, from);
        std::string segment =
            normalized.substr(from, star == std::string::npos ? std::string::npos : star - from);
        if (segment.empty())
            break;  // a trailing '*'
        literal.tail.push_back(Literal::Segment{std::move(segment), star != std::string::npos});
    }
    const std::string& last = literal.tail.empty() ? literal.text : literal.tail.back().text;
    const bool last_prefix = literal.tail.empty() ? literal.prefix : literal.tail.back().prefix;
    literal.left_boundary = is_word_char_at(literal.text, 0);
    literal.right_boundary = !last_prefix && is_word_char_before(last, last.size());
    impl_->literals.push_back(std::move(literal));
    return it->second;
}

bool RuleCompiler::add_alternatives(Atom& atom, std::string_view written, const std::string& file,
                                    const YAML::Mark& mark, std::int32_t entity_list,
                                    std::uint32_t entry) {
    bool ok = true;
    std::size_t start = 0;
    while (start <= written.size()) {
        std::size_t bar = written.find('|', start);
        if (bar == std::string_view::npos)
            bar = written.size();
        std::string_view alternative = written.substr(start, bar - start);
        start = bar + 1;
        while (!alternative.empty() && (alternative.front() == ' ' || alternative.front() == '\t'))
            alternative.remove_prefix(1);
        while (!alternative.empty() && (alternative.back() == ' ' || alternative.back() == '\t'))
            alternative.remove_suffix(1);
        const std::string quoted = "'" + std::string(written) + "'";
        if (alternative.empty()) {
            error(file, mark, "empty alternative in term " + quoted + " (two '|' in a row?)");
            ok = false;
            continue;
        }
        std::uint32_t display = entry;
        if (entity_list < 0) {
            display = static_cast<std::uint32_t>(atom.displays.size());
            atom.displays.emplace_back(alternative);
        }
        // '*' becomes a private-use character that normalisation leaves alone, so the
        // segments between stars are normalised together with their separators.
        std::string marked;
        for (const char c : alternative) {
            if (c == '*')
                marked += kStarMark;
            else
                marked.push_back(c);
        }
        const std::string normalized = normalize_term(marked);
        if (normalized.empty() || normalized.compare(0, kStarMark.size(), kStarMark) == 0) {
            error(file, mark,
                  normalized.empty() ? "term " + quoted + " is empty once normalised"
                                     : "a term cannot start with '*', in " + quoted);
            ok = false;
            continue;
        }
        if (normalized.size() > kMaxTermBytes) {
            error(file, mark,
                  "term " + quoted + " is longer than " + std::to_string(kMaxTermBytes) + " bytes");
            ok = false;
            continue;
        }
        bool stars_ok = true;
        for (std::size_t star = normalized.find(kStarMark); star != std::string::npos;
             star = normalized.find(kStarMark, star + 1)) {
            const std::size_t after = star + kStarMark.size();
            if (!is_word_char_before(normalized, star) ||
                (after < normalized.size() && normalized[after] != ' ')) {
                stars_ok = false;
            }
        }
        if (!stars_ok) {
            error(file, mark,
                  "'*' goes at the end of a word (\"expand* globally\", \"data center*\"), in " +
                      quoted);
            ok = false;
            continue;
        }
        std::vector<std::string> spellings = {normalized};
        if (has_han(normalized)) {
            std::string reason;
            if (variants_.available(reason)) {
                for (std::string& v : variants_.of(normalized)) {
                    if (!v.empty() && v.size() <= kMaxTermBytes)
                        spellings.push_back(std::move(v));
                }
            } else if (!variants_warned_) {
                variants_warned_ = true;
                warning(file, mark,
                        "Simplified/Traditional equivalence unavailable (ICU: " + reason + ")");
            }
        }
        std::sort(spellings.begin(), spellings.end());
        spellings.erase(std::unique(spellings.begin(), spellings.end()), spellings.end());
        for (const std::string& spelling : spellings) {
            const std::uint32_t pattern = intern_literal(spelling);
            atom.members.emplace_back(pattern, display);
            if (entity_list >= 0) {
                entity_aliases_.push_back(
                    {pattern, {static_cast<std::uint32_t>(entity_list), entry}});
            }
        }
    }
    return ok;
}

void RuleCompiler::compile_lists() {
    static const std::string kNamePattern = "abcdefghijklmnopqrstuvwxyz0123456789_-";
    for (const PendingList& pending : pending_lists_) {
        const std::string& file = pending.file;
        if (pending.name.empty() ||
            pending.name.find_first_not_of(kNamePattern) != std::string::npos) {
            error(file, pending.mark,
                  "list name '" + pending.name +
                      "' may use only lower-case letters, digits, '_' and '-'");
            continue;
        }
        if (const auto it = list_index_.find(pending.name); it != list_index_.end()) {
            error(file, pending.mark,
                  "list '" + pending.name + "' is defined twice (first at " +
                      impl_->lists[it->second].where + ")");
            continue;
        }
        const auto list_id = static_cast<std::int32_t>(impl_->lists.size());
        ListInfo info;
        info.name = pending.name;
        info.where = where(file, pending.mark);
        info.atom = static_cast<std::uint32_t>(impl_->atoms.size());
        info.entities = pending.entities;
        const std::int32_t entity_list = pending.entities ? list_id : -1;
        Atom atom;
        atom.label = "list " + pending.name;
        atom.list = list_id;
        YAML::Node entries = pending.entries;
        if (pending.entities) {
            info.kind = kEntityKinds.front();
            // An entity list may say what its entries are: {kind: place, entries: [...]}.
            if (entries.IsMap()) {
                YAML::Node listed;
                bool has_entries = false;
                for_each_key(
                    entries, file, kEntityListKeys, "an entity list",
                    [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
                        if (key == "entries") {
                            listed = value;
                            has_entries = true;
                            return;
                        }
                        const auto kind = scalar(value, file, "kind");
                        if (kind && std::find(kEntityKinds.begin(), kEntityKinds.end(), *kind) !=
                                        kEntityKinds.end()) {
                            info.kind = *kind;
                        } else if (kind) {
                            error(file, value.Mark(),
                                  "unknown entity kind '" + *kind + "' (use " +
                                      join(kEntityKinds, ", ") + ")");
                        }
                    });
                if (!has_entries) {
                    error(file, entries.Mark(),
                          "entity list '" + pending.name + "' written as a mapping needs entries:");
                    listed = YAML::Node(YAML::NodeType::Sequence);
                }
                entries = listed;
            }
        }
        if (!entries.IsSequence()) {
            error(file, entries.Mark(),
                  "list '" + pending.name + "' must be a sequence of entries ('- Name | alias')");
        } else {
            for (const YAML::Node& entry : entries) {
                const auto entry_id = static_cast<std::uint32_t>(info.entry_names.size());
                if (entry.IsScalar()) {
                    const std::string& text = entry.Scalar();
                    std::string canonical = text.substr(0, text.find('|'));
                    while (!canonical.empty() && canonical.back() == ' ')
                        canonical.pop_back();
                    while (!canonical.empty() && canonical.front() == ' ')
                        canonical.erase(canonical.begin());
                    if (!canonical.empty() && canonical.back() == '*')
                        canonical.pop_back();
                    info.entry_names.push_back(canonical);
                    if (pending.entities)
                        atom.displays.push_back(canonical);
                    add_alternatives(atom, text, file, entry.Mark(), entity_list, entry_id);
                } else if (entry.IsMap()) {
                    std::optional<std::string> name;
                    std::vector<std::pair<std::string, YAML::Mark>> aliases;
                    for_each_key(
                        entry, file, kEntryKeys, "a list entry",
                        [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
                            if (key == "name") {
                                name = scalar(value, file, "name");
                            } else if (const auto words = strings(value, file, "aliases")) {
                                for (const std::string& w : *words)
                                    aliases.emplace_back(w, value.Mark());
                            }
                        });
                    if (!name) {
                        error(file, entry.Mark(), "a list entry written as a mapping needs name:");
                        continue;
                    }
                    info.entry_names.push_back(*name);
                    if (pending.entities)
                        atom.displays.push_back(*name);
                    add_alternatives(atom, *name, file, entry.Mark(), entity_list, entry_id);
                    for (const auto& [alias, mark] : aliases)
                        add_alternatives(atom, alias, file, mark, entity_list, entry_id);
                } else {
                    error(
                        file, entry.Mark(),
                        "a list entry is 'Name | alias | …' or a mapping with name: and aliases:");
                }
            }
            if (info.entry_names.empty())
                warning(file, pending.mark, "list '" + pending.name + "' has no entries");
        }
        list_index_.emplace(pending.name, static_cast<std::uint32_t>(list_id));
        impl_->lists.push_back(std::move(info));
        impl_->atoms.push_back(std::move(atom));
    }
}

std::uint32_t RuleCompiler::term_atom(const YAML::Node& node, Context& context) {
    const auto text = scalar(node, *context.file, "a term");
    if (!text)
        return kNoNode;
    auto [it, inserted] =
        term_atoms_.emplace(*text, static_cast<std::uint32_t>(impl_->atoms.size()));
    if (inserted) {
        Atom atom;
        atom.label = "\"" + *text + "\"";
        if (!add_alternatives(atom, *text, *context.file, node.Mark(), -1, 0)) {
            term_atoms_.erase(it);
            return kNoNode;
        }
        impl_->atoms.push_back(std::move(atom));
    }
    return it->second;
}

std::uint32_t RuleCompiler::regex_atom(const YAML::Node& node, Context& context) {
    const auto pattern = scalar(node, *context.file, "regex:");
    if (!pattern)
        return kNoNode;
    if (const auto it = regex_atoms_.find(*pattern); it != regex_atoms_.end())
        return it->second;
    RE2::Options options;
    options.set_case_sensitive(false);
    options.set_log_errors(false);
    options.set_max_mem(kRegexMaxMemory);
    auto re = std::make_unique<RE2>(*pattern, options);
    if (!re->ok()) {
        error(*context.file, node.Mark(), "invalid regex /" + *pattern + "/: " + re->error());
        return kNoNode;
    }
    if (RE2::FullMatch("", *re)) {
        error(*context.file, node.Mark(),
              "regex /" + *pattern + "/ matches the empty text, so it would hit everywhere");
        return kNoNode;
    }
    // Regex patterns get their ids after all literals are known (see finish()); until then they
    // are numbered from the top of the id space.
    const auto regex_index = static_cast<std::uint32_t>(impl_->regexes.size());
    impl_->regexes.push_back(std::move(re));
    impl_->regex_sources.push_back(*pattern);
    Atom atom;
    atom.label = "regex /" + *pattern + "/";
    atom.displays.push_back("/" + *pattern + "/");
    atom.members.emplace_back(0x80000000u | regex_index, 0);
    const auto id = static_cast<std::uint32_t>(impl_->atoms.size());
    impl_->atoms.push_back(std::move(atom));
    regex_atoms_.emplace(*pattern, id);
    return id;
}

void RuleCompiler::set_near(std::uint32_t node_id, const YAML::Node& value,
                            const std::string& file) {
    const auto text = scalar(value, file, "near:");
    if (!text)
        return;
    Node& node = impl_->nodes[node_id];
    std::string t = *text;
    std::transform(t.begin(), t.end(), t.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (t == "sentence" || t == "same sentence" || t == "1 sentence") {
        node.near = ProximityKind::sentence;
        return;
    }
    std::uint32_t words = 0;
    const char* first = t.data();
    const char* last = first + t.size();
    const auto [end, ec] = std::from_chars(first, last, words);
    std::string_view rest(end, static_cast<std::size_t>(last - end));
    while (!rest.empty() && rest.front() == ' ')
        rest.remove_prefix(1);
    if (ec != std::errc{} || !(rest.empty() || rest == "words" || rest == "word") || words == 0 ||
        words > kMaxNearWords) {
        error(file, value.Mark(),
              "near: expects 'N words' (1 to " + std::to_string(kMaxNearWords) +
                  ") or 'sentence', not '" + *text + "'");
        return;
    }
    node.near = ProximityKind::words;
    node.near_words = words;
}

std::uint32_t RuleCompiler::condition(const YAML::Node& node, Context& context, int depth) {
    const std::string& file = *context.file;
    if (depth > kMaxConditionDepth) {
        error(file, node.Mark(),
              "conditions nested deeper than " + std::to_string(kMaxConditionDepth) + " levels");
        return kNoNode;
    }
    auto atom_node = [&](std::uint32_t atom) {
        if (atom == kNoNode)
            return kNoNode;
        context.atoms_used->push_back(atom);
        Node n;
        n.kind = NodeKind::atom;
        n.atom = atom;
        n.fields = context.fields;
        n.where = where(file, node.Mark());
        return add_node(std::move(n));
    };
    if (node.IsNull()) {
        error(file, node.Mark(), "empty condition");
        return kNoNode;
    }
    if (node.IsScalar())
        return atom_node(term_atom(node, context));
    if (node.IsSequence()) {
        error(file, node.Mark(),
              "a list of conditions must stand under any:, all:, not: or at_least: … of:");
        return kNoNode;
    }
    if (!node.IsMap()) {
        error(file, node.Mark(), "a condition is a term or a mapping such as any: [...]");
        return kNoNode;
    }

    std::vector<std::string> operators;
    // A default YAML::Node is a defined null node, so absence needs optional.
    std::optional<YAML::Node> of_node, near_node, in_node;
    std::map<std::string, YAML::Node> values;
    const std::size_t errors_before = diagnostics_.size();
    for_each_key(node, file, kConditionKeys, "a condition",
                 [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
                     if (key == "of")
                         of_node = value;
                     else if (key == "near")
                         near_node = value;
                     else if (key == "in")
                         in_node = value;
                     else
                         operators.push_back(key);
                     values.emplace(key, value);
                 });
    const bool bad_key = diagnostics_.size() != errors_before;  // already reported
    if (operators.empty()) {
        if (!bad_key) {
            error(file, node.Mark(),
                  of_node ? "of: needs at_least: N beside it"
                          : "a condition needs one of: " + join(kOperatorKeys, ", "));
        }
        return kNoNode;
    }
    if (operators.size() > 1) {
        error(file, node.Mark(),
              "a condition has one operator, found '" + operators[0] + "' and '" + operators[1] +
                  "': put one inside the other");
        return kNoNode;
    }
    const std::string op = operators.front();
    const YAML::Node value = values.at(op);
    if (of_node && op != "at_least") {
        error(file, of_node->Mark(), "of: belongs with at_least:");
        return kNoNode;
    }
    if (near_node && op != "all" && op != "at_least") {
        error(file, near_node->Mark(), "near: applies to all: or at_least: conditions");
        return kNoNode;
    }
    Context inner = context;
    if (in_node) {
        const auto mask = fields(*in_node, file);
        if (!mask)
            return kNoNode;
        inner.fields = *mask;
    }

    auto children_of = [&](const YAML::Node& list, std::string_view what,
                           std::vector<std::uint32_t>& out) {
        if (list.IsSequence()) {
            if (list.size() == 0) {
                error(file, list.Mark(), std::string(what) + " needs at least one condition");
                return false;
            }
            bool ok = true;
            for (const YAML::Node& child : list) {
                const std::uint32_t c = condition(child, inner, depth + 1);
                ok = ok && c != kNoNode;
                out.push_back(c);
            }
            return ok;
        }
        const std::uint32_t c = condition(list, inner, depth + 1);
        out.push_back(c);
        return c != kNoNode;
    };
    auto composite = [&](NodeKind kind, const std::vector<std::uint32_t>& kids) {
        Node n;
        n.kind = kind;
        n.where = where(file, node.Mark());
        n.first_child = static_cast<std::uint32_t>(impl_->children.size());
        n.child_count = static_cast<std::uint32_t>(kids.size());
        impl_->children.insert(impl_->children.end(), kids.begin(), kids.end());
        return add_node(std::move(n));
    };

    if (op == "term" || op == "regex") {
        Context saved = context;
        context.fields = inner.fields;
        const std::uint32_t id =
            atom_node(op == "term" ? term_atom(value, inner) : regex_atom(value, inner));
        context = saved;
        return id;
    }
    if (op == "list") {
        const auto name = scalar(value, file, "list:");
        if (!name)
            return kNoNode;
        const auto it = list_index_.find(*name);
        if (it == list_index_.end()) {
            std::vector<std::string> names;
            for (const ListInfo& l : impl_->lists)
                names.push_back(l.name);
            error(file, value.Mark(),
                  "undefined list '" + *name + "'" + did_you_mean(*name, names));
            return kNoNode;
        }
        impl_->lists[it->second].used = true;
        Context saved = context;
        context.fields = inner.fields;
        const std::uint32_t id = atom_node(impl_->lists[it->second].atom);
        context = saved;
        return id;
    }
    if (op == "similar_to_corpus") {
        const auto threshold = number(value, file, "similar_to_corpus:");
        if (!threshold)
            return kNoNode;
        if (*threshold < 0 || *threshold > 1) {
            error(file, value.Mark(), "similar_to_corpus: is a similarity between 0 and 1");
            return kNoNode;
        }
        *context.has_similarity = true;
        Node n;
        n.kind = NodeKind::similar;
        n.similarity = *threshold;
        n.where = where(file, node.Mark());
        return add_node(std::move(n));
    }
    std::vector<std::uint32_t> kids;
    if (op == "not") {
        if (value.IsSequence()) {
            // not: [a, b] — none of them.
            std::vector<std::uint32_t> alternatives;
            if (!children_of(value, "not:", alternatives))
                return kNoNode;
            kids.push_back(composite(NodeKind::any, alternatives));
        } else if (!children_of(value, "not:", kids)) {
            return kNoNode;
        }
        return composite(NodeKind::negation, kids);
    }
    if (op == "any" || op == "all") {
        if (!children_of(value, op + ":", kids))
            return kNoNode;
        const std::uint32_t id = composite(op == "any" ? NodeKind::any : NodeKind::all, kids);
        if (near_node)
            set_near(id, *near_node, file);
        return id;
    }
    // at_least: N, of: [...]
    const auto count = number(value, file, "at_least:");
    if (!count)
        return kNoNode;
    if (!of_node) {
        error(file, node.Mark(), "at_least: needs of: with the conditions to count");
        return kNoNode;
    }
    if (!children_of(*of_node, "of:", kids))
        return kNoNode;
    if (*count < 1 || *count != std::floor(*count) || *count > static_cast<double>(kids.size())) {
        error(file, value.Mark(),
              "at_least: must be a whole number from 1 to the " + std::to_string(kids.size()) +
                  " conditions under of:");
        return kNoNode;
    }
    const std::uint32_t id = composite(NodeKind::at_least, kids);
    impl_->nodes[id].at_least = static_cast<std::uint32_t>(*count);
    if (near_node)
        set_near(id, *near_node, file);
    return id;
}

bool RuleCompiler::can_hold_without_hits(std::uint32_t id) const {
    const Node& n = impl_->nodes[id];
    auto child = [&](std::uint32_t i) { return impl_->children[n.first_child + i]; };
    switch (n.kind) {
        case NodeKind::atom:
            return false;
        case NodeKind::similar:
        case NodeKind::negation:
            return true;
        case NodeKind::any:
            for (std::uint32_t i = 0; i < n.child_count; ++i) {
                if (can_hold_without_hits(child(i)))
                    return true;
            }
            return false;
        case NodeKind::all:
            for (std::uint32_t i = 0; i < n.child_count; ++i) {
                if (!can_hold_without_hits(child(i)))
                    return false;
            }
            return true;
        case NodeKind::at_least: {
            std::uint32_t possible = 0;
            for (std::uint32_t i = 0; i < n.child_count; ++i)
                possible += can_hold_without_hits(child(i)) ? 1 : 0;
            return possible >= n.at_least;
        }
    }
    return false;
}

bool RuleCompiler::trigger_atoms(std::uint32_t id, const std::vector<std::uint32_t>& usage,
                                 std::vector<std::uint32_t>& out) const {
    const Node& n = impl_->nodes[id];
    auto cost = [&](const std::vector<std::uint32_t>& atoms) {
        double total = 0;
        for (const std::uint32_t a : atoms)
            total += usage[a] + static_cast<double>(impl_->atoms[a].members.size()) / 64.0;
        return total;
    };
    switch (n.kind) {
        case NodeKind::atom:
            out.push_back(n.atom);
            return true;
        case NodeKind::similar:
        case NodeKind::negation:
            return false;
        case NodeKind::any:
            for (std::uint32_t i = 0; i < n.child_count; ++i) {
                if (!trigger_atoms(impl_->children[n.first_child + i], usage, out))
                    return false;
            }
            return true;
        case NodeKind::all:
        case NodeKind::at_least: {
            // all: any one child's trigger will do; at_least N of M: some child among any
            // M - N + 1 of them must hold, so the union of the cheapest M - N + 1 triggers.
            std::vector<std::pair<double, std::vector<std::uint32_t>>> options;
            for (std::uint32_t i = 0; i < n.child_count; ++i) {
                std::vector<std::uint32_t> atoms;
                if (trigger_atoms(impl_->children[n.first_child + i], usage, atoms))
                    options.emplace_back(cost(atoms), std::move(atoms));
            }
            const std::size_t needed =
                n.kind == NodeKind::all ? 1 : std::size_t{n.child_count} - n.at_least + 1;
            if (options.size() < needed)
                return false;
            std::sort(options.begin(), options.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
            for (std::size_t i = 0; i < needed; ++i)
                out.insert(out.end(), options[i].second.begin(), options[i].second.end());
            return true;
        }
    }
    return false;
}

void RuleCompiler::compile_rule(const Located& located) {
    const std::string& file = located.file;
    const YAML::Node& node = located.node;
    if (!node.IsMap()) {
        error(file, node.Mark(), "a rule is a mapping starting with id:");
        return;
    }
    CompiledRule rule;
    rule.info.where = where(file, node.Mark());
    rule.info.score = 1.0;
    std::vector<std::uint32_t> atoms_used;
    bool has_similarity = false;
    Context context{&file, default_fields_, &atoms_used, &has_similarity};
    std::optional<YAML::Node> match_node, not_node, near_node, fields_node, id_node;
    bool has_topic = false;

    for_each_key(node, file, kRuleKeys, "a rule",
                 [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
                     if (key == "id") {
                         id_node = value;
                         if (const auto id = scalar(value, file, "id:"))
                             rule.info.id = *id;
                     } else if (key == "title") {
                         if (const auto t = scalar(value, file, "title:"))
                             rule.info.title = *t;
                     } else if (key == "description") {
                         (void)scalar(value, file, "description:");
                     } else if (key == "topic") {
                         if (const auto t = scalar(value, file, "topic:")) {
                             rule.info.topic = *t;
                             has_topic = !t->empty();
                         }
                     } else if (key == "tags") {
                         if (const auto t = strings(value, file, "tags:"))
                             rule.info.tags = *t;
                     } else if (key == "score") {
                         if (const auto s = number(value, file, "score:"))
                             rule.info.score = *s;
                     } else if (key == "enabled") {
                         const auto e = scalar(value, file, "enabled:");
                         if (e == "true" || e == "yes")
                             rule.info.enabled = true;
                         else if (e == "false" || e == "no")
                             rule.info.enabled = false;
                         else if (e)
                             error(file, value.Mark(), "enabled: is true or false");
                     } else if (key == "source_tags") {
                         if (const auto tags = strings(value, file, "source_tags:")) {
                             for (const std::string& t : *tags)
                                 rule.source_tags.push_back(normalize_term(t));
                         }
                     } else if (key == "match") {
                         match_node = value;
                     } else if (key == "not") {
                         not_node = value;
                     } else if (key == "near") {
                         near_node = value;
                     } else if (key == "fields") {
                         fields_node = value;
                     }
                 });

    const std::string label =
        rule.info.id.empty() ? std::string("this rule") : "rule '" + rule.info.id + "'";
    static const std::string kIdCharacters =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    if (!id_node) {
        error(file, node.Mark(), "a rule needs id: (a short unique name such as cloud-abroad)");
    } else if (rule.info.id.empty() ||
               rule.info.id.find_first_not_of(kIdCharacters) != std::string::npos) {
        error(file, id_node->Mark(),
              "rule id '" + rule.info.id + "' may use only letters, digits, '.', '_' and '-'");
    } else if (const auto [it, inserted] = rule_where_.emplace(rule.info.id, rule.info.where);
               !inserted) {
        error(file, id_node->Mark(),
              "duplicate rule id '" + rule.info.id + "' (first defined at " + it->second + ")");
    }
    if (rule.info.title.empty())
        rule.info.title = rule.info.id;
    if (!has_topic && rule.info.score > 0) {
        error(file, node.Mark(), label + " needs topic: (digests group matches by topic)");
    }
    if (fields_node) {
        if (const auto mask = fields(*fields_node, file))
            context.fields = *mask;
    }
    if (!match_node) {
        error(file, node.Mark(), label + " needs match: with its conditions");
    } else {
        rule.match = condition(*match_node, context, 1);
        if (rule.match != kNoNode && near_node) {
            const Node& m = impl_->nodes[rule.match];
            if (m.kind != NodeKind::all && m.kind != NodeKind::at_least) {
                error(file, near_node->Mark(),
                      "near: needs the match to be all: or at_least: (what should be near what?)");
            } else if (m.near != ProximityKind::none) {
                error(file, near_node->Mark(), "near: is given both here and inside match:");
            } else {
                set_near(rule.match, *near_node, file);
            }
        }
    }
    if (not_node) {
        // The rule's exclusion: holds when its condition does; a list means "any of".
        if (not_node->IsSequence()) {
            std::vector<std::uint32_t> kids;
            bool ok = true;
            for (const YAML::Node& child : *not_node) {
                const std::uint32_t c = condition(child, context, 2);
                ok = ok && c != kNoNode;
                kids.push_back(c);
            }
            if (ok && !kids.empty()) {
                Node n;
                n.kind = NodeKind::any;
                n.where = where(file, not_node->Mark());
                n.first_child = static_cast<std::uint32_t>(impl_->children.size());
                n.child_count = static_cast<std::uint32_t>(kids.size());
                impl_->children.insert(impl_->children.end(), kids.begin(), kids.end());
                rule.exclusion = add_node(std::move(n));
            }
        } else {
            rule.exclusion = condition(*not_node, context, 2);
        }
    }
    if (rule.match != kNoNode) {
        rule.can_hold_without_hits = can_hold_without_hits(rule.match);
        if (rule.can_hold_without_hits && !has_similarity) {
            warning(file, match_node->Mark(),
                    label +
                        " can hold without any of its terms occurring, so it is evaluated "
                        "for every item (a not: with nothing beside it?)");
        }
    }
    impl_->rule_infos.push_back(rule.info);
    impl_->rules.push_back(std::move(rule));
    rule_atoms_.push_back(std::move(atoms_used));
}

void RuleCompiler::finish(const std::vector<RuleFile>& files) {
    RuleSet::Impl& impl = *impl_;
    // Regex patterns take the ids after the literals.
    const auto literal_count = static_cast<std::uint32_t>(impl.literals.size());
    for (Atom& atom : impl.atoms) {
        for (auto& [pattern, display] : atom.members) {
            if (pattern & 0x80000000u)
                pattern = literal_count + (pattern & 0x7fffffffu);
        }
        std::sort(atom.members.begin(), atom.members.end());
        atom.members.erase(
            std::unique(atom.members.begin(), atom.members.end(),
                        [](const auto& a, const auto& b) { return a.first == b.first; }),
            atom.members.end());
    }

    std::vector<std::string> texts;
    texts.reserve(impl.literals.size());
    for (const Literal& l : impl.literals)
        texts.push_back(l.text);
    AhoCorasick::Options options;
    options.read_as.emplace_back('\n', ' ');
    impl.automaton = AhoCorasick(texts, options);

    if (!impl.regexes.empty()) {
        RE2::Options re_options;
        re_options.set_case_sensitive(false);
        re_options.set_log_errors(false);
        re_options.set_max_mem(kRegexSetMaxMemory);
        impl.regex_set = std::make_unique<RE2::Set>(re_options, RE2::UNANCHORED);
        for (const std::string& source : impl.regex_sources) {
            std::string set_error;
            if (impl.regex_set->Add(source, &set_error) < 0) {
                add(Severity::error, files.empty() ? std::string() : files.front().path,
                    YAML::Mark::null_mark(), "regex /" + source + "/: " + set_error);
            }
        }
        if (!impl.regex_set->Compile()) {
            add(Severity::error, files.empty() ? std::string() : files.front().path,
                YAML::Mark::null_mark(), "the regexes together exceed the memory limit");
        }
    }

    // Pattern → atoms.
    const std::size_t patterns = impl.pattern_count();
    // (atom, its display of the pattern); a pattern listed twice in an atom (two alternatives
    // that normalise alike) shows the display of its first listing.
    std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> pattern_atoms(patterns);
    for (std::uint32_t a = 0; a < impl.atoms.size(); ++a) {
        const auto& members = impl.atoms[a].members;
        for (std::size_t m = 0; m < members.size(); ++m) {
            const std::uint32_t first_display = m > 0 && members[m - 1].first == members[m].first
                                                    ? pattern_atoms[members[m].first].back().second
                                                    : members[m].second;
            pattern_atoms[members[m].first].emplace_back(a, first_display);
        }
    }
    impl.pattern_atoms_begin.assign(patterns + 1, 0);
    for (std::size_t p = 0; p < patterns; ++p) {
        impl.pattern_atoms_begin[p] = static_cast<std::uint32_t>(impl.pattern_atoms.size());
        for (const auto& [atom, display] : pattern_atoms[p]) {
            impl.pattern_atoms.push_back(atom);
            impl.pattern_atom_displays.push_back(display);
        }
    }
    impl.pattern_atoms_begin[patterns] = static_cast<std::uint32_t>(impl.pattern_atoms.size());

    // Pattern → list entries.
    std::sort(entity_aliases_.begin(), entity_aliases_.end());
    entity_aliases_.erase(std::unique(entity_aliases_.begin(), entity_aliases_.end()),
                          entity_aliases_.end());
    impl.pattern_entities_begin.assign(patterns + 1, 0);
    std::size_t e = 0;
    for (std::size_t p = 0; p < patterns; ++p) {
        impl.pattern_entities_begin[p] = static_cast<std::uint32_t>(impl.pattern_entities.size());
        for (; e < entity_aliases_.size() && entity_aliases_[e].first == p; ++e)
            impl.pattern_entities.push_back(entity_aliases_[e].second);
    }
    impl.pattern_entities_begin[patterns] =
        static_cast<std::uint32_t>(impl.pattern_entities.size());

    // Atom → enabled rules it triggers; rules that may hold without hits are always evaluated.
    std::vector<std::uint32_t> usage(impl.atoms.size(), 0);
    for (std::vector<std::uint32_t>& used : rule_atoms_) {
        std::sort(used.begin(), used.end());
        used.erase(std::unique(used.begin(), used.end()), used.end());
        for (const std::uint32_t a : used)
            ++usage[a];
    }
    std::vector<std::vector<std::uint32_t>> atom_rules(impl.atoms.size());
    for (std::uint32_t r = 0; r < impl.rules.size(); ++r) {
        const CompiledRule& rule = impl.rules[r];
        if (!rule.info.enabled || rule.match == kNoNode)
            continue;
        std::vector<std::uint32_t> triggers;
        if (rule.can_hold_without_hits || !trigger_atoms(rule.match, usage, triggers)) {
            impl.always_evaluated_rules.push_back(r);
            continue;
        }
        std::sort(triggers.begin(), triggers.end());
        triggers.erase(std::unique(triggers.begin(), triggers.end()), triggers.end());
        for (const std::uint32_t a : triggers)
            atom_rules[a].push_back(r);
    }
    impl.atom_rules_begin.assign(impl.atoms.size() + 1, 0);
    for (std::size_t a = 0; a < impl.atoms.size(); ++a) {
        impl.atom_rules_begin[a] = static_cast<std::uint32_t>(impl.atom_rules.size());
        impl.atom_rules.insert(impl.atom_rules.end(), atom_rules[a].begin(), atom_rules[a].end());
    }
    impl.atom_rules_begin[impl.atoms.size()] = static_cast<std::uint32_t>(impl.atom_rules.size());

    for (const Node& n : impl.nodes) {
        if (n.kind == NodeKind::atom)
            impl.scanned_fields |= n.fields;
    }
    // Entity lists no rule uses still count mentions, in the default fields.
    impl.scanned_fields |= default_fields_;
    for (const PendingList& pending : pending_lists_) {
        const auto it = list_index_.find(pending.name);
        if (it != list_index_.end() && !impl.lists[it->second].used &&
            !impl.lists[it->second].entities &&
            impl.lists[it->second].where == where(pending.file, pending.mark)) {
            warning(pending.file, pending.mark,
                    "list '" + pending.name + "' is not used by any rule");
        }
    }
    if (impl.rules.empty() && !has_errors(diagnostics_)) {
        add(Severity::error, files.empty() ? std::string("(no files)") : files.front().path,
            YAML::Mark::null_mark(), "no rules: a rules directory needs at least one rule");
    }
    impl.version = sha256_hex_prefix(files);
}

LoadResult RuleCompiler::compile(const std::vector<RuleFile>& files) {
    for (const RuleFile& f : files)
        read_file(f);
    compile_settings();
    compile_lists();
    for (const Located& rule : pending_rules_)
        compile_rule(rule);
    if (!has_errors(diagnostics_))
        finish(files);
    std::stable_sort(
        diagnostics_.begin(), diagnostics_.end(), [](const Diagnostic& a, const Diagnostic& b) {
            return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
        });
    LoadResult result;
    result.diagnostics = std::move(diagnostics_);
    if (!has_errors(result.diagnostics))
        result.rules = std::shared_ptr<const RuleSet>(new RuleSet(std::move(impl_)));
    return result;
}

// --- RuleSet: loading -------------------------------------------------------------------------

RuleSet::RuleSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RuleSet::~RuleSet() = default;

std::vector<RuleFile> RuleSet::read_rule_files(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw Error(ErrorKind::config, "rules directory not found", dir.string());
    std::vector<fs::path> paths;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec)
        throw Error(ErrorKind::config, "cannot read the rules directory: " + ec.message(),
                    dir.string());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) {
            throw Error(ErrorKind::config, "cannot read the rules directory: " + ec.message(),
                        dir.string());
        }
        const fs::path& path = it->path();
        const std::string name = path.filename().string();
        if (!name.empty() && name.front() == '.') {
            if (it->is_directory(ec))
                it.disable_recursion_pending();
            continue;
        }
        const std::string extension = path.extension().string();
        if ((extension == ".yaml" || extension == ".yml") && it->is_regular_file(ec))
            paths.push_back(path);
        if (paths.size() > kMaxRuleFiles) {
            throw Error(ErrorKind::config,
                        "more than " + std::to_string(kMaxRuleFiles) + " rule files", dir.string());
        }
    }
    std::sort(paths.begin(), paths.end());
    std::vector<RuleFile> files;
    for (const fs::path& path : paths) {
        RuleFile file;
        file.path = path.string();
        file.relative_path = path.lexically_relative(dir).generic_string();
        try {
            file.contents = chuhai::read_file(path, kMaxRuleFileBytes);
        } catch (const Error& e) {
            throw Error(ErrorKind::config, e.message(), path.string());
        }
        files.push_back(std::move(file));
    }
    if (files.empty())
        throw Error(ErrorKind::config, "no rule files (*.yaml) in the rules directory",
                    dir.string());
    return files;
}

LoadResult RuleSet::compile(const std::vector<RuleFile>& files) {
    RuleCompiler compiler;
    return compiler.compile(files);
}

LoadResult RuleSet::try_load(const std::filesystem::path& dir) {
    try {
        return compile(read_rule_files(dir));
    } catch (const Error& e) {
        LoadResult result;
        Diagnostic d;
        d.file = e.where();
        d.message = e.message();
        result.diagnostics.push_back(std::move(d));
        return result;
    }
}

std::vector<Diagnostic> RuleSet::check(const std::filesystem::path& dir) {
    return try_load(dir).diagnostics;
}

std::shared_ptr<const RuleSet> RuleSet::load(const std::filesystem::path& dir) {
    LoadResult result = try_load(dir);
    if (result.rules)
        return result.rules;
    std::size_t errors = 0;
    const Diagnostic* first = nullptr;
    for (const Diagnostic& d : result.diagnostics) {
        if (d.severity == Severity::error) {
            ++errors;
            if (first == nullptr)
                first = &d;
        }
    }
    std::string message = first->message;
    if (errors > 1) {
        message += " (and " + std::to_string(errors - 1) + " more error" + (errors > 2 ? "s" : "") +
                   "; run 'chuhai rules check')";
    }
    throw Error(ErrorKind::config, message, first->where());
}

double RuleSet::threshold() const {
    return impl_->threshold;
}
const std::string& RuleSet::version() const {
    return impl_->version;
}
std::size_t RuleSet::rule_count() const {
    return impl_->rules.size();
}
const std::vector<RuleInfo>& RuleSet::rules() const {
    return impl_->rule_infos;
}

RuleSetStats RuleSet::stats() const {
    RuleSetStats s;
    s.rules = impl_->rules.size();
    for (const CompiledRule& r : impl_->rules)
        s.enabled_rules += r.info.enabled ? 1 : 0;
    s.lists = impl_->lists.size();
    for (const ListInfo& l : impl_->lists)
        s.list_entries += l.entry_names.size();
    s.literal_patterns = impl_->literals.size();
    s.regexes = impl_->regexes.size();
    s.automaton_states = impl_->automaton.state_count();
    s.automaton_bytes = impl_->automaton.memory_bytes();
    return s;
}

// --- Diagnostics ------------------------------------------------------------------------------

std::string Diagnostic::where() const {
    if (line <= 0)
        return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string Diagnostic::to_string() const {
    return where() + ": " + (severity == Severity::warning ? "warning: " : "") + message;
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::error; });
}

}  // namespace chuhai::match
