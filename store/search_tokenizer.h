#pragma once
// The FTS5 tokenizer "chuhai" (store/terms.h as an FTS5 tokenizer) and the translation of what a
// user types into an FTS5 MATCH expression.
//
// The tokenizer must be registered on every connection that reads or writes the items table,
// because the triggers that keep the index in sync call it; store::open_database() does so. (A
// plain `sqlite3` shell can read the database but cannot change items: "no such tokenizer".)

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chuhai::store {

inline constexpr const char* kSearchTokenizerName = "chuhai";

// Registers the tokenizer on the connection. Throws Error(store) when FTS5 is unavailable.
void register_search_tokenizer(sqlite3* db, const std::string& path);

// A sorted set of item ids that a query passes as a bound pointer (sqlite3_bind_pointer with
// kIdSetPointerType) to the SQL function chuhai_in_set(id, set), which tells whether the id is
// in it. Search filters by topic or source this way: the set is read once, and each candidate is
// checked in memory instead of by a lookup per row.
using IdSet = std::vector<std::int64_t>;
inline constexpr const char* kIdSetPointerType = "chuhai_id_set";

// Registers chuhai_in_set() on the connection.
void register_search_functions(sqlite3* db, const std::string& path);

// Builds a MATCH expression from free text: words and "quoted phrases" must all occur (AND);
// every word is quoted, so FTS5 operators and punctuation in the input are taken literally and
// can never be a syntax error. A CJK word of several characters becomes a phrase of bigrams
// (the tokenizer does that); a single CJK character becomes a prefix search. Returns an empty
// string when the text holds no searchable term.
std::string build_match_expression(std::string_view user_query);

}  // namespace chuhai::store
