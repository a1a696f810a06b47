#include "config/delivery_settings.h"

namespace chuhai::config {

digest::Schedule channel_schedule(const ChannelSettings& channel, std::string_view where) {
    return digest::parse_schedule(channel.schedule, channel.timezone, channel.quiet_hours, where);
}

digest::ChannelFilter channel_filter(const ChannelSettings& channel) {
    digest::ChannelFilter filter;
    filter.topics = channel.filters.topics;
    filter.rules = channel.filters.rules;
    filter.source_tags = channel.filters.source_tags;
    filter.min_score = channel.filters.min_score.value_or(0.0);
    filter.max_stories = static_cast<std::size_t>(channel.max_stories);
    filter.send_empty = channel.send_empty;
    return filter;
}

deliver::SmtpTls smtp_tls(const SmtpSettings& smtp) {
    if (smtp.url.rfind("smtps://", 0) == 0)
        return deliver::SmtpTls::implicit;
    return smtp.starttls == "none" ? deliver::SmtpTls::none : deliver::SmtpTls::starttls;
}

deliver::SmtpSettings smtp_settings(const SmtpSettings& smtp) {
    deliver::SmtpSettings out;
    out.url = smtp.url;
    out.tls = smtp_tls(smtp);
    out.username = smtp.username;
    out.password.file = smtp.password_file;
    out.password.credential = smtp.password_credential;
    out.ca_file = smtp.ca_file;
    out.connect_timeout = smtp.connect_timeout;
    out.timeout = smtp.timeout;
    return out;
}

deliver::WebhookSettings webhook_settings(const WebhookSettings& webhook, std::string_view where) {
    deliver::WebhookSettings out;
    out.url = webhook.url;
    out.format = deliver::parse_webhook_format(webhook.kind, where);
    out.secret.file = webhook.secret_file;
    out.secret.credential = webhook.secret_credential;
    out.ca_file = webhook.ca_file;
    out.connect_timeout = webhook.connect_timeout;
    out.timeout = webhook.timeout;
    return out;
}

deliver::Mailbox sender_mailbox(const EmailSettings& email, std::string_view where) {
    return deliver::parse_mailbox(email.from, where);
}

std::vector<deliver::Mailbox> recipient_mailboxes(const EmailSettings& email,
                                                  std::string_view where) {
    std::vector<deliver::Mailbox> to;
    for (const auto& text : email.to)
        to.push_back(deliver::parse_mailbox(text, where));
    return to;
}

deliver::RetryPolicy retry_policy(const RetrySettings& retry) {
    deliver::RetryPolicy policy;
    policy.initial_delay = retry.initial_delay;
    policy.multiplier = retry.multiplier;
    policy.max_delay = retry.max_delay;
    policy.jitter = retry.jitter;
    policy.max_retry_after = retry.max_retry_after;
    return policy;
}

}  // namespace chuhai::config
