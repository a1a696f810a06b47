#include "deliver/outcome.h"

namespace chuhai::deliver {

const char* to_string(DeliveryStatus status) {
    switch (status) {
        case DeliveryStatus::delivered:
            return "delivered";
        case DeliveryStatus::temporary_failure:
            return "temporary failure";
        case DeliveryStatus::permanent_failure:
            return "permanent failure";
    }
    return "unknown";
}

std::string describe(const DeliveryOutcome& outcome) {
    std::string out = to_string(outcome.status);
    // An SMTP reply starts with its code; an HTTP body does not, and the status comes first.
    std::string said;
    const std::string code = outcome.code != 0 ? std::to_string(outcome.code) : std::string();
    if (outcome.reply.empty())
        said = code;
    else if (code.empty() || outcome.reply.starts_with(code))
        said = outcome.reply;
    else
        said = code + " " + outcome.reply;
    if (!said.empty())
        out += (outcome.delivered() ? " (" : ": server said \"") + said +
               (outcome.delivered() ? ")" : "\"");
    if (!outcome.detail.empty())
        out += (said.empty() ? ": " : "; ") + outcome.detail;
    if (outcome.retry_after)
        out += "; retry after " + std::to_string(outcome.retry_after->count()) + "s";
    return out;
}

std::string bounded_reply(std::string_view text) {
    std::string out;
    out.reserve(std::min(text.size(), kMaxReplyBytes));
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7F) ? ' ' : c;
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    if (out.size() > kMaxReplyBytes) {
        std::size_t cut = kMaxReplyBytes;
        // Step back over UTF-8 continuation bytes so the cut falls between characters.
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
            --cut;
        out.resize(cut);
    }
    return out;
}

}  // namespace chuhai::deliver
