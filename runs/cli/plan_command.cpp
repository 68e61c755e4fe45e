#include "runs/cli/plan_command.hpp"

#include <fmt/format.h>

#include <map>

#include "parallelism/memory.hpp"
#include "parallelism/program.hpp"
#include "parallelism/schedule.hpp"
#include "parallelism/step_program.hpp"
#include "parallelism/workload.hpp"
#include "runs/config/options.hpp"
#include "runs/report/serving_plan.hpp"
#include "runs/sizes.hpp"
#include "runs/usage_error.hpp"
#include "topology/summary.hpp"
#include "topology/topology.hpp"

namespace scaleout::runs {

namespace {

using parallelism::OpKind;
using parallelism::Phase;

struct PhaseOutline {
  int spans = 0;
  double seconds = 0;
  std::map<std::string, int> started;  // "dp allreduce" -> count
  bool operator==(const PhaseOutline&) const = default;
};

std::string describe(const std::string& what, const PhaseOutline& o) {
  std::string text =
      fmt::format("{} {} compute span{} {:.3f} ms", what, o.spans, o.spans == 1 ? "" : "s", o.seconds * 1e3);
  for (const auto& [name, count] : o.started) text += fmt::format(", {} {}", count, name);
  return text;
}

// One line per microbatch (runs of alike microbatches merged), then the step's own ops.
std::vector<std::string> outline(const parallelism::Program& program, int microbatches) {
  std::vector<std::pair<PhaseOutline, PhaseOutline>> per_microbatch(static_cast<std::size_t>(microbatches));
  PhaseOutline sync, optimizer;
  for (const auto& op : program.ops) {
    PhaseOutline* target = nullptr;
    if (op.microbatch >= 0) {
      auto& pair = per_microbatch[static_cast<std::size_t>(op.microbatch)];
      target = op.phase == Phase::forward ? &pair.first : &pair.second;
    } else {
      target = op.phase == Phase::optimizer ? &optimizer : &sync;
    }
    if (op.kind == OpKind::compute) {
      ++target->spans;
      target->seconds += op.seconds;
    } else {
      const std::string name = fmt::format("{} {}{}", to_string(op.group), to_string(op.transfer),
                                           op.kind == OpKind::start  ? " started"
                                           : op.kind == OpKind::wait ? " waited"
                                                                     : " (blocking)");
      ++target->started[name];
    }
  }
  std::vector<std::string> lines;
  for (std::size_t first = 0; first < per_microbatch.size();) {
    std::size_t last = first;
    while (last + 1 < per_microbatch.size() && per_microbatch[last + 1] == per_microbatch[first]) ++last;
    const std::string which =
        first == last ? fmt::format("microbatch {}", first) : fmt::format("microbatches {}-{}", first, last);
    lines.push_back(fmt::format("{}: {}; {}", which, describe("forward", per_microbatch[first].first),
                                describe("backward", per_microbatch[first].second)));
    first = last + 1;
  }
  std::string sync_text;
  for (const auto& [name, count] : sync.started)
    sync_text += fmt::format("{}{} {}", sync_text.empty() ? "" : ", ", count, name);
  if (!sync_text.empty()) lines.push_back("after backward: " + sync_text);
  lines.push_back(fmt::format("optimizer: {:.3f} ms", optimizer.seconds * 1e3));
  return lines;
}

}  // namespace

CLI::App* add_plan_command(CLI::App& app, PlanArguments& a) {
  CLI::App* plan = app.add_subcommand("plan", "Show what a run of CONFIG would do (no MPI needed)");
  plan->add_option("config", a.config, "The run's YAML config")->required();
  plan->add_option("--set", a.sets, "Override one option of the config: key=value (repeatable)");
  plan->add_option("--ranks", a.ranks, "Ranks to plan for (default: dp x tp x pp x cp, with dp 1 when 0)");
  plan->add_option("--ranks-per-node", a.ranks_per_node,
                   "Ranks on each node, placed in blocks as mpirun and srun do: checks that TP and CP groups stay "
                   "inside nodes");
  plan->add_option("--xml", a.xml,
                   "A node's hwloc XML: one rank per GPU it has (per core without GPUs), as "
                   "--ranks-per-node");
  plan->add_flag("--json", a.json, "Print JSON instead of text");
  return plan;
}

namespace {

nlohmann::json memory_json(const parallelism::MemoryEstimate& m, double capacity) {
  return {{"stage", m.stage},
          {"parameters", m.parameters},
          {"gradients", m.gradients},
          {"optimizer_states", m.optimizer_states},
          {"activations", m.activations},
          {"microbatches_in_flight", m.microbatches_in_flight},
          {"total", m.total()},
          {"capacity", capacity},
          {"fits", m.total() <= capacity}};
}

nlohmann::json stage_json(const parallelism::Workload& w, int stage) {
  const auto program = parallelism::step_program(w, stage);
  std::map<std::string, double> seconds;
  for (const auto& op : program.ops) {
    if (op.kind == parallelism::OpKind::compute) seconds[to_string(op.phase)] += op.seconds;
  }
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& op : parallelism::summarize_communication(program)) {
    ops.push_back({{"group", to_string(op.group)},
                   {"kind", to_string(op.transfer)},
                   {"bytes", op.bytes},
                   {"count_per_step", op.count_per_step}});
  }
  return {{"stage", stage},
          {"compute_seconds", seconds},
          {"compute_seconds_per_step", program.compute_seconds()},
          {"memory", memory_json(parallelism::memory_of_stage(w, stage), w.device.memory_bytes)},
          {"ops", ops},
          {"outline", outline(program, w.microbatches())}};
}

}  // namespace

nlohmann::json plan_json(const RunConfig& config, int ranks_per_node) {
  const auto& w = config.workload;
  const auto& l = w.layout;
  const auto memory = parallelism::memory_per_device(w);
  nlohmann::json stages = nlohmann::json::array();
  for (int stage = 0; stage < l.pp; ++stage) stages.push_back(stage_json(w, stage));
  nlohmann::json placement = {{"ranks_per_node", ranks_per_node}, {"warnings", nlohmann::json::array()}};
  if (ranks_per_node > 0) {
    std::vector<int> node_of_rank;
    node_of_rank.reserve(static_cast<std::size_t>(l.world()));
    for (int rank = 0; rank < l.world(); ++rank) node_of_rank.push_back(rank / ranks_per_node);
    placement["nodes"] = (l.world() + ranks_per_node - 1) / ranks_per_node;
    for (const auto& warning : parallelism::placement_warnings(l, node_of_rank)) {
      placement["warnings"].push_back({{"group", to_string(warning.channel)},
                                       {"groups", warning.groups},
                                       {"spanning_nodes", warning.spanning},
                                       {"message", warning.message}});
    }
  }
  return {
      {"model",
       {{"name", w.model.name},
        {"architecture", to_string(w.model.architecture)},
        {"layers", w.model.layers},
        {"hidden", w.model.hidden},
        {"heads", w.model.heads},
        {"kv_heads", w.model.kv_heads},
        {"ffn_hidden", w.model.ffn_hidden},
        {"vocab", w.model.vocab},
        {"seq_len", w.model.seq_len},
        {"tied_embeddings", w.model.tied_embeddings},
        {"experts", w.model.experts},
        {"top_k", w.model.top_k}}},
      {"device",
       {{"name", w.device.name},
        {"peak_flops", w.device.peak_flops},
        {"memory_bandwidth", w.device.memory_bandwidth},
        {"memory_bytes", w.device.memory_bytes},
        {"efficiency", w.device.efficiency}}},
      {"layout",
       {{"world", l.world()},
        {"dp", l.dp},
        {"tp", l.tp},
        {"pp", l.pp},
        {"cp", l.cp},
        {"ep", l.ep},
        {"sequence_parallel", l.sequence_parallel},
        {"schedule", to_string(l.schedule)},
        {"virtual_stages", l.virtual_stages},
        {"zero_stage", l.zero_stage},
        {"recompute", l.recompute == parallelism::Recompute::full ? "full" : "none"},
        {"ideal_bubble_share",
         l.pp > 1 ? parallelism::ideal_bubble_share(l.schedule, l.pp, w.microbatches(), l.virtual_stages) : 0.0}}},
      {"batch", {{"micro", w.micro_batch}, {"global", w.global_batch}, {"microbatches", w.microbatches()}}},
      {"parameters", w.model.parameters()},
      {"flops_per_step", w.flops_per_step()},
      {"memory_per_device_bytes", memory.total()},
      {"memory", memory_json(memory, w.device.memory_bytes)},
      {"placement", placement},
      {"stages", stages},
  };
}

std::string plan_text(const RunConfig& config, int ranks_per_node) {
  const auto& w = config.workload;
  const auto& l = w.layout;
  const auto json = plan_json(config, ranks_per_node);
  const auto gib = [](double bytes) { return bytes / (1ull << 30); };
  std::string text;
  text += fmt::format("model      {} ({}): {} layers, hidden {}, {} heads ({} kv), ffn {}, vocab {}, seq {}{}\n",
                      w.model.name, to_string(w.model.architecture), w.model.layers, w.model.hidden, w.model.heads,
                      w.model.kv_heads, w.model.ffn_hidden, w.model.vocab, w.model.seq_len,
                      w.model.moe() ? fmt::format(", {} experts (top {})", w.model.experts, w.model.top_k) : "");
  text += fmt::format("parameters {} ({})\n", format_count(static_cast<double>(w.model.parameters())),
                      w.model.parameters());
  text += fmt::format("device     {}\n", parallelism::describe(w.device));
  text +=
      fmt::format("layout     {} = {} ranks; batch {} = micro {} x dp {} x {} microbatch{}\n", parallelism::describe(l),
                  l.world(), w.global_batch, w.micro_batch, l.dp, w.microbatches(), w.microbatches() == 1 ? "" : "es");
  if (l.pp > 1) {
    text += fmt::format(
        "pipeline   {} layers per stage{}; ideal bubble {:.1f} % of the step\n", w.model.layers / l.pp,
        l.virtual_stages > 1 ? fmt::format(" in {} chunks of {}", l.virtual_stages, w.layers_per_chunk()) : "",
        100 * json["layout"]["ideal_bubble_share"].get<double>());
  }
  text += fmt::format("FLOPs      {:.4g} per step (model FLOPs of the job)\n", w.flops_per_step());
  const auto& placement = json["placement"];
  if (ranks_per_node > 0) {
    text += fmt::format("placement  {} rank{} per node, {} node{}", ranks_per_node, ranks_per_node == 1 ? "" : "s",
                        placement["nodes"].get<int>(), placement["nodes"].get<int>() == 1 ? "" : "s");
    text += placement["warnings"].empty() ? ": every TP and CP group inside a node\n" : "\n";
    for (const auto& warning : placement["warnings"])
      text += "  warning: " + warning["message"].get<std::string>() + "\n";
  }
  text += "memory per device (GiB):\n";
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
  const std::size_t shown = l.pp > 1 ? 2 : 1;
  for (std::size_t k = 0; k < shown; ++k) {
    const auto& stage = json["stages"][k == 0 ? 0 : json["stages"].size() - 1];
    const auto& seconds = stage["compute_seconds"];
    const auto phase_ms = [&](const char* phase) {
      return seconds.contains(phase) ? seconds[phase].get<double>() * 1e3 : 0.0;
    };
    text += fmt::format(
        "stage {}{}: compute {:.3f} ms per step (forward {:.3f}, backward {:.3f}, recompute {:.3f}, "
        "optimizer {:.3f})\n",
        stage["stage"].get<int>(), l.pp > 1 ? (k == 0 ? " (first)" : " (last)") : "",
        stage["compute_seconds_per_step"].get<double>() * 1e3, phase_ms("forward"), phase_ms("backward"),
        phase_ms("recompute"), phase_ms("optimizer"));
    text += "  communication per step and rank:\n";
    for (const auto& op : stage["ops"]) {
      text += fmt::format("    {:<3} {:<15} {:>6} x {:>10}\n", op["group"].get<std::string>(),
                          op["kind"].get<std::string>(), op["count_per_step"].get<int>(),
                          format_bytes(op["bytes"].get<std::uint64_t>()));
    }
    text += "  step program:\n";
    for (const auto& line : stage["outline"]) text += "    " + line.get<std::string>() + "\n";
  }
  return text;
}

int run_plan(const PlanArguments& a) {
  const Settings settings = Settings::from_file(a.config, a.sets);
  RunConfig config = resolve(settings);
  int ranks = a.ranks;
  if (ranks < 0) throw UsageError(fmt::format("--ranks: {} is not allowed; it must be at least 1", ranks));
  const auto& l = config.workload.layout;
  if (ranks == 0 && config.workload.inference) ranks = l.tp * l.pp * l.ep;  // one replica
  if (ranks == 0)
    ranks = static_cast<int>(std::max<long long>(settings.integer("parallel.dp"), 1)) * l.tp * l.pp * l.cp;
  int ranks_per_node = a.ranks_per_node;
  if (ranks_per_node < 0) throw UsageError("--ranks-per-node: must be at least 1");
  if (!a.xml.empty()) {
    if (ranks_per_node > 0) throw UsageError("--xml: give either --xml or --ranks-per-node");
    try {
      const auto node = topology::summarize(topology::Topology::from_xml_file(a.xml));
      ranks_per_node = node.gpus.empty() ? node.cores : static_cast<int>(node.gpus.size());
    } catch (const topology::TopologyError& error) {
      throw UsageError(fmt::format("--xml: {}", error.what()));
    }
  }
  fit_to_world(config, ranks);
  if (config.workload.inference) {
    fmt::print("{}", a.json ? serving_plan_json(config).dump(2) + "\n" : serving_plan_text(config));
    return exit_ok;
  }
  if (a.json) {
    fmt::print("{}\n", plan_json(config, ranks_per_node).dump(2));
  } else {
    fmt::print("{}", plan_text(config, ranks_per_node));
  }
  return exit_ok;
}

}  // namespace scaleout::runs
