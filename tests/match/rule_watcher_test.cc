// Hot reload for real: rule files written into a temporary directory, inotify events, the
// debounce timer and the callback, all on a real Boost.Asio io_context.

#include "match/rule_watcher.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace chuhai::match {
namespace {

using chuhai::testing::TempDir;
using namespace std::chrono_literals;

std::string rule_file(const std::string& term) {
    return "rules:\n  - id: r\n    topic: t\n    match: " + term + "\n";
}

bool matches(const RuleSet& rules, const std::string& title) {
    Document d;
    d.title = title;
    return !rules.evaluate(d).rules.empty();
}

class RuleWatcherTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_.write("rules.yaml", rule_file("DeepSeek"));
        initial_ = RuleSet::load(dir_.path());
        RuleWatcher::Options options;
        options.debounce = 50ms;
        options.on_refused = [this] { ++refusals_; };
        watcher_ = std::make_unique<RuleWatcher>(
            io_, dir_.path(), initial_,
            [this](std::shared_ptr<const RuleSet> rules) { received_.push_back(std::move(rules)); },
            options);
    }

    // Runs the loop until `count` sets have arrived or `limit` has passed.
    void run_until_received(std::size_t count, std::chrono::milliseconds limit = 5000ms) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (received_.size() < count && std::chrono::steady_clock::now() < deadline) {
            io_.restart();
            io_.run_for(20ms);
        }
    }
    void run_for(std::chrono::milliseconds d) {
        io_.restart();
        io_.run_for(d);
    }

    TempDir dir_;
    boost::asio::io_context io_;
    std::shared_ptr<const RuleSet> initial_;
    std::vector<std::shared_ptr<const RuleSet>> received_;
    int refusals_ = 0;  // calls of Options::on_refused
    std::unique_ptr<RuleWatcher> watcher_;
};

TEST_F(RuleWatcherTest, AValidEditIsLoadedAndHandedOver) {
    dir_.write("rules.yaml", rule_file("Qwen"));
    run_until_received(1);
    ASSERT_EQ(received_.size(), 1u);
    EXPECT_TRUE(matches(*received_[0], "Qwen abroad"));
    EXPECT_FALSE(matches(*received_[0], "DeepSeek abroad"));
    EXPECT_NE(received_[0]->version(), initial_->version());
    EXPECT_EQ(watcher_->current(), received_[0]);
    EXPECT_EQ(watcher_->accepted_reloads(), 1u);
}

TEST_F(RuleWatcherTest, ABrokenEditIsRefusedAndTheOldRulesStay) {
    dir_.write("rules.yaml", "rules:\n  - id: r\n    topic: t\n    match:\n      anny: [x]\n");
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (watcher_->refused_reloads() == 0 && std::chrono::steady_clock::now() < deadline)
        run_for(20ms);
    EXPECT_EQ(watcher_->refused_reloads(), 1u);
    EXPECT_EQ(refusals_, 1);  // told when it happened
    EXPECT_TRUE(received_.empty());
    EXPECT_EQ(watcher_->current(), initial_);
    // Fixing the file is picked up again.
    dir_.write("rules.yaml", rule_file("Kimi"));
    run_until_received(1);
    ASSERT_EQ(received_.size(), 1u);
    EXPECT_TRUE(matches(*received_[0], "Kimi"));
}

TEST_F(RuleWatcherTest, BurstsOfWritesAreDebouncedIntoOneLoad) {
    for (int i = 0; i < 5; ++i)
        dir_.write("rules.yaml", rule_file("Term" + std::to_string(i)));
    run_until_received(1);
    run_for(300ms);  // nothing more should come
    ASSERT_EQ(received_.size(), 1u);
    EXPECT_TRUE(matches(*received_[0], "Term4"));
}

TEST_F(RuleWatcherTest, NewSubfoldersAreWatchedToo) {
    std::filesystem::create_directories(dir_ / "more");
    run_for(200ms);  // the folder event itself reloads an unchanged set: no callback
    EXPECT_TRUE(received_.empty());
    dir_.write("more/extra.yaml", "rules:\n  - id: extra\n    topic: t\n    match: Kimi\n");
    run_until_received(1);
    ASSERT_EQ(received_.size(), 1u);
    EXPECT_EQ(received_[0]->rule_count(), 2u);
    dir_.write("more/extra.yaml", "rules:\n  - id: extra\n    topic: t\n    match: Manus\n");
    run_until_received(2);
    ASSERT_EQ(received_.size(), 2u);
    EXPECT_TRUE(matches(*received_[1], "Manus"));
}

TEST_F(RuleWatcherTest, IgnoresOtherFilesAndUnchangedContent) {
    dir_.write("notes.txt", "not rules");
    dir_.write("rules.yaml", rule_file("DeepSeek"));  // same bytes as before
    run_for(400ms);
    EXPECT_TRUE(received_.empty());
    EXPECT_EQ(watcher_->accepted_reloads(), 0u);
}

TEST_F(RuleWatcherTest, ReloadNowLoadsAtOnce) {
    watcher_->reload_now();
    run_for(50ms);
    EXPECT_TRUE(received_.empty());  // same content: nothing to hand over
    // The loop is not running while the file changes, so the event waits; reload_now() loads
    // well before the debounce would.
    RuleWatcher::Options slow;
    slow.debounce = 2s;
    watcher_.reset();
    RuleWatcher manual(
        io_, dir_.path(), initial_,
        [this](std::shared_ptr<const RuleSet> r) { received_.push_back(r); }, slow);
    dir_.write("rules.yaml", rule_file("Talkie"));
    manual.reload_now();
    run_for(200ms);
    ASSERT_EQ(received_.size(), 1u);
    EXPECT_TRUE(matches(*received_[0], "Talkie"));
    EXPECT_EQ(manual.accepted_reloads(), 1u);
}

TEST_F(RuleWatcherTest, NoCallbackAfterDestruction) {
    dir_.write("rules.yaml", rule_file("Qwen"));
    watcher_.reset();
    run_for(300ms);
    EXPECT_TRUE(received_.empty());
}

TEST(RuleWatcher, MissingDirectoryThrows) {
    boost::asio::io_context io;
    TempDir dir;
    EXPECT_THROW(RuleWatcher(io, dir / "missing", nullptr, [](std::shared_ptr<const RuleSet>) {}),
                 Error);
}

}  // namespace
}  // namespace chuhai::match
