#pragma once
// The payload formats a webhook channel can ask for.

#include <string_view>

namespace chuhai::deliver {

enum class WebhookFormat {
    json,     // the generic, versioned chuhai.digest document
    slack,    // a Slack incoming-webhook payload
    discord,  // a Discord webhook payload
};

// Parses the `kind` key: "json", "slack" or "discord". Throws Error(config) naming `where`.
WebhookFormat parse_webhook_format(std::string_view text, std::string_view where = {});
const char* to_string(WebhookFormat format);

}  // namespace chuhai::deliver
