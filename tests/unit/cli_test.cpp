// The command line's own parts: the one list parser, the format vocabulary, and the table of
// subcommands that main.cpp loops over.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "runs/cli/command.hpp"
#include "runs/cli/lists.hpp"
#include "runs/report/format.hpp"
#include "runs/usage_error.hpp"

namespace r = scaleout::runs;

namespace {
std::string error_of(const std::string& text, const r::CountList& allowed) {
  try {
    r::parse_counts(text, "--nodes", allowed);
  } catch (const r::UsageError& error) {
    return error.what();
  }
  return "";
}
}  // namespace

TEST(Lists, CountsComeSortedWithoutRepeats) {
  EXPECT_EQ(r::parse_counts("8,1,2,8", "--tp", {}), (std::vector<long long>{1, 2, 8}));
  EXPECT_EQ(r::parse_counts("4", "--tp", {}), (std::vector<long long>{4}));
}

TEST(Lists, ADoublingRangeWhereAllowed) {
  const r::CountList nodes{.doubling_range = true, .of = "node counts"};
  EXPECT_EQ(r::parse_counts("1:16", "--nodes", nodes), (std::vector<long long>{1, 2, 4, 8, 16}));
  EXPECT_EQ(r::parse_counts("3:13", "--nodes", nodes), (std::vector<long long>{3, 6, 12}));
  EXPECT_NE(error_of("1:16", {}).find("holds '1:16', not a whole number"), std::string::npos) << "no range for --tp";
}

TEST(Lists, IndicesStartAtZeroAndTakeRangesWithADashOrAColon) {
  EXPECT_EQ(r::parse_indices("0-3,7,2", "--ranks"), (std::vector<int>{0, 1, 2, 3, 7}));
  EXPECT_EQ(r::parse_indices("3:5", "--steps"), (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(r::parse_indices("0", "--steps"), (std::vector<int>{0}));
  const auto error = [](const std::string& text) {
    try {
      r::parse_indices(text, "--ranks");
    } catch (const r::UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error("5-2").find("--ranks: '5-2' holds 5-2, a range that ends below its start"), std::string::npos);
  EXPECT_NE(error("-1").find("holds '-1', not a whole number"), std::string::npos) << error("-1");
  EXPECT_NE(error("1,,2").find("holds an empty item"), std::string::npos);
  EXPECT_NE(error("x").find("not a whole number"), std::string::npos);
  EXPECT_NE(error("0-99999999999").find("out of range"), std::string::npos);
  EXPECT_NE(error("0-10000000").find("a range of more than 1048576 indices"), std::string::npos);
}

TEST(Lists, BadCountsNameTheArgumentAndWhatIsAllowed) {
  const r::CountList nodes{.most = 4096, .doubling_range = true, .of = "node counts"};
  EXPECT_EQ(error_of("0", nodes),
            "--nodes: '0' holds 0, out of range; give a list (1,2,8) or a doubling range (1:4096) of node counts "
            "from 1 to 4096");
  EXPECT_NE(error_of("4:2", nodes).find("ends below its start"), std::string::npos);
  EXPECT_NE(error_of("two", nodes).find("holds 'two', not a whole number"), std::string::npos);
  EXPECT_NE(error_of("1,,2", nodes).find("holds '', not a whole number"), std::string::npos);
  EXPECT_NE(error_of("5000", nodes).find("out of range"), std::string::npos);
  EXPECT_NE(error_of("2x", nodes).find("holds '2x'"), std::string::npos);
}

TEST(Formats, EveryNameParsesBackAndOthersDoNot) {
  for (const auto f : {r::Format::text, r::Format::markdown, r::Format::csv, r::Format::json}) {
    EXPECT_EQ(r::parse_format(r::to_string(f)), f);
  }
  EXPECT_FALSE(r::parse_format("yaml"));
  EXPECT_FALSE(r::parse_format("JSON"));
  EXPECT_EQ(r::describe({r::Format::text, r::Format::json}), "text or json");
  EXPECT_EQ(r::describe({r::Format::text, r::Format::markdown, r::Format::csv}), "text, markdown or csv");
}

TEST(Commands, OneTableOfUniquelyNamedCommandsThatEachDeclareTheirOptions) {
  std::set<std::string> names;
  for (const auto& command : r::commands()) {
    EXPECT_TRUE(names.insert(command.name).second) << command.name;
    CLI::App app;
    CLI::App* sub = app.add_subcommand(command.name, command.help);
    const r::Body body = command.declare(*sub);
    EXPECT_TRUE(body) << command.name;
    // Beyond the --help every app has: the command declared options of its own.
    EXPECT_GT(sub->get_options().size(), 1U) << command.name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"run", "plan", "bench", "fabric", "topo", "report", "trace", "compare",
                                          "predict", "calibrate"}));
}

TEST(Commands, FormatOptionTakesTheVocabularyAndRefusesTheRest) {
  r::Format format = r::Format::text;
  CLI::App app;
  r::add_format_option(app, format, {r::Format::text, r::Format::json});
  r::add_json_flag(app, format);
  app.parse("--format json", false);
  EXPECT_EQ(format, r::Format::json);
  format = r::Format::text;
  app.parse("--json", false);
  EXPECT_EQ(format, r::Format::json);
  EXPECT_THROW(app.parse("--format markdown", false), CLI::ValidationError);
  EXPECT_THROW(app.parse("--format yaml", false), CLI::ValidationError);
}
