#include "runs/report/plan_report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <vector>

#include "parallelism/inference.hpp"
#include "runs/sizes.hpp"

namespace scaleout::runs {

namespace {

double gib(double bytes) { return bytes / (1ull << 30); }

// The node's fabric, and how the run passes hops inside a node (emulation.intra_node).
std::string node_text(const parallelism::Workload& w) {
  return fmt::format("node       {}\n           hops inside a node: {}\n", parallelism::describe(w.device.fabric),
                     w.intra_node == parallelism::IntraNode::device
                         ? "modelled on the device's fabric (emulation.intra_node: device); between nodes real"
                         : "real, through the host's shared memory (emulation.intra_node: host)");
}

// The model, device, layout, pipeline, FLOPs and placement lines.
std::string workload_text(const nlohmann::json& json, const parallelism::Workload& w, int ranks_per_node) {
  const auto& l = w.layout;
  std::string text;
  const std::string vocab = w.padded_vocab() == w.model.vocab
                                ? fmt::format("{}", w.model.vocab)
                                : fmt::format("{} (padded to {})", w.model.vocab, w.padded_vocab());
  text += fmt::format("model      {} ({}): {} layers, hidden {}, {} heads of {} ({} kv), ffn {}, vocab {}, seq {}{}\n",
                      w.model.name, to_string(w.model.architecture), w.model.layers, w.model.hidden, w.model.heads,
                      w.model.head_dim(), w.model.kv_heads, w.model.ffn_hidden, vocab, w.model.seq_len,
                      w.model.moe() ? fmt::format(", {} experts (top {})", w.model.experts, w.model.top_k) : "");
  text += fmt::format("parameters {} ({})\n", format_count(static_cast<double>(w.model.parameters())),
                      w.model.parameters());
  text += fmt::format("device     {}\n", parallelism::describe(w.device));
  text += node_text(w);
  text +=
      fmt::format("layout     {} = {} ranks; batch {} = micro {} x dp {} x {} microbatch{}\n", parallelism::describe(l),
                  l.world(), w.global_batch, w.micro_batch, l.dp, w.microbatches(), w.microbatches() == 1 ? "" : "es");
  if (l.pp > 1) {
    text += fmt::format(
        "pipeline   {} layers per stage{}; ideal bubble {:.1f} % of the step\n", w.model.layers / l.pp,
        l.virtual_stages > 1 ? fmt::format(" in {} chunks of {}", l.virtual_stages, w.layers_per_chunk()) : "",
        100 * json["layout"]["ideal_bubble_share"].get<double>());
  }
  text += fmt::format("FLOPs      {:.4g} per step (model FLOPs of the job; {} attention{})\n", w.flops_per_step(),
                      to_string(w.model.attention),
                      w.model.attention == parallelism::AttentionKernel::flash ? ", causal blocks skipped" : "");
  const auto& framework = json["framework"];
  text +=
      fmt::format("framework  {}: gradients reduced in {} in buckets of {:.1f} MiB ({:.0f} elements), {}{}\n",
                  framework["name"].get<std::string>(), framework["gradient_dtype"].get<std::string>(),
                  framework["bucket_bytes"].get<double>() / (1 << 20), framework["bucket_elements"].get<double>(),
                  framework["overlap"].get<bool>() ? "during backward" : "after backward",
                  framework["overlap_param_gather"].get<bool>() ? "; parameters gathered during the next forward" : "");
  if (framework["tp_comm_overlap"].get<bool>()) {
    text +=
        "tp overlap TransformerEngine's userbuffers: gathers as ring exchanges behind the GEMMs, reduce-scatters "
        "in 4 splits behind them\n";
  }
  if (const auto& single = json["layout"]["groups_of_one_rank"]; !single.empty()) {
    std::vector<std::string> names;
    for (const auto& name : single) names.push_back(name.get<std::string>());
    text +=
        fmt::format("no ops     on {} groups of one rank: their gradients are whole, nothing is reduced or gathered\n",
                    fmt::join(names, " and "));
  }
  const auto& placement = json["placement"];
  if (ranks_per_node > 0) {
    text += fmt::format("placement  {} rank{} per node, {} node{}", ranks_per_node, ranks_per_node == 1 ? "" : "s",
                        placement["nodes"].get<int>(), placement["nodes"].get<int>() == 1 ? "" : "s");
    text += placement["warnings"].empty() ? ": every TP and CP group inside a node\n" : "\n";
    for (const auto& warning : placement["warnings"])
      text += "  warning: " + warning["message"].get<std::string>() + "\n";
  }
  return text;
}

// Memory per device and stage against the device's, and the verdict.
std::string memory_text(const nlohmann::json& json, const parallelism::Workload& w) {
  std::string text = "memory per device (GiB):\n";
  text += fmt::format("  {:<6} {:>11} {:>10} {:>10} {:>12} {:>9} {:>9}\n", "stage", "parameters", "gradients",
                      "optimizer", "activations", "total", "of");
  for (const auto& stage : json["stages"]) {
    const auto& m = stage["memory"];
    text +=
        fmt::format("  {:<6} {:>11.2f} {:>10.2f} {:>10.2f} {:>12.2f} {:>9.2f} {:>9.0f}  {}\n", m["stage"].get<int>(),
                    gib(m["parameters"]), gib(m["gradients"]), gib(m["optimizer_states"]), gib(m["activations"]),
                    gib(m["total"]), gib(w.device.memory_bytes), m["fits"].get<bool>() ? "fits" : "DOES NOT FIT");
  }
  const auto& worst = json["memory"];
  text += fmt::format("  verdict: {} (largest: stage {}, {:.2f} GiB of {:.2f} GiB; {} microbatch{} in flight)\n",
                      worst["fits"].get<bool>() ? "fits" : "DOES NOT FIT", worst["stage"].get<int>(),
                      gib(worst["total"]), gib(w.device.memory_bytes), worst["microbatches_in_flight"].get<int>(),
                      worst["microbatches_in_flight"].get<int>() == 1 ? "" : "es");
  return text;
}

// One stage: its compute per phase, its communication per step, and its program's outline.
std::string stage_text(const nlohmann::json& stage, const char* which) {
  const auto& seconds = stage["compute_seconds"];
  const auto phase_ms = [&](const char* phase) {
    return seconds.contains(phase) ? seconds[phase].get<double>() * 1e3 : 0.0;
  };
  std::string text = fmt::format(
      "stage {}{}: compute {:.3f} ms per step (forward {:.3f}, backward {:.3f}, recompute {:.3f}, "
      "optimizer {:.3f})\n",
      stage["stage"].get<int>(), which, stage["compute_seconds_per_step"].get<double>() * 1e3, phase_ms("forward"),
      phase_ms("backward"), phase_ms("recompute"), phase_ms("optimizer"));
  text += "  communication per step and rank:\n";
  for (const auto& op : stage["ops"]) {
    text += fmt::format("    {:<9} {:<15} {:>6} x {:>10}\n", op["channel"].get<std::string>(),
                        op["kind"].get<std::string>(), op["count_per_step"].get<int>(),
                        format_bytes(op["bytes"].get<std::uint64_t>()));
  }
  text += "  step program:\n";
  for (const auto& line : stage["outline"]) text += "    " + line.get<std::string>() + "\n";
  return text;
}

}  // namespace

std::string plan_text(const nlohmann::json& json, const parallelism::Workload& w, int ranks_per_node) {
  std::string text = workload_text(json, w, ranks_per_node) + memory_text(json, w);
  const auto& stages = json["stages"];
  if (w.layout.pp == 1) return text + stage_text(stages[0], "");
  return text + stage_text(stages[0], " (first)") + stage_text(stages[stages.size() - 1], " (last)");
}

std::string serving_plan_text(const nlohmann::json& json, const parallelism::Workload& w) {
  const auto& serve = *w.inference;
  std::string text;
  text += fmt::format("model      {}: {} parameters, {} layers, {} kv heads of {}\n", w.model.name,
                      format_count(static_cast<double>(w.model.parameters())), w.model.layers, w.model.kv_heads,
                      w.model.head_dim());
  text += fmt::format("device     {}\n", parallelism::describe(w.device));
  text += node_text(w);
  text += fmt::format(
      "serving    {} replica{} of {}; {} sequences x {} prompt + {} output tokens, KV cache {} B per "
      "element\n",
      json["layout"]["replicas"].get<int>(), json["layout"]["replicas"].get<int>() == 1 ? "" : "s",
      parallelism::describe_replica(w.layout), serve.sequences, serve.prompt_tokens, serve.output_tokens,
      serve.kv_element_bytes);
  text +=
      fmt::format("KV cache   {} B per token of a sequence per device\n", json["memory"]["kv_per_token"].get<double>());
  text += fmt::format("  verdict: {}\n", json["memory"]["verdict"].get<std::string>());
  const auto pass_text = [&](const char* name, const nlohmann::json& pass) {
    std::string out = fmt::format("  {:<13} device time {:9.3f} ms ({}-bound)\n", name,
                                  pass["compute_seconds"].get<double>() * 1e3, pass["bound"].get<std::string>());
    for (const auto& op : pass["ops"]) {
      out += fmt::format("    {:<9} {:<15} {:>6} x {:>10}\n", op["channel"].get<std::string>(),
                         op["kind"].get<std::string>(), op["count_per_pass"].get<int>(),
                         format_bytes(op["bytes"].get<std::uint64_t>()));
    }
    return out;
  };
  for (const auto& stage : json["stages"]) {
    text += fmt::format("stage {}:\n", stage["stage"].get<int>());
    text += pass_text("prefill", stage["prefill"]);
    if (stage.contains("decode_first")) {
      text += pass_text("decode, first", stage["decode_first"]);
      text += pass_text("decode, last", stage["decode_last"]);
    }
  }
  return text;
}

}  // namespace scaleout::runs
