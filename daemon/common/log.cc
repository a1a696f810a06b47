#include "common/log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <shared_mutex>

#include "common/hex.h"

namespace chuhai {

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
    if (name == "trace")
        return spdlog::level::trace;
    if (name == "debug")
        return spdlog::level::debug;
    if (name == "info")
        return spdlog::level::info;
    if (name == "warn" || name == "warning")
        return spdlog::level::warn;
    if (name == "error")
        return spdlog::level::err;
    if (name == "critical")
        return spdlog::level::critical;
    if (name == "off")
        return spdlog::level::off;
    return std::nullopt;
}

bool journal_stream_matches(int fd) {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr)
        return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return false;
    const std::string expected = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                                 std::to_string(static_cast<unsigned long long>(st.st_ino));
    return expected == stream;
}

int journal_priority(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
        case spdlog::level::debug:
            return LOG_DEBUG;
        case spdlog::level::info:
            return LOG_INFO;
        case spdlog::level::warn:
            return LOG_WARNING;
        case spdlog::level::err:
            return LOG_ERR;
        case spdlog::level::critical:
            return LOG_CRIT;
        default:
            return LOG_INFO;
    }
}

// --- Secrets ------------------------------------------------------------------------------------

namespace {

constexpr std::string_view kRedacted = "[REDACTED]";
constexpr std::string_view kMask = "***";

struct SecretRegistry {
    std::shared_mutex mutex;
    // Longest first, so that a secret containing another one is masked whole.
    std::vector<std::string> secrets;
};

SecretRegistry& secret_registry() {
    static SecretRegistry registry;
    return registry;
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_scheme_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.';
}

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Characters that end a URL embedded in a log message.
bool ends_url(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '<' ||
           c == '>' || c == '`';
}

// Query parameter names whose values are masked: anything that looks like a credential.
bool is_secret_parameter(std::string_view name) {
    std::string lower(name.size(), '\0');
    std::transform(name.begin(), name.end(), lower.begin(), ascii_lower);
    static constexpr std::array<std::string_view, 9> kFragments = {
        "token", "secret", "pass", "key", "sig", "auth", "credential", "session", "pwd"};
    return std::any_of(kFragments.begin(), kFragments.end(), [&](std::string_view fragment) {
        return lower.find(fragment) != std::string::npos;
    });
}

// Webhook URLs whose path is the secret: Slack's hooks.slack.com/services/… and
// Discord's discord.com/api/webhooks/….
std::optional<std::string_view> secret_path_prefix(std::string_view host) {
    std::string lower(host.size(), '\0');
    std::transform(host.begin(), host.end(), lower.begin(), ascii_lower);
    if (lower == "hooks.slack.com")
        return std::string_view("/");
    if (lower == "discord.com" || lower == "discordapp.com" || lower.ends_with(".discord.com") ||
        lower.ends_with(".discordapp.com"))
        return std::string_view("/api/webhooks/");
    return std::nullopt;
}

std::string redact_query(std::string_view query) {
    std::string out;
    out.reserve(query.size());
    std::size_t start = 0;
    while (start <= query.size()) {
        std::size_t end = query.find_first_of("&;", start);
        if (end == std::string_view::npos)
            end = query.size();
        const std::string_view parameter = query.substr(start, end - start);
        const std::size_t equals = parameter.find('=');
        if (equals != std::string_view::npos && equals + 1 < parameter.size() &&
            is_secret_parameter(parameter.substr(0, equals))) {
            out.append(parameter.substr(0, equals + 1));
            out.append(kMask);
        } else {
            out.append(parameter);
        }
        if (end < query.size())
            out.push_back(query[end]);
        start = end + 1;
    }
    return out;
}

// Replaces every registered secret in `text`.
std::string mask_registered_secrets(std::string_view text) {
    std::string out(text);
    auto& registry = secret_registry();
    std::shared_lock lock(registry.mutex);
    for (const std::string& secret : registry.secrets) {
        std::size_t at = 0;
        while ((at = out.find(secret, at)) != std::string::npos) {
            out.replace(at, secret.size(), kRedacted);
            at += kRedacted.size();
        }
    }
    return out;
}

}  // namespace

void register_secret(std::string_view secret) {
    if (secret.size() < kMinSecretLength)
        return;
    auto& registry = secret_registry();
    std::unique_lock lock(registry.mutex);
    if (std::find(registry.secrets.begin(), registry.secrets.end(), secret) !=
        registry.secrets.end())
        return;
    registry.secrets.emplace_back(secret);
    std::stable_sort(
        registry.secrets.begin(), registry.secrets.end(),
        [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

namespace {

std::string percent_decoded(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hex_digit_value(text[i + 1]) >= 0 &&
            hex_digit_value(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_digit_value(text[i + 1]) * 16 +
                                            hex_digit_value(text[i + 2])));
            i += 2;
        } else if (text[i] == '+') {
            out.push_back(' ');  // in query values
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

void register_written_and_decoded(std::string_view secret) {
    register_secret(secret);
    const std::string decoded = percent_decoded(secret);
    if (decoded != secret)
        register_secret(decoded);
}

}  // namespace

void register_url_secrets(std::string_view url) {
    const std::size_t scheme_end = url.find("://");
    const std::size_t authority_begin = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    std::size_t authority_end = url.find_first_of("/?#", authority_begin);
    if (authority_end == std::string_view::npos)
        authority_end = url.size();
    std::string_view authority = url.substr(authority_begin, authority_end - authority_begin);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        if (const std::size_t colon = userinfo.find(':'); colon != std::string_view::npos)
            register_written_and_decoded(userinfo.substr(colon + 1));
        authority = authority.substr(at + 1);
    }

    std::string_view rest = url.substr(authority_end);
    const std::size_t path_end = std::min(rest.find_first_of("?#"), rest.size());
    const std::string_view path = rest.substr(0, path_end);
    const std::string_view host = authority.substr(0, authority.find(':'));
    if (const auto prefix = secret_path_prefix(host);
        prefix && path.starts_with(*prefix) && path.size() > prefix->size())
        register_written_and_decoded(path.substr(prefix->size()));

    rest = rest.substr(path_end);
    if (!rest.starts_with('?'))
        return;
    const std::size_t query_end = std::min(rest.find('#'), rest.size());
    std::string_view query = rest.substr(1, query_end - 1);
    while (!query.empty()) {
        const std::size_t end = std::min(query.find_first_of("&;"), query.size());
        const std::string_view parameter = query.substr(0, end);
        const std::size_t equals = parameter.find('=');
        if (equals != std::string_view::npos && is_secret_parameter(parameter.substr(0, equals)))
            register_written_and_decoded(parameter.substr(equals + 1));
        query.remove_prefix(std::min(end + 1, query.size()));
    }
}

void register_proxy_secrets() {
    for (const char* name :
         {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
        if (const char* value = std::getenv(name); value != nullptr && *value != '\0')
            register_url_secrets(value);
    }
}

void clear_registered_secrets() {
    auto& registry = secret_registry();
    std::unique_lock lock(registry.mutex);
    registry.secrets.clear();
}

std::string redact_url(std::string_view url) {
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return std::string(url);
    const std::size_t authority_begin = scheme_end + 3;
    std::size_t authority_end = url.find_first_of("/?#", authority_begin);
    if (authority_end == std::string_view::npos)
        authority_end = url.size();

    std::string out(url.substr(0, authority_begin));
    std::string_view authority = url.substr(authority_begin, authority_end - authority_begin);
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        const std::size_t colon = userinfo.find(':');
        if (colon != std::string_view::npos) {
            out.append(userinfo.substr(0, colon + 1));
            out.append(kMask);
        } else {
            out.append(userinfo);
        }
        out.push_back('@');
        authority = authority.substr(at + 1);
    }
    out.append(authority);

    std::string_view rest = url.substr(authority_end);
    std::string_view host = authority.substr(0, authority.find(':'));
    std::size_t path_end = rest.find_first_of("?#");
    if (path_end == std::string_view::npos)
        path_end = rest.size();
    std::string_view path = rest.substr(0, path_end);
    rest = rest.substr(path_end);
    if (const auto prefix = secret_path_prefix(host);
        prefix && path.starts_with(*prefix) && path.size() > prefix->size()) {
        out.append(*prefix);
        out.append(kMask);
    } else {
        out.append(path);
    }

    if (rest.starts_with('?')) {
        std::size_t query_end = rest.find('#');
        if (query_end == std::string_view::npos)
            query_end = rest.size();
        out.push_back('?');
        out.append(redact_query(rest.substr(1, query_end - 1)));
        rest = rest.substr(query_end);
    }
    out.append(rest);  // the fragment, if any
    return out;
}

std::string redact_secrets(std::string_view text) {
    std::string masked = mask_registered_secrets(text);
    if (masked.find("://") == std::string::npos)
        return masked;

    std::string out;
    out.reserve(masked.size());
    std::size_t copied = 0;
    std::size_t search = 0;
    while (true) {
        const std::size_t separator = masked.find("://", search);
        if (separator == std::string::npos)
            break;
        std::size_t begin = separator;
        while (begin > copied && is_scheme_char(masked[begin - 1]))
            --begin;
        // A scheme starts with a letter; skip leading digits and punctuation.
        while (begin < separator && !is_alpha(masked[begin]))
            ++begin;
        std::size_t end = separator + 3;
        while (end < masked.size() && !ends_url(masked[end])) {
            // Another URL glued to this one ("a://x,b://y") starts where its scheme starts.
            if (masked.compare(end, 3, "://") == 0) {
                std::size_t next = end;
                while (next > separator + 3 && is_scheme_char(masked[next - 1]))
                    --next;
                while (next < end && !is_alpha(masked[next]))
                    ++next;
                if (next < end) {
                    end = next;
                    break;
                }
            }
            ++end;
        }
        if (begin == separator) {  // "://" without a scheme: not a URL
            search = separator + 3;
            continue;
        }
        out.append(masked, copied, begin - copied);
        out.append(redact_url(std::string_view(masked).substr(begin, end - begin)));
        copied = end;
        search = end;
    }
    out.append(masked, copied, std::string::npos);
    return out;
}

// --- Sinks --------------------------------------------------------------------------------------

namespace {

// Writes all of `text` to a file descriptor, ignoring failures: there is nowhere left to report
// them.
void write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t written = ::write(fd, text.data(), text.size());
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return;
        text.remove_prefix(static_cast<std::size_t>(written));
    }
}

int send_to_journal(const std::vector<std::string>& fields) {
    // sd_journal_sendv() silently drops the entry when there is no journal socket; checking
    // first lets the caller fall back to stderr instead of losing the line.
    if (::access("/run/systemd/journal/socket", F_OK) != 0)
        return -ENOENT;
    std::vector<iovec> vectors;
    vectors.reserve(fields.size());
    for (const std::string& field : fields)
        vectors.push_back(iovec{const_cast<char*>(field.data()), field.size()});
    return sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size()));
}

// One journal entry per message, with the syslog priority of its level. The journal stamps the
// entry itself, so the message carries no timestamp of ours.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    explicit JournalSink(JournalWriter writer) : writer_(std::move(writer)) {}

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        const int priority = journal_priority(msg.level);
        const std::string_view message(msg.payload.data(), msg.payload.size());
        std::vector<std::string> fields;
        fields.reserve(6);
        fields.push_back("MESSAGE=" + std::string(message));
        fields.push_back("PRIORITY=" + std::to_string(priority));
        fields.emplace_back("SYSLOG_IDENTIFIER=chuhai");
        if (!msg.source.empty()) {
            fields.push_back(std::string("CODE_FILE=") + msg.source.filename);
            fields.push_back("CODE_LINE=" + std::to_string(msg.source.line));
            if (msg.source.funcname != nullptr)
                fields.push_back(std::string("CODE_FUNC=") + msg.source.funcname);
        }
        int result = -EIO;
        try {
            result = writer_(fields);
        } catch (...) {
            result = -EIO;
        }
        if (result < 0)
            write_prefixed_lines(priority, message);
    }

    void flush_() override {}

  private:
    // journald's stream protocol: a "<N>" prefix on each line sets that line's priority. stderr
    // is connected to the journal when this sink is chosen, so nothing is lost when the native
    // protocol fails.
    static void write_prefixed_lines(int priority, std::string_view message) {
        const std::string prefix = "<" + std::to_string(priority) + ">";
        while (message.ends_with('\n'))
            message.remove_suffix(1);
        std::string text;
        std::size_t start = 0;
        while (true) {
            std::size_t end = message.find('\n', start);
            if (end == std::string_view::npos)
                end = message.size();
            text += prefix;
            text.append(message.substr(start, end - start));
            text.push_back('\n');
            if (end == message.size())
                break;
            start = end + 1;
        }
        write_all(STDERR_FILENO, text);
    }

    JournalWriter writer_;
};

// The default logger: every message is redacted once, before any sink sees it.
class RedactingLogger final : public spdlog::logger {
  public:
    using spdlog::logger::logger;

    std::shared_ptr<spdlog::logger> clone(std::string logger_name) override {
        auto copy = std::make_shared<RedactingLogger>(*this);
        copy->name_ = std::move(logger_name);
        return copy;
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        std::string redacted;
        try {
            redacted = redact_secrets(std::string_view(msg.payload.data(), msg.payload.size()));
        } catch (...) {
            redacted = "[log message dropped: it could not be checked for secrets]";
        }
        // Cut after redacting: a cut through a secret would leave a prefix no mask matches.
        if (redacted.size() > kMaxLogMessageBytes) {
            std::size_t cut = kMaxLogMessageBytes;
            while (cut > 0 && (static_cast<unsigned char>(redacted[cut]) & 0xC0) == 0x80)
                --cut;  // not inside a UTF-8 sequence
            const std::size_t dropped = redacted.size() - cut;
            redacted.resize(cut);
            redacted += " [" + std::to_string(dropped) + " more bytes not logged]";
        }
        spdlog::details::log_msg copy = msg;
        copy.payload = spdlog::string_view_t(redacted.data(), redacted.size());
        spdlog::logger::sink_it_(copy);
    }
};

void install_logger(spdlog::level::level_enum level, spdlog::sink_ptr sink, const char* pattern) {
    auto logger = std::make_shared<RedactingLogger>("chuhai", std::move(sink));
    logger->set_pattern(pattern);
    logger->set_level(level);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace

void init_logging(spdlog::level::level_enum level, LogTarget target) {
    const bool journal = target == LogTarget::journal ||
                         (target == LogTarget::automatic && journal_stream_matches(STDERR_FILENO));
    if (journal) {
        init_logging_to_journal(level, send_to_journal);
        return;
    }
    install_logger(
        level, std::make_shared<spdlog::sinks::stderr_color_sink_mt>(spdlog::color_mode::automatic),
        "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
}

void init_logging_to_journal(spdlog::level::level_enum level, JournalWriter writer) {
    install_logger(level, std::make_shared<JournalSink>(std::move(writer)), "%v");
}

}  // namespace chuhai
