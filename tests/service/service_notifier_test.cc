#include "service/service_notifier.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "tests/support/test_support.h"

namespace chuhai::service {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Sets an environment variable for the life of the object, then puts the old value back.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name))
            old_ = old;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_.c_str(), old_->c_str(), 1);
        else
            ::unsetenv(name_.c_str());
    }

  private:
    std::string name_;
    std::optional<std::string> old_;
};

// What systemd does: a Unix datagram socket that receives sd_notify messages.
class NotifySocket {
  public:
    // A socket file in a temporary folder, or (abstract) a name in the abstract namespace, which
    // NOTIFY_SOCKET writes with a leading '@'.
    explicit NotifySocket(bool abstract = false) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        EXPECT_GE(fd_, 0) << std::strerror(errno);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        socklen_t length = sizeof address;
        if (abstract) {
            const std::string name =
                "chuhai-test-" + std::to_string(::getpid()) + "-" + dir_.path().filename().string();
            address_ = "@" + name;
            std::memcpy(address.sun_path + 1, name.data(), name.size());
            length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
        } else {
            address_ = (dir_ / "notify.sock").string();
            EXPECT_LT(address_.size(), sizeof address.sun_path);
            std::memcpy(address.sun_path, address_.c_str(), address_.size() + 1);
        }
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), length), 0)
            << std::strerror(errno);
    }
    ~NotifySocket() { ::close(fd_); }

    // What NOTIFY_SOCKET should say.
    std::string path() const { return address_; }

    // The next message, or nullopt when none arrives within `timeout`.
    std::optional<std::string> receive(std::chrono::milliseconds timeout = 5s) {
        pollfd wait{fd_, POLLIN, 0};
        if (::poll(&wait, 1, static_cast<int>(timeout.count())) <= 0)
            return std::nullopt;
        char buffer[4096];
        const ssize_t size = ::recv(fd_, buffer, sizeof buffer, 0);
        if (size < 0)
            return std::nullopt;
        return std::string(buffer, static_cast<std::size_t>(size));
    }

  private:
    testing::TempDir dir_;
    std::string address_;
    int fd_ = -1;
};

TEST(ServiceNotifier, DoesNothingWithoutNotifySocket) {
    ScopedEnv socket("NOTIFY_SOCKET", nullptr);
    ScopedEnv watchdog("WATCHDOG_USEC", "100000");
    boost::asio::io_context loop;
    ServiceNotifier notifier(loop);
    EXPECT_FALSE(notifier.enabled());
    EXPECT_FALSE(notifier.watchdog_interval());
    notifier.ready("started");
    notifier.status("idle");
    notifier.stopping();
    EXPECT_EQ(notifier.messages_sent(), 0u);
    // No watchdog timer was started: the loop has nothing to do.
    EXPECT_EQ(loop.run_for(100ms), 0u);
}

TEST(ServiceNotifier, SendsReadyStatusReloadingAndStopping) {
    NotifySocket systemd;
    ScopedEnv socket("NOTIFY_SOCKET", systemd.path().c_str());
    ScopedEnv watchdog("WATCHDOG_USEC", nullptr);
    boost::asio::io_context loop;
    ServiceNotifier notifier(loop);
    ASSERT_TRUE(notifier.enabled());
    EXPECT_FALSE(notifier.watchdog_interval());

    notifier.ready("polling 12 sources");
    EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=polling 12 sources");
    notifier.status("cycle done: 3 new items\nREADY=1");  // a newline must not inject READY=1
    EXPECT_EQ(systemd.receive(), "STATUS=cycle done: 3 new items READY=1");
    notifier.reloading();
    EXPECT_EQ(systemd.receive(), "RELOADING=1");
    notifier.ready();
    EXPECT_EQ(systemd.receive(), "READY=1");
    notifier.extend_timeout(90s);
    EXPECT_EQ(systemd.receive(), "EXTEND_TIMEOUT_USEC=90000000");
    notifier.stopping();
    EXPECT_EQ(systemd.receive(), "STOPPING=1");
    EXPECT_EQ(notifier.messages_sent(), 6u);
    EXPECT_FALSE(systemd.receive(100ms)) << "no watchdog pings without WATCHDOG_USEC";
}

TEST(ServiceNotifier, PingsTheWatchdogAtHalfOfWatchdogUsec) {
    NotifySocket systemd;
    ScopedEnv socket("NOTIFY_SOCKET", systemd.path().c_str());
    ScopedEnv watchdog("WATCHDOG_USEC", "100000");
    const std::string pid = std::to_string(::getpid());
    ScopedEnv watchdog_pid("WATCHDOG_PID", pid.c_str());
    boost::asio::io_context loop;
    auto notifier = std::make_unique<ServiceNotifier>(loop);
    ASSERT_EQ(notifier->watchdog_interval(), std::chrono::microseconds(50000));

    notifier->ready();
    EXPECT_EQ(systemd.receive(), "READY=1");
    EXPECT_EQ(systemd.receive(), "WATCHDOG=1") << "the first ping goes out with READY=1";

    auto guard = boost::asio::make_work_guard(loop);
    std::thread runner([&] { loop.run(); });
    std::vector<Clock::time_point> pings;
    while (pings.size() < 4) {
        const auto message = systemd.receive();
        if (!message)
            break;
        EXPECT_EQ(*message, "WATCHDOG=1");
        pings.push_back(Clock::now());
    }
    boost::asio::post(loop, [&] { notifier.reset(); });
    guard.reset();
    runner.join();

    ASSERT_EQ(pings.size(), 4u) << "the pings stopped";
    // Timers never fire early: consecutive pings are at least the interval apart (with some
    // slack for when the receiving thread got to each datagram).
    for (std::size_t i = 1; i < pings.size(); ++i)
        EXPECT_GE(pings[i] - pings[i - 1], 35ms) << "ping " << i;
    // Once the notifier is gone, the loop has no timer left and returned: nothing more comes.
    EXPECT_FALSE(systemd.receive(150ms));
}

TEST(ServiceNotifier, ReachesAnAbstractNotifySocket) {
    NotifySocket systemd(/*abstract=*/true);
    ScopedEnv socket("NOTIFY_SOCKET", systemd.path().c_str());
    ScopedEnv watchdog("WATCHDOG_USEC", nullptr);
    boost::asio::io_context loop;
    ServiceNotifier notifier(loop);
    notifier.ready("abstract");
    EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=abstract");
}

TEST(ServiceNotifier, IgnoresAWatchdogMeantForAnotherProcess) {
    NotifySocket systemd;
    ScopedEnv socket("NOTIFY_SOCKET", systemd.path().c_str());
    ScopedEnv watchdog("WATCHDOG_USEC", "100000");
    ScopedEnv watchdog_pid("WATCHDOG_PID", "1");
    boost::asio::io_context loop;
    ServiceNotifier notifier(loop);
    EXPECT_FALSE(notifier.watchdog_interval());
    notifier.ready();
    EXPECT_EQ(systemd.receive(), "READY=1");
    EXPECT_EQ(loop.run_for(100ms), 0u);
    EXPECT_FALSE(systemd.receive(50ms));
}

TEST(ServiceNotifier, AnUnreachableSocketIsNotAnError) {
    testing::TempDir dir;
    const std::string missing = (dir / "nobody-listens.sock").string();
    ScopedEnv socket("NOTIFY_SOCKET", missing.c_str());
    ScopedEnv watchdog("WATCHDOG_USEC", "100000");
    ScopedEnv watchdog_pid("WATCHDOG_PID", nullptr);
    boost::asio::io_context loop;
    ServiceNotifier notifier(loop);
    EXPECT_TRUE(notifier.enabled());
    EXPECT_NO_THROW(notifier.ready("x"));
    EXPECT_NO_THROW(notifier.status("y"));
    EXPECT_NO_THROW(loop.run_for(120ms));  // watchdog pings keep failing quietly
    EXPECT_EQ(notifier.messages_sent(), 0u);
}

}  // namespace
}  // namespace chuhai::service
