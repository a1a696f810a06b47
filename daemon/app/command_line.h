#pragma once
// The chuhai command line: one binary, one subcommand per job. Each commands_*.cc file adds its
// subcommands through an add_*_commands() function; main.cc calls them all.

#include <CLI/CLI.hpp>
#include <string>

namespace chuhai::app {

// Options shared by every subcommand.
struct CommonOptions {
    std::string config_path;  // --config; default $CHUHAI_CONFIG or /etc/chuhai/chuhai.yaml
    std::string log_level;    // --log-level; empty means the config's (or "info")
};

struct CommandLine {
    CLI::App app{"chuhai: watches the news about Chinese AI companies going global", "chuhai"};
    CommonOptions common;
    int exit_status = 0;  // set by the subcommand that ran
};

// The default config path: $CHUHAI_CONFIG when set, else /etc/chuhai/chuhai.yaml.
std::string default_config_path();

// Adds --config FILE to a subcommand that reads the config, the store or the sources.
void add_config_option(CLI::App& subcommand, CommonOptions& common);

}  // namespace chuhai::app
