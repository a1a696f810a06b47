#include "app/command_line.h"

#include <cstdlib>

namespace chuhai::app {

std::string default_config_path() {
    if (const char* env = std::getenv("CHUHAI_CONFIG"); env != nullptr && *env != '\0')
        return env;
    return "/etc/chuhai/chuhai.yaml";
}

void add_config_option(CLI::App& subcommand, CommonOptions& common) {
    if (common.config_path.empty())
        common.config_path = default_config_path();
    subcommand.add_option("--config,-c", common.config_path,
                          "config file (default: $CHUHAI_CONFIG or /etc/chuhai/chuhai.yaml)");
}

}  // namespace chuhai::app
