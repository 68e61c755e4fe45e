#include "runs/report/fabric_report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <set>

#include "runs/report/report_plots.hpp"
#include "runs/sizes.hpp"

namespace scaleout::runs {

namespace {

constexpr double giga = 1e9;

std::string gbs(double bytes_s) { return std::isnan(bytes_s) ? "-" : fmt::format("{:.3f}", bytes_s / giga); }

std::string sizes_text(const comm::FabricSamples& samples) {
  std::string text;
  for (const auto size : samples.sizes) text += (text.empty() ? "" : ", ") + format_bytes(size);
  return text;
}

std::string rounds_text(const comm::FabricSamples& samples) {
  int rounds = 0;
  for (const int round : samples.round_of) rounds = std::max(rounds, round + 1);
  return fmt::format("{} round{}", rounds, rounds == 1 ? "" : "s");
}

void group_text(std::string& out, const analysis::FabricStudy& study, const analysis::FabricGroup& group) {
  const auto& v = group.verdict;
  const auto label = [&](int member) {
    return study.labels[static_cast<std::size_t>(group.members[static_cast<std::size_t>(member)])];
  };
  if (study.groups.size() > 1) out += fmt::format("\n{}\n", group.name);
  out += fmt::format("bandwidth each way: median {} GB/s, MAD {} GB/s; the participants' median {} GB/s",
                     gbs(v.median_bytes_s), gbs(v.mad_bytes_s), gbs(v.reference_bytes_s));
  if (study.judging.expected_bytes_s) {
    out +=
        fmt::format(", {:.0f} % of the expected {} GB/s", 100.0 * v.reference_bytes_s / *study.judging.expected_bytes_s,
                    gbs(*study.judging.expected_bytes_s));
  }
  out += "\n";
  if (!group.retested.empty()) {
    out += fmt::format("retested alone: {} pair{} ({} named before, {} after)\n", group.retested.size(),
                       group.retested.size() == 1 ? "" : "s", group.first.nodes.size() + group.first.pairs.size(),
                       v.nodes.size() + v.pairs.size());
  }
  const bool expected = study.judging.expected_bytes_s.has_value();
  out += fmt::format("\n{:<24} {:>9} {:>9} {:>9} {:>11}{}  {}\n", "participant", "GB/s", "out", "in", "latency us",
                     expected ? fmt::format(" {:>9}", "of rate") : "", "verdict");
  const auto figures = analysis::participant_figures(study, group);
  for (int k = 0; k < static_cast<int>(group.members.size()); ++k) {
    const analysis::ParticipantFigures& f = figures[static_cast<std::size_t>(k)];
    std::string said;
    for (const auto& node : v.nodes) {
      if (node.index == k)
        said = fmt::format("SLOW: {} ({:.0f} %)", analysis::to_string(node.fault), 100.0 * node.share);
    }
    const double share = analysis::expected_share(study, analysis::figure_of(v, k));
    out += fmt::format("{:<24} {:>9} {:>9} {:>9} {:>11.1f}{}  {}\n", label(k), gbs(analysis::figure_of(v, k)),
                       gbs(f.out_bytes_s), gbs(f.in_bytes_s), f.latency_s * 1e6,
                       !expected           ? ""
                       : std::isnan(share) ? fmt::format(" {:>9}", "-")
                                           : fmt::format(" {:>8.0f}%", 100.0 * share),
                       said);
  }
  for (const auto& pair : v.pairs) {
    out += fmt::format("SLOW LINK {} <-> {}: {} / {} GB/s each way, {:.0f} % of the participants' median\n",
                       label(pair.a), label(pair.b), gbs(pair.a_to_b_s), gbs(pair.b_to_a_s), 100.0 * pair.share);
  }
  for (const auto& found : v.switches) {
    const analysis::NamedSwitchFinding named = analysis::name_switch_finding(study, group, found);
    const std::string members = fmt::format("{}", fmt::join(named.members, ", "));
    out +=
        found.switch_index < 0
            ? fmt::format(
                  "SLOW BETWEEN SWITCHES {} ({}): {} GB/s each way across them, {:.0f} % of the {} GB/s "
                  "inside switches: the spine, or every uplink\n",
                  fmt::join(named.switches, ", "), members, gbs(found.bytes_s), 100.0 * found.share,
                  gbs(v.inside_switch_bytes_s))
            : fmt::format(
                  "SLOW SWITCH {} ({}): {} GB/s each way leaving it, {:.0f} % of the {} GB/s inside "
                  "switches: its links to the rest\n",
                  named.switches.at(0), members, gbs(found.bytes_s), 100.0 * found.share, gbs(v.inside_switch_bytes_s));
  }
}

void congestion_text(std::string& out, const analysis::FabricStudy& study,
                     const analysis::FabricCongestion& congestion) {
  const analysis::CongestionFigures f = analysis::congestion_figures(study, congestion);
  const auto& sizes = study.all_pairs.sizes;
  out +=
      fmt::format("\nunder {} background traffic from {} rank{} that take no part, {} per rank and unit, {} units:\n",
                  comm::to_string(congestion.pattern), congestion.background.size(),
                  congestion.background.size() == 1 ? "" : "s", format_bytes(congestion.unit_bytes), f.units);
  out += fmt::format(
      "  {} each way took x{:.2f} the isolated time at p50, x{:.2f} at p99; latency x{:.2f} at p50, "
      "x{:.2f} at p99\n",
      sizes.empty() ? "-" : format_bytes(sizes.back()), f.bandwidth.p50, f.bandwidth.p99, f.latency.p50, f.latency.p99);
  out += fmt::format(
      "  the background moved {} GB/s through each node's link (median over its nodes), {:.0f} % of the "
      "participants' isolated median\n",
      gbs(f.node_load_bytes_s), 100.0 * f.load_share);
}

std::size_t holding_switches(const analysis::FabricStudy& study) {
  std::set<int> holding;
  for (const int s : study.switch_of) {
    if (s >= 0) holding.insert(s);
  }
  return holding.size();
}

std::string text(const analysis::FabricStudy& study) {
  const auto& all = study.all_pairs;
  std::string out = fmt::format(
      "scaleout fabric: {} participants ({}), {}, sizes {} in messages of {}, {} iterations each\n", all.count(),
      study.measured, rounds_text(all), sizes_text(all), format_bytes(all.message_bytes), all.iterations);
  out += fmt::format("all pairs in {:.2f} s; verdicts from {} both ways at once, below {:.0f} % of the median named\n",
                     all.elapsed_s, all.sizes.empty() ? "-" : format_bytes(all.sizes.back()),
                     100.0 * study.judging.threshold);
  if (const analysis::NodeNicRate* slowest = analysis::slowest_nic(study.nic_rates)) {
    out += fmt::format(
        "expected rate from the NICs (--expect-rate nic): {:g} Gbit/s, {}'s {} (the slowest of {} node{})\n",
        slowest->bits_s / giga, slowest->host, slowest->nic, study.nic_rates.size(),
        study.nic_rates.size() == 1 ? "" : "s");
  }
  if (!study.switch_source.empty()) {
    const std::size_t holding = holding_switches(study);
    out += fmt::format("switches from {}: {} leaf switch{} hold{} the participants\n", study.switch_source, holding,
                       holding == 1 ? "" : "es", holding == 1 ? "s" : "");
  }
  for (const auto& group : study.groups) group_text(out, study, group);
  if (study.congestion) congestion_text(out, study, *study.congestion);
  const auto drain = study.drain();
  std::string hosts;
  for (const auto& host : drain) hosts += (hosts.empty() ? "" : ",") + host;
  out += study.healthy() ? "\nverdict: healthy\n"
                         : fmt::format("\nverdict: faults named{}\n", drain.empty() ? "" : "; drain " + hosts);
  return out;
}

}  // namespace

std::string format_fabric(const analysis::FabricStudy& study, Format format) {
  if (format == Format::json) {
    nlohmann::json out = analysis::verdict_json(study);
    out["elapsed_s"] = study.all_pairs.elapsed_s;
    out["retest_elapsed_s"] = study.retest.elapsed_s;
    out["sizes"] = study.all_pairs.sizes;
    out["iterations"] = study.all_pairs.iterations;
    out["message_bytes"] = study.all_pairs.message_bytes;
    return out.dump(2) + "\n";
  }
  return text(study);
}

std::vector<std::string> draw_fabric_plots(const analysis::FabricStudy& study, const std::string& folder) {
  nlohmann::json json = analysis::verdict_json(study);
  json["labels"] = study.labels;
  const auto matrix = analysis::judged_matrix(study);
  const std::size_t n = study.labels.size();
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t from = 0; from < n; ++from) {
    nlohmann::json row = nlohmann::json::array();
    for (std::size_t to = 0; to < n; ++to) {
      const double value = matrix[from * n + to];
      row.push_back(std::isnan(value) ? nlohmann::json() : nlohmann::json(value / giga));
    }
    rows.push_back(row);
  }
  json["bandwidth_gbs"] = rows;
  json["size_bytes"] = study.all_pairs.sizes.empty() ? 0 : study.all_pairs.sizes.back();
  return draw_with_script("fabric", json, folder);
}

}  // namespace scaleout::runs
