#pragma once
// Documents read from files, for `chuhai rules test` and `chuhai explain FILE`, and the scoring
// of a rule set against labelled documents.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "match/document.h"
#include "match/match_result.h"

namespace chuhai::match {

struct NamedDocument {
    std::string name;  // the file's path inside the corpus folder (FILE#N for a feed's entries)
    Document document;
    bool feed_entry = false;  // an entry of a feed file (its name alone says little)
};

// True for the extensions read_document_file understands: .txt, .md, .html, .htm.
bool is_document_file(const std::filesystem::path& path);
// True for feed files: .xml, .rss, .atom, .rdf, .json.
bool is_feed_file(const std::filesystem::path& path);

// .txt / .md: the first non-empty line is the title (for .md without its leading '#'s), the
// rest is the content. .html / .htm: the <title> (else the first <h1>) is the title, the text of
// the body the content. Throws Error(io) when the file cannot be read, Error(parse) for another
// extension.
Document read_document_file(const std::filesystem::path& path);

// Reads the entries of a feed file as documents, named "#1", "#2"… in feed order. The app
// passes the feed stage's parser. Throws Error(parse) for a file that is not a feed at all.
using FeedFileReader = std::function<std::vector<NamedDocument>(const std::filesystem::path&)>;

struct Corpus {
    std::vector<NamedDocument> documents;  // in name order
    std::vector<std::string> skipped;      // "NAME: reason", for files that were not read
};

// Every document under `dir` (recursively; hidden files skipped). Feed files are read with
// `read_feed` (their entries named FILE#N); a feed file that is not a feed at all, or any feed
// file when `read_feed` is empty, is listed in `skipped` with the reason. Throws Error(io) when
// `dir` is missing.
Corpus read_corpus(const std::filesystem::path& dir, const FeedFileReader& read_feed = {});

// Labels: lines "NAME<TAB>1" (should match) or "NAME<TAB>0"; blank lines and lines starting
// with '#' are ignored. Throws Error(parse, message, "FILE:LINE") on a malformed line or a name
// given twice.
std::map<std::string, bool> read_labels(const std::filesystem::path& tsv);

struct LabelledOutcome {
    std::size_t true_positives = 0;
    std::size_t false_positives = 0;
    std::size_t true_negatives = 0;
    std::size_t false_negatives = 0;
    double precision = 1.0;  // TP / (TP + FP); 1 when nothing matched
    double recall = 1.0;     // TP / (TP + FN); 1 when nothing should match
    std::vector<std::string> false_positives_names;
    std::vector<std::string> false_negatives_names;
    std::vector<std::string> unlabelled;  // documents the labels do not mention
};

// Compares verdicts with labels. Throws Error(usage) naming a labelled document that is not in
// `names` (a typo in the labels file must not silently improve the figures).
LabelledOutcome score_against_labels(const std::vector<std::string>& names,
                                     const std::vector<MatchResult>& results,
                                     const std::map<std::string, bool>& labels);

}  // namespace chuhai::match
