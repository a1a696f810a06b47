#pragma once
// The reference corpus the project ships in store/corpus/, compiled into the binary: what
// `chuhai rules test` and `chuhai explain FILE` measure similarity against when no database is
// named, so that a rule using similar_to_corpus can hold there as it does in the daemon, also
// from an installed binary with no data files beside it.

#include <span>
#include <vector>

#include "store/corpus_model.h"
#include "store/store.h"

namespace chuhai::store {

// The shipped documents, parsed as `chuhai corpus import` parses files; keys and paths are the
// file names (e.g. "04-alibaba-cloud-rides-the-east-wind.md"), in name order.
std::vector<CorpusDocument> shipped_corpus();

// A model of documents that are not stored, built exactly as Store::corpus_model() builds the
// model of imported ones; a document's id is its position in `documents` plus one.
CorpusModel corpus_model_of(std::span<const CorpusDocument> documents);

}  // namespace chuhai::store
