#include "runs/report/serving_plan.hpp"

#include <fmt/format.h>

#include "parallelism/inference.hpp"
#include "runs/sizes.hpp"

namespace scaleout::runs {

namespace {

nlohmann::json pass_json(const parallelism::Workload& w, const parallelism::Program& program) {
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& op : parallelism::summarize_communication(program)) {
    ops.push_back({{"group", to_string(op.group)},
                   {"kind", to_string(op.transfer)},
                   {"bytes", op.bytes},
                   {"count_per_pass", op.count_per_step}});
  }
  return {{"compute_seconds", program.compute_seconds()},
          {"bound", parallelism::memory_bound(program, w.device) ? "memory" : "compute"},
          {"ops", ops}};
}

}  // namespace

nlohmann::json serving_plan_json(const RunConfig& config) {
  const auto& w = config.workload;
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

std::string serving_plan_text(const RunConfig& config) {
  const auto& w = config.workload;
  const auto& serve = *w.inference;
  const auto json = serving_plan_json(config);
  std::string text;
  text += fmt::format("model      {}: {} parameters, {} layers, {} kv heads of {}\n", w.model.name,
                      format_count(static_cast<double>(w.model.parameters())), w.model.layers, w.model.kv_heads,
                      w.model.head_dim());
  text += fmt::format("device     {}\n", parallelism::describe(w.device));
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
      out += fmt::format("    {:<3} {:<15} {:>6} x {:>10}\n", op["group"].get<std::string>(),
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
