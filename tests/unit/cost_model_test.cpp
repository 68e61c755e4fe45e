// The cost model's formulas against hand-computed cases (docs/predict.md), the least-squares fit on
// synthetic measurements, and the calibration file's round trip and refusals.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/calibration.hpp"
#include "analysis/cost_model.hpp"

namespace a = scaleout::analysis;

namespace {

constexpr double us = 1e-6;

// `per_node` ranks on each of `nodes` nodes in turn.
a::GroupShape shape(int ranks, int per_node, int nodes) {
  return {.ranks = ranks, .per_node = per_node, .nodes = nodes, .node_of_rank = {}, .sharing_link = 1};
}

a::CostModel model() {
  a::CostModel m;
  for (int c = 0; c < a::collective_count; ++c) {
    m.set(a::Tier::intra, static_cast<a::Collective>(c), {2 * us, 0.01e-9});  // 100 GB/s
    m.set(a::Tier::inter, static_cast<a::Collective>(c), {20 * us, 1e-9});    // 1 GB/s
  }
  return m;
}

}  // namespace

TEST(CostModel, RingAllreduceInsideANode) {
  // 2(p-1) alpha + 2(p-1)/p n beta with p = 4, n = 1 MB: 6 x 2 us + 1.5 MB x 0.01 ns.
  EXPECT_NEAR(model().seconds(a::Collective::allreduce, shape(4, 4, 1), 1e6), 12 * us + 15 * us, 1e-12);
}

TEST(CostModel, OneRankPerNodeCostsOnTheNetwork) {
  // Reduce-scatter over 8 nodes: 7 x 20 us + 7/8 x 8 MB x 1 ns.
  EXPECT_NEAR(model().seconds(a::Collective::reduce_scatter, shape(8, 1, 8), 8e6), 140 * us + 7e-3, 1e-12);
  EXPECT_NEAR(model().seconds(a::Collective::allgather, shape(8, 1, 8), 8e6), 140 * us + 7e-3, 1e-12);
}

TEST(CostModel, HierarchicalAllreduceSplitsIntoIntraAndInterParts) {
  // 4 ranks on each of 2 nodes, n = 4 MB: intra reduce-scatter (3 alpha_i + 3/4 n beta_i), inter
  // allreduce of n/4 on 2 ranks (2 alpha_e + n/4 beta_e), intra allgather (as the reduce-scatter).
  const double intra = 3 * 2 * us + 0.75 * 4e6 * 0.01e-9;
  const double inter = 2 * 20 * us + 1e6 * 1e-9;
  EXPECT_NEAR(model().seconds(a::Collective::allreduce, shape(8, 4, 2), 4e6), 2 * intra + inter, 1e-12);
  EXPECT_NEAR(model().seconds(a::Collective::reduce_scatter, shape(8, 4, 2), 4e6), intra + (20 * us + 0.5e6 * 1e-9),
              1e-12);
}

TEST(CostModel, HierarchicalAlltoallSendsEachPeerItsShare) {
  // 8 ranks, 4 per node, each sends 8 MB: 3 peers inside at 1 MB, 4 peers outside at 1 MB.
  const double expected = 3 * (2 * us + 1e6 * 0.01e-9) + 4 * (20 * us + 1e6 * 1e-9);
  EXPECT_NEAR(model().seconds(a::Collective::alltoall, shape(8, 4, 2), 8e6), expected, 1e-12);
}

TEST(CostModel, PointToPointTakesTheTierOfItsEnds) {
  EXPECT_NEAR(model().point_to_point(true, 1e6), 2 * us + 10 * us, 1e-12);
  EXPECT_NEAR(model().point_to_point(false, 1e6), 20 * us + 1e-3, 1e-12);
  // A ring exchange costs one message, on the network as soon as the group spans nodes.
  EXPECT_NEAR(model().seconds(a::Collective::sendrecv, shape(4, 2, 2), 1e6), 20 * us + 1e-3, 1e-12);
}

// Own algorithms, hop by hop on the placement, with the point-to-point fits: intra 2 us + 0.01 ns/B,
// inter 20 us + 1 ns/B.
constexpr auto ring = scaleout::comm::Algorithm::ring;

TEST(CostModelOwnAlgorithms, ARingInsideANodeIsItsRoundsAndItsBusiestRanksBytes) {
  // 6 rounds of one chunk; every rank sends 2 x 3/4 x 1 MB to its neighbour in the node.
  EXPECT_NEAR(model().seconds(a::Collective::allreduce, shape(4, 4, 1), 1e6, a::Progress::blocking, ring),
              6 * 2 * us + 1.5e6 * 0.01e-9, 1e-12);
}

TEST(CostModelOwnAlgorithms, AFlatRingAcrossNodesLoadsEachNodesLinkOnce) {
  // 2 nodes of 2 ranks, ring 0 1 | 2 3: ranks 1 and 3 send across, each 2 x 3/4 x 4 MB, one flow per
  // node; every round has a network hop.
  const a::GroupShape two_by_two{4, 2, 2, {0, 0, 1, 1}, 1};
  const double bytes = 1.5 * 4e6;
  EXPECT_NEAR(model().seconds(a::Collective::allreduce, two_by_two, 4e6, a::Progress::blocking, ring),
              6 * 20 * us + bytes * 1e-9, 1e-12);
  // A fit measured with 2 ranks per node sharing the link is 2 links' beta; 2 groups at once share it.
  auto calibrated_on_two = model();
  calibrated_on_two.set_link_sharing_at_calibration(2);
  EXPECT_NEAR(calibrated_on_two.seconds(a::Collective::allreduce, two_by_two, 4e6, a::Progress::blocking, ring),
              6 * 20 * us + bytes * 1e-9 / 2, 1e-12);
  a::GroupShape shared = two_by_two;
  shared.sharing_link = 2;
  EXPECT_NEAR(calibrated_on_two.seconds(a::Collective::allreduce, shared, 4e6, a::Progress::blocking, ring),
              6 * 20 * us + bytes * 1e-9, 1e-12);
}

TEST(CostModelOwnAlgorithms, ATreeMovesHalfTheBufferEachWayOverEachOfItsTwoTrees) {
  // 4 nodes of one rank; a leaf of one tree is inner in the other: the busiest node sends and
  // receives about S in all, fewer rounds than the ring's 6 for a small message.
  const a::GroupShape four{4, 1, 4, {0, 1, 2, 3}, 1};
  const double tree =
      model().seconds(a::Collective::allreduce, four, 4096, a::Progress::blocking, scaleout::comm::Algorithm::tree);
  const double flat = model().seconds(a::Collective::allreduce, four, 4096, a::Progress::blocking, ring);
  EXPECT_LT(tree, flat);
  EXPECT_GT(tree, 2 * 20 * us);  // at least up and down one level
}

TEST(CostModelOwnAlgorithms, PairwiseAllToAllSendsEveryRemoteBlockAcrossTheLink) {
  // 2 nodes of 2 ranks, 4 MB per rank in blocks of 1 MB: each rank sends 2 blocks to the other node,
  // so each node's link carries 4 MB each way; one block per rank stays in the node.
  const a::GroupShape two_by_two{4, 2, 2, {0, 0, 1, 1}, 1};
  // The 3 exchanges are posted at once (a window holds them): one round, across the network.
  const double expected = 20 * us + 4e6 * 1e-9;
  EXPECT_NEAR(model().seconds(a::Collective::alltoall, two_by_two, 4e6, a::Progress::blocking,
                              scaleout::comm::Algorithm::pairwise),
              expected, 1e-9);
}

TEST(CostModel, ASingleRankMovesNothing) {
  EXPECT_EQ(model().seconds(a::Collective::allreduce, shape(1, 1, 1), 1e9), 0.0);
}

TEST(CostModel, WhatIfScalesOneTier) {
  auto m = model();
  m.scale_bandwidth(a::Tier::inter, 4);
  m.scale_latency(a::Tier::inter, 2);
  EXPECT_NEAR(m.point_to_point(false, 1e6), 40 * us + 0.25e-3, 1e-12);
  EXPECT_NEAR(m.point_to_point(true, 1e6), 12 * us, 1e-12);  // intra-node unchanged
}

TEST(CostModel, PolledOperationsHaveTheirOwnFitOrFallBackToBlocking) {
  auto m = model();
  EXPECT_NEAR(m.point_to_point(true, 1e6, a::Progress::polled), 12 * us, 1e-12);
  m.set(a::Tier::intra, a::Collective::sendrecv, a::AlphaBeta{50 * us, 0.1e-9}, a::Progress::polled);
  EXPECT_NEAR(m.point_to_point(true, 1e6, a::Progress::polled), 150 * us, 1e-12);
  EXPECT_NEAR(m.point_to_point(true, 1e6), 12 * us, 1e-12);
  m.scale_bandwidth(a::Tier::intra, 2);
  EXPECT_NEAR(m.point_to_point(true, 1e6, a::Progress::polled), 100 * us, 1e-12);
}

TEST(CostModel, PiecesHoldFromTheirFirstSize) {
  a::CostModel m;
  m.set(a::Tier::intra, a::Collective::sendrecv, a::PiecewiseCost{{{0, {1 * us, 1e-9}}, {1e6, {10 * us, 0.5e-9}}}});
  EXPECT_NEAR(m.point_to_point(true, 1e3), 1 * us + 1 * us, 1e-12);
  EXPECT_NEAR(m.point_to_point(true, 4e6), 10 * us + 2e-3, 1e-12);
}

TEST(CostModel, AMissingTierIsNamed) {
  a::CostModel m;
  m.set(a::Tier::intra, a::Collective::allreduce, {1 * us, 1e-10});
  try {
    (void)m.seconds(a::Collective::allreduce, shape(4, 1, 4), 1e6);
    FAIL() << "no inter-node fit, no cost";
  } catch (const a::MissingFit& error) {
    EXPECT_NE(std::string(error.what()).find("inter-node"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("at least 2 nodes"), std::string::npos) << error.what();
  }
}

TEST(HopFit, TakesTheSmallestSizesLatencyAndTheLargestSizesBandwidthAndDropsTimesALargerSizeBeats) {
  a::Fit sendrecv;
  sendrecv.cost.pieces = {{0, {500 * us, 0}}, {1e6, {0, 1e-9}}};  // the last piece: 1 GB/s
  // 16 KiB took 4 ms once (a descheduled rank), more than 1 MB took: it cannot have cost more.
  sendrecv.points = {{16384, 4e-3, 0}, {65536, 150 * us, 0}, {1e6, 1.2e-3, 0}, {4e6, 4.2e-3, 0}};
  const a::AlphaBeta hop = a::hop_of(sendrecv);
  EXPECT_NEAR(hop.beta, 1e-9, 1e-18);
  EXPECT_NEAR(hop.alpha, 150 * us - 16384 * 1e-9, 1e-12);
  // A calibration's cost model uses it for own algorithms' hops, and what-ifs scale it.
  a::CostModel m;
  m.set_hop(a::Tier::inter, hop);
  m.scale_bandwidth(a::Tier::inter, 2);
  EXPECT_NEAR(m.hop(a::Tier::inter).beta, 0.5e-9, 1e-18);
  EXPECT_NEAR(m.hop(a::Tier::inter, a::Progress::polled).alpha, hop.alpha, 1e-15);  // falls back to blocking
}

TEST(Fit, RecoversAlphaAndBetaFromExactMeasurements) {
  // Allreduce on 4 ranks with alpha 5 us, beta 0.5 ns/B: t = 30 us + 0.75 ns x S.
  std::vector<std::pair<double, double>> measured;
  for (double bytes = 4096; bytes <= 64e6; bytes *= 4) measured.emplace_back(bytes, 30 * us + 0.75e-9 * bytes);
  const auto fit = a::fit_collective(a::Collective::allreduce, 4, measured);
  EXPECT_NEAR(fit.cost.pieces[0].cost.alpha, 5 * us, 1e-12);
  EXPECT_NEAR(fit.cost.pieces[0].cost.beta, 0.5e-9, 1e-18);
  EXPECT_LT(fit.max_residual, 1e-9);
  EXPECT_EQ(fit.points.size(), measured.size());
}

TEST(Fit, ResidualsAreRelativeAndLatencyIsNeverNegative) {
  // Times that would need a negative intercept: alpha is held at 0 and the residuals show the misfit.
  const std::vector<std::pair<double, double>> measured = {{1e3, 1e-7}, {1e6, 2e-3}, {1e7, 2.1e-2}};
  const auto fit = a::fit_collective(a::Collective::sendrecv, 2, measured);
  EXPECT_EQ(fit.cost.pieces[0].cost.alpha, 0.0);
  EXPECT_GT(fit.cost.pieces[0].cost.beta, 0.0);
  EXPECT_GT(fit.max_residual, 0.1);
  for (const auto& p : fit.points) EXPECT_NEAR(p.fitted, fit.cost.pieces[0].cost.beta * p.bytes, 1e-15);
}

TEST(Fit, ComputeOverheadIsAConstantAndAShare) {
  std::vector<std::pair<double, double>> measured;
  for (double requested : {1e-4, 1e-3, 1e-2}) measured.emplace_back(requested, 3 * us + 1.002 * requested);
  const auto overhead = a::fit_compute_overhead("sleep", measured);
  EXPECT_NEAR(overhead.per_span, 3 * us, 1e-10);
  EXPECT_NEAR(overhead.relative, 0.002, 1e-7);
}

TEST(Fit, NeedsTwoSizes) {
  EXPECT_THROW((void)a::fit_collective(a::Collective::allreduce, 2, {{1e3, 1e-5}}), std::invalid_argument);
}

namespace {

a::Calibration sample_calibration() {
  a::Calibration c;
  c.created = "2026-11-24T00:00:00Z";
  c.tool_version = "test";
  c.mpi_library = "Open MPI v4.1.4";
  c.transport = "ob1-tcp";
  c.hostnames = "node1,node2";
  c.nodes = 2;
  c.ranks_per_node = 2;
  c.fits[{a::Tier::inter, a::Collective::allreduce, a::Progress::blocking}] =
      a::fit_collective(a::Collective::allreduce, 2, {{1e3, 1e-4}, {1e6, 2e-3}, {1e7, 1.9e-2}});
  c.compute = a::fit_compute_overhead("sleep", {{1e-4, 1.1e-4}, {1e-3, 1.01e-3}});
  return c;
}

}  // namespace

TEST(CalibrationFile, RoundTrips) {
  const auto c = sample_calibration();
  const auto read = a::calibration_from_json(a::to_json(c), "c.json");
  EXPECT_EQ(read.hostnames, "node1,node2");
  EXPECT_EQ(read.ranks_per_node, 2);
  ASSERT_EQ(read.fits.size(), 1u);
  const auto& fit = read.fits.at({a::Tier::inter, a::Collective::allreduce, a::Progress::blocking});
  const auto& original = c.fits.at({a::Tier::inter, a::Collective::allreduce, a::Progress::blocking});
  EXPECT_DOUBLE_EQ(fit.cost.pieces[0].cost.alpha, original.cost.pieces[0].cost.alpha);
  EXPECT_DOUBLE_EQ(fit.cost.pieces[0].cost.beta, original.cost.pieces[0].cost.beta);
  EXPECT_EQ(fit.points.size(), 3u);
  EXPECT_DOUBLE_EQ(read.compute.per_span, c.compute.per_span);
  EXPECT_TRUE(read.cost_model().has(a::Tier::inter, a::Collective::allreduce));
  EXPECT_FALSE(read.cost_model().has(a::Tier::intra, a::Collective::allreduce));
}

TEST(CalibrationFile, RefusalsNameTheFileAndField) {
  const auto refused = [](const std::string& text, const std::string& expected) {
    try {
      (void)a::calibration_from_json(text, "c.json");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const a::CalibrationError& error) {
      const std::string message = error.what();
      EXPECT_EQ(message.rfind("c.json: ", 0), 0u) << message;
      EXPECT_NE(message.find(expected), std::string::npos) << message;
    }
  };
  refused("", "not JSON");
  refused("[1, 2]", "scaleout-calibration");
  refused(R"({"format": "scaleout-calibration", "version": 9})", "version");
  std::string text = a::to_json(sample_calibration());
  refused(std::string(text).replace(text.find("\"alpha_s\""), 10, "\"alpha_s\": -1, \"x\":"), "fits.pieces.alpha_s");
  refused(std::string(text).replace(text.find("\"intra\"") == std::string::npos ? text.find("\"inter\"") : 0, 7,
                                    "\"outer\""),
          "fits.tier");
  refused(std::string(text).replace(text.find("\"ranks_per_node\""), 16, "\"ranks_per_nod\""),
          "cluster.ranks_per_node");
  // Past what a measurement can be: a beta of 1e300 made inf step times beside "2.00x" speedups.
  refused(std::string(text).replace(text.find("\"beta_s_per_byte\""), 18, "\"beta_s_per_byte\": 1e300, \"y\":"),
          "fits.pieces.beta_s_per_byte must be at most 0.001");
  refused(std::string(text).replace(text.find("\"alpha_s\""), 10, "\"alpha_s\": 100, \"x\":"),
          "fits.pieces.alpha_s must be at most 10");
  refused(std::string(text).replace(text.find("\"mode\""), 7, "\"mode\": \"warp\", \"z\":"),
          "compute.mode 'warp' is not a compute mode; allowed: sleep, spin");
}
