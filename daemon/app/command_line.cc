#include "app/command_line.h"

#include <cstdlib>
#include <exception>
#include <iostream>

#include "app/app_config.h"
#include "app/commands.h"
#include "common/error.h"
#include "common/log.h"
#include "common/version.h"

namespace chuhai::app {

const char* const kInstalledConfigFile = CHUHAI_INSTALLED_CONFIG_FILE;

std::string default_config_path() {
    if (const char* env = std::getenv("CHUHAI_CONFIG"); env != nullptr && *env != '\0')
        return env;
    return kInstalledConfigFile;
}

void add_config_option(CLI::App& subcommand, CommonOptions& common) {
    if (common.config_path.empty())
        common.config_path = default_config_path();
    subcommand.add_option(
        "--config,-c", common.config_path,
        std::string("config file (default: $CHUHAI_CONFIG or ") + kInstalledConfigFile + ")");
}

namespace {

constexpr const char* kLogLevels = "trace, debug, info, warn, error or off";

// "chuhai feed" for the feed subcommand: the words a user typed to get there.
std::string command_path(const CLI::App& app) {
    std::string path = app.get_name();
    for (const CLI::App* parent = app.get_parent(); parent != nullptr;
         parent = parent->get_parent())
        path = parent->get_name() + " " + path;
    return path;
}

std::string subcommand_choices(const CLI::App& app) {
    std::string choices;
    for (const CLI::App* sub : app.get_subcommands(
             [](const CLI::App* s) { return !s->get_name().empty() && !s->get_group().empty(); })) {
        if (!choices.empty())
            choices += ", ";
        choices += sub->get_name();
    }
    return choices;
}

// The error that ends the command is always shown, also under --log-level off: an exit status
// without a reason helps nobody.
void show_fatal_errors() {
    if (!spdlog::should_log(spdlog::level::err))
        spdlog::set_level(spdlog::level::err);
}

}  // namespace

std::string missing_subcommand_message(const CLI::App& app) {
    // The deepest subcommand that was recognised is where the word went missing.
    const CLI::App* level = &app;
    while (true) {
        const auto parsed = level->get_subcommands([](const CLI::App* s) { return s->parsed(); });
        if (parsed.empty())
            break;
        level = parsed.front();
    }
    const std::vector<std::string> left = app.remaining(true);
    const std::string where = command_path(*level);
    const bool has_subcommands = !subcommand_choices(*level).empty();
    if (has_subcommands && !left.empty() && !left.front().starts_with('-')) {
        // Also where a subcommand is optional (`chuhai sources` alone lists): a word no
        // subcommand and no positional took was meant as a subcommand.
        return where + ": unknown subcommand '" + left.front() +
               "' (choose from: " + subcommand_choices(*level) + ")";
    }
    if (level->get_require_subcommand_min() == 0)
        return {};
    if (!left.empty())
        return where + ": unknown option '" + left.front() + "'";
    return where + ": a subcommand is required (choose from: " + subcommand_choices(*level) + ")";
}

void configure_command_line(CommandLine& cli) {
    cli.app.set_version_flag("--version", std::string("chuhai ") + kVersion);
    cli.app.require_subcommand(1);
    // Global options are also accepted after the subcommand: `chuhai once --log-level debug`.
    cli.app.fallthrough();
    cli.app
        .add_option("--log-level", cli.common.log_level,
                    std::string(kLogLevels) + " (default: the config's, or info)")
        ->check(CLI::Validator(
            [](const std::string& name) {
                return parse_log_level(name)
                           ? std::string()
                           : "unknown log level '" + name + "' (use " + kLogLevels + ")";
            },
            "LEVEL"));
    cli.app.footer(
        "Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n"
        "Run 'chuhai SUBCOMMAND --help' for a subcommand's options.");
    // Before any subcommand runs, so that commands which read no configuration (feed parse,
    // rules check DIR) log at the level asked for; commands that read one apply it again
    // together with the file's log_level.
    cli.app.parse_complete_callback([&cli] { apply_log_level(cli.common); });
    add_all_commands(cli);
}

int run_command_line(int argc, const char* const* argv) {
    CommandLine cli;
    configure_command_line(cli);
    init_logging(spdlog::level::info);
    register_proxy_secrets();
    try {
        cli.app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version arrive here too, with exit code 0.
        if (e.get_exit_code() != 0) {
            if (const std::string message = missing_subcommand_message(cli.app); !message.empty()) {
                std::cerr << message << "\nRun with --help for more information.\n";
                return kExitUsage;
            }
        }
        const int code = cli.app.exit(e);
        return code == 0 ? kExitOk : kExitUsage;
    } catch (const Error& e) {
        show_fatal_errors();
        spdlog::error("{}", e.what());
        return exit_status_for(e.kind());
    } catch (const std::exception& e) {
        show_fatal_errors();
        spdlog::critical("internal error: {}", e.what());
        return kExitFailure;
    }
    return cli.exit_status;
}

}  // namespace chuhai::app
