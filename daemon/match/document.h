#pragma once
// What a rule can see of an item. The pipeline fills it from a parsed feed entry and its source;
// `chuhai explain` and `chuhai rules test` fill it from a file; the store fills it from a stored
// item, so the same rules explain the same verdict wherever the item came from.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chuhai::match {

enum class Field : std::uint8_t {
    title,
    summary,
    content,
    author,
    categories,
    link,
    source_name,
    source_tags,
};
inline constexpr std::size_t kFieldCount = 8;

// "title", "summary", "content", "author", "categories", "link", "source_name", "source_tags".
std::string_view field_name(Field field);
std::optional<Field> field_from_name(std::string_view name);

struct Document {
    std::string title;  // plain text
    std::string summary;
    std::string content;
    std::string author;
    std::vector<std::string> categories;
    std::string link;
    std::string source_name;
    std::vector<std::string> source_tags;  // the tags of the source, as configured
    // Similarity to the seed corpus in [0, 1], computed by the store; nullopt when unknown, in
    // which case `similar_to_corpus` conditions do not hold.
    std::optional<double> corpus_similarity;
};

// The text of a field as the matcher reads it: multi-valued fields (categories, source tags) are
// joined with line breaks, so evidence offsets in them count into the joined text.
std::string field_text(const Document& document, Field field);

}  // namespace chuhai::match
