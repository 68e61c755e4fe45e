#include "runs/report/bench_report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "runs/output_file.hpp"
#include "runs/version.hpp"

namespace scaleout::runs {

std::optional<LinkShare> link_share(const comm::BenchRecord& record, const BenchContext& context) {
  if (!context.link_bytes_s || !record.tiers || record.tiers->network_per_node == 0) return std::nullopt;
  const comm::BenchFigures f = comm::figures(record);
  const double share = f.network_gbs * 1e9 / *context.link_bytes_s;
  return LinkShare{share, f.busbw_gbs / share};
}

void ConsoleTable::header(const BenchContext& c) {
  tiers_ = c.nodes > 1;
  link_ = tiers_ && c.link_bytes_s.has_value();
  context_ = c;
  const auto& o = c.options;
  fmt::print(out_, "# scaleout bench {}: {} rank{} on {} node{}, {}\n", version(), c.ranks, c.ranks == 1 ? "" : "s",
             c.nodes, c.nodes == 1 ? "" : "s", c.mpi_library);
  fmt::print(out_, "# {}, {}, {} measured iterations after {} warm-up, check {}, algorithm {}\n", comm::name(o.type),
             o.nonblocking ? "non-blocking (issue + wait)" : "blocking", o.iterations, o.warmup, o.check ? "on" : "off",
             comm::name(o.algorithm));
  fmt::print(out_,
             "# time: microseconds per iteration, each the slowest rank's; algbw = bytes / p50 and busbw = "
             "algbw x factor, in GB/s\n");
  if (tiers_) {
    fmt::print(out_,
               "# per tier, GB/s: net = the most bytes one node's ranks send to other nodes / p50 (its network "
               "link), node = the most bytes one rank sends inside its node / p50 (its node fabric); - for the "
               "library's algorithms\n");
  }
  if (link_) {
    fmt::print(out_,
               "# against the link's {:.3f} GB/s each way ({}): link = net / the link's rate, peak = "
               "the busbw at which net would fill the link\n",
               *c.link_bytes_s / 1e9, c.link_source.empty() ? "--expect-rate" : c.link_source);
  } else if (c.link_bytes_s) {
    fmt::print(out_, "# --expect-rate: one node, no network link to compare with\n");
  }
  if (c.background) {
    const auto& b = *c.background;
    fmt::print(out_,
               "# --background {}: {} rank{} (the last {} of every node) make it, {} bytes per rank and unit; each "
               "size runs again under it ('under {}'): x p50, x p99 = its time over the row above's at the p50 "
               "and p99 (GPCNeT's congestion impact factor)\n",
               comm::to_string(b.traffic.pattern), b.ranks, b.ranks == 1 ? "" : "s", b.traffic.ranks_per_node,
               b.traffic.unit_bytes, comm::to_string(b.traffic.pattern));
  }
  fmt::print(out_, "#\n# {:<15}{:<10}{:>12}{:>10}{:>10}{:>10}{:>10}{:>10}{:>9}{:>9}{}{}{:>8}{}\n", "collective",
             "algorithm", "bytes", "min", "p50", "p95", "p99", "max", "algbw", "busbw",
             tiers_ ? fmt::format("{:>9}{:>9}", "net", "node") : "",
             link_ ? fmt::format("{:>7}{:>9}", "link", "peak") : "", "wrong",
             c.background ? fmt::format("{:>8}{:>8}", "x p50", "x p99") : "");
  std::fflush(out_);
}

void ConsoleTable::row(const comm::BenchRecord& r) const {
  print_row(r, r.collective, context_.background ? fmt::format("{:>8}{:>8}", "-", "-") : "");
}

void ConsoleTable::row_under(const comm::BenchRecord& under, const comm::BenchRecord& alone) const {
  const analysis::ImpactFactor impact = analysis::impact_factor(under.seconds, alone.seconds);
  print_row(under, fmt::format("under {}", comm::to_string(context_.background->traffic.pattern)),
            fmt::format("{:>8.2f}{:>8.2f}", impact.p50, impact.p99));
}

void ConsoleTable::load(const analysis::BackgroundLoadFigures& load) const {
  fmt::print(out_,
             "# background load: {:.3f} GB/s per node (median; the larger of the bytes out and in over other nodes "
             "per second), {} units\n",
             load.node_load_bytes_s / 1e9, load.units);
  std::fflush(out_);
}

void ConsoleTable::print_row(const comm::BenchRecord& r, const std::string& label, const std::string& impact) const {
  const comm::BenchFigures f = comm::figures(r);
  const std::string wrong = r.wrong ? fmt::format("{}", *r.wrong) : "-";
  std::string tiers;
  if (tiers_) {
    tiers = r.tiers ? fmt::format("{:>9.3f}{:>9.3f}", f.network_gbs, f.intra_node_gbs)
                    : fmt::format("{:>9}{:>9}", "-", "-");
  }
  std::string link;
  if (link_) {
    const auto against = link_share(r, context_);
    link = against ? fmt::format("{:>6.0f}%{:>9.3f}", 100.0 * against->share, against->peak_busbw_gbs)
                   : fmt::format("{:>7}{:>9}", "-", "-");
  }
  fmt::print(out_, "  {:<15}{:<10}{:>12}{:>10.1f}{:>10.1f}{:>10.1f}{:>10.1f}{:>10.1f}{:>9.3f}{:>9.3f}{}{}{:>8}{}\n",
             label, r.algorithm, r.bytes, f.time_us.min, f.time_us.p50, f.time_us.p95, f.time_us.p99, f.time_us.max,
             f.algbw_gbs, f.busbw_gbs, tiers, link, wrong, impact);
  std::fflush(out_);
}

namespace {

nlohmann::json tiers_json(const comm::BenchRecord& r, const BenchContext& c) {
  if (!r.tiers) return nullptr;
  const comm::BenchFigures f = comm::figures(r);
  nlohmann::json tiers = {{"network_bytes_per_node", r.tiers->network_per_node},
                          {"intra_node_bytes_per_rank", r.tiers->intra_node_per_rank},
                          {"network_gbs", f.network_gbs},
                          {"intra_node_gbs", f.intra_node_gbs}};
  if (const auto against = link_share(r, c)) {
    tiers["link_share"] = against->share;
    tiers["peak_busbw_gbs"] = against->peak_busbw_gbs;
  }
  return tiers;
}

nlohmann::json record_json(const comm::BenchRecord& r, const BenchContext& c) {
  const comm::BenchFigures f = comm::figures(r);
  std::vector<double> iterations_us;
  iterations_us.reserve(r.seconds.size());
  for (const double seconds : r.seconds) iterations_us.push_back(seconds * 1e6);
  return {{"collective", r.collective},
          {"algorithm", r.algorithm},
          {"bytes", r.bytes},
          {"requested_bytes", r.requested_bytes},
          {"time_us",
           {{"min", f.time_us.min},
            {"p50", f.time_us.p50},
            {"p95", f.time_us.p95},
            {"p99", f.time_us.p99},
            {"max", f.time_us.max}}},
          {"algbw_gbs", f.algbw_gbs},
          {"busbw_gbs", f.busbw_gbs},
          {"bus_factor", r.bus_factor},
          {"tiers", tiers_json(r, c)},
          {"iterations_us", iterations_us},
          {"wrong", r.wrong ? nlohmann::json(*r.wrong) : nlohmann::json(nullptr)}};
}

// NaN has no JSON: null.
nlohmann::json number(double value) { return std::isnan(value) ? nlohmann::json() : nlohmann::json(value); }

nlohmann::json congestion_json(const BenchContext& c, std::span<const comm::BenchRecord> records,
                               const BenchCongestion& congestion) {
  nlohmann::json results = nlohmann::json::array();
  for (std::size_t k = 0; k < congestion.congested.size() && k < records.size(); ++k) {
    const analysis::ImpactFactor impact = analysis::impact_factor(congestion.congested[k].seconds, records[k].seconds);
    nlohmann::json result = record_json(congestion.congested[k], c);
    result["impact_p50"] = number(impact.p50);
    result["impact_p99"] = number(impact.p99);
    results.push_back(std::move(result));
  }
  const analysis::BackgroundLoadFigures load = analysis::background_load(congestion.background);
  return {{"pattern", comm::to_string(congestion.traffic.pattern)},
          {"unit_bytes", congestion.traffic.unit_bytes},
          {"background_ranks", congestion.background.size()},
          {"node_load_gbs", number(load.node_load_bytes_s / 1e9)},
          {"units", load.units},
          {"results", results}};
}

}  // namespace

nlohmann::json bench_json(const BenchContext& c, std::span<const comm::BenchRecord> records,
                          const BenchCongestion* congestion) {
  nlohmann::json results = nlohmann::json::array();
  for (const comm::BenchRecord& r : records) results.push_back(record_json(r, c));
  return {{"results", results},
          {"ranks", c.ranks},
          {"nodes", c.nodes},
          {"mpi_library", c.mpi_library},
          {"dtype", comm::name(c.options.type)},
          {"nonblocking", c.options.nonblocking},
          {"algorithm", comm::name(c.options.algorithm)},
          {"iterations", c.options.iterations},
          {"warmup", c.options.warmup},
          {"check", c.options.check},
          {"expected_link_gbs", c.link_bytes_s ? nlohmann::json(*c.link_bytes_s / 1e9) : nlohmann::json(nullptr)},
          {"expected_link_from", c.link_source.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.link_source)},
          {"congestion", congestion != nullptr ? congestion_json(c, records, *congestion) : nlohmann::json(nullptr)},
          {"scaleout_version", version()}};
}

std::string bench_csv(std::span<const comm::BenchRecord> records, const BenchCongestion* congestion) {
  std::string csv =
      "collective,algorithm,bytes,time_us_min,time_us_p50,time_us_p95,time_us_p99,time_us_max,algbw_gbs,busbw_gbs,"
      "wrong,background,impact_p50,impact_p99\n";
  const auto line = [&](const comm::BenchRecord& r, const std::string& background) {
    const comm::BenchFigures f = comm::figures(r);
    csv += fmt::format("{},{},{},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.6f},{:.6f},{},{}", r.collective, r.algorithm,
                       r.bytes, f.time_us.min, f.time_us.p50, f.time_us.p95, f.time_us.p99, f.time_us.max, f.algbw_gbs,
                       f.busbw_gbs, r.wrong ? fmt::format("{}", *r.wrong) : "", background);
  };
  for (const comm::BenchRecord& r : records) {
    line(r, "");
    csv += ",,\n";
  }
  if (congestion == nullptr) return csv;
  for (std::size_t k = 0; k < congestion->congested.size() && k < records.size(); ++k) {
    line(congestion->congested[k], comm::to_string(congestion->traffic.pattern));
    const analysis::ImpactFactor impact = analysis::impact_factor(congestion->congested[k].seconds, records[k].seconds);
    csv += fmt::format(",{:.4f},{:.4f}\n", impact.p50, impact.p99);
  }
  return csv;
}

std::string output_format(const std::string& path) {
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension == ".json") return "json";
  if (extension == ".csv") return "csv";
  return "";
}

void write_bench_output(const std::string& path, const BenchContext& context, const BenchResults& results) {
  const std::string format = output_format(path);
  const BenchCongestion* congestion = results.congestion ? &*results.congestion : nullptr;
  const std::string text = format == "json" ? bench_json(context, results.records, congestion).dump(2) + "\n"
                                            : bench_csv(results.records, congestion);
  write_file_atomically(path, text);
}

}  // namespace scaleout::runs
