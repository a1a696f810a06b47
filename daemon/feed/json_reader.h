#pragma once
// Inside the feed library (json_feed.cc and its tests): a small JSON reader for JSON Feed and
// RSS-in-JSON. It accepts exactly the documents nlohmann::json::parse() accepts (RFC 8259:
// strict UTF-8, no comments, no trailing text, numbers that overflow a double refused) and
// gives the same values for what the feed reader asks: strings decoded, integers as
// nlohmann's get<long long>() gives them, later duplicate keys winning. It builds one flat
// array of nodes whose strings point into the parsed text (or, when they had escapes, into
// one buffer of decoded text), instead of a tree of maps and strings: parsing is a single pass
// with one allocation per few hundred values.
//
// The text must outlive the document. Parsing recurses once per level of nesting, so values
// nested deeper than 512 levels are refused (where nlohmann would accept them; the feed
// reader refuses more than 64 levels before parsing anyway).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chuhai::feed::detail {

class JsonDocument;

// A value inside a JsonDocument (or no value: a failed lookup). Cheap to copy.
class JsonValue {
  public:
    JsonValue() = default;

    explicit operator bool() const { return document_ != nullptr; }
    bool is_object() const;
    bool is_array() const;
    bool is_string() const;
    // An integer that fits 64 bits, signed or not (nlohmann's is_number_integer()).
    bool is_integer() const;

    // The decoded string; empty unless is_string().
    std::string_view string() const;
    // The integer as nlohmann's get<long long>() converts it (an unsigned value above
    // LLONG_MAX wraps); 0 unless is_integer().
    long long integer() const;

    // The member `key` of an object (the last one when the key repeats); no value when this
    // is not an object or has no such member.
    JsonValue find(std::string_view key) const;

    // Arrays: the first element, and each element's next; no value at the end.
    JsonValue first_element() const;
    JsonValue next() const;
    // Objects: the first member's value (then next()), in document order with repeated keys
    // included, and a member value's key.
    JsonValue first_member() const;
    std::string_view key() const;

  private:
    friend class JsonDocument;
    JsonValue(const JsonDocument* document, std::uint32_t index)
        : document_(document), index_(index) {}

    const JsonDocument* document_ = nullptr;
    std::uint32_t index_ = 0;
};

class JsonDocument {
  public:
    // False when `text` is not one JSON value (with whitespace around it).
    bool parse(std::string_view text);
    JsonValue root() const { return nodes_.empty() ? JsonValue() : JsonValue(this, 0); }

  private:
    friend class JsonValue;
    enum class Kind : std::uint8_t { null, boolean, integer, floating, string, array, object };
    static constexpr std::uint32_t kNone = 0xFFFFFFFF;

    struct Node {
        Kind kind = Kind::null;
        std::uint32_t first = kNone;  // arrays and objects: the first element or member value
        std::uint32_t next = kNone;   // the next element or member value of the parent
        std::string_view key;         // a member value: its key
        std::string_view text;        // a string: its decoded value
        long long integer = 0;
    };

    class Parser;

    std::vector<Node> nodes_;
    std::string decoded_;  // strings that had escapes, decoded; never reallocated while parsing
};

}  // namespace chuhai::feed::detail
