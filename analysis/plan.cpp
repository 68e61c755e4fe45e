#include "analysis/plan.hpp"

#include <fmt/format.h>

#include <map>

#include "parallelism/inference.hpp"
#include "parallelism/layout.hpp"
#include "parallelism/memory.hpp"
#include "parallelism/program.hpp"
#include "parallelism/schedule.hpp"
#include "parallelism/step_program.hpp"

namespace scaleout::analysis {

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
  for (const auto& [op, count] : parallelism::summarize_communication(program)) {
    ops.push_back({{"group", to_string(op.group)},
                   {"channel", to_string(parallelism::channel_of(op))},
                   {"kind", to_string(op.transfer)},
                   {"bytes", op.bytes},
                   {"count_per_step", count}});
  }
  return {{"stage", stage},
          {"compute_seconds", seconds},
          {"compute_seconds_per_step", program.compute_seconds()},
          {"memory", memory_json(parallelism::memory_of_stage(w, stage), w.device.memory_bytes)},
          {"ops", ops},
          {"outline", outline(program, w.microbatches())}};
}

// The gradient groups of one rank: their reductions and gathers are not issued (the gradient is
// already whole), so the stages list no op on them.
nlohmann::json groups_of_one_rank(const parallelism::Workload& w) {
  nlohmann::json names = nlohmann::json::array();
  const auto& l = w.layout;
  if (parallelism::channel_size(l, parallelism::Channel::dp) == 1) names.push_back(to_string(parallelism::Channel::dp));
  if (w.model.moe() && l.ep > 1 && parallelism::channel_size(l, parallelism::Channel::expert_dp) == 1)
    names.push_back(to_string(parallelism::Channel::expert_dp));
  return names;
}

}  // namespace

nlohmann::json plan_json(const parallelism::Workload& w, int ranks_per_node) {
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
        {"head_dim", w.model.head_dim()},
        {"attention", to_string(w.model.attention)},
        {"kv_heads", w.model.kv_heads},
        {"ffn_hidden", w.model.ffn_hidden},
        {"vocab", w.model.vocab},
        {"padded_vocab", w.padded_vocab()},
        {"seq_len", w.model.seq_len},
        {"tied_embeddings", w.model.tied_embeddings},
        {"experts", w.model.experts},
        {"top_k", w.model.top_k}}},
      {"device",
       {{"name", w.device.name},
        {"peak_flops", w.device.peak_flops},
        {"memory_bandwidth", w.device.memory_bandwidth},
        {"memory_bytes", w.device.memory_bytes},
        {"efficiency", w.device.efficiency},
        {"fabric",
         {{"name", w.device.fabric.name},
          {"bandwidth", w.device.fabric.bandwidth},
          {"pair_bandwidth", w.device.fabric.pair_bandwidth},
          {"latency", w.device.fabric.latency},
          {"devices_per_node", w.device.fabric.devices_per_node}}},
        {"intra_node", parallelism::to_string(w.intra_node)}}},
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
        {"groups_of_one_rank", groups_of_one_rank(w)},
        {"recompute", parallelism::to_string(l.recompute)},
        {"ideal_bubble_share",
         l.pp > 1 ? parallelism::ideal_bubble_share(l.schedule, l.pp, w.microbatches(), l.virtual_stages) : 0.0}}},
      {"framework",
       {{"name", to_string(w.framework)},
        {"gradient_dtype", std::string(comm::name(w.gradient_type))},
        {"bucket_bytes", w.bucket_bytes()},
        {"bucket_elements",
         static_cast<double>(w.bucket_bytes()) / static_cast<double>(comm::size_of(w.gradient_type))},
        {"overlap", w.overlap},
        {"overlap_param_gather", w.overlap_param_gather && (l.zero_stage == 1 || l.zero_stage == 2)},
        {"tp_comm_overlap", w.tp_comm_overlap && l.sequence_parallel && l.tp > 1}}},
      {"batch", {{"micro", w.micro_batch}, {"global", w.global_batch}, {"microbatches", w.microbatches()}}},
      {"parameters", w.model.parameters()},
      {"flops_per_step", w.flops_per_step()},
      {"memory_per_device_bytes", memory.total()},
      {"memory", memory_json(memory, w.device.memory_bytes)},
      {"placement", placement},
      {"stages", stages},
  };
}

namespace {

nlohmann::json pass_json(const parallelism::Workload& w, const parallelism::Program& program) {
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& [op, count] : parallelism::summarize_communication(program)) {
    ops.push_back({{"group", to_string(op.group)},
                   {"channel", to_string(parallelism::channel_of(op))},
                   {"kind", to_string(op.transfer)},
                   {"bytes", op.bytes},
                   {"count_per_pass", count}});
  }
  return {{"compute_seconds", program.compute_seconds()},
          {"bound", parallelism::memory_bound(program, w.device) ? "memory" : "compute"},
          {"ops", ops}};
}

}  // namespace

nlohmann::json serving_plan_json(const parallelism::Workload& w) {
  const auto& serve = *w.inference;
  const auto memory = parallelism::serving_memory(w);
  nlohmann::json stages = nlohmann::json::array();
  for (int stage = 0; stage < w.layout.pp; ++stage) {
    nlohmann::json entry = {{"stage", stage}, {"prefill", pass_json(w, parallelism::prefill_program(w, stage))}};
    if (serve.output_tokens > 1) {
      entry["decode_first"] =
          pass_json(w, parallelism::decode_program(w, stage, parallelism::decode_context(serve, 2)));
      entry["decode_last"] =
          pass_json(w, parallelism::decode_program(w, stage, parallelism::decode_context(serve, serve.output_tokens)));
    }
    stages.push_back(entry);
  }
  return {{"kind", "serving"},
          {"model", w.model.name},
          {"device", w.device.name},
          {"layout",
           {{"tp", w.layout.tp}, {"pp", w.layout.pp}, {"ep", w.layout.ep}, {"replicas", w.layout.dp / w.layout.ep}}},
          {"inference",
           {{"sequences", serve.sequences},
            {"prompt_tokens", serve.prompt_tokens},
            {"output_tokens", serve.output_tokens},
            {"kv_element_bytes", serve.kv_element_bytes}}},
          {"memory",
           {{"stage", memory.stage},
            {"weights", memory.weights},
            {"kv_cache", memory.kv_cache},
            {"kv_per_token", memory.kv_per_token},
            {"total", memory.total()},
            {"capacity", memory.capacity},
            {"fits", memory.fits()},
            {"most_sequences", memory.most_sequences},
            {"longest_context", memory.longest_context},
            {"verdict", parallelism::serving_memory_verdict(memory, w)}}},
          {"stages", stages}};
}

}  // namespace scaleout::analysis
