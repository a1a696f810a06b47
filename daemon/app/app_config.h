#pragma once
// How every subcommand gets its configuration: the file from --config (or $CHUHAI_CONFIG, or
// /etc/chuhai/chuhai.yaml), and logging set to --log-level or the file's log_level.

#include <filesystem>
#include <memory>

#include "app/command_line.h"
#include "config/settings.h"
#include "fetch/http_client.h"
#include "store/store.h"

namespace chuhai::app {

// Loads the configuration, registers its secrets and applies its log level (unless --log-level
// overrides it). Throws Error(config) naming the file.
config::Settings load_app_config(const CommonOptions& common);

// Registers with the logger every secret the configuration's URLs carry (sources, SMTP and
// webhook URLs: passwords, tokens, webhook paths), so that no log line can show them.
void register_config_secrets(const config::Settings& settings);

// Applies --log-level, or `configured` when the option was not given. Throws Error(usage) for an
// unknown level name.
void apply_log_level(const CommonOptions& common, const std::string& configured = "info");

// The HTTP client's options from the fetch settings: User-Agent with the contact URL, timeouts,
// body size cap, redirects. The daemon and `chuhai feed parse URL` fetch alike.
fetch::ClientOptions client_options(const config::FetchSettings& fetch);
// Opens the configured database with the store options the configuration sets (the silence rule).
// With `create` false a missing file is an error (commands that only read or check it).
std::unique_ptr<store::Store> open_configured_store(const config::Settings& settings,
                                                    bool create = true);

// A database with no reference corpus gets the shipped one (store/corpus/, compiled in) when
// the configuration allows it (store.shipped_corpus): the daemon, `once` and the demo call this
// before they poll, so that every item is measured against the subject. Returns the number of
// documents imported (0 when a corpus was there, or the configuration says no).
int ensure_reference_corpus(store::Store& store, const config::Settings& settings);

// The default rule pack: the source tree's rules/ when it exists (a binary run from its build
// tree), else the folder the rules were installed to.
std::filesystem::path default_rules_dir();

}  // namespace chuhai::app
