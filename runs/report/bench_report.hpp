#pragma once
// Reporters of the collective benchmark: they consume BenchRecords and never measure. The console
// table streams a line per size as it is measured; JSON and CSV are written once at the end.

#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/background_effect.hpp"
#include "comm/background_record.hpp"
#include "comm/bench_record.hpp"

namespace scaleout::runs {

// --background: what the background ranks make, and how many they are.
struct BenchBackground {
  comm::BackgroundTraffic traffic;
  std::size_t ranks = 0;
};

struct BenchContext {
  int ranks = 0;  // that measure
  int nodes = 0;
  std::string mpi_library;
  comm::BenchOptions options;
  std::optional<double> link_bytes_s;  // a node's network link, each way (--expect-rate)
  std::string link_source;             // where the rate came from, when not given: "--expect-rate nic: ..."
  std::optional<BenchBackground> background;
};

// --background: every record measured again under the background, in the records' order, and what
// each background rank did.
struct BenchCongestion {
  comm::BackgroundTraffic traffic;
  std::vector<comm::BenchRecord> congested;
  std::vector<analysis::BackgroundRank> background;
};

struct BenchResults {
  std::vector<comm::BenchRecord> records;
  std::optional<BenchCongestion> congestion;
};

// Against the network link's rate: the share of it that `net` reached, and the busbw at which `net`
// would fill it (the record's algorithm and placement moving the same bytes per node).
struct LinkShare {
  double share = 0.0;
  double peak_busbw_gbs = 0.0;
};
std::optional<LinkShare> link_share(const comm::BenchRecord& record, const BenchContext& context);

class ConsoleTable {
 public:
  explicit ConsoleTable(std::FILE* out) : out_(out) {}
  // Prints the columns; with more than one node, the tiers' too; with a background, the impact's.
  void header(const BenchContext& context);
  void row(const comm::BenchRecord& record) const;
  // The record measured under the background, after its row alone, with the impact factors.
  void row_under(const comm::BenchRecord& under, const comm::BenchRecord& alone) const;
  // The load the background achieved, after the last row.
  void load(const analysis::BackgroundLoadFigures& load) const;

 private:
  void print_row(const comm::BenchRecord& record, const std::string& label, const std::string& impact) const;

  std::FILE* out_;
  bool tiers_ = false;
  bool link_ = false;
  BenchContext context_;
};

// With a congestion, JSON adds "congestion" (the pattern, the load, and every congested record with
// its impact factors) and CSV a row per congested record (columns background, impact_p50, impact_p99).
nlohmann::json bench_json(const BenchContext& context, std::span<const comm::BenchRecord> records,
                          const BenchCongestion* congestion = nullptr);
std::string bench_csv(std::span<const comm::BenchRecord> records, const BenchCongestion* congestion = nullptr);

// "json" or "csv" from the file name; empty when it is neither.
std::string output_format(const std::string& path);
// Writes the records in the format the name says, through a temporary file renamed into place, so a
// failure never leaves a half-written file. Throws std::runtime_error with the reason.
void write_bench_output(const std::string& path, const BenchContext& context, const BenchResults& results);

}  // namespace scaleout::runs
