// The schedule and the judge of `scaleout fabric` on matrices made by hand: who is named (a slow node,
// a slow pair), who is not (noise, a pair touching a slow node), and the study's two passes (a
// suspect cleared or confirmed by its retest).

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <utility>
#include <vector>

#include "analysis/fabric_study.hpp"
#include "analysis/fabric_verdict.hpp"
#include "comm/fabric_record.hpp"

namespace scaleout::analysis {
namespace {

constexpr double gbit = 1e9 / 8;  // bytes per second of 1 Gbit/s

// Entry [row][column] of an n x n matrix kept row by row.
std::size_t cell(int row, int column, int n) {
  return static_cast<std::size_t>(row) * static_cast<std::size_t>(n) + static_cast<std::size_t>(column);
}

// n x n directions at `rate`, NaN on the diagonal.
std::vector<double> uniform(int n, double rate) {
  std::vector<double> m(cell(n, 0, n), rate);
  for (int k = 0; k < n; ++k) m[cell(k, k, n)] = std::nan("");
  return m;
}

void set_both(std::vector<double>& m, int n, int a, int b, double rate) {
  m[cell(a, b, n)] = rate;
  m[cell(b, a, n)] = rate;
}

// Every direction gets a deterministic wobble of up to +-`share` of its rate.
void wobble(std::vector<double>& m, double share) {
  for (std::size_t k = 0; k < m.size(); ++k) m[k] *= 1.0 + share * std::sin(static_cast<double>(k) * 2.399);
}

// Every direction between switch `s` (of `switch_of`) and the others at `rate`.
void slow_leaving(std::vector<double>& m, const std::vector<int>& switch_of, int s, double rate) {
  const int n = static_cast<int>(switch_of.size());
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a != b && (switch_of[a] == s) != (switch_of[b] == s)) m[cell(a, b, n)] = rate;
    }
  }
}

TEST(RoundRobin, MeetsEveryPairOnceInDisjointRounds) {
  for (int n = 2; n <= 9; ++n) {
    const auto rounds = comm::round_robin(n);
    EXPECT_EQ(static_cast<int>(rounds.size()), n % 2 == 0 ? n - 1 : n) << n;
    std::set<std::pair<int, int>> met;
    for (const auto& round : rounds) {
      std::set<int> busy;
      for (const auto& [a, b] : round) {
        ASSERT_NE(a, b);
        ASSERT_TRUE(busy.insert(a).second) << "participant " << a << " twice in one round of " << n;
        ASSERT_TRUE(busy.insert(b).second) << "participant " << b << " twice in one round of " << n;
        ASSERT_TRUE(met.emplace(std::min(a, b), std::max(a, b)).second) << "pair met twice, n=" << n;
      }
      EXPECT_GE(static_cast<int>(busy.size()), n - 1) << "a round leaves more than one participant resting";
    }
    EXPECT_EQ(static_cast<int>(met.size()), n * (n - 1) / 2) << n;
  }
  EXPECT_TRUE(comm::round_robin(1).empty());
  EXPECT_TRUE(comm::round_robin(0).empty());
}

TEST(JudgeFabric, AllEqualIsHealthy) {
  const auto verdict = judge_fabric(uniform(8, gbit), 8, {});
  EXPECT_TRUE(verdict.healthy());
  EXPECT_DOUBLE_EQ(verdict.reference_bytes_s, gbit);
  EXPECT_DOUBLE_EQ(verdict.median_bytes_s, gbit);
  EXPECT_EQ(verdict.mad_bytes_s, 0.0);
}

TEST(JudgeFabric, ANodeAtAQuarterIsNamedNotItsPairs) {
  const int n = 6;
  auto m = uniform(n, gbit);
  for (int peer = 0; peer < n; ++peer) {
    if (peer != 2) set_both(m, n, 2, peer, gbit / 4);
  }
  wobble(m, 0.02);
  const auto verdict = judge_fabric(m, n, {});
  ASSERT_EQ(verdict.nodes.size(), 1u);
  EXPECT_EQ(verdict.nodes[0].index, 2);
  EXPECT_EQ(verdict.nodes[0].fault, NodeFault::slower_than_peers);
  EXPECT_NEAR(verdict.nodes[0].share, 0.25, 0.02);
  EXPECT_TRUE(verdict.pairs.empty()) << "the node's pairs are explained by the node";
  // The reference is the healthy rate: a slow node does not drag the median of the figures.
  EXPECT_NEAR(verdict.reference_bytes_s, gbit, 0.03 * gbit);
}

TEST(JudgeFabric, ASlowPairIsNamedNotItsNodes) {
  const int n = 6;
  auto m = uniform(n, gbit);
  set_both(m, n, 1, 4, gbit / 4);
  wobble(m, 0.02);
  const auto verdict = judge_fabric(m, n, {});
  EXPECT_TRUE(verdict.nodes.empty());
  ASSERT_EQ(verdict.pairs.size(), 1u);
  EXPECT_EQ(verdict.pairs[0].a, 1);
  EXPECT_EQ(verdict.pairs[0].b, 4);
  EXPECT_NEAR(verdict.pairs[0].share, 0.25, 0.02);
}

TEST(JudgeFabric, OneSlowDirectionNamesItsPair) {
  const int n = 4;
  auto m = uniform(n, gbit);
  m[cell(3, 0, n)] = gbit / 3;  // 3 -> 0 only
  const auto verdict = judge_fabric(m, n, {});
  ASSERT_EQ(verdict.pairs.size(), 1u);
  EXPECT_EQ(verdict.pairs[0].a, 0);
  EXPECT_EQ(verdict.pairs[0].b, 3);
  EXPECT_DOUBLE_EQ(verdict.pairs[0].a_to_b_s, gbit);
  EXPECT_DOUBLE_EQ(verdict.pairs[0].b_to_a_s, gbit / 3);
}

TEST(JudgeFabric, APairSlowerStillThanItsSlowNodeIsNamedToo) {
  const int n = 6;
  auto m = uniform(n, gbit);
  for (int peer = 0; peer < n; ++peer) {
    if (peer != 0) set_both(m, n, 0, peer, gbit / 2);
  }
  set_both(m, n, 0, 5, gbit / 10);
  const auto verdict = judge_fabric(m, n, {});
  ASSERT_EQ(verdict.nodes.size(), 1u);
  EXPECT_EQ(verdict.nodes[0].index, 0);
  ASSERT_EQ(verdict.pairs.size(), 1u);
  EXPECT_EQ(verdict.pairs[0].a, 0);
  EXPECT_EQ(verdict.pairs[0].b, 5);
}

TEST(JudgeFabric, NoiseWithinTheSpreadNamesNobody) {
  const int n = 8;
  auto m = uniform(n, gbit);
  wobble(m, 0.15);  // a noisy host: directions spread by up to 15 %
  EXPECT_TRUE(judge_fabric(m, n, {}).healthy());
  // A dip to 75 % among directions that spread by +-30 % is within 3 robust deviations: not named.
  auto noisy = uniform(n, gbit);
  wobble(noisy, 0.3);
  set_both(noisy, n, 2, 5, 0.75 * gbit);
  const auto verdict = judge_fabric(noisy, n, {});
  EXPECT_TRUE(verdict.pairs.empty()) << "MAD " << verdict.mad_bytes_s / gbit;
  // The same dip among directions that agree is named.
  auto quiet = uniform(n, gbit);
  set_both(quiet, n, 2, 5, 0.75 * gbit);
  ASSERT_EQ(judge_fabric(quiet, n, {}).pairs.size(), 1u);
}

TEST(JudgeFabric, BelowTheExpectedRateIsNamedEvenWhenAllAgree) {
  const int n = 4;
  const auto m = uniform(n, 0.5 * gbit);
  EXPECT_TRUE(judge_fabric(m, n, {}).healthy());
  const auto verdict = judge_fabric(m, n, {.threshold = 0.8, .expected_bytes_s = gbit});
  ASSERT_EQ(verdict.nodes.size(), 4u);
  for (const auto& node : verdict.nodes) {
    EXPECT_EQ(node.fault, NodeFault::below_expected);
    EXPECT_DOUBLE_EQ(node.share, 0.5);
  }
  EXPECT_TRUE(judge_fabric(m, n, {.threshold = 0.8, .expected_bytes_s = 0.55 * gbit}).healthy());
}

TEST(JudgeFabric, ABadCableIsNamedInAFabricBelowItsExpectedRate) {
  // Every link at half the expected rate names every node; a cable at a fifth of its peers is still
  // named as a pair (its noise comes from the directions between nodes not slower than their peers).
  const int n = 4;
  auto m = uniform(n, 0.5 * gbit);
  set_both(m, n, 1, 3, 0.1 * gbit);
  const auto verdict = judge_fabric(m, n, {.threshold = 0.8, .expected_bytes_s = gbit});
  EXPECT_EQ(verdict.nodes.size(), 4u);
  ASSERT_EQ(verdict.pairs.size(), 1u);
  EXPECT_EQ(std::pair(verdict.pairs[0].a, verdict.pairs[0].b), std::pair(1, 3));
  EXPECT_FALSE(std::isnan(verdict.mad_bytes_s));
}

TEST(JudgeFabric, TwoParticipantsAreJudgedOnlyByTheExpectedRate) {
  auto m = uniform(2, gbit);
  m[1] = gbit / 10;  // 0 -> 1
  EXPECT_TRUE(judge_fabric(m, 2, {}).healthy()) << "two figures are one: no peer to compare with";
  const auto verdict = judge_fabric(m, 2, {.threshold = 0.8, .expected_bytes_s = gbit});
  EXPECT_EQ(verdict.nodes.size(), 2u);
}

TEST(SuspectPairs, EveryPairOfANamedNodeAndEveryNamedPairOnce) {
  FabricVerdict verdict;
  verdict.nodes = {{.index = 2, .bytes_s = 1, .share = 0.2, .fault = NodeFault::slower_than_peers}};
  verdict.pairs = {{.a = 0, .b = 2}, {.a = 1, .b = 3}};
  const auto pairs = suspect_pairs(verdict, 4);
  const std::vector<std::pair<int, int>> expected = {{0, 2}, {1, 2}, {2, 3}, {1, 3}};
  EXPECT_EQ(pairs, expected);
}

constexpr std::uint64_t bytes = 1 << 20;  // each way, in the studies below

// A study of four participants measured at one size: every direction at `rate` but those given.
comm::FabricSamples samples_at(double rate, const std::vector<std::pair<std::pair<int, int>, double>>& slow) {
  auto samples = comm::empty_samples({0, 1, 2, 3}, {bytes}, 3);
  for (int from = 0; from < 4; ++from) {
    for (int to = 0; to < 4; ++to) {
      if (from == to) continue;
      double r = rate;
      for (const auto& [pair, value] : slow) {
        if (pair == std::pair{from, to}) r = value;
      }
      for (int i = 0; i < 3; ++i) samples.receive_s[samples.receive_index(0, from, to, i)] = bytes / r;
    }
  }
  return samples;
}

FabricStudy study_of(comm::FabricSamples all_pairs) {
  FabricStudy study;
  study.labels = study.hosts = {"n0", "n1", "n2", "n3"};
  study.all_pairs = std::move(all_pairs);
  FabricGroup all;
  all.name = "all";
  all.members = {0, 1, 2, 3};
  study.groups.push_back(std::move(all));
  return study;
}

TEST(FabricStudy, ASuspectFastWhenRetestedAloneIsCleared) {
  FabricStudy study = study_of(samples_at(gbit, {{{1, 2}, gbit / 5}, {{2, 1}, gbit / 5}}));
  judge_first(study, 8);
  ASSERT_EQ(study.groups[0].first.pairs.size(), 1u);
  const auto again = retest_pairs(study);
  ASSERT_EQ(again, (std::vector<std::pair<int, int>>{{1, 2}}));
  study.retest = samples_at(gbit, {});  // alone, the pair ran at full rate
  judge_final(study);
  EXPECT_TRUE(study.healthy());
  EXPECT_TRUE(study.drain().empty());
}

// n3 at a fifth of the rate to and from every peer.
comm::FabricSamples node_three_slow() {
  const double slow = gbit / 5;
  return samples_at(gbit,
                    {{{3, 0}, slow}, {{3, 1}, slow}, {{3, 2}, slow}, {{0, 3}, slow}, {{1, 3}, slow}, {{2, 3}, slow}});
}

TEST(FabricStudy, ASuspectSlowWhenRetestedIsNamedAndItsHostsDrained) {
  FabricStudy study = study_of(node_three_slow());
  judge_first(study, 8);
  EXPECT_EQ(retest_pairs(study).size(), 3u);
  study.retest = study.all_pairs;
  judge_final(study);
  EXPECT_FALSE(study.healthy());
  EXPECT_EQ(study.drain(), std::vector<std::string>{"n3"});
  const auto json = verdict_json(study);
  EXPECT_EQ(json["drain"], nlohmann::json::array({"n3"}));
  EXPECT_EQ(json["groups"][0]["nodes"][0]["host"], "n3");
}

TEST(FabricStudy, TheRetestNamesNothingTheFirstVerdictDidNot) {
  FabricStudy study = study_of(samples_at(gbit, {{{1, 2}, gbit / 5}, {{2, 1}, gbit / 5}}));
  judge_first(study, 8);
  ASSERT_EQ(retest_pairs(study), (std::vector<std::pair<int, int>>{{1, 2}}));
  // Between the passes a pair never suspected turns slow in the all-pairs samples (as a moved
  // reference or spread would make it): the final verdict does not name it, since it was not
  // measured again alone.
  const double slow = gbit / 5;
  for (const auto& [from, to] : {std::pair{0, 3}, std::pair{3, 0}}) {
    for (int i = 0; i < 3; ++i) {
      study.all_pairs.receive_s[study.all_pairs.receive_index(0, from, to, i)] = bytes / slow;
    }
  }
  study.retest = samples_at(gbit, {{{1, 2}, gbit / 5}, {{2, 1}, gbit / 5}});  // confirmed alone
  judge_final(study);
  ASSERT_EQ(study.groups[0].verdict.pairs.size(), 1u);
  EXPECT_EQ(std::pair(study.groups[0].verdict.pairs[0].a, study.groups[0].verdict.pairs[0].b), std::pair(1, 2));
}

TEST(FabricStudy, ASlowSwitchIsNamedOnlyWhenItsPairsAreSlowAgainAlone) {
  const double slow = gbit / 4;
  std::vector<std::pair<std::pair<int, int>, double>> across;
  for (const int a : {0, 1}) {
    for (const int b : {2, 3}) {
      across.push_back({{a, b}, slow});
      across.push_back({{b, a}, slow});
    }
  }
  for (const bool slow_again : {false, true}) {
    FabricStudy study = study_of(samples_at(gbit, across));
    study.switch_source = "topology.conf";
    study.switch_names = {"s0", "s1", "spine"};
    study.switch_of = {0, 0, 1, 1};
    judge_first(study, 8);
    ASSERT_EQ(study.groups[0].first.switches.size(), 1u);
    EXPECT_EQ(retest_pairs(study), (std::vector<std::pair<int, int>>{{0, 2}, {1, 2}, {0, 3}, {1, 3}}))
        << "every pair across the two switches";
    study.retest = slow_again ? samples_at(gbit, across) : samples_at(gbit, {});
    judge_final(study);
    EXPECT_EQ(study.healthy(), !slow_again);
    EXPECT_TRUE(study.drain().empty()) << "a switch is no host to drain";
    if (slow_again) {
      const auto json = verdict_json(study)["groups"][0]["switches"][0];
      EXPECT_EQ(json["switch"], "between switches");
      EXPECT_EQ(json["switches"], nlohmann::json::array({"s0", "s1"}));
      EXPECT_EQ(json["members"], nlohmann::json::array({"n0", "n1", "n2", "n3"}));
      EXPECT_NEAR(json["share"].get<double>(), 0.25, 1e-9);
    }
  }
}

TEST(FabricStudy, TheRetestBudgetBoundsThePairs) {
  FabricStudy study = study_of(node_three_slow());
  judge_first(study, 2);
  EXPECT_EQ(retest_pairs(study).size(), 2u);
}

TEST(Bisection, PairsTheFirstHalfWithTheSecondAndRestsTheOddOneOut) {
  EXPECT_EQ(comm::bisection_partner(0, 4), 2);
  EXPECT_EQ(comm::bisection_partner(3, 4), 1);
  for (int n = 2; n <= 9; ++n) {
    int resting = 0;
    for (int me = 0; me < n; ++me) {
      const int partner = comm::bisection_partner(me, n);
      if (partner < 0) {
        ++resting;
        continue;
      }
      EXPECT_NE(partner, me);
      EXPECT_EQ(comm::bisection_partner(partner, n), me) << "n=" << n;
    }
    EXPECT_EQ(resting, n % 2) << "n=" << n;
  }
  EXPECT_EQ(comm::bisection_partner(0, 1), -1);
}

TEST(Congestion, TheImpactIsCongestedOverIsolatedAndTheLoadIsPerNode) {
  FabricStudy study = study_of(samples_at(gbit, {}));
  judge_first(study, 8);
  judge_final(study);
  FabricCongestion congestion;
  congestion.congested = samples_at(gbit / 2, {});  // every transfer twice as long
  congestion.congested.round_trip_s = study.all_pairs.round_trip_s;
  // Two background ranks on n0 and one on n1, each over 1 s, in shares of the reference: n0 sends
  // 0.25 + 0.25 and receives 0.1 + 0.1 (its link carries 0.5 out); n1 sends 0.1 and receives 0.3.
  const auto rank = [&](int world_rank, const char* host, double sent, double received) {
    return BackgroundRank{
        world_rank,
        host,
        {static_cast<std::uint64_t>(sent * gbit), static_cast<std::uint64_t>(received * gbit), 1.0, 10}};
  };
  congestion.background = {rank(4, "n0", 0.25, 0.1), rank(5, "n0", 0.25, 0.1), rank(6, "n1", 0.1, 0.3)};
  const CongestionFigures f = congestion_figures(study, congestion);
  EXPECT_DOUBLE_EQ(f.bandwidth.p50, 2.0);
  EXPECT_DOUBLE_EQ(f.bandwidth.p99, 2.0);
  EXPECT_TRUE(std::isnan(f.latency.p50)) << "no round trips measured in either pass";
  EXPECT_NEAR(f.node_load_bytes_s, 0.4 * gbit, 1.0);  // the median of n0's 0.5 out and n1's 0.3 in
  EXPECT_NEAR(f.load_share, 0.4, 1e-9);
  EXPECT_EQ(f.units, 30);
  study.congestion = congestion;
  EXPECT_EQ(verdict_json(study)["congestion"]["pattern"], "alltoall");
}

TEST(Congestion, ARunsSlowdownIsItsStepsUnderTheBackgroundOverTheSameStepsAlone) {
  RunSummary alone, under;
  alone.step_p50 = 0.100;
  alone.step_p95 = 0.120;
  alone.exposed_total = 0.020;
  under.step_p50 = 0.150;
  under.step_p95 = 0.240;
  under.exposed_total = 0.070;
  // A background rank on each of two nodes: 1 GB out and 0.5 GB in over 2 s; 0.2 GB both ways over 1 s.
  const std::vector<BackgroundRank> background = {{3, "n0", {1'000'000'000, 500'000'000, 2.0, 7}},
                                                  {5, "n1", {200'000'000, 200'000'000, 1.0, 4}}};
  const RunCongestion c = run_congestion(comm::BackgroundPattern::incast, 4096, alone, under, background);
  EXPECT_EQ(c.pattern, comm::BackgroundPattern::incast);
  EXPECT_EQ(c.unit_bytes, 4096u);
  EXPECT_EQ(c.background_ranks, 2);
  EXPECT_DOUBLE_EQ(c.slowdown_p50(), 1.5);
  EXPECT_DOUBLE_EQ(c.slowdown_p95(), 2.0);
  EXPECT_NEAR(c.load.node_load_bytes_s, 0.35e9, 1.0);  // the median of n0's 0.5 GB/s out and n1's 0.2
  EXPECT_EQ(c.load.units, 11);
  const auto figures = c.figures();
  EXPECT_DOUBLE_EQ(figures.at("step_slowdown_p50"), 1.5);
  EXPECT_DOUBLE_EQ(figures.at("exposed_isolated_s"), 0.020);
  EXPECT_DOUBLE_EQ(figures.at("exposed_s"), 0.070);
  EXPECT_NEAR(figures.at("node_load_gbs"), 0.35, 1e-9);
}

TEST(JudgeSwitches, OneSwitchSlowToTheRestIsNamedAndNotItsMembers) {
  const std::vector<int> switch_of = {0, 0, 1, 1, 2, 2};
  const int n = 6;
  auto m = uniform(n, gbit);
  slow_leaving(m, switch_of, 0, gbit / 4);
  wobble(m, 0.02);
  const auto verdict = judge_fabric(m, n, {}, switch_of);
  ASSERT_EQ(verdict.switches.size(), 1u);
  EXPECT_EQ(verdict.switches[0].switch_index, 0);
  EXPECT_NEAR(verdict.switches[0].share, 0.25, 0.02);
  EXPECT_NEAR(verdict.inside_switch_bytes_s, gbit, 0.02 * gbit);
  EXPECT_TRUE(verdict.nodes.empty()) << "its members were slow to their peers: the switch explains it";
  EXPECT_TRUE(verdict.pairs.empty());
  EXPECT_FALSE(verdict.healthy());
  // Without the switches, its two members are named instead.
  EXPECT_EQ(judge_fabric(m, n, {}).nodes.size(), 2u);
}

TEST(JudgeSwitches, EverySwitchSlowAlikeIsTheLinksBetweenThem) {
  // Two switches of two: the node rule cannot see it (every node's figure is as slow as the reference).
  const std::vector<int> switch_of = {0, 0, 1, 1};
  auto m = uniform(4, gbit);
  slow_leaving(m, switch_of, 0, gbit / 4);
  wobble(m, 0.02);
  EXPECT_TRUE(judge_fabric(m, 4, {}).healthy());
  const auto verdict = judge_fabric(m, 4, {}, switch_of);
  ASSERT_EQ(verdict.switches.size(), 1u);
  EXPECT_EQ(verdict.switches[0].switch_index, -1);
  EXPECT_NEAR(verdict.switches[0].share, 0.25, 0.02);
  EXPECT_TRUE(verdict.nodes.empty() && verdict.pairs.empty());
}

TEST(JudgeSwitches, ASlowNodeOrCableIsNotTakenForItsSwitch) {
  const std::vector<int> switch_of = {0, 0, 1, 1};
  auto node = uniform(4, gbit);
  for (int peer = 1; peer < 4; ++peer) set_both(node, 4, 0, peer, gbit / 4);
  wobble(node, 0.02);
  auto verdict = judge_fabric(node, 4, {}, switch_of);
  EXPECT_TRUE(verdict.switches.empty());
  ASSERT_EQ(verdict.nodes.size(), 1u);
  EXPECT_EQ(verdict.nodes[0].index, 0);
  auto cable = uniform(4, gbit);
  set_both(cable, 4, 0, 2, gbit / 4);
  wobble(cable, 0.02);
  verdict = judge_fabric(cable, 4, {}, switch_of);
  EXPECT_TRUE(verdict.switches.empty());
  ASSERT_EQ(verdict.pairs.size(), 1u);
  EXPECT_EQ(std::make_pair(verdict.pairs[0].a, verdict.pairs[0].b), std::make_pair(0, 2));
}

TEST(JudgeSwitches, TheSuspectsAreThePairsLeavingTheSwitchEachMemberInTurn) {
  const std::vector<int> switch_of = {0, 0, 1, 1, 2, 2};
  auto m = uniform(6, gbit);
  slow_leaving(m, switch_of, 0, gbit / 4);
  const auto verdict = judge_fabric(m, 6, {}, switch_of);
  const auto pairs = suspect_pairs(verdict, 6, switch_of);
  EXPECT_EQ(pairs, (std::vector<std::pair<int, int>>{{0, 2}, {1, 2}, {0, 3}, {1, 3}, {0, 4}, {1, 4}, {0, 5}, {1, 5}}));
  // Between two switches: every pair across them.
  const std::vector<int> two = {0, 0, 1, 1};
  auto across = uniform(4, gbit);
  slow_leaving(across, two, 0, gbit / 4);
  EXPECT_EQ(suspect_pairs(judge_fabric(across, 4, {}, two), 4, two).size(), 4u);
}

TEST(JudgeSwitches, ASwitchOfOneParticipantIsJudgedAsItsNode) {
  // s1 holds only n3: its links to the rest cannot be told from n3's own, which the node rule names.
  const std::vector<int> switch_of = {0, 0, 0, 1};
  auto m = uniform(4, gbit);
  slow_leaving(m, switch_of, 1, gbit / 4);
  wobble(m, 0.02);
  const auto verdict = judge_fabric(m, 4, {}, switch_of);
  EXPECT_TRUE(verdict.switches.empty());
  ASSERT_EQ(verdict.nodes.size(), 1u);
  EXPECT_EQ(verdict.nodes[0].index, 3);
}

TEST(JudgeSwitches, WithoutTwoParticipantsOnASwitchNothingIsJudged) {
  auto m = uniform(4, gbit);
  const auto verdict = judge_fabric(m, 4, {}, std::vector<int>{0, 1, 2, -1});
  EXPECT_TRUE(std::isnan(verdict.inside_switch_bytes_s));
  EXPECT_TRUE(verdict.healthy());
  EXPECT_NEAR(judge_fabric(m, 4, {}, std::vector<int>{0, 0, 1, 1}).inside_switch_bytes_s, gbit, 1e-6);
}

}  // namespace
}  // namespace scaleout::analysis
