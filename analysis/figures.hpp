#pragma once
// The names of the workload figures a run log holds as root attributes that more than one part reads:
// declared once here for the writer (runs/job/run_setup.cpp), the reader (runs/log/sweep_reader.cpp)
// and compare (analysis/compare_runs.cpp). docs/run-log.md defines each.

#include <array>

namespace scaleout::analysis::figure {

inline constexpr const char* parameters = "parameters";
inline constexpr const char* flops_per_step = "flops_per_step";
inline constexpr const char* global_batch = "global_batch";
inline constexpr const char* tokens_per_step = "tokens_per_step";
inline constexpr const char* micro_batch = "micro_batch";
inline constexpr const char* microbatches = "microbatches";
inline constexpr const char* dp = "dp";
inline constexpr const char* tp = "tp";
inline constexpr const char* pp = "pp";
inline constexpr const char* cp = "cp";
inline constexpr const char* ep = "ep";
inline constexpr const char* zero_stage = "zero_stage";
inline constexpr const char* virtual_stages = "virtual_stages";
inline constexpr const char* memory_fits = "memory_fits";
// The share of the slowest stage's compute in spans that memory bandwidth, not calculation, bounds.
inline constexpr const char* memory_bound_share = "compute_memory_bound_share";

// What makes two runs the same workload: the model's size and FLOPs, the batch, the layout.
inline constexpr std::array same_workload = {
    parameters, flops_per_step, global_batch,  micro_batch, microbatches, tp, pp, cp, ep,
    dp,         zero_stage,     virtual_stages};

}  // namespace scaleout::analysis::figure
