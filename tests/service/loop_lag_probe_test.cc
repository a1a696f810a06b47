#include "service/loop_lag_probe.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

#include "service/metric_names.h"
#include "service/metrics.h"

namespace chuhai::service {
namespace {

using namespace std::chrono_literals;

TEST(LoopLagProbe, MeasuresHowLongTheLoopWasBlocked) {
    boost::asio::io_context loop;
    Metrics metrics;
    LoopLagProbe probe(loop, metrics, 20ms);
    probe.start();
    // Let a few samples pass on an idle loop, then block the loop for 300 ms: the probe's next
    // timer is due within 20 ms but can only run after the block.
    boost::asio::steady_timer block(loop);
    block.expires_after(100ms);
    block.async_wait([&](const boost::system::error_code&) { std::this_thread::sleep_for(300ms); });
    boost::asio::steady_timer end(loop);
    end.expires_after(600ms);
    end.async_wait([&](const boost::system::error_code&) { probe.stop(); });
    loop.run();  // returns once the probe is stopped: it leaves no work behind

    EXPECT_GE(probe.samples(), 3u);
    EXPECT_GE(probe.max_lag(), 250ms) << "a 300 ms block must show as lag";
    EXPECT_GE(metrics.gauge(metric::kEventLoopLagMax).value(), 0.25);
    EXPECT_LE(probe.last_lag(), probe.max_lag());
    EXPECT_EQ(metrics.gauge(metric::kEventLoopLag).value(),
              std::chrono::duration<double>(probe.last_lag()).count());
}

TEST(LoopLagProbe, MaxCoversOnlyTheRecentWindow) {
    boost::asio::io_context loop;
    Metrics metrics;
    LoopLagProbe probe(loop, metrics, 1ms);
    probe.start();
    // Block once early, then let more than a window of samples pass.
    boost::asio::post(loop, [] { std::this_thread::sleep_for(200ms); });
    std::function<void()> wait_for_window;
    wait_for_window = [&] {
        if (probe.samples() > LoopLagProbe::kWindow + 5)
            probe.stop();
        else
            boost::asio::post(loop, wait_for_window);
    };
    boost::asio::post(loop, wait_for_window);
    loop.run();
    EXPECT_LT(probe.max_lag(), 150ms) << "the early block should have left the window";
}

TEST(LoopLagProbe, DeclaresItsGaugesOnAnyRegistry) {
    boost::asio::io_context loop;
    Metrics metrics;
    LoopLagProbe probe(loop, metrics);
    EXPECT_TRUE(metrics.declared(metric::kEventLoopLag));
    EXPECT_TRUE(metrics.declared(metric::kEventLoopLagMax));
    declare_standard_metrics(metrics);  // and they agree with the standard declarations
    EXPECT_EQ(loop.run_for(10ms), 0u) << "nothing runs before start()";
}

}  // namespace
}  // namespace chuhai::service
