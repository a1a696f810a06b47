// The digest's content as the store produces it: each source with its own link, companies only
// from company lists, topics ranked by score, one story told twice merged, and the
// source-health footer.

#include "app/digest_candidates.h"

#include <gtest/gtest.h>

#include "tests/app/digest_test_support.h"

namespace chuhai::app::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class DigestCandidatesTest : public DigestStoreTest {};

digest::CandidateStory told(const std::string& title, const std::string& text) {
    digest::CandidateStory c;
    c.story.title = title;
    c.text = text;
    return c;
}

TEST_F(DigestCandidatesTest, EachSourceOfAStoryCarriesItsOwnLink) {
    const auto a = source("Wire");
    const auto b = source("Review");
    const auto c = source("Syndication");
    const std::uint64_t fingerprint = 0x0123456789abcdefULL;
    store::ItemInput first = store::testing::make_item(
        "a-1", "DeepSeek opens Paris office", "DeepSeek opens an office in Paris.", fingerprint);
    first.canonical_url = "https://news.example/deepseek-paris";
    first.link = "https://news.example/deepseek-paris?utm_source=wire";
    const auto ingested = store().ingest(fetch_of(a), std::vector<store::ItemInput>{first});
    const store::ItemId item = ingested.items[0].item;
    store().record_matches(item, std::vector<store::MatchInput>{
                                     {"r", "v1", 10, "going-global", evidence({"Paris"}, {})}});
    // Another feed carries the same article under its own link.
    store::ItemInput same = first;
    same.key = "b-1";
    same.link = "https://news.example/deepseek-paris?from=review";
    store().ingest(fetch_of(b), std::vector<store::ItemInput>{same});
    // A third reworded copy at another address joins the story as a near-duplicate.
    clock_.advance(minutes{5});
    store::ItemInput copy = store::testing::make_item(
        "c-1", "DeepSeek opens Paris office", "DeepSeek opens an office in Paris.", fingerprint);
    copy.link = "https://syndication.example/deepseek";
    const auto joined = store().ingest(fetch_of(c), std::vector<store::ItemInput>{copy});
    ASSERT_TRUE(joined.items[0].joined_story);

    const auto candidates = candidate_stories(store(), std::vector<store::ItemId>{item});
    ASSERT_EQ(candidates.size(), 1u);
    const auto& sources = candidates[0].story.sources;
    ASSERT_EQ(sources.size(), 3u);
    EXPECT_EQ(sources[0].name, "Wire");
    EXPECT_EQ(sources[0].link, "https://news.example/deepseek-paris?utm_source=wire");
    EXPECT_EQ(sources[1].name, "Review");
    EXPECT_EQ(sources[1].link, "https://news.example/deepseek-paris?from=review");
    EXPECT_EQ(sources[2].name, "Syndication");
    EXPECT_EQ(sources[2].link, "https://syndication.example/deepseek");
    EXPECT_EQ(candidates[0].story.link, sources[0].link) << "linked after the first source";
    EXPECT_EQ(candidates[0].items, std::vector<store::ItemId>{item});
}

TEST_F(DigestCandidatesTest, CompaniesComeFromCompanyListsOnly) {
    const auto wire = source("Wire");
    matched_item(wire, "1", "Alibaba Cloud brings Qwen to Saudi Arabia", "infrastructure", 20,
                 {{"company", "Alibaba Cloud"}, {"product", "Qwen"}, {"place", "Saudi Arabia"}});
    const auto candidates =
        candidate_stories(store(), clock_.now() - hours{1}, clock_.now() + hours{1});
    ASSERT_EQ(candidates.size(), 1u);
    EXPECT_EQ(candidates[0].story.companies, std::vector<std::string>{"Alibaba Cloud"});
    EXPECT_EQ(candidates[0].entities,
              (std::vector<std::string>{"Alibaba Cloud", "Qwen", "Saudi Arabia"}))
        << "every entity still tells stories apart";
}

TEST_F(DigestCandidatesTest, TheTopicThatScoredMostComesFirst) {
    const auto wire = source("Wire");
    const store::ItemId id =
        matched_item(wire, "1", "Huawei pitches Ascend chips in the Gulf", "going-global", 5);
    store().record_matches(id, std::vector<store::MatchInput>{
                                   {"chips-rule", "v1", 30, "chips", evidence({"Ascend"}, {})},
                                   {"other", "v1", 10, "infrastructure", evidence({}, {})}});
    const auto candidates = candidate_stories(store(), std::vector<store::ItemId>{id});
    ASSERT_EQ(candidates.size(), 1u);
    EXPECT_EQ(candidates[0].story.topics,
              (std::vector<std::string>{"chips", "infrastructure", "going-global"}));
    EXPECT_EQ(candidates[0].story.score, 45);
}

TEST_F(DigestCandidatesTest, OneStoryToldTwiceIsMergedButNeighboursAreNot) {
    // The demo's two DeepSeek reports: reworded, at different addresses, in different feeds.
    EXPECT_TRUE(same_story(
        told("DeepSeek open-source reasoning model tops 10 million downloads outside China",
             "Developers in Europe and Southeast Asia say the open weights cut inference costs "
             "by more than half."),
        told("DeepSeek's open-source reasoning model passes 10 million downloads from developers "
             "outside China",
             "Startups in Europe and Southeast Asia say the open weights cut their inference "
             "costs by more than half.")));
    EXPECT_FALSE(
        same_story(told("Alibaba Cloud opens its second data centre in Mexico",
                        "The new cloud region in Querétaro will serve Latin American startups."),
                   told("Alibaba Cloud opens its second data centre in Brazil",
                        "São Paulo customers get GPU capacity and Qwen models from March.")));
    EXPECT_TRUE(same_story(
        told("火山引擎在新加坡设立国际总部", "字节跳动旗下火山引擎表示，将在新加坡组建团队。"),
        told("火山引擎在新加坡设立国际总部", "字节跳动旗下火山引擎将在新加坡组建团队。")));
    EXPECT_FALSE(same_story(
        told("火山引擎在新加坡设立国际总部", "字节跳动旗下火山引擎表示。"),
        told("阿里云墨西哥第二座数据中心启用", "阿里云称，新数据中心将为拉美客户服务。")));

    const auto review = source("Review");
    const auto wire = source("Wire");
    const auto first = matched_item(
        review, "r1",
        "DeepSeek open-source reasoning model tops 10 million downloads outside China");
    const auto second = matched_item(
        wire, "w1",
        "DeepSeek's open-source reasoning model passes 10 million downloads outside China");
    const auto candidates = candidate_stories(store(), std::vector<store::ItemId>{first, second});
    ASSERT_EQ(candidates.size(), 1u);
    EXPECT_EQ(candidates[0].story.sources.size(), 2u);
    EXPECT_EQ(candidates[0].items, (std::vector<store::ItemId>{first, second}));
}

TEST_F(DigestCandidatesTest, StoriesToldInOneTemplateStayApart) {
    // Press releases written to one pattern share most of their words, but not the ones that
    // matter: who, where, which.
    const std::vector<std::string> companies = {"Alibaba Cloud", "Tencent Cloud", "Huawei Cloud",
                                                "Volcano Engine"};
    const std::vector<std::string> places = {"Saudi Arabia", "Malaysia", "Mexico", "Brazil",
                                             "Germany"};
    std::vector<digest::CandidateStory> candidates;
    for (std::size_t i = 0; i < 20; ++i) {
        const std::string& company = companies[i % companies.size()];
        const std::string& place = places[i % places.size()];
        digest::CandidateStory c = told(
            company + " opens a data centre in " + place + " for AI customers",
            "The new cloud region in " + place + " will host models for companies across the " +
                "region, " + company + " said on Tuesday.");
        c.story.companies = {company};
        c.entities = {company, place};
        candidates.push_back(std::move(c));
    }
    const SameStoryFinder finder(candidates);
    for (std::size_t a = 0; a < candidates.size(); ++a) {
        for (std::size_t b = a + 1; b < candidates.size(); ++b)
            EXPECT_FALSE(finder.same(a, b))
                << candidates[a].story.title << " / " << candidates[b].story.title;
    }
    // Two tellings of one of them among the rest are still found.
    digest::CandidateStory retold = told(
        "Alibaba Cloud opens data centre in Saudi Arabia for its AI customers",
        "Alibaba Cloud said on Tuesday the new cloud region in Saudi Arabia will host models for "
        "companies across the region.");
    retold.story.companies = {"Alibaba Cloud"};
    retold.entities = {"Saudi Arabia", "Alibaba Cloud"};
    candidates.push_back(retold);
    const SameStoryFinder with_retold(candidates);
    EXPECT_TRUE(with_retold.same(0, candidates.size() - 1));
    EXPECT_FALSE(with_retold.same(4, candidates.size() - 1)) << "same company, another place";
}

TEST_F(DigestCandidatesTest, TheFooterNamesFailingDisabledAndMovedSources) {
    const UtcTime since = clock_.now();
    const auto broken = source("Broken");
    const auto gone = source("Gone");
    const auto moved = source("Moved");
    source("Off by the user");
    const auto healthy = source("Healthy");
    matched_item(healthy, "1", "Healthy news");
    clock_.advance(minutes{10});
    store::FetchRecord failure = fetch_of(broken);
    failure.outcome = store::FetchOutcome::failed;
    failure.http_status = 503;
    failure.error = "HTTP 503 Service Unavailable";
    store().ingest(failure, {});
    store().ingest(failure, {});
    store().disable_source(gone, "410 Gone");
    ASSERT_TRUE(store().rename_source_url(moved, "https://feeds.example.com/moved-here"));
    store::SourceSpec user_off;
    user_off.url = "https://feeds.example.com/Off by the user";
    user_off.name = "Off by the user";
    user_off.enabled = false;
    store().upsert_source(user_off);

    const auto notes = source_health_notes(store(), since, clock_.now());
    std::map<std::string, digest::SourceHealthNote> by_source;
    for (const auto& note : notes)
        by_source[note.source] = note;
    ASSERT_EQ(by_source.count("Broken"), 1u);
    EXPECT_EQ(by_source["Broken"].kind, digest::SourceHealthKind::failed);
    EXPECT_EQ(by_source["Broken"].detail, "HTTP 503 Service Unavailable (2 attempts in a row)");
    ASSERT_EQ(by_source.count("Gone"), 1u);
    EXPECT_EQ(by_source["Gone"].kind, digest::SourceHealthKind::disabled);
    EXPECT_EQ(by_source["Gone"].detail, "410 Gone");
    ASSERT_EQ(by_source.count("Moved"), 1u);
    EXPECT_EQ(by_source["Moved"].kind, digest::SourceHealthKind::moved);
    EXPECT_EQ(by_source["Moved"].detail, "now at https://feeds.example.com/moved-here");
    EXPECT_EQ(by_source.count("Healthy"), 0u);
    EXPECT_EQ(by_source.count("Off by the user"), 0u) << "the user's own doing";

    // A digest after these events no longer mentions the disabling or the move.
    const auto later = source_health_notes(store(), clock_.now() + minutes{1}, clock_.now());
    for (const auto& note : later)
        EXPECT_EQ(note.kind, digest::SourceHealthKind::failed) << note.source;
}

}  // namespace
}  // namespace chuhai::app::testing
