#pragma once
// What a training run adds up to: figures over the measured steps (warm-up excluded), computed from
// /steps rows alone, so that the run's console summary and a reader of its log agree. docs/run.md
// defines them; runs/report/summary_report.hpp prints them.

#include <map>
#include <string>
#include <vector>

#include "analysis/scaling.hpp"
#include "analysis/step_row.hpp"
#include "parallelism/workload.hpp"

namespace scaleout::analysis {

// Requested against measured compute over the measured (not warm-up) rows: how exactly the spans
// were emulated (docs/run.md).
struct EmulationAccuracy {
  int rows = 0;
  double requested = 0, measured = 0;  // sums over the rows
  double error = 0;                    // measured / requested - 1
  // compute_requested_s, compute_measured_s and emulation_error of /summary.
  void add_figures(std::map<std::string, double>& figures) const;
};
EmulationAccuracy emulation_accuracy(const std::vector<StepRow>& rows);

struct RunSummary {
  int steps = 0, ranks = 0;
  double step_p50 = 0, step_p95 = 0;  // the job's step time: per step, the slowest rank
  // Per step the mean over ranks, then the median over steps.
  double compute = 0, bubble = 0, overlapped = 0, other = 0;
  std::map<std::string, double> exposed;  // per group with any communication
  double exposed_total = 0;
  double comm_share = 0;    // exposed_total / mean step time of the ranks
  double bubble_share = 0;  // bubble / mean step time of the ranks
  double mfu = 0;           // model FLOPs per second over the job's peak
  // Per tier (parallelism::Tier), bytes per rank and step, and the link that binds (scaling.hpp's
  // ScalePoint, whose figures these are).
  std::array<double, parallelism::tier_count> exposed_tier{}, overlapped_tier{};
  double bytes_moved = 0, bytes_modelled = 0;
  Link binding = Link::calculation;
  std::string binding_group;
  double binding_share = 0;
  EmulationAccuracy emulation;

  std::map<std::string, double> figures() const;  // for /summary (RunResult adds `wrong`)
};

// What the rows cannot say of the workload: the share of compute that memory bandwidth bounds
// (parallelism::memory_bound_share of the run's programs).
struct WorkloadFacts {
  double memory_bound_share = 0;
};

RunSummary summarize_run(const std::vector<StepRow>& rows, const parallelism::Workload& workload,
                         const WorkloadFacts& facts = {});

}  // namespace scaleout::analysis
