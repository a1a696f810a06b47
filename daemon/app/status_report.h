#pragma once
// `chuhai status`: what the database says about the daemon and its work, read while the daemon
// runs (docs/operations.md, "Status"). Gathered into a StatusReport, then printed as text or
// JSON.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"
#include "config/settings.h"
#include "store/store.h"

namespace chuhai::app {

// Whether `chuhai run` is alive: its recorded pid is a running process and its heartbeat is
// fresh (the daemon writes one every 30 s; three missed ones make it stale).
enum class DaemonState {
    never_started,   // no `chuhai run` has used this database
    running,         // pid alive, heartbeat fresh
    not_responding,  // pid alive, heartbeat stale: the daemon hangs (or the pid was reused)
    stopped,         // it recorded a clean stop
    died,            // the pid is gone without a clean stop: crashed or killed
};
const char* to_string(DaemonState state);

inline constexpr std::chrono::seconds kHeartbeatStaleAfter{90};

struct ChannelStatus {
    std::string name;
    std::string schedule;  // as described by digest::describe
    std::string time_zone;
    std::optional<UtcTime> last_period_end;
    std::optional<UtcTime> next_due;  // nullopt: `immediate`, after the next poll cycle
};

struct StatusReport {
    UtcTime now{};
    std::string time_zone;  // of "today" and the printed times
    std::string database;

    DaemonState daemon = DaemonState::never_started;
    store::DaemonStatus recorded;

    int sources = 0;
    int sources_ok = 0;
    int sources_failing = 0;
    int sources_disabled = 0;
    std::vector<store::Source> failing;  // with their health

    UtcTime today_start{};
    store::ItemCounts today;

    std::vector<ChannelStatus> channels;
    std::vector<store::Digest> waiting;  // pending digests
    std::vector<store::Digest> failed;   // failed in the last 7 days
};

// Reads everything from `store`; `pid_alive` says whether a process runs (kill(pid, 0)).
StatusReport gather_status(store::Store& store, const config::Settings& settings, UtcTime now,
                           bool (*pid_alive)(std::int64_t pid));

// kill(pid, 0): the process exists (also when it belongs to another user).
bool process_alive(std::int64_t pid);

std::string render_status_text(const StatusReport& report);
std::string render_status_json(const StatusReport& report);

// The channel named `name` of the configuration, or Error(usage) listing the channels.
const config::ChannelSettings& find_channel(const config::Settings& settings,
                                            const std::string& name);

// The store at the configuration's database, which must exist already: a command that only
// reads (status, digest preview) does not create an empty database. Throws Error(store)
// naming the path otherwise.
std::unique_ptr<store::Store> open_existing_store(const config::Settings& settings);

}  // namespace chuhai::app
