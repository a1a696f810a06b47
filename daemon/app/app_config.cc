#include "app/app_config.h"

#include <spdlog/spdlog.h>

#include <system_error>

#include "common/error.h"
#include "common/log.h"
#include "config/config_loader.h"
#include "store/shipped_corpus.h"

namespace chuhai::app {

namespace {

// The shipped corpus's seed source; `chuhai corpus list` shows it as "corpus chuhai:shipped".
constexpr std::string_view kShippedCorpusUrl = "chuhai:shipped";

}  // namespace

void apply_log_level(const CommonOptions& common, const std::string& configured) {
    const std::string& name = common.log_level.empty() ? configured : common.log_level;
    const auto level = parse_log_level(name);
    if (!level) {
        throw Error(ErrorKind::usage, "unknown log level '" + name +
                                          "' (use trace, debug, info, warn, error or off)");
    }
    init_logging(*level);
}

void register_config_secrets(const config::Settings& settings) {
    for (const auto& source : settings.sources)
        register_url_secrets(source.url);
    for (const auto& channel : settings.digests) {
        if (channel.email)
            register_url_secrets(channel.email->smtp.url);
        if (channel.webhook)
            register_url_secrets(channel.webhook->url);
    }
}

config::Settings load_app_config(const CommonOptions& common) {
    const std::string path =
        common.config_path.empty() ? default_config_path() : common.config_path;
    config::Settings settings = config::load_settings(path);
    register_config_secrets(settings);
    apply_log_level(common, settings.log_level);
    return settings;
}

fetch::ClientOptions client_options(const config::FetchSettings& f) {
    fetch::ClientOptions options;
    options.user_agent = fetch::default_user_agent(f.contact_url);
    options.connect_timeout = f.connect_timeout;
    options.total_timeout = f.timeout;
    options.low_speed_bytes = f.low_speed_limit;
    options.low_speed_time = f.low_speed_time;
    options.max_body_bytes = f.max_body_size;
    options.max_redirects = f.max_redirects;
    return options;
}

std::unique_ptr<store::Store> open_configured_store(const config::Settings& settings, bool create) {
    store::StoreOptions options;
    options.create_if_missing = create;
    options.silence.factor = settings.fetch.silence_factor;
    options.silence.floor = settings.fetch.silence_floor;
    return store::open_store(settings.database, options);
}

int ensure_reference_corpus(store::Store& store, const config::Settings& settings) {
    if (!settings.store.shipped_corpus || !store.list_corpus().empty())
        return 0;
    const auto documents = store::shipped_corpus();
    const auto result = store.import_corpus(std::string(kShippedCorpusUrl), documents);
    spdlog::info(
        "corpus: the database had no reference corpus; imported the {} documents chuhai ships "
        "(`chuhai corpus import DIR` adds your own; store.shipped_corpus: false turns this off)",
        result.added + result.revised + result.unchanged);
    return result.added;
}

std::filesystem::path default_rules_dir() {
    // A binary run from its build tree uses the rules of its own source tree; an installed one,
    // on a machine without that tree, the rules installed with it.
    std::error_code ec;
    const std::filesystem::path source_tree(CHUHAI_SOURCE_RULES_DIR);
    if (std::filesystem::is_directory(source_tree, ec))
        return source_tree;
    return CHUHAI_INSTALLED_RULES_DIR;
}

}  // namespace chuhai::app
