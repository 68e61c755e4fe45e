#include "runs/plan_command.hpp"

#include <fmt/format.h>

#include <map>

#include "parallelism/program.hpp"
#include "parallelism/workload.hpp"
#include "runs/options.hpp"
#include "runs/sizes.hpp"
#include "runs/usage_error.hpp"

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
  std::string text = fmt::format("{} {} compute span{} {:.3f} ms", what, o.spans, o.spans == 1 ? "" : "s", o.seconds * 1e3);
  for (const auto& [name, count] : o.started) text += fmt::format(", {} {} started", count, name);
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
      const std::string name = fmt::format("{} {}{}", to_string(op.group), op.collective,
                                           op.kind == OpKind::start ? "" : op.kind == OpKind::wait ? " waited" : " (blocking)");
      ++target->started[name];
    }
  }
  std::vector<std::string> lines;
  for (std::size_t first = 0; first < per_microbatch.size();) {
    std::size_t last = first;
    while (last + 1 < per_microbatch.size() && per_microbatch[last + 1] == per_microbatch[first]) ++last;
    const std::string which = first == last ? fmt::format("microbatch {}", first)
                                            : fmt::format("microbatches {}-{}", first, last);
    lines.push_back(fmt::format("{}: {}; {}", which, describe("forward", per_microbatch[first].first),
                                describe("backward", per_microbatch[first].second)));
    first = last + 1;
  }
  std::string sync_text;
  for (const auto& [name, count] : sync.started) sync_text += fmt::format("{}{} {}", sync_text.empty() ? "" : ", ", count, name);
  if (!sync_text.empty()) lines.push_back("after backward: " + sync_text);
  lines.push_back(fmt::format("optimizer: {:.3f} ms", optimizer.seconds * 1e3));
  return lines;
}

}  // namespace

CLI::App* add_plan_command(CLI::App& app, PlanArguments& a) {
  CLI::App* plan = app.add_subcommand("plan", "Show what a run of CONFIG would do (no MPI needed)");
  plan->add_option("config", a.config, "The run's YAML config")->required();
  plan->add_option("--set", a.sets, "Override one option of the config: key=value (repeatable)");
  plan->add_option("--ranks", a.ranks, "Ranks to plan for (default: parallel.dp, or 1)");
  plan->add_flag("--json", a.json, "Print JSON instead of text");
  return plan;
}

nlohmann::json plan_json(const RunConfig& config) {
  const auto& w = config.workload;
  const auto program = parallelism::data_parallel_step(w);
  const auto memory = parallelism::memory_per_device(w);
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& op : parallelism::summarize_communication(program)) {
    ops.push_back({{"group", to_string(op.group)}, {"kind", op.collective}, {"bytes", op.bytes},
                   {"count_per_step", op.count_per_step}});
  }
  return {
      {"model", {{"name", w.model.name}, {"architecture", to_string(w.model.architecture)}, {"layers", w.model.layers},
                 {"hidden", w.model.hidden}, {"heads", w.model.heads}, {"kv_heads", w.model.kv_heads},
                 {"ffn_hidden", w.model.ffn_hidden}, {"vocab", w.model.vocab}, {"seq_len", w.model.seq_len},
                 {"tied_embeddings", w.model.tied_embeddings}}},
      {"device", {{"name", w.device.name}, {"peak_flops", w.device.peak_flops},
                  {"memory_bandwidth", w.device.memory_bandwidth}, {"memory_bytes", w.device.memory_bytes},
                  {"efficiency", w.device.efficiency}}},
      {"layout", {{"dp", w.dp}, {"tp", 1}, {"pp", 1}}},
      {"batch", {{"micro", w.micro_batch}, {"global", w.global_batch}, {"microbatches", w.microbatches()}}},
      {"parameters", w.model.parameters()},
      {"flops_per_step", w.flops_per_step()},
      {"compute_seconds", {{"forward_per_microbatch", w.forward_seconds()},
                           {"backward_per_microbatch", w.backward_seconds()},
                           {"optimizer", w.optimizer_seconds()},
                           {"per_step", program.compute_seconds()}}},
      {"memory_per_device_bytes", memory.total()},
      {"memory", {{"parameters", memory.parameters}, {"gradients", memory.gradients},
                  {"optimizer_states", memory.optimizer_states}, {"activations", memory.activations},
                  {"capacity", w.device.memory_bytes}}},
      {"ops", ops},
      {"outline", outline(program, w.microbatches())},
  };
}

std::string plan_text(const RunConfig& config) {
  const auto& w = config.workload;
  const auto json = plan_json(config);
  const auto gib = [](double bytes) { return bytes / (1ull << 30); };
  std::string text;
  text += fmt::format("model      {} ({}): {} layers, hidden {}, {} heads ({} kv), ffn {}, vocab {}, seq {}\n",
                      w.model.name, to_string(w.model.architecture), w.model.layers, w.model.hidden, w.model.heads,
                      w.model.kv_heads, w.model.ffn_hidden, w.model.vocab, w.model.seq_len);
  text += fmt::format("parameters {} ({})\n", format_count(static_cast<double>(w.model.parameters())),
                      w.model.parameters());
  text += fmt::format("device     {}: {:.0f} TFLOP/s bf16 x {:.2f} efficiency, {:.0f} GB/s, {:.0f} GB\n", w.device.name,
                      w.device.peak_flops / 1e12, w.device.efficiency, w.device.memory_bandwidth / 1e9,
                      w.device.memory_bytes / 1e9);
  text += fmt::format("layout     dp {} (tp 1, pp 1); batch {} = micro {} x dp {} x {} microbatch{}\n", w.dp,
                      w.global_batch, w.micro_batch, w.dp, w.microbatches(), w.microbatches() == 1 ? "" : "es");
  text += fmt::format("FLOPs      {:.4g} per step (model FLOPs of the job)\n", w.flops_per_step());
  text += fmt::format("compute    per microbatch: forward {:.3f} ms, backward {:.3f} ms; optimizer {:.3f} ms; "
                      "{:.3f} ms per step and rank\n",
                      w.forward_seconds() * 1e3, w.backward_seconds() * 1e3, w.optimizer_seconds() * 1e3,
                      json["compute_seconds"]["per_step"].get<double>() * 1e3);
  const auto& m = json["memory"];
  text += fmt::format("memory     {:.2f} GiB per device (parameters {:.2f}, gradients {:.2f}, optimizer {:.2f}, "
                      "activations {:.2f}) of {:.0f} GiB{}\n",
                      gib(json["memory_per_device_bytes"]), gib(m["parameters"]), gib(m["gradients"]),
                      gib(m["optimizer_states"]), gib(m["activations"]), gib(w.device.memory_bytes),
                      json["memory_per_device_bytes"].get<double>() > w.device.memory_bytes ? "  DOES NOT FIT" : "");
  text += "communication per step and rank:\n";
  for (const auto& op : json["ops"]) {
    text += fmt::format("  {:<3} {:<10} {:>4} x {:>10}\n", op["group"].get<std::string>(), op["kind"].get<std::string>(),
                        op["count_per_step"].get<int>(), format_bytes(op["bytes"].get<std::uint64_t>()));
  }
  text += "step program:\n";
  for (const auto& line : json["outline"]) text += "  " + line.get<std::string>() + "\n";
  return text;
}

int run_plan(const PlanArguments& a) {
  const Settings settings = Settings::from_file(a.config, a.sets);
  RunConfig config = resolve(settings);
  int ranks = a.ranks;
  if (ranks < 0) throw UsageError(fmt::format("--ranks: {} is not allowed; it must be at least 1", ranks));
  if (ranks == 0) ranks = settings.integer("parallel.dp") > 0 ? static_cast<int>(settings.integer("parallel.dp")) : 1;
  fit_to_world(config, ranks);
  if (a.json) {
    fmt::print("{}\n", plan_json(config).dump(2));
  } else {
    fmt::print("{}", plan_text(config));
  }
  return exit_ok;
}

}  // namespace scaleout::runs
