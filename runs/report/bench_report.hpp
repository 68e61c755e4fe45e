#pragma once
// Reporters of the collective benchmark: they consume BenchRecords and never measure. The console
// table streams a line per size as it is measured; JSON and CSV are written once at the end.

#include <cstdio>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "comm/bench_record.hpp"

namespace scaleout::runs {

struct BenchContext {
  int ranks = 0;
  int nodes = 0;
  std::string mpi_library;
  comm::BenchOptions options;
  std::optional<double> link_bytes_s;  // a node's network link, each way (--expect-rate)
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
  // Prints the columns; with more than one node, the tiers' too.
  void header(const BenchContext& context);
  void row(const comm::BenchRecord& record) const;

 private:
  std::FILE* out_;
  bool tiers_ = false;
  bool link_ = false;
  BenchContext context_;
};

nlohmann::json bench_json(const BenchContext& context, std::span<const comm::BenchRecord> records);
std::string bench_csv(std::span<const comm::BenchRecord> records);

// "json" or "csv" from the file name; empty when it is neither.
std::string output_format(const std::string& path);
// Writes the records in the format the name says, through a temporary file renamed into place, so a
// failure never leaves a half-written file. Throws std::runtime_error with the reason.
void write_bench_output(const std::string& path, const BenchContext& context,
                        std::span<const comm::BenchRecord> records);

}  // namespace scaleout::runs
