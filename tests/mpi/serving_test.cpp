// Serving passes on 4 ranks through the MPI executor: a prefill, then decode passes loaded one after
// another as the KV cache grows, every transfer checked, every byte accounted for; and an executor
// refusing a program whose transfers outgrow the buffers it was made with.

#include <gtest/gtest.h>

#include "comm/communicator.hpp"
#include "parallelism/algorithms.hpp"
#include "parallelism/inference.hpp"
#include "parallelism/mpi_executor.hpp"
#include "parallelism/process_groups.hpp"
#include "pretended_nodes.hpp"

namespace p = scaleout::parallelism;
using scaleout::comm::Communicator;

namespace {

struct Case {
  const char* name;
  const char* model;
  int tp, pp, ep;
};

class Serving : public ::testing::TestWithParam<Case> {};

p::Workload workload(const Case& c, int world) {
  p::Workload w;
  w.model = *p::find_model_preset(c.model);
  w.device = *p::find_device_preset("h100-sxm");
  w.device.memory_bandwidth = 50e9;  // spans of tens of microseconds
  w.layout.tp = c.tp, w.layout.pp = c.pp, w.layout.ep = c.ep;
  w.layout.dp = world / (c.tp * c.pp);
  w.inference = p::Inference{8, 32, 6, 2.0};
  return w;
}

std::array<std::uint64_t, p::group_count> issued_bytes(const p::Program& program) {
  std::array<std::uint64_t, p::group_count> bytes{};
  for (const auto& op : program.ops) {
    const bool issued = op.kind == p::OpKind::start || op.kind == p::OpKind::blocking;
    if (issued && op.transfer != p::Transfer::recv) bytes[static_cast<std::size_t>(op.group)] += op.bytes;
  }
  return bytes;
}

}  // namespace

TEST_P(Serving, PrefillThenDecodePassesCheckEveryTransfer) {
  const Case c = GetParam();
  const Communicator world = Communicator::world().duplicate();
  if (world.size() != 4) GTEST_SKIP() << "a 4-rank layout";
  const auto w = workload(c, world.size());
  const int stage = p::position_of(w.layout, world.rank()).pp;
  const auto nodes = scaleout::tests::two_per_node(world.size());
  const p::ProcessGroups groups(world, w.layout, nodes);
  const auto spans = p::group_spans(w.layout, world.rank(), nodes);
  p::ExecutorOptions options;
  options.check = true;
  // Every collective runs scaleout's own algorithm chosen as `auto` does on two ranks per node.
  const auto chosen = [&](p::Program program) {
    p::choose_algorithms(program, scaleout::comm::AlgorithmChoice::automatic, spans);
    return program;
  };
  const p::Program prefill = chosen(p::prefill_program(w, stage));
  p::MpiExecutor executor(prefill, groups.view(), options);
  for (int token = 1; token <= w.inference->output_tokens; ++token) {
    if (token > 1) executor.load(chosen(p::decode_program(w, stage, p::decode_context(*w.inference, token))));
    world.barrier();
    const auto record = executor.run_step(token);
    EXPECT_EQ(record.wrong, 0u) << c.name << " rank " << world.rank() << " token " << token;
    EXPECT_EQ(record.bytes, issued_bytes(executor.program())) << c.name << " token " << token;
    EXPECT_NEAR(record.compute + record.exposed_total() + record.bubble + record.other(), record.step, 1e-12);
    if (c.pp > 1 && stage > 0) {
      EXPECT_GT(record.bubble, 0.0);
    }
  }
  // The prefill's buffers hold any decode pass; a pass of a longer prompt does not fit them.
  auto longer = w;
  longer.inference->prompt_tokens *= 2;
  EXPECT_THROW(executor.load(p::prefill_program(longer, stage)), std::logic_error);
  executor.load(prefill);
}

INSTANTIATE_TEST_SUITE_P(Layouts, Serving,
                         ::testing::Values(Case{"tp4", "tiny", 4, 1, 1}, Case{"tp2_pp2", "tiny", 2, 2, 1},
                                           Case{"moe_tp2_ep2", "tiny-moe", 2, 1, 2}),
                         [](const auto& info) { return std::string(info.param.name); });
