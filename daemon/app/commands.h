#pragma once
// Every subcommand group, registered by main.cc.

#include "app/command_line.h"

namespace chuhai::app {

void add_all_commands(CommandLine& cli);

// `chuhai feed parse` (commands_feed.cc).
void add_feed_commands(CommandLine& cli);

}  // namespace chuhai::app
