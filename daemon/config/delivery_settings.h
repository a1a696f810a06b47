#pragma once
// The configuration's digest channels and delivery settings as the digest and deliver stages
// take them. The loader calls these while it reads the file, so every value they refuse is
// reported at load time with its FILE:LINE:COL; afterwards they cannot fail.

#include <string_view>
#include <vector>

#include "config/settings.h"
#include "deliver/mime.h"
#include "deliver/retry.h"
#include "deliver/smtp_sender.h"
#include "deliver/webhook_sender.h"
#include "digest/filter.h"
#include "digest/schedule.h"

namespace chuhai::config {

// schedule, timezone and quiet_hours. Throws Error(config) naming `where`.
digest::Schedule channel_schedule(const ChannelSettings& channel, std::string_view where = {});

// filters, max_stories and send_empty.
digest::ChannelFilter channel_filter(const ChannelSettings& channel);

// `starttls: required` (the default) is STARTTLS and `none` clear text on smtp://; an smtps://
// URL is TLS from the first byte (the loader refuses a starttls key beside it).
deliver::SmtpTls smtp_tls(const SmtpSettings& smtp);

// The sender's settings; secrets stay unread (SmtpSender / WebhookSender read them).
deliver::SmtpSettings smtp_settings(const SmtpSettings& smtp);
deliver::WebhookSettings webhook_settings(const WebhookSettings& webhook,
                                          std::string_view where = {});

// from and to. Throws Error(config) naming `where` for an address that is not valid.
deliver::Mailbox sender_mailbox(const EmailSettings& email, std::string_view where = {});
std::vector<deliver::Mailbox> recipient_mailboxes(const EmailSettings& email,
                                                  std::string_view where = {});

deliver::RetryPolicy retry_policy(const RetrySettings& retry);

}  // namespace chuhai::config
