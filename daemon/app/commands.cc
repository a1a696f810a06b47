#include "app/commands.h"

namespace chuhai::app {

void add_all_commands(CommandLine& cli) {
    add_run_command(cli);
    add_poll_commands(cli);
    add_sources_commands(cli);
    add_feed_commands(cli);
    add_store_commands(cli);
    add_rules_commands(cli);
    add_digest_commands(cli);
    add_status_command(cli);
}

}  // namespace chuhai::app
