#pragma once
// The scaling analysis of a sweep: one point per run (one node count), computed from the run's /steps
// rows and workload figures alone, then the crossover and the binding constraint. Measurement only:
// runs/report_*.cpp print it. docs/report.md defines every figure.

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/critical_path.hpp"
#include "analysis/run_trace.hpp"
#include "analysis/step_row.hpp"
#include "parallelism/program.hpp"

namespace scaleout::analysis {

// How a run's log says it ended, and whether it could prove itself intact: what a report notes.
struct LogState {
  std::string status = "complete", status_message;  // the root's: complete, interrupted, failed, running
  bool checksummed = true;                          // false: a log too old to carry checksums
  std::string background;                           // the pattern the steps ran under (emulation.background)
  std::string programs_problem;  // why /program or /ops could not be read (no critical path, no sizes); "" when read
};

// What a run was: its size and workload, from the log's attributes.
// The chain a step's time is bound by, from the chip outward.
enum class Link { calculation, memory_bandwidth, node_fabric, network, pipeline_bubble };
const char* to_string(Link link);
// "the network (dp)", "calculation": the binding as the report says it.
std::string describe_binding(Link link, const std::string& group);

struct RunFacts {
  std::string path;
  int nodes = 1, ranks = 1;
  double tokens_per_step = 0, flops_per_step = 0, global_batch = 0;
  double memory_bound_share = 0;  // of compute (figure::memory_bound_share); logs before it: none
  LogState log;
  std::map<std::string, std::string> environment;  // the log's /environment: MPI, transport, hosts
};

// A run as its log holds it, for the analyses over logs (report, compare).
struct MeasuredRun {
  RunFacts facts;
  std::vector<StepRow> rows;              // the measured rows (warm-up left out)
  std::vector<int> node_of_rank;          // the node of every rank
  std::map<std::string, double> figures;  // the workload's attributes (analysis/figures.hpp)
  // The programs, layout and ranks (run_trace.hpp, without steps): the message sizes. Null when not read.
  std::shared_ptr<const RunTrace> programs;
  // With the op trace, the critical path's shares over the measured steps.
  std::optional<PathShares> critical_path;
};

struct ScalePoint {
  RunFacts run;
  int steps = 0;
  double step_p5 = 0, step_p50 = 0, step_p95 = 0;  // the job's step (slowest rank) over steps
  std::vector<double> step_times;                  // the job's step time of every measured step
  // Per step the mean over ranks, then the median over steps (as the run's summary).
  double compute = 0, bubble = 0, overlapped = 0, other = 0, mean_step = 0;
  std::map<std::string, double> exposed;          // per group with any communication
  std::map<std::string, double> exposed_network;  // per group: the part of its exposed time on the network
  double exposed_total = 0;
  // Per tier (parallelism::Tier): the exposed time on ops crossing it, and the compute time while one
  // was in flight; the bytes a rank sent per step in hops, moved and modelled (medians of the means).
  std::array<double, parallelism::tier_count> exposed_tier{}, overlapped_tier{};
  double bytes_moved = 0, bytes_modelled = 0;
  double comm_share = 0;         // exposed_total / mean_step
  double tokens_per_second = 0;  // tokens_per_step / step_p50
  double tflops_per_device = 0;  // emulated: model FLOPs per step / step_p50 / ranks
  double efficiency = 1;         // throughput per rank against the smallest scale
  // The link of the chain that takes the largest share of the step (docs/report.md, "Binding"):
  // calculation, memory bandwidth, the node's fabric or the network (its group the one with the most
  // exposed time on it), or the pipeline bubble.
  Link binding = Link::calculation;
  std::string binding_group;  // the node's fabric and the network: "dp", "tp", ...
  double binding_share = 0;
};

// Per measured step (in step order): "step" the job's step time (the slowest rank), and the mean over
// ranks of "rank_step", "compute", "bubble", "overlapped", "other", "exposed_<group>" for each
// group with any communication and "network_<group>" (its part on the network), "exposed_<tier>" and
// "overlapped_<tier>" for each tier when any group
// has communication, "bytes_moved" and "bytes_modelled". What the report's medians and compare's statistics are taken
// over. `rows` are measured rows (step_row.hpp's measured_rows), here and in measure_scale.
std::map<std::string, std::vector<double>> per_step_series(const std::vector<StepRow>& rows);

ScalePoint measure_scale(const RunFacts& run, const std::vector<StepRow>& rows);

enum class Scaling { strong, weak };
const char* to_string(Scaling scaling);

// Where exposed communication first exceeds compute, linearly interpolated in the node count between
// the last scale below and the first above (in ranks when every run has one node).
struct Crossover {
  bool reached = false;
  double at = 0;                // interpolated scale
  double below = 0, above = 0;  // the measured scales around it
  bool already = false;         // exceeded at the smallest scale measured
};

struct ScalingReport {
  Scaling scaling = Scaling::strong;
  bool by_nodes = true;            // scales are node counts (else rank counts, all on one node)
  std::vector<ScalePoint> points;  // ordered by scale
  Crossover crossover;
};

// What a set of runs was when nothing says: a global batch fixed over the scales is strong scaling, one
// that grows with them weak.
Scaling infer_scaling(const std::vector<ScalePoint>& points);

// Orders the points, sets each one's efficiency against the smallest, and finds the crossover.
ScalingReport analyse(std::vector<ScalePoint> points, Scaling scaling);
double scale_of(const ScalingReport& report, const ScalePoint& point);

}  // namespace scaleout::analysis
