// SmtpSender against a real SMTP server (tests/servers/smtp_server.py, aiosmtpd) on 127.0.0.1:
// STARTTLS with a self-signed certificate trusted through ca_file, AUTH, implicit TLS, failure
// replies, and the messages as they arrive in the server's Maildir.

#include "deliver/smtp_sender.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/file.h"
#include "deliver/digest_mail.h"
#include "digest/render.h"
#include "tests/deliver/mail_inspection.h"
#include "tests/deliver/server_process.h"
#include "tests/digest/sample_digest.h"
#include "tests/support/test_support.h"

namespace chuhai::deliver {
namespace {

using chuhai::testing::ServerProcess;
using chuhai::testing::TempDir;
using namespace std::chrono_literals;

constexpr const char* kUser = "digest-bot";

// Secrets belong in files only their owner can read (else chuhai warns).
std::filesystem::path private_file(const TempDir& dir, const std::string& name,
                                   const std::string& contents) {
    const auto path = dir.write(name, contents);
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return path;
}
constexpr const char* kPassword = "correct horse battery staple";

class SmtpSenderTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        certificates_ = new TempDir();
        certificate_ = chuhai::testing::make_self_signed_certificate(certificates_->path());
        password_file_ = private_file(*certificates_, "password", std::string(kPassword) + "\n");
    }
    static void TearDownTestSuite() {
        delete certificates_;
        certificates_ = nullptr;
    }

    // Starts the server with the Maildir in this test's folder plus `options`.
    void start_server(std::vector<std::string> options) {
        std::vector<std::string> argv = {chuhai::testing::kSystemPython,
                                         chuhai::testing::server_script("smtp_server.py").string(),
                                         "--maildir", maildir().string()};
        argv.insert(argv.end(), options.begin(), options.end());
        server_ = std::make_unique<ServerProcess>(argv);
    }
    std::vector<std::string> tls_options(const char* mode) const {
        return {mode, "--cert", certificate_.certificate.string(), "--key",
                certificate_.key.string()};
    }
    std::vector<std::string> auth_options() const {
        return {"--user", kUser, "--password-file", password_file_.string()};
    }

    SmtpSettings settings(const char* scheme, SmtpTls tls, bool with_auth = true) const {
        SmtpSettings s;
        s.url = std::string(scheme) + "://127.0.0.1:" + std::to_string(server_->port());
        s.tls = tls;
        s.ca_file = certificate_.certificate;
        if (with_auth) {
            s.username = kUser;
            s.password.file = password_file_;
        }
        s.connect_timeout = 10s;
        s.timeout = 30s;
        return s;
    }

    std::filesystem::path maildir() const { return scratch_.path() / "maildir"; }

    std::vector<std::filesystem::path> received() const {
        std::vector<std::filesystem::path> files;
        for (const char* sub : {"new", "cur"}) {
            const auto dir = maildir() / sub;
            if (!std::filesystem::is_directory(dir))
                continue;
            for (const auto& entry : std::filesystem::directory_iterator(dir))
                files.push_back(entry.path());
        }
        return files;
    }

    std::vector<nlohmann::json> envelopes() const {
        std::vector<nlohmann::json> out;
        std::ifstream in(maildir() / "envelopes.jsonl");
        std::string line;
        while (std::getline(in, line))
            out.push_back(nlohmann::json::parse(line));
        return out;
    }

    MailMessage digest_mail() const {
        return make_digest_mail(chuhai::testing::sample_digest(),
                                {"chuhai 出海", "digest@example.org"},
                                {{"Alice", "alice@example.com"}, {"", "bob@example.net"}});
    }

    static TempDir* certificates_;
    static chuhai::testing::TestCertificate certificate_;
    static std::filesystem::path password_file_;
    TempDir scratch_;
    std::unique_ptr<ServerProcess> server_;
};

TempDir* SmtpSenderTest::certificates_ = nullptr;
chuhai::testing::TestCertificate SmtpSenderTest::certificate_;
std::filesystem::path SmtpSenderTest::password_file_;

TEST_F(SmtpSenderTest, DeliversOverStartTlsWithAuthToEveryRecipient) {
    auto options = tls_options("--starttls");
    const auto auth = auth_options();
    options.insert(options.end(), auth.begin(), auth.end());
    start_server(options);
    const SmtpSender sender(settings("smtp", SmtpTls::starttls));
    const MailMessage mail = digest_mail();

    const DeliveryOutcome outcome = sender.send(mail);
    ASSERT_TRUE(outcome.delivered()) << describe(outcome);
    EXPECT_EQ(outcome.code, 250);
    EXPECT_NE(outcome.reply.find("queued as"), std::string::npos) << outcome.reply;

    const auto files = received();
    ASSERT_EQ(files.size(), 1u);
    const auto env = envelopes();
    ASSERT_EQ(env.size(), 1u);
    EXPECT_EQ(env[0]["mail_from"], "digest@example.org");
    EXPECT_EQ(env[0]["rcpt_tos"], nlohmann::json::array({"alice@example.com", "bob@example.net"}));
    EXPECT_TRUE(env[0]["tls"]);
    EXPECT_TRUE(env[0]["authenticated"]);
    EXPECT_EQ(env[0]["auth_login"], kUser);
    // The stored bytes are exactly what was built: curl's dot-stuffing was undone by the server.
    EXPECT_EQ(read_file(files[0]), build_mime_message(mail));
}

TEST_F(SmtpSenderTest, ReceivedDigestIsWellFormedAndHostileTitlesInjectNothing) {
    auto options = tls_options("--starttls");
    const auto auth = auth_options();
    options.insert(options.end(), auth.begin(), auth.end());
    start_server(options);
    const SmtpSender sender(settings("smtp", SmtpTls::starttls));
    const digest::Digest digest = chuhai::testing::sample_digest();
    ASSERT_TRUE(sender.send(digest_mail()).delivered());

    const auto files = received();
    ASSERT_EQ(files.size(), 1u);
    const auto mail = chuhai::testing::inspect_mail_file(files[0]);
    EXPECT_TRUE(mail["defects"].empty()) << mail["defects"];
    EXPECT_EQ(mail["content_type"], "multipart/alternative");
    EXPECT_EQ(mail["subject"], "chuhai digest: 每日出海 Daily, 2025-07-02 (5 stories)");
    EXPECT_EQ(mail["message_id"], "<" + digest.id + "@example.org>");
    EXPECT_TRUE(mail["date_valid"]);
    EXPECT_FALSE(mail["bare_lf"]);
    EXPECT_FALSE(mail["bare_cr"]);
    EXPECT_LE(mail["max_header_line"].get<int>(), 78);
    EXPECT_LE(mail["max_body_line"].get<int>(), 76);
    // The feed title with CR LF "Bcc:" neither became a header nor added a recipient.
    EXPECT_EQ(mail["header_count"].value("bcc", 0), 0);
    EXPECT_EQ(mail["header_count"].value("x-injected", 0), 0);
    EXPECT_EQ(envelopes()[0]["rcpt_tos"].size(), 2u);

    const auto html = chuhai::testing::part_of(mail, "text/html")["text"].get<std::string>();
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"),
              std::string::npos);
    EXPECT_EQ(html.find("javascript:"), std::string::npos);
    const auto text = chuhai::testing::part_of(mail, "text/plain")["text"].get<std::string>();
    EXPECT_NE(text.find("Reuters, SCMP and 3 more"), std::string::npos);
    EXPECT_NE(text.find("月之暗面宣布在新加坡设立海外总部"), std::string::npos);
}

TEST_F(SmtpSenderTest, WrongPasswordIsPermanentAndThePasswordIsNeverShown) {
    auto options = tls_options("--starttls");
    const auto auth = auth_options();
    options.insert(options.end(), auth.begin(), auth.end());
    start_server(options);
    TempDir dir;
    auto s = settings("smtp", SmtpTls::starttls);
    const std::string wrong = "wrong-password-7f3a";
    s.password.file = private_file(dir, "wrong", wrong + "\n");

    std::ostringstream log;
    auto previous = spdlog::default_logger();
    auto capture = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
    capture->set_level(spdlog::level::trace);
    spdlog::set_default_logger(capture);
    const SmtpSender sender(s);
    const DeliveryOutcome outcome = sender.send(digest_mail());
    spdlog::set_default_logger(previous);

    EXPECT_EQ(outcome.status, DeliveryStatus::permanent_failure) << describe(outcome);
    EXPECT_EQ(outcome.code, 535);
    EXPECT_TRUE(received().empty());
    for (const std::string& shown : {describe(outcome), outcome.reply, outcome.detail, log.str()}) {
        EXPECT_EQ(shown.find(wrong), std::string::npos) << shown;
        EXPECT_EQ(shown.find(kPassword), std::string::npos) << shown;
    }
}

TEST_F(SmtpSenderTest, ReadsThePasswordFromASystemdCredential) {
    auto options = tls_options("--starttls");
    const auto auth = auth_options();
    options.insert(options.end(), auth.begin(), auth.end());
    start_server(options);
    TempDir credentials;
    private_file(credentials, "chuhai-smtp", kPassword);
    ::setenv("CREDENTIALS_DIRECTORY", credentials.path().c_str(), 1);
    auto s = settings("smtp", SmtpTls::starttls);
    s.password = SecretSource{"", "chuhai-smtp"};
    const SmtpSender sender(s);
    ::unsetenv("CREDENTIALS_DIRECTORY");
    EXPECT_TRUE(sender.send(digest_mail()).delivered());
}

TEST_F(SmtpSenderTest, RequiredStartTlsThatIsNotOfferedFailsPermanently) {
    start_server({});  // plain SMTP, no STARTTLS
    const SmtpSender sender(settings("smtp", SmtpTls::starttls, false));
    const DeliveryOutcome outcome = sender.send(digest_mail());
    EXPECT_EQ(outcome.status, DeliveryStatus::permanent_failure) << describe(outcome);
    EXPECT_FALSE(outcome.detail.empty());
    EXPECT_TRUE(received().empty());
}

TEST_F(SmtpSenderTest, UntrustedCertificateFailsPermanently) {
    start_server(tls_options("--starttls"));
    auto s = settings("smtp", SmtpTls::starttls, false);
    TempDir other;
    const auto stranger = chuhai::testing::make_self_signed_certificate(other.path());
    s.ca_file = stranger.certificate;  // trusts a different certificate
    const DeliveryOutcome outcome = SmtpSender(s).send(digest_mail());
    EXPECT_EQ(outcome.status, DeliveryStatus::permanent_failure) << describe(outcome);
    EXPECT_TRUE(received().empty());
}

TEST_F(SmtpSenderTest, DeliversOverImplicitTls) {
    auto options = tls_options("--implicit-tls");
    const auto auth = auth_options();
    options.insert(options.end(), auth.begin(), auth.end());
    start_server(options);
    const DeliveryOutcome outcome =
        SmtpSender(settings("smtps", SmtpTls::implicit)).send(digest_mail());
    ASSERT_TRUE(outcome.delivered()) << describe(outcome);
    EXPECT_TRUE(envelopes()[0]["tls"]);
}

TEST_F(SmtpSenderTest, DeliversInClearTextToALocalRelayWhenAskedTo) {
    start_server({});
    const DeliveryOutcome outcome =
        SmtpSender(settings("smtp", SmtpTls::none, false)).send(digest_mail());
    ASSERT_TRUE(outcome.delivered()) << describe(outcome);
    EXPECT_FALSE(envelopes()[0]["tls"]);
}

TEST_F(SmtpSenderTest, FourHundredRepliesAreTemporary) {
    start_server({"--fail-data", "451"});
    const DeliveryOutcome outcome =
        SmtpSender(settings("smtp", SmtpTls::none, false)).send(digest_mail());
    EXPECT_EQ(outcome.status, DeliveryStatus::temporary_failure) << describe(outcome);
    EXPECT_EQ(outcome.code, 451);
    EXPECT_NE(outcome.reply.find("message refused by test server"), std::string::npos)
        << outcome.reply;
    EXPECT_TRUE(received().empty());
}

TEST_F(SmtpSenderTest, FiveHundredRepliesArePermanent) {
    start_server({"--fail-rcpt", "550"});
    const DeliveryOutcome outcome =
        SmtpSender(settings("smtp", SmtpTls::none, false)).send(digest_mail());
    EXPECT_EQ(outcome.status, DeliveryStatus::permanent_failure) << describe(outcome);
    EXPECT_EQ(outcome.code, 550);
    EXPECT_NE(outcome.reply.find("recipient rejected"), std::string::npos) << outcome.reply;
    EXPECT_TRUE(received().empty());
}

TEST_F(SmtpSenderTest, AServerThatIsDownIsATemporaryFailure) {
    SmtpSettings s;
    s.url = "smtp://127.0.0.1:" + std::to_string(chuhai::testing::unused_port());
    s.tls = SmtpTls::none;
    const DeliveryOutcome outcome = SmtpSender(s).send(digest_mail());
    EXPECT_EQ(outcome.status, DeliveryStatus::temporary_failure) << describe(outcome);
    EXPECT_EQ(outcome.code, 0);
    EXPECT_FALSE(outcome.detail.empty());
}

TEST_F(SmtpSenderTest, AServerThatNeverAnswersTimesOutTemporarily) {
    // A socket that listens but never accepts: the connection completes, no greeting comes.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    SmtpSettings s;
    s.url = "smtp://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    s.tls = SmtpTls::none;
    s.timeout = 2s;
    const DeliveryOutcome outcome = SmtpSender(s).send(digest_mail());
    EXPECT_EQ(outcome.status, DeliveryStatus::temporary_failure) << describe(outcome);

    // A daemon that is stopping does not wait for the timeout: the attempt gives up when told.
    s.timeout = 60s;
    SmtpSender stoppable(s);
    std::atomic<bool> stopping{false};
    stoppable.set_abort_flag(&stopping);
    const auto started = std::chrono::steady_clock::now();
    std::thread stopper([&stopping] {
        std::this_thread::sleep_for(300ms);
        stopping = true;
    });
    const DeliveryOutcome aborted = stoppable.send(digest_mail());
    stopper.join();
    ::close(fd);
    EXPECT_EQ(aborted.status, DeliveryStatus::temporary_failure) << describe(aborted);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s) << describe(aborted);
}

TEST_F(SmtpSenderTest, TestMessageReportsTheServersAnswer) {
    auto options = tls_options("--starttls");
    const auto auth = auth_options();
    options.insert(options.end(), auth.begin(), auth.end());
    start_server(options);
    const SmtpSender sender(settings("smtp", SmtpTls::starttls));
    const DeliveryOutcome outcome =
        sender.send_test_message("daily", {"", "digest@example.org"}, {{"", "alice@example.com"}},
                                 *parse_rfc3339("2025-07-01T08:00:00Z"));
    ASSERT_TRUE(outcome.delivered()) << describe(outcome);
    EXPECT_TRUE(describe(outcome).starts_with("delivered (250 2.0.0 Ok: queued as"))
        << describe(outcome);
    const auto files = received();
    ASSERT_EQ(files.size(), 1u);
    const auto mail = chuhai::testing::inspect_mail_file(files[0]);
    EXPECT_EQ(mail["subject"], "chuhai test message for channel daily");
}

TEST_F(SmtpSenderTest, APreparedDigestSentTwiceKeepsItsMessageId) {
    start_server({});
    const SmtpSender sender(settings("smtp", SmtpTls::none, false));
    const PreparedDelivery prepared = prepare_email(
        chuhai::testing::sample_digest(), {"", "digest@example.org"}, {{"", "alice@example.com"}});
    // What a crash between "sent" and "marked delivered" leads to: the same bytes again.
    ASSERT_TRUE(sender.deliver(prepared).delivered());
    ASSERT_TRUE(sender.deliver(prepared).delivered());
    const auto files = received();
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(read_file(files[0]), prepared.payload);
    EXPECT_EQ(read_file(files[1]), prepared.payload);
    EXPECT_THROW(
        sender.deliver(prepare_webhook(chuhai::testing::sample_digest(), WebhookFormat::json)),
        Error);
}

TEST_F(SmtpSenderTest, ADigestPreparedWhileTheServerIsDownGoesOutOnceItIsBack) {
    const PreparedDelivery prepared = prepare_email(
        chuhai::testing::sample_digest(), {"", "digest@example.org"}, {{"", "alice@example.com"}});
    SmtpSettings down;
    down.url = "smtp://127.0.0.1:" + std::to_string(chuhai::testing::unused_port());
    down.tls = SmtpTls::none;
    const DeliveryOutcome first = SmtpSender(down).deliver(prepared);
    ASSERT_EQ(first.status, DeliveryStatus::temporary_failure) << describe(first);

    start_server({});
    const DeliveryOutcome second =
        SmtpSender(settings("smtp", SmtpTls::none, false)).deliver(prepared);
    ASSERT_TRUE(second.delivered()) << describe(second);
    const auto files = received();
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(read_file(files[0]), prepared.payload);
}

TEST(SmtpSettingsTest, RejectsContradictionsAndClearTextPasswords) {
    TempDir dir;
    const auto password = private_file(dir, "pw", "x\n");
    auto make = [&](std::string url, SmtpTls tls, bool auth) {
        SmtpSettings s;
        s.url = std::move(url);
        s.tls = tls;
        if (auth) {
            s.username = "u";
            s.password.file = password;
        }
        return SmtpSender(s, "channels.daily");
    };
    EXPECT_THROW(make("smtps://mail.example.com", SmtpTls::starttls, false), Error);
    EXPECT_THROW(make("smtp://mail.example.com", SmtpTls::implicit, false), Error);
    EXPECT_THROW(make("http://mail.example.com", SmtpTls::starttls, false), Error);
    EXPECT_THROW(make("not a url", SmtpTls::starttls, false), Error);
    try {
        make("smtp://mail.example.com", SmtpTls::none, true);
        ADD_FAILURE() << "accepted a clear-text password to a remote host";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::config);
        EXPECT_EQ(e.where(), "channels.daily");
        EXPECT_NE(e.message().find("clear text"), std::string::npos);
        // The advice names the configuration's own keys.
        EXPECT_NE(e.message().find("starttls: required"), std::string::npos) << e.message();
        EXPECT_NE(e.message().find("smtps://"), std::string::npos) << e.message();
        EXPECT_EQ(e.message().find("tls starttls"), std::string::npos) << e.message();
    }
    EXPECT_NO_THROW(make("smtp://127.0.0.1:2525", SmtpTls::none, true));
    EXPECT_NO_THROW(make("smtp://localhost", SmtpTls::none, true));
    EXPECT_NO_THROW(make("smtp://mail.example.com:587", SmtpTls::starttls, true));
    EXPECT_NO_THROW(make("smtps://mail.example.com", SmtpTls::implicit, true));

    SmtpSettings no_user;
    no_user.url = "smtp://mail.example.com";
    no_user.password.file = password;
    EXPECT_THROW(SmtpSender{no_user}, Error);
    SmtpSettings no_password;
    no_password.url = "smtp://mail.example.com";
    no_password.username = "u";
    EXPECT_THROW(check_smtp_settings(no_password, "x"), Error);
    SmtpSettings no_host;
    no_host.url = "smtp://";
    EXPECT_THROW(check_smtp_settings(no_host, "x"), Error);
    // The checks alone never read the password file.
    SmtpSettings unread;
    unread.url = "smtp://mail.example.com:587";
    unread.username = "u";
    unread.password.file = dir.path() / "not-there";
    EXPECT_NO_THROW(check_smtp_settings(unread, "x"));
    EXPECT_THROW(SmtpSender{unread}, Error);
    SmtpSettings bad_ca;
    bad_ca.url = "smtp://mail.example.com";
    bad_ca.ca_file = dir.path() / "missing.pem";
    EXPECT_THROW(SmtpSender{bad_ca}, Error);

    EXPECT_EQ(parse_smtp_tls("starttls"), SmtpTls::starttls);
    EXPECT_EQ(parse_smtp_tls("none"), SmtpTls::none);
    EXPECT_EQ(parse_smtp_tls("implicit"), SmtpTls::implicit);
    EXPECT_THROW(parse_smtp_tls("ssl", "x"), Error);
}

}  // namespace
}  // namespace chuhai::deliver
