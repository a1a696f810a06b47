// libFuzzer target: the feed parser's entry point, plus what the pipeline computes from each
// entry it returns: the fingerprint (entry_simhash) and, for matched items, the sanitised HTML
// with links resolved and canonicalised as app::digest_html does.
// Any input must end in a FeedDocument or a chuhai::Error, never a crash, a hang or unbounded
// memory.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "feed/feed_parser.h"
#include "feed/identity.h"
#include "feed/url.h"
#include "text/html_sanitize.h"
#include "text/html_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    chuhai::feed::ParseOptions options;
    options.base_url = "https://fuzz.example/feed.xml";
    options.timezone = "Asia/Shanghai";
    // The first byte picks a Content-Type, so charset labels get fuzzed too.
    static constexpr const char* kContentTypes[] = {"",
                                                    "text/xml",
                                                    "application/rss+xml; charset=gb2312",
                                                    "text/html; charset=utf-16",
                                                    "application/atom+xml; charset=big5",
                                                    "application/json; charset=windows-1251"};
    if (size > 0)
        options.content_type =
            kContentTypes[data[0] % (sizeof kContentTypes / sizeof *kContentTypes)];
    try {
        const chuhai::feed::FeedDocument doc = chuhai::feed::parse_feed(bytes, options);
        for (const auto& entry : doc.entries) {
            (void)chuhai::feed::entry_simhash(entry);
            if (!entry.content_html.empty())
                (void)chuhai::text::sanitize_html(
                    entry.content_html, [&entry](std::string_view href) {
                        return chuhai::feed::canonicalize_url(href, entry.html_base);
                    });
        }
    } catch (const chuhai::Error&) {
        // Not a feed: an expected outcome.
    }
    (void)chuhai::text::html_to_text(bytes);
    return 0;
}
