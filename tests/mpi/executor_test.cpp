// The MPI executor on every rank count: every bucket reduced exactly (check), every byte accounted
// for, and the step's time split as docs/run.md defines it.

#include <gtest/gtest.h>

#include "comm/communicator.hpp"
#include "parallelism/mpi_executor.hpp"
#include "parallelism/process_groups.hpp"
#include "parallelism/step_program.hpp"
#include "parallelism/workload.hpp"

namespace p = scaleout::parallelism;
using scaleout::comm::Communicator;

namespace {

struct Case {
  bool overlap;
  int in_flight;
  scaleout::comm::ElementType type;
  p::ComputeMode mode;
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
  const p::ProcessGroups groups(world, workload.layout);
  p::ExecutorOptions options;
  options.compute = c.mode;
  options.type = c.type;
  options.in_flight = c.in_flight;
  options.check = true;
  options.trace = true;
  p::MpiExecutor executor(p::step_program(workload, 0), groups.view(), options);
  for (int step = 0; step < 2; ++step) {
    world.barrier();
    const auto record = executor.run_step(step);
    EXPECT_EQ(record.wrong, 0u) << "step " << step;
    EXPECT_EQ(record.bytes[0], p::gradient_bytes(workload, 0));
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
                         ::testing::Values(Case{true, 4, scaleout::comm::ElementType::bf16, p::ComputeMode::sleep},
                                           Case{true, 1, scaleout::comm::ElementType::fp32, p::ComputeMode::spin},
                                           Case{false, 4, scaleout::comm::ElementType::fp32, p::ComputeMode::sleep}),
                         [](const auto& info) {
                           return std::string(info.param.overlap ? "overlap" : "after_backward") + "_inflight" +
                                  std::to_string(info.param.in_flight) +
                                  (info.param.type == scaleout::comm::ElementType::bf16 ? "_bf16" : "_fp32");
                         });
