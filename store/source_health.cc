#include <algorithm>
#include <vector>

#include "store/store.h"

namespace chuhai::store {

std::optional<std::chrono::seconds> usual_silence(std::span<const UtcTime> arrivals_newest_first,
                                                  const SilenceRule& rule) {
    using std::chrono::seconds;
    if (arrivals_newest_first.size() < kMinArrivalsForSilence)
        return std::nullopt;
    std::vector<seconds> gaps;
    for (std::size_t i = 0; i + 1 < arrivals_newest_first.size(); ++i) {
        const seconds gap = arrivals_newest_first[i] - arrivals_newest_first[i + 1];
        gaps.push_back(gap < seconds(0) ? -gap : gap);
    }
    std::sort(gaps.begin(), gaps.end());
    const seconds median = gaps[gaps.size() / 2];
    const seconds longest = gaps.back();
    // A feed that posts on weekdays only has a weekend-long gap in its history; a silence is
    // "longer than usual" only beyond what the history already shows.
    const auto typical = std::chrono::duration_cast<seconds>(std::chrono::duration<double>(median) *
                                                             std::max(0.0, rule.factor));
    return std::max({typical, longest * 3 / 2, rule.floor});
}

}  // namespace chuhai::store
