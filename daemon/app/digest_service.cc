#include "app/digest_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "app/cli_format.h"
#include "common/error.h"
#include "store/store.h"

namespace chuhai::app {

namespace asio = boost::asio;

namespace {

// However far off the next slot, the timer looks again after this long (a clock that jumped,
// a digest another process recorded).
constexpr std::chrono::hours kLongestWait{1};
// After a run that failed on the store itself.
constexpr std::chrono::minutes kAfterStoreError{1};

}  // namespace

// One configuration's channels with their senders, and the store connection of the delivery
// thread (kept across reloads).
struct DigestService::Engine {
    DigestDelivery delivery;
    std::shared_ptr<store::Store> store;
};

std::shared_ptr<DigestService::Engine> DigestService::make_engine(const config::Settings& settings,
                                                                  const Clock& clock,
                                                                  service::Metrics* metrics,
                                                                  const std::atomic<bool>* abort) {
    auto engine = std::make_shared<Engine>(
        Engine{DigestDelivery(digest_channels(settings), delivery_options(settings), clock), {}});
    for (const auto& channel : settings.digests) {
        auto sender = make_sender(channel);
        sender->set_abort_flag(abort);
        engine->delivery.set_sender(channel.name, std::move(sender));
    }
    engine->delivery.set_metrics(metrics);
    engine->delivery.set_stop_flag(abort);
    return engine;
}

DigestService::DigestService(asio::io_context& io, const Clock& clock,
                             const config::Settings& settings, service::Metrics* metrics)
    : io_(io), clock_(clock), metrics_(metrics), timer_(io) {
    engine_ = make_engine(settings, clock_, metrics_, &stopping_);
    engine_->store = store::open_store(settings.database);
}

DigestService::~DigestService() {
    stopping_ = true;
    thread_.join();
}

void DigestService::start() {
    if (!engine_->delivery.channels().empty())
        spdlog::info("digests: {}", counted(engine_->delivery.channels().size(), "channel"));
    run_now();
}

void DigestService::poke() {
    run_now();
}

void DigestService::reload(const config::Settings& settings) {
    try {
        auto fresh = make_engine(settings, clock_, metrics_, &stopping_);
        fresh->store = engine_->store;
        engine_ = std::move(fresh);
    } catch (const Error& e) {
        spdlog::error("reload: digest channels refused, keeping the running ones: {}", e.what());
        return;
    }
    run_now();
}

void DigestService::stop() {
    stopping_ = true;
    timer_.cancel();
}

void DigestService::run_now() {
    if (stopping_)
        return;
    if (running_) {
        again_ = true;
        return;
    }
    running_ = true;
    timer_.cancel();
    asio::post(thread_, [this, engine = engine_] {
        std::optional<UtcTime> next;
        try {
            engine->delivery.run(*engine->store);
            next = engine->delivery.next_run(*engine->store);
        } catch (const std::exception& e) {
            spdlog::error("digests: {}", e.what());
            next = clock_.now() + kAfterStoreError;
        }
        asio::post(io_, [this, next] {
            running_ = false;
            if (again_) {
                again_ = false;
                run_now();
            } else {
                arm(next);
            }
        });
    });
}

void DigestService::arm(std::optional<UtcTime> next) {
    if (stopping_)
        return;
    const UtcTime now = clock_.now();
    const auto wait =
        next ? std::clamp<std::chrono::seconds>(*next - now, std::chrono::seconds{1}, kLongestWait)
             : std::chrono::seconds{kLongestWait};
    timer_.expires_after(wait);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec)
            run_now();
    });
}

}  // namespace chuhai::app
