// The chuhai binary: parses the command line and runs one subcommand. Errors end here: an
// uncaught chuhai::Error is printed once and becomes the documented exit status.

#include <exception>
#include <iostream>

#include "app/command_line.h"
#include "app/commands.h"
#include "common/error.h"
#include "common/log.h"
#include "common/version.h"

int main(int argc, char** argv) {
    using namespace chuhai;
    app::CommandLine cli;
    cli.app.set_version_flag("--version", std::string("chuhai ") + kVersion);
    cli.app.require_subcommand(1);
    cli.app.add_option("--log-level", cli.common.log_level,
                       "trace, debug, info, warn, error or off (default: the config's, or info)");
    cli.app.footer(
        "Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n"
        "Run 'chuhai SUBCOMMAND --help' for a subcommand's options.");
    app::add_all_commands(cli);

    init_logging(spdlog::level::info);
    try {
        cli.app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version arrive here too, with exit code 0.
        const int code = cli.app.exit(e);
        return code == 0 ? kExitOk : kExitUsage;
    } catch (const Error& e) {
        spdlog::error("{}", e.what());
        return exit_status_for(e.kind());
    } catch (const std::exception& e) {
        spdlog::critical("internal error: {}", e.what());
        return kExitFailure;
    }
    return cli.exit_status;
}
