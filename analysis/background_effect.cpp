#include "analysis/background_effect.hpp"

#include <algorithm>
#include <cmath>

#include "comm/stats.hpp"

namespace scaleout::analysis {

ImpactFactor impact_factor(std::vector<double> congested_s, std::vector<double> isolated_s) {
  for (auto* side : {&congested_s, &isolated_s}) {
    std::erase_if(*side, [](double value) { return !std::isfinite(value); });
    std::sort(side->begin(), side->end());
  }
  if (congested_s.empty() || isolated_s.empty()) return {std::nan(""), std::nan("")};
  return {comm::quantile(congested_s, 0.5) / comm::quantile(isolated_s, 0.5),
          comm::quantile(congested_s, 0.99) / comm::quantile(isolated_s, 0.99)};
}

BackgroundLoadFigures background_load(const std::vector<BackgroundRank>& ranks) {
  BackgroundLoadFigures figures;
  std::vector<std::string> nodes;
  std::vector<double> out, in;
  for (const BackgroundRank& rank : ranks) {
    const auto at = std::find(nodes.begin(), nodes.end(), rank.host);
    const auto node = static_cast<std::size_t>(at - nodes.begin());
    if (at == nodes.end()) {
      nodes.push_back(rank.host);
      out.push_back(0.0);
      in.push_back(0.0);
    }
    if (rank.load.seconds > 0) {
      out[node] += static_cast<double>(rank.load.bytes_sent) / rank.load.seconds;
      in[node] += static_cast<double>(rank.load.bytes_received) / rank.load.seconds;
    }
    figures.units += rank.load.units;
  }
  std::vector<double> node_load;
  node_load.reserve(nodes.size());
  for (std::size_t k = 0; k < nodes.size(); ++k) node_load.push_back(std::max(out[k], in[k]));
  figures.node_load_bytes_s = comm::median_of_measured(node_load);
  return figures;
}

RunCongestion run_congestion(comm::BackgroundPattern pattern, std::uint64_t unit_bytes, const RunSummary& isolated,
                             const RunSummary& congested, const std::vector<BackgroundRank>& background) {
  RunCongestion c;
  c.pattern = pattern;
  c.unit_bytes = unit_bytes;
  c.background_ranks = static_cast<int>(background.size());
  c.step_p50_isolated_s = isolated.step_p50;
  c.step_p50_s = congested.step_p50;
  c.step_p95_isolated_s = isolated.step_p95;
  c.step_p95_s = congested.step_p95;
  c.exposed_isolated_s = isolated.exposed_total;
  c.exposed_s = congested.exposed_total;
  c.load = background_load(background);
  return c;
}

std::map<std::string, double> RunCongestion::figures() const {
  return {{"step_p50_isolated_s", step_p50_isolated_s},
          {"step_p50_s", step_p50_s},
          {"step_slowdown_p50", slowdown_p50()},
          {"step_p95_isolated_s", step_p95_isolated_s},
          {"step_p95_s", step_p95_s},
          {"step_slowdown_p95", slowdown_p95()},
          {"exposed_isolated_s", exposed_isolated_s},
          {"exposed_s", exposed_s},
          {"node_load_gbs", load.node_load_bytes_s / 1e9}};
}

}  // namespace scaleout::analysis
