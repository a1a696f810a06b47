// The digest subcommands (docs/digests.md):
//
//   chuhai digest preview --channel NAME [--html FILE] [--text FILE]
//       the digest the channel would get now, rendered; nothing is recorded or sent
//   chuhai digest send --channel NAME [--now]
//       the channel's due digest (with --now: everything since its last digest, now) built,
//       recorded and sent, with any of its digests waiting for a retry
//   chuhai digest test --channel NAME
//       a short test message through the channel's server; prints the server's answer
//
// Exit status: 0 done (delivered, or nothing to do), 1 a delivery failed or was left for a
// retry, 2 a usage or configuration error (an unknown channel, a password file that cannot be
// read).

#include <iostream>
#include <memory>

#include "app/app_config.h"
#include "app/cli_format.h"
#include "app/commands.h"
#include "app/digest_delivery.h"
#include "app/status_report.h"
#include "common/error.h"
#include "common/file.h"
#include "common/log.h"
#include "config/delivery_settings.h"
#include "deliver/smtp_sender.h"
#include "deliver/webhook_sender.h"
#include "digest/render.h"
#include "store/store.h"

namespace chuhai::app {

namespace {

struct DigestOptions {
    std::string channel;
    std::string html_file;
    std::string text_file;
    bool now = false;
};

void add_channel_option(CLI::App& command, DigestOptions& options) {
    command
        .add_option("--channel", options.channel, "the digest channel (its name: in the config)")
        ->required()
        ->type_name("NAME");
}

// Preview and send read matches from the store and need no rules, but a filter naming a topic or
// rule that the rules do not define is the likeliest reason for an empty digest: the channel's
// filters are checked against the rules folder as the daemon checks them. Rules that do not
// load are left to `chuhai rules check`.
void check_channel_filters(const config::Settings& settings,
                           const config::ChannelSettings& channel) {
    try {
        const match::LoadResult rules = match::RuleSet::try_load(settings.rules);
        if (!rules.rules)
            return;
        config::Settings only_channel;
        only_channel.digests = {channel};
        warn_about_unknown_filters(only_channel, *rules.rules);
    } catch (const Error&) {
        // A missing or unreadable rules folder: this command does not need it.
    }
}

int preview(const CommonOptions& common, const DigestOptions& options) {
    const config::Settings settings = load_app_config(common);
    check_channel_filters(settings, find_channel(settings, options.channel));
    SystemClock clock;
    DigestDelivery digests(digest_channels(settings), delivery_options(settings), clock);
    auto store = open_existing_store(settings);
    const BuiltDigest built = digests.preview(*store, options.channel);
    if (!options.html_file.empty())
        write_file_atomic(options.html_file, digest::render_html(built.digest));
    if (!options.text_file.empty())
        write_file_atomic(options.text_file, digest::render_text(built.digest));
    if (options.html_file.empty() && options.text_file.empty()) {
        std::cout << digest::render_text(built.digest);
    } else {
        std::cout << "digest preview " << options.channel << ": "
                  << counted(built.digest.story_count(), "story", "stories") << ", "
                  << counted(built.items.size(), "item") << " (nothing recorded or sent)\n";
    }
    return kExitOk;
}

int send(const CommonOptions& common, const DigestOptions& options) {
    const config::Settings settings = load_app_config(common);
    const config::ChannelSettings& channel = find_channel(settings, options.channel);
    check_channel_filters(settings, channel);
    SystemClock clock;
    DigestDelivery digests(digest_channels(settings), delivery_options(settings), clock);
    digests.set_sender(channel.name, make_sender(channel));
    auto store = store::open_store(settings.database);
    const DeliveryActivity activity = options.now ? digests.send_now(*store, options.channel)
                                                  : digests.run_channel(*store, options.channel);
    for (const auto& line : activity.lines)
        std::cout << line << "\n";
    std::cout << "digest send " << options.channel << ": " << summary_line(activity) << "\n";
    if (activity.built == 0 && activity.delivered == 0 && activity.retrying == 0 &&
        activity.failed == 0) {
        std::cout << (options.now ? "nothing new since the channel's last digest"
                                  : "no digest due (use --now to send what is new now)")
                  << "\n";
    }
    return activity.failed > 0 || activity.retrying > 0 ? kExitFailure : kExitOk;
}

int test(const CommonOptions& common, const DigestOptions& options) {
    const config::Settings settings = load_app_config(common);
    const config::ChannelSettings& channel = find_channel(settings, options.channel);
    const std::string what = "digest channel '" + channel.name + "' (" + channel.where + ")";
    const UtcTime now = SystemClock().now();
    deliver::DeliveryOutcome outcome;
    std::string destination;
    if (channel.email) {
        const deliver::SmtpSender sender(config::smtp_settings(channel.email->smtp), what);
        destination = channel.email->smtp.url;
        outcome = sender.send_test_message(channel.name, config::sender_mailbox(*channel.email),
                                           config::recipient_mailboxes(*channel.email), now);
    } else {
        const deliver::WebhookSender sender(
            config::webhook_settings(*channel.webhook, channel.where), what);
        destination = redact_url(channel.webhook->url);
        outcome = sender.send_test_message(channel.name, now);
    }
    std::cout << "digest test " << channel.name << " via " << destination << ": "
              << deliver::describe(outcome) << "\n";
    return outcome.delivered() ? kExitOk : kExitFailure;
}

}  // namespace

void add_digest_commands(CommandLine& cli) {
    auto& common = cli.common;
    int& exit_status = cli.exit_status;
    auto* group = cli.app.add_subcommand("digest", "preview, send or test a digest channel");
    group->require_subcommand(1);
    group->footer(
        "Exit status: 0 done, 1 a delivery failed or waits for a retry, 2 usage or "
        "configuration error.");
    auto options = std::make_shared<DigestOptions>();

    auto* preview_command = group->add_subcommand(
        "preview", "render the digest the channel would get now, without recording or sending it");
    add_config_option(*preview_command, common);
    add_channel_option(*preview_command, *options);
    preview_command->add_option("--html", options->html_file, "write the HTML part to FILE")
        ->type_name("FILE");
    preview_command->add_option("--text", options->text_file, "write the text part to FILE")
        ->type_name("FILE");
    preview_command->callback(
        [&common, &exit_status, options] { exit_status = preview(common, *options); });

    auto* send_command = group->add_subcommand(
        "send", "build, record and send the channel's due digest and any waiting for a retry");
    add_config_option(*send_command, common);
    add_channel_option(*send_command, *options);
    send_command->add_flag("--now", options->now,
                           "do not wait for the schedule: digest everything new since the "
                           "channel's last digest now");
    send_command->callback(
        [&common, &exit_status, options] { exit_status = send(common, *options); });

    auto* test_command = group->add_subcommand(
        "test", "send a short test message through the channel's server and show its answer");
    add_config_option(*test_command, common);
    add_channel_option(*test_command, *options);
    test_command->callback(
        [&common, &exit_status, options] { exit_status = test(common, *options); });
}

}  // namespace chuhai::app
