#include "fetch/http_client.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "common/version.h"
#include "fetch/curl_handles.h"
#include "fetch/http_headers.h"

namespace chuhai::fetch {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace detail {

void ensure_curl_initialised() {
    // curl_global_init is thread-safe in this libcurl (feature "threadsafe"); a static makes it
    // happen once.
    static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        throw Error(ErrorKind::internal,
                    fmt::format("libcurl initialisation failed: {}", curl_easy_strerror(code)));
    }
}

FetchError classify(CURLcode code) noexcept {
    switch (code) {
        case CURLE_OK:
            return FetchError::none;
        case CURLE_OPERATION_TIMEDOUT:
            return FetchError::timeout;
        case CURLE_FILESIZE_EXCEEDED:
            return FetchError::too_large;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return FetchError::dns;
        case CURLE_COULDNT_CONNECT:
        case CURLE_PROXY:
            return FetchError::connect;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_SSL_CLIENTCERT:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_USE_SSL_FAILED:
            return FetchError::tls;
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
            return FetchError::reset;
        case CURLE_TOO_MANY_REDIRECTS:
            return FetchError::too_many_redirects;
        case CURLE_UNSUPPORTED_PROTOCOL:
            return FetchError::unsupported_protocol;
        case CURLE_URL_MALFORMAT:
            return FetchError::bad_url;
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_HTTP3:
        case CURLE_HTTP_RETURNED_ERROR:
            return FetchError::protocol;
        case CURLE_ABORTED_BY_CALLBACK:
            return FetchError::cancelled;
        default:
            return FetchError::internal;
    }
}

}  // namespace detail

std::string default_user_agent(const std::string& contact_url) {
    return fmt::format("chuhai/{} (+{})", kVersion,
                       contact_url.empty() ? kProjectUrl : contact_url);
}

namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

bool is_http_url(std::string_view url) {
    return starts_with_nocase(url, "http://") || starts_with_nocase(url, "https://");
}

bool has_scheme(std::string_view url) {
    const auto colon = url.find(':');
    if (colon == std::string_view::npos || colon == 0)
        return false;
    return std::all_of(url.begin(), url.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    });
}

bool is_redirect_status(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

constexpr const char* kAccept =
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5";

// One fetch() call, across all its redirect hops. Owned by HttpClient::Impl::transfers_ while
// its easy handle is in the multi handle; libcurl's callbacks see it through their user pointer.
struct Transfer {
    // The options in force when the fetch started: a reload (set_options) applies to the next
    // fetches and never changes the limits of one already running.
    std::shared_ptr<const ClientOptions> options;
    FetchRequest request;
    HttpClient::Completion done;
    detail::HeaderList headers;  // declared before `easy`, so it outlives the handle using it
    detail::EasyHandle easy;
    ResponseHeadParser head;
    std::string current_url;
    std::vector<std::string> visited;
    FetchResult result;
    bool permanent_chain = true;
    SteadyClock::time_point started;
    std::size_t max_body = 0;  // copies of options->max_*, read by the callbacks on every call
    std::size_t max_header = 0;
    std::uint64_t hop_decoded = 0;
    bool body_too_large = false;
    bool head_too_large = false;
    bool out_of_memory = false;
    char error_buffer[CURL_ERROR_SIZE] = {};
};

// Asio's view of one of libcurl's sockets. The descriptor is released, never closed: the socket
// belongs to libcurl, which closes it after telling us CURL_POLL_REMOVE.
struct SocketWatch {
    SocketWatch(asio::io_context& io, curl_socket_t fd, std::uint64_t generation)
        : descriptor(io, fd), generation(generation) {}
    SocketWatch(const SocketWatch&) = delete;
    SocketWatch& operator=(const SocketWatch&) = delete;
    ~SocketWatch() {
        try {
            descriptor.release();  // cancels pending waits (they see operation_aborted)
        } catch (...) {
        }
    }

    asio::posix::stream_descriptor descriptor;
    // Distinguishes this watch from an earlier one on a reused descriptor number, so a stale
    // wait handler never acts on the new socket.
    std::uint64_t generation;
    int wanted = 0;  // CURL_POLL_IN / CURL_POLL_OUT / CURL_POLL_INOUT
    bool waiting_in = false;
    bool waiting_out = false;
};

enum class Direction { in, out };

}  // namespace

class HttpClient::Impl : public std::enable_shared_from_this<HttpClient::Impl> {
  public:
    Impl(asio::io_context& io, ClientOptions options)
        : io_(io), options_(std::make_shared<const ClientOptions>(std::move(options))), timer_(io) {
        detail::ensure_curl_initialised();
        multi_.reset(curl_multi_init());
        if (!multi_)
            throw Error(ErrorKind::internal, "curl_multi_init failed");
        CURLM* multi = multi_.get();
        curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
        curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
        curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
        curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    }

    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() { shutdown(); }

    // Drops every transfer without completing it and releases curl's sockets. Idempotent.
    void shutdown() noexcept {
        for (auto& [easy, transfer] : transfers_)
            curl_multi_remove_handle(multi_.get(), easy);
        transfers_.clear();
        // curl_multi_cleanup may still report sockets of cached connections through on_socket,
        // so the watch table must outlive it.
        multi_.reset();
        sockets_.clear();
        try {
            timer_.cancel();
        } catch (...) {
        }
    }

    void start(FetchRequest request, Completion done) {
        auto transfer = std::make_unique<Transfer>();
        transfer->options = options_;
        transfer->request = std::move(request);
        transfer->done = std::move(done);
        transfer->started = SteadyClock::now();
        transfer->current_url = transfer->request.url;
        transfer->max_body = options_->max_body_bytes;
        transfer->max_header = options_->max_header_bytes;
        ++stats_.transfers_started;

        const std::string& url = transfer->request.url;
        if (!is_http_url(url)) {
            const bool other_scheme = has_scheme(url);
            complete(std::move(transfer),
                     other_scheme ? FetchError::unsupported_protocol : FetchError::bad_url,
                     other_scheme ? "only http:// and https:// URLs are fetched"
                                  : "not an absolute http:// or https:// URL");
            return;
        }
        if (!transfer->request.verify_tls) {
            spdlog::warn(
                "{}: TLS certificate verification is OFF for {} (insecure_skip_tls_verify: true)",
                transfer->request.source_name, url);
        }
        try {
            configure(*transfer);
        } catch (const Error& e) {
            complete(std::move(transfer), FetchError::internal, e.message());
            return;
        }
        transfer->visited.push_back(url);
        launch(std::move(transfer));
    }

    void cancel_all() {
        auto cancelled = std::move(transfers_);
        transfers_.clear();
        for (auto& [easy, transfer] : cancelled)
            curl_multi_remove_handle(multi_.get(), easy);
        for (auto& [easy, transfer] : cancelled)
            complete(std::move(transfer), FetchError::cancelled, "transfer cancelled");
    }

    std::size_t active() const noexcept { return transfers_.size(); }

    HttpClientStats stats() const noexcept {
        HttpClientStats copy = stats_;
        copy.active_transfers = transfers_.size();
        copy.watched_sockets = sockets_.size();
        return copy;
    }

    std::shared_ptr<const ClientOptions> options() const noexcept { return options_; }
    void set_options(ClientOptions options) {
        options_ = std::make_shared<const ClientOptions>(std::move(options));
    }

  private:
    template <typename Value>
    static void set(CURL* easy, CURLoption option, Value value) {
        const CURLcode code = curl_easy_setopt(easy, option, value);
        if (code != CURLE_OK) {
            throw Error(ErrorKind::internal,
                        fmt::format("curl_easy_setopt({}) failed: {}", static_cast<int>(option),
                                    curl_easy_strerror(code)));
        }
    }

    void configure(Transfer& t) {
        t.easy.reset(curl_easy_init());
        if (!t.easy)
            throw Error(ErrorKind::internal, "curl_easy_init failed");
        CURL* easy = t.easy.get();
        const ClientOptions& options = *t.options;
        set(easy, CURLOPT_PRIVATE, static_cast<void*>(&t));
        set(easy, CURLOPT_NOSIGNAL, 1L);
        set(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        set(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        // Redirects are followed here, hop by hop, to see each status (301/308 move the source)
        // and to tell a loop from a long chain.
        set(easy, CURLOPT_FOLLOWLOCATION, 0L);
        set(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
        if (options.accept_compressed)
            set(easy, CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl decodes
        set(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
        set(easy, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_bytes);
        set(easy, CURLOPT_LOW_SPEED_TIME,
            std::max(1L, static_cast<long>(options.low_speed_time.count())));
        // Refuses a declared Content-Length over the limit before any body arrives; the write
        // callback enforces the limit on the decoded bytes.
        set(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_body_bytes));
        // 64 KiB reads instead of 16 KiB: a quarter of the wake-ups for large feeds, at 48 KiB
        // more per running transfer.
        set(easy, CURLOPT_BUFFERSIZE, 64L << 10);
        set(easy, CURLOPT_WRITEFUNCTION, &Impl::on_body);
        set(easy, CURLOPT_WRITEDATA, static_cast<void*>(&t));
        set(easy, CURLOPT_HEADERFUNCTION, &Impl::on_header);
        set(easy, CURLOPT_HEADERDATA, static_cast<void*>(&t));
        set(easy, CURLOPT_ERRORBUFFER, t.error_buffer);
        set(easy, CURLOPT_SSL_VERIFYPEER, t.request.verify_tls ? 1L : 0L);
        set(easy, CURLOPT_SSL_VERIFYHOST, t.request.verify_tls ? 2L : 0L);
        // Over HTTP/2, wait for a connection that can multiplex rather than open another.
        // CURLOPT_PIPEWAIT stays off: with it a transfer waits for a busy connection to the same
        // host to show whether it can multiplex, so one trickling HTTP/1.1 feed would hold back
        // every other feed of its host (tests: ASlowSourceNeverDelaysAFastOne).

        std::vector<std::string> lines{std::string("Accept: ") + kAccept};
        if (!t.request.etag.empty())
            lines.push_back("If-None-Match: " + t.request.etag);
        if (!t.request.last_modified.empty())
            lines.push_back("If-Modified-Since: " + t.request.last_modified);
        for (const auto& line : lines) {
            if (line.find_first_of("\r\n") != std::string::npos)
                throw Error(ErrorKind::internal, "header value contains a line break");
            curl_slist* grown = curl_slist_append(t.headers.get(), line.c_str());
            if (grown == nullptr)
                throw Error(ErrorKind::internal, "curl_slist_append failed");
            (void)t.headers.release();
            t.headers.reset(grown);
        }
        set(easy, CURLOPT_HTTPHEADER, t.headers.get());
    }

    // Adds the transfer's easy handle for its current URL (the first request or a redirect hop).
    void launch(std::unique_ptr<Transfer> t) {
        const auto spent =
            std::chrono::duration_cast<milliseconds>(SteadyClock::now() - t->started);
        const milliseconds remaining = t->options->total_timeout - spent;
        if (remaining <= milliseconds{0}) {
            std::string message =
                fmt::format("no time left for redirect hop {} (total timeout {} ms)",
                            t->result.redirects.size(), t->options->total_timeout.count());
            complete(std::move(t), FetchError::timeout, std::move(message));
            return;
        }
        CURL* easy = t->easy.get();
        t->head.reset();
        t->hop_decoded = 0;
        t->error_buffer[0] = '\0';
        if (curl_easy_setopt(easy, CURLOPT_URL, t->current_url.c_str()) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining.count())) !=
                CURLE_OK) {
            complete(std::move(t), FetchError::internal, "cannot set the URL");
            return;
        }
        transfers_.emplace(easy, std::move(t));
        const CURLMcode code = curl_multi_add_handle(multi_.get(), easy);
        if (code != CURLM_OK) {
            auto node = transfers_.extract(easy);
            complete(std::move(node.mapped()), FetchError::internal,
                     fmt::format("curl_multi_add_handle: {}", curl_multi_strerror(code)));
        }
    }

    // ---- libcurl callbacks: noexcept, no calls back into libcurl -------------------------------

    static int on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) noexcept {
        try {
            static_cast<Impl*>(self)->watch_socket(fd, what);
            return 0;
        } catch (const std::exception& e) {
            spdlog::error("fetch: cannot watch socket {}: {}", fd, e.what());
        } catch (...) {
        }
        return -1;  // libcurl fails the transfers on this socket
    }

    static int on_timer(CURLM*, long timeout_ms, void* self) noexcept {
        try {
            static_cast<Impl*>(self)->set_timer(timeout_ms);
            return 0;
        } catch (const std::exception& e) {
            spdlog::error("fetch: cannot set the transfer timer: {}", e.what());
        } catch (...) {
        }
        return -1;
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t count,
                                 void* user) noexcept {
        auto* t = static_cast<Transfer*>(user);
        const std::size_t length = size * count;
        if (t->head.bytes() + length > t->max_header) {
            t->head_too_large = true;
            return 0;
        }
        try {
            t->head.feed(std::string_view(data, length));
        } catch (...) {
            t->out_of_memory = true;
            return 0;
        }
        return length;
    }

    static std::size_t on_body(char* data, std::size_t size, std::size_t count,
                               void* user) noexcept {
        auto* t = static_cast<Transfer*>(user);
        const std::size_t length = size * count;
        if (t->hop_decoded + length > t->max_body) {
            t->body_too_large = true;
            return 0;  // anything but `length` makes libcurl abort with CURLE_WRITE_ERROR
        }
        t->hop_decoded += length;
        const long status = t->head.head().status;
        if (status >= 200 && status < 300) {  // error pages and redirect bodies are not kept
            try {
                // One allocation for the whole body when its size is declared and not encoded:
                // growing a 100 KiB string step by step costs copies and page faults.
                const ResponseHead& head = t->head.head();
                if (t->result.body.empty() && head.content_length && head.content_encoding.empty())
                    t->result.body.reserve(static_cast<std::size_t>(
                        std::min<std::uint64_t>(*head.content_length, t->max_body)));
                t->result.body.append(data, length);
            } catch (...) {
                t->out_of_memory = true;
                return 0;
            }
        }
        return length;
    }

    // ---- Asio side ------------------------------------------------------------------------------

    void watch_socket(curl_socket_t fd, int what) {
        if (what == CURL_POLL_REMOVE) {
            sockets_.erase(fd);
            return;
        }
        auto it = sockets_.find(fd);
        if (it == sockets_.end())
            it = sockets_.emplace(fd, std::make_unique<SocketWatch>(io_, fd, next_generation_++))
                     .first;
        it->second->wanted = what;
        arm(fd, *it->second);
    }

    // Waits for each direction libcurl wants and no wait is pending for. Asio's epoll reactor is
    // edge-triggered and its async_wait does not look at readiness that arrived earlier, while
    // libcurl expects level-triggered readiness (it may leave bytes unread). So a zero-timeout
    // poll() first: a socket that is ready already gets its action posted right away.
    void arm(curl_socket_t fd, SocketWatch& watch) {
        for (const Direction direction : {Direction::in, Direction::out}) {
            const bool in = direction == Direction::in;
            bool& waiting = in ? watch.waiting_in : watch.waiting_out;
            if (waiting || (watch.wanted & (in ? CURL_POLL_IN : CURL_POLL_OUT)) == 0)
                continue;
            waiting = true;
            auto handler = [weak = weak_from_this(), fd, generation = watch.generation,
                            direction](const boost::system::error_code& ec) {
                if (auto self = weak.lock())
                    self->on_ready(fd, generation, direction, ec);
            };
            pollfd probe{fd, static_cast<short>(in ? POLLIN : POLLOUT), 0};
            if (::poll(&probe, 1, 0) > 0) {
                asio::post(io_, [handler = std::move(handler)]() { handler({}); });
            } else {
                watch.descriptor.async_wait(in ? asio::posix::stream_descriptor::wait_read
                                               : asio::posix::stream_descriptor::wait_write,
                                            std::move(handler));
            }
        }
    }

    void on_ready(curl_socket_t fd, std::uint64_t generation, Direction direction,
                  const boost::system::error_code& ec) {
        auto it = sockets_.find(fd);
        if (it == sockets_.end() || it->second->generation != generation)
            return;  // libcurl is done with that socket
        SocketWatch& watch = *it->second;
        const bool in = direction == Direction::in;
        (in ? watch.waiting_in : watch.waiting_out) = false;
        if (ec == asio::error::operation_aborted)
            return;
        if ((watch.wanted & (in ? CURL_POLL_IN : CURL_POLL_OUT)) == 0)
            return;  // libcurl lost interest in this direction while we waited
        int flags = in ? CURL_CSELECT_IN : CURL_CSELECT_OUT;
        if (ec)
            flags |= CURL_CSELECT_ERR;
        ++stats_.socket_actions;
        socket_action(fd, flags);
        it = sockets_.find(fd);
        if (it != sockets_.end() && it->second->generation == generation)
            arm(fd, *it->second);
    }

    void set_timer(long timeout_ms) {
        if (timeout_ms < 0) {
            timer_.cancel();
            return;
        }
        // 0 means "as soon as possible": the timer posts it, because calling
        // curl_multi_socket_action from inside this callback is not allowed.
        timer_.expires_after(milliseconds{timeout_ms});
        timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
            if (ec == asio::error::operation_aborted)
                return;
            if (auto self = weak.lock()) {
                ++self->stats_.timer_actions;
                self->socket_action(CURL_SOCKET_TIMEOUT, 0);
            }
        });
    }

    void socket_action(curl_socket_t fd, int flags) {
        int running = 0;
        const CURLMcode code = curl_multi_socket_action(multi_.get(), fd, flags, &running);
        if (code != CURLM_OK)
            spdlog::error("fetch: curl_multi_socket_action: {}", curl_multi_strerror(code));
        collect_finished();
    }

    void collect_finished() {
        int left = 0;
        while (CURLMsg* message = curl_multi_info_read(multi_.get(), &left)) {
            if (message->msg != CURLMSG_DONE)
                continue;
            // The message is invalid once its handle is removed: copy what we need first.
            CURL* easy = message->easy_handle;
            const CURLcode code = message->data.result;
            finish(easy, code);
        }
    }

    void finish(CURL* easy, CURLcode code) {
        auto node = transfers_.extract(easy);
        if (node.empty())
            return;
        std::unique_ptr<Transfer> t = std::move(node.mapped());
        curl_multi_remove_handle(multi_.get(), easy);

        FetchResult& r = t->result;
        curl_off_t body_bytes = 0;
        long head_bytes = 0;
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &body_bytes);
        curl_easy_getinfo(easy, CURLINFO_HEADER_SIZE, &head_bytes);
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        r.wire_bytes += static_cast<std::uint64_t>(std::max<curl_off_t>(0, body_bytes)) +
                        static_cast<std::uint64_t>(std::max(0L, head_bytes));
        r.decoded_bytes += t->hop_decoded;
        r.status = status;
        r.final_url = t->current_url;

        if (code != CURLE_OK) {
            r.body.clear();
            if (t->body_too_large) {
                complete(std::move(t), FetchError::too_large,
                         fmt::format("body larger than {} bytes after decoding", t->max_body));
            } else if (t->head_too_large) {
                complete(std::move(t), FetchError::too_large,
                         fmt::format("response head larger than {} bytes", t->max_header));
            } else if (t->out_of_memory) {
                complete(std::move(t), FetchError::internal, "out of memory");
            } else if (code == CURLE_FILESIZE_EXCEEDED) {
                complete(
                    std::move(t), FetchError::too_large,
                    fmt::format("declared Content-Length over the limit of {} bytes", t->max_body));
            } else {
                const std::string detail =
                    t->error_buffer[0] != '\0' ? t->error_buffer : curl_easy_strerror(code);
                const FetchError kind = detail::classify(code);
                complete(std::move(t), kind, detail);
            }
            return;
        }

        if (is_redirect_status(status)) {
            follow_redirect(std::move(t), status);
            return;
        }

        const ResponseHead& head = t->head.head();
        r.etag = head.etag;
        r.last_modified = head.last_modified;
        r.content_type = head.content_type;
        r.content_encoding = head.content_encoding;
        const UtcTime now = SystemClock{}.now();
        r.freshness = freshness_lifetime(head, now);
        r.retry_after = retry_after_delay(head, now);
        if (status < 200 || status >= 300)
            r.body.clear();
        complete(std::move(t), FetchError::none, {});
    }

    void follow_redirect(std::unique_ptr<Transfer> t, long status) {
        FetchResult& r = t->result;
        r.body.clear();
        char* location = nullptr;
        curl_easy_getinfo(t->easy.get(), CURLINFO_REDIRECT_URL, &location);
        if (location == nullptr || *location == '\0') {
            complete(std::move(t), FetchError::protocol,
                     fmt::format("HTTP {} without a usable Location header", status));
            return;
        }
        std::string target = location;
        r.redirects.push_back({status, t->current_url, target});
        if (t->permanent_chain && (status == 301 || status == 308))
            r.permanent_redirect = target;
        else
            t->permanent_chain = false;

        if (!is_http_url(target)) {
            complete(std::move(t), FetchError::unsupported_protocol,
                     fmt::format("redirect to a URL that is not http or https: {}", target));
            return;
        }
        if (std::find(t->visited.begin(), t->visited.end(), target) != t->visited.end()) {
            std::string chain;
            for (const auto& hop : r.redirects)
                chain += hop.from + " -> ";
            complete(std::move(t), FetchError::redirect_loop,
                     fmt::format("redirect loop: {}{}", chain, target));
            return;
        }
        const int max_redirects = t->options->max_redirects;
        if (static_cast<int>(r.redirects.size()) > max_redirects) {
            complete(std::move(t), FetchError::too_many_redirects,
                     fmt::format("more than {} redirects", max_redirects));
            return;
        }
        t->visited.push_back(target);
        t->current_url = std::move(target);
        launch(std::move(t));
    }

    // Delivers the result through the io_context, never from inside libcurl or our own frames.
    void complete(std::unique_ptr<Transfer> t, FetchError error, std::string message) {
        FetchResult result = std::move(t->result);
        result.error = error;
        if (error != FetchError::none) {
            result.error_message =
                fmt::format("{}: {} ({})", to_string(error), message, t->current_url);
        }
        if (result.final_url.empty())
            result.final_url = t->current_url;
        result.elapsed = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - t->started);
        result.received_at = SystemClock{}.now();
        ++stats_.transfers_completed;
        asio::post(io_, [done = std::move(t->done), result = std::move(result),
                         name = std::move(t->request.source_name)]() mutable {
            try {
                done(std::move(result));
            } catch (const std::exception& e) {
                spdlog::error("{}: fetch completion failed: {}", name, e.what());
            }
        });
    }

    asio::io_context& io_;
    std::shared_ptr<const ClientOptions> options_;  // for fetches started from now on
    detail::MultiHandle multi_;
    asio::steady_timer timer_;
    std::unordered_map<curl_socket_t, std::unique_ptr<SocketWatch>> sockets_;
    std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
    std::uint64_t next_generation_ = 1;
    HttpClientStats stats_;
};

HttpClient::HttpClient(asio::io_context& io, ClientOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

HttpClient::~HttpClient() {
    impl_->shutdown();
}

void HttpClient::fetch(FetchRequest request, Completion done) {
    impl_->start(std::move(request), std::move(done));
}

void HttpClient::cancel_all() {
    impl_->cancel_all();
}

std::size_t HttpClient::active() const noexcept {
    return impl_->active();
}

HttpClientStats HttpClient::stats() const noexcept {
    return impl_->stats();
}

ClientOptions HttpClient::options() const {
    return *impl_->options();
}

void HttpClient::set_options(ClientOptions options) {
    impl_->set_options(std::move(options));
}

FetchResult fetch_once(FetchRequest request, ClientOptions options) {
    asio::io_context io;
    FetchResult out;
    {
        HttpClient client(io, std::move(options));
        client.fetch(std::move(request), [&](FetchResult result) {
            out = std::move(result);
            io.stop();  // idle connections and timers need not keep us here
        });
        io.run();
    }
    return out;
}

}  // namespace chuhai::fetch
