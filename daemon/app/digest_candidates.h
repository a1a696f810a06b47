#pragma once
// What the store holds, shaped for the digest stage: the stories of matched items, each with
// every source that carried it, its rules, terms and companies, and the nearest seed document.

#include <cstddef>
#include <vector>

#include "common/time.h"
#include "digest/filter.h"
#include "store/store.h"

namespace chuhai::app {

// Stories with at least one matched item first seen in [since, until), at most `limit` items
// looked at (newest first). A story appears once, titled and linked after its first item.
std::vector<digest::CandidateStory> candidate_stories(store::Store& store, UtcTime since,
                                                      UtcTime until, std::size_t limit = 5000);

}  // namespace chuhai::app
