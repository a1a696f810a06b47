#include "store/search_tokenizer.h"

#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "store/terms.h"

namespace chuhai::store {

namespace {

// The tokenizer keeps no state, so every instance is this one object.
char tokenizer_instance;

int create_tokenizer(void*, const char**, int, Fts5Tokenizer** out) {
    *out = reinterpret_cast<Fts5Tokenizer*>(&tokenizer_instance);
    return SQLITE_OK;
}

void delete_tokenizer(Fts5Tokenizer*) {}

int tokenize(Fts5Tokenizer*, void* context, int flags, const char* text, int length,
             int (*emit_token)(void*, int, const char*, int, int, int)) {
    // Queries get bigrams only; documents, and the re-tokenizing that snippet() and
    // highlight() do on document text (FTS5_TOKENIZE_AUX), get the trailing single characters
    // too, so positions agree with the index.
    const TermMode mode = (flags & FTS5_TOKENIZE_QUERY) != 0 ? TermMode::query : TermMode::index;
    int rc = SQLITE_OK;
    try {
        split_terms(
            std::string_view(text, static_cast<std::size_t>(length)), mode, [&](const Term& term) {
                rc = emit_token(context, 0, term.text.data(), static_cast<int>(term.text.size()),
                                static_cast<int>(term.begin), static_cast<int>(term.end));
                return rc == SQLITE_OK;
            });
    } catch (const std::bad_alloc&) {
        return SQLITE_NOMEM;
    } catch (...) {
        // Nothing may cross back into SQLite's C code.
        return SQLITE_ERROR;
    }
    return rc;
}

fts5_tokenizer tokenizer_methods{create_tokenizer, delete_tokenizer, tokenize};

fts5_api* fts5_api_of(sqlite3* db) {
    fts5_api* api = nullptr;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &statement, nullptr) != SQLITE_OK)
        return nullptr;
    sqlite3_bind_pointer(statement, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(statement);
    sqlite3_finalize(statement);
    return api;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void append_quoted(std::string& out, std::string_view chunk) {
    out += '"';
    for (const char c : chunk) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
}

void in_set(sqlite3_context* context, int, sqlite3_value** arguments) {
    const auto* set =
        static_cast<const IdSet*>(sqlite3_value_pointer(arguments[1], kIdSetPointerType));
    const bool found = set != nullptr && std::binary_search(set->begin(), set->end(),
                                                            sqlite3_value_int64(arguments[0]));
    sqlite3_result_int(context, found ? 1 : 0);
}

}  // namespace

void register_search_functions(sqlite3* db, const std::string& path) {
    const int rc = sqlite3_create_function_v2(db, "chuhai_in_set", 2, SQLITE_UTF8, nullptr, in_set,
                                              nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        throw Error(ErrorKind::store,
                    std::string("cannot register chuhai_in_set(): ") + sqlite3_errstr(rc), path);
    }
}

void register_search_tokenizer(sqlite3* db, const std::string& path) {
    fts5_api* api = fts5_api_of(db);
    if (api == nullptr || api->iVersion < 2)
        throw Error(ErrorKind::store, "this SQLite library has no FTS5 full-text search", path);
    const int rc =
        api->xCreateTokenizer(api, kSearchTokenizerName, nullptr, &tokenizer_methods, nullptr);
    if (rc != SQLITE_OK) {
        throw Error(ErrorKind::store,
                    std::string("cannot register the search tokenizer: ") + sqlite3_errstr(rc),
                    path);
    }
}

std::string build_match_expression(std::string_view user_query) {
    std::string expression;
    std::size_t i = 0;
    while (i < user_query.size()) {
        if (is_space(user_query[i])) {
            ++i;
            continue;
        }
        std::string_view chunk;
        if (user_query[i] == '"') {
            const std::size_t close = user_query.find('"', i + 1);
            const std::size_t end = close == std::string_view::npos ? user_query.size() : close;
            chunk = user_query.substr(i + 1, end - i - 1);
            i = close == std::string_view::npos ? end : close + 1;
        } else {
            std::size_t end = i;
            while (end < user_query.size() && !is_space(user_query[end]) && user_query[end] != '"')
                ++end;
            chunk = user_query.substr(i, end - i);
            i = end;
        }
        std::size_t term_count = 0;
        bool last_is_single_cjk = false;
        split_terms(chunk, TermMode::query, [&](const Term& term) {
            ++term_count;
            last_is_single_cjk = term.kind == Term::Kind::cjk_single;
            return true;
        });
        if (term_count == 0)
            continue;
        if (!expression.empty())
            expression += " AND ";
        append_quoted(expression, chunk);
        // A lone CJK character is indexed as the first half of bigrams and as the last
        // character of runs: a prefix search finds both.
        if (last_is_single_cjk)
            expression += " *";
    }
    return expression;
}

}  // namespace chuhai::store
