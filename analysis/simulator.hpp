#pragma once
// The analytical executor: runs the step programs of every pipeline stage as a discrete-event
// simulation against a cost model, honouring what the MPI executor honours (mpi_executor.hpp):
// - compute spans last the device's time plus the emulation's calibrated overhead;
// - a started operation completes in the background, after the operations started before it on the
//   same channel (one queue per communicator, as a communication stream runs its operations in order);
// - a wait blocks until its operation completes; a full pool of in-flight buffers waits for the oldest
//   operation that is not a pipeline send, and grows when only pipeline sends are in flight;
// - a pipeline receive blocks until its sender has issued the send, then for the transfer; the
//   stages' meeting after backward ends when the last stage arrives, plus its cost.
// Every rank of a stage runs the same program with the same group shapes, so one rank per stage is
// simulated and stands for all: a 16,384-rank layout costs as much as its pipeline depth.

#include <array>
#include <vector>

#include "analysis/calibration.hpp"
#include "analysis/cost_model.hpp"
#include "parallelism/algorithms.hpp"
#include "parallelism/layout.hpp"
#include "parallelism/program.hpp"
#include "parallelism/step_record.hpp"

namespace scaleout::analysis {

// Where the simulated rank of a stage (its dp = tp = cp = 0 rank) sits.
struct StagePlacement {
  int rank = 0, node = 0;
  std::array<GroupShape, parallelism::channel_count> groups{};  // per channel
};
// Ranks placed on nodes in blocks of `ranks_per_node`, as mpirun and srun place them.
std::vector<StagePlacement> place_stages(const parallelism::Layout& layout, int ranks_per_node);

// Each op's algorithm (parallelism/algorithms.hpp) on the placement, as the MPI executor chooses on the
// job's: program s is stage s % stages' (serving passes follow the prefill's programs).
void choose_algorithms(std::vector<parallelism::Program>& programs, comm::AlgorithmChoice choice,
                       const std::vector<StagePlacement>& placement);

struct SimulationModel {
  CostModel cost;
  double span_overhead = 0;  // seconds added to every compute span
  double span_relative = 0;  // and this share of its length
  int in_flight = 4;         // the MPI executor's buffer pool (emulation.in_flight)
};

// One step of every stage (index = stage), from a common start: each record's step is its stage's
// step time, the job's their maximum; its ops hold every op's times as the MPI executor's trace does. Throws MissingFit
// when the model lacks a tier or collective a program uses.
std::vector<parallelism::StepRecord> simulate_step(const std::vector<parallelism::Program>& programs,
                                                   const std::vector<StagePlacement>& placement,
                                                   const SimulationModel& model);

}  // namespace scaleout::analysis
