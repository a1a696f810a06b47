// The subcommands that poll:
//   chuhai once --config FILE   every enabled source once, now; store; then every due digest
//                               built and sent; a summary of both
//   chuhai demo                 `once` on the bundled sample feeds, then the digest
// (`chuhai run`, the daemon, is in commands_run.cc.)

#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <iostream>
#include <memory>
#include <system_error>
#include <thread>

#include "app/app_config.h"
#include "app/commands.h"
#include "app/digest_candidates.h"
#include "app/digest_delivery.h"
#include "app/poll_runtime.h"
#include "app/static_http_server.h"
#include "common/embedded_file.h"
#include "common/error.h"
#include "common/file.h"
#include "common/time.h"
#include "config/config_loader.h"
#include "digest/build.h"
#include "digest/render.h"
#include "feed/feed_parser.h"
#include "match/rule_set.h"
#include "store/store.h"

std::span<const chuhai::EmbeddedFile> demo_feeds();

namespace chuhai::app {

namespace {

// One poll of every enabled source, on a private event loop.
CycleReport poll_once(const config::Settings& settings) {
    auto rules = match::RuleSet::load(settings.rules);
    warn_about_unknown_filters(settings, *rules);
    auto store = open_configured_store(settings);
    ensure_reference_corpus(*store, settings);
    boost::asio::io_context io;
    SystemClock clock;
    CycleReport report;
    {
        PollRuntime runtime(io, clock, settings, std::move(store), std::move(rules));
        runtime.poll_all_now([&](const CycleReport& r) {
            report = r;
            io.stop();
        });
        io.run();
    }
    return report;
}

// A folder for the demo's database and config: the one given with --keep, or a temporary one
// removed afterwards.
class DemoFolder {
  public:
    explicit DemoFolder(const std::string& keep) {
        if (!keep.empty()) {
            path_ = std::filesystem::absolute(keep);
            std::filesystem::create_directories(path_);
            return;
        }
        std::string pattern =
            (std::filesystem::temp_directory_path() / "chuhai-demo-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw Error(ErrorKind::io, "cannot create a temporary folder", pattern);
        }
        path_ = pattern;
        temporary_ = true;
    }
    DemoFolder(const DemoFolder&) = delete;
    DemoFolder& operator=(const DemoFolder&) = delete;
    ~DemoFolder() {
        std::error_code ignored;
        if (temporary_)
            std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
    bool temporary_ = false;
};

std::string content_type_for(std::string_view name) {
    if (name.ends_with(".atom"))
        return "application/atom+xml";
    if (name.ends_with(".json"))
        return "application/feed+json";
    return "application/rss+xml";
}

// YAML double-quoted scalar.
std::string yaml_quoted(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

// Serves the bundled feeds on 127.0.0.1, polls them twice with the real fetcher (the second poll
// shows conditional GET and deduplication), then prints the digest of what matched.
int run_demo(const CommonOptions& common, const std::string& rules_dir, const std::string& keep) {
    apply_log_level(common, "warn");
    std::vector<StaticHttpServer::Document> documents;
    std::vector<std::pair<std::string, std::string>> sources;  // path, name
    for (const auto& feed : demo_feeds()) {
        const std::string path = "/feeds/" + std::string(feed.name);
        documents.push_back({path, content_type_for(feed.name), std::string(feed.contents)});
        std::string name(feed.name);
        try {
            const auto parsed = feed::parse_feed(feed.contents);
            if (!parsed.title.empty())
                name = parsed.title;
        } catch (const Error&) {
        }
        sources.emplace_back(path, name);
    }
    StaticHttpServer server(std::move(documents));
    DemoFolder folder(keep);

    std::string config = "# Written by `chuhai demo`.\n";
    config += "database: " + yaml_quoted((folder.path() / "chuhai.db").string()) + "\n";
    config += "rules: " + yaml_quoted(rules_dir) + "\n";
    config += "sources:\n";
    for (const auto& [path, name] : sources) {
        config +=
            "  - url: " + yaml_quoted(server.url(path)) + "\n    name: " + yaml_quoted(name) + "\n";
    }
    const auto config_path = folder.path() / "chuhai.yaml";
    write_file_atomic(config_path, config);
    const config::Settings settings = config::load_settings(config_path);

    SystemClock clock;
    const UtcTime started = clock.now();
    std::cout << "chuhai demo: serving " << sources.size() << " sample feeds on "
              << server.url("/feeds/") << "\n";
    std::cout << "first poll:  " << summary_line(poll_once(settings)) << "\n";
    std::cout << "second poll: " << summary_line(poll_once(settings)) << "\n\n";

    auto store = open_configured_store(settings);
    digest::DigestInputs inputs;
    inputs.channel = "demo";
    inputs.generated = clock.now();
    inputs.period = {started, inputs.generated + std::chrono::seconds{1}};
    inputs.candidates = candidate_stories(*store, started, inputs.period.end);
    std::cout << digest::render_text(digest::build_digest(inputs));
    if (!keep.empty()) {
        std::cout << "\nThe database and config are in " << folder.path().string()
                  << "; try: chuhai items --config " << config_path.string() << "\n";
    }
    return kExitOk;
}

}  // namespace

void add_poll_commands(CommandLine& cli) {
    auto& common = cli.common;
    int& exit_status = cli.exit_status;

    auto* once = cli.app.add_subcommand(
        "once", "poll every enabled source once, now, store what is new, print a summary");
    add_config_option(*once, common);
    once->callback([&common, &exit_status] {
        const config::Settings settings = load_app_config(common);
        SystemClock clock;
        // Senders first: a password that cannot be read stops the command before it polls.
        DigestDelivery digests(digest_channels(settings), delivery_options(settings), clock);
        for (const auto& channel : settings.digests)
            digests.set_sender(channel.name, make_sender(channel));
        auto store = store::open_store(settings.database);
        // A channel new to the store starts before this poll, so what it finds is digested.
        digests.start_channels(*store);

        const CycleReport report = poll_once(settings);
        std::cout << "chuhai once: " << summary_line(report) << "\n";
        store->record_cycle(clock.now(), summary_line(report), "once");

        // Periods end at whole seconds: let the second of the last item stored pass, so that an
        // `immediate` channel's period holds everything this poll found.
        if (!settings.digests.empty()) {
            const UtcTime polled = clock.now();
            while (clock.now() <= polled)
                std::this_thread::sleep_for(std::chrono::milliseconds{50});
        }
        const DeliveryActivity activity = digests.run(*store);
        if (!settings.digests.empty()) {
            std::cout << "digests: " << summary_line(activity) << "\n";
            for (const auto& line : activity.lines)
                std::cout << "  " << line << "\n";
        }
        // Sources that failed are logged and counted in the summary, and a digest that failed
        // for the time being waits in the outbox: the run itself worked. A digest the server
        // refused for good is a failure the operator must see.
        exit_status = activity.failed > 0 ? kExitFailure : kExitOk;
    });

    auto rules_dir = std::make_shared<std::string>(default_rules_dir().string());
    auto keep = std::make_shared<std::string>();
    auto* demo = cli.app.add_subcommand(
        "demo", "poll the bundled sample feeds from a loopback server and print a digest");
    demo->add_option("--rules", *rules_dir, "rules folder")->capture_default_str();
    demo->add_option("--keep", *keep, "keep the database and config in this folder");
    demo->callback([&common, &exit_status, rules_dir, keep] {
        exit_status = run_demo(common, *rules_dir, *keep);
    });
}

}  // namespace chuhai::app
