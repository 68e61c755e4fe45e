#include "runs/report/bench_report.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace scaleout::runs {
namespace {

std::vector<comm::BenchRecord> two_records() {
  comm::BenchRecord checked;
  checked.collective = "allreduce";
  checked.algorithm = "ring";
  checked.bytes = 4096;
  checked.requested_bytes = 4096;
  checked.ranks = 4;
  checked.bus_factor = 1.5;
  checked.seconds = {20e-6, 10e-6, 30e-6};
  checked.wrong = 0;
  comm::BenchRecord unchecked = checked;
  unchecked.collective = "allgather";
  unchecked.bytes = 4092;
  unchecked.requested_bytes = 4096;
  unchecked.bus_factor = 0.75;
  unchecked.wrong.reset();
  return {checked, unchecked};
}

BenchContext context() {
  return {.ranks = 4,
          .nodes = 1,
          .mpi_library = "Open MPI v4.1.4",
          .options = {},
          .link_bytes_s = {},
          .link_source = {},
          .background = {}};
}

TEST(BenchJson, HasTheDocumentedStructure) {
  const auto records = two_records();
  const nlohmann::json j = bench_json(context(), records);
  EXPECT_EQ(j.at("ranks"), 4);
  EXPECT_EQ(j.at("nodes"), 1);
  EXPECT_EQ(j.at("mpi_library"), "Open MPI v4.1.4");
  ASSERT_EQ(j.at("results").size(), 2u);
  const nlohmann::json& first = j.at("results")[0];
  EXPECT_EQ(first.at("collective"), "allreduce");
  EXPECT_EQ(first.at("algorithm"), "ring");
  EXPECT_EQ(j.at("algorithm"), "auto");
  EXPECT_EQ(first.at("bytes"), 4096);
  EXPECT_DOUBLE_EQ(first.at("time_us").at("p50").get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(first.at("time_us").at("min").get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(first.at("time_us").at("max").get<double>(), 30.0);
  for (const char* key : {"p95", "p99"}) EXPECT_TRUE(first.at("time_us").contains(key));
  EXPECT_NEAR(first.at("algbw_gbs").get<double>(), 4096 / 20e-6 / 1e9, 1e-9);
  EXPECT_NEAR(first.at("busbw_gbs").get<double>(), 1.5 * 4096 / 20e-6 / 1e9, 1e-9);
  EXPECT_EQ(first.at("wrong"), 0);
  EXPECT_TRUE(j.at("results")[1].at("wrong").is_null());  // not checked is not "0 wrong"
}

TEST(BenchCsv, HasTheSameColumns) {
  const auto records = two_records();
  std::istringstream csv(bench_csv(records));
  std::string header, first, second;
  std::getline(csv, header);
  std::getline(csv, first);
  std::getline(csv, second);
  EXPECT_EQ(
      header,
      "collective,algorithm,bytes,time_us_min,time_us_p50,time_us_p95,time_us_p99,time_us_max,algbw_gbs,busbw_gbs,"
      "wrong,background,impact_p50,impact_p99");
  EXPECT_EQ(first.substr(0, first.find(',', 15)), "allreduce,ring,4096");
  EXPECT_TRUE(first.ends_with(",0,,,")) << first << ": 0 wrong, measured alone";
  EXPECT_TRUE(second.ends_with(",,,,")) << second << ": an empty \"wrong\": not checked";
}

// --background: the records again under it, with their impact factors (over the record alone, at the
// p50 and the p99), and the load per node.
TEST(BenchCongestion, RowsUnderTheBackgroundCarryTheirImpactAndTheJsonTheLoad) {
  const auto records = two_records();
  BenchCongestion congestion;
  congestion.traffic = {.pattern = comm::BackgroundPattern::incast, .unit_bytes = 1024, .ranks_per_node = 1};
  for (comm::BenchRecord slower : records) {
    for (double& seconds : slower.seconds) seconds *= 2;  // p50 and p99 both twice
    congestion.congested.push_back(slower);
  }
  congestion.background = {{1, "n0", {2'000'000'000, 1'000'000'000, 2.0, 7}}, {3, "n1", {0, 4'000'000'000, 2.0, 5}}};
  std::istringstream csv(bench_csv(records, &congestion));
  std::vector<std::string> lines;
  for (std::string line; std::getline(csv, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_TRUE(lines[3].starts_with("allreduce,ring,4096,20.000,40.000")) << lines[3];
  EXPECT_TRUE(lines[3].ends_with(",0,incast,2.0000,2.0000")) << lines[3];
  const nlohmann::json j = bench_json(context(), records, &congestion).at("congestion");
  EXPECT_EQ(j.at("pattern"), "incast");
  EXPECT_EQ(j.at("unit_bytes"), 1024);
  EXPECT_EQ(j.at("background_ranks"), 2);
  EXPECT_EQ(j.at("units"), 12);
  EXPECT_NEAR(j.at("node_load_gbs").get<double>(), 1.5, 1e-9);  // the median of n0's 1 GB/s out and n1's 2 in
  ASSERT_EQ(j.at("results").size(), 2u);
  EXPECT_DOUBLE_EQ(j.at("results")[1].at("impact_p99").get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j.at("results")[1].at("time_us").at("p50").get<double>(), 40.0);
  EXPECT_TRUE(bench_json(context(), records).at("congestion").is_null());
}

TEST(BenchOutput, FormatFollowsTheExtension) {
  EXPECT_EQ(output_format("a/b.json"), "json");
  EXPECT_EQ(output_format("b.csv"), "csv");
  EXPECT_EQ(output_format("b.txt"), "");
  EXPECT_EQ(output_format("json"), "");
}

// What a console table prints for `records` under `context` (and each record of `under` after its own).
std::string printed(const BenchContext& context, const std::vector<comm::BenchRecord>& records,
                    const std::vector<comm::BenchRecord>& under = {}) {
  std::FILE* out = std::tmpfile();
  if (out == nullptr) throw std::runtime_error("no temporary file");
  ConsoleTable table(out);
  table.header(context);
  for (std::size_t k = 0; k < records.size(); ++k) {
    table.row(records[k]);
    if (k < under.size()) table.row_under(under[k], records[k]);
  }
  if (!under.empty()) table.load({.node_load_bytes_s = 0.25e9, .units = 9});
  std::rewind(out);
  std::string text;
  for (int c; (c = std::fgetc(out)) != EOF;) text.push_back(static_cast<char>(c));
  std::fclose(out);
  return text;
}

TEST(ConsoleTable, PrintsOneLinePerRecordWithTheFigures) {
  const std::string text = printed(context(), two_records());
  EXPECT_NE(text.find("4 ranks on 1 node"), std::string::npos);
  EXPECT_NE(text.find("allreduce"), std::string::npos);
  EXPECT_NE(text.find("20.0"), std::string::npos);  // p50 in microseconds
  EXPECT_NE(text.find("allgather"), std::string::npos);
  EXPECT_EQ(text.find("net"), std::string::npos) << "one node: no tier columns";
}

TEST(ConsoleTable, AcrossNodesPrintsEachTiersBytesOverTheMedian) {
  auto spanning = context();
  spanning.nodes = 2;
  auto records = two_records();
  // 20 us at p50: 40 KB through a node's link is 2 GB/s, 10 KB inside a node 0.5 GB/s.
  records[0].tiers = comm::BenchRecord::TierBytes{40'000, 10'000};
  records[1].tiers.reset();  // the library's: unknown
  const std::string text = printed(spanning, records);
  EXPECT_NE(text.find("net = the most bytes one node's ranks send to other nodes"), std::string::npos) << text;
  const auto first = text.substr(text.find("  allreduce"));
  EXPECT_NE(first.find("    2.000    0.500"), std::string::npos) << first;
  const auto second = text.substr(text.find("  allgather"));
  EXPECT_NE(second.find("        -        -"), std::string::npos) << second;
  const auto json = bench_json(spanning, records);
  EXPECT_DOUBLE_EQ(json["results"][0]["tiers"]["network_gbs"].get<double>(), 2.0);
  EXPECT_TRUE(json["results"][1]["tiers"].is_null());
}

TEST(ConsoleTable, AgainstTheLinkRatePrintsTheShareAndThePeakBusbw) {
  auto spanning = context();
  spanning.nodes = 2;
  spanning.link_bytes_s = 4e9;
  auto records = two_records();
  records[0].tiers = comm::BenchRecord::TierBytes{40'000, 10'000};  // net 2 GB/s: half the link
  records[1].tiers.reset();
  const std::string text = printed(spanning, records);
  EXPECT_NE(text.find("against the link's 4.000 GB/s each way"), std::string::npos) << text;
  // busbw 4096 B / 20 us x 1.5 = 0.307 GB/s at half the link: 0.614 would fill it.
  const auto first = text.substr(text.find("  allreduce"));
  EXPECT_NE(first.find("    50%    0.614"), std::string::npos) << first;
  const auto json = bench_json(spanning, records);
  EXPECT_DOUBLE_EQ(json["expected_link_gbs"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(json["results"][0]["tiers"]["link_share"].get<double>(), 0.5);
  EXPECT_NEAR(json["results"][0]["tiers"]["peak_busbw_gbs"].get<double>(), 2 * 4096 / 20e-6 * 1.5 / 1e9, 1e-12);
  // One node has no link to compare with, and says so.
  auto single = context();
  single.link_bytes_s = 4e9;
  const std::string said = printed(single, {});
  EXPECT_NE(said.find("--expect-rate: one node, no network link to compare with"), std::string::npos) << said;
  EXPECT_EQ(said.find("peak"), std::string::npos) << "no link columns on one node: " << said;
}

TEST(ConsoleTable, UnderABackgroundEachRowIsFollowedByItsRowUnderItWithTheImpact) {
  auto loaded = context();
  loaded.background =
      BenchBackground{{.pattern = comm::BackgroundPattern::bisection, .unit_bytes = 4096, .ranks_per_node = 1}, 2};
  auto records = two_records();
  auto under = records;
  under[0].seconds = {30e-6, 40e-6, 90e-6};  // p50 x2 (40 over 20), p99 about x3
  const std::string text = printed(loaded, records, under);
  EXPECT_NE(text.find("--background bisection: 2 ranks (the last 1 of every node) make it, 4096 bytes"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("x p50   x p99"), std::string::npos) << text;
  const auto alone = text.substr(text.find("  allreduce"));
  EXPECT_NE(alone.substr(0, alone.find('\n')).find("       -       -"), std::string::npos) << alone;
  const auto loaded_row = text.substr(text.find("  under bisection"));
  const analysis::ImpactFactor impact = analysis::impact_factor(under[0].seconds, records[0].seconds);
  EXPECT_NE(loaded_row.substr(0, loaded_row.find('\n')).find(fmt::format("{:>8.2f}{:>8.2f}", impact.p50, impact.p99)),
            std::string::npos)
      << loaded_row;
  EXPECT_DOUBLE_EQ(impact.p50, 2.0);
  EXPECT_NE(text.find("# background load: 0.250 GB/s per node"), std::string::npos) << text;
}

}  // namespace
}  // namespace scaleout::runs
