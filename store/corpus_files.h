#pragma once
// Reading the seed corpus from a folder: `.txt`, `.md` and `.html`/`.htm` files, UTF-8. The first
// non-empty line of each is its title (a Markdown heading's `#` marks are dropped); the rest is
// its text.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace chuhai::store {

// Files larger than this are refused: the corpus holds articles, not archives.
inline constexpr std::size_t kMaxCorpusFileBytes = 8u << 20;

// Every corpus file in `folder` and its subfolders, sorted by path; the key is the path
// relative to the folder. Other files are ignored. Throws Error(io) when the folder cannot be
// read, and Error(parse) naming the file for one that is too large, not UTF-8 (with the line)
// or has no title.
std::vector<CorpusDocument> read_corpus_folder(const std::filesystem::path& folder);

// One document from its bytes; `path`'s extension says the format. Throws as above.
CorpusDocument parse_corpus_document(const std::filesystem::path& path, std::string key,
                                     std::string_view bytes);

// HTML to plain text, minimally, for corpus files: drops comments and the contents of script
// and style, turns block elements and <br> into line breaks, decodes character references,
// collapses spaces. Kept in this one function so that the parse stage's HTML-to-text
// (text/html_text.h) can replace it.
std::string corpus_html_to_text(std::string_view html);

}  // namespace chuhai::store
