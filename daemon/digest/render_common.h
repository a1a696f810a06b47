#pragma once
// Pieces shared by the renderers (internal to chuhai_digest).

#include <initializer_list>
#include <string>
#include <string_view>

#include "digest/digest.h"

namespace chuhai::digest::detail {

// Joins pieces into one string. (Also sidesteps g++ 12's false -Wrestrict alarm on
// `"literal" + std::string` chains at -O2, GCC bug 105651.)
std::string concat(std::initializer_list<std::string_view> pieces);

// "2025-07-01 08:00 CST" in the digest's zone.
std::string local_time(const Digest& digest, UtcTime t);
// "2025-07-01 08:00 → 2025-07-02 08:00 CST".
std::string period_text(const Digest& digest);
// Short label for a chart column: "07-01" for day-long or longer periods, "07-01 08:00" else.
std::string period_label(const Digest& digest, const Period& period);
// "▲ +3", "▼ -2", "= 0".
std::string trend_text(const CountChange& change);
// A link a reader may click: http(s), no white space or control characters, no quotes or angle
// brackets that could break out of an attribute, at most 2048 bytes.
bool is_web_link(std::string_view url);
// "Matched: rule (term, term); rule (term)" without the prefix; empty without evidence.
std::string evidence_text(const Story& story);
// "SCMP (3 stories)"-style counts for the header, at most `max` entries, each "name n marker".
std::string counts_line(const std::vector<CountChange>& counts, std::size_t max);
// A score with at most two decimals ("7.5", "12").
std::string score_text(double score);
// Percent-encodes the characters a chat format reserves in link targets (and white space).
std::string encode_link_target(std::string_view url, std::string_view reserved);

}  // namespace chuhai::digest::detail
