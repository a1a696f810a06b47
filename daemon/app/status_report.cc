#include "app/status_report.h"

#include <errno.h>
#include <fmt/format.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>

#include "app/app_config.h"
#include "app/cli_format.h"
#include "common/error.h"
#include "common/log.h"
#include "config/delivery_settings.h"
#include "digest/schedule.h"
#include "digest/time_zone.h"

namespace chuhai::app {

namespace {

using nlohmann::json;

// How far back `chuhai status` lists digests that failed.
constexpr std::chrono::days kFailedShownFor{7};
constexpr std::size_t kDigestsListed = 20;

// Local midnight of `now`'s day in `zone`.
UtcTime start_of_day(const digest::TimeZone& zone, UtcTime now) {
    const auto local = zone.to_local(now);
    return zone.first_instant_reaching(std::chrono::floor<std::chrono::days>(local));
}

std::string ago(UtcTime now, UtcTime then) {
    if (then >= now)
        return "just now";
    return format_duration(now - then) + " ago";
}

json digest_json(const store::Digest& d) {
    return {{"channel", d.channel},
            {"message_id", d.message_id},
            {"period",
             {{"start", format_rfc3339(d.period_start)}, {"end", format_rfc3339(d.period_end)}}},
            {"stories", d.story_count},
            {"attempts", d.attempts},
            {"next_attempt", d.status == store::DigestStatus::pending
                                 ? json(format_rfc3339(d.next_attempt))
                                 : json(nullptr)},
            {"last_error", redact_secrets(d.last_error)},
            {"created", format_rfc3339(d.created)}};
}

}  // namespace

const char* to_string(DaemonState state) {
    switch (state) {
        case DaemonState::never_started:
            return "never started";
        case DaemonState::running:
            return "running";
        case DaemonState::not_responding:
            return "not responding";
        case DaemonState::stopped:
            return "stopped";
        case DaemonState::died:
            return "not running";
    }
    return "unknown";
}

bool process_alive(std::int64_t pid) {
    if (pid <= 0)
        return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

const config::ChannelSettings& find_channel(const config::Settings& settings,
                                            const std::string& name) {
    std::string known;
    for (const auto& channel : settings.digests) {
        if (channel.name == name)
            return channel;
        known += (known.empty() ? "" : ", ") + channel.name;
    }
    throw Error(ErrorKind::usage,
                "no digest channel named '" + name + "' in " + settings.config_file.string() +
                    (known.empty() ? " (it defines none)" : " (channels: " + known + ")"));
}

std::unique_ptr<store::Store> open_existing_store(const config::Settings& settings) {
    std::error_code ec;
    if (!std::filesystem::exists(settings.database, ec)) {
        throw Error(ErrorKind::store,
                    "no database yet: chuhai has not run with this configuration (chuhai once or "
                    "chuhai run create it)",
                    settings.database.string());
    }
    return open_configured_store(settings);
}

StatusReport gather_status(store::Store& store, const config::Settings& settings, UtcTime now,
                           bool (*pid_alive)(std::int64_t pid)) {
    StatusReport report;
    report.now = now;
    report.time_zone = settings.timezone;
    report.database = settings.database.string();
    const auto zone = digest::TimeZone::locate(settings.timezone);

    report.recorded = store.daemon_status();
    const auto& d = report.recorded;
    if (!d.pid) {
        report.daemon = DaemonState::never_started;
    } else if (d.stopped) {
        report.daemon = DaemonState::stopped;
    } else if (!pid_alive(*d.pid)) {
        report.daemon = DaemonState::died;
    } else if (!d.heartbeat || now - *d.heartbeat > kHeartbeatStaleAfter) {
        report.daemon = DaemonState::not_responding;
    } else {
        report.daemon = DaemonState::running;
    }

    for (const auto& source : store.list_sources()) {
        if (source.spec.kind != store::SourceKind::feed)
            continue;
        // Sources added with `chuhai sources add` carry their credentials in the database only;
        // the report shows URLs and errors, which may quote them.
        register_url_secrets(source.spec.url);
        for (const auto& url : source.former_urls)
            register_url_secrets(url);
        ++report.sources;
        if (!source.active())
            ++report.sources_disabled;
        else if (source.health.consecutive_failures > 0) {
            ++report.sources_failing;
            report.failing.push_back(source);
        } else {
            ++report.sources_ok;
        }
    }

    report.today_start = start_of_day(zone, now);
    report.today = store.count_items(report.today_start, now + std::chrono::seconds{1});

    for (const auto& c : settings.digests) {
        ChannelStatus channel;
        channel.name = c.name;
        const auto schedule = config::channel_schedule(c, c.where);
        channel.schedule = digest::describe(schedule);
        channel.time_zone = schedule.zone.name();
        channel.last_period_end = store.channel_period_end(c.name);
        if (schedule.kind != digest::Schedule::Kind::immediate) {
            // A channel that has not started yet starts with the daemon: its first digest is
            // due at the first slot after that.
            channel.next_due = channel.last_period_end
                                   ? digest::next_due(schedule, *channel.last_period_end, now)
                                   : digest::slot_after(schedule, now);
        }
        report.channels.push_back(std::move(channel));
    }
    report.waiting = store.list_digests(store::DigestStatus::pending, now, kDigestsListed);
    report.failed =
        store.list_digests(store::DigestStatus::failed, now - kFailedShownFor, kDigestsListed);
    return report;
}

std::string render_status_text(const StatusReport& r) {
    const auto zone = digest::TimeZone::locate(r.time_zone);
    auto when = [&](UtcTime t) { return zone.format(t); };
    std::string out;
    const auto& d = r.recorded;
    out += "daemon      ";
    switch (r.daemon) {
        case DaemonState::never_started:
            out += "never started (no `chuhai run` has used " + r.database + ")\n";
            break;
        case DaemonState::running:
            out += fmt::format("running (pid {}, since {}, heartbeat {})\n", *d.pid,
                               when(*d.started), ago(r.now, *d.heartbeat));
            break;
        case DaemonState::not_responding:
            out += fmt::format("NOT RESPONDING (pid {} is alive but its last heartbeat was {})\n",
                               *d.pid, d.heartbeat ? ago(r.now, *d.heartbeat) : "never");
            break;
        case DaemonState::stopped:
            out += fmt::format("stopped (pid {} stopped at {})\n", *d.pid, when(*d.stopped));
            break;
        case DaemonState::died:
            out += fmt::format(
                "NOT RUNNING (pid {} ended without stopping cleanly; last heartbeat "
                "{})\n",
                *d.pid, d.heartbeat ? when(*d.heartbeat) : "never");
            break;
    }
    out += "last cycle  ";
    if (d.last_cycle_end) {
        out += fmt::format("{} ({}, by chuhai {}): {}\n", when(*d.last_cycle_end),
                           ago(r.now, *d.last_cycle_end), d.last_cycle_by, d.last_cycle_summary);
    } else {
        out += "none yet\n";
    }
    out += fmt::format("sources     {}: {} ok, {} failing, {} disabled\n", r.sources, r.sources_ok,
                       r.sources_failing, r.sources_disabled);
    for (const auto& source : r.failing) {
        out += fmt::format("  failing   {}: {} ({} in a row{})\n", source.spec.name,
                           redact_secrets(source.health.last_error),
                           counted(source.health.consecutive_failures, "attempt"),
                           source.health.last_success
                               ? ", last success " + when(*source.health.last_success)
                               : std::string(", never succeeded"));
    }
    out += fmt::format("today       {}, {} matched (since {})\n", counted(r.today.items, "item"),
                       r.today.matched, when(r.today_start));
    out += "digests     ";
    if (r.channels.empty())
        out += "no channels configured\n";
    else
        out += counted(r.channels.size(), "channel") + "\n";
    for (const auto& c : r.channels) {
        const auto channel_zone = digest::TimeZone::locate(c.time_zone);
        std::string next = c.next_due ? "next " + channel_zone.format(*c.next_due)
                                      : std::string("after each poll cycle");
        out += fmt::format("  {}: {}; {}{}\n", c.name, c.schedule, next,
                           c.last_period_end
                               ? "; covered up to " + channel_zone.format(*c.last_period_end)
                               : std::string("; not started yet"));
    }
    for (const auto& w : r.waiting) {
        out += fmt::format(
            "  waiting   {} {} ({}): {}, next {}{}\n", w.channel, w.message_id,
            counted(w.story_count, "story", "stories"), counted(w.attempts, "attempt"),
            when(w.next_attempt),
            w.last_error.empty() ? "" : "; last error: " + redact_secrets(w.last_error));
    }
    for (const auto& f : r.failed) {
        out += fmt::format("  FAILED    {} {} ({}, built {}): {}\n", f.channel, f.message_id,
                           counted(f.story_count, "story", "stories"), when(f.created),
                           redact_secrets(f.last_error));
    }
    return out;
}

std::string render_status_json(const StatusReport& r) {
    const auto& d = r.recorded;
    json failing = json::array();
    for (const auto& source : r.failing) {
        failing.push_back({{"name", source.spec.name},
                           {"url", redact_secrets(source.spec.url)},
                           {"last_error", redact_secrets(source.health.last_error)},
                           {"consecutive_failures", source.health.consecutive_failures},
                           {"last_success", time_json(source.health.last_success)}});
    }
    json channels = json::array();
    for (const auto& c : r.channels) {
        channels.push_back({{"name", c.name},
                            {"schedule", c.schedule},
                            {"time_zone", c.time_zone},
                            {"covered_until", time_json(c.last_period_end)},
                            {"next_due", time_json(c.next_due)}});
    }
    json waiting = json::array();
    for (const auto& w : r.waiting)
        waiting.push_back(digest_json(w));
    json failed = json::array();
    for (const auto& f : r.failed)
        failed.push_back(digest_json(f));
    const json doc = {
        {"now", format_rfc3339(r.now)},
        {"database", r.database},
        {"daemon",
         {{"state", to_string(r.daemon)},
          {"running", r.daemon == DaemonState::running},
          {"pid", d.pid ? json(*d.pid) : json(nullptr)},
          {"started", time_json(d.started)},
          {"heartbeat", time_json(d.heartbeat)},
          {"stopped", time_json(d.stopped)}}},
        {"last_cycle",
         {{"end", time_json(d.last_cycle_end)},
          {"by", d.last_cycle_by.empty() ? json(nullptr) : json(d.last_cycle_by)},
          {"summary", d.last_cycle_summary}}},
        {"sources",
         {{"total", r.sources},
          {"ok", r.sources_ok},
          {"failing", r.sources_failing},
          {"disabled", r.sources_disabled},
          {"failing_sources", failing}}},
        {"today",
         {{"since", format_rfc3339(r.today_start)},
          {"items", r.today.items},
          {"matched", r.today.matched}}},
        {"digests", {{"channels", channels}, {"waiting", waiting}, {"failed", failed}}}};
    return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace chuhai::app
