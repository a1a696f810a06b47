// `chuhai feed parse`: parses feed files, standard input or URLs and prints the normalised
// result, for debugging sources and for the conformance tests. With --json: one object per input
// per line, the schema of docs/feeds.md. A URL is fetched as the daemon fetches it (the same
// HttpClient, timeouts, size limit, protocols and User-Agent; the configuration's when --config
// names one) and parsed with the charset of its Content-Type.

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/app_config.h"
#include "app/commands.h"
#include "common/error.h"
#include "common/file.h"
#include "common/log.h"
#include "config/config_loader.h"
#include "feed/feed_parser.h"
#include "feed/identity.h"
#include "fetch/http_client.h"

namespace chuhai::app {

namespace {

struct FeedParseOptions {
    std::vector<std::string> inputs;
    bool json = false;
    std::string content_type;
    std::string base_url;
    std::string timezone = "UTC";
    bool with_html = false;
    std::string config;  // for the fetch settings of URL inputs; empty: the defaults
};

bool is_url(const std::string& input) {
    return input.starts_with("http://") || input.starts_with("https://");
}

// A feed fetched over HTTP(S), ready to parse.
struct FetchedFeed {
    std::string body;
    std::string content_type;
    std::string final_url;
};

FetchedFeed fetch_feed(const std::string& url, const config::FetchSettings& settings) {
    register_url_secrets(url);
    fetch::FetchRequest request;
    request.url = url;
    request.source_name = url;
    const fetch::FetchResult result = fetch::fetch_once(request, client_options(settings));
    if (result.error != fetch::FetchError::none) {
        throw Error(ErrorKind::network, result.error_message);  // names its kind and the URL
    }
    if (!result.ok()) {
        throw Error(
            ErrorKind::network,
            "HTTP " + std::to_string(result.status) +
                (result.final_url.empty() || result.final_url == url ? std::string()
                                                                     : " from " + result.final_url),
            url);
    }
    const std::string final_url = result.final_url.empty() ? url : result.final_url;
    spdlog::debug("{}: HTTP {}, {} bytes, Content-Type '{}', from {} in {} ms", url, result.status,
                  result.body.size(), result.content_type, final_url, result.elapsed.count());
    return {result.body, result.content_type, final_url};
}

nlohmann::json time_or_null(const std::optional<UtcTime>& t) {
    return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
}

nlohmann::json to_json(const std::string& source, const feed::FeedDocument& doc, bool with_html) {
    nlohmann::json entries = nlohmann::json::array();
    for (const feed::FeedEntry& e : doc.entries) {
        nlohmann::json entry = {
            {"title", e.title},
            {"link", e.link},
            {"id", e.id},
            {"published", time_or_null(e.published)},
            {"updated", time_or_null(e.updated)},
            {"author", e.author},
            {"summary", e.summary},
            {"content", e.content},
            {"categories", e.categories},
            {"thumbnail", e.thumbnail},
            {"url", e.url},
            {"key", e.key},
            {"content_hash", feed::to_hex(e.content_hash)},
            {"simhash", feed::to_hex(feed::entry_simhash(e))},
        };
        if (with_html)
            entry["content_html"] = e.content_html;
        entries.push_back(std::move(entry));
    }
    return {
        {"source", source},
        {"format", doc.format},
        {"encoding", doc.encoding},
        {"bozo", doc.bozo},
        {"bozo_reason", doc.bozo ? nlohmann::json(doc.bozo_reason) : nlohmann::json(nullptr)},
        {"error", nullptr},
        {"feed",
         {{"title", doc.title}, {"link", doc.link}, {"url", doc.url}, {"subtitle", doc.subtitle}}},
        {"duplicate_entries", doc.duplicate_entries},
        {"empty_entries", doc.empty_entries},
        {"entries", std::move(entries)},
    };
}

nlohmann::json error_json(const std::string& source, const std::string& message) {
    return {{"source", source},
            {"format", nullptr},
            {"encoding", nullptr},
            {"bozo", false},
            {"error", message},
            {"feed", nullptr},
            {"entries", nlohmann::json::array()}};
}

void print_text(const std::string& source, const feed::FeedDocument& doc) {
    std::cout << source << ": " << doc.format << ", " << doc.encoding << ", " << doc.entries.size()
              << " entries";
    if (doc.bozo)
        std::cout << " (bozo: " << doc.bozo_reason << ")";
    std::cout << "\n  feed: " << doc.title << " <" << doc.link << ">\n";
    for (const feed::FeedEntry& e : doc.entries) {
        std::cout << "  - " << e.title << "\n    " << e.link << "\n    "
                  << (e.published ? format_rfc3339(*e.published) : std::string("(no date)")) << "  "
                  << e.key << "\n";
    }
}

int run_feed_parse(const FeedParseOptions& options) {
    // The daemon's fetch defaults, or the configuration's.
    config::FetchSettings fetch_settings;
    if (!options.config.empty()) {
        const config::Settings settings = config::load_settings(options.config);
        register_config_secrets(settings);
        fetch_settings = settings.fetch;
    }
    int status = kExitOk;
    for (const std::string& input : options.inputs) {
        try {
            // The parser reads at most max_bytes (20 MB) of a feed; inputs are refused well
            // before they could exhaust memory.
            constexpr std::size_t kMaxInputBytes = std::size_t{256} << 20;
            std::string bytes;
            std::string content_type = options.content_type;
            std::string base_url = options.base_url;
            if (is_url(input)) {
                FetchedFeed fetched = fetch_feed(input, fetch_settings);
                bytes = std::move(fetched.body);
                if (content_type.empty())
                    content_type = fetched.content_type;
                if (base_url.empty())
                    base_url = fetched.final_url;
            } else if (input == "-") {
                char chunk[64 * 1024];
                while (std::cin.read(chunk, sizeof chunk) || std::cin.gcount() > 0) {
                    bytes.append(chunk, static_cast<std::size_t>(std::cin.gcount()));
                    if (bytes.size() > kMaxInputBytes)
                        throw Error(ErrorKind::io, "standard input is larger than 256 MB", "-");
                }
            } else {
                bytes = read_file(input, kMaxInputBytes);
            }
            feed::ParseOptions parse_options;
            parse_options.content_type = content_type;
            parse_options.base_url = base_url;
            parse_options.timezone = options.timezone;
            parse_options.source = input;
            parse_options.max_bytes = fetch_settings.max_body_size;
            const feed::FeedDocument doc = feed::parse_feed(bytes, parse_options);
            if (options.json)
                std::cout << to_json(input, doc, options.with_html)
                                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                          << '\n';
            else
                print_text(input, doc);
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::config || e.kind() == ErrorKind::usage)
                throw;  // a bad --timezone is the same mistake for every input
            // Straight to the terminal, not through the logger: masked here.
            if (options.json)
                std::cout << error_json(input, redact_secrets(e.message())).dump() << '\n';
            else
                std::cerr << redact_secrets(e.what()) << '\n';
            status = kExitFailure;
        }
    }
    std::cout.flush();
    return status;
}

}  // namespace

void add_feed_commands(CommandLine& cli) {
    CLI::App* feed =
        cli.app.add_subcommand("feed", "feed tools: parse a file or URL as the daemon would");
    feed->require_subcommand(1);
    auto options = std::make_shared<FeedParseOptions>();
    CLI::App* parse = feed->add_subcommand(
        "parse",
        "Parse feed files or URLs and print the normalised entries (exit 1 if any input failed)");
    parse
        ->add_option("inputs", options->inputs,
                     "feed files, http(s):// URLs (fetched as the daemon does); '-' reads "
                     "standard input")
        ->required();
    parse->add_option("--config,-c", options->config,
                      "take the fetch settings for URLs (timeouts, size limit, contact URL) from "
                      "this configuration");
    parse->add_flag("--json", options->json,
                    "one JSON object per input per line (schema in docs/feeds.md)");
    parse->add_option("--content-type", options->content_type,
                      "the HTTP Content-Type the bytes came with (may name a charset; for a URL, "
                      "overrides the server's)");
    parse->add_option("--base-url", options->base_url, "the URL the feed came from");
    parse->add_option("--timezone", options->timezone,
                      "IANA timezone for dates without an offset (default UTC)");
    parse->add_flag("--html", options->with_html, "include each entry's content_html in --json");
    parse->callback([&cli, options] { cli.exit_status = run_feed_parse(*options); });
}

}  // namespace chuhai::app
