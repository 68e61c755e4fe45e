#include "parallelism/schedule.hpp"

#include <algorithm>

namespace scaleout::parallelism {

namespace {

std::vector<PipelineAction> gpipe(int microbatches) {
  std::vector<PipelineAction> order;
  order.reserve(2 * static_cast<std::size_t>(microbatches));
  for (int mb = 0; mb < microbatches; ++mb) order.push_back({true, mb, 0});
  for (int mb = 0; mb < microbatches; ++mb) order.push_back({false, mb, 0});
  return order;
}

std::vector<PipelineAction> one_f_one_b(int stages, int stage, int microbatches) {
  const int warmup = std::min(stages - stage - 1, microbatches);
  std::vector<PipelineAction> order;
  order.reserve(2 * static_cast<std::size_t>(microbatches));
  for (int mb = 0; mb < warmup; ++mb) order.push_back({true, mb, 0});
  for (int k = 0; k < microbatches - warmup; ++k) {
    order.push_back({true, warmup + k, 0});
    order.push_back({false, k, 0});
  }
  for (int mb = microbatches - warmup; mb < microbatches; ++mb) order.push_back({false, mb, 0});
  return order;
}

// Megatron-LM's forward_backward_pipelining_with_interleaving: virtual microbatch k runs chunk
// (k mod p v) / p (reversed for backward) of microbatch (k / p v) p + k mod p.
std::vector<PipelineAction> interleaved(int stages, int stage, int microbatches, int chunks) {
  const int total = microbatches * chunks;
  const auto action = [&](int k, bool forward) {
    const int in_group = k % (stages * chunks);
    int chunk = in_group / stages;
    if (!forward) chunk = chunks - 1 - chunk;
    return PipelineAction{forward, k / (stages * chunks) * stages + k % stages, chunk};
  };
  // Megatron-LM before late 2024 ran every forward first when m = p; its schedule since ("tunable
  // schedule", megatron/core/pipeline_parallel/schedules.py) takes this warm-up for every m, capped at
  // the total.
  const int warmup = std::min((stages - stage - 1) * 2 + (chunks - 1) * stages, total);
  std::vector<PipelineAction> order;
  order.reserve(2 * static_cast<std::size_t>(total));
  for (int k = 0; k < warmup; ++k) order.push_back(action(k, true));
  for (int k = 0; k < total - warmup; ++k) {
    order.push_back(action(warmup + k, true));
    order.push_back(action(k, false));
  }
  for (int k = total - warmup; k < total; ++k) order.push_back(action(k, false));
  return order;
}

}  // namespace

std::vector<PipelineAction> pipeline_order(Schedule schedule, int stages, int stage, int microbatches, int chunks) {
  switch (schedule) {
    case Schedule::gpipe: return gpipe(microbatches);
    case Schedule::one_f_one_b: return one_f_one_b(stages, stage, microbatches);
    case Schedule::interleaved: return interleaved(stages, stage, microbatches, chunks);
  }
  return {};
}

int peak_in_flight(const std::vector<PipelineAction>& order) {
  int in_flight = 0, peak = 0;
  for (const auto& action : order) {
    in_flight += action.forward ? 1 : -1;
    peak = std::max(peak, in_flight);
  }
  return peak;
}

double ideal_bubble_share(Schedule schedule, int stages, int microbatches, int chunks) {
  const double p = stages, m = microbatches;
  const double v = schedule == Schedule::interleaved ? chunks : 1;
  return (p - 1) / (v * m + p - 1);
}

}  // namespace scaleout::parallelism
