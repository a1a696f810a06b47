#pragma once
// Time as chuhai stores and prints it: whole seconds, UTC.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace chuhai {

using UtcTime = std::chrono::sys_seconds;

// "2025-01-02T03:04:05Z".
std::string format_rfc3339(UtcTime t);
// Accepts exactly what format_rfc3339 writes, plus a numeric offset instead of Z;
// returns nullopt for anything else. (Feed dates go through feed/dates.h, which is lenient.)
std::optional<UtcTime> parse_rfc3339(std::string_view text);

// Parses durations such as "90s", "15m", "2h", "7d", "1w" (a bare number is seconds).
std::optional<std::chrono::seconds> parse_duration(std::string_view text);
// "15m", "2h", "1d 3h": the shortest exact spelling, for logs and docs.
std::string format_duration(std::chrono::seconds d);

// The source of "now" for everything that schedules or stamps: tests inject their own.
class Clock {
  public:
    virtual ~Clock() = default;
    virtual UtcTime now() const = 0;
};

class SystemClock final : public Clock {
  public:
    UtcTime now() const override;
};

// A clock that tests move by hand.
class ManualClock final : public Clock {
  public:
    explicit ManualClock(UtcTime start) : now_(start) {}
    UtcTime now() const override { return now_; }
    void advance(std::chrono::seconds d) { now_ += d; }
    void set(UtcTime t) { now_ = t; }

  private:
    UtcTime now_;
};

}  // namespace chuhai
