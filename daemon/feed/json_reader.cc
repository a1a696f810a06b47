#include "feed/json_reader.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/hex.h"

namespace chuhai::feed::detail {

namespace {

// Beyond this the reader refuses a document rather than recurse deeper (the feed reader
// refuses more than 64 levels before parsing).
constexpr int kMaxDepth = 512;

bool is_json_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void append_utf8(char32_t cp, std::string& out) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// The length of the well-formed UTF-8 sequence at `s[i]` (a byte of 0x80 or more), with the
// byte ranges of RFC 3629 that nlohmann's lexer checks; 0 when it is ill-formed.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) {
        return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
    };
    const unsigned c = byte(0);
    auto in = [&](std::size_t k, unsigned low, unsigned high) {
        return byte(k) >= low && byte(k) <= high;
    };
    if (c >= 0xC2 && c <= 0xDF)
        return in(1, 0x80, 0xBF) ? 2 : 0;
    if (c == 0xE0)
        return in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
        return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
    if (c == 0xED)
        return in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF) ? 3 : 0;
    if (c == 0xF0)
        return in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3)
        return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    if (c == 0xF4)
        return in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    return 0;
}

// The first byte at or after `i` that a string scan must look at: '"', '\\', a control
// character or a byte of 0x80 or more. Sixteen bytes at a time where SSE2 is available.
std::size_t next_special(std::string_view s, std::size_t i) {
    const std::size_t n = s.size();
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i low = _mm_set1_epi8(0x1F);
    while (i + 16 <= n) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        const __m128i special =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                         _mm_cmpeq_epi8(_mm_max_epu8(v, low), low));
        // movemask of v itself: the bytes of 0x80 or more.
        const int mask = _mm_movemask_epi8(special) | _mm_movemask_epi8(v);
        if (mask != 0)
            return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
        i += 16;
    }
#endif
    while (i < n) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            break;
        ++i;
    }
    return i;
}

}  // namespace

class JsonDocument::Parser {
  public:
    Parser(JsonDocument& document, std::string_view text) : doc_(document), s_(text) {}

    bool run() {
        skip_space();
        if (!value(0))
            return false;
        skip_space();
        return i_ == s_.size();
    }

  private:
    void skip_space() {
        while (i_ < s_.size() && is_json_space(s_[i_]))
            ++i_;
    }

    bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }

    std::uint32_t add(Kind kind) {
        doc_.nodes_.push_back(Node{});
        doc_.nodes_.back().kind = kind;
        return static_cast<std::uint32_t>(doc_.nodes_.size() - 1);
    }

    // One value at i_ (no whitespace before it), appended as a node with its children.
    bool value(int depth) {
        if (i_ >= s_.size())
            return false;
        switch (s_[i_]) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"': {
                const std::uint32_t index = add(Kind::string);
                std::string_view text;
                if (!string(text))
                    return false;
                doc_.nodes_[index].text = text;
                return true;
            }
            case 't':
                return literal("true", Kind::boolean);
            case 'f':
                return literal("false", Kind::boolean);
            case 'n':
                return literal("null", Kind::null);
            default:
                return number();
        }
    }

    bool literal(std::string_view word, Kind kind) {
        if (s_.substr(i_, word.size()) != word)
            return false;
        i_ += word.size();
        add(kind);
        return true;
    }

    bool object(int depth) {
        if (depth > kMaxDepth)
            return false;
        const std::uint32_t index = add(Kind::object);
        ++i_;  // '{'
        skip_space();
        if (at('}')) {
            ++i_;
            return true;
        }
        std::uint32_t previous = kNone;
        for (;;) {
            if (!at('"'))
                return false;
            std::string_view key;
            if (!string(key))
                return false;
            skip_space();
            if (!at(':'))
                return false;
            ++i_;
            skip_space();
            const auto member = static_cast<std::uint32_t>(doc_.nodes_.size());
            if (!value(depth))
                return false;
            doc_.nodes_[member].key = key;
            link(index, previous, member);
            previous = member;
            skip_space();
            if (at(',')) {
                ++i_;
                skip_space();
                continue;
            }
            if (at('}')) {
                ++i_;
                return true;
            }
            return false;
        }
    }

    bool array(int depth) {
        if (depth > kMaxDepth)
            return false;
        const std::uint32_t index = add(Kind::array);
        ++i_;  // '['
        skip_space();
        if (at(']')) {
            ++i_;
            return true;
        }
        std::uint32_t previous = kNone;
        for (;;) {
            const auto element = static_cast<std::uint32_t>(doc_.nodes_.size());
            if (!value(depth))
                return false;
            link(index, previous, element);
            previous = element;
            skip_space();
            if (at(',')) {
                ++i_;
                skip_space();
                continue;
            }
            if (at(']')) {
                ++i_;
                return true;
            }
            return false;
        }
    }

    void link(std::uint32_t parent, std::uint32_t previous, std::uint32_t child) {
        if (previous == kNone)
            doc_.nodes_[parent].first = child;
        else
            doc_.nodes_[previous].next = child;
    }

    // A string at i_ ('"'); `out` views the text when it has no escapes, else the decoded
    // copy in doc_.decoded_.
    bool string(std::string_view& out) {
        ++i_;  // '"'
        const std::size_t start = i_;
        std::size_t decoded_start = std::string::npos;  // set once an escape is met
        std::size_t run = i_;
        for (;;) {
            i_ = next_special(s_, i_);
            if (i_ >= s_.size())
                return false;
            const auto c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') {
                if (decoded_start == std::string::npos) {
                    out = s_.substr(start, i_ - start);
                } else {
                    doc_.decoded_.append(s_.substr(run, i_ - run));
                    out = std::string_view(doc_.decoded_).substr(decoded_start);
                }
                ++i_;
                return true;
            }
            if (c < 0x20)
                return false;
            if (c >= 0x80) {
                const std::size_t length = utf8_sequence(s_, i_);
                if (length == 0)
                    return false;
                i_ += length;
                continue;
            }
            // '\\'
            if (decoded_start == std::string::npos)
                decoded_start = doc_.decoded_.size();
            doc_.decoded_.append(s_.substr(run, i_ - run));
            if (!escape())
                return false;
            run = i_;
        }
    }

    // An escape at i_ ('\\'), decoded into doc_.decoded_.
    bool escape() {
        if (i_ + 1 >= s_.size())
            return false;
        const char kind = s_[i_ + 1];
        i_ += 2;
        std::string& out = doc_.decoded_;
        switch (kind) {
            case '"':
                out.push_back('"');
                return true;
            case '\\':
                out.push_back('\\');
                return true;
            case '/':
                out.push_back('/');
                return true;
            case 'b':
                out.push_back('\b');
                return true;
            case 'f':
                out.push_back('\f');
                return true;
            case 'n':
                out.push_back('\n');
                return true;
            case 'r':
                out.push_back('\r');
                return true;
            case 't':
                out.push_back('\t');
                return true;
            case 'u':
                break;
            default:
                return false;
        }
        const int unit = hex4();
        if (unit < 0)
            return false;
        char32_t code_point = static_cast<char32_t>(unit);
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            // A high surrogate must be followed by an escaped low one.
            if (i_ + 1 >= s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u')
                return false;
            i_ += 2;
            const int low = hex4();
            if (low < 0xDC00 || low > 0xDFFF)
                return false;
            code_point = 0x10000 + ((static_cast<char32_t>(unit) - 0xD800) << 10) +
                         (static_cast<char32_t>(low) - 0xDC00);
        } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
            return false;
        }
        append_utf8(code_point, out);
        return true;
    }

    // Four hex digits at i_, or -1.
    int hex4() {
        if (i_ + 4 > s_.size())
            return -1;
        int value = 0;
        for (int k = 0; k < 4; ++k) {
            const int digit = hex_digit_value(s_[i_ + static_cast<std::size_t>(k)]);
            if (digit < 0)
                return -1;
            value = value * 16 + digit;
        }
        i_ += 4;
        return value;
    }

    bool digits() {
        const std::size_t start = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9')
            ++i_;
        return i_ > start;
    }

    // A number by RFC 8259's grammar. Integers that fit 64 bits (signed when negative,
    // unsigned otherwise) are integers; the rest are doubles, refused when they overflow, as
    // nlohmann does.
    bool number() {
        const std::size_t start = i_;
        const bool negative = at('-');
        if (negative)
            ++i_;
        if (at('0')) {
            ++i_;
        } else if (i_ < s_.size() && s_[i_] >= '1' && s_[i_] <= '9') {
            digits();
        } else {
            return false;
        }
        const std::size_t integer_end = i_;
        bool is_float = false;
        if (at('.')) {
            ++i_;
            if (!digits())
                return false;
            is_float = true;
        }
        if (at('e') || at('E')) {
            ++i_;
            if (at('+') || at('-'))
                ++i_;
            if (!digits())
                return false;
            is_float = true;
        }
        if (!is_float) {
            std::uint64_t magnitude = 0;
            bool fits = true;
            for (std::size_t k = start + (negative ? 1 : 0); k < integer_end && fits; ++k) {
                const auto digit = static_cast<std::uint64_t>(s_[k] - '0');
                fits = magnitude <= (UINT64_MAX - digit) / 10;
                magnitude = magnitude * 10 + digit;
            }
            if (negative)
                fits = fits && magnitude <= std::uint64_t{1} << 63;
            if (fits) {
                const std::uint32_t index = add(Kind::integer);
                doc_.nodes_[index].integer = negative ? static_cast<long long>(0 - magnitude)
                                                      : static_cast<long long>(magnitude);
                return true;
            }
        }
        // The C locale's strtod, as nlohmann's lexer in the C locale (chuhai never sets one).
        const std::string token(s_.substr(start, i_ - start));
        if (!std::isfinite(std::strtod(token.c_str(), nullptr)))
            return false;
        add(Kind::floating);
        return true;
    }

    JsonDocument& doc_;
    std::string_view s_;
    std::size_t i_ = 0;
};

bool JsonDocument::parse(std::string_view text) {
    nodes_.clear();
    decoded_.clear();
    // Decoded strings are never longer than their escaped spelling, so this much room keeps
    // the views into decoded_ valid while parsing.
    decoded_.reserve(text.size());
    nodes_.reserve(text.size() / 64 + 16);
    Parser parser(*this, text);
    if (!parser.run()) {
        nodes_.clear();
        return false;
    }
    return true;
}

bool JsonValue::is_object() const {
    return document_ != nullptr && document_->nodes_[index_].kind == JsonDocument::Kind::object;
}

bool JsonValue::is_array() const {
    return document_ != nullptr && document_->nodes_[index_].kind == JsonDocument::Kind::array;
}

bool JsonValue::is_string() const {
    return document_ != nullptr && document_->nodes_[index_].kind == JsonDocument::Kind::string;
}

bool JsonValue::is_integer() const {
    return document_ != nullptr && document_->nodes_[index_].kind == JsonDocument::Kind::integer;
}

std::string_view JsonValue::string() const {
    return is_string() ? document_->nodes_[index_].text : std::string_view();
}

long long JsonValue::integer() const {
    return is_integer() ? document_->nodes_[index_].integer : 0;
}

JsonValue JsonValue::find(std::string_view key) const {
    if (!is_object())
        return {};
    std::uint32_t found = JsonDocument::kNone;
    for (std::uint32_t member = document_->nodes_[index_].first; member != JsonDocument::kNone;
         member = document_->nodes_[member].next)
        if (document_->nodes_[member].key == key)
            found = member;  // the last one wins, as when a map is filled in order
    return found == JsonDocument::kNone ? JsonValue() : JsonValue(document_, found);
}

JsonValue JsonValue::first_element() const {
    if (!is_array() || document_->nodes_[index_].first == JsonDocument::kNone)
        return {};
    return JsonValue(document_, document_->nodes_[index_].first);
}

JsonValue JsonValue::first_member() const {
    if (!is_object() || document_->nodes_[index_].first == JsonDocument::kNone)
        return {};
    return JsonValue(document_, document_->nodes_[index_].first);
}

std::string_view JsonValue::key() const {
    return document_ != nullptr ? document_->nodes_[index_].key : std::string_view();
}

JsonValue JsonValue::next() const {
    if (document_ == nullptr || document_->nodes_[index_].next == JsonDocument::kNone)
        return {};
    return JsonValue(document_, document_->nodes_[index_].next);
}

}  // namespace chuhai::feed::detail
