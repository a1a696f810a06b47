#pragma once
// Helpers for the tests of digest delivery in the app stage: a real store with a hand-moved
// clock (tests/store/store_test_support.h), matched items in one line, and a sender that
// records what it is handed and answers what the test scripted.

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "deliver/prepared.h"
#include "tests/store/store_test_support.h"

namespace chuhai::app::testing {

// The evidence JSON the pipeline stores with a match (daemon/app/pipeline.cc): terms, and
// entity mentions with their list's kind.
inline std::string evidence(const std::vector<std::string>& terms,
                            const std::vector<std::pair<std::string, std::string>>& entities) {
    nlohmann::json e = nlohmann::json::array();
    for (const auto& term : terms)
        e.push_back({{"term", term}, {"list", ""}, {"field", "title"}});
    nlohmann::json m = nlohmann::json::array();
    for (const auto& [kind, name] : entities)
        m.push_back({{"list", kind + "_list"}, {"kind", kind}, {"name", name}, {"count", 1}});
    return nlohmann::json{{"evidence", e}, {"entities", m}}.dump();
}

// A sender that records every delivery and answers from a script (then "delivered").
class FakeSender final : public deliver::DeliverySender {
  public:
    deliver::DeliveryOutcome deliver(const deliver::PreparedDelivery& delivery) const override {
        std::lock_guard lock(mutex_);
        sent_.push_back(delivery);
        if (script_.empty()) {
            deliver::DeliveryOutcome ok;
            ok.status = deliver::DeliveryStatus::delivered;
            ok.code = 250;
            ok.reply = "250 2.0.0 Ok: queued";
            return ok;
        }
        deliver::DeliveryOutcome next = script_.front();
        script_.pop_front();
        return next;
    }

    void then(deliver::DeliveryStatus status, int code, std::string reply,
              std::optional<std::chrono::seconds> retry_after = {}) {
        deliver::DeliveryOutcome o;
        o.status = status;
        o.code = code;
        o.reply = std::move(reply);
        o.retry_after = retry_after;
        std::lock_guard lock(mutex_);
        script_.push_back(o);
    }
    std::vector<deliver::PreparedDelivery> sent() const {
        std::lock_guard lock(mutex_);
        return sent_;
    }

  private:
    mutable std::mutex mutex_;
    mutable std::vector<deliver::PreparedDelivery> sent_;
    mutable std::deque<deliver::DeliveryOutcome> script_;
};

class DigestStoreTest : public store::testing::StoreTest {
  protected:
    store::SourceId source(const std::string& name, const std::vector<std::string>& tags = {}) {
        store::SourceSpec spec;
        spec.url = "https://feeds.example.com/" + name;
        spec.name = name;
        spec.tags = tags;
        return store().upsert_source(spec);
    }

    // One item from `source`, matched by `rule` for `topic` with `score`, mentioning `entities`
    // ((kind, name) pairs); first seen now.
    store::ItemId matched_item(
        store::SourceId from, const std::string& key, const std::string& title,
        const std::string& topic = "going-global", double score = 20,
        const std::vector<std::pair<std::string, std::string>>& entities = {{"company",
                                                                             "DeepSeek"}},
        const std::string& rule = "rule-a") {
        store::ItemInput item = store::testing::make_item(key, title, title + ". More text.");
        const auto result = store().ingest(fetch_of(from), std::vector<store::ItemInput>{item});
        const store::ItemId id = result.items.at(0).item;
        store().record_matches(id, std::vector<store::MatchInput>{
                                       {rule, "v1", score, topic, evidence({"term"}, entities)}});
        return id;
    }
};

}  // namespace chuhai::app::testing
