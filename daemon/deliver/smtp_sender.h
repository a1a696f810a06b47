#pragma once
// Sends e-mail through an SMTP server with libcurl: smtp:// with STARTTLS required (or, for a
// relay on the same machine, explicitly none), or smtps:// (TLS from the first byte). The
// password is read once from a file or a systemd credential and never logged; libcurl's
// protocol trace is read only for the server's replies, never for what we send.

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "deliver/mime.h"
#include "deliver/outcome.h"
#include "deliver/prepared.h"
#include "deliver/secret.h"

namespace chuhai::deliver {

enum class SmtpTls {
    starttls,  // smtp://: the server must offer STARTTLS, else the attempt fails permanently
    none,      // smtp:// in clear text; only to a loopback host when a password is used
    implicit,  // smtps://
};

struct SmtpSettings {
    std::string url;                  // smtp://host[:port] or smtps://host[:port]
    SmtpTls tls = SmtpTls::starttls;  // must be `implicit` exactly when the URL is smtps://
    std::string username;             // empty: no AUTH
    SecretSource password;            // required with a username
    std::filesystem::path ca_file;    // trust this CA bundle instead of the system's
    std::chrono::seconds connect_timeout{20};
    std::chrono::seconds timeout{120};  // the whole transaction
};

// Parses the `tls` key: "starttls", "none" or "implicit". Throws Error(config) naming `where`.
SmtpTls parse_smtp_tls(std::string_view text, std::string_view where = {});

// What SmtpSender's constructor checks before it reads the password, for the configuration
// stage to report at load time: an smtp:// or smtps:// URL with a host, a TLS mode that agrees
// with it, no password sent in clear text to a host that is not loopback, a password source
// exactly when there is a username. Throws Error(config) naming `where`.
void check_smtp_settings(const SmtpSettings& settings, std::string_view where = {});

class SmtpSender final : public DeliverySender {
  public:
    // Validates the settings and loads the password. Throws Error(config) naming `where` (the
    // channel or config location) for a bad URL, a TLS mode that contradicts the URL, clear
    // text AUTH to a host that is not loopback, or an unreadable password.
    explicit SmtpSender(SmtpSettings settings, std::string_view where = {});

    // One SMTP transaction: MAIL FROM `envelope_from`, RCPT TO each recipient (all must be
    // accepted, or nothing is sent), DATA `message` (CRLF line ends). Never throws for what
    // the network or the server does: that is the outcome. Safe to call from several threads.
    DeliveryOutcome send(std::string_view envelope_from, const std::vector<std::string>& recipients,
                         std::string_view message) const;

    // Builds `message` (build_mime_message) and sends it from its From to its To addresses.
    DeliveryOutcome send(const MailMessage& message) const;

    // A prepared e-mail from the outbox, sent exactly as recorded.
    DeliveryOutcome deliver(const PreparedDelivery& delivery) const override;

    // `chuhai digest test`: a short message (make_test_mail) for `channel`; the outcome holds
    // the server's answer.
    DeliveryOutcome send_test_message(std::string_view channel, const Mailbox& from,
                                      const std::vector<Mailbox>& to, UtcTime now) const;

    const SmtpSettings& settings() const { return settings_; }

  private:
    SmtpSettings settings_;
    Secret password_;
};

}  // namespace chuhai::deliver
