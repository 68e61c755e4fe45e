#include "runs/report/summary_report.hpp"

#include <fmt/format.h>

#include "parallelism/inference.hpp"
#include "parallelism/schedule.hpp"

namespace scaleout::runs {

namespace {

// Exposed and overlapped communication by tier, and how hops inside a node passed.
std::string tiers_text(const analysis::RunSummary& s, const parallelism::Workload& workload) {
  const auto ms = [](double seconds) { return seconds * 1e3; };
  constexpr double mib = 1 << 20;
  const auto intra = static_cast<std::size_t>(parallelism::Tier::intra_node);
  const auto network = static_cast<std::size_t>(parallelism::Tier::network);
  std::string text;
  if (!s.exposed.empty()) {
    text += fmt::format(
        "  by tier              node's fabric {:.2f} ms exposed, {:.2f} ms overlapped; network {:.2f} ms "
        "exposed, {:.2f} ms overlapped\n",
        ms(s.exposed_tier[intra]), ms(s.overlapped_tier[intra]), ms(s.exposed_tier[network]),
        ms(s.overlapped_tier[network]));
  }
  if (workload.intra_node == parallelism::IntraNode::device) {
    text += fmt::format(
        "  inside a node        modelled on the device's {} (emulation.intra_node: device): {:.2f} MiB per rank "
        "and step over it{}, {:.2f} MiB moved for real\n",
        workload.device.fabric.name, s.bytes_modelled / mib, s.bytes_modelled > 0 ? "" : " (no hop inside a node)",
        s.bytes_moved / mib);
  } else {
    text += fmt::format("  inside a node        real, through the host's shared memory (emulation.intra_node: host)\n");
  }
  return text;
}

}  // namespace

std::string format_summary(const analysis::RunSummary& s, const parallelism::Workload& workload) {
  const auto ms = [](double seconds) { return seconds * 1e3; };
  std::string text =
      fmt::format("summary over {} measured step{} on {} rank{} ({} on {}, {}, {} microbatch{} of {})\n", s.steps,
                  s.steps == 1 ? "" : "s", s.ranks, s.ranks == 1 ? "" : "s", workload.model.name, workload.device.name,
                  parallelism::describe(workload.layout), workload.microbatches(),
                  workload.microbatches() == 1 ? "" : "es", workload.micro_batch);
  text += fmt::format("  step time        p50 {:10.2f} ms   p95 {:10.2f} ms   (slowest rank per step)\n",
                      ms(s.step_p50), ms(s.step_p95));
  text += fmt::format("  compute              {:10.2f} ms\n", ms(s.compute));
  for (const auto& [group, value] : s.exposed) {
    text += fmt::format("  exposed comm {:<4}    {:10.2f} ms\n", group, ms(value));
  }
  if (workload.layout.pp > 1) {
    text += fmt::format("  pipeline bubble      {:10.2f} ms   {:.1f} % of the step (ideal {:.1f} %)\n", ms(s.bubble),
                        100 * s.bubble_share,
                        100 * parallelism::ideal_bubble_share(workload.layout.schedule, workload.layout.pp,
                                                              workload.microbatches(), workload.layout.virtual_stages));
  }
  text += fmt::format("  overlapped comm      {:10.2f} ms   (in flight during compute)\n", ms(s.overlapped));
  text += tiers_text(s, workload);
  text += fmt::format("  other                {:10.2f} ms\n", ms(s.other));
  text += fmt::format("  communication share  {:10.1f} %    (exposed comm / step time)\n", 100 * s.comm_share);
  text += fmt::format("  bound by             {}, {:.1f} % of the step\n",
                      analysis::describe_binding(s.binding, s.binding_group), 100 * s.binding_share);
  text += fmt::format("  emulated MFU         {:10.1f} %    of {:.4g} TFLOP/s peak per device\n", 100 * s.mfu,
                      workload.device.peak_flops / 1e12);
  text += fmt::format("  compute emulation    requested {:.2f} ms, measured {:.2f} ms per rank and step ({:+.2f} %)\n",
                      ms(s.emulation.requested / s.emulation.rows), ms(s.emulation.measured / s.emulation.rows),
                      100 * s.emulation.error);
  return text;
}

std::string format_serving_summary(const analysis::ServingSummary& s, const parallelism::Workload& w) {
  const auto& serve = *w.inference;
  const auto ms = [](double seconds) { return seconds * 1e3; };
  std::string text = fmt::format(
      "serving summary over {} measured request batch{} on {} rank{} ({} on {}; {} replica{} of {}; {} sequences x "
      "{} prompt + {} output tokens)\n",
      s.batches, s.batches == 1 ? "" : "es", s.ranks, s.ranks == 1 ? "" : "s", w.model.name, w.device.name, s.replicas,
      s.replicas == 1 ? "" : "s", parallelism::describe_replica(w.layout), serve.sequences, serve.prompt_tokens,
      serve.output_tokens);
  text += fmt::format("  time to first token   p50 {:10.3f} ms   p95 {:10.3f} ms   (prefill pass)\n", ms(s.ttft_p50),
                      ms(s.ttft_p95));
  if (s.decode.steps > 0) {
    text += fmt::format("  time per output token p50 {:10.3f} ms   p95 {:10.3f} ms   (decode pass)\n", ms(s.tpot_p50),
                        ms(s.tpot_p95));
  }
  text += fmt::format("  tokens per second     {:.1f} per replica, {:.1f} per device, {:.1f} for the job\n",
                      s.tokens_per_s_replica, s.tokens_per_s_device, s.tokens_per_s_job);
  const auto pass_line = [&](const char* name, const analysis::ScalePoint& p) {
    std::string groups;
    for (const auto& [group, value] : p.exposed) groups += fmt::format(" {} {:.3f}", group, ms(value));
    return fmt::format(
        "  {:<8} compute {:9.3f} ms  exposed comm {:9.3f} ms ({}){}  other {:.3f} ms  comm share {:5.1f} %\n", name,
        ms(p.compute), ms(p.exposed_total), groups.empty() ? "none" : groups.substr(1),
        p.bubble > 0 ? fmt::format("  bubble {:.3f} ms", ms(p.bubble)) : "", ms(p.other), 100 * p.comm_share);
  };
  text += pass_line("prefill", s.prefill);
  if (s.decode.steps > 0) text += pass_line("decode", s.decode);
  text += fmt::format("  decode is bound by    {}\n", analysis::decode_bound(s));
  if (s.emulation.rows > 0) {
    text +=
        fmt::format("  compute emulation     requested {:.3f} ms, measured {:.3f} ms per rank and pass ({:+.2f} %)\n",
                    ms(s.emulation.requested / s.emulation.rows), ms(s.emulation.measured / s.emulation.rows),
                    100 * s.emulation.error);
  }
  return text;
}

std::string format_congestion(const analysis::RunCongestion& c) {
  const auto ms = [](double seconds) { return seconds * 1e3; };
  constexpr double mib = 1 << 20;
  std::string text = fmt::format(
      "background {} by {} rank{} ({:.3g} MiB per rank and unit): the steps above ran under it; each also ran "
      "alone just before\n",
      comm::to_string(c.pattern), c.background_ranks, c.background_ranks == 1 ? "" : "s",
      static_cast<double>(c.unit_bytes) / mib);
  text += fmt::format("  step time        p50 {:10.2f} ms alone   x{:.2f} under it   p95 {:.2f} ms alone   x{:.2f}\n",
                      ms(c.step_p50_isolated_s), c.slowdown_p50(), ms(c.step_p95_isolated_s), c.slowdown_p95());
  text += fmt::format("  exposed comm         {:10.2f} ms alone   {:.2f} ms under it\n", ms(c.exposed_isolated_s),
                      ms(c.exposed_s));
  text += fmt::format(
      "  load                 {:.3f} GB/s per node (median; the larger of out and in over other nodes), {} units\n",
      c.load.node_load_bytes_s / 1e9, c.load.units);
  return text;
}

std::string format_result(const analysis::RunResult& result, const parallelism::Workload& workload) {
  if (result.serving) return format_serving_summary(*result.serving, workload);
  if (result.training) return format_summary(*result.training, workload);
  return "no measured step completed\n";
}

}  // namespace scaleout::runs
