#pragma once
// RAII owners for libcurl's handles, and the classification of libcurl's result codes into
// FetchError. Internal to the fetch stage (includes curl.h); tests may include it.

#include <curl/curl.h>

#include <memory>

#include "fetch/fetch_result.h"

namespace chuhai::fetch::detail {

struct EasyDeleter {
    void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
struct MultiDeleter {
    void operator()(CURLM* handle) const noexcept { curl_multi_cleanup(handle); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};

using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

// Initialises libcurl once per process (thread-safe; never cleaned up, as libcurl allows).
void ensure_curl_initialised();

// The FetchError a libcurl result code stands for. CURLE_WRITE_ERROR is our own write callback
// refusing data, which the caller resolves (too large) before asking.
FetchError classify(CURLcode code) noexcept;

}  // namespace chuhai::fetch::detail
