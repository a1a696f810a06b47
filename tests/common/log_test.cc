#include "common/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>

#include "common/file.h"
#include "tests/support/test_support.h"

namespace chuhai {
namespace {

// Sets an environment variable for the life of the object, then puts the old value back.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
        if (const char* old = std::getenv(name))
            old_ = old;
        if (value)
            ::setenv(name, value->c_str(), 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_.c_str(), old_->c_str(), 1);
        else
            ::unsetenv(name_.c_str());
    }

  private:
    std::string name_;
    std::optional<std::string> old_;
};

// Points stderr at a file for the life of the object.
class CapturedStderr {
  public:
    CapturedStderr() : path_(dir_ / "stderr.txt") {
        saved_ = ::dup(STDERR_FILENO);
        const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
    }
    ~CapturedStderr() { restore(); }

    // What was written so far; stderr goes back to where it was.
    std::string text() {
        restore();
        return read_file(path_);
    }

  private:
    void restore() {
        if (saved_ >= 0) {
            ::dup2(saved_, STDERR_FILENO);
            ::close(saved_);
            saved_ = -1;
        }
    }

    testing::TempDir dir_;
    std::filesystem::path path_;
    int saved_ = -1;
};

// The journal entries a test logger sends.
struct JournalCapture {
    std::mutex mutex;
    std::vector<std::vector<std::string>> entries;
    int result = 0;

    JournalWriter writer() {
        return [this](const std::vector<std::string>& fields) {
            std::lock_guard lock(mutex);
            entries.push_back(fields);
            return result;
        };
    }
};

std::string field(const std::vector<std::string>& entry, const std::string& name) {
    for (const auto& f : entry)
        if (f.starts_with(name + "="))
            return f.substr(name.size() + 1);
    return "<missing " + name + ">";
}

class LogTest : public ::testing::Test {
  protected:
    void TearDown() override {
        clear_registered_secrets();
        init_logging(spdlog::level::info, LogTarget::stderr_text);
    }
};

TEST_F(LogTest, ParsesLevels) {
    EXPECT_EQ(parse_log_level("debug"), spdlog::level::debug);
    EXPECT_EQ(parse_log_level("warning"), spdlog::level::warn);
    EXPECT_EQ(parse_log_level("error"), spdlog::level::err);
    EXPECT_EQ(parse_log_level("off"), spdlog::level::off);
    EXPECT_FALSE(parse_log_level("verbose"));
    EXPECT_FALSE(parse_log_level("INFO"));
}

TEST_F(LogTest, JournalStreamMustNameTheStreamItself) {
    testing::TempDir dir;
    const auto path = dir.write("stream", "");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    struct stat st {};
    ASSERT_EQ(::fstat(fd, &st), 0);
    const std::string matching = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    {
        ScopedEnv env("JOURNAL_STREAM", matching);
        EXPECT_TRUE(journal_stream_matches(fd));
    }
    {
        // Inherited by a child whose stderr was redirected elsewhere: not the journal.
        ScopedEnv env("JOURNAL_STREAM",
                      std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1));
        EXPECT_FALSE(journal_stream_matches(fd));
    }
    {
        ScopedEnv env("JOURNAL_STREAM", std::string("garbage"));
        EXPECT_FALSE(journal_stream_matches(fd));
    }
    {
        ScopedEnv env("JOURNAL_STREAM", std::nullopt);
        EXPECT_FALSE(journal_stream_matches(fd));
    }
    ::close(fd);
}

TEST_F(LogTest, MapsLevelsToSyslogPriorities) {
    EXPECT_EQ(journal_priority(spdlog::level::trace), LOG_DEBUG);
    EXPECT_EQ(journal_priority(spdlog::level::debug), LOG_DEBUG);
    EXPECT_EQ(journal_priority(spdlog::level::info), LOG_INFO);
    EXPECT_EQ(journal_priority(spdlog::level::warn), LOG_WARNING);
    EXPECT_EQ(journal_priority(spdlog::level::err), LOG_ERR);
    EXPECT_EQ(journal_priority(spdlog::level::critical), LOG_CRIT);
}

TEST_F(LogTest, JournalEntriesCarryPriorityAndNoTimestamp) {
    JournalCapture journal;
    init_logging_to_journal(spdlog::level::debug, journal.writer());
    spdlog::info("polled {} sources", 12);
    spdlog::warn("source {} is silent", "36kr");
    spdlog::error("two\nlines");
    spdlog::trace("below the level");

    ASSERT_EQ(journal.entries.size(), 3u);
    EXPECT_EQ(field(journal.entries[0], "MESSAGE"), "polled 12 sources");
    EXPECT_EQ(field(journal.entries[0], "PRIORITY"), "6");
    EXPECT_EQ(field(journal.entries[0], "SYSLOG_IDENTIFIER"), "chuhai");
    EXPECT_EQ(field(journal.entries[1], "MESSAGE"), "source 36kr is silent");
    EXPECT_EQ(field(journal.entries[1], "PRIORITY"), "4");
    // A multi-line message stays one entry.
    EXPECT_EQ(field(journal.entries[2], "MESSAGE"), "two\nlines");
    EXPECT_EQ(field(journal.entries[2], "PRIORITY"), "3");
}

TEST_F(LogTest, FallsBackToPrefixedStderrLinesWhenTheJournalRefuses) {
    JournalCapture journal;
    journal.result = -ECONNREFUSED;
    init_logging_to_journal(spdlog::level::info, journal.writer());
    CapturedStderr captured;
    spdlog::warn("first line\nsecond line\n");
    spdlog::info("plain");
    // journald's stream protocol: "<N>" sets each line's priority; no timestamp of ours.
    EXPECT_EQ(captured.text(), "<4>first line\n<4>second line\n<6>plain\n");
}

TEST_F(LogTest, StderrLinesAreHumanReadableWithATimestamp) {
    CapturedStderr captured;
    init_logging(spdlog::level::info, LogTarget::stderr_text);
    spdlog::info("hello {}", "world");
    spdlog::debug("hidden");
    spdlog::default_logger()->flush();
    const std::string text = captured.text();
    // "2025-03-18T09:30:00.123 info hello world\n" (no colours: not a terminal).
    ASSERT_GE(text.size(), 24u) << text;
    EXPECT_EQ(text[4], '-');
    EXPECT_EQ(text[10], 'T');
    EXPECT_EQ(text.substr(23), " info hello world\n");
}

TEST_F(LogTest, AutomaticTargetPicksTheJournalOnlyWhenStderrIsIt) {
    CapturedStderr captured;
    {
        ScopedEnv env("JOURNAL_STREAM", std::nullopt);
        init_logging(spdlog::level::info);
        spdlog::info("to stderr");
        spdlog::default_logger()->flush();
    }
    const std::string text = captured.text();
    EXPECT_NE(text.find(" info to stderr\n"), std::string::npos) << text;
}

TEST_F(LogTest, UnderSystemdTheRealJournalWriterIsUsed) {
    if (std::filesystem::exists("/run/systemd/journal/socket"))
        GTEST_SKIP() << "a journald runs here; this test needs one that does not, so that the "
                        "entry comes back through the stderr fallback";
    CapturedStderr captured;
    struct stat st {};
    ASSERT_EQ(::fstat(STDERR_FILENO, &st), 0);
    {
        ScopedEnv env("JOURNAL_STREAM",
                      std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino));
        init_logging(spdlog::level::info);
        spdlog::error("to the journal");
    }
    // sd_journal_sendv() found no journal socket; the line went to the stream journald would
    // read, with its priority and without a timestamp.
    EXPECT_EQ(captured.text(), "<3>to the journal\n");
}

TEST_F(LogTest, RegisteredSecretsNeverReachASink) {
    JournalCapture journal;
    init_logging_to_journal(spdlog::level::info, journal.writer());
    register_secret("hunter2-smtp-pass");
    register_secret("abc");  // too short to mask safely: ignored
    spdlog::error("SMTP login failed for chuhai with password hunter2-smtp-pass (abc)");
    ASSERT_EQ(journal.entries.size(), 1u);
    EXPECT_EQ(field(journal.entries[0], "MESSAGE"),
              "SMTP login failed for chuhai with password [REDACTED] (abc)");
}

TEST_F(LogTest, HugeMessagesAreCutAtACharacterBoundary) {
    JournalCapture journal;
    init_logging_to_journal(spdlog::level::info, journal.writer());
    // 3-byte characters, so that the limit falls inside one.
    std::string huge;
    while (huge.size() < 3 * kMaxLogMessageBytes)
        huge += "出";
    spdlog::error("{}", huge);
    ASSERT_EQ(journal.entries.size(), 1u);
    const std::string message = field(journal.entries[0], "MESSAGE");
    const std::size_t kept = message.find(" [");
    ASSERT_NE(kept, std::string::npos);
    EXPECT_LE(kept, kMaxLogMessageBytes);
    EXPECT_GT(kept, kMaxLogMessageBytes - 3);
    EXPECT_EQ(kept % 3, 0u) << "cut inside a character";
    EXPECT_EQ(message.substr(kept),
              " [" + std::to_string(huge.size() - kept) + " more bytes not logged]");
}

TEST_F(LogTest, LongerSecretsAreMaskedWhole) {
    register_secret("token");
    register_secret("token-with-suffix");
    EXPECT_EQ(redact_secrets("a token-with-suffix and a token"), "a [REDACTED] and a [REDACTED]");
}

TEST_F(LogTest, UrlsInMessagesLoseTheirCredentials) {
    JournalCapture journal;
    init_logging_to_journal(spdlog::level::info, journal.writer());
    spdlog::warn("fetch https://alice:s3cret@feeds.example.org/rss?key=K123&lang=zh failed");
    ASSERT_EQ(journal.entries.size(), 1u);
    EXPECT_EQ(field(journal.entries[0], "MESSAGE"),
              "fetch https://alice:***@feeds.example.org/rss?key=***&lang=zh failed");
}

TEST_F(LogTest, RedactsUrls) {
    EXPECT_EQ(redact_url("https://example.org/feed.xml"), "https://example.org/feed.xml");
    EXPECT_EQ(redact_url("smtp://chuhai:p%40ss@mail.example.org:587"),
              "smtp://chuhai:***@mail.example.org:587");
    EXPECT_EQ(redact_url("smtps://chuhai@mail.example.org"), "smtps://chuhai@mail.example.org");
    EXPECT_EQ(redact_url("https://u:p@w@example.org/"), "https://u:***@example.org/");
    EXPECT_EQ(redact_url("https://example.org/rss?token=abc&Access_Token=def;sig=x&page=2#top"),
              "https://example.org/rss?token=***&Access_Token=***;sig=***&page=2#top");
    EXPECT_EQ(redact_url("https://example.org/rss?api_key=&page=2"),
              "https://example.org/rss?api_key=&page=2");
    EXPECT_EQ(redact_url("https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
              "https://hooks.slack.com/***");
    EXPECT_EQ(redact_url("https://discord.com/api/webhooks/123/abcSECRET?wait=true"),
              "https://discord.com/api/webhooks/***?wait=true");
    EXPECT_EQ(redact_url("https://discord.com/channels/1"), "https://discord.com/channels/1");
    EXPECT_EQ(redact_url("not a url"), "not a url");
}

TEST_F(LogTest, UrlSecretsAreMaskedAlsoOutsideTheirUrl) {
    register_url_secrets("https://reader:p%40ss-word@feeds.example.org/rss?api_token=T0k%2Ben&x=1");
    register_url_secrets("proxyuser:pr0xy-secret@proxy.example.org:3128");  // no scheme
    register_url_secrets("https://hooks.slack.com/services/T000/B000/XXXXSECRET#frag");
    register_url_secrets("https://public.example.org/feed.xml?page=22");  // nothing secret
    EXPECT_EQ(redact_secrets("login p@ss-word / p%40ss-word failed"),
              "login [REDACTED] / [REDACTED] failed");
    EXPECT_EQ(redact_secrets("token T0k+en or T0k%2Ben; page 22"),
              "token [REDACTED] or [REDACTED]; page 22");
    EXPECT_EQ(redact_secrets("proxy at proxyuser:pr0xy-secret@proxy.example.org:3128"),
              "proxy at proxyuser:[REDACTED]@proxy.example.org:3128");
    EXPECT_EQ(redact_secrets("POST services/T000/B000/XXXXSECRET"), "POST [REDACTED]");
}

TEST_F(LogTest, ProxyVariablesAreRegistered) {
    ScopedEnv https("https_proxy", "http://px:https-proxy-pass@127.0.0.1:3128");
    ScopedEnv all("ALL_PROXY", "socks5h://px:all-proxy-pass@127.0.0.1:1080");
    register_proxy_secrets();
    EXPECT_EQ(redact_secrets("https-proxy-pass all-proxy-pass"), "[REDACTED] [REDACTED]");
}

TEST_F(LogTest, FindsUrlsInsideText) {
    EXPECT_EQ(redact_secrets("moved: 'https://a:b@x.org/1' -> <http://c:d@y.org/?password=e>."),
              "moved: 'https://a:***@x.org/1' -> <http://c:***@y.org/?password=***>.");
    EXPECT_EQ(redact_secrets("two: ftp://u:p@h,smtp://v:q@i end"),
              "two: ftp://u:***@h,smtp://v:***@i end");
    EXPECT_EQ(redact_secrets(":// alone and 1://x"), ":// alone and 1://x");
    EXPECT_EQ(redact_secrets("no urls at all"), "no urls at all");
}

}  // namespace
}  // namespace chuhai
