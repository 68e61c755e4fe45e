#pragma once
// `scaleout fabric`'s job (docs/fabric.md): every pair of nodes (or of one rail's ranks, or of every
// rank) measured in rounds, the suspects measured again alone, then the verdict printed, logged and
// drawn. Validated before MPI starts; the exit status is the verdict: 0 healthy, 1 a fault named.

#include <cstdint>
#include <optional>
#include <string>

#include "analysis/fabric_verdict.hpp"
#include "comm/background.hpp"
#include "comm/fabric_record.hpp"
#include "runs/report/format.hpp"

namespace scaleout::runs {

// As typed.
struct FabricRequest {
  std::string sizes = "64K,16M";
  int iterations = 10;
  int warmup = 2;
  std::string message_size = "32K";
  std::string expect_rate;  // "" for none: verdicts against the peers only; "nic": the NICs' own rate
  double threshold = 0.8;
  bool per_rail = false;
  bool every_rank = false;
  std::string background;  // "" for none, or a pattern (comm::background_pattern)
  std::string background_size = "1M";
  std::string topology_conf;  // "" for Slurm's (beside $SLURM_CONF), "none" for no switches
  std::string output;         // FILE.h5
  bool overwrite = false;
  std::string plots;  // a folder
  Format format = Format::text;
};

// Which ranks take part and how they are grouped.
enum class FabricScope { first_rank_per_node, per_rail, every_rank };

struct FabricPlan {
  comm::FabricOptions options;
  analysis::FabricJudging judging;
  bool expect_from_nics = false;  // --expect-rate nic: the expected rate is read from every node's NICs
  FabricScope scope = FabricScope::first_rank_per_node;
  // With a pattern, the rounds run again while the ranks that do not take part make that traffic,
  // each unit moving `background_bytes` per rank.
  std::optional<comm::BackgroundPattern> background;
  std::uint64_t background_bytes = 0;
  std::string topology_conf;  // the file of the switches to judge; "" for none
  std::string output, plots;
  bool overwrite = false;
  Format format = Format::text;
};

// Throws UsageError naming the option at fault.
FabricPlan plan_fabric(const FabricRequest& request);
// The verdict's exit status on every rank: exit_ok healthy, exit_fabric_fault when something is named.
int run_fabric(const FabricPlan& plan, int& argc, char**& argv, const std::string& command_line);

}  // namespace scaleout::runs
