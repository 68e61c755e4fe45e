// The MPI executor on every rank count: every bucket reduced exactly (check) by every algorithm,
// every byte accounted for, and the step's time split as docs/run.md defines it.

#include <gtest/gtest.h>

#include "comm/communicator.hpp"
#include "parallelism/algorithms.hpp"
#include "parallelism/mpi_executor.hpp"
#include "parallelism/process_groups.hpp"
#include "parallelism/step_program.hpp"
#include "parallelism/workload.hpp"
#include "pretended_nodes.hpp"

namespace p = scaleout::parallelism;
using scaleout::comm::Communicator;

namespace {

struct Case {
  bool overlap;
  int in_flight;
  scaleout::comm::ElementType type;
  p::ComputeMode mode;
  scaleout::comm::AlgorithmChoice algorithm;
};

class Executor : public ::testing::TestWithParam<Case> {};

p::Workload tiny(int ranks, const Case& c) {
  p::Workload w;
  w.model = *p::find_model_preset("tiny");
  w.device = *p::find_device_preset("h100-sxm");
  w.device.peak_flops = 2e12;  // spans of a few hundred microseconds
  w.layout.dp = ranks;
  w.micro_batch = 1;
  w.global_batch = 2 * ranks;  // two microbatches
  w.bucket_mb = 1;
  w.overlap = c.overlap;
  w.gradient_type = c.type;
  return w;
}

}  // namespace

TEST_P(Executor, ReducesEveryBucketExactlyAndAccountsForTheStep) {
  const Case c = GetParam();
  const Communicator world = Communicator::world().duplicate();
  const auto workload = tiny(world.size(), c);
  const auto nodes = scaleout::tests::two_per_node(world.size());
  const p::ProcessGroups groups(world, workload.layout, nodes);
  p::Program program = p::step_program(workload, 0);
  p::choose_algorithms(program, c.algorithm, p::group_spans(workload.layout, world.rank(), nodes));
  const bool own = c.algorithm != scaleout::comm::AlgorithmChoice::library;
  for (const auto& op : program.ops) {
    if (op.kind != p::OpKind::compute) {
      EXPECT_EQ(op.algorithm != scaleout::comm::Algorithm::library, own);
    }
  }
  p::ExecutorOptions options;
  options.compute = c.mode;
  options.type = c.type;
  options.in_flight = c.in_flight;
  options.check = true;
  options.trace = true;
  p::MpiExecutor executor(std::move(program), groups.view(), options);
  for (int step = 0; step < 2; ++step) {
    world.barrier();
    const auto record = executor.run_step(step);
    EXPECT_EQ(record.wrong, 0u) << "step " << step;
    // A data-parallel group of one rank reduces nothing: its gradients are whole.
    EXPECT_EQ(record.bytes[0], world.size() > 1 ? p::gradient_bytes(workload, 0) : 0u);
    EXPECT_GE(record.compute, record.compute_requested * 0.999) << "spans never end early";
    EXPECT_NEAR(record.compute_requested, executor.program().compute_seconds(), 1e-12);
    EXPECT_GE(record.exposed_total(), 0.0);
    EXPECT_GE(record.overlapped, 0.0);
    EXPECT_LE(record.overlapped, record.compute + 1e-9);
    // other is what is left: small, and never negative beyond clock resolution.
    EXPECT_GT(record.other(), -1e-6);
    EXPECT_NEAR(record.compute + record.exposed_total() + record.other(), record.step, 1e-12);
    ASSERT_EQ(record.ops.size(), executor.program().ops.size());
    for (const auto& op : record.ops) {
      EXPECT_LE(op.begin, op.end + 1e-9) << "op " << op.op;
      EXPECT_LE(op.end, record.step + 1e-9) << "op " << op.op;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, Executor,
                         ::testing::Values(Case{true, 4, scaleout::comm::ElementType::bf16, p::ComputeMode::sleep,
                                                scaleout::comm::AlgorithmChoice::automatic},
                                           Case{true, 1, scaleout::comm::ElementType::fp32, p::ComputeMode::spin,
                                                scaleout::comm::AlgorithmChoice::ring},
                                           Case{true, 2, scaleout::comm::ElementType::bf16, p::ComputeMode::sleep,
                                                scaleout::comm::AlgorithmChoice::tree},
                                           Case{false, 4, scaleout::comm::ElementType::fp32, p::ComputeMode::sleep,
                                                scaleout::comm::AlgorithmChoice::library}),
                         [](const auto& info) {
                           std::string name =
                               std::string(info.param.overlap ? "overlap" : "after_backward") + "_inflight" +
                               std::to_string(info.param.in_flight) +
                               (info.param.type == scaleout::comm::ElementType::bf16 ? "_bf16" : "_fp32") + "_" +
                               std::string(scaleout::comm::name(info.param.algorithm));
                           return name;
                         });
