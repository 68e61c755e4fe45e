#pragma once
// What a serving run adds up to, from its /steps rows alone (the run's console summary and a reader
// of its log agree): time to first token (the prefill pass), time per output token (the decode
// passes), tokens per second, and the exposed communication share of each kind of pass.
// docs/inference.md defines every figure; runs/report/ prints them.

#include <map>
#include <string>
#include <vector>

#include "analysis/run_summary.hpp"
#include "analysis/scaling.hpp"
#include "analysis/step_row.hpp"
#include "parallelism/workload.hpp"

namespace scaleout::analysis {

struct ServingSummary {
  int ranks = 0, replicas = 0, replica_ranks = 0;
  int batches = 0;  // measured request batches with every pass logged
  // The same breakdown as a training step's (analysis::measure_scale), over the measured prefill
  // passes and over the measured decode passes.
  ScalePoint prefill, decode;
  double ttft_p50 = 0, ttft_p95 = 0;  // a prefill pass of the job (its slowest rank)
  double tpot_p50 = 0, tpot_p95 = 0;  // a decode pass of the job
  double batch_s = 0;                 // median over the batches of their passes' job times summed
  double tokens_per_s_replica = 0;    // sequences x output tokens / batch_s
  double tokens_per_s_device = 0;     // per rank of a replica
  double tokens_per_s_job = 0;        // all replicas
  std::string decode_span_bound;      // "memory" or "compute": what the decode spans' roofline is bound by
  EmulationAccuracy emulation;        // requested against measured compute over every measured pass

  std::map<std::string, double> figures() const;  // for /summary
  // Sets batch_s and the tokens per second that follow from it (replicas and replica_ranks set).
  void set_batch_time(double seconds, const parallelism::Inference& inference);
};

// `sequences`, `output_tokens` and the replica's size come from the workload.
ServingSummary summarize_serving(const std::vector<StepRow>& rows, const parallelism::Workload& workload);

// "memory" or "compute": what bounds the spans of the last decode pass (the longest context).
std::string decode_span_bound(const parallelism::Workload& workload);

// Decode's exposed communication above its compute (and at least one decode pass).
bool communication_bound(const ServingSummary& summary);

// Where decode is bound: "communication" when its exposed share is the largest part of a pass,
// else what analysis::measure_scale found largest ("compute" covers memory-bound spans).
std::string decode_bound(const ServingSummary& summary);

// A serving run as the serving report reads it: its layout, its request and its summary.
struct ServingRun {
  std::string path;
  int nodes = 1, ranks = 1, tp = 1, pp = 1, ep = 1, sequences = 1;
  double prompt_tokens = 0, output_tokens = 0;
  bool memory_fits = true;
  ServingSummary summary;
  LogState log;
};

// Ordered by thinking budget, then tp, pp, ep and nodes: the order the sweep's questions read in.
void order_serving_runs(std::vector<ServingRun>& runs);

// Per thinking budget (output tokens), the first run in `runs`' order whose decode is
// communication-bound, or null when none is.
std::map<double, const ServingRun*> turning_points(const std::vector<ServingRun>& runs);

}  // namespace scaleout::analysis
