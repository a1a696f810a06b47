#include "deliver/secret.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <sstream>

#include "common/error.h"
#include "common/log.h"
#include "tests/support/test_support.h"

namespace chuhai::deliver {
namespace {

using chuhai::testing::TempDir;

// Sets an environment variable for the scope of one test.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name))
            old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(Secret, ReadsAFileDroppingOneTrailingNewline) {
    TempDir dir;
    const auto file = dir.write("password", "s3cret pass\n");
    ::chmod(file.c_str(), 0600);
    EXPECT_EQ(load_secret({file, ""}, "test").reveal(), "s3cret pass");
    const auto crlf = dir.write("crlf", "abc\r\n");
    EXPECT_EQ(load_secret({crlf, ""}, "test").reveal(), "abc");
    const auto two = dir.write("two", "abc\n\n");
    EXPECT_EQ(load_secret({two, ""}, "test").reveal(), "abc\n");
}

TEST(Secret, ReadsASystemdCredential) {
    TempDir dir;
    dir.write("smtp-password", "from-systemd\n");
    ScopedEnv env("CREDENTIALS_DIRECTORY", dir.path().string());
    EXPECT_EQ(load_secret({"", "smtp-password"}, "test").reveal(), "from-systemd");
}

TEST(Secret, ErrorsNameTheFileButNeverTheContents) {
    TempDir dir;
    const auto empty = dir.write("empty", "\n");
    try {
        load_secret({empty, ""}, "SMTP password");
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::config);
        EXPECT_EQ(e.where(), empty.string());
        EXPECT_NE(e.message().find("SMTP password"), std::string::npos);
    }
    const auto big = dir.write("big", "hunter2" + std::string(70000, 'x'));
    try {
        load_secret({big, ""}, "SMTP password");
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos);
    }
    EXPECT_THROW(load_secret({dir / "missing", ""}, "x"), Error);
    EXPECT_THROW(load_secret({}, "x"), Error);
    EXPECT_THROW(load_secret({empty, "both"}, "x"), Error);
}

TEST(Secret, CredentialsNeedAPlainName) {
    TempDir dir;
    ScopedEnv env("CREDENTIALS_DIRECTORY", dir.path().string());
    EXPECT_THROW(load_secret({"", "../etc/passwd"}, "x"), Error);
    EXPECT_THROW(load_secret({"", ".."}, "x"), Error);
}

TEST(Secret, WithoutTheServiceACredentialIsReadFromTheCredentialStores) {
    TempDir dir;
    const auto etc = dir / "etc-credstore";
    const auto run = dir / "run-credstore";
    std::filesystem::create_directories(etc);
    std::filesystem::create_directories(run);
    const auto in_run = dir.write("run-credstore/smtp-password", "from-run\n");
    ::chmod(in_run.c_str(), 0600);
    ScopedEnv no_service("CREDENTIALS_DIRECTORY", "");
    ScopedEnv stores("CHUHAI_CREDSTORE_PATH", etc.string() + ":" + run.string());
    EXPECT_EQ(load_secret({"", "smtp-password"}, "test").reveal(), "from-run");
    // The first store that holds it wins, as with LoadCredential=.
    const auto in_etc = dir.write("etc-credstore/smtp-password", "from-etc\n");
    ::chmod(in_etc.c_str(), 0600);
    EXPECT_EQ(load_secret({"", "smtp-password"}, "test").reveal(), "from-etc");
    EXPECT_EQ(find_credential("smtp-password", "test", {run, etc}), run / "smtp-password");
    {
        // $CREDENTIALS_DIRECTORY, when set, is the only place looked at.
        ScopedEnv service("CREDENTIALS_DIRECTORY", (dir / "empty").string());
        EXPECT_THROW(load_secret({"", "smtp-password"}, "test"), Error);
    }
}

TEST(Secret, AMissingCredentialNamesEveryPlaceTried) {
    TempDir dir;
    ScopedEnv no_service("CREDENTIALS_DIRECTORY", "");
    try {
        find_credential("chuhai.smtp-password", "SMTP password", {dir / "etc", dir / "run"});
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::config);
        const std::string message = e.message();
        EXPECT_NE(message.find("SMTP password"), std::string::npos) << message;
        EXPECT_NE(message.find("$CREDENTIALS_DIRECTORY"), std::string::npos) << message;
        EXPECT_NE(message.find((dir / "etc" / "chuhai.smtp-password").string()), std::string::npos)
            << message;
        EXPECT_NE(message.find((dir / "run" / "chuhai.smtp-password").string()), std::string::npos)
            << message;
    }
    // The default stores are systemd's, in its order.
    ScopedEnv no_override("CHUHAI_CREDSTORE_PATH", "");
    EXPECT_EQ(credstore_dirs(),
              (std::vector<std::filesystem::path>{"/etc/credstore", "/run/credstore"}));
}

TEST(Secret, ACredentialFromAStoreReadableByOthersIsWarnedAbout) {
    TempDir dir;
    const auto file = dir.write("store/webhook-secret", "loose-permissions-secret\n");
    ::chmod(file.c_str(), 0644);
    ScopedEnv no_service("CREDENTIALS_DIRECTORY", "");
    ScopedEnv stores("CHUHAI_CREDSTORE_PATH", (dir / "store").string());
    std::ostringstream log;
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
    const Secret secret = load_secret({"", "webhook-secret"}, "webhook secret");
    spdlog::set_default_logger(previous);
    EXPECT_EQ(secret.reveal(), "loose-permissions-secret");
    EXPECT_NE(log.str().find("readable by other users"), std::string::npos) << log.str();
}

TEST(Secret, EverySecretLoadedIsMaskedInLogs) {
    TempDir dir;
    clear_registered_secrets();
    const auto file = dir.write("password", "correct-horse-battery\n");
    ::chmod(file.c_str(), 0600);
    dir.write("webhook-secret", "whsec-credential-value\n");
    ScopedEnv env("CREDENTIALS_DIRECTORY", dir.path().string());
    EXPECT_EQ(redact_secrets("login correct-horse-battery"), "login correct-horse-battery");
    const Secret password = load_secret({file, ""}, "SMTP password");
    const Secret credential = load_secret({"", "webhook-secret"}, "webhook secret");
    // Whatever later code logs, the secrets are masked: with the password or the secret in a
    // server's error message, in a URL, or on their own.
    EXPECT_EQ(redact_secrets("535 login correct-horse-battery refused"),
              "535 login [REDACTED] refused");
    EXPECT_EQ(redact_secrets("signed with whsec-credential-value"), "signed with [REDACTED]");
    clear_registered_secrets();
}

TEST(Secret, CopiesAndMovesKeepTheValue) {
    Secret a("value");
    Secret b = a;
    Secret c = std::move(a);
    EXPECT_EQ(b.reveal(), "value");
    EXPECT_EQ(c.reveal(), "value");
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is wiped
    b = Secret("other");
    EXPECT_EQ(b.reveal(), "other");
}

}  // namespace
}  // namespace chuhai::deliver
