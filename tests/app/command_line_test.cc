// The command line in process: what an unknown or missing subcommand is called, --log-level
// checked before any subcommand runs and applied to it, and where the configuration is looked
// for by default.

#include "app/command_line.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <optional>

#include "common/log.h"
#include "tests/support/test_support.h"

namespace chuhai::app {
namespace {

// Parses `args` with the full command line; the message for a parse error, nullopt when the
// parse (and the subcommand it ran) succeeded.
struct Parsed {
    std::optional<std::string> parse_error;  // e.what() of the CLI11 error
    std::string missing_subcommand;          // missing_subcommand_message() after the error
    int exit_status = 0;
};

Parsed parse(std::vector<std::string> args) {
    CommandLine cli;
    configure_command_line(cli);
    std::vector<const char*> argv = {"chuhai"};
    for (const auto& arg : args)
        argv.push_back(arg.c_str());
    Parsed parsed;
    ::testing::internal::CaptureStdout();
    try {
        cli.app.parse(static_cast<int>(argv.size()), argv.data());
        parsed.exit_status = cli.exit_status;
    } catch (const CLI::ParseError& e) {
        parsed.parse_error = e.what();
        parsed.missing_subcommand = missing_subcommand_message(cli.app);
    }
    ::testing::internal::GetCapturedStdout();
    return parsed;
}

class CommandLineTest : public ::testing::Test {
  protected:
    void TearDown() override { init_logging(spdlog::level::info, LogTarget::stderr_text); }
};

TEST_F(CommandLineTest, AnUnknownSubcommandIsNamedWithTheChoices) {
    const Parsed top = parse({"bogus"});
    ASSERT_TRUE(top.parse_error);
    EXPECT_EQ(top.missing_subcommand.rfind("chuhai: unknown subcommand 'bogus' (choose from: ", 0),
              0u)
        << top.missing_subcommand;
    for (const char* name : {"run", "once", "sources", "feed", "rules"})
        EXPECT_NE(top.missing_subcommand.find(name), std::string::npos) << name;

    const Parsed nested = parse({"feed", "bogus"});
    EXPECT_EQ(nested.missing_subcommand,
              "chuhai feed: unknown subcommand 'bogus' (choose from: parse)");
    const Parsed sources = parse({"sources", "nonsense"});
    EXPECT_EQ(sources.missing_subcommand.rfind("chuhai sources: unknown subcommand 'nonsense'", 0),
              0u)
        << sources.missing_subcommand;
}

TEST_F(CommandLineTest, AMissingSubcommandOrAnUnknownOptionIsSaidSo) {
    EXPECT_EQ(parse({}).missing_subcommand.rfind("chuhai: a subcommand is required", 0), 0u);
    EXPECT_EQ(parse({"feed"}).missing_subcommand,
              "chuhai feed: a subcommand is required (choose from: parse)");
    EXPECT_EQ(parse({"--bogus"}).missing_subcommand, "chuhai: unknown option '--bogus'");
}

TEST_F(CommandLineTest, OtherParseErrorsAreLeftToCli11) {
    // A subcommand was found: its own errors are not about subcommands.
    const Parsed missing_input = parse({"feed", "parse"});
    ASSERT_TRUE(missing_input.parse_error);
    EXPECT_EQ(missing_input.missing_subcommand, "");
}

TEST_F(CommandLineTest, AnUnknownLogLevelIsRefusedBeforeAnythingRuns) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--log-level", "bogus", "rules", "check", CHUHAI_SOURCE_DIR "/rules"},
             {"rules", "check", CHUHAI_SOURCE_DIR "/rules", "--log-level", "loud"},
             {"--log-level", "", "feed", "parse", "-"}}) {
        const Parsed parsed = parse(args);
        ASSERT_TRUE(parsed.parse_error) << args[1];
        EXPECT_NE(parsed.parse_error->find("unknown log level"), std::string::npos)
            << *parsed.parse_error;
        EXPECT_EQ(parsed.missing_subcommand, "");
    }
}

TEST_F(CommandLineTest, TheLogLevelAppliesToSubcommandsThatReadNoConfiguration) {
    const std::string feed = chuhai::testing::fixture_path("integration/feeds/wire_rss2_mixed.xml");
    const Parsed parsed = parse({"--log-level", "debug", "feed", "parse", feed});
    EXPECT_FALSE(parsed.parse_error) << parsed.parse_error.value_or("");
    EXPECT_EQ(parsed.exit_status, 0);
    EXPECT_EQ(spdlog::get_level(), spdlog::level::debug);
    parse({"feed", "parse", feed, "--log-level", "error"});
    EXPECT_EQ(spdlog::get_level(), spdlog::level::err);
}

TEST(DefaultConfigPath, FollowsTheEnvironmentThenTheInstalledFolder) {
    const char* old = std::getenv("CHUHAI_CONFIG");
    const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
    ::unsetenv("CHUHAI_CONFIG");
    EXPECT_EQ(default_config_path(), std::string(CHUHAI_CONFIG_DIR) + "/chuhai.yaml");
    EXPECT_EQ(std::string(kInstalledConfigFile), std::string(CHUHAI_CONFIG_DIR) + "/chuhai.yaml");
    ::setenv("CHUHAI_CONFIG", "/srv/chuhai/test.yaml", 1);
    EXPECT_EQ(default_config_path(), "/srv/chuhai/test.yaml");
    ::setenv("CHUHAI_CONFIG", "", 1);  // set but empty: as if unset
    EXPECT_EQ(default_config_path(), std::string(CHUHAI_CONFIG_DIR) + "/chuhai.yaml");
    if (saved)
        ::setenv("CHUHAI_CONFIG", saved->c_str(), 1);
    else
        ::unsetenv("CHUHAI_CONFIG");
}

}  // namespace
}  // namespace chuhai::app
