#pragma once
// What background traffic did, for `fabric --background` and a run's emulation.background: the load it
// put on the fabric per node (so that "no congestion" can be told from "did not load the fabric"), and
// in a run the training step's slowdown against the same steps run without it. No MPI here.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "analysis/run_summary.hpp"
#include "comm/background_record.hpp"

namespace scaleout::analysis {

// One background rank's load, as the job gathered it.
struct BackgroundRank {
  int rank = 0;  // world rank
  std::string host;
  comm::BackgroundLoad load;
};

// GPCNeT's congestion impact factor: a time under the background over the same time isolated, at the
// p50 and at the p99 of each side's samples (NaN where a side has no finite sample).
struct ImpactFactor {
  double p50 = 0.0, p99 = 0.0;
};
ImpactFactor impact_factor(std::vector<double> congested_s, std::vector<double> isolated_s);

// Per node, the larger of the bytes per second its background ranks sent to and received from other
// nodes (their sums; an incast's receiver is loaded inbound); the median over nodes.
struct BackgroundLoadFigures {
  double node_load_bytes_s = 0.0;
  std::int64_t units = 0;  // over all background ranks
};
BackgroundLoadFigures background_load(const std::vector<BackgroundRank>& ranks);

// A run under emulation.background: every measured step ran twice, first alone, then under the
// background; the job's step time (its slowest rank) and the exposed communication (mean over ranks)
// of both, at the median over steps, and the load.
struct RunCongestion {
  comm::BackgroundPattern pattern = comm::BackgroundPattern::alltoall;
  std::uint64_t unit_bytes = 0;
  int background_ranks = 0;
  double step_p50_isolated_s = 0, step_p50_s = 0, step_p95_isolated_s = 0, step_p95_s = 0;
  double exposed_isolated_s = 0, exposed_s = 0;
  BackgroundLoadFigures load;

  double slowdown_p50() const { return step_p50_s / step_p50_isolated_s; }
  double slowdown_p95() const { return step_p95_s / step_p95_isolated_s; }
  // The log's /background attributes beside the pattern and unit_bytes (seconds; GB/s as 10^9 bytes
  // per second); the ranks and units are the log's per-rank arrays.
  std::map<std::string, double> figures() const;
};
RunCongestion run_congestion(comm::BackgroundPattern pattern, std::uint64_t unit_bytes, const RunSummary& isolated,
                             const RunSummary& congested, const std::vector<BackgroundRank>& background);

}  // namespace scaleout::analysis
