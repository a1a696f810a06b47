// The translations between the configuration's, the store's and the scheduler's view of a
// source: each field crosses every boundary it must, and the health judgement the metrics and
// `chuhai sources list` share.

#include "app/source_mapping.h"

#include <gtest/gtest.h>

namespace chuhai::app {
namespace {

using namespace std::chrono_literals;

UtcTime at(const char* text) {
    return *parse_rfc3339(text);
}

config::SourceSettings configured(const std::string& url) {
    config::SourceSettings source;
    source.url = url;
    source.name = "Wire";
    source.tags = {"media", "english"};
    source.interval = 1h;
    return source;
}

store::Source stored(store::SourceId id, const std::string& url) {
    store::Source source;
    source.id = id;
    source.spec.url = url;
    source.spec.name = "Wire";
    return source;
}

TEST(SourceMapping, AConfiguredSourceIsStoredWithEveryField) {
    config::SourceSettings source = configured("https://wire.example/rss");
    source.enabled = false;
    const store::SourceSpec spec = spec_from_config(source, "Asia/Shanghai");
    EXPECT_EQ(spec.url, "https://wire.example/rss");
    EXPECT_EQ(spec.name, "Wire");
    EXPECT_EQ(spec.tags, (std::vector<std::string>{"media", "english"}));
    EXPECT_EQ(spec.interval, std::optional<std::chrono::seconds>(1h));
    EXPECT_EQ(spec.timezone, "Asia/Shanghai");  // the file's default zone
    EXPECT_FALSE(spec.enabled);
    EXPECT_EQ(spec.kind, store::SourceKind::feed);
    EXPECT_EQ(spec.origin, store::SourceOrigin::config);
    source.timezone = "Europe/London";
    EXPECT_EQ(spec_from_config(source, "Asia/Shanghai").timezone, "Europe/London");
}

TEST(SourceMapping, EveryConfiguredSourceInOrder) {
    config::Settings settings;
    settings.timezone = "UTC";
    settings.sources = {configured("https://a.example/"), configured("https://b.example/")};
    const auto specs = config_source_specs(settings);
    ASSERT_EQ(specs.size(), 2u);
    EXPECT_EQ(specs[0].url, "https://a.example/");
    EXPECT_EQ(specs[1].url, "https://b.example/");
}

TEST(SourceMapping, TheConfigurationEntryIsFoundByTheUrlOrAFormerOne) {
    config::Settings settings;
    settings.sources = {configured("https://old.example/rss"), configured("https://b.example/")};
    store::Source moved = stored(1, "https://new.example/rss");
    EXPECT_EQ(config_entry(settings, moved), nullptr);
    moved.former_urls = {"https://old.example/rss"};  // a 301 moved it; the file still says old
    EXPECT_EQ(config_entry(settings, moved), &settings.sources[0]);
    EXPECT_EQ(config_entry(settings, stored(2, "https://b.example/")), &settings.sources[1]);
}

TEST(SourceMapping, TheConditionOfAStoredSource) {
    store::Source source = stored(1, "https://a.example/");
    EXPECT_EQ(condition_of(source), SourceCondition::ok);
    source.health.consecutive_failures = 3;
    EXPECT_EQ(condition_of(source), SourceCondition::failing);
    source.disabled_reason = "HTTP 410 Gone";
    EXPECT_EQ(condition_of(source), SourceCondition::disabled);  // disabled wins over failing
    source.disabled_reason.clear();
    source.spec.enabled = false;
    EXPECT_EQ(condition_of(source), SourceCondition::disabled);
    source.spec.enabled = true;
    source.removed = at("2025-06-24T08:00:00Z");
    EXPECT_EQ(condition_of(source), SourceCondition::disabled);
    EXPECT_STREQ(to_string(SourceCondition::failing), "failing");
}

TEST(SourceMapping, TheConditionOfAPolledSource) {
    fetch::SourceState state;
    EXPECT_EQ(condition_of(state), SourceCondition::ok);
    state.health.consecutive_failures = 1;
    EXPECT_EQ(condition_of(state), SourceCondition::failing);
    state.schedule.disabled_reason = "HTTP 410 Gone";
    EXPECT_EQ(condition_of(state), SourceCondition::disabled);
}

TEST(SourceMapping, TheSchedulerSeesNameUrlIntervalAndWhetherToPoll) {
    store::Source source = stored(7, "https://a.example/");
    source.spec.interval = 2h;
    auto settings = scheduler_settings(source, /*verify_tls=*/false);
    EXPECT_EQ(settings.id, 7);
    EXPECT_EQ(settings.name, "Wire");
    EXPECT_EQ(settings.url, "https://a.example/");
    EXPECT_EQ(settings.interval, std::optional<std::chrono::seconds>(2h));
    EXPECT_FALSE(settings.verify_tls);
    EXPECT_TRUE(settings.enabled);
    source.spec.name.clear();
    source.disabled_reason = "disabled by hand";
    settings = scheduler_settings(source, true);
    EXPECT_EQ(settings.name, "https://a.example/");
    EXPECT_FALSE(settings.enabled);
}

TEST(SourceMapping, StoredStateComesBackToTheScheduler) {
    store::Source source = stored(3, "https://a.example/");
    auto& h = source.health;
    h.last_attempt = at("2025-06-24T08:00:00Z");
    h.last_success = at("2025-06-24T07:00:00Z");
    h.last_http_status = 500;
    h.last_error = "HTTP 500";
    h.consecutive_failures = 2;
    h.last_bytes = 1234;
    h.last_duration = 250ms;
    h.last_items_seen = 10;
    h.last_items_new = 1;
    h.etag = "\"v1\"";
    h.last_modified = "Tue, 24 Jun 2025 07:00:00 GMT";
    h.last_new_item = at("2025-06-23T08:00:00Z");
    source.schedule.next_poll = at("2025-06-24T09:00:00Z");
    source.schedule.mean_update_gap = 3h;
    source.schedule.updates_observed = 4;
    source.schedule.retry_after_until = at("2025-06-24T08:30:00Z");
    source.disabled_reason = "HTTP 410 Gone";

    const fetch::SourceState state = restore_state(source);
    EXPECT_EQ(state.health.last_attempt_at, h.last_attempt);
    EXPECT_EQ(state.health.last_success_at, h.last_success);
    EXPECT_EQ(state.health.last_status, 500);
    EXPECT_EQ(state.health.last_error, "HTTP 500");
    EXPECT_EQ(state.health.consecutive_failures, 2);
    EXPECT_EQ(state.health.last_bytes, 1234u);
    EXPECT_EQ(state.health.last_elapsed, 250ms);
    EXPECT_EQ(state.health.last_items_seen, 10);
    EXPECT_EQ(state.health.last_items_new, 1);
    EXPECT_EQ(state.health.last_new_items_at, h.last_new_item);
    EXPECT_EQ(state.schedule.etag, "\"v1\"");
    EXPECT_EQ(state.schedule.last_modified, h.last_modified);
    EXPECT_EQ(state.schedule.next_poll_at, source.schedule.next_poll);
    EXPECT_EQ(state.schedule.mean_update_gap, 3h);
    EXPECT_EQ(state.schedule.updates_observed, 4);
    EXPECT_EQ(state.schedule.retry_after_until, source.schedule.retry_after_until);
    EXPECT_EQ(state.schedule.disabled_reason, "HTTP 410 Gone");

    // And back: the part of the state the store keeps as the schedule.
    const store::SourceSchedule schedule = schedule_of(state);
    EXPECT_EQ(schedule.next_poll, source.schedule.next_poll);
    EXPECT_EQ(schedule.mean_update_gap, 3h);
    EXPECT_EQ(schedule.updates_observed, 4);
    EXPECT_EQ(schedule.retry_after_until, source.schedule.retry_after_until);
}

TEST(SourceMapping, APollWithoutABodyIsRecordedFromItsState) {
    SourceContext context;
    context.id = 5;
    context.url = "https://a.example/";
    fetch::SourceState state;
    state.health.last_attempt_at = at("2025-06-24T08:00:00Z");
    state.health.last_status = 304;
    state.health.last_bytes = 200;
    state.health.last_elapsed = 40ms;
    state.schedule.next_poll_at = at("2025-06-24T08:15:00Z");
    state.schedule.etag = "\"v2\"";  // a 304 that carried a fresher validator
    store::FetchRecord record = record_from_state(context, state);
    EXPECT_EQ(record.source, 5);
    EXPECT_EQ(record.etag, "\"v2\"");
    EXPECT_EQ(record.started, at("2025-06-24T08:00:00Z"));
    EXPECT_EQ(record.requested_url, "https://a.example/");
    EXPECT_EQ(record.http_status, std::optional<int>(304));
    EXPECT_EQ(record.outcome, store::FetchOutcome::not_modified);
    EXPECT_EQ(record.bytes, 200);
    EXPECT_EQ(record.duration, 40ms);
    ASSERT_TRUE(record.schedule);
    EXPECT_EQ(record.schedule->next_poll, state.schedule.next_poll_at);

    state.health.last_status = 503;
    state.health.last_error_kind = "http";
    record = record_from_state(context, state);
    EXPECT_EQ(record.outcome, store::FetchOutcome::failed);
    EXPECT_EQ(record.error, "HTTP 503");  // no message of its own: the status says it
    state.health.last_status = 0;
    state.health.last_error_kind = "timeout";
    state.health.last_error = "timeout: no answer within 120 s";
    record = record_from_state(context, state);
    EXPECT_EQ(record.http_status, std::nullopt);
    EXPECT_EQ(record.error, "timeout: no answer within 120 s");
}

}  // namespace
}  // namespace chuhai::app
