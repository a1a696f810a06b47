#include "match/explanation.h"

#include <cstdio>

namespace chuhai::match {

namespace {

std::string format_score(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", value);
    return buffer;
}

// "+15", "-12": what the rule adds to the document's score.
std::string format_signed(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%+g", value);
    return buffer;
}

// Evidence on one line: field[begin,end) "text", with line breaks shown as spaces.
std::string format_evidence(const Evidence& e) {
    std::string text = e.text;
    for (char& c : text) {
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
    }
    std::string out = std::string(field_name(e.field)) + "[" + std::to_string(e.begin) + "," +
                      std::to_string(e.end) + ") \"" + text + "\"";
    if (!e.list.empty() && e.term != e.text)
        out += " = " + e.term;
    return out;
}

void render_trace(const ConditionTrace& t, int depth, std::string& out) {
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
    out += t.held ? "[+] " : "[-] ";
    out += t.label;
    if (!t.note.empty())
        out += "  (" + t.note + ")";
    for (std::size_t i = 0; i < t.hits.size(); ++i)
        out += (i == 0 ? "  " : ", ") + format_evidence(t.hits[i]);
    if (!t.where.empty())
        out += "  @" + t.where;
    out += '\n';
    for (const ConditionTrace& child : t.children)
        render_trace(child, depth + 1, out);
}

}  // namespace

std::string render_explanation(const Explanation& explanation, bool verbose) {
    const MatchResult& r = explanation.result;
    std::string out;
    out += std::string("verdict: ") + (r.matched ? "MATCH" : "no match") + "  score " +
           format_score(r.score) + " (threshold " + format_score(r.threshold) + ")  rules " +
           r.rules_version + "\n";
    if (!r.topics.empty()) {
        out += "topics:";
        for (const std::string& t : r.topics)
            out += " " + t;
        out += '\n';
    }
    if (!r.entities.empty()) {
        out += "mentions:";
        std::string list;
        for (const EntityMention& m : r.entities) {
            if (m.list != list) {
                out += (list.empty() ? " " : "; ") + m.list + ":";
                list = m.list;
            }
            out += " " + m.name + " x" + std::to_string(m.count);
        }
        out += '\n';
    }
    if (r.hits_truncated)
        out += "note: the document has more term occurrences than are kept; some were ignored\n";
    out += '\n';
    for (const RuleVerdict& v : explanation.rules) {
        out += v.held ? "[+] " : "[-] ";
        out += v.id;
        if (v.held)
            out += "  " + format_signed(v.score);
        out += "  \"" + v.title + "\"";
        if (!v.topic.empty())
            out += "  [" + v.topic + "]";
        out += "  " + v.note + "  @" + v.where + "\n";
        const bool far = v.note == "none of its key terms occurs" || v.note == "disabled";
        if (far && !verbose)
            continue;
        if (v.match)
            render_trace(*v.match, 1, out);
        if (v.exclusion) {
            out += "    not:\n";
            render_trace(*v.exclusion, 2, out);
        }
    }
    return out;
}

}  // namespace chuhai::match
