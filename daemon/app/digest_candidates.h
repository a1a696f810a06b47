#pragma once
// What the store holds, shaped for the digest stage: the stories of matched items, each with
// every source that carried it (with that source's own link), its rules, terms and companies,
// and the nearest seed document; and the source-health notes of a digest's footer.

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/time.h"
#include "digest/digest.h"
#include "digest/filter.h"
#include "store/store.h"

namespace chuhai::app {

// Matched feed items first seen in [since, until), oldest first, at most `limit` (the newest
// are kept when there are more).
std::vector<store::ItemId> matched_items_between(store::Store& store, UtcTime since, UtcTime until,
                                                 std::size_t limit = 5000);

// Matched items first seen in [since, until) that `channel` has not carried yet, oldest first.
std::vector<store::ItemId> undelivered_items(store::Store& store, const std::string& channel,
                                             UtcTime since, UtcTime until);

// The stories of `items`: one candidate per store story, titled and linked after the story's
// first item, listing every source that carried any of its items (first source first, each
// with its own link), the rules, terms and topics of the given items, and as companies the
// canonical names of company entity lists only. Candidates whose title and text share most of
// their words are one story told twice (syndicated copies the store did not group) and are
// merged (SameStoryFinder). CandidateStory::items holds the given items each candidate stands
// for.
std::vector<digest::CandidateStory> candidate_stories(store::Store& store,
                                                      const std::vector<store::ItemId>& items);

// The stories of every matched item first seen in [since, until).
std::vector<digest::CandidateStory> candidate_stories(store::Store& store, UtcTime since,
                                                      UtcTime until, std::size_t limit = 5000);

// Which candidates of one digest tell the same story. Titles and the start of texts are taken
// as sets of words (and of neighbouring character pairs in Chinese and Japanese, which has no
// spaces), each word weighed by how rare it is among the candidates: the words every story of a
// period uses ("opens", "cloud", "AI") say little, a name or a number says much. Two candidates
// tell the same story when the words they share carry at least 60% of the weight of the words
// either uses, they share at least six, and — when both mention entities (companies, places,
// products) — at least half of those they mention between them are common to both.
class SameStoryFinder {
  public:
    explicit SameStoryFinder(const std::vector<digest::CandidateStory>& candidates);
    bool same(std::size_t a, std::size_t b) const;

  private:
    double weight(const std::string& word) const;
    std::vector<std::set<std::string>> words_;
    std::vector<std::vector<std::string>> entities_;
    std::map<std::string, std::size_t> documents_with_;
};

// SameStoryFinder over just the two.
bool same_story(const digest::CandidateStory& a, const digest::CandidateStory& b);

// The source-health footer of a digest whose period started at `since`: sources failing now
// (with their last error), silent for longer than usual, disabled by chuhai or moved since
// `since`. Sources removed or turned off by the user are left out.
std::vector<digest::SourceHealthNote> source_health_notes(store::Store& store, UtcTime since,
                                                          UtcTime now);

}  // namespace chuhai::app
