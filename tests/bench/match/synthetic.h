#pragma once
// The synthetic rule sets and items of the matching benchmark (match_bench.cc), shared with
// match_dump.cc, which prints the verdicts on them so that a change of the engine can be
// checked to change none.
//
// The rule sets are shaped like the default pack: every rule combines a term of its own (a
// company), a shared entity list (places) and a shared vocabulary list, with proximity; a tenth
// of the rules add a not: and a tenth are "at least 2 of" their company, its lab and a place.

#include <cstddef>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "match/document.h"

namespace chuhai::bench {

inline constexpr std::size_t kItems = 1000;

inline const char* const kFiller[] = {
    "the",    "company", "said",  "on",       "tuesday",  "that",     "its",         "new",
    "market", "growth",  "would", "continue", "next",     "year",     "as",          "demand",
    "from",   "clients", "rose",  "sharply",  "while",    "analysts", "expect",      "margins",
    "to",     "remain",  "under", "pressure", "amid",     "strong",   "competition", "in",
    "the",    "region",  "and",   "beyond",   "with",     "several",  "partners",    "report",
    "shows",  "sales",   "of",    "devices",  "services", "software", "plans"};
inline const char* const kPlaces[] = {"Mexico",  "Brazil", "Saudi Arabia", "Singapore", "Malaysia",
                                      "Germany", "Kenya",  "Thailand",     "Japan",     "France"};
inline const char* const kChineseFiller[] = {"公司", "表示", "今年", "市场", "增长",
                                             "客户", "服务", "继续", "合作", "发布",
                                             "计划", "预计", "业务", "需求"};

// The made-up company name of rule i, unique per rule: "Zarqon17", …
inline std::string company(std::size_t i) {
    static const char* const kSyllables[] = {"zar", "qon", "vel", "tri",
                                             "mok", "dax", "lun", "pes"};
    std::string name;
    std::size_t n = i + 1;
    while (n > 0) {
        name += kSyllables[n % 8];
        n /= 8;
    }
    name[0] = static_cast<char>(name[0] - 32);
    return name + std::to_string(i % 97);
}

inline std::string rules_yaml(std::size_t rule_count) {
    std::string yaml = "settings:\n  threshold: 10\nentities:\n  places:\n";
    for (const char* p : kPlaces)
        yaml += std::string("    - ") + p + "\n";
    yaml +=
        "lists:\n  expansion:\n    - overseas | abroad | expand* globally | 出海 | 海外\n"
        "    - data centre* | data center* | 数据中心\n"
        "rules:\n";
    for (std::size_t i = 0; i < rule_count; ++i) {
        const std::string id = std::to_string(i);
        yaml += "  - id: r" + id + "\n    topic: t" + std::to_string(i % 10) + "\n    score: 10\n";
        if (i % 10 == 3) {
            yaml += "    match:\n      at_least: 2\n      of: [\"" + company(i) + "\", \"" +
                    company(i) + " Labs\", {list: places}]\n      near: 30 words\n";
        } else {
            yaml += "    match:\n      all: [\"" + company(i) + " | " + company(i) +
                    " Cloud\", {list: places}, {list: expansion}]\n      near: 40 words\n";
        }
        if (i % 10 == 7)
            yaml += "    not: [price target]\n";
    }
    return yaml;
}

// Items with a title of about 10 words and a body of about 1 KB. Related items name two
// companies of the rule set, a place and an expansion term (one or two rules hold); unrelated
// ones, like most of a feed, name only a place.
inline std::vector<match::Document> make_items(std::size_t rule_count, bool chinese,
                                               bool related = true) {
    std::mt19937 rng(42);
    std::vector<match::Document> items;
    items.reserve(kItems);
    auto filler = [&](std::size_t bytes) {
        std::string s;
        while (s.size() < bytes) {
            if (chinese) {
                s += kChineseFiller[rng() % std::size(kChineseFiller)];
                if (rng() % 12 == 0)
                    s += "，";
            } else {
                s += kFiller[rng() % std::size(kFiller)];
                s += (rng() % 14 == 0) ? ". " : " ";
            }
        }
        return s;
    };
    for (std::size_t i = 0; i < kItems; ++i) {
        match::Document d;
        const std::string a = related ? company(rng() % rule_count) : std::string("Someone");
        const std::string b = related ? company(rng() % rule_count) : std::string("someone");
        const std::string place = kPlaces[rng() % std::size(kPlaces)];
        d.title = a + " " + filler(40) + " " + place;
        d.content = filler(400) + " " + b + (chinese ? "在" : " opens a data centre in ") + place +
                    (chinese ? "出海 " : " as it expands abroad ") + filler(560);
        items.push_back(std::move(d));
    }
    return items;
}

}  // namespace chuhai::bench
