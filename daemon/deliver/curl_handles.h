#pragma once
// RAII owners for the libcurl handles the senders use (internal to chuhai_deliver).

#include <curl/curl.h>

#include <atomic>
#include <memory>
#include <string>

namespace chuhai::deliver::detail {

struct CurlEasyDeleter {
    void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlUrlDeleter {
    void operator()(CURLU* handle) const noexcept { curl_url_cleanup(handle); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

// The scheme (lower case) and host of a URL as libcurl parses it; an IPv6 host keeps its
// brackets. Throws Error(config) naming `where` when libcurl cannot parse the URL.
struct UrlParts {
    std::string scheme;
    std::string host;
};
UrlParts parse_url(const std::string& url, const std::string& where);

// localhost, 127.0.0.0/8 or ::1: a host whose traffic never leaves the machine.
bool is_loopback_host(const std::string& host);

// A curl_slist that frees itself; append() throws std::bad_alloc when libcurl cannot allocate.
class CurlList {
  public:
    CurlList() = default;
    CurlList(const CurlList&) = delete;
    CurlList& operator=(const CurlList&) = delete;
    ~CurlList() { curl_slist_free_all(head_); }

    void append(const std::string& value);
    curl_slist* get() const noexcept { return head_; }

  private:
    curl_slist* head_ = nullptr;
};

// A new easy handle, with curl_global_init() done once per process first. Throws
// Error(internal) when libcurl cannot make one.
CurlEasy make_easy_handle();

[[noreturn]] void throw_option_error(const char* name, CURLcode rc);

// Makes the transfer on `handle` end with CURLE_ABORTED_BY_CALLBACK soon after `*flag` turns
// true (libcurl asks at least once a second); nothing when `flag` is null.
void abort_when(CURL* handle, const std::atomic<bool>* flag);

// Sets an option and throws Error(internal) naming it when libcurl refuses (an option this
// libcurl does not support is a build problem, not a delivery failure).
template <typename Value>
void set_option(CURL* handle, CURLoption option, Value value, const char* name) {
    const CURLcode rc = curl_easy_setopt(handle, option, value);
    if (rc != CURLE_OK)
        throw_option_error(name, rc);
}

}  // namespace chuhai::deliver::detail
