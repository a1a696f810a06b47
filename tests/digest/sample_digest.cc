#include "tests/digest/sample_digest.h"

#include "tests/support/test_support.h"

namespace chuhai::testing {

namespace {

UtcTime at(const char* text) {
    return *parse_rfc3339(text);
}

digest::CandidateStory candidate(std::int64_t id, std::string title, std::string link, double score,
                                 std::vector<std::string> topics,
                                 std::vector<std::string> companies) {
    digest::CandidateStory c;
    c.story.id = id;
    c.story.title = std::move(title);
    c.story.link = std::move(link);
    c.story.score = score;
    c.story.topics = std::move(topics);
    c.story.companies = std::move(companies);
    c.story.first_seen = at("2025-07-01T02:00:00Z") + std::chrono::minutes{id % 100};
    return c;
}

}  // namespace

digest::DigestInputs sample_inputs() {
    digest::DigestInputs in;
    in.channel = "每日出海 Daily";
    in.period = {at("2025-07-01T00:00:00Z"), at("2025-07-02T00:00:00Z")};
    in.generated = at("2025-07-02T00:00:05Z");
    in.zone = digest::TimeZone::locate("Asia/Shanghai");
    in.filter.min_score = 1.0;

    auto script = candidate(101, read_fixture("digest/title_with_script_tag.txt"),
                            "https://www.reuters.com/technology/deepseek-paris-2025-07-01/", 9.5,
                            {"overseas-expansion", "hiring"}, {"DeepSeek"});
    script.story.sources = {
        {"Reuters", "https://www.reuters.com/technology/deepseek-paris-2025-07-01/"},
        {"SCMP", "https://www.scmp.com/tech/article/1"},
        {"Caixin Global", "https://www.caixinglobal.com/2025-07-01/"},
        {"TechCrunch", "https://techcrunch.com/2025/07/01/deepseek/"},
        {"36Kr", "https://36kr.com/p/1"}};
    script.story.matches = {{"expansion-en", {"opens office", "Paris"}}};
    script.story.published = at("2025-07-01T01:30:00Z");
    script.text = read_fixture("digest/excerpt_english_sentences.txt");
    in.candidates.push_back(script);

    auto crlf = candidate(102, read_fixture("digest/title_with_crlf_fake_header.txt"),
                          read_fixture("digest/link_javascript_scheme.txt"), 8.0,
                          {"overseas-expansion"}, {"Moonshot AI"});
    crlf.story.sources = {{"SCMP", read_fixture("digest/link_breaking_out_of_attribute.txt")}};
    crlf.story.matches = {{"expansion-zh", {"海外总部", "新加坡"}}};
    crlf.story.nearest_seed = digest::SeedReference{"Moonshot AI Singapore headquarters",
                                                    "seeds/moonshot-singapore.md", 0.83};
    crlf.text = read_fixture("digest/excerpt_chinese_sentences.txt");
    in.candidates.push_back(crlf);

    auto markup = candidate(103, read_fixture("digest/title_with_chat_markup.txt"),
                            "https://www.example.com/zhipu-funding?a=1&b=2|x", 7.0, {"funding"},
                            {"Zhipu AI"});
    markup.story.sources = {{"Bloomberg", "https://www.bloomberg.com/zhipu"}};
    markup.source_tags = {"cn"};
    markup.text = "Zhipu AI raised new money. Investors include state funds.";
    in.candidates.push_back(markup);

    auto chinese = candidate(104, "智谱AI完成新一轮融资，加速海外布局", "https://36kr.com/p/2", 6.5,
                             {"funding", "overseas-expansion"}, {"Zhipu AI"});
    chinese.story.sources = {{"36Kr", "https://36kr.com/p/2"},
                             {"Caixin Global", "https://www.caixinglobal.com/2"}};
    chinese.story.matches = {{"funding-zh", {"融资"}}, {"expansion-zh", {"海外"}}};
    chinese.story.published = at("2025-07-01T03:00:00Z");
    chinese.text = read_fixture("digest/excerpt_chinese_sentences.txt");
    in.candidates.push_back(chinese);

    auto bidi = candidate(105, read_fixture("digest/title_with_bidi_override.txt"),
                          "https://example.org/bidi", 3.0, {}, {});
    bidi.text = "Nothing much.";
    in.candidates.push_back(bidi);

    auto low = candidate(106, "A story below the channel's minimum score",
                         "https://example.org/low", 0.5, {"funding"}, {"MiniMax"});
    in.candidates.push_back(low);

    const std::vector<std::pair<const char*, std::vector<std::pair<const char*, int>>>> history = {
        {"2025-06-27T00:00:00Z", {{"DeepSeek", 1}, {"Zhipu AI", 1}}},
        {"2025-06-28T00:00:00Z", {{"DeepSeek", 2}}},
        {"2025-06-29T00:00:00Z", {{"DeepSeek", 4}, {"Moonshot AI", 1}}},
        {"2025-06-30T00:00:00Z", {{"DeepSeek", 2}, {"Zhipu AI", 2}, {"MiniMax", 1}}},
    };
    for (const auto& [start, companies] : history) {
        digest::PeriodCounts period;
        period.period = {at(start), at(start) + std::chrono::hours{24}};
        for (const auto& [name, n] : companies)
            period.counts.companies[name] = n;
        in.history.push_back(period);
    }
    in.history.back().counts.topics = {{"overseas-expansion", 1}, {"funding", 3}};

    in.source_health = {
        {"Caixin Global", digest::SourceHealthKind::failed, "HTTP 503 for 6 hours",
         at("2025-07-01T12:00:00Z")},
        {"36Kr", digest::SourceHealthKind::moved, "now at https://36kr.com/feed-new",
         at("2025-07-01T08:00:00Z")},
        {"Old Blog", digest::SourceHealthKind::silent, "no items for 30 days",
         at("2025-06-01T00:00:00Z")},
        {"Broken <Feed>", digest::SourceHealthKind::disabled, "disabled after 20 failures",
         at("2025-06-30T00:00:00Z")},
    };
    return in;
}

digest::Digest sample_digest() {
    return digest::build_digest(sample_inputs());
}

digest::Digest large_digest(int stories, int topics) {
    digest::DigestInputs in;
    in.channel = "large";
    in.period = {at("2025-07-01T00:00:00Z"), at("2025-07-02T00:00:00Z")};
    in.generated = at("2025-07-02T00:00:05Z");
    in.filter.max_stories = static_cast<std::size_t>(stories);
    for (int i = 0; i < stories; ++i) {
        auto c = candidate(1000 + i,
                           "Story number " + std::to_string(i) +
                               " about a Chinese AI company going overseas, with a long title",
                           "https://news.example.com/story/" + std::to_string(i), 100.0 - i,
                           {"topic-" + std::to_string(i % topics)},
                           {"Company " + std::to_string(i % 7)});
        c.story.sources = {{"Source A", "https://a.example.com/" + std::to_string(i)},
                           {"Source B", "https://b.example.com/" + std::to_string(i)}};
        c.story.matches = {{"rule-" + std::to_string(i % 5), {"term one", "term two"}}};
        c.text = "This is the first sentence of story " + std::to_string(i) +
                 ", and it is long enough to need a little wrapping in the text part. It goes on "
                 "with a second sentence that adds detail.";
        in.candidates.push_back(std::move(c));
    }
    return digest::build_digest(in);
}

}  // namespace chuhai::testing
