// The store's subcommands, run through the real command line: corpus import/list, search,
// items, backup; and the chuhai binary's exit status for store errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "common/error.h"
#include "tests/store/child_process.h"
#include "tests/store/store_test_support.h"

namespace chuhai::store::testing {
namespace {

using nlohmann::json;

struct CommandResult {
    std::string out;
    std::optional<Error> error;
    bool usage_error = false;  // rejected by the command-line parser
    int exit_status = 0;
};

CommandResult run_command(const std::vector<std::string>& args) {
    app::CommandLine cli;
    cli.app.require_subcommand(1);
    app::add_store_commands(cli);
    std::vector<const char*> argv = {"chuhai"};
    for (const auto& arg : args)
        argv.push_back(arg.c_str());
    CommandResult result;
    ::testing::internal::CaptureStdout();
    try {
        cli.app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const Error& e) {
        result.error = e;
    } catch (const CLI::ParseError&) {
        result.usage_error = true;
    }
    result.out = ::testing::internal::GetCapturedStdout();
    result.exit_status = cli.exit_status;
    return result;
}

class CommandsTest : public StoreTest {
  protected:
    CommandsTest() {
        const SourceId reuters = add_source("https://reuters.example.com/feed", "Reuters");
        const auto result = ingest(
            reuters, {make_item("dc", "Alibaba Cloud opens Qwen data centre in Dubai",
                                "The data centre serves Qwen models across the Gulf."),
                      make_item("zh", "华为昇腾芯片进入马来西亚", "华为宣布昇腾芯片出海。")});
        store().record_matches(result.items[0].item,
                               std::vector<MatchInput>{{"alibaba", "v1", 0.9, "cloud", "{}"}});
        store_.reset();  // the commands open the database themselves
    }
    std::string db() const { return db_path().string(); }
};

TEST_F(CommandsTest, CorpusImportIsIdempotentAndListed) {
    const std::string corpus = std::string(CHUHAI_SOURCE_DIR) + "/store/corpus";
    auto first = run_command({"corpus", "import", corpus, "--db", db()});
    ASSERT_FALSE(first.error) << first.error->what();
    EXPECT_NE(first.out.find("imported 4 documents"), std::string::npos) << first.out;
    EXPECT_NE(first.out.find("4 added, 0 revised, 0 unchanged"), std::string::npos) << first.out;
    auto again = run_command({"corpus", "import", corpus, "--db", db(), "--json"});
    const auto counts = json::parse(again.out);
    EXPECT_EQ(counts["added"], 0);
    EXPECT_EQ(counts["unchanged"], 4);

    const auto list = run_command({"corpus", "list", "--db", db()});
    EXPECT_NE(list.out.find("Alibaba Cloud rides the east wind"), std::string::npos) << list.out;
    const auto listed = json::parse(run_command({"corpus", "list", "--db", db(), "--json"}).out);
    ASSERT_EQ(listed.size(), 4u);
    EXPECT_EQ(listed[0]["title"], "A Short Summary of Chinese AI Global Expansion");
    EXPECT_EQ(listed[0]["key"], "01-short-summary-chinese-ai-global-expansion.md");
}

TEST_F(CommandsTest, SearchJsonEscapesTheItemsTextAroundItsMarks) {
    reopen();
    ingest(
        add_source("https://wire.example.com/feed", "Wire"),
        {make_item("x", "Zebracorn <script>alert(1)</script> & co", "A <b>zebracorn</b> story.")});
    store_.reset();
    const auto hits = json::parse(run_command({"search", "zebracorn", "--json", "--db", db()}).out);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0]["title"],
              "<mark>Zebracorn</mark> &lt;script&gt;alert(1)&lt;/script&gt; &amp; co");
    const std::string snippet = hits[0]["snippet"];
    EXPECT_EQ(snippet.find("<script>"), std::string::npos) << snippet;
    EXPECT_EQ(snippet.find("<b>"), std::string::npos) << snippet;
    EXPECT_NE(snippet.find("</mark>"), std::string::npos) << snippet;
}

TEST_F(CommandsTest, CorpusImportOfAFolderWithoutDocumentsFails) {
    auto result =
        run_command({"corpus", "import", dir_.path().string() + "/nothing", "--db", db()});
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->kind(), ErrorKind::io);
}

TEST_F(CommandsTest, SearchPrintsRankedHighlightedResults) {
    const auto text = run_command({"search", "qwen", "data", "centre", "--db", db()});
    ASSERT_FALSE(text.error) << text.error->what();
    EXPECT_NE(text.out.find("1. Alibaba Cloud opens [Qwen] [data] [centre] in Dubai"),
              std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("Reuters · 2025-06-24 08:00 UTC · https://example.com/dc"),
              std::string::npos)
        << text.out;

    const auto hits = json::parse(run_command({"search", "昇腾", "--json", "--db", db()}).out);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0]["title"], "华为<mark>昇腾</mark>芯片进入马来西亚");
    EXPECT_EQ(hits[0]["source"], "Reuters");
    EXPECT_EQ(hits[0]["first_seen"], "2025-06-24T08:00:00Z");

    EXPECT_EQ(run_command({"search", "qwen", "--topic", "chips", "--db", db()}).out,
              "no results\n");
    EXPECT_EQ(
        json::parse(run_command({"search", "qwen", "--topic", "cloud", "--json", "--db", db()}).out)
            .size(),
        1u);
    EXPECT_EQ(run_command({"search", "qwen", "--since", "2030-01-01T00:00:00Z", "--db", db()}).out,
              "no results\n");
    EXPECT_EQ(run_command({"search", "qwen", "--source", "Nobody", "--db", db()}).out,
              "no results\n");
}

TEST_F(CommandsTest, ItemsListsWhatWasStored) {
    const auto all = json::parse(run_command({"items", "--json", "--db", db()}).out);
    EXPECT_EQ(all.size(), 2u);
    const auto matched =
        json::parse(run_command({"items", "--matched", "--json", "--db", db()}).out);
    ASSERT_EQ(matched.size(), 1u);
    EXPECT_EQ(matched[0]["title"], "Alibaba Cloud opens Qwen data centre in Dubai");
    EXPECT_EQ(matched[0]["topics"], json::array({"cloud"}));
    EXPECT_EQ(matched[0]["source"], "Reuters");
    const auto text = run_command({"items", "--matched", "--db", db()}).out;
    EXPECT_NE(text.find("2025-06-24 08:00  Alibaba Cloud opens Qwen data centre in Dubai  [cloud]"),
              std::string::npos)
        << text;
    EXPECT_EQ(run_command({"items", "--since", "2030-01-01T00:00:00Z", "--db", db()}).out,
              "no items\n");
}

TEST_F(CommandsTest, ItemsJsonCarriesProvenance) {
    // A second source carries the first item under the same URL, through a redirect.
    {
        StoreOptions options;
        options.clock = &clock_;
        auto store = open_sqlite_store(db_path(), options);
        SourceSpec spec;
        spec.url = "https://scmp.example.com/feed";
        spec.name = "SCMP";
        FetchRecord fetch = fetch_of(store->upsert_source(spec), spec.url);
        fetch.final_url = "https://www.scmp.example.com/rss/tech";
        fetch.etag = "\"scmp-7\"";
        const std::vector<ItemInput> items = {
            make_item("dc", "Alibaba Cloud opens Qwen data centre in Dubai", "Copy.")};
        store->ingest(fetch, items);
    }
    const auto items = json::parse(run_command({"items", "--json", "--db", db()}).out);
    const auto dc = std::find_if(items.begin(), items.end(), [](const json& item) {
        return item["title"] == "Alibaba Cloud opens Qwen data centre in Dubai";
    });
    ASSERT_NE(dc, items.end());
    const json& provenance = (*dc)["provenance"];
    EXPECT_EQ(provenance["first"]["source"], "Reuters");
    EXPECT_EQ(provenance["first"]["source_url"], "https://reuters.example.com/feed");
    EXPECT_EQ(provenance["first"]["key"], "dc");
    EXPECT_EQ(provenance["first"]["fetch"]["final_url"], "https://feeds.example.com/a");
    EXPECT_EQ(provenance["first"]["fetch"]["http_status"], 200);
    EXPECT_EQ(provenance["first"]["fetch"]["etag"], "\"v1\"");
    EXPECT_EQ(provenance["first"]["fetch"]["last_modified"], "Tue, 24 Jun 2025 07:00:00 GMT");
    ASSERT_EQ(provenance["others"].size(), 1u);
    EXPECT_EQ(provenance["others"][0]["source"], "SCMP");
    EXPECT_EQ(provenance["others"][0]["fetch"]["final_url"],
              "https://www.scmp.example.com/rss/tech");
    EXPECT_EQ(provenance["others"][0]["fetch"]["etag"], "\"scmp-7\"");
}

TEST_F(CommandsTest, DbCheckReportsAHealthyDatabase) {
    const auto full = run_command({"db", "check", "--db", db()});
    EXPECT_EQ(full.exit_status, 0);
    EXPECT_NE(full.out.find(": ok (full check)"), std::string::npos) << full.out;
    const auto quick =
        json::parse(run_command({"db", "check", "--quick", "--json", "--db", db()}).out);
    EXPECT_EQ(quick["ok"], true);
    EXPECT_EQ(quick["check"], "quick");
    EXPECT_TRUE(quick["problems"].empty());
}

// An index that no longer matches its table (its definition changed behind SQLite's back): the
// full check lists the damage and exits 1; the quick check, which does not compare indexes with
// tables, does not see it.
TEST_F(CommandsTest, DbCheckListsTheDamageOfADamagedDatabase) {
    {
        Database raw(db(), OpenMode::read_write_create, std::chrono::seconds(1));
        raw.exec("PRAGMA writable_schema = ON");
        raw.exec(
            "UPDATE sqlite_schema SET sql = 'CREATE INDEX items_by_first_seen ON items(published)' "
            "WHERE name = 'items_by_first_seen'");
    }
    const auto full = run_command({"db", "check", "--db", db()});
    EXPECT_EQ(full.exit_status, 1);
    EXPECT_NE(full.out.find("items_by_first_seen"), std::string::npos) << full.out;
    const auto listed = json::parse(run_command({"db", "check", "--json", "--db", db()}).out);
    EXPECT_EQ(listed["ok"], false);
    EXPECT_FALSE(listed["problems"].empty());
    EXPECT_EQ(run_command({"db", "check", "--quick", "--db", db()}).exit_status, 0);
}

TEST_F(CommandsTest, BackupWritesAnOpenableCopy) {
    const auto destination = (dir_ / "copy.db").string();
    const auto result = run_command({"backup", destination, "--db", db()});
    ASSERT_FALSE(result.error) << result.error->what();
    EXPECT_NE(result.out.find("written to " + destination), std::string::npos);
    EXPECT_EQ(open_sqlite_store(destination)->list_items({}).size(), 2u);
}

TEST_F(CommandsTest, MistakesAreUsageErrors) {
    // Without --db the database comes from the configuration, which must exist.
    auto no_config = run_command({"items", "--config", "/nonexistent/chuhai.yaml"});
    ASSERT_TRUE(no_config.error);
    EXPECT_EQ(no_config.error->kind(), ErrorKind::config);
    EXPECT_NE(std::string(no_config.error->what()).find("/nonexistent/chuhai.yaml"),
              std::string::npos);
    auto bad_since = run_command({"items", "--since", "yesterday", "--db", db()});
    ASSERT_TRUE(bad_since.error);
    EXPECT_EQ(bad_since.error->kind(), ErrorKind::usage);
    EXPECT_NE(bad_since.error->message().find("yesterday"), std::string::npos);
    auto no_terms = run_command({"search", "!!!", "--db", db()});
    ASSERT_TRUE(no_terms.error);
    EXPECT_EQ(no_terms.error->kind(), ErrorKind::usage);
    EXPECT_TRUE(run_command({"search", "--db", db()}).usage_error);
}

// The binary maps a store error to exit status 1 and prints it once, naming the file.
TEST(ChuhaiBinary, AStoreErrorExitsWithStatusOneNamingTheFile) {
    chuhai::testing::TempDir dir;
    const auto garbage = dir.write("garbage.db", std::string(4096, 'g'));
    ChildProcess chuhai({CHUHAI_BINARY, "items", "--db", garbage.string()}, true);
    std::string output;
    while (auto line = chuhai.read_line(std::chrono::seconds(30)))
        output += *line + "\n";
    EXPECT_EQ(chuhai.wait(), 1);
    EXPECT_NE(output.find(garbage.string() + ": file is not a SQLite database"), std::string::npos)
        << output;

    ChildProcess usage({CHUHAI_BINARY, "items"}, true);
    while (usage.read_line(std::chrono::seconds(30))) {
    }
    EXPECT_EQ(usage.wait(), 2);
}

// The daemon checks its database at start: pages that cannot be read stop it with exit status 1
// and a message naming the file, before it polls anything.
TEST(ChuhaiBinary, TheDaemonRefusesToStartOnADamagedDatabase) {
    chuhai::testing::TempDir dir;
    const auto path = dir / "damaged.db";
    {
        auto store = open_sqlite_store(path);
        SourceSpec spec;
        spec.url = "https://feeds.example.com/a";
        const SourceId source = store->upsert_source(spec);
        std::vector<ItemInput> items;
        for (int i = 0; i < 300; ++i) {
            items.push_back(make_item("k" + std::to_string(i), "Title " + std::to_string(i),
                                      std::string(600, static_cast<char>('a' + i % 26))));
        }
        FetchRecord fetch;
        fetch.source = source;
        fetch.requested_url = spec.url;
        store->ingest(fetch, items);
    }
    {
        // Junk over leaf pages of the items table: the header and the schema stay readable, so
        // the file opens and only reading those pages shows the damage.
        std::vector<std::int64_t> pages;
        std::int64_t page_size = 0;
        {
            Database raw(path.string(), OpenMode::read_write_create, std::chrono::seconds(1));
            raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
            page_size = raw.query_int64("PRAGMA page_size");
            Statement leaves(
                raw, "SELECT pageno FROM dbstat WHERE name = 'items' AND pagetype = 'leaf'");
            while (leaves.step())
                pages.push_back(leaves.column_int64(0));
        }
        ASSERT_GT(pages.size(), 10u);
        std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
        const std::string junk(static_cast<std::size_t>(page_size), '\x5a');
        for (std::size_t i = pages.size() / 2; i < pages.size() / 2 + 3; ++i) {
            file.seekp(static_cast<std::streamoff>((pages[i] - 1) * page_size));
            file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
        }
    }
    const auto config = dir.write("chuhai.yaml", "database: " + path.string() +
                                                     "\nrules: " + std::string(CHUHAI_SOURCE_DIR) +
                                                     "/rules\nsources: []\n");
    ChildProcess daemon({CHUHAI_BINARY, "run", "--config", config.string()}, true);
    std::string output;
    while (auto line = daemon.read_line(std::chrono::seconds(60)))
        output += *line + "\n";
    EXPECT_EQ(daemon.wait(), 1) << output;
    EXPECT_NE(output.find(path.string()), std::string::npos) << output;
    EXPECT_NE(output.find("the database is damaged"), std::string::npos) << output;
    EXPECT_NE(output.find("chuhai db check"), std::string::npos) << output;
}

}  // namespace
}  // namespace chuhai::store::testing
