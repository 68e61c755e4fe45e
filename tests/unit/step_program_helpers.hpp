#pragma once
// Helpers of the step-program tests (step_program_test.cpp, gradient_sync_test.cpp): the tiny model on
// a layout, and the operations a program issues per step, by group and transfer.

#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <vector>

#include "parallelism/step_program.hpp"

namespace scaleout::tests::step_programs {

namespace p = scaleout::parallelism;

inline p::Workload tiny(const char* model = "tiny") {
  p::Workload w;
  w.model = *p::find_model_preset(model);
  w.device = *p::find_device_preset("h100-sxm");
  w.micro_batch = 2;
  w.bucket_mb = 1;
  return w;
}

inline p::Workload with(p::Workload w, int dp, int tp, int pp, int microbatches, int cp = 1) {
  w.layout.dp = dp, w.layout.tp = tp, w.layout.pp = pp, w.layout.cp = cp;
  w.global_batch = w.micro_batch * dp * microbatches;
  return w;
}

struct Tally {
  int count = 0;
  std::uint64_t bytes = 0;
};
// Operations issued per step (starts and blocking calls), by group, transfer and expert flag.
inline std::map<std::tuple<p::Group, p::Transfer, bool>, Tally> tally(const p::Program& program) {
  std::map<std::tuple<p::Group, p::Transfer, bool>, Tally> t;
  for (const auto& op : program.ops) {
    if (op.kind != p::OpKind::start && op.kind != p::OpKind::blocking) continue;
    auto& entry = t[{op.group, op.transfer, op.expert}];
    ++entry.count;
    entry.bytes += op.bytes;
  }
  return t;
}
inline Tally of(const p::Program& program, p::Group g, p::Transfer x, bool expert = false) {
  const auto t = tally(program);
  const auto found = t.find({g, x, expert});
  return found == t.end() ? Tally{} : found->second;
}
// Only the transformer layers' ops (not the embedding's, the logits' or the step's).
inline p::Program layers_only(p::Program program) {
  std::erase_if(program.ops, [](const p::Op& op) { return op.layer < 0; });
  return program;
}

constexpr std::uint64_t activation = 2 * 128 * 256 * 2;  // b s h B of tiny with micro 2

}  // namespace scaleout::tests::step_programs
