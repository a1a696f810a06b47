#pragma once
// Tells systemd how the daemon is doing, through sd_notify(3): READY=1 once started, STATUS=
// lines, RELOADING=1/READY=1 around a reload, STOPPING=1 on the way out, and WATCHDOG=1 pings at
// half of WATCHDOG_USEC so that a hung daemon is restarted (WatchdogSec= in the unit).
//
// The pings run on a timer on the daemon's event loop, not on a thread of their own: when the
// loop stalls, the pings stop and systemd notices, which is the point of the watchdog.
//
// Without NOTIFY_SOCKET (run from a shell, in tests) every call does nothing and no timer is
// started. Failing to reach systemd is logged once and never thrown: the daemon's work does not
// depend on it.
//
// Threads: construct, call and destroy on the loop's thread (or before/after the loop runs).

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

namespace boost::asio {
class io_context;
}

namespace chuhai::service {

class ServiceNotifier {
  public:
    // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the environment now.
    explicit ServiceNotifier(boost::asio::io_context& loop);
    ServiceNotifier(const ServiceNotifier&) = delete;
    ServiceNotifier& operator=(const ServiceNotifier&) = delete;
    // Stops the watchdog timer.
    ~ServiceNotifier();

    // True when systemd is listening (NOTIFY_SOCKET is set).
    bool enabled() const;
    // The ping interval: half of WATCHDOG_USEC, when systemd asked for pings for this process.
    std::optional<std::chrono::microseconds> watchdog_interval() const;

    // READY=1, with a STATUS= line when `status` is not empty. The first call also sends the
    // first WATCHDOG=1 and starts the pings. Call again after a reload has finished.
    void ready(std::string_view status = {});
    // STATUS=<text>; newlines become spaces (a newline would start another assignment).
    void status(std::string_view text);
    // RELOADING=1: configuration and rules are being reloaded; follow with ready().
    void reloading();
    // STOPPING=1: shutting down. The pings go on until destruction so that a slow but orderly
    // shutdown is not taken for a hang.
    void stopping();
    // EXTEND_TIMEOUT_USEC=: asks for more time before start-up (or shutdown) is deemed failed,
    // for a long database migration.
    void extend_timeout(std::chrono::microseconds more);
    // One WATCHDOG=1 now, outside the timer's rhythm.
    void watchdog_ping();

    // Messages systemd accepted so far; for tests and the status line.
    std::size_t messages_sent() const;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace chuhai::service
