#include "runs/job/fabric_job.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

#include "analysis/fabric_study.hpp"
#include "comm/background.hpp"
#include "comm/communicator.hpp"
#include "comm/fabric.hpp"
#include "comm/gather.hpp"
#include "runs/config/options.hpp"
#include "runs/input_file.hpp"
#include "runs/job/job_background.hpp"
#include "runs/job/mpi_main.hpp"
#include "runs/job/nic_rates.hpp"
#include "runs/job/run_setup.hpp"
#include "runs/log/fabric_log.hpp"
#include "runs/output_file.hpp"
#include "runs/report/fabric_report.hpp"
#include "runs/report/report_plots.hpp"
#include "runs/sizes.hpp"
#include "runs/usage_error.hpp"
#include "runs/version.hpp"
#include "topology/cluster_discovery.hpp"
#include "topology/switch_tree.hpp"

namespace scaleout::runs {

FabricPlan plan_fabric(const FabricRequest& a) {
  FabricPlan plan;
  plan.options.sizes = parse_sizes(a.sizes, "--sizes");
  for (auto& size : plan.options.sizes) {
    if (size < sizeof(float)) throw UsageError(fmt::format("--sizes: {} bytes is too small; at least 4", size));
    size -= size % sizeof(float);  // whole 4-byte elements
  }
  std::sort(plan.options.sizes.begin(), plan.options.sizes.end());
  plan.options.sizes.erase(std::unique(plan.options.sizes.begin(), plan.options.sizes.end()), plan.options.sizes.end());
  plan.options.message_bytes = parse_bytes(a.message_size, "--message-size");
  if (plan.options.message_bytes < sizeof(float) || plan.options.message_bytes % sizeof(float) != 0) {
    throw UsageError(
        fmt::format("--message-size: {} is not allowed; it must be a positive multiple of 4 bytes", a.message_size));
  }
  constexpr int most_iterations = 100'000;
  if (a.iterations < 1 || a.iterations > most_iterations) {
    throw UsageError(fmt::format("--iters: {} is not allowed; it must be from 1 to {}", a.iterations, most_iterations));
  }
  if (a.warmup < 0 || a.warmup > most_iterations) {
    throw UsageError(fmt::format("--warmup: {} is not allowed; it must be from 0 to {}", a.warmup, most_iterations));
  }
  plan.options.iterations = a.iterations;
  plan.options.warmup = a.warmup;
  if (!(a.threshold > 0.0 && a.threshold < 1.0)) {
    throw UsageError(
        fmt::format("--threshold: {} is not allowed; it must be a share above 0 and below 1", a.threshold));
  }
  plan.judging.threshold = a.threshold;
  if (a.expect_rate == "nic") {
    plan.expect_from_nics = true;
  } else if (!a.expect_rate.empty()) {
    plan.judging.expected_bytes_s = parse_rate_bytes(a.expect_rate, "--expect-rate");
  }
  if (a.per_rail && a.every_rank) throw UsageError("--per-rail and --every-rank: choose one");
  plan.scope = a.per_rail     ? FabricScope::per_rail
               : a.every_rank ? FabricScope::every_rank
                              : FabricScope::first_rank_per_node;
  // The ranks that take no part make the traffic: every node's after its first (ranks_per_node unused).
  if (const auto traffic = parse_background(a.background, a.background_size, 1)) {
    if (plan.scope != FabricScope::first_rank_per_node) {
      throw UsageError(
          "--background: the ranks that do not take part make the traffic, and with --per-rail or --every-rank "
          "every rank takes part");
    }
    plan.background = traffic->pattern;
    plan.background_bytes = traffic->unit_bytes;
  }
  plan.topology_conf = a.topology_conf == "none" ? ""
                       : a.topology_conf.empty() ? topology::slurm_topology_conf()
                                                 : a.topology_conf;
  if (!a.output.empty() && !a.output.ends_with(".h5")) {
    throw UsageError(fmt::format("--output: '{}' must end in .h5", a.output));
  }
  if (!a.plots.empty()) {
    if (const std::string why = plots_folder_problem(a.plots); !why.empty()) {
      throw UsageError(fmt::format("--plots: {} cannot take the plots: {}", a.plots, why));
    }
  }
  if (a.format != Format::text && a.format != Format::json) {
    throw UsageError(fmt::format("--format: {} is not allowed; it must be text or json", to_string(a.format)));
  }
  plan.output = a.output;
  plan.overwrite = a.overwrite;
  plan.plots = a.plots;
  plan.format = a.format;
  return plan;
}

namespace {

// Where every rank sits.
struct Seat {
  int node = 0, local_rank = 0;
};

// The participants (world ranks) in group order, the groups, and every participant's label and host.
struct Cast {
  std::vector<int> participants;
  std::vector<analysis::FabricGroup> groups;
  std::vector<std::string> labels, hosts;
  std::string measured;
};

Cast cast_of(FabricScope scope, const std::vector<Seat>& seats, const std::vector<std::string>& hostnames) {
  Cast cast;
  const int world = static_cast<int>(seats.size());
  const int nodes = seats.empty() ? 0
                                  : std::max_element(
                                        seats.begin(), seats.end(),
                                        [](const Seat& x, const Seat& y) {
                                          return x.node < y.node;
                                        })->node +
                                        1;
  int rails = 1;
  for (const Seat& seat : seats) rails = std::max(rails, seat.local_rank + 1);
  const auto add = [&](int rank, analysis::FabricGroup& group, const std::string& label) {
    group.members.push_back(static_cast<int>(cast.participants.size()));
    cast.participants.push_back(rank);
    cast.labels.push_back(label);
    cast.hosts.push_back(hostnames[static_cast<std::size_t>(rank)]);
  };
  if (scope == FabricScope::every_rank) {
    analysis::FabricGroup group;
    group.name = "all";
    for (int rank = 0; rank < world; ++rank) {
      add(rank, group, fmt::format("{} rank {}", hostnames[static_cast<std::size_t>(rank)], rank));
    }
    cast.groups.push_back(std::move(group));
    cast.measured =
        fmt::format("every rank of {} on {} node{}, pairs inside a node included", world, nodes, nodes == 1 ? "" : "s");
    return cast;
  }
  const int groups = scope == FabricScope::per_rail ? rails : 1;
  for (int rail = 0; rail < groups; ++rail) {
    analysis::FabricGroup group;
    group.name = scope == FabricScope::per_rail ? fmt::format("rail {}", rail) : "all";
    for (int rank = 0; rank < world; ++rank) {
      if (seats[static_cast<std::size_t>(rank)].local_rank != rail) continue;
      const std::string& host = hostnames[static_cast<std::size_t>(rank)];
      add(rank, group, scope == FabricScope::per_rail ? fmt::format("{} rail {}", host, rail) : host);
    }
    cast.groups.push_back(std::move(group));
  }
  cast.measured =
      scope == FabricScope::per_rail
          ? fmt::format("{} node{}, each local rank with the same local rank of every other node (one rail each)",
                        nodes, nodes == 1 ? "" : "s")
      : rails == 1
          ? fmt::format("{} node{}, one rank each", nodes, nodes == 1 ? "" : "s")
          : fmt::format("{} nodes, each node's first rank; its other {} rank{} wait (--per-rail measures them)", nodes,
                        rails - 1, rails == 2 ? "" : "s");
  return cast;
}

// Every group's tournament, merged round by round (the groups' pairs are disjoint), in participant indices.
std::vector<comm::PairRound> rounds_of(const std::vector<analysis::FabricGroup>& groups) {
  std::vector<comm::PairRound> rounds;
  for (const auto& group : groups) {
    const auto own = comm::round_robin(static_cast<int>(group.members.size()));
    if (rounds.size() < own.size()) rounds.resize(own.size());
    for (std::size_t r = 0; r < own.size(); ++r) {
      for (const auto& [a, b] : own[r]) {
        rounds[r].emplace_back(group.members[static_cast<std::size_t>(a)], group.members[static_cast<std::size_t>(b)]);
      }
    }
  }
  return rounds;
}

void check_enough(const Cast& cast, FabricScope scope) {
  for (const auto& group : cast.groups) {
    if (group.members.size() >= 2) continue;
    throw UsageError(
        scope == FabricScope::every_rank
            ? std::string("fabric needs at least 2 ranks")
            : fmt::format("fabric needs at least 2 nodes{}: this job has {} (start one rank per node, for example "
                          "mpirun --map-by ppr:1:node, or test between ranks with --every-rank)",
                          scope == FabricScope::per_rail ? " in every rail" : "", group.members.size()));
  }
}

std::string pairs_text(const std::vector<std::pair<int, int>>& pairs) {
  std::string text;
  for (const auto& [a, b] : pairs) text += fmt::format("{} {} ", a, b);
  return text;
}

std::vector<comm::PairRound> one_pair_rounds(const std::string& text) {
  std::vector<comm::PairRound> rounds;
  std::size_t at = 0;
  while (at < text.size()) {
    int a = 0, b = 0;
    int used = 0;
    if (std::sscanf(text.c_str() + at, "%d %d %n", &a, &b, &used) != 2 || used == 0) break;
    rounds.push_back({{a, b}});
    at += static_cast<std::size_t>(used);
  }
  return rounds;
}

// The ranks that do not take part, in world order.
std::vector<int> bystanders(const Cast& cast, int world_size) {
  std::vector<int> others;
  for (int rank = 0; rank < world_size; ++rank) {
    if (std::find(cast.participants.begin(), cast.participants.end(), rank) == cast.participants.end()) {
      others.push_back(rank);
    }
  }
  return others;
}

void check_background(const FabricPlan& plan, const Cast& cast, int world_size) {
  if (!plan.background) return;
  const auto others = bystanders(cast, world_size);
  if (others.size() >= 2) return;
  throw UsageError(fmt::format(
      "--background: {} rank{} of this job take{} no part, and the background needs at least 2; start more ranks "
      "per node (for example mpirun --map-by ppr:2:node)",
      others.size(), others.size() == 1 ? "" : "s", others.size() == 1 ? "s" : ""));
}

// The rounds again on the participants while the others load the fabric; rank 0 (a participant, the
// first rank of the first node) leads. The samples and every background rank's load, on rank 0.
std::optional<analysis::FabricCongestion> measure_congested(const comm::Communicator& world, const FabricPlan& plan,
                                                            const Cast& cast, const std::vector<Seat>& seats,
                                                            const std::vector<std::string>& hosts) {
  const auto others = bystanders(cast, world.size());
  const bool takes_part = std::find(others.begin(), others.end(), world.rank()) == others.end();
  const comm::Communicator own_side = world.split(takes_part ? 0 : 1, world.rank());
  // A participant's rank among the participants is its place in world order.
  std::vector<int> in_world_order = cast.participants;
  std::sort(in_world_order.begin(), in_world_order.end());
  std::vector<int> participants;
  for (const int rank : cast.participants) {
    participants.push_back(static_cast<int>(std::lower_bound(in_world_order.begin(), in_world_order.end(), rank) -
                                            in_world_order.begin()));
  }
  const int team_first = others.front();
  world.barrier();
  comm::FabricSamples congested;
  comm::BackgroundLoad load;
  if (takes_part) {
    if (world.rank() == 0) comm::wait_for_background(world, team_first);
    congested = comm::measure_pairs(own_side, participants, rounds_of(cast.groups), plan.options);
    if (world.rank() == 0) comm::stop_background(world, team_first);
  } else {
    std::vector<int> node_of;
    node_of.reserve(others.size());
    for (const int rank : others) node_of.push_back(seats[static_cast<std::size_t>(rank)].node);
    load = comm::load_fabric(world, own_side, *plan.background, plan.background_bytes, 0, node_of);
  }
  const auto loads = comm::gather_values(world, load, 0);
  if (world.rank() != 0) return std::nullopt;
  analysis::FabricCongestion congestion;
  congestion.pattern = *plan.background;
  congestion.unit_bytes = plan.background_bytes;
  congestion.congested = std::move(congested);
  congestion.congested.participants = cast.participants;  // world ranks, as all_pairs has them
  for (const int rank : others) {
    congestion.background.push_back(
        {rank, hosts[static_cast<std::size_t>(rank)], loads[static_cast<std::size_t>(rank)]});
  }
  return congestion;
}

// Rank 0: the switches of plan.topology_conf (none without one); a UsageError naming the file and line
// when it cannot be read.
topology::SwitchTree read_switches(const FabricPlan& plan) {
  if (plan.topology_conf.empty()) return {};
  std::string text;
  try {
    text = read_input_file(plan.topology_conf, config_file_bound, "a topology.conf");
  } catch (const UsageError& error) {
    throw UsageError(fmt::format("--topology-conf: {}", error.what()));
  }
  try {
    return topology::parse_topology_conf(text);
  } catch (const topology::SwitchTreeError& error) {
    throw UsageError(fmt::format("--topology-conf: {}: {}", plan.topology_conf, error.what()));
  }
}

// Each participant's leaf switch, by its host.
void place_on_switches(analysis::FabricStudy& study, const topology::SwitchTree& tree, const std::string& source) {
  if (source.empty()) return;
  study.switch_source = source;
  for (const auto& entry : tree.switches) study.switch_names.push_back(entry.name);
  for (const auto& host : study.hosts) study.switch_of.push_back(tree.leaf_of(host));
}

// Rank 0: print, log and draw the study.
void report(const FabricPlan& plan, const analysis::FabricStudy& study, const topology::ClusterMap& cluster,
            int world_size, const std::string& command_line) {
  std::fputs(format_fabric(study, plan.format).c_str(), stdout);
  std::fflush(stdout);
  if (!plan.output.empty()) {
    write_fabric_log(plan.output,
                     {version(), SCALEOUT_GIT_REVISION, command_line, environment_facts(world_size, cluster)}, cluster,
                     study);
  }
  if (!plan.plots.empty()) {
    for (const auto& file : draw_fabric_plots(study, plan.plots)) std::fprintf(stderr, "wrote %s\n", file.c_str());
  }
}

}  // namespace

int run_fabric(const FabricPlan& plan, int& argc, char**& argv, const std::string& command_line) {
  return with_mpi(argc, argv, "fabric", [&]() -> int {
    const comm::Communicator world = comm::Communicator::world().duplicate();
    const bool root = world.rank() == 0;
    const topology::NodeIdentity identity = topology::identify_node(world);
    const auto seats = comm::allgather_values(world, Seat{identity.node, identity.local_rank});
    const auto hostnames = comm::allgather_strings(world, identity.hostname);
    Cast cast = cast_of(plan.scope, seats, hostnames);
    check_enough(cast, plan.scope);
    check_background(plan, cast, world.size());
    topology::SwitchTree switches;
    std::string unreadable;
    if (root) {
      try {
        switches = read_switches(plan);
      } catch (const UsageError& error) {
        unreadable = error.what();
      }
    }
    unreadable = comm::broadcast_string(world, unreadable, 0);
    if (!unreadable.empty()) throw UsageError(unreadable);
    if (!plan.output.empty()) {
      const std::string why =
          comm::broadcast_string(world, root ? output_problem(plan.output, {.overwrite = plan.overwrite}) : "", 0);
      if (!why.empty()) throw UsageError(fmt::format("--output: {} cannot be written: {}", plan.output, why));
    }
    const topology::ClusterMap cluster =
        plan.output.empty() ? topology::ClusterMap{} : topology::gather_cluster_map(world);
    const auto nics = plan.expect_from_nics ? gather_nic_rates(world, identity) : std::vector<analysis::NodeNicRate>{};

    analysis::FabricStudy study;
    study.all_pairs = comm::measure_pairs(world, cast.participants, rounds_of(cast.groups), plan.options);
    // Retesting one pair at a time costs a pair's time each: beyond two per participant the fault is
    // no single node or cable, and the first verdict names what remains.
    const std::size_t most_retests = 2 * cast.participants.size();
    std::string retests;
    if (root) {
      study.labels = cast.labels;
      study.hosts = cast.hosts;
      study.measured = cast.measured;
      study.judging = plan.judging;
      study.nic_rates = nics;
      if (const analysis::NodeNicRate* slowest = analysis::slowest_nic(nics)) {
        study.judging.expected_bytes_s = slowest->bits_s / 8;
      }
      study.groups = cast.groups;
      place_on_switches(study, switches, plan.topology_conf);
      analysis::judge_first(study, most_retests);
      retests = pairs_text(analysis::retest_pairs(study));
    }
    retests = comm::broadcast_string(world, retests, 0);
    comm::FabricOptions again = plan.options;
    again.sizes = {plan.options.sizes.back()};
    study.retest = comm::measure_pairs(world, cast.participants, one_pair_rounds(retests), again);
    if (plan.background) study.congestion = measure_congested(world, plan, cast, seats, hostnames);
    int status = exit_ok;
    if (root) {
      analysis::judge_final(study);
      report(plan, study, cluster, world.size(), command_line);
      status = study.healthy() ? exit_ok : exit_fabric_fault;
    }
    return std::stoi(comm::broadcast_string(world, std::to_string(status), 0));
  });
}

}  // namespace scaleout::runs
