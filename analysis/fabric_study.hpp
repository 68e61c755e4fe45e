#pragma once
// One `scaleout fabric` run as its printers and its log read it: who took part, what was measured (all
// pairs, then the suspects again, alone), and the verdict of each group of participants that were
// measured against each other (all of them, or one rail each with --per-rail). No MPI here: the job
// (runs/job/fabric_job.hpp) fills the samples, this file judges them.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/background_effect.hpp"
#include "analysis/fabric_verdict.hpp"
#include "comm/background_record.hpp"
#include "comm/fabric_record.hpp"

namespace scaleout::analysis {

// --expect-rate nic (fabric and bench): a node's fastest NIC that reports a link rate, each way.
struct NodeNicRate {
  std::string host, nic;
  double bits_s = 0.0;
};
// The slowest of them: a pair is no faster than its slower end.
const NodeNicRate* slowest_nic(const std::vector<NodeNicRate>& rates);

struct FabricGroup {
  std::string name;                           // "all", or "rail 0", "rail 1", ...
  std::vector<int> members;                   // participant indices, in order
  FabricVerdict first;                        // from all pairs
  std::vector<std::pair<int, int>> retested;  // participant indices, measured again alone
  FabricVerdict verdict;                      // with the retested pairs' figures in place of the first
};

// The same rounds measured again while the ranks that do not take part loaded the fabric
// (--background). Verdicts never come from these samples.
struct FabricCongestion {
  comm::BackgroundPattern pattern = comm::BackgroundPattern::alltoall;
  std::uint64_t unit_bytes = 0;  // each background rank's bytes per unit
  std::vector<BackgroundRank> background;
  comm::FabricSamples congested;
};

struct FabricStudy {
  std::vector<std::string> labels;  // per participant: "vnode1", "vnode1 rail 1", "vnode1 rank 3"
  std::vector<std::string> hosts;   // per participant
  // Slurm's switches (topology.conf, when found): the file, the leaf switches' names, and per
  // participant the index of its leaf switch (-1: none lists its host). Empty without.
  // --expect-rate nic: per node, the fastest NIC that reports a link rate (the expected rate is the
  // slowest of these).
  std::vector<NodeNicRate> nic_rates;
  std::string switch_source;
  std::vector<std::string> switch_names;
  std::vector<int> switch_of;
  std::string measured;  // which ranks took part, in words
  FabricJudging judging;
  comm::FabricSamples all_pairs;  // every pair of each group, in rounds
  comm::FabricSamples retest;     // the suspects, one pair per round, at the largest size
  std::vector<FabricGroup> groups;
  std::optional<FabricCongestion> congestion;

  bool healthy() const noexcept;
  // Hosts to take out of service: those of every participant named, each once, in order.
  std::vector<std::string> drain() const;
};

// Bytes per second from -> to at size index `size`, [from * n + to], over all participants; NaN where
// the pair was not measured.
std::vector<double> bandwidth_matrix(const comm::FabricSamples& samples, std::size_t size);
// The one-way latency in seconds, [a * n + b].
std::vector<double> latency_matrix(const comm::FabricSamples& samples);

// Each member's figures over its group's peers, at the largest size of all pairs (retested pairs as
// retested): the median bandwidth out and in, and the median one-way latency; in member order.
struct ParticipantFigures {
  double out_bytes_s = 0.0, in_bytes_s = 0.0, latency_s = 0.0;
};
std::vector<ParticipantFigures> participant_figures(const FabricStudy& study, const FabricGroup& group);
// A participant's figure in a verdict (NaN when the verdict has none: nothing was measured).
double figure_of(const FabricVerdict& verdict, int member);
// A rate as a share of the expected one (--expect-rate); NaN without one.
double expected_share(const FabricStudy& study, double bytes_s);

// The congestion impact factors (analysis/background_effect.hpp) at the p50 and the p99 of all samples
// of every direction (the isolated ones from all pairs).
struct CongestionFigures {
  ImpactFactor bandwidth;  // the receive times at the largest size
  ImpactFactor latency;    // the ping-pong round trips
  // Per node, the larger of the bytes per second its background ranks sent to and received from other
  // nodes (their sums); the median over nodes, and its share of the first group's isolated reference.
  double node_load_bytes_s = 0.0;
  double load_share = 0.0;
  std::int64_t units = 0;  // over all background ranks
};
CongestionFigures congestion_figures(const FabricStudy& study, const FabricCongestion& congestion);

// A switch finding in names: the switches it covers (one, or every one holding members for the links
// between them) and the labels of the group's members under them.
struct NamedSwitchFinding {
  std::vector<std::string> switches, members;
};
NamedSwitchFinding name_switch_finding(const FabricStudy& study, const FabricGroup& group, const SwitchFinding& found);

// The verdicts as `fabric --format json` prints them and the log keeps them (bandwidths in GB/s,
// 10^9 bytes per second; latencies in microseconds; participants by label).
nlohmann::json verdict_json(const FabricStudy& study);

// The first verdict of every group, from the largest size of the all-pairs samples; the suspects to
// retest (at most `most_retests` pairs over all groups, slowest findings first).
void judge_first(FabricStudy& study, std::size_t most_retests);
// Every pair of participants (indices over all) that judge_first chose to measure again.
std::vector<std::pair<int, int>> retest_pairs(const FabricStudy& study);
// The final verdicts: the retested pairs' figures replace the first ones.
void judge_final(FabricStudy& study);
// The bandwidth matrix the final verdicts judged: all pairs at the largest size, retested pairs as
// retested.
std::vector<double> judged_matrix(const FabricStudy& study);

}  // namespace scaleout::analysis
