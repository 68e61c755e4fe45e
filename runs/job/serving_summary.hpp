#pragma once
// What a serving run adds up to, from its /steps rows alone (the run's console summary and a reader
// of its log agree): time to first token (the prefill pass), time per output token (the decode
// passes), tokens per second, and the exposed communication share of each kind of pass.
// docs/inference.md defines every figure.

#include <map>
#include <string>
#include <vector>

#include "analysis/scaling.hpp"
#include "parallelism/workload.hpp"
#include "runs/log/run_log.hpp"
#include "runs/job/run_summary.hpp"

namespace scaleout::runs {

struct ServingSummary {
  int ranks = 0, replicas = 0, replica_ranks = 0;
  int batches = 0;  // measured request batches with every pass logged
  // The same breakdown as a training step's (analysis::measure_scale), over the measured prefill
  // passes and over the measured decode passes.
  analysis::ScalePoint prefill, decode;
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

// Where decode is bound: "communication" when its exposed share is the largest part of a pass,
// else what analysis::measure_scale found largest ("compute" covers memory-bound spans).
std::string decode_bound(const ServingSummary& summary);

// The summary as rank 0 prints it at the end of a serving run.
std::string format_serving_summary(const ServingSummary& summary, const parallelism::Workload& workload);

}  // namespace scaleout::runs
