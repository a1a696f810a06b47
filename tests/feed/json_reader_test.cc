// The JSON reader against nlohmann::json, whose behaviour it replaces in the feed reader: the
// same documents accepted, and the same strings, integers, arrays and objects (later
// duplicate keys winning) read from them. Hand-written cases for each rule, then a few
// hundred thousand mutations of valid documents (fixed seed), so that the two must also agree
// on broken input.

#include "feed/json_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/file.h"
#include "tests/support/test_support.h"

namespace chuhai::feed::detail {
namespace {

using nlohmann::json;

// Why `actual` differs from `expected`, or "" when it does not.
std::string difference(const json& expected, const JsonValue& actual, const std::string& path) {
    if (!actual)
        return path + ": missing";
    if (expected.is_object()) {
        if (!actual.is_object())
            return path + ": not an object";
        std::set<std::string> keys;
        for (JsonValue member = actual.first_member(); member; member = member.next())
            keys.insert(std::string(member.key()));
        if (keys.size() != expected.size())
            return path + ": " + std::to_string(keys.size()) + " keys, expected " +
                   std::to_string(expected.size());
        for (const auto& [key, value] : expected.items())
            if (std::string why = difference(value, actual.find(key), path + "." + key);
                !why.empty())
                return why;
        return {};
    }
    if (expected.is_array()) {
        if (!actual.is_array())
            return path + ": not an array";
        JsonValue element = actual.first_element();
        std::size_t i = 0;
        for (const json& value : expected) {
            if (std::string why = difference(value, element, path + "[" + std::to_string(i) + "]");
                !why.empty())
                return why;
            element = element.next();
            ++i;
        }
        return element ? path + ": more elements" : std::string();
    }
    if (expected.is_string())
        return actual.is_string() && actual.string() == expected.get<std::string>()
                   ? std::string()
                   : path + ": string differs";
    if (expected.is_number_integer())
        return actual.is_integer() && actual.integer() == expected.get<long long>()
                   ? std::string()
                   : path + ": integer differs";
    // null, booleans, doubles: none of the kinds the reader tells apart.
    return !actual.is_object() && !actual.is_array() && !actual.is_string() && !actual.is_integer()
               ? std::string()
               : path + ": kind differs";
}

// "" when both readers agree on `text`.
std::string disagreement(const std::string& text) {
    const json expected = json::parse(text.begin(), text.end(), nullptr, false);
    JsonDocument document;
    const bool accepted = document.parse(text);
    if (expected.is_discarded() != !accepted)
        return accepted ? "accepted, nlohmann refuses" : "refused, nlohmann accepts";
    return accepted ? difference(expected, document.root(), "$") : std::string();
}

TEST(JsonReader, AgreesWithNlohmannOnEachRule) {
    const std::vector<std::string> cases = {
        // Structure, whitespace, trailing text.
        "{}", "[]", " \t\r\n{ } \n", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}", "{a:1}", "{} x",
        "{}{}", "", " ", "[", "]", "{\"a\":[{\"b\":[[],{}]}]}", "\"top\"", "42", "null",
        // Literals.
        "[true,false,null]", "[tru]", "[nul]", "[True]", "[nulll]",
        // Strings, escapes, surrogates.
        R"(["a\"b\\c\/d\b\f\n\r\t"])", R"(["\u0041\u00e9\u4E2D"])", R"(["\u0000"])",
        R"(["\uD83D\uDE00"])", R"(["\uD83D"])", R"(["\uDE00"])", R"(["\uD83Dx"])",
        R"(["\uD83D\u0041"])", R"(["\u12"])", R"(["\x41"])", R"(["\'"])", "[\"tab\there\"]",
        "[\"line\nbreak\"]", "[\"\x7f\"]", "[\"unterminated]",
        // UTF-8: well-formed and every kind of ill-formed.
        "[\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"]", "[\"\xc0\xaf\"]", "[\"\xc1\xbf\"]",
        "[\"\xe0\x80\xaf\"]", "[\"\xed\xa0\x80\"]", "[\"\xf0\x80\x80\xaf\"]",
        "[\"\xf4\x90\x80\x80\"]", "[\"\xf5\x80\x80\x80\"]", "[\"\xff\"]", "[\"\x80\"]",
        "[\"\xe4\xb8\"]", "[\"\xc3\"]",
        // Numbers.
        "[0,-0,1,-1,123456789]", "[01]", "[-]", "[1.]", "[.5]", "[1.5e3,1E-3,1e+3]", "[1e]", "[+1]",
        "[9223372036854775807,-9223372036854775808]", "[9223372036854775808]",
        "[18446744073709551615]", "[18446744073709551616]", "[-9223372036854775809]",
        "[1e308,1e309,-1e309,1e-999]", "[" + std::string(400, '9') + "]", "[0x10]", "[Infinity]",
        // Keys: escapes, duplicates (the later wins), empty.
        R"({"a":1,"a":2})", R"({"a":{"x":1},"a":"s"})", R"({"\u0061":1,"a":2})", R"({"":3})",
        R"({"k\"ey":"v"})",
        // Bytes no JSON has outside strings.
        std::string("[1,\0 2]", 7), "[1]\0", "/* c */{}", "{}//", "'a'"};
    for (const std::string& text : cases)
        EXPECT_EQ(disagreement(text), "") << text;
}

TEST(JsonReader, ReadsWhatTheFeedReaderAsks) {
    JsonDocument document;
    ASSERT_TRUE(document.parse(
        R"({"title":"T\u00e9","items":[{"id":7},{"id":"x"}],"n":18446744073709551615,"o":{"k":[]}})"));
    const JsonValue root = document.root();
    EXPECT_EQ(root.find("title").string(), "T\xc3\xa9");
    const JsonValue first = root.find("items").first_element();
    EXPECT_TRUE(first.find("id").is_integer());
    EXPECT_EQ(first.find("id").integer(), 7);
    EXPECT_EQ(first.next().find("id").string(), "x");
    EXPECT_FALSE(first.next().next());
    EXPECT_EQ(root.find("n").integer(), -1);  // as get<long long>() converts it
    EXPECT_TRUE(root.find("o").find("k").is_array());
    EXPECT_FALSE(root.find("o").find("k").first_element());
    EXPECT_FALSE(root.find("missing"));
    EXPECT_FALSE(root.find("title").find("x"));  // not an object
    EXPECT_FALSE(document.parse("{\"a\":}"));
    EXPECT_FALSE(document.root());
}

std::vector<std::string> seeds() {
    std::vector<std::string> texts = {
        R"({"version":"https://jsonfeed.org/version/1.1","title":"Feed","items":[{"id":"1","title":"A \u0026 B","content_html":"<p>x</p>","tags":["a","b"],"authors":[{"name":"N"}],"date_published":"2024-06-24T10:30:00+08:00"},{"id":2,"url":"https://e.com/2","summary":"s\n\"q\""}]})",
        R"({"rss":{"channel":{"title":"C","item":[{"guid":{"#value":"g"},"description":"d","category":[{"#value":"c"}]}]}}})",
        R"([0,-1.5e-3,true,false,null,"\uD83D\uDE00",{"":[]}])",
        "{\"\xe4\xb8\xad\":\"\xe6\x96\x87\\u4e2d\",\"n\":-9223372036854775808}"};
    const auto shared = chuhai::testing::shared_dir();
    if (!shared.empty() && std::filesystem::is_directory(shared / "corpus/realworld"))
        for (const auto& file : std::filesystem::directory_iterator(shared / "corpus/realworld"))
            if (file.path().extension() == ".json")
                texts.push_back(read_file(file.path()).substr(0, 3000));
    return texts;
}

TEST(JsonReader, AgreesWithNlohmannOnMutatedDocuments) {
    const std::vector<std::string> bases = seeds();
    static const std::vector<std::string> kInsertions = {"\"",
                                                         "\\",
                                                         "{",
                                                         "}",
                                                         "[",
                                                         "]",
                                                         ",",
                                                         ":",
                                                         "0",
                                                         "-",
                                                         "e",
                                                         ".",
                                                         "\\u",
                                                         "\\uD800",
                                                         "\\uDC00",
                                                         "\\uD83D\\uDE00",
                                                         "1e999",
                                                         "-0",
                                                         "18446744073709551616",
                                                         "9223372036854775808",
                                                         "-9223372036854775809",
                                                         "1.5",
                                                         "true",
                                                         "nul",
                                                         "\xc3",
                                                         "\xed\xa0\x80",
                                                         "\xf4\x90",
                                                         std::string(1, '\0'),
                                                         "\x1f",
                                                         "\x7f",
                                                         " ",
                                                         "\"k\":1,",
                                                         "{\"a\":1}"};
    std::mt19937 random(20261122);
    std::size_t accepted = 0, refused = 0;
    for (int round = 0; round < 200000; ++round) {
        std::string text = bases[random() % bases.size()];
        const int mutations = 1 + static_cast<int>(random() % 3);
        for (int m = 0; m < mutations && !text.empty(); ++m) {
            const std::size_t at = random() % text.size();
            switch (random() % 4) {
                case 0:
                    text[at] = kInsertions[random() % kInsertions.size()][0];
                    break;
                case 1:
                    text.insert(at, kInsertions[random() % kInsertions.size()]);
                    break;
                case 2:
                    text.erase(at, 1 + random() % 3);
                    break;
                default:
                    text.resize(at);
                    break;
            }
        }
        const std::string why = disagreement(text);
        ASSERT_EQ(why, "") << text;
        JsonDocument document;
        (document.parse(text) ? accepted : refused) += 1;
    }
    // Both outcomes must be common, or the comparison would say little about one of them.
    EXPECT_GT(accepted, 10000u);
    EXPECT_GT(refused, 10000u);
}

}  // namespace
}  // namespace chuhai::feed::detail
