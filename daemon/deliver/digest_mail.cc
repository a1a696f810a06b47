#include "deliver/digest_mail.h"

#include "common/error.h"
#include "digest/render.h"

namespace chuhai::deliver {

namespace {

std::string domain_of(const Mailbox& mailbox) {
    if (!is_valid_address(mailbox.address))
        throw Error(ErrorKind::config, "invalid sender address '" + mailbox.address + "'");
    return mailbox.address.substr(mailbox.address.rfind('@') + 1);
}

}  // namespace

MailMessage make_digest_mail(const digest::Digest& digest, const Mailbox& from,
                             const std::vector<Mailbox>& to, std::string_view subject_prefix) {
    const std::string domain = domain_of(from);
    MailMessage m;
    m.from = from;
    m.to = to;
    m.subject = digest::subject_line(digest);
    if (!subject_prefix.empty())
        m.subject = std::string(subject_prefix) + " " + m.subject;
    m.date = digest.generated;
    m.message_id = make_message_id(digest.id, domain);
    m.list_name = "chuhai digest " + digest.channel;
    m.list_id = digest::channel_slug(digest.channel) + ".digest." + domain;
    m.text_body = digest::render_text(digest);
    m.html_body = digest::render_html(digest);
    m.extra_headers.emplace_back("X-Chuhai-Digest", digest.id);
    return m;
}

MailMessage make_test_mail(std::string_view channel, const Mailbox& from,
                           const std::vector<Mailbox>& to, UtcTime now, std::string_view nonce) {
    const std::string domain = domain_of(from);
    const std::string name(channel);
    MailMessage m;
    m.from = from;
    m.to = to;
    m.subject = "chuhai test message for channel " + name;
    m.date = now;
    m.message_id = make_message_id("test-" + digest::channel_slug(channel) + "-" +
                                       std::to_string(now.time_since_epoch().count()) + "-" +
                                       std::string(nonce),
                                   domain);
    m.list_name = "chuhai digest " + name;
    m.list_id = digest::channel_slug(channel) + ".digest." + domain;
    m.text_body = "This is a test message from chuhai for the channel \"" + name + "\", sent at " +
                  format_rfc3339(now) +
                  ".\n\nIf you can read it, the channel's mail settings work: digests will reach "
                  "you the same way.\n";
    return m;
}

}  // namespace chuhai::deliver
