#include "app/commands.h"

namespace chuhai::app {

void add_all_commands(CommandLine& cli) {
    (void)cli;
}

}  // namespace chuhai::app
