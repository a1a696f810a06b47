#pragma once
// Digest delivery inside `chuhai run` (docs/architecture.md, "Threads"): a DigestDelivery run on
// a thread of its own with a store connection of its own, so that building a digest or waiting
// for a slow mail server never delays polling or the writer. The event loop only decides when a
// run happens: after every poll cycle (for `immediate` channels and digests due meanwhile) and at
// the next slot or retry the last run reported, on one timer.

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "app/digest_delivery.h"
#include "common/time.h"
#include "config/settings.h"

namespace boost::asio {
class io_context;
}

namespace chuhai::service {
class Metrics;
}

namespace chuhai::app {

class DigestService {
  public:
    // Opens its own connection to the database and reads every channel's password or secret.
    // Throws Error(config) for a channel whose sender cannot be made, Error(store) for the
    // database. `clock` and `metrics` must outlive the service.
    DigestService(boost::asio::io_context& io, const Clock& clock, const config::Settings& settings,
                  service::Metrics* metrics);
    DigestService(const DigestService&) = delete;
    DigestService& operator=(const DigestService&) = delete;
    // Waits for the run in progress, which a stop() has cut short.
    ~DigestService();

    // Starts the channels and makes a first run. io thread.
    void start();
    // A poll cycle ended: run soon. io thread.
    void poke();
    // The reloaded configuration's channels from the next run on; senders are made (secrets
    // read) here, so a broken channel keeps the old ones and is logged. io thread.
    void reload(const config::Settings& settings);
    // No new runs; a delivery in progress gives up within about a second (a temporary failure:
    // the digest stays in the outbox for the next start). io thread.
    void stop();

  private:
    struct Engine;
    static std::shared_ptr<Engine> make_engine(const config::Settings& settings, const Clock& clock,
                                               service::Metrics* metrics,
                                               const std::atomic<bool>* abort);
    void run_now();
    void arm(std::optional<UtcTime> next);

    boost::asio::io_context& io_;
    const Clock& clock_;
    service::Metrics* metrics_;
    std::atomic<bool> stopping_{false};
    std::shared_ptr<Engine> engine_;  // io thread; each run holds the one it started with
    boost::asio::steady_timer timer_;
    bool running_ = false;  // io thread: a run is on the delivery thread
    bool again_ = false;    // io thread: run once more when it ends
    boost::asio::thread_pool thread_{1};
};

}  // namespace chuhai::app
