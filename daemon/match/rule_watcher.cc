#include "match/rule_watcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <system_error>

#include "common/error.h"
#include "common/log.h"

namespace chuhai::match {

namespace {

constexpr std::uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                     IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF;

bool is_rule_file_name(std::string_view name) {
    if (name.empty() || name.front() == '.')
        return false;
    auto ends_with = [&](std::string_view suffix) {
        return name.size() >= suffix.size() &&
               name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return ends_with(".yaml") || ends_with(".yml");
}

}  // namespace

class RuleWatcher::Impl : public std::enable_shared_from_this<Impl> {
  public:
    Impl(boost::asio::io_context& io, std::filesystem::path dir,
         std::shared_ptr<const RuleSet> current, OnRules on_rules, Options options)
        : io_(io),
          dir_(std::move(dir)),
          on_rules_(std::move(on_rules)),
          options_(options),
          descriptor_(io),
          timer_(io),
          current_(std::move(current)) {
        const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) {
            throw Error(ErrorKind::io, std::string("inotify_init1: ") + std::strerror(errno),
                        dir_.string());
        }
        descriptor_.assign(fd);  // owns the fd from here on
        std::error_code ec;
        if (!std::filesystem::is_directory(dir_, ec))
            throw Error(ErrorKind::io, "rules directory not found", dir_.string());
        watch_tree(dir_, /*required=*/true);
    }

    void start() { read_events(); }

    void stop() {
        stopped_ = true;
        boost::system::error_code ignored;
        timer_.cancel();
        descriptor_.close(ignored);
    }

    void reload() {
        if (stopped_)
            return;
        LoadResult result = RuleSet::try_load(dir_);
        std::shared_ptr<const RuleSet> previous = current();
        if (!result.rules) {
            ++refused_;
            for (const Diagnostic& d : result.diagnostics) {
                if (d.severity == Severity::error)
                    spdlog::error("rules: {}", d.to_string());
            }
            spdlog::error("rules: change in {} refused; keeping rules version {}", dir_.string(),
                          previous ? previous->version() : std::string("(none)"));
            if (options_.on_refused) {
                try {
                    options_.on_refused();
                } catch (const std::exception& e) {
                    spdlog::error("rules: refusal callback failed: {}", e.what());
                }
            }
            return;
        }
        for (const Diagnostic& d : result.diagnostics)
            spdlog::warn("rules: {}", d.to_string());
        if (previous && previous->version() == result.rules->version()) {
            spdlog::debug("rules: {} changed on disk but not in content", dir_.string());
            return;
        }
        {
            std::lock_guard lock(mutex_);
            current_ = result.rules;
        }
        ++accepted_;
        spdlog::info("rules: reloaded {} rules from {} (version {})", result.rules->rule_count(),
                     dir_.string(), result.rules->version());
        try {
            on_rules_(result.rules);
        } catch (const std::exception& e) {
            // The callback belongs to the caller; its failure must not escape into the loop.
            spdlog::error("rules: reload callback failed: {}", e.what());
        }
    }

    std::shared_ptr<const RuleSet> current() const {
        std::lock_guard lock(mutex_);
        return current_;
    }

    boost::asio::io_context& io() { return io_; }
    std::atomic<bool>& stopped() { return stopped_; }
    std::size_t accepted() const { return accepted_; }
    std::size_t refused() const { return refused_; }

  private:
    void watch_tree(const std::filesystem::path& root, bool required) {
        add_watch(root, required);
        std::error_code ec;
        for (std::filesystem::recursive_directory_iterator
                 it(root, std::filesystem::directory_options::skip_permission_denied, ec),
             end;
             !ec && it != end; it.increment(ec)) {
            if (!it->is_directory(ec))
                continue;
            const std::string name = it->path().filename().string();
            if (!name.empty() && name.front() == '.') {
                it.disable_recursion_pending();
                continue;
            }
            add_watch(it->path(), false);
        }
    }

    void add_watch(const std::filesystem::path& path, bool required) {
        const int wd =
            ::inotify_add_watch(descriptor_.native_handle(), path.c_str(), kWatchMask | IN_ONLYDIR);
        if (wd < 0) {
            if (required) {
                throw Error(ErrorKind::io,
                            std::string("inotify_add_watch: ") + std::strerror(errno),
                            path.string());
            }
            spdlog::warn("rules: cannot watch {}: {}", path.string(), std::strerror(errno));
            return;
        }
        watches_[wd] = path;
    }

    void read_events() {
        descriptor_.async_read_some(
            boost::asio::buffer(buffer_),
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                if (ec || self->stopped_)
                    return;  // closed by stop(), or the descriptor failed: nothing to do
                self->handle_events(n);
                self->read_events();
            });
    }

    void handle_events(std::size_t n) {
        bool relevant = false;
        std::size_t offset = 0;
        while (offset + sizeof(inotify_event) <= n) {
            inotify_event event;
            std::memcpy(&event, buffer_.data() + offset, sizeof event);
            const char* name_start = buffer_.data() + offset + sizeof(inotify_event);
            const std::string_view name(name_start, ::strnlen(name_start, event.len));
            offset += sizeof(inotify_event) + event.len;
            if (event.mask & IN_Q_OVERFLOW) {
                relevant = true;  // events were lost: reload to be sure
                continue;
            }
            const auto watch = watches_.find(event.wd);
            if (event.mask & IN_IGNORED) {
                if (watch != watches_.end())
                    watches_.erase(watch);
                continue;
            }
            if (event.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
                relevant = true;
                continue;
            }
            if (event.mask & IN_ISDIR) {
                if (name.empty() || name.front() == '.')
                    continue;
                relevant = true;
                if ((event.mask & (IN_CREATE | IN_MOVED_TO)) && watch != watches_.end())
                    watch_tree(watch->second / std::string(name), false);
                continue;
            }
            if (is_rule_file_name(name))
                relevant = true;
        }
        if (relevant)
            schedule_reload();
    }

    void schedule_reload() {
        timer_.expires_after(options_.debounce);
        timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec)
                self->reload();
        });
    }

    boost::asio::io_context& io_;
    std::filesystem::path dir_;
    OnRules on_rules_;
    Options options_;
    boost::asio::posix::stream_descriptor descriptor_;
    boost::asio::steady_timer timer_;
    // inotify events are variable-length records; the alignment keeps the header copy simple.
    alignas(inotify_event) std::array<char, 64 * 1024> buffer_{};
    std::map<int, std::filesystem::path> watches_;
    mutable std::mutex mutex_;
    std::shared_ptr<const RuleSet> current_;
    std::atomic<bool> stopped_{false};
    std::atomic<std::size_t> accepted_{0};
    std::atomic<std::size_t> refused_{0};
};

RuleWatcher::RuleWatcher(boost::asio::io_context& io, std::filesystem::path dir,
                         std::shared_ptr<const RuleSet> current, OnRules on_rules, Options options)
    : impl_(std::make_shared<Impl>(io, std::move(dir), std::move(current), std::move(on_rules),
                                   options)) {
    impl_->start();
}

RuleWatcher::RuleWatcher(boost::asio::io_context& io, std::filesystem::path dir,
                         std::shared_ptr<const RuleSet> current, OnRules on_rules)
    : RuleWatcher(io, std::move(dir), std::move(current), std::move(on_rules), Options{}) {}

RuleWatcher::~RuleWatcher() {
    // From here on no callback runs; the descriptor and timer are closed on the loop's thread
    // (at once when we are on it), where their pending handlers then finish with an error.
    impl_->stopped() = true;
    boost::asio::dispatch(impl_->io(), [impl = impl_] { impl->stop(); });
}

void RuleWatcher::reload_now() {
    boost::asio::dispatch(impl_->io(), [impl = impl_] { impl->reload(); });
}

std::shared_ptr<const RuleSet> RuleWatcher::current() const {
    return impl_->current();
}
std::size_t RuleWatcher::accepted_reloads() const {
    return impl_->accepted();
}
std::size_t RuleWatcher::refused_reloads() const {
    return impl_->refused();
}

}  // namespace chuhai::match
