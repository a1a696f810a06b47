#pragma once
// What the outbox stores for one digest and one destination: everything needed to send it, and
// to send it again after a crash, byte for byte. A digest is prepared (rendered, its MIME message
// built with a fixed Message-ID and Date) once, recorded in the outbox in the same transaction
// that assigns its stories to it, and only then handed to a DeliverySender. A resend therefore
// carries the same Message-ID or Idempotency-Key, which is what lets the receiving side drop the
// duplicate.

#include <atomic>
#include <string>
#include <vector>

#include "deliver/mime.h"
#include "deliver/outcome.h"
#include "deliver/webhook_format.h"
#include "digest/digest.h"

namespace chuhai::deliver {

struct PreparedDelivery {
    enum class Kind { email, webhook };
    Kind kind = Kind::email;
    std::string digest_id;  // outbox key, Message-ID local part, Idempotency-Key
    std::string channel;
    std::string envelope_from;            // email: MAIL FROM
    std::vector<std::string> recipients;  // email: RCPT TO
    std::string payload;                  // email: the whole message; webhook: the body
};

// The digest as an e-mail (make_digest_mail + build_mime_message). Throws Error(config) for
// invalid addresses.
PreparedDelivery prepare_email(const digest::Digest& digest, const Mailbox& from,
                               const std::vector<Mailbox>& to,
                               std::string_view subject_prefix = {});

// The digest as a webhook body in `format`.
PreparedDelivery prepare_webhook(const digest::Digest& digest, WebhookFormat format);

// Something that delivers prepared digests: SmtpSender for email, WebhookSender for webhooks,
// a fake in tests of the outbox.
class DeliverySender {
  public:
    virtual ~DeliverySender() = default;
    // Sends `delivery`; never throws for what the network or the server does. Throws
    // Error(internal) when handed a delivery of the other kind.
    virtual DeliveryOutcome deliver(const PreparedDelivery& delivery) const = 0;

    // From now on an attempt in progress gives up within about a second once `*flag` is true
    // (a temporary failure, "aborted"), so that a daemon asked to stop is not held up by a slow
    // server. `flag` must outlive the sender; null turns this off.
    void set_abort_flag(const std::atomic<bool>* flag) { abort_ = flag; }

  protected:
    const std::atomic<bool>* abort_ = nullptr;
};

}  // namespace chuhai::deliver
