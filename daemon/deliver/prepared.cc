#include "deliver/prepared.h"

#include "deliver/digest_mail.h"
#include "deliver/webhook_sender.h"

namespace chuhai::deliver {

PreparedDelivery prepare_email(const digest::Digest& digest, const Mailbox& from,
                               const std::vector<Mailbox>& to, std::string_view subject_prefix) {
    const MailMessage mail = make_digest_mail(digest, from, to, subject_prefix);
    PreparedDelivery p;
    p.kind = PreparedDelivery::Kind::email;
    p.digest_id = digest.id;
    p.channel = digest.channel;
    p.envelope_from = from.address;
    for (const auto& mailbox : to)
        p.recipients.push_back(mailbox.address);
    p.payload = build_mime_message(mail);
    return p;
}

PreparedDelivery prepare_webhook(const digest::Digest& digest, WebhookFormat format) {
    PreparedDelivery p;
    p.kind = PreparedDelivery::Kind::webhook;
    p.digest_id = digest.id;
    p.channel = digest.channel;
    p.payload = render_webhook_body(digest, format);
    return p;
}

}  // namespace chuhai::deliver
