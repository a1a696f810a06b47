#pragma once
// The e-mail for a digest, and the short test message of `chuhai digest test`.

#include <string_view>
#include <vector>

#include "deliver/mime.h"
#include "digest/digest.h"

namespace chuhai::deliver {

// Subject from digest::subject_line(), text and HTML parts from the renderers, Date = the
// digest's generated time, Message-ID = "<digest id>@<sender's domain>" (the same for every
// resend of the digest), List-Id "chuhai digest CHANNEL <slug.digest.sender-domain>",
// X-Chuhai-Digest = the digest id. Throws Error(config) for invalid addresses.
// `subject_prefix`, when not empty, goes before the subject with a space.
MailMessage make_digest_mail(const digest::Digest& digest, const Mailbox& from,
                             const std::vector<Mailbox>& to, std::string_view subject_prefix = {});

// A short text/plain message saying which channel it tests and when it was sent; `nonce` makes
// its Message-ID unique (pass random text).
MailMessage make_test_mail(std::string_view channel, const Mailbox& from,
                           const std::vector<Mailbox>& to, UtcTime now, std::string_view nonce);

}  // namespace chuhai::deliver
