// The sources a daemon polls, from the command line:
//
//   chuhai sources [list] [--json] [--all]    health at a glance: ok, failing, silent, disabled
//   chuhai sources add URL [--name N] [--tags a,b] [--interval 1h]
//   chuhai sources remove SOURCE              SOURCE: an id, a URL (or a former one) or a name
//   chuhai sources enable SOURCE              after a 410 Gone or `sources disable`
//   chuhai sources disable SOURCE [--reason TEXT]
//   chuhai sources import FILE.opml [--tags a,b]
//   chuhai sources export [FILE]              OPML 2.0, to standard output or a file
//
// Sources added here live in the database beside those of the configuration file; the file owns
// the URLs it lists (docs/configuration.md, "Sources from the file and from the command line").
// Every command first brings the file's sources into the store, as the daemon does when it
// starts or reloads, so that both see the same list.

#include <algorithm>
#include <array>
#include <charconv>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/app_config.h"
#include "app/cli_format.h"
#include "app/commands.h"
#include "app/source_mapping.h"
#include "common/error.h"
#include "common/file.h"
#include "common/log.h"
#include "common/time.h"
#include "config/config_loader.h"
#include "fetch/opml.h"
#include "store/store.h"

namespace chuhai::app {

namespace {

using nlohmann::json;

constexpr const char* kReloadHint =
    "A running daemon picks this up when it reloads (systemctl reload chuhai, or SIGHUP).";

// The configuration, and the store with the file's sources synchronised into it.
struct SourcesSession {
    config::Settings settings;
    std::unique_ptr<store::Store> store;

    explicit SourcesSession(const CommonOptions& common)
        : settings(load_app_config(common)), store(open_configured_store(settings)) {
        store->sync_config_sources(config_source_specs(settings));
    }

    const config::SourceSettings* in_config(const store::Source& source) const {
        return source.spec.origin == store::SourceOrigin::config ? config_entry(settings, source)
                                                                 : nullptr;
    }

    // The source with this URL, now or before a permanent redirect (not one that is merely
    // named so).
    std::optional<store::Source> find_by_url(const std::string& url) const {
        std::optional<store::Source> found = store->find_source(url);
        if (found && found->spec.url != url &&
            std::find(found->former_urls.begin(), found->former_urls.end(), url) ==
                found->former_urls.end())
            return std::nullopt;
        return found;
    }

    // A feed source by id, URL, former URL or name; Error(usage) when there is none.
    store::Source find(const std::string& which) const {
        std::optional<store::Source> found;
        // "3" or "#3", as the listing shows it.
        const std::string_view digits =
            std::string_view(which).substr(which.starts_with('#') ? 1 : 0);
        store::SourceId id = 0;
        const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
        if (!digits.empty() && error == std::errc() && end == digits.data() + digits.size())
            found = store->find_source(id);
        if (!found)
            found = store->find_source(which);
        if (!found || found->spec.kind != store::SourceKind::feed) {
            throw Error(ErrorKind::usage, "no source with the id, URL or name '" + which +
                                              "' (chuhai sources list shows them)");
        }
        return *found;
    }
};

std::string label_of(const store::Source& source) {
    return "#" + std::to_string(source.id) + " " + source.spec.name;
}

std::string where_in_config(const config::SourceSettings& entry, const config::Settings& settings) {
    return entry.where.empty() ? settings.config_file.string() : entry.where;
}

bool is_feed_url(const std::string& url) {
    for (const std::string_view scheme : {"http://", "https://"}) {
        if (url.starts_with(scheme) && url.size() > scheme.size() &&
            url.find_first_of("/?#", scheme.size()) != scheme.size())
            return true;
    }
    return false;
}

// ---- list --------------------------------------------------------------------------------------

// What `sources list` says of a source, most urgent first: removed, disabled, failing, silent,
// new (never polled), ok.
struct SourceView {
    std::string state;
    std::string disabled_reason;  // empty unless disabled
};

SourceView view_of(const store::Source& source, const config::SourceSettings* entry) {
    SourceView view;
    const auto& h = source.health;
    if (source.removed) {
        view.state = "removed";
    } else if (!source.active()) {
        view.state = "disabled";
        if (!source.disabled_reason.empty())
            view.disabled_reason = source.disabled_reason;
        else if (entry != nullptr)
            view.disabled_reason = "enabled: false in the configuration";
        else if (source.spec.origin == store::SourceOrigin::config)
            view.disabled_reason = "no longer in the configuration";
        else
            view.disabled_reason = "disabled";
    } else if (h.consecutive_failures > 0) {
        view.state = "failing";
    } else if (h.silent) {
        view.state = "silent";
    } else if (!h.last_attempt) {
        view.state = "new";
    } else {
        view.state = "ok";
    }
    return view;
}

json optional_json(const std::optional<int>& value) {
    return value ? json(*value) : json(nullptr);
}

json source_json(const store::Source& source, const config::SourceSettings* entry) {
    const auto& h = source.health;
    const SourceView view = view_of(source, entry);
    json former = json::array();
    for (const auto& url : source.former_urls)
        former.push_back(redact_url(url));
    return {
        {"id", source.id},
        {"name", source.spec.name},
        {"url", redact_url(source.spec.url)},
        {"origin", store::to_string(source.spec.origin)},
        {"in_config", entry != nullptr},
        {"tags", source.spec.tags},
        {"interval_seconds",
         source.spec.interval ? json(source.spec.interval->count()) : json(nullptr)},
        {"state", view.state},
        {"condition", to_string(condition_of(source))},
        {"enabled", source.active()},
        {"disabled_reason",
         view.disabled_reason.empty() ? json(nullptr) : json(redact_secrets(view.disabled_reason))},
        {"disabled_at", time_json(source.disabled_at)},
        {"removed_at", time_json(source.removed)},
        {"former_urls", std::move(former)},
        {"last_attempt", time_json(h.last_attempt)},
        {"last_success", time_json(h.last_success)},
        {"last_http_status", optional_json(h.last_http_status)},
        {"last_error", h.last_error.empty() ? json(nullptr) : json(redact_secrets(h.last_error))},
        {"consecutive_failures", h.consecutive_failures},
        {"last_bytes", h.last_bytes},
        {"last_duration_ms", h.last_duration.count()},
        {"last_items_seen", h.last_items_seen},
        {"last_items_new", h.last_items_new},
        {"last_new_item", time_json(h.last_new_item)},
        {"silent", h.silent},
        {"usual_silence_seconds", h.usual_silence ? json(h.usual_silence->count()) : json(nullptr)},
        {"next_poll", time_json(source.schedule.next_poll)},
    };
}

std::string when(const std::optional<UtcTime>& t) {
    return t ? format_day_minute(*t) + " UTC" : std::string("never");
}

void print_source(const store::Source& source, const config::SourceSettings* entry) {
    const auto& h = source.health;
    const SourceView view = view_of(source, entry);
    std::cout << "#" << source.id << "  " << view.state << "  " << source.spec.name << "  ("
              << (entry != nullptr ? "config" : store::to_string(source.spec.origin));
    if (!source.spec.tags.empty()) {
        std::cout << "; tags:";
        for (const auto& tag : source.spec.tags)
            std::cout << ' ' << tag;
    }
    std::cout << ")\n    " << redact_url(source.spec.url) << "\n";
    if (!view.disabled_reason.empty()) {
        std::cout << "    disabled: " << redact_secrets(view.disabled_reason);
        if (source.disabled_at)
            std::cout << " (since " << when(source.disabled_at) << ")";
        std::cout << "\n";
    }
    if (!source.former_urls.empty())
        std::cout << "    moved from " << redact_url(source.former_urls.back()) << "\n";
    if (h.last_attempt) {
        std::cout << "    last poll " << when(h.last_attempt);
        if (h.last_http_status)
            std::cout << ": HTTP " << *h.last_http_status;
        if (h.consecutive_failures == 0 && h.last_items_seen > 0)
            std::cout << ", " << h.last_items_seen << " items, " << h.last_items_new << " new";
        std::cout << "; last success " << when(h.last_success) << "\n";
    } else if (source.active()) {
        std::cout << "    not polled yet\n";
    }
    if (h.consecutive_failures > 0) {
        std::cout << "    " << h.consecutive_failures
                  << (h.consecutive_failures == 1 ? " failure" : " failures in a row")
                  << (h.last_error.empty() ? std::string() : ": " + redact_secrets(h.last_error))
                  << "\n";
    }
    if (h.silent) {
        std::cout << "    nothing new since " << when(h.last_new_item);
        if (h.usual_silence)
            std::cout << " (usually within " << format_duration(*h.usual_silence) << ")";
        std::cout << "\n";
    }
}

// The listing goes to a terminal or a script, not through the logger: every URL and every
// error text (the fetch stage quotes URLs, credentials included) is masked here.
int list_sources(const SourcesSession& session, bool as_json, bool include_removed) {
    std::vector<store::Source> sources;
    for (auto& source : session.store->list_sources(include_removed)) {
        if (source.spec.kind != store::SourceKind::feed)
            continue;
        register_url_secrets(source.spec.url);
        for (const auto& url : source.former_urls)
            register_url_secrets(url);
        sources.push_back(std::move(source));
    }
    if (as_json) {
        json list = json::array();
        for (const auto& source : sources)
            list.push_back(source_json(source, session.in_config(source)));
        std::cout << list.dump(2) << "\n";
        return kExitOk;
    }
    if (sources.empty()) {
        std::cout << "no sources: list them under sources: in " << session.settings.config_file
                  << ", or add them with 'chuhai sources add URL'\n";
        return kExitOk;
    }
    // Trouble first: a dead, moved or silent feed must not hide among hundreds that are fine.
    constexpr std::array<std::string_view, 6> kOrder = {"failing", "disabled", "silent",
                                                        "new",     "ok",       "removed"};
    struct Row {
        const store::Source* source;
        const config::SourceSettings* entry;
        std::string state;
        std::ptrdiff_t rank;
    };
    std::vector<Row> rows;
    rows.reserve(sources.size());
    for (const auto& source : sources) {
        const auto* entry = session.in_config(source);
        std::string state = view_of(source, entry).state;
        const auto rank = std::find(kOrder.begin(), kOrder.end(), state) - kOrder.begin();
        rows.push_back({&source, entry, std::move(state), rank});
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.rank < b.rank; });
    std::map<std::string, int, std::less<>> counts;
    for (const Row& row : rows) {
        print_source(*row.source, row.entry);
        ++counts[row.state];
    }
    std::cout << sources.size() << " sources:";
    const char* separator = " ";
    for (const std::string_view state : kOrder) {
        const auto found = counts.find(state);
        if (found == counts.end())
            continue;
        std::cout << separator << found->second << " " << state;
        separator = ", ";
    }
    std::cout << "\n";
    return kExitOk;
}

// ---- add, remove, enable, disable --------------------------------------------------------------

struct AddOptions {
    std::string url;
    std::string name;
    std::vector<std::string> tags;
    std::string interval;
};

// Refuses to take over a URL the configuration file lists: the file would take it back.
void refuse_if_configured(const SourcesSession& session, const store::Source& source,
                          const std::string& what) {
    if (const auto* entry = session.in_config(source)) {
        throw Error(ErrorKind::usage,
                    redact_url(source.spec.url) + " is listed in the configuration file; " + what,
                    where_in_config(*entry, session.settings));
    }
}

int add_source(SourcesSession& session, const AddOptions& options) {
    register_url_secrets(options.url);
    if (!is_feed_url(options.url)) {
        throw Error(ErrorKind::usage,
                    "a source URL must start with http:// or https:// and name a host, not '" +
                        redact_url(options.url) + "'");
    }
    store::SourceSpec spec;
    spec.url = options.url;
    spec.name = options.name.empty() ? config::default_source_name(options.url) : options.name;
    spec.tags = options.tags;
    spec.timezone = session.settings.timezone;
    spec.origin = store::SourceOrigin::cli;
    if (!options.interval.empty()) {
        const auto interval = parse_duration(options.interval);
        if (!interval || interval->count() <= 0) {
            throw Error(ErrorKind::usage,
                        "--interval: expected a duration such as 30m or 2h, not '" +
                            options.interval + "'");
        }
        spec.interval = *interval;
    }
    const std::optional<store::Source> existing = session.find_by_url(options.url);
    if (existing) {
        refuse_if_configured(session, *existing, "change it there");
        if (existing->spec.url != options.url)
            spec.url = existing->spec.url;  // it moved; keep polling where it is now
    }
    const store::SourceId id = session.store->upsert_source(spec);
    const store::Source added = *session.store->find_source(id);
    if (!existing) {
        std::cout << "added " << label_of(added) << " <" << redact_url(added.spec.url) << ">\n";
    } else if (existing->removed) {
        std::cout << "added " << label_of(added)
                  << " again; its earlier items and health are kept\n";
    } else {
        std::cout << "updated " << label_of(added);
        if (existing->spec.url != options.url)
            std::cout << " (it moved to " << redact_url(existing->spec.url) << ")";
        std::cout << "\n";
    }
    if (!added.disabled_reason.empty()) {
        std::cout << "it stays disabled (" << added.disabled_reason << "): chuhai sources enable "
                  << added.id << "\n";
    }
    std::cout << kReloadHint << "\n";
    return kExitOk;
}

int remove_source(SourcesSession& session, const std::string& which) {
    const store::Source source = session.find(which);
    if (source.removed) {
        std::cout << label_of(source) << " was already removed\n";
        return kExitOk;
    }
    refuse_if_configured(session, source, "remove it there, then reload");
    session.store->remove_source(source.id);
    std::cout << "removed " << label_of(source) << "; the items it brought stay\n"
              << kReloadHint << "\n";
    return kExitOk;
}

int enable_source(SourcesSession& session, const std::string& which) {
    const store::Source source = session.find(which);
    if (source.removed) {
        throw Error(ErrorKind::usage, label_of(source) +
                                          " was removed; add it again with 'chuhai sources add " +
                                          redact_url(source.spec.url) + "'");
    }
    const auto* entry = session.in_config(source);
    if (!source.spec.enabled) {
        if (entry != nullptr) {
            throw Error(ErrorKind::usage,
                        label_of(source) +
                            " is disabled by the configuration file; set "
                            "'enabled: true' there, then reload",
                        where_in_config(*entry, session.settings));
        }
        if (source.spec.origin == store::SourceOrigin::config) {
            throw Error(ErrorKind::usage,
                        label_of(source) +
                            " is no longer in the configuration file; list it there again, or "
                            "keep it with 'chuhai sources add " +
                            redact_url(source.spec.url) + "'");
        }
    }
    if (source.active()) {
        std::cout << label_of(source) << " is already enabled\n";
        return kExitOk;
    }
    session.store->enable_source(source.id);
    std::cout << "enabled " << label_of(source) << " (was disabled: " << source.disabled_reason
              << ")\n"
              << kReloadHint << "\n";
    return kExitOk;
}

int disable_source(SourcesSession& session, const std::string& which, const std::string& reason) {
    const store::Source source = session.find(which);
    if (source.removed)
        throw Error(ErrorKind::usage, label_of(source) + " was removed");
    if (!source.active()) {
        std::cout << label_of(source) << " is already disabled ("
                  << view_of(source, session.in_config(source)).disabled_reason << ")\n";
        return kExitOk;
    }
    session.store->disable_source(source.id, reason);
    std::cout << "disabled " << label_of(source) << " (" << reason << ")\n" << kReloadHint << "\n";
    return kExitOk;
}

// ---- OPML --------------------------------------------------------------------------------------

int import_opml(SourcesSession& session, const std::string& file,
                const std::vector<std::string>& extra_tags) {
    const fetch::OpmlDocument document = fetch::read_opml_file(file);
    for (const auto& feed : document.feeds)
        register_url_secrets(feed.xml_url);
    for (const auto& warning : document.warnings)
        std::cerr << "warning: " << warning << "\n";
    int added = 0;
    int updated = 0;
    int configured = 0;
    for (const auto& feed : document.feeds) {
        const std::optional<store::Source> existing = session.find_by_url(feed.xml_url);
        if (existing && session.in_config(*existing) != nullptr) {
            ++configured;
            continue;
        }
        store::SourceSpec spec;
        spec.url = existing ? existing->spec.url : feed.xml_url;
        spec.name =
            feed.title == feed.xml_url ? config::default_source_name(feed.xml_url) : feed.title;
        spec.tags = feed.tags;
        for (const auto& tag : extra_tags) {
            if (std::find(spec.tags.begin(), spec.tags.end(), tag) == spec.tags.end())
                spec.tags.push_back(tag);
        }
        spec.timezone = session.settings.timezone;
        spec.origin = store::SourceOrigin::cli;
        if (existing) {
            spec.interval = existing->spec.interval;
            spec.timezone = existing->spec.timezone;
        }
        session.store->upsert_source(spec);
        ++(existing && !existing->removed ? updated : added);
    }
    std::cout << "imported " << file << ": " << document.feeds.size() << " feeds, " << added
              << " added, " << updated << " updated";
    if (configured > 0)
        std::cout << ", " << configured << " left to the configuration file that lists them";
    std::cout << "\n" << kReloadHint << "\n";
    return kExitOk;
}

int export_opml(SourcesSession& session, const std::string& file) {
    fetch::OpmlDocument document;
    document.title = "chuhai sources";
    for (const auto& source : session.store->list_sources()) {
        // A source the file no longer lists is history, not a subscription.
        if (source.spec.kind != store::SourceKind::feed ||
            (source.spec.origin == store::SourceOrigin::config &&
             session.in_config(source) == nullptr))
            continue;
        fetch::OpmlFeed feed;
        feed.title = source.spec.name;
        feed.xml_url = source.spec.url;
        feed.tags = source.spec.tags;
        document.feeds.push_back(std::move(feed));
    }
    const std::string opml = fetch::write_opml(document, SystemClock().now());
    if (file.empty() || file == "-") {
        std::cout << opml;
        std::cout.flush();
        if (!std::cout)
            throw Error(ErrorKind::io, "cannot write the OPML to standard output");
        return kExitOk;
    }
    write_file_atomic(file, opml);
    std::cout << "exported " << document.feeds.size() << " sources to " << file << "\n";
    return kExitOk;
}

}  // namespace

void add_sources_commands(CommandLine& cli) {
    CommonOptions& common = cli.common;
    int& exit_status = cli.exit_status;

    auto* sources = cli.app.add_subcommand(
        "sources",
        "the feeds chuhai polls: list their health, add, remove, disable, enable, import, export");
    add_config_option(*sources, common);
    sources->require_subcommand(0, 1);
    sources->fallthrough();

    // `chuhai sources` alone is `chuhai sources list`.
    auto list_json = std::make_shared<bool>(false);
    auto list_all = std::make_shared<bool>(false);
    sources->add_flag("--json", *list_json, "with no subcommand: list as JSON");
    auto* list = sources->add_subcommand(
        "list", "each source's health: state, last poll and success, failures, silence");
    list->add_flag("--json", *list_json, "one JSON array, a field per health figure");
    list->add_flag("--all", *list_all, "also the sources that were removed");
    list->callback([&common, &exit_status, list_json, list_all] {
        SourcesSession session(common);
        exit_status = list_sources(session, *list_json, *list_all);
    });
    sources->callback([sources, &common, &exit_status, list_json, list_all] {
        if (!sources->get_subcommands().empty())
            return;
        SourcesSession session(common);
        exit_status = list_sources(session, *list_json, *list_all);
    });

    auto add_options = std::make_shared<AddOptions>();
    auto* add = sources->add_subcommand("add", "add a feed (or update the one with this URL)");
    add->add_option("URL", add_options->url, "http:// or https:// URL of the feed")->required();
    add->add_option("--name", add_options->name, "shown in digests and logs (default: the host)");
    add->add_option("--tags", add_options->tags, "tags, comma-separated or repeated")
        ->delimiter(',');
    add->add_option("--interval", add_options->interval,
                    "poll interval such as 30m or 2h (default: fetch.interval)");
    add->callback([&common, &exit_status, add_options] {
        SourcesSession session(common);
        exit_status = add_source(session, *add_options);
    });

    auto which = std::make_shared<std::string>();
    auto* remove = sources->add_subcommand(
        "remove", "stop polling a source added here; its items and their provenance stay");
    remove->add_option("SOURCE", *which, "id, URL or name")->required();
    remove->callback([&common, &exit_status, which] {
        SourcesSession session(common);
        exit_status = remove_source(session, *which);
    });

    auto* enable = sources->add_subcommand(
        "enable", "poll a source again that was disabled (410 Gone, or by hand)");
    enable->add_option("SOURCE", *which, "id, URL or name")->required();
    enable->callback([&common, &exit_status, which] {
        SourcesSession session(common);
        exit_status = enable_source(session, *which);
    });

    auto reason = std::make_shared<std::string>("disabled by hand");
    auto* disable =
        sources->add_subcommand("disable", "stop polling a source until 'sources enable'");
    disable->add_option("SOURCE", *which, "id, URL or name")->required();
    disable->add_option("--reason", *reason, "shown by 'sources list'")->capture_default_str();
    disable->callback([&common, &exit_status, which, reason] {
        SourcesSession session(common);
        exit_status = disable_source(session, *which, *reason);
    });

    auto file = std::make_shared<std::string>();
    auto import_tags = std::make_shared<std::vector<std::string>>();
    auto* import_command = sources->add_subcommand(
        "import", "add the feeds of an OPML file (folders become tags); idempotent");
    import_command->add_option("FILE", *file, "the OPML file")->required();
    import_command->add_option("--tags", *import_tags, "tags to add to every imported feed")
        ->delimiter(',');
    import_command->callback([&common, &exit_status, file, import_tags] {
        SourcesSession session(common);
        exit_status = import_opml(session, *file, *import_tags);
    });

    auto* export_command = sources->add_subcommand(
        "export", "write every source as OPML 2.0 (first tag as folder, all tags as category)");
    export_command->add_option("FILE", *file, "where to write it (default: standard output)");
    export_command->callback([&common, &exit_status, file] {
        SourcesSession session(common);
        exit_status = export_opml(session, *file);
    });
}  // namespace chuhai::app

}  // namespace chuhai::app
