#include "service/loop_lag_probe.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>

#include "service/metric_names.h"
#include "service/metrics.h"

namespace chuhai::service {

struct LoopLagProbe::State : std::enable_shared_from_this<State> {
    State(boost::asio::io_context& loop, Metrics& metrics, std::chrono::milliseconds interval)
        : timer(loop), interval(std::max(interval, std::chrono::milliseconds(1))) {
        metrics.declare(metric::kEventLoopLag, MetricType::gauge,
                        "How late the event loop ran its last probe timer, in seconds.");
        metrics.declare(metric::kEventLoopLagMax, MetricType::gauge,
                        "The largest event loop lag of the last minute, in seconds.");
        last_gauge = &metrics.gauge(metric::kEventLoopLag);
        max_gauge = &metrics.gauge(metric::kEventLoopLagMax);
    }

    boost::asio::steady_timer timer;
    std::chrono::milliseconds interval;
    Gauge* last_gauge;
    Gauge* max_gauge;
    bool running = false;
    std::chrono::steady_clock::time_point due;
    std::deque<std::chrono::nanoseconds> window;
    std::size_t samples = 0;

    void schedule() {
        due = std::chrono::steady_clock::now() + interval;
        timer.expires_at(due);
        timer.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
            if (error)
                return;
            if (const auto self = weak.lock(); self && self->running) {
                self->record(std::chrono::steady_clock::now() - self->due);
                self->schedule();
            }
        });
    }

    void record(std::chrono::nanoseconds lag) {
        lag = std::max(lag, std::chrono::nanoseconds::zero());
        window.push_back(lag);
        if (window.size() > kWindow)
            window.pop_front();
        ++samples;
        const auto seconds = [](std::chrono::nanoseconds d) {
            return std::chrono::duration<double>(d).count();
        };
        last_gauge->set(seconds(lag));
        max_gauge->set(seconds(*std::max_element(window.begin(), window.end())));
    }
};

LoopLagProbe::LoopLagProbe(boost::asio::io_context& loop, Metrics& metrics,
                           std::chrono::milliseconds interval)
    : state_(std::make_shared<State>(loop, metrics, interval)) {}

LoopLagProbe::~LoopLagProbe() {
    stop();
}

void LoopLagProbe::start() {
    if (state_->running)
        return;
    state_->running = true;
    state_->schedule();
}

void LoopLagProbe::stop() {
    state_->running = false;
    boost::system::error_code ignored;
    state_->timer.cancel(ignored);
}

std::chrono::nanoseconds LoopLagProbe::last_lag() const {
    return state_->window.empty() ? std::chrono::nanoseconds::zero() : state_->window.back();
}

std::chrono::nanoseconds LoopLagProbe::max_lag() const {
    return state_->window.empty() ? std::chrono::nanoseconds::zero()
                                  : *std::max_element(state_->window.begin(), state_->window.end());
}

std::size_t LoopLagProbe::samples() const {
    return state_->samples;
}

}  // namespace chuhai::service
