#pragma once
// A run's configuration resolved from its settings: the workload (model, device, layout, batch) and
// how to emulate and log it. Checks that need the world size happen in `fit_to_world`, on every rank
// alike, before any communication.

#include <cstdint>
#include <optional>
#include <string>

#include "comm/background_record.hpp"
#include "parallelism/compute_emulation.hpp"
#include "parallelism/workload.hpp"
#include "runs/config/options.hpp"

namespace scaleout::runs {

struct RunConfig {
  Settings settings;
  parallelism::Workload workload;
  int steps = 10;
  int warmup = 2;
  parallelism::ComputeMode compute = parallelism::ComputeMode::sleep;
  bool check = false;
  bool strict_memory = false;
  std::uint64_t seed = 1;
  int in_flight = 4;
  double watchdog_s = 0;                              // 0: derived from the step (runs/job/watchdog.hpp)
  double stop_grace_s = 10;                           // the option table holds the default and its reason
  std::optional<comm::BackgroundTraffic> background;  // emulation.background
  int stall_rank = -1;                                // test only: a rank that stops making progress at stall_step
  int stall_step = 0;
  int slow_rank = -1;  // test only: a rank whose compute spans last slow_factor times the device's
  double slow_factor = 1;
  std::string output;
  bool trace = false;
  bool log = true;  // output.log: false writes no run log
  bool overwrite = false;
  // dp.bucket_mb was not given: the framework's bucket, which can depend on dp, is made again by each
  // fit_to_world (predict fits one config to several job sizes).
  bool bucket_from_framework = false;

  // The passes (log rows per rank) one step makes: one in training; in inference a prefill and a
  // decode per further output token.
  int passes_per_step() const;
  int total_passes() const { return (warmup + steps) * passes_per_step(); }
};

// Resolves model and device (preset, then the fields given), and everything that does not depend on
// the world size. UsageError names the key and what is allowed.
RunConfig resolve(const Settings& settings);

// Completes the layout for `world_size` ranks (dp, global batch) and checks that it divides.
void fit_to_world(RunConfig& config, int world_size);

}  // namespace scaleout::runs
