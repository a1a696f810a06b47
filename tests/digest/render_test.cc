#include "digest/render.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "digest/text_layout.h"
#include "tests/digest/sample_digest.h"
#include "tests/support/test_support.h"

namespace chuhai::digest {
namespace {

using nlohmann::json;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        lines.push_back(line);
    return lines;
}

TEST(RenderText, HasHeaderCountsChartStoriesAndFooter) {
    const std::string text = render_text(chuhai::testing::sample_digest());
    EXPECT_NE(text.find("chuhai digest: 每日出海 Daily"), std::string::npos);
    // The period in the channel's zone (Asia/Shanghai, UTC+8).
    EXPECT_NE(text.find("2025-07-01 08:00 → 2025-07-02 08:00 CST"), std::string::npos) << text;
    EXPECT_NE(text.find("5 stories in 3 topics"), std::string::npos);
    EXPECT_NE(text.find("overseas-expansion 2 ▲ +1"), std::string::npos);
    EXPECT_NE(text.find("funding 2 ▼ -1"), std::string::npos);
    EXPECT_NE(text.find("MiniMax 0 ▼ -1"), std::string::npos);
    EXPECT_NE(text.find("Zhipu AI 2 = 0"), std::string::npos);
    EXPECT_NE(text.find("Reuters, SCMP and 3 more"), std::string::npos);
    EXPECT_NE(text.find("first seen 2025-07-01 10:01 CST"), std::string::npos);
    EXPECT_NE(text.find("published 2025-07-01 09:30 CST"), std::string::npos);
    EXPECT_NE(text.find("Matched: expansion-en (opens office, Paris)"), std::string::npos);
    EXPECT_NE(text.find("Related: Moonshot AI Singapore headquarters"), std::string::npos);
    EXPECT_NE(text.find("Caixin Global: failed — HTTP 503 for 6 hours"), std::string::npos);
    EXPECT_NE(text.find("36Kr: moved — now at https://36kr.com/feed-new"), std::string::npos);
    EXPECT_NE(text.find("Old Blog: silent"), std::string::npos);
    EXPECT_NE(text.find("Broken <Feed>: disabled"), std::string::npos);
}

TEST(RenderText, DrawsTextBarsScaledToTheLargestCount) {
    const std::string text = render_text(chuhai::testing::sample_digest());
    const auto lines = lines_of(text);
    const auto deepseek = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
        return l.starts_with("  DeepSeek");
    });
    ASSERT_NE(deepseek, lines.end()) << text;
    // Mentions 1, 2, 4, 2, 1 against a maximum of 4: levels 2/8, 4/8, 8/8, 4/8, 2/8.
    EXPECT_NE(deepseek->find("▂▄█▄▂"), std::string::npos) << *deepseek;
    // The latest count, 1 of 4, is a bar of a quarter of 24 columns.
    EXPECT_TRUE(deepseek->ends_with("   1 ██████")) << *deepseek;
}

TEST(RenderText, KeepsLinesWithinTheWidthExceptLinks) {
    const std::string text = render_text(chuhai::testing::large_digest(30, 4));
    for (const auto& line : lines_of(text)) {
        if (line.find("https://") == std::string::npos) {
            EXPECT_LE(display_width(line), 78u) << line;
        }
    }
}

TEST(RenderText, SaysSoWhenEmpty) {
    auto in = chuhai::testing::sample_inputs();
    in.candidates.clear();
    const std::string text = render_text(build_digest(in));
    EXPECT_NE(text.find("No new stories in this period."), std::string::npos);
}

TEST(RenderHtml, EscapesEveryFieldAndLinksOnlyWebUrls) {
    const std::string html = render_html(chuhai::testing::sample_digest());
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("<img"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"),
              std::string::npos);
    EXPECT_NE(html.find("&amp; hires &quot;50&quot; engineers &lt;img src=x onerror=alert(1)&gt;"),
              std::string::npos);
    EXPECT_EQ(html.find("javascript:"), std::string::npos);  // not even as text in an href
    EXPECT_EQ(html.find("href=\"javascript"), std::string::npos);
    // The attribute-breaking link is not made a link at all.
    EXPECT_EQ(html.find("a\"><script>"), std::string::npos);
    EXPECT_NE(html.find("Broken &lt;Feed&gt;"), std::string::npos);
    // A legitimate link is an href, with its & escaped.
    EXPECT_NE(html.find("href=\"https://www.reuters.com/technology/deepseek-paris-2025-07-01/\""),
              std::string::npos);
    EXPECT_NE(html.find("href=\"https://www.example.com/zhipu-funding?a=1&amp;b=2|x\""),
              std::string::npos);
}

TEST(RenderHtml, HasNoScriptsStylesheetsImagesOrExternalResources) {
    const std::string html = render_html(chuhai::testing::sample_digest());
    for (const char* forbidden :
         {"<script", "<link", "<img", "<style", "<iframe", "<svg", "<form", "<object", "<embed"}) {
        EXPECT_EQ(html.find(forbidden), std::string::npos) << forbidden;
    }
    // Feed text reaches the page escaped, so every '<' starts one of our own tags: none of them
    // may load anything, run anything, or navigate anywhere but to an http(s) URL.
    std::size_t tags = 0;
    for (std::size_t open = html.find('<'); open != std::string::npos;
         open = html.find('<', open + 1)) {
        const std::string tag = html.substr(open, html.find('>', open) - open + 1);
        ++tags;
        for (const char* loader : {" src=", " background=", " srcset=", " action=", "url("})
            EXPECT_EQ(tag.find(loader), std::string::npos) << tag;
        // No event handler attribute (" on" followed by letters and "=").
        for (std::size_t on = tag.find(" on"); on != std::string::npos;
             on = tag.find(" on", on + 1)) {
            std::size_t end = on + 3;
            while (end < tag.size() && tag[end] >= 'a' && tag[end] <= 'z')
                ++end;
            EXPECT_FALSE(end < tag.size() && tag[end] == '=') << tag;
        }
        const std::size_t href = tag.find("href=\"");
        if (href != std::string::npos) {
            const std::string target = tag.substr(href + 6, tag.find('"', href + 6) - href - 6);
            EXPECT_TRUE(target.starts_with("https://") || target.starts_with("http://")) << tag;
        }
    }
    EXPECT_GT(tags, 100u);
}

TEST(RenderHtml, DrawsTheChartWithTableCells) {
    const std::string html = render_html(chuhai::testing::sample_digest());
    EXPECT_NE(html.find("Mentions per company"), std::string::npos);
    // DeepSeek's 4 (the maximum) is the full 40 px bar; its 1 is a quarter.
    EXPECT_NE(html.find("title=\"06-29: 4\""), std::string::npos);
    EXPECT_NE(html.find("height=\"40\""), std::string::npos);
    EXPECT_NE(html.find("height=\"10\""), std::string::npos);
    EXPECT_NE(html.find("▲ +1"), std::string::npos);
    // Balanced tables: every opened table is closed.
    auto count = [&](const std::string& needle) {
        std::size_t n = 0;
        for (std::size_t pos = html.find(needle); pos != std::string::npos;
             pos = html.find(needle, pos + 1))
            ++n;
        return n;
    };
    EXPECT_EQ(count("<table"), count("</table>"));
    EXPECT_EQ(count("<tr"), count("</tr>"));
}

TEST(RenderJson, FollowsTheVersionedSchema) {
    const Digest d = chuhai::testing::sample_digest();
    const json doc = json::parse(render_json(d));
    EXPECT_EQ(doc["schema"], "chuhai.digest");
    EXPECT_EQ(doc["version"], kJsonSchemaVersion);
    EXPECT_EQ(doc["id"], d.id);
    EXPECT_EQ(doc["channel"], "每日出海 Daily");
    EXPECT_EQ(doc["period"]["start"], "2025-07-01T00:00:00Z");
    EXPECT_EQ(doc["period"]["end"], "2025-07-02T00:00:00Z");
    EXPECT_EQ(doc["time_zone"], "Asia/Shanghai");
    EXPECT_EQ(doc["story_count"], 5);
    EXPECT_EQ(doc["omitted_stories"], 0);
    ASSERT_EQ(doc["topics"].size(), 3u);
    const json& first = doc["topics"][0]["stories"][0];
    EXPECT_EQ(first["id"], 101);
    EXPECT_EQ(first["title"], d.topics[0].stories[0].title);  // raw text: JSON escapes itself
    EXPECT_EQ(first["sources"].size(), 5u);
    EXPECT_EQ(first["published"], "2025-07-01T01:30:00Z");
    EXPECT_EQ(first["matches"][0]["rule"], "expansion-en");
    EXPECT_TRUE(doc["topics"][0]["stories"][1]["published"].is_null());
    EXPECT_DOUBLE_EQ(doc["topics"][0]["stories"][1]["nearest_seed"]["similarity"].get<double>(),
                     0.83);
    EXPECT_EQ(doc["counts"]["topics"][0]["name"], "funding");
    EXPECT_EQ(doc["counts"]["topics"][0]["change"], -1);
    EXPECT_EQ(doc["counts"]["topics"][1]["name"], "overseas-expansion");
    EXPECT_EQ(doc["counts"]["topics"][1]["change"], 1);
    EXPECT_EQ(doc["chart"]["periods"].size(), 5u);
    EXPECT_EQ(doc["chart"]["series"][0]["mentions"], json::array({1, 2, 4, 2, 1}));
    EXPECT_EQ(doc["source_health"][1]["kind"], "moved");
}

TEST(RenderJson, ReplacesInvalidUtf8InsteadOfThrowing) {
    Digest d = chuhai::testing::sample_digest();
    d.topics[0].stories[0].title = "broken \xff title";
    const json doc = json::parse(render_json(d));
    EXPECT_EQ(doc["topics"][0]["stories"][0]["title"], "broken \xEF\xBF\xBD title");
}

TEST(RenderSlack, EscapesControlSequencesAndLinks) {
    const json doc = json::parse(render_slack(chuhai::testing::sample_digest()));
    const std::string all = doc.dump();
    EXPECT_EQ(all.find("<!channel>"), std::string::npos);
    EXPECT_NE(all.find("&lt;!channel&gt;"), std::string::npos);
    // '|' inside a link target is percent-encoded so it cannot end the URL part.
    EXPECT_NE(all.find("<https://www.example.com/zhipu-funding?a=1&amp;b=2%7Cx|"),
              std::string::npos);
    EXPECT_EQ(all.find("<javascript"), std::string::npos);
    EXPECT_EQ(doc["unfurl_links"], false);
    EXPECT_EQ(doc["blocks"][0]["type"], "header");
    EXPECT_TRUE(doc["text"].is_string());
}

TEST(RenderSlack, StaysWithinSlackLimits) {
    const json doc = json::parse(render_slack(chuhai::testing::large_digest(120, 6)));
    EXPECT_LE(doc["blocks"].size(), 50u);
    for (const auto& block : doc["blocks"]) {
        if (block.contains("text")) {
            EXPECT_LE(count_chars(block["text"]["text"].get<std::string>()), 3000u);
        }
    }
    EXPECT_LE(count_chars(doc["blocks"][0]["text"]["text"].get<std::string>()), 150u);
    EXPECT_NE(doc.dump().find("more stories"), std::string::npos);
}

TEST(RenderDiscord, EscapesMarkdownAndDisablesMentions) {
    const json doc = json::parse(render_discord(chuhai::testing::sample_digest()));
    EXPECT_EQ(doc["allowed_mentions"]["parse"], json::array());
    const std::string all = doc.dump();
    EXPECT_NE(all.find("\\\\*\\\\*raises\\\\*\\\\*"), std::string::npos) << all;
    EXPECT_EQ(all.find("[funds](https://evil.example)"), std::string::npos);
    EXPECT_NE(all.find("[智谱AI完成新一轮融资，加速海外布局](https://36kr.com/p/2)"),
              std::string::npos);
    EXPECT_EQ(all.find("](javascript"), std::string::npos);
}

TEST(RenderDiscord, StaysWithinDiscordLimits) {
    const json doc = json::parse(render_discord(chuhai::testing::large_digest(200, 14)));
    EXPECT_LE(count_chars(doc["content"].get<std::string>()), 2000u);
    ASSERT_LE(doc["embeds"].size(), 10u);
    std::size_t total = 0;
    for (const auto& embed : doc["embeds"]) {
        const std::string description = embed.value("description", "");
        EXPECT_LE(count_chars(description), 4096u);
        total += count_chars(description) + count_chars(embed.value("title", ""));
    }
    EXPECT_LE(total, 6000u);
    EXPECT_NE(doc.dump().find("more stories"), std::string::npos);
}

TEST(Render, ToleratesAHandMadeDigestWithMissingParts) {
    Digest d;
    d.chart = {{"DeepSeek", {1, 2}}};  // no chart_periods
    d.topics = {{"t", {Story{}}}};     // an untitled story without links or sources
    for (const std::string& out :
         {render_text(d), render_html(d), render_json(d), render_slack(d), render_discord(d)}) {
        EXPECT_FALSE(out.empty());
    }
    EXPECT_NE(render_text(d).find("(untitled)"), std::string::npos);
}

TEST(Subject, NamesChannelDayAndCount) {
    EXPECT_EQ(subject_line(chuhai::testing::sample_digest()),
              "chuhai digest: 每日出海 Daily, 2025-07-02 (5 stories)");
}

}  // namespace
}  // namespace chuhai::digest
