// Hybrid layouts on 4 ranks, run for real with --check: every reduction and every transfer of every
// group exact, the bytes of each group as the program says, and the step's time fully accounted for
// (compute + exposed + bubble + other = step).
#include <gtest/gtest.h>

#include "comm/communicator.hpp"
#include "comm/device_links.hpp"
#include "parallelism/algorithms.hpp"
#include "parallelism/process_groups.hpp"
#include "parallelism/step_program.hpp"
#include "pretended_nodes.hpp"

namespace p = scaleout::parallelism;
using scaleout::comm::Communicator;

namespace {

struct Case {
  const char* name;
  const char* model;
  int dp, tp, pp, cp, ep, zero, microbatches;
  p::Schedule schedule = p::Schedule::one_f_one_b;
  int virtual_stages = 1;
  bool sequence_parallel = false;
  p::Recompute recompute = p::Recompute::none;
  int in_flight = 2;  // 2: the pool's pressure path too
  int layers = 0;     // 0: the preset's
  bool tied = false;  // tied embeddings: the first and last stage allreduce the word embedding's gradient
  bool overlap_param_gather = false;  // zero 1/2: parameters gathered in the next forward
  bool tp_comm_overlap = false;       // with SP: TP's rings and splits behind the GEMMs
};

class Hybrid : public ::testing::TestWithParam<Case> {};

p::Workload workload(const Case& c) {
  p::Workload w;
  w.model = *p::find_model_preset(c.model);
  if (c.layers > 0) w.model.layers = c.layers;
  w.model.tied_embeddings = c.tied;
  w.device = *p::find_device_preset("h100-sxm");
  w.device.peak_flops = 5e12;  // spans of tens of microseconds: the test is about data, not time
  w.layout.dp = c.dp, w.layout.tp = c.tp, w.layout.pp = c.pp, w.layout.cp = c.cp, w.layout.ep = c.ep;
  w.layout.zero_stage = c.zero;
  w.layout.schedule = c.schedule;
  w.layout.virtual_stages = c.virtual_stages;
  w.layout.sequence_parallel = c.sequence_parallel;
  w.layout.recompute = c.recompute;
  w.overlap_param_gather = c.overlap_param_gather;
  w.tp_comm_overlap = c.tp_comm_overlap;
  w.micro_batch = 1;
  w.global_batch = c.dp * c.microbatches;
  w.bucket_mb = 0.25;  // several buckets
  return w;
}

// Runs two steps of the case with --check, the hops inside a node modelled on `links` when given.
void expect_exact(const Case& c, scaleout::comm::DeviceLinks* links) {
  const Communicator world = Communicator::world().duplicate();
  const auto w = workload(c);
  if (world.size() != w.layout.world()) GTEST_SKIP() << "a 4-rank layout";
  const auto position = p::position_of(w.layout, world.rank());
  const auto nodes = scaleout::tests::two_per_node(world.size());
  p::ProcessGroups groups(world, w.layout, nodes);
  if (links != nullptr) groups.model_intra_node(*links);
  const auto spans = p::group_spans(w.layout, world.rank(), nodes);
  p::ExecutorOptions options;
  options.check = true;
  options.in_flight = c.in_flight;
  // Every collective runs scaleout's own algorithm chosen as `auto` does on two ranks per node.
  p::Program program = p::step_program(w, position.pp);
  p::choose_algorithms(program, scaleout::comm::AlgorithmChoice::automatic, spans);
  p::MpiExecutor executor(std::move(program), groups.view(), options);

  std::array<std::uint64_t, p::group_count> expected{};
  for (const auto& op : executor.program().ops) {
    const bool issued = op.kind == p::OpKind::start || op.kind == p::OpKind::blocking;
    if (issued && op.transfer != p::Transfer::recv) expected[static_cast<std::size_t>(op.group)] += op.bytes;
  }
  for (int step = 0; step < 2; ++step) {
    world.barrier();
    const auto record = executor.run_step(step);
    EXPECT_EQ(record.wrong, 0u) << c.name << " rank " << world.rank() << " step " << step;
    EXPECT_EQ(record.bytes, expected);
    EXPECT_NEAR(record.compute + record.exposed_total() + record.bubble + record.other(), record.step, 1e-12);
    EXPECT_GT(record.other(), -1e-6);
    for (std::size_t g = 0; g < record.exposed.size(); ++g) EXPECT_LE(record.exposed_network[g], record.exposed[g]);
    // Every hop is counted once, modelled only where the links are.
    if (links == nullptr) {
      EXPECT_EQ(record.bytes_modelled, 0u) << c.name;
    }
    // Completed pipeline sends give their buffers back: the pool stays near its size (it grew to 32
    // buffers for pp4_interleaved_pool1 when sends held theirs until the step's end).
    EXPECT_LE(executor.buffers(), static_cast<std::size_t>(c.in_flight + c.pp)) << c.name;
    if (c.pp > 1) {
      EXPECT_GT(record.bytes[static_cast<std::size_t>(p::Group::pp)], 0u);
    } else {
      EXPECT_EQ(record.bubble, 0.0);
    }
  }
}

}  // namespace

TEST_P(Hybrid, EveryTransferOfEveryGroupIsExact) { expect_exact(GetParam(), nullptr); }

// emulation.intra_node: device under --check: the hops inside a node follow the device's fabric and
// carry their bytes too, so every result is still verified.
TEST_P(Hybrid, EveryTransferIsExactWithTheHopsInsideANodeModelled) {
  scaleout::comm::DeviceLinks links({.latency = 3.4e-6, .bandwidth = 450e9, .pair_bandwidth = 450e9}, true);
  expect_exact(GetParam(), &links);
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, Hybrid,
    ::testing::Values(Case{"tp2_dp2", "tiny", 2, 2, 1, 1, 1, 0, 2}, Case{"tp2_pp2", "tiny", 1, 2, 2, 1, 1, 0, 4},
                      Case{"pp4_1f1b_m8", "tiny", 1, 1, 4, 1, 1, 0, 8},
                      Case{"pp2_interleaved_dp2", "tiny", 2, 1, 2, 1, 1, 1, 4, p::Schedule::interleaved, 2},
                      Case{"pp2_gpipe_recompute_dp2", "tiny", 2, 1, 2, 1, 1, 0, 2, p::Schedule::gpipe, 1, false,
                           p::Recompute::full},
                      Case{"zero3_dp4", "tiny", 4, 1, 1, 1, 1, 3, 2},
                      Case{"zero2_dp2_tp2_sp_m2", "tiny", 2, 2, 1, 1, 1, 2, 2, p::Schedule::one_f_one_b, 1, true},
                      Case{"moe_ep2_dp4", "tiny-moe", 4, 1, 1, 1, 2, 0, 2},
                      Case{.name = "moe_ep2_dp4_zero1_overlap_param_gather",
                           .model = "tiny-moe",
                           .dp = 4,
                           .tp = 1,
                           .pp = 1,
                           .cp = 1,
                           .ep = 2,
                           .zero = 1,
                           .microbatches = 2,
                           .overlap_param_gather = true},
                      Case{"moe_ep2_zero1_tp2_sp", "tiny-moe", 2, 2, 1, 1, 2, 1, 1, p::Schedule::one_f_one_b, 1, true},
                      Case{"cp2_tp2", "tiny", 1, 2, 1, 2, 1, 0, 1},
                      Case{.name = "tp2_sp_comm_overlap_dp2",
                           .model = "tiny",
                           .dp = 2,
                           .tp = 2,
                           .pp = 1,
                           .cp = 1,
                           .ep = 1,
                           .zero = 0,
                           .microbatches = 2,
                           .sequence_parallel = true,
                           .tp_comm_overlap = true},
                      Case{.name = "cp2_tp2_selective_recompute",
                           .model = "tiny",
                           .dp = 1,
                           .tp = 2,
                           .pp = 1,
                           .cp = 2,
                           .ep = 1,
                           .zero = 0,
                           .microbatches = 2,
                           .recompute = p::Recompute::selective},
                      Case{.name = "zero1_pp2_interleaved_overlap_param_gather",
                           .model = "tiny",
                           .dp = 2,
                           .tp = 1,
                           .pp = 2,
                           .cp = 1,
                           .ep = 1,
                           .zero = 1,
                           .microbatches = 4,
                           .schedule = p::Schedule::interleaved,
                           .virtual_stages = 2,
                           .overlap_param_gather = true},
                      Case{"pp2_tied_dp2", "tiny", 2, 1, 2, 1, 1, 1, 2, p::Schedule::one_f_one_b, 1, false,
                           p::Recompute::none, 2, 0, true},
                      // A pool of one buffer under an interleaved ring of 4 stages: waiting for an old
                      // send before posting the next receive would deadlock here.
                      Case{"pp4_interleaved_pool1", "tiny", 1, 1, 4, 1, 1, 0, 8, p::Schedule::interleaved, 2, false,
                           p::Recompute::none, 1, 8}),
    [](const auto& info) { return std::string(info.param.name); });
