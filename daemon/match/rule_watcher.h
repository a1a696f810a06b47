#pragma once
// Hot reload of the rules directory: inotify on the directory and every folder under it, with a
// debounce (an editor's save is several events), driven by a Boost.Asio io_context.
//
// On a change (or reload_now(), for SIGHUP) the directory is loaded and checked in full. A set
// that compiles without errors replaces the current one and is handed to the callback; a set with
// any error is refused whole: its errors are logged with FILE:LINE:COL and the previous rules
// stay in force. A change that leaves the files' version unchanged (a touch) is ignored.
//
// Threading: the watcher, its callback and its loads run on the io_context's thread (loading
// the default pack takes milliseconds). Create and destroy it on that thread, or while the
// io_context is not running, and before the io_context itself is destroyed. After destruction
// the callback is never called again.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>

#include "match/rule_set.h"

namespace boost::asio {
class io_context;
}

namespace chuhai::match {

class RuleWatcher {
  public:
    using OnRules = std::function<void(std::shared_ptr<const RuleSet>)>;

    struct Options {
        // How long the directory must stay quiet after a change before it is loaded.
        std::chrono::milliseconds debounce{300};
        // Called (on the io_context) each time a reload is refused, after its errors are logged:
        // a refusal is news when it happens, not at some later moment.
        std::function<void()> on_refused{};
    };

    // Starts watching `dir`; `current` is the set in force (loaded by the caller at start-up).
    // Throws Error(io) when the directory cannot be watched.
    RuleWatcher(boost::asio::io_context& io, std::filesystem::path dir,
                std::shared_ptr<const RuleSet> current, OnRules on_rules, Options options);
    RuleWatcher(boost::asio::io_context& io, std::filesystem::path dir,
                std::shared_ptr<const RuleSet> current, OnRules on_rules);
    ~RuleWatcher();
    RuleWatcher(const RuleWatcher&) = delete;
    RuleWatcher& operator=(const RuleWatcher&) = delete;

    // Loads the directory now (on the io_context), as for a change; for SIGHUP.
    void reload_now();

    // The set in force: the last one accepted. Safe from any thread.
    std::shared_ptr<const RuleSet> current() const;
    // How many reloads replaced the rules, and how many were refused for errors.
    std::size_t accepted_reloads() const;
    std::size_t refused_reloads() const;

    class Impl;

  private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace chuhai::match
