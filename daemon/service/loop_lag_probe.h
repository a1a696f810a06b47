#pragma once
// Measures how responsive the event loop is: a timer asks to fire every `interval` and records
// how late it actually ran. A loop that is kept busy (a parse on the loop thread, a blocking
// call) shows up as lag, long before the systemd watchdog would notice.
//
// Feeds chuhai_event_loop_lag_seconds (the last sample) and chuhai_event_loop_lag_max_seconds
// (the largest of the last kWindow samples) on the registry, declaring them if needed.
//
// Threads: construct, start, stop and destroy on the loop's thread (or while it is not running).

#include <chrono>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace chuhai::service {

class Metrics;

class LoopLagProbe {
  public:
    static constexpr std::size_t kWindow = 60;  // samples in the max: a minute at 1 s

    LoopLagProbe(boost::asio::io_context& loop, Metrics& metrics,
                 std::chrono::milliseconds interval = std::chrono::seconds(1));
    LoopLagProbe(const LoopLagProbe&) = delete;
    LoopLagProbe& operator=(const LoopLagProbe&) = delete;
    ~LoopLagProbe();

    void start();
    void stop();

    // The last lag measured and the largest of the window (zero before the first sample).
    std::chrono::nanoseconds last_lag() const;
    std::chrono::nanoseconds max_lag() const;
    std::size_t samples() const;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace chuhai::service
