#include "analysis/fabric_study.hpp"

#include <algorithm>
#include <cmath>

#include "comm/stats.hpp"

namespace scaleout::analysis {

bool FabricStudy::healthy() const noexcept {
  return std::all_of(groups.begin(), groups.end(), [](const FabricGroup& g) { return g.verdict.healthy(); });
}

std::vector<std::string> FabricStudy::drain() const {
  std::vector<std::string> hosts_named;
  for (const FabricGroup& group : groups) {
    for (const NodeFinding& node : group.verdict.nodes) {
      const std::string& host = hosts[static_cast<std::size_t>(group.members[static_cast<std::size_t>(node.index)])];
      if (std::find(hosts_named.begin(), hosts_named.end(), host) == hosts_named.end()) hosts_named.push_back(host);
    }
  }
  return hosts_named;
}

namespace {

// Entry [row][column] of an n x n matrix kept row by row.
std::size_t cell(int row, int column, int n) {
  return static_cast<std::size_t>(row) * static_cast<std::size_t>(n) + static_cast<std::size_t>(column);
}

}  // namespace

std::vector<double> bandwidth_matrix(const comm::FabricSamples& samples, std::size_t size) {
  const int n = samples.count();
  std::vector<double> bytes_s(static_cast<std::size_t>(n) * static_cast<std::size_t>(n), std::nan(""));
  if (size >= samples.sizes.size()) return bytes_s;
  for (int from = 0; from < n; ++from) {
    for (int to = 0; to < n; ++to) {
      if (from == to) continue;
      const double seconds = samples.median_receive_s(size, from, to);
      if (!std::isnan(seconds) && seconds > 0) {
        bytes_s[cell(from, to, n)] = static_cast<double>(samples.sizes[size]) / seconds;
      }
    }
  }
  return bytes_s;
}

std::vector<double> latency_matrix(const comm::FabricSamples& samples) {
  const int n = samples.count();
  std::vector<double> seconds(static_cast<std::size_t>(n) * static_cast<std::size_t>(n), std::nan(""));
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a != b) seconds[cell(a, b, n)] = samples.latency_s(a, b);
    }
  }
  return seconds;
}

namespace {

// The leaf switch of each member (empty without switches).
std::vector<int> group_switches(const FabricStudy& study, const std::vector<int>& members) {
  std::vector<int> of;
  if (study.switch_of.empty()) return of;
  of.reserve(members.size());
  for (const int member : members) of.push_back(study.switch_of[static_cast<std::size_t>(member)]);
  return of;
}

// The group's own matrix: entries of its members, in member order.
std::vector<double> group_matrix(const std::vector<double>& all, int n, const std::vector<int>& members) {
  const std::size_t m = members.size();
  std::vector<double> own(m * m);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < m; ++j) {
      own[i * m + j] = all[cell(members[i], members[j], n)];
    }
  }
  return own;
}

}  // namespace

void judge_first(FabricStudy& study, std::size_t most_retests) {
  const int n = study.all_pairs.count();
  const auto all =
      bandwidth_matrix(study.all_pairs, study.all_pairs.sizes.empty() ? 0 : study.all_pairs.sizes.size() - 1);
  std::size_t budget = most_retests;
  for (FabricGroup& group : study.groups) {
    const int m = static_cast<int>(group.members.size());
    group.first =
        judge_fabric(group_matrix(all, n, group.members), m, study.judging, group_switches(study, group.members));
    group.retested.clear();
    for (const auto& [a, b] : suspect_pairs(group.first, m, group_switches(study, group.members))) {
      if (budget == 0) break;
      group.retested.emplace_back(a, b);
      --budget;
    }
  }
}

std::vector<std::pair<int, int>> retest_pairs(const FabricStudy& study) {
  std::vector<std::pair<int, int>> pairs;
  for (const FabricGroup& group : study.groups) {
    for (const auto& [a, b] : group.retested) {
      pairs.emplace_back(group.members[static_cast<std::size_t>(a)], group.members[static_cast<std::size_t>(b)]);
    }
  }
  return pairs;
}

std::vector<double> judged_matrix(const FabricStudy& study) {
  auto all = bandwidth_matrix(study.all_pairs, study.all_pairs.sizes.empty() ? 0 : study.all_pairs.sizes.size() - 1);
  const auto again = bandwidth_matrix(study.retest, 0);
  for (std::size_t k = 0; k < all.size() && k < again.size(); ++k) {
    if (!std::isnan(again[k])) all[k] = again[k];
  }
  return all;
}

void judge_final(FabricStudy& study) {
  const int n = study.all_pairs.count();
  const auto all = judged_matrix(study);
  for (FabricGroup& group : study.groups) {
    FabricVerdict verdict = judge_fabric(group_matrix(all, n, group.members), static_cast<int>(group.members.size()),
                                         study.judging, group_switches(study, group.members));
    // The retest clears what the first verdict named; it adds nothing that was not measured again
    // alone: a participant only if the first verdict named it, a pair only if named or retested (the
    // retested figures move the reference and the spread, and could push a bystander over the line).
    const auto named_first = [&](const NodeFinding& node) {
      return std::any_of(group.first.nodes.begin(), group.first.nodes.end(),
                         [&](const NodeFinding& first) { return first.index == node.index; });
    };
    const auto measured_again = [&](const PairFinding& pair) {
      const auto same = [&](int a, int b) { return std::minmax(a, b) == std::minmax(pair.a, pair.b); };
      return std::any_of(group.first.pairs.begin(), group.first.pairs.end(),
                         [&](const PairFinding& first) { return same(first.a, first.b); }) ||
             std::any_of(group.retested.begin(), group.retested.end(),
                         [&](const std::pair<int, int>& retested) { return same(retested.first, retested.second); });
    };
    // A switch is named when the first verdict named it and the final one, its leaving pairs measured
    // again alone, still does.
    const auto switch_named_first = [&](const SwitchFinding& found) {
      return std::any_of(group.first.switches.begin(), group.first.switches.end(),
                         [&](const SwitchFinding& first) { return first.switch_index == found.switch_index; });
    };
    std::erase_if(verdict.nodes, [&](const NodeFinding& node) { return !named_first(node); });
    std::erase_if(verdict.pairs, [&](const PairFinding& pair) { return !measured_again(pair); });
    std::erase_if(verdict.switches, [&](const SwitchFinding& found) { return !switch_named_first(found); });
    group.verdict = std::move(verdict);
  }
}

std::vector<ParticipantFigures> participant_figures(const FabricStudy& study, const FabricGroup& group) {
  const int n = study.all_pairs.count();
  const auto all = judged_matrix(study);
  const auto latency = latency_matrix(study.all_pairs);
  std::vector<ParticipantFigures> figures;
  for (const int me : group.members) {
    std::vector<double> out, in, one_way;
    for (const int peer : group.members) {
      if (peer == me) continue;
      out.push_back(all[cell(me, peer, n)]);
      in.push_back(all[cell(peer, me, n)]);
      one_way.push_back(latency[cell(me, peer, n)]);
    }
    figures.push_back({comm::median_of_measured(std::move(out)), comm::median_of_measured(std::move(in)),
                       comm::median_of_measured(std::move(one_way))});
  }
  return figures;
}

const NodeNicRate* slowest_nic(const std::vector<NodeNicRate>& rates) {
  const auto slowest = std::min_element(rates.begin(), rates.end(),
                                        [](const NodeNicRate& x, const NodeNicRate& y) { return x.bits_s < y.bits_s; });
  return slowest == rates.end() ? nullptr : &*slowest;
}

double expected_share(const FabricStudy& study, double bytes_s) {
  return study.judging.expected_bytes_s ? bytes_s / *study.judging.expected_bytes_s : std::nan("");
}

double figure_of(const FabricVerdict& verdict, int member) {
  const auto k = static_cast<std::size_t>(member);
  return k < verdict.figure_bytes_s.size() ? verdict.figure_bytes_s[k] : std::nan("");
}

namespace {

// The receive times of every direction at one size (NaN where not measured).
std::vector<double> receive_times(const comm::FabricSamples& samples, std::size_t size) {
  const auto per_size = samples.receive_s.size() / std::max<std::size_t>(samples.sizes.size(), 1);
  const auto first = samples.receive_s.begin() + static_cast<std::ptrdiff_t>(size * per_size);
  return {first, first + static_cast<std::ptrdiff_t>(per_size)};
}

}  // namespace

CongestionFigures congestion_figures(const FabricStudy& study, const FabricCongestion& congestion) {
  CongestionFigures figures;
  const auto& isolated = study.all_pairs;
  const auto& congested = congestion.congested;
  if (!isolated.sizes.empty() && congested.sizes == isolated.sizes) {
    const std::size_t largest = isolated.sizes.size() - 1;
    figures.bandwidth = impact_factor(receive_times(congested, largest), receive_times(isolated, largest));
  }
  figures.latency = impact_factor(congested.round_trip_s, isolated.round_trip_s);
  const BackgroundLoadFigures load = background_load(congestion.background);
  figures.node_load_bytes_s = load.node_load_bytes_s;
  figures.units = load.units;
  const double reference = study.groups.empty() ? std::nan("") : study.groups[0].verdict.reference_bytes_s;
  figures.load_share = figures.node_load_bytes_s / reference;
  return figures;
}

namespace {

constexpr double giga = 1e9;

// NaN has no JSON: null.
nlohmann::json number(double value) { return std::isnan(value) ? nlohmann::json() : nlohmann::json(value); }

nlohmann::json group_json(const FabricStudy& study, const FabricGroup& group) {
  const auto label = [&](int member) {
    return study.labels[static_cast<std::size_t>(group.members[static_cast<std::size_t>(member)])];
  };
  const auto host = [&](int member) {
    return study.hosts[static_cast<std::size_t>(group.members[static_cast<std::size_t>(member)])];
  };
  const FabricVerdict& v = group.verdict;
  const auto switch_of = [&](int member) -> nlohmann::json {
    if (study.switch_of.empty()) return nullptr;
    const int s = study.switch_of[static_cast<std::size_t>(group.members[static_cast<std::size_t>(member)])];
    return s < 0 ? nlohmann::json(nullptr) : nlohmann::json(study.switch_names[static_cast<std::size_t>(s)]);
  };
  nlohmann::json out = {{"name", group.name},
                        {"median_gbs", v.median_bytes_s / giga},
                        {"mad_gbs", v.mad_bytes_s / giga},
                        {"reference_gbs", v.reference_bytes_s / giga},
                        {"participants", nlohmann::json::array()},
                        {"nodes", nlohmann::json::array()},
                        {"pairs", nlohmann::json::array()},
                        {"retested", nlohmann::json::array()},
                        {"inside_switch_gbs", number(v.inside_switch_bytes_s / giga)},
                        {"switches", nlohmann::json::array()},
                        {"named_before_retest", group.first.nodes.size() + group.first.pairs.size()}};
  const auto figures = participant_figures(study, group);
  for (int k = 0; k < static_cast<int>(group.members.size()); ++k) {
    const ParticipantFigures& f = figures[static_cast<std::size_t>(k)];
    out["participants"].push_back({{"label", label(k)},
                                   {"host", host(k)},
                                   {"gbs", number(figure_of(v, k) / giga)},
                                   {"out_gbs", number(f.out_bytes_s / giga)},
                                   {"in_gbs", number(f.in_bytes_s / giga)},
                                   {"latency_us", number(f.latency_s * 1e6)},
                                   {"expected_share", number(expected_share(study, figure_of(v, k)))},
                                   {"switch", switch_of(k)}});
  }
  for (const SwitchFinding& found : v.switches) {
    const NamedSwitchFinding named = name_switch_finding(study, group, found);
    out["switches"].push_back({{"switch", found.switch_index < 0 ? "between switches" : named.switches.at(0)},
                               {"switches", named.switches},
                               {"members", named.members},
                               {"gbs", number(found.bytes_s / giga)},
                               {"share", number(found.share)}});
  }
  for (const NodeFinding& node : v.nodes) {
    out["nodes"].push_back({{"label", label(node.index)},
                            {"host", host(node.index)},
                            {"gbs", node.bytes_s / giga},
                            {"share", node.share},
                            {"fault", to_string(node.fault)}});
  }
  for (const PairFinding& pair : v.pairs) {
    out["pairs"].push_back({{"a", label(pair.a)},
                            {"b", label(pair.b)},
                            {"a_to_b_gbs", number(pair.a_to_b_s / giga)},
                            {"b_to_a_gbs", number(pair.b_to_a_s / giga)},
                            {"share", pair.share}});
  }
  for (const auto& [a, b] : group.retested) out["retested"].push_back({label(a), label(b)});
  return out;
}

nlohmann::json congestion_json(const FabricStudy& study, const FabricCongestion& congestion) {
  const CongestionFigures f = congestion_figures(study, congestion);
  return {{"pattern", comm::to_string(congestion.pattern)},
          {"background_ranks", congestion.background.size()},
          {"unit_bytes", congestion.unit_bytes},
          {"units", f.units},
          {"bandwidth_impact_p50", number(f.bandwidth.p50)},
          {"bandwidth_impact_p99", number(f.bandwidth.p99)},
          {"latency_impact_p50", number(f.latency.p50)},
          {"latency_impact_p99", number(f.latency.p99)},
          {"node_load_gbs", number(f.node_load_bytes_s / giga)},
          {"load_share", number(f.load_share)}};
}

}  // namespace

NamedSwitchFinding name_switch_finding(const FabricStudy& study, const FabricGroup& group, const SwitchFinding& found) {
  NamedSwitchFinding named;
  for (const int member : group.members) {
    const int s = study.switch_of[static_cast<std::size_t>(member)];
    if (s < 0 || (found.switch_index >= 0 && s != found.switch_index)) continue;
    named.members.push_back(study.labels[static_cast<std::size_t>(member)]);
    const std::string& name = study.switch_names[static_cast<std::size_t>(s)];
    if (std::find(named.switches.begin(), named.switches.end(), name) == named.switches.end()) {
      named.switches.push_back(name);
    }
  }
  return named;
}

nlohmann::json verdict_json(const FabricStudy& study) {
  nlohmann::json out = {
      {"healthy", study.healthy()},
      {"drain", study.drain()},
      {"switches_from", study.switch_source.empty() ? nlohmann::json(nullptr) : nlohmann::json(study.switch_source)},
      {"measured", study.measured},
      {"threshold", study.judging.threshold},
      {"expected_gbs",
       study.judging.expected_bytes_s ? nlohmann::json(*study.judging.expected_bytes_s / giga) : nlohmann::json()},
      {"nic_rates", nlohmann::json::array()},
      {"groups", nlohmann::json::array()}};
  for (const auto& rate : study.nic_rates) {
    out["nic_rates"].push_back({{"host", rate.host}, {"nic", rate.nic}, {"gbit", rate.bits_s / giga}});
  }
  for (const FabricGroup& group : study.groups) out["groups"].push_back(group_json(study, group));
  if (study.congestion) out["congestion"] = congestion_json(study, *study.congestion);
  return out;
}

}  // namespace scaleout::analysis
