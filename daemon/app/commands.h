#pragma once
// Every subcommand group, registered by main.cc.

#include <filesystem>
#include <string>

#include "app/command_line.h"

namespace chuhai::app {

void add_all_commands(CommandLine& cli);

// `chuhai once`, `chuhai demo` (commands_poll.cc).
void add_poll_commands(CommandLine& cli);

// `chuhai run`, the daemon (commands_run.cc).
void add_run_command(CommandLine& cli);

// `chuhai digest preview|send|test` (commands_digest.cc).
void add_digest_commands(CommandLine& cli);
// `chuhai status` (commands_status.cc).
void add_status_command(CommandLine& cli);

// `chuhai feed parse` (commands_feed.cc).
void add_feed_commands(CommandLine& cli);
// `chuhai sources list|add|remove|enable|disable|import|export` (commands_sources.cc).
void add_sources_commands(CommandLine& cli);
// corpus import/list, search, items, backup (commands_store.cc).
void add_store_commands(CommandLine& cli);
// commands_rules.cc: `rules check`, `rules test`, `explain`.
void add_rules_commands(CommandLine& cli);
// The rules directory a command works on: `explicit_dir` (DIR or --rules) when given, else the
// config file's `rules:` key, relative to the config file's folder. Throws Error(usage) when
// neither names one.
std::filesystem::path resolve_rules_dir(const std::string& explicit_dir,
                                        const CommonOptions& common);

}  // namespace chuhai::app
