#include "deliver/retry.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>

namespace chuhai::deliver {

std::chrono::seconds retry_delay(const RetryPolicy& policy, int failures, double unit_random,
                                 std::optional<std::chrono::seconds> retry_after) {
    using std::chrono::seconds;
    const double initial =
        static_cast<double>(std::max<long long>(policy.initial_delay.count(), 1));
    const double cap = static_cast<double>(std::max<long long>(policy.max_delay.count(), 1));
    const int exponent = std::max(failures, 1) - 1;
    // pow() overflows to inf for large exponents, which min() then caps.
    double delay = std::min(cap, initial * std::pow(std::max(policy.multiplier, 1.0), exponent));
    const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
    const double r = std::clamp(unit_random, 0.0, 1.0);
    delay -= delay * jitter * r;
    auto result = seconds{std::max<long long>(1, std::llround(delay))};
    if (retry_after && retry_after->count() > 0)
        result = std::max(result, std::min(*retry_after, policy.max_retry_after));
    return result;
}

double random_unit() {
    static std::mutex mutex;
    static std::mt19937_64 generator{std::random_device{}()};
    std::lock_guard lock(mutex);
    return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

}  // namespace chuhai::deliver
