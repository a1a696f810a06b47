#pragma once
// How the commands that read or change the database find it (commands_store.cc, and the rule
// commands that work on stored items): --db FILE when given, else the configuration's
// `database` (--config, $CHUHAI_CONFIG or /etc/chuhai/chuhai.yaml).

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "app/command_line.h"
#include "common/time.h"
#include "store/store.h"

namespace chuhai::app {

struct StoreCommandOptions {
    std::string db_path;  // --db
};

// Adds --config and --db FILE to a subcommand.
void add_db_option(CLI::App& command, StoreCommandOptions& options, CommonOptions& common);

// Whether a command may create the database it names: only those that write into it (corpus
// import); the others refuse a missing file, so that a mistyped --db leaves nothing behind.
enum class MissingDatabase { create, refuse };

std::unique_ptr<store::Store> open_store_from_options(const StoreCommandOptions& options,
                                                      const CommonOptions& common,
                                                      MissingDatabase missing);

// "7d", "36h" (a duration back from `now`) or an RFC 3339 time. Throws Error(usage) naming
// --since for anything else.
UtcTime parse_since(const std::string& text, UtcTime now);

}  // namespace chuhai::app
