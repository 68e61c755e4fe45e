#pragma once
// Pipeline schedules: the order in which one pipeline stage runs the forward and backward passes of
// the step's microbatches. GPipe runs every forward, then every backward. 1F1B (Narayanan et al.
// 2021) runs p - s - 1 forwards to fill the pipeline, then alternates one forward and one backward,
// then drains. Interleaved 1F1B gives each rank v model chunks (virtual stages) and follows
// Megatron-LM's order, which needs the microbatches to be a multiple of the stages.

#include <vector>

#include "parallelism/layout.hpp"

namespace scaleout::parallelism {

struct PipelineAction {
  bool forward = true;
  int microbatch = 0;
  int chunk = 0;  // the model chunk (virtual stage index on this rank), 0 .. v-1
  bool operator==(const PipelineAction&) const = default;
};

// The actions of stage `stage` (0 .. stages-1) in the order it runs them: every (microbatch, chunk)
// once forward and once backward.
std::vector<PipelineAction> pipeline_order(Schedule schedule, int stages, int stage, int microbatches, int chunks);

// The most forward passes whose backward has not run yet, over the order: the activations a stage
// holds at its peak.
int peak_in_flight(const std::vector<PipelineAction>& order);

// The idle share of an ideal pipeline (equal stages, no communication): (p-1)/(m+p-1), and
// (p-1)/(v m + p - 1) interleaved.
double ideal_bubble_share(Schedule schedule, int stages, int microbatches, int chunks);

}  // namespace scaleout::parallelism
