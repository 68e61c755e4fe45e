// A config at another scale (runs/config/at_scale.hpp): with the device's node fabric, hops inside a
// node cost what that fabric takes instead of the calibration's host measurements.
#include <gtest/gtest.h>

#include "analysis/calibration.hpp"
#include "runs/config/at_scale.hpp"

namespace a = scaleout::analysis;
namespace r = scaleout::runs;

namespace {

// Measured on 2 nodes of 1 rank each: no intra-node tier.
a::Calibration network_only() {
  a::Calibration c;
  c.nodes = 2;
  c.ranks_per_node = 1;
  for (const auto collective : {a::Collective::allreduce, a::Collective::reduce_scatter, a::Collective::allgather,
                                a::Collective::alltoall, a::Collective::sendrecv}) {
    c.fits[{a::Tier::inter, collective, a::Progress::blocking}] =
        a::fit_collective(collective, 2, {{1e3, 1e-4}, {1e6, 2e-3}, {1e7, 1.9e-2}});
  }
  c.compute = a::fit_compute_overhead("sleep", {{1e-4, 1.1e-4}, {1e-3, 1.01e-3}});
  return c;
}

}  // namespace

TEST(AtScale, TheDevicesFabricCostsTheHopsInsideANode) {
  const auto calibration = network_only();
  const auto config = r::resolve(r::Settings::from_yaml("model: tiny\nparallel: {tp: 2}\n", "test.yaml"));
  const auto& fabric = config.workload.device.fabric;  // h100-sxm's NVLink 4
  const r::Scale one_node{.nodes = 1, .ranks_per_node = 2};

  const auto host = r::simulation_model(calibration, 4);
  EXPECT_FALSE(host.cost.has(a::Tier::intra, a::Collective::allreduce));
  EXPECT_THROW((void)r::predict_config(config, one_node, host), r::UsageError) << "the host's tier was not measured";

  const auto device = r::simulation_model(calibration, 4, {}, fabric);
  for (const auto progress : {a::Progress::blocking, a::Progress::polled}) {
    const auto hop = device.cost.hop(a::Tier::intra, progress);
    EXPECT_DOUBLE_EQ(hop.alpha, 3.4e-6);
    EXPECT_DOUBLE_EQ(hop.beta, 1.0 / 450e9);
    const auto& allreduce = device.cost.fit(a::Tier::intra, a::Collective::allreduce, progress).at(1e6);
    EXPECT_DOUBLE_EQ(allreduce.alpha, 3.4e-6);
  }
  // The network keeps the calibration's figures.
  EXPECT_DOUBLE_EQ(device.cost.fit(a::Tier::inter, a::Collective::allreduce).at(1e6).alpha,
                   host.cost.fit(a::Tier::inter, a::Collective::allreduce).at(1e6).alpha);
  // A tp 2 step inside one node is now predicted; its TP time is what NVLink takes, microseconds.
  const auto prediction = r::predict_config(config, one_node, device);
  const double tp = prediction.point.exposed.at("tp");
  EXPECT_GT(tp, 0.0);
  EXPECT_LT(tp, 1e-3);
}
