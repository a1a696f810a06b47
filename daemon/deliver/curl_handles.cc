#include "deliver/curl_handles.h"

#include <filesystem>
#include <new>

#include "common/error.h"

namespace chuhai::deliver::detail {

void CurlList::append(const std::string& value) {
    curl_slist* grown = curl_slist_append(head_, value.c_str());
    if (grown == nullptr)
        throw std::bad_alloc();
    head_ = grown;
}

namespace {

int on_curl_progress(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0;
}

}  // namespace

void abort_when(CURL* handle, const std::atomic<bool>* flag) {
    if (flag == nullptr)
        return;
    set_option(handle, CURLOPT_XFERINFOFUNCTION,
               static_cast<curl_xferinfo_callback>(on_curl_progress), "CURLOPT_XFERINFOFUNCTION");
    // libcurl's callback API takes a void*; the callback only ever reads through it.
    set_option(handle, CURLOPT_XFERINFODATA,
               static_cast<void*>(const_cast<std::atomic<bool>*>(flag)), "CURLOPT_XFERINFODATA");
    set_option(handle, CURLOPT_NOPROGRESS, 0L, "CURLOPT_NOPROGRESS");
}

CurlEasy make_easy_handle() {
    // curl_global_init is not thread-safe before 7.84 and must run before other threads use
    // libcurl; a function-local static runs it exactly once.
    static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (init != CURLE_OK)
        throw Error(ErrorKind::internal,
                    std::string("curl_global_init failed: ") + curl_easy_strerror(init));
    CurlEasy handle(curl_easy_init());
    if (!handle)
        throw Error(ErrorKind::internal, "curl_easy_init failed");
    return handle;
}

UrlParts parse_url(const std::string& url, const std::string& where) {
    CurlUrl handle(curl_url());
    if (!handle)
        throw std::bad_alloc();
    const CURLUcode rc = curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0);
    if (rc != CURLUE_OK) {
        throw Error(ErrorKind::config, "invalid URL '" + url + "': " + curl_url_strerror(rc),
                    where);
    }
    UrlParts parts;
    for (auto [part, out] :
         {std::pair{CURLUPART_SCHEME, &parts.scheme}, std::pair{CURLUPART_HOST, &parts.host}}) {
        char* value = nullptr;
        if (curl_url_get(handle.get(), part, &value, 0) == CURLUE_OK && value != nullptr) {
            *out = value;
            curl_free(value);
        }
    }
    for (auto& c : parts.scheme)
        c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    if (parts.host.empty())
        throw Error(ErrorKind::config, "URL '" + url + "' has no host", where);
    return parts;
}

bool is_loopback_host(const std::string& host) {
    if (host == "localhost" || host == "[::1]" || host == "::1")
        return true;
    // 127.0.0.0/8 in dotted-quad form.
    if (!host.starts_with("127."))
        return false;
    int dots = 0;
    for (char c : host) {
        if (c == '.')
            ++dots;
        else if (c < '0' || c > '9')
            return false;
    }
    return dots == 3;
}

void throw_option_error(const char* name, CURLcode rc) {
    throw Error(ErrorKind::internal,
                std::string("libcurl refused ") + name + ": " + curl_easy_strerror(rc));
}

}  // namespace chuhai::deliver::detail
