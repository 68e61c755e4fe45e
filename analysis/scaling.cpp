#include "analysis/scaling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "comm/stats.hpp"

namespace scaleout::analysis {

namespace {

constexpr std::size_t groups = parallelism::group_count;

double quantile_of(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  return comm::quantile(values, q);
}
double median(std::vector<double> values) { return quantile_of(std::move(values), 0.5); }

constexpr std::size_t tiers = parallelism::tier_count;

std::string tier_series(const char* figure, std::size_t tier) {
  return fmt::format("{}_{}", figure, parallelism::to_string(static_cast<parallelism::Tier>(tier)));
}

struct StepTotals {
  double slowest = 0, step = 0, compute = 0, bubble = 0, overlapped = 0, other = 0, moved = 0, modelled = 0;
  std::array<double, groups> exposed{}, exposed_network{};
  std::array<double, tiers> exposed_tier{}, overlapped_tier{};
  int ranks = 0;
};

// The group with the most exposed time on a tier.
std::string busiest_group(const ScalePoint& p, parallelism::Tier tier) {
  std::string busiest;
  double most = -1;
  for (const auto& [group, seconds] : p.exposed) {
    const auto network = p.exposed_network.find(group);
    const double on_network = network == p.exposed_network.end() ? 0.0 : network->second;
    const double on_tier = tier == parallelism::Tier::network ? on_network : std::max(seconds - on_network, 0.0);
    if (on_tier > most) most = on_tier, busiest = group;
  }
  return busiest;
}

// The largest share of the step: compute split by what bounds its spans, exposed communication by tier.
void bind(ScalePoint& p) {
  const double memory = p.compute * std::clamp(p.run.memory_bound_share, 0.0, 1.0);
  const std::array<std::pair<Link, double>, 5> parts = {{
      {Link::calculation, p.compute - memory},
      {Link::memory_bandwidth, memory},
      {Link::node_fabric, p.exposed_tier[static_cast<std::size_t>(parallelism::Tier::intra_node)]},
      {Link::network, p.exposed_tier[static_cast<std::size_t>(parallelism::Tier::network)]},
      {Link::pipeline_bubble, p.bubble},
  }};
  const auto largest =
      std::max_element(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  p.binding = largest->first;
  p.binding_group.clear();
  if (p.binding == Link::node_fabric) p.binding_group = busiest_group(p, parallelism::Tier::intra_node);
  if (p.binding == Link::network) p.binding_group = busiest_group(p, parallelism::Tier::network);
  p.binding_share = p.mean_step > 0 ? largest->second / p.mean_step : 0.0;
}

}  // namespace

const char* to_string(Link link) {
  switch (link) {
    case Link::calculation: return "calculation";
    case Link::memory_bandwidth: return "memory bandwidth";
    case Link::node_fabric: return "the node's fabric";
    case Link::network: return "the network";
    case Link::pipeline_bubble: return "pipeline bubble";
  }
  return "?";
}

std::string describe_binding(Link link, const std::string& group) {
  return group.empty() ? to_string(link) : fmt::format("{} ({})", to_string(link), group);
}

const char* to_string(Scaling scaling) { return scaling == Scaling::strong ? "strong" : "weak"; }

std::map<std::string, std::vector<double>> per_step_series(const std::vector<StepRow>& rows) {
  std::map<int, StepTotals> per_step;
  for (const auto& s : rows) {
    auto& t = per_step[s.step];
    t.slowest = std::max(t.slowest, s.step_s);
    t.step += s.step_s;
    t.compute += s.compute_s;
    t.bubble += s.bubble_s;
    t.overlapped += s.overlapped_s;
    t.other += s.other_s;
    for (std::size_t g = 0; g < groups; ++g) t.exposed[g] += s.exposed_s[g];
    for (std::size_t k = 0; k < tiers; ++k) {
      t.exposed_tier[k] += s.exposed(static_cast<parallelism::Tier>(k));
      t.overlapped_tier[k] += s.overlapped_tier_s[k];
    }
    for (std::size_t g = 0; g < groups; ++g) t.exposed_network[g] += s.exposed_network_s[g];
    t.moved += static_cast<double>(s.bytes_moved);
    t.modelled += static_cast<double>(s.bytes_modelled);
    ++t.ranks;
  }
  std::map<std::string, std::vector<double>> series;
  std::array<bool, groups> used{};
  for (const auto& s : rows) {
    for (std::size_t g = 0; g < groups; ++g) used[g] = used[g] || s.exposed_s[g] > 0;
  }
  const bool communicates = std::find(used.begin(), used.end(), true) != used.end();
  for (const auto& [index, t] : per_step) {
    const double n = t.ranks;
    series["step"].push_back(t.slowest);
    series["rank_step"].push_back(t.step / n);
    series["compute"].push_back(t.compute / n);
    series["bubble"].push_back(t.bubble / n);
    series["overlapped"].push_back(t.overlapped / n);
    series["other"].push_back(t.other / n);
    for (std::size_t g = 0; g < groups; ++g) {
      if (!used[g]) continue;
      const std::string name = std::string("exposed_") + parallelism::to_string(static_cast<parallelism::Group>(g));
      series[name].push_back(t.exposed[g] / n);
      series[std::string("network_") + parallelism::to_string(static_cast<parallelism::Group>(g))].push_back(
          t.exposed_network[g] / n);
    }
    for (std::size_t k = 0; k < tiers && communicates; ++k) {
      series[tier_series("exposed", k)].push_back(t.exposed_tier[k] / n);
      series[tier_series("overlapped", k)].push_back(t.overlapped_tier[k] / n);
    }
    series["bytes_moved"].push_back(t.moved / n);
    series["bytes_modelled"].push_back(t.modelled / n);
  }
  return series;
}

ScalePoint measure_scale(const RunFacts& run, const std::vector<StepRow>& rows) {
  ScalePoint p;
  p.run = run;
  const auto series = per_step_series(rows);
  if (series.empty()) return p;
  p.steps = static_cast<int>(series.at("step").size());
  p.step_times = series.at("step");
  p.step_p5 = quantile_of(series.at("step"), 0.05);
  p.step_p50 = quantile_of(series.at("step"), 0.5);
  p.step_p95 = quantile_of(series.at("step"), 0.95);
  p.mean_step = median(series.at("rank_step"));
  p.compute = median(series.at("compute"));
  p.bubble = median(series.at("bubble"));
  p.overlapped = median(series.at("overlapped"));
  p.other = median(series.at("other"));
  for (std::size_t g = 0; g < groups; ++g) {
    const std::string group = parallelism::to_string(static_cast<parallelism::Group>(g));
    const auto found = series.find("exposed_" + group);
    if (found == series.end()) continue;
    const double value = median(found->second);
    p.exposed[group] = value;
    p.exposed_network[group] = median(series.at("network_" + group));
    p.exposed_total += value;
  }
  for (std::size_t k = 0; k < tiers; ++k) {
    if (const auto found = series.find(tier_series("exposed", k)); found != series.end())
      p.exposed_tier[k] = median(found->second);
    if (const auto found = series.find(tier_series("overlapped", k)); found != series.end())
      p.overlapped_tier[k] = median(found->second);
  }
  p.bytes_moved = median(series.at("bytes_moved"));
  p.bytes_modelled = median(series.at("bytes_modelled"));
  p.comm_share = p.mean_step > 0 ? p.exposed_total / p.mean_step : 0.0;
  if (p.step_p50 > 0) {
    p.tokens_per_second = run.tokens_per_step / p.step_p50;
    p.tflops_per_device = run.flops_per_step / p.step_p50 / run.ranks / 1e12;
  }
  bind(p);
  return p;
}

Scaling infer_scaling(const std::vector<ScalePoint>& points) {
  const auto differs = [&](const ScalePoint& p) { return p.run.global_batch != points.front().run.global_batch; };
  return std::any_of(points.begin(), points.end(), differs) ? Scaling::weak : Scaling::strong;
}

double scale_of(const ScalingReport& report, const ScalePoint& point) {
  return report.by_nodes ? point.run.nodes : point.run.ranks;
}

ScalingReport analyse(std::vector<ScalePoint> points, Scaling scaling) {
  ScalingReport report;
  report.scaling = scaling;
  report.by_nodes = std::any_of(points.begin(), points.end(), [](const ScalePoint& p) { return p.run.nodes > 1; });
  std::sort(points.begin(), points.end(), [](const ScalePoint& a, const ScalePoint& b) {
    return a.run.nodes != b.run.nodes ? a.run.nodes < b.run.nodes : a.run.ranks < b.run.ranks;
  });
  report.points = std::move(points);
  if (report.points.empty()) return report;
  // Throughput per rank against the smallest scale: strong and weak scaling alike (with weak scaling,
  // work per rank is fixed, so this is the smallest scale's step time over this one's).
  const ScalePoint& first = report.points.front();
  const double base = first.tokens_per_second / first.run.ranks;
  for (auto& p : report.points) p.efficiency = base > 0 ? p.tokens_per_second / p.run.ranks / base : 0.0;

  // Exposed communication against compute, per scale: the crossover is where their difference
  // changes sign, interpolated linearly in the scale.
  const auto excess = [](const ScalePoint& p) { return p.exposed_total - p.compute; };
  Crossover& c = report.crossover;
  if (excess(first) > 0) {
    c.reached = true;
    c.already = true;
    c.at = c.below = c.above = scale_of(report, first);
    return report;
  }
  for (std::size_t i = 1; i < report.points.size(); ++i) {
    const ScalePoint& lo = report.points[i - 1];
    const ScalePoint& hi = report.points[i];
    if (excess(hi) <= 0) continue;
    const double x0 = scale_of(report, lo), x1 = scale_of(report, hi);
    const double f = excess(lo) / (excess(lo) - excess(hi));  // where the line through both crosses 0
    c.reached = true;
    c.below = x0;
    c.above = x1;
    c.at = x0 + f * (x1 - x0);
    break;
  }
  return report;
}

}  // namespace scaleout::analysis
