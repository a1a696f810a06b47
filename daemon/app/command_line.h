#pragma once
// The chuhai command line: one binary, one subcommand per job. Each commands_*.cc file adds its
// subcommands through an add_*_commands() function; main.cc calls them all.

#include <CLI/CLI.hpp>
#include <string>

namespace chuhai::app {

// Options shared by every subcommand.
struct CommonOptions {
    std::string config_path;  // --config; default: default_config_path()
    std::string log_level;    // --log-level; empty means the config's (or "info")
};

struct CommandLine {
    CLI::App app{"chuhai: watches the news about Chinese AI companies going global", "chuhai"};
    CommonOptions common;
    int exit_status = 0;  // set by the subcommand that ran
};

// Where the configuration was installed: CHUHAI_CONFIG_DIR/chuhai.yaml (CMake; /etc/chuhai by
// default).
extern const char* const kInstalledConfigFile;

// The default config path: $CHUHAI_CONFIG when set, else kInstalledConfigFile.
std::string default_config_path();

// Adds --config FILE to a subcommand that reads the config, the store or the sources.
void add_config_option(CLI::App& subcommand, CommonOptions& common);

// The whole command line: the global options (--help, --version, --log-level) and every
// subcommand. --log-level is checked while parsing (an unknown level is a usage error) and
// applied before any subcommand runs.
void configure_command_line(CommandLine& cli);

// Parses argv and runs the subcommand it names. Errors end here: each is printed once and
// becomes the documented exit status (0 success, 1 runtime failure, 2 usage or configuration
// error); an unknown subcommand or option is named as such.
int run_command_line(int argc, const char* const* argv);

// For an argument list that names no valid subcommand at some level (`chuhai bogus`,
// `chuhai feed bogus`, `chuhai sources bogus`, `chuhai feed`): the message to print, naming the
// unknown word and the choices. Empty when the failure is something else.
std::string missing_subcommand_message(const CLI::App& app);

}  // namespace chuhai::app
