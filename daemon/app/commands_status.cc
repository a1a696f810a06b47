// `chuhai status [--json]`: is the daemon running, when did the last poll cycle end, how are the
// sources, what came in today, when is each channel's next digest, which digests wait or failed.
// It only reads the database, so it works while the daemon runs (docs/operations.md).
//
// Exit status: 0 the status was read, 1 the database could not be, 2 a configuration error.

#include <iostream>
#include <memory>

#include "app/app_config.h"
#include "app/commands.h"
#include "app/status_report.h"
#include "common/error.h"
#include "common/time.h"

namespace chuhai::app {

void add_status_command(CommandLine& cli) {
    auto& common = cli.common;
    int& exit_status = cli.exit_status;
    auto json = std::make_shared<bool>(false);
    auto* status = cli.app.add_subcommand(
        "status",
        "show whether the daemon runs, its last cycle, sources, today's items and the "
        "digests; reads the database only");
    add_config_option(*status, common);
    status->add_flag("--json", *json, "print the status as one JSON document");
    status->footer(
        "Exit status: 0 the status was read, 1 the database could not be read, 2 a "
        "configuration error.");
    status->callback([&common, &exit_status, json] {
        const config::Settings settings = load_app_config(common);
        auto store = open_existing_store(settings);
        const StatusReport report =
            gather_status(*store, settings, SystemClock().now(), &process_alive);
        std::cout << (*json ? render_status_json(report) : render_status_text(report));
        exit_status = kExitOk;
    });
}

}  // namespace chuhai::app
