#include "service/service_notifier.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <cstring>
#include <string>

namespace chuhai::service {

struct ServiceNotifier::State : std::enable_shared_from_this<State> {
    explicit State(boost::asio::io_context& loop) : timer(loop) {}

    boost::asio::steady_timer timer;
    bool enabled = false;
    std::optional<std::chrono::microseconds> watchdog_interval;
    bool watchdog_running = false;
    bool failure_reported = false;
    std::size_t sent = 0;

    void send(const std::string& message) {
        if (!enabled)
            return;
        const int result = sd_notify(0, message.c_str());
        if (result > 0) {
            ++sent;
            return;
        }
        if (!failure_reported) {
            // Logged once: a daemon that cannot reach systemd keeps working, and repeating this
            // at every watchdog ping would flood the log.
            failure_reported = true;
            spdlog::warn("cannot notify systemd through NOTIFY_SOCKET: {}",
                         result < 0 ? std::strerror(-result) : "NOTIFY_SOCKET vanished");
        }
    }

    void start_watchdog() {
        if (!watchdog_interval || watchdog_running)
            return;
        watchdog_running = true;
        send("WATCHDOG=1");
        schedule_ping();
    }

    void schedule_ping() {
        timer.expires_after(*watchdog_interval);
        // A weak pointer: a completion already queued when the notifier is destroyed must not
        // touch it.
        timer.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
            if (error)
                return;
            if (const auto self = weak.lock()) {
                self->send("WATCHDOG=1");
                self->schedule_ping();
            }
        });
    }
};

namespace {

// One line, because sd_notify's protocol is newline-separated assignments.
std::string single_line(std::string_view text) {
    std::string line(text);
    for (char& c : line)
        if (c == '\n' || c == '\r')
            c = ' ';
    return line;
}

}  // namespace

ServiceNotifier::ServiceNotifier(boost::asio::io_context& loop)
    : state_(std::make_shared<State>(loop)) {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    state_->enabled = socket != nullptr && socket[0] != '\0';
    std::uint64_t usec = 0;
    // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is this process.
    if (state_->enabled && sd_watchdog_enabled(0, &usec) > 0 && usec >= 2)
        state_->watchdog_interval = std::chrono::microseconds(usec / 2);
}

ServiceNotifier::~ServiceNotifier() {
    boost::system::error_code ignored;
    state_->timer.cancel(ignored);
}

bool ServiceNotifier::enabled() const {
    return state_->enabled;
}

std::optional<std::chrono::microseconds> ServiceNotifier::watchdog_interval() const {
    return state_->watchdog_interval;
}

void ServiceNotifier::ready(std::string_view status) {
    std::string message = "READY=1";
    if (!status.empty())
        message += "\nSTATUS=" + single_line(status);
    state_->send(message);
    state_->start_watchdog();
}

void ServiceNotifier::status(std::string_view text) {
    state_->send("STATUS=" + single_line(text));
}

void ServiceNotifier::reloading() {
    state_->send("RELOADING=1");
}

void ServiceNotifier::stopping() {
    state_->send("STOPPING=1");
}

void ServiceNotifier::extend_timeout(std::chrono::microseconds more) {
    state_->send("EXTEND_TIMEOUT_USEC=" + std::to_string(more.count()));
}

void ServiceNotifier::watchdog_ping() {
    state_->send("WATCHDOG=1");
}

std::size_t ServiceNotifier::messages_sent() const {
    return state_->sent;
}

}  // namespace chuhai::service
