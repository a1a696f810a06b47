// `chuhai run`: the daemon. One io_context runs the poller, the rules watcher, signals, the
// systemd notifier and the optional metrics endpoint; see docs/architecture.md.
//
//   SIGTERM, SIGINT  stop starting transfers, let running ones finish within fetch.stop_grace,
//                    commit what was parsed, exit 0
//   SIGHUP           reload the configuration and the rules; a broken file is refused and the
//                    running configuration stays

#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>

#include "app/app_config.h"
#include "app/cli_format.h"
#include "app/commands.h"
#include "app/digest_service.h"
#include "app/poll_runtime.h"
#include "common/error.h"
#include "common/log.h"
#include "common/version.h"
#include "config/config_loader.h"
#include "match/rule_watcher.h"
#include "service/loop_lag_probe.h"
#include "service/metric_names.h"
#include "service/metrics.h"
#include "service/metrics_server.h"
#include "service/service_notifier.h"
#include "store/store.h"

namespace chuhai::app {

namespace {

namespace asio = boost::asio;

// How often the store's retention runs.
constexpr std::chrono::hours kRetentionEvery{6};
// How often the daemon records that it is alive, for `chuhai status` (docs/operations.md).
constexpr std::chrono::seconds kHeartbeatEvery{30};
// After a stop request, the loop is abandoned this long after fetch.stop_grace even when work is
// still outstanding, so that SIGTERM always ends the process.
constexpr std::chrono::seconds kStopMargin{5};

// The daemon's database, opened and given a quick check (every page read, no index compared
// with its table: seconds for gigabytes). A damaged file stops the start with the first
// problems; `chuhai db check` lists them all.
std::unique_ptr<store::Store> open_checked_store(const config::Settings& settings) {
    auto store = open_configured_store(settings);
    const auto problems = store->check_integrity(store::Store::IntegrityCheck::quick);
    if (!problems.empty()) {
        std::string message = "the database is damaged: " + problems.front();
        if (problems.size() > 1)
            message += " (and " + std::to_string(problems.size() - 1) + " more problems)";
        message += "; 'chuhai db check' lists them";
        throw Error(ErrorKind::store, message, settings.database.string());
    }
    ensure_reference_corpus(*store, settings);
    return store;
}

class Daemon {
  public:
    Daemon(const CommonOptions& common, config::Settings settings)
        : common_(common),
          settings_(std::move(settings)),
          rules_(match::RuleSet::load(settings_.rules)),
          runtime_(io_, clock_, settings_, open_checked_store(settings_), rules_),
          notifier_(io_),
          signals_(io_, SIGINT, SIGTERM, SIGHUP),
          retention_timer_(io_),
          heartbeat_timer_(io_),
          stop_deadline_(io_),
          lag_probe_(io_, metrics_),
          digests_(io_, clock_, settings_, &metrics_) {
        service::declare_standard_metrics(metrics_);
        runtime_.attach_metrics(&metrics_);
        runtime_.set_cycle_observer([this](const CycleReport& report) { on_cycle(report); });
        watcher_ = watch_rules(settings_.rules, rules_);
        warn_about_unknown_filters(settings_, *rules_);
        if (settings_.metrics.enabled)
            start_metrics_server();
    }

    int run() {
        wait_for_signal();
        runtime_.start();
        lag_probe_.start();
        schedule_retention(std::chrono::minutes{1});
        beat();
        digests_.start();
        // The configuration's sources and those added with `chuhai sources`, as polled.
        const std::size_t polled = runtime_.polled_sources();
        notifier_.ready("polling " + counted(polled, "source"));
        spdlog::info("chuhai {} running: {} to poll, {} (version {}), database {}", kVersion,
                     counted(polled, "source"), counted(rules_->rule_count(), "rule"),
                     rules_->version(), settings_.database.string());
        io_.run();
        spdlog::info("chuhai stopped");
        return exit_status_;
    }

  private:
    void wait_for_signal() {
        signals_.async_wait([this](const boost::system::error_code& ec, int signal_number) {
            if (ec)
                return;
            if (signal_number == SIGHUP) {
                reload();
                wait_for_signal();
            } else {
                stop(signal_number);
            }
        });
    }

    void stop(int signal_number) {
        spdlog::info("received {}, stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
        notifier_.stopping();
        lag_probe_.stop();
        retention_timer_.cancel();
        heartbeat_timer_.cancel();
        digests_.stop();
        // Queued on the writer before the runtime stops, so it is written before the process
        // ends: `chuhai status` then says "stopped" rather than "not responding".
        runtime_.with_store([pid = pid_, clock = &clock_](store::Store& store) {
            store.record_daemon_stop(pid, clock->now());
        });
        watcher_.reset();
        if (metrics_server_)
            metrics_server_->stop();
        stop_deadline_.expires_after(settings_.fetch.stop_grace + kStopMargin);
        stop_deadline_.async_wait([this](const boost::system::error_code& ec) {
            if (ec)
                return;
            spdlog::warn("stopping took too long; abandoning the work still outstanding");
            io_.stop();
        });
        runtime_.stop([this] {
            stop_deadline_.cancel();
            signals_.cancel();
            io_.stop();
        });
    }

    // Hot reload of the rules folder in force: edits there apply without a SIGHUP.
    std::unique_ptr<match::RuleWatcher> watch_rules(const std::filesystem::path& dir,
                                                    std::shared_ptr<const match::RuleSet> rules) {
        match::RuleWatcher::Options options;
        options.on_refused = [this] { count_rule_reload(service::value::kRefused); };
        return std::make_unique<match::RuleWatcher>(
            io_, dir, std::move(rules),
            [this](std::shared_ptr<const match::RuleSet> loaded) {
                warn_about_unknown_filters(settings_, *loaded);
                runtime_.set_rules(std::move(loaded));
                count_rule_reload(service::value::kOk);
            },
            options);
    }

    // SIGHUP: the configuration file and the rules, each checked in full before it replaces
    // the running one.
    void reload() {
        notifier_.reloading();
        bool rules_folder_changed = false;
        try {
            config::Settings fresh = config::load_settings(settings_.config_file);
            register_config_secrets(fresh);
            apply_log_level(common_, fresh.log_level);
            if (fresh.database != settings_.database) {
                spdlog::warn(
                    "reload: a new database path takes effect after a restart; still using {}",
                    settings_.database.string());
                fresh.database = settings_.database;
            }
            if (fresh.rules != settings_.rules) {
                rules_folder_changed = true;
                if (!switch_rules_folder(fresh.rules))
                    fresh.rules = settings_.rules;
            }
            warn_about_restart_only_settings(fresh);
            runtime_.reload(fresh);
            digests_.reload(fresh);
            settings_ = std::move(fresh);
            warn_about_unknown_filters(settings_, *runtime_.rules());
            spdlog::info("reload: configuration reloaded from {}", settings_.config_file.string());
        } catch (const Error& e) {
            spdlog::error("reload: configuration refused, keeping the running one: {}", e.what());
        }
        // The folder in force may have changed on disk without its watcher noticing yet.
        if (watcher_ && !rules_folder_changed)
            watcher_->reload_now();
        notifier_.ready("reloaded");
    }

    // The configuration names another rules folder. Only SIGHUP gets here (the watcher watches
    // the folder in force), so the messages say "reload:". Returns false, keeping the rules and
    // the folder in force, when the new folder's rules are refused or cannot be watched.
    bool switch_rules_folder(const std::filesystem::path& dir) {
        const match::LoadResult loaded = match::RuleSet::try_load(dir);
        const auto current = runtime_.rules();
        if (!loaded.rules) {
            for (const match::Diagnostic& d : loaded.diagnostics) {
                if (d.severity == match::Severity::error)
                    spdlog::error("rules: {}", d.to_string());
            }
            spdlog::error(
                "reload: the rules in {} are refused; keeping {} rules from {} (version {})",
                dir.string(), current->rule_count(), settings_.rules.string(), current->version());
            count_rule_reload(service::value::kRefused);
            return false;
        }
        for (const match::Diagnostic& d : loaded.diagnostics)
            spdlog::warn("rules: {}", d.to_string());
        try {
            watcher_ = watch_rules(dir, loaded.rules);
        } catch (const Error& e) {
            spdlog::error("reload: cannot watch {}, keeping the rules from {}: {}", dir.string(),
                          settings_.rules.string(), e.what());
            count_rule_reload(service::value::kRefused);
            return false;
        }
        runtime_.set_rules(loaded.rules);
        count_rule_reload(service::value::kOk);
        spdlog::info("reload: rules folder switched from {} to {}: {} rules (version {})",
                     settings_.rules.string(), dir.string(), loaded.rules->rule_count(),
                     loaded.rules->version());
        return true;
    }

    // Settings fixed when the daemon started; a reload keeps the running value and says so.
    void warn_about_restart_only_settings(const config::Settings& fresh) const {
        if (fresh.metrics.enabled != settings_.metrics.enabled ||
            fresh.metrics.listen != settings_.metrics.listen) {
            spdlog::warn("reload: metrics settings take effect after a restart");
        }
        if (fresh.fetch.silence_factor != settings_.fetch.silence_factor ||
            fresh.fetch.silence_floor != settings_.fetch.silence_floor) {
            spdlog::warn(
                "reload: fetch.silence takes effect after a restart (`chuhai sources` reads it "
                "at once)");
        }
    }

    void count_rule_reload(std::string_view outcome) {
        metrics_
            .counter(service::metric::kRuleReloads,
                     {{std::string(service::label::kOutcome), std::string(outcome)}})
            .inc();
    }

    void on_cycle(const CycleReport& report) {
        last_cycle_end_ = std::chrono::system_clock::now();
        notifier_.status(summary_line(report));
        spdlog::info("cycle: {}", summary_line(report));
        runtime_.with_store([summary = summary_line(report), clock = &clock_](store::Store& store) {
            store.record_cycle(clock->now(), summary, "run");
        });
        digests_.poke();
    }

    // The heartbeat `chuhai status` judges the daemon by: written on the writer strand, so a
    // writer that hangs stops it too.
    void beat() {
        runtime_.with_store(
            [pid = pid_, started = started_, clock = &clock_](store::Store& store) {
                store.record_heartbeat(pid, started, clock->now());
            },
            [](const std::string& error) {
                if (!error.empty())
                    spdlog::warn("cannot record the heartbeat: {}", error);
            });
        heartbeat_timer_.expires_after(kHeartbeatEvery);
        heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec)
                beat();
        });
    }

    void schedule_retention(std::chrono::seconds delay) {
        retention_timer_.expires_after(delay);
        retention_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec)
                return;
            store::RetentionPolicy policy;
            policy.drop_unmatched_text_after = settings_.store.unmatched_text_retention;
            policy.drop_fetch_log_after = settings_.store.fetch_log_retention;
            runtime_.with_store(
                [policy](store::Store& store) {
                    const auto result = store.apply_retention(policy);
                    if (result.items_trimmed > 0 || result.fetches_pruned > 0) {
                        spdlog::info(
                            "retention: dropped the text of {} unmatched items, {} old fetch "
                            "attempts",
                            result.items_trimmed, result.fetches_pruned);
                    }
                },
                [](const std::string& error) {
                    if (!error.empty())
                        spdlog::error("retention: {}", error);
                });
            schedule_retention(kRetentionEvery);
        });
    }

    void start_metrics_server() {
        service::MetricsServerOptions options;
        options.listen = settings_.metrics.listen;
        const auto started = std::chrono::system_clock::now();
        const auto max_age = 2 * settings_.fetch.interval + settings_.fetch.timeout;
        metrics_server_.emplace(
            io_, metrics_,
            [this, started, max_age] {
                return service::cycle_health(last_cycle_end_, started,
                                             std::chrono::system_clock::now(), max_age);
            },
            options);
        spdlog::info("metrics: serving /metrics and /healthz on {}", settings_.metrics.listen);
    }

    const CommonOptions& common_;
    config::Settings settings_;
    asio::io_context io_;
    SystemClock clock_;
    service::Metrics metrics_;
    std::shared_ptr<const match::RuleSet> rules_;
    PollRuntime runtime_;
    service::ServiceNotifier notifier_;
    asio::signal_set signals_;
    asio::steady_timer retention_timer_;
    asio::steady_timer heartbeat_timer_;
    asio::steady_timer stop_deadline_;
    service::LoopLagProbe lag_probe_;
    std::int64_t pid_ = ::getpid();
    UtcTime started_ = clock_.now();
    DigestService digests_;
    std::unique_ptr<match::RuleWatcher> watcher_;
    std::optional<service::MetricsServer> metrics_server_;
    std::optional<std::chrono::system_clock::time_point> last_cycle_end_;
    int exit_status_ = kExitOk;
};

}  // namespace

void add_run_command(CommandLine& cli) {
    auto& common = cli.common;
    int& exit_status = cli.exit_status;
    auto* run = cli.app.add_subcommand(
        "run", "run the daemon: poll every source on its schedule until stopped");
    add_config_option(*run, common);
    run->callback([&common, &exit_status] {
        Daemon daemon(common, load_app_config(common));
        exit_status = daemon.run();
    });
}

}  // namespace chuhai::app
