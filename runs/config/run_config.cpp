#include "runs/config/run_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "parallelism/layout.hpp"
#include "runs/config/model_device.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

using parallelism::Model;

parallelism::Layout resolve_layout(const Settings& s) {
  parallelism::Layout l;
  l.tp = static_cast<int>(s.integer("parallel.tp"));
  l.pp = static_cast<int>(s.integer("parallel.pp"));
  l.cp = static_cast<int>(s.integer("parallel.cp"));
  l.ep = static_cast<int>(s.integer("parallel.ep"));
  l.sequence_parallel = s.boolean("parallel.sequence_parallel");
  const std::string schedule = s.text("parallel.schedule");
  l.schedule = schedule == "gpipe"         ? parallelism::Schedule::gpipe
               : schedule == "interleaved" ? parallelism::Schedule::interleaved
                                           : parallelism::Schedule::one_f_one_b;
  l.virtual_stages = static_cast<int>(s.integer("parallel.virtual_stages"));
  l.zero_stage = static_cast<int>(s.integer("parallel.zero"));
  const std::string recompute = s.text("parallel.recompute");
  l.recompute = recompute == "full"        ? parallelism::Recompute::full
                : recompute == "selective" ? parallelism::Recompute::selective
                                           : parallelism::Recompute::none;
  return l;
}

std::string choices(const std::vector<int>& values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + std::to_string(values[i]);
  }
  return text;
}

// Divisors of n that also satisfy `also`.
template <class Predicate>
std::vector<int> divisors_where(int n, Predicate also) {
  std::vector<int> result;
  for (const int d : parallelism::divisors(n)) {
    if (also(d)) result.push_back(d);
  }
  return result;
}

// What does not depend on the world size: the layout against the model.
void check_layout_against_model(const parallelism::Layout& l, const Model& m) {
  using parallelism::Schedule;
  if (m.heads % l.tp != 0) {
    throw UsageError(fmt::format("parallel.tp: {} does not divide the model's {} attention heads; use {}", l.tp,
                                 m.heads, choices(parallelism::divisors(m.heads))));
  }
  if (m.moe() && l.tp > 1 && !l.sequence_parallel) {
    // Megatron-LM's MoE layer takes its input split over the sequence (megatron/training/arguments.py:
    // "When using MoE and tensor parallelism, sequence parallelism must be used.").
    throw UsageError(fmt::format(
        "parallel.sequence_parallel: a mixture of experts with tp {} needs it, as Megatron-LM does; set it true",
        l.tp));
  }
  const bool interleaved = l.schedule == Schedule::interleaved;
  if (interleaved && l.virtual_stages < 2) {
    throw UsageError("parallel.virtual_stages: the interleaved schedule needs at least 2 model chunks per rank");
  }
  if (!interleaved && l.virtual_stages != 1) {
    throw UsageError(
        fmt::format("parallel.virtual_stages: {} chunks need parallel.schedule: interleaved", l.virtual_stages));
  }
  if (interleaved && l.pp < 2) throw UsageError("parallel.schedule: interleaved needs parallel.pp of at least 2");
  const int chunks = l.pp * l.virtual_stages;
  if (m.layers % chunks != 0) {
    const auto stage_choices = divisors_where(m.layers, [&](int d) { return d % l.virtual_stages == 0; });
    std::vector<int> pps;
    pps.reserve(stage_choices.size());
    for (const int d : stage_choices) pps.push_back(d / l.virtual_stages);
    throw UsageError(
        fmt::format("parallel.pp: {} stage{} x {} chunk{} do not divide the model's {} layers; with {} "
                    "chunk{} per rank, pp may be {}",
                    l.pp, l.pp == 1 ? "" : "s", l.virtual_stages, l.virtual_stages == 1 ? "" : "s", m.layers,
                    l.virtual_stages, l.virtual_stages == 1 ? "" : "s", choices(pps)));
  }
  if (m.seq_len % l.cp != 0) {
    throw UsageError(fmt::format("parallel.cp: {} does not divide the sequence of {} tokens; use {}", l.cp, m.seq_len,
                                 choices(divisors_where(64, [&](int d) { return m.seq_len % d == 0; }))));
  }
  if (l.ep > 1 && !m.moe()) {
    throw UsageError(
        fmt::format("parallel.ep: {} needs a mixture-of-experts model (model.experts; preset "
                    "mixtral-8x7b or tiny-moe)",
                    l.ep));
  }
  if (m.moe() && m.experts % l.ep != 0) {
    throw UsageError(fmt::format("parallel.ep: {} does not divide the model's {} experts; use {}", l.ep, m.experts,
                                 choices(parallelism::divisors(m.experts))));
  }
  if (l.zero_stage >= 2 && l.pp > 1) {
    throw UsageError(
        fmt::format("parallel.zero: stage {} does not combine with pipeline parallelism (as in DeepSpeed); "
                    "use zero 0 or 1 (Megatron's distributed optimizer) with pp {}",
                    l.zero_stage, l.pp));
  }
  if (l.zero_stage == 3 && l.ep > 1) {
    throw UsageError("parallel.zero: stage 3 is not emulated with expert parallelism; use zero 0, 1 or 2 with ep");
  }
}

// A step program holds a few ops per bucket and per layer and microbatch: a config that would make
// millions of them (huge models with small buckets, a huge batch) is refused before it is built, so
// that memory and time stay bounded whatever the input.
void check_program_size(const parallelism::Workload& w) {
  constexpr double most_buckets = 100'000, most_layer_passes = 200'000, most_job_passes = 2'000'000;
  const auto& l = w.layout;
  if (l.zero_stage < 3) {
    double gradients = 0;
    for (int stage = 0; stage < l.pp; ++stage) {
      gradients = std::max(gradients, static_cast<double>(parallelism::gradient_bytes(w, stage)));
    }
    const double buckets = std::ceil(gradients / static_cast<double>(w.bucket_bytes()));
    if (buckets > most_buckets) {
      throw UsageError(
          fmt::format("dp.bucket_mb: {:g} MiB buckets make {:.0f} gradient buckets per step; at most {:.0f} "
                      "are emulated: use buckets of at least {:.0f} MiB",
                      w.bucket_mb, buckets, most_buckets, std::ceil(gradients / most_buckets / (1 << 20))));
    }
  }
  const double passes = static_cast<double>(w.microbatches()) * w.model.layers / l.pp;
  if (passes > most_layer_passes) {
    throw UsageError(
        fmt::format("batch.global: {} microbatches x {} layers per stage make {:.0f} layer passes per step "
                    "and rank; at most {:.0f} are emulated: use a smaller global batch or a larger micro "
                    "batch",
                    w.microbatches(), w.model.layers / l.pp, passes, most_layer_passes));
  }
  // Rings add operations to every layer pass in proportion to their group: TP's overlapped gathers (4 of
  // t steps, tp_comm_overlap) and CP's ring attention (about 3 of c steps: forward, backward, a recompute).
  const double tp_rings = w.tp_comm_overlap ? 4.0 * l.tp : 0.0, cp_rings = l.cp > 1 ? 3.0 * l.cp : 0.0;
  const double ring_operations = passes * 2.0 * (tp_rings + cp_rings);
  constexpr double most_ring_operations = 4e6;
  if (ring_operations > most_ring_operations) {
    throw UsageError(fmt::format(
        "{}: its rings make {:.3g} operations per step and rank over {:.0f} layer passes; at most {:.0f} are "
        "emulated: use a smaller {}, or a smaller global batch",
        tp_rings >= cp_rings ? "parallel.tp_comm_overlap" : "parallel.cp", ring_operations, passes,
        most_ring_operations, tp_rings >= cp_rings ? "tp" : "cp"));
  }
  // plan and predict build (and simulate) every stage's program: the job's layer passes, and the
  // pipeline's microbatch passes over its stages, bound their work (pp 4096 x 8192 microbatches took
  // 51 s under the bound per stage alone).
  const double microbatches = static_cast<double>(w.microbatches());
  const double job_passes = microbatches * std::max<double>(w.model.layers, l.pp);
  if (job_passes > most_job_passes) {
    throw UsageError(fmt::format(
        "batch.global: {} microbatches through {} layers on pp {} make {:.0f} layer passes per step over the "
        "pipeline's stages; at most {:.0f} are emulated: use a smaller global batch, a larger micro batch or "
        "fewer stages",
        w.microbatches(), w.model.layers, l.pp, job_passes, most_job_passes));
  }
}

bool any_inference_key(const Settings& s) {
  for (const auto& option : run_options()) {
    if (option.key.rfind("inference.", 0) == 0 && s.explicit_value(option.key)) return true;
  }
  return false;
}

// Serving: the inference section, completed with its defaults in the settings (so the effective
// config says them), and the training options it excludes refused.
parallelism::Inference resolve_inference(Settings& s, const parallelism::Workload& w) {
  for (const char* key : {"inference.prompt_tokens", "inference.output_tokens"}) {
    if (!s.explicit_value(key)) throw UsageError(fmt::format("{}: required with an inference section", key));
  }
  if (!s.explicit_value("inference.sequences")) s.set("inference.sequences", "1");
  if (!s.explicit_value("inference.kv_dtype")) s.set("inference.kv_dtype", "bf16");
  // Their defaults are allowed: an effective config (the run log's) states every option.
  for (const auto& [key, unset] : {std::pair{"batch.micro", 1LL}, {"batch.global", 0LL}}) {
    if (s.integer(key) != unset) {
      throw UsageError(fmt::format("{}: a training option; inference takes its batch from inference.sequences", key));
    }
  }
  const auto& l = w.layout;
  const auto refuse = [](bool given, const char* key, const char* what) {
    if (given) throw UsageError(fmt::format("{}: {} is training only; a serving replica is tp x pp x ep", key, what));
  };
  refuse(l.cp > 1, "parallel.cp", "context parallelism");
  refuse(l.zero_stage > 0, "parallel.zero", "ZeRO");
  refuse(l.recompute != parallelism::Recompute::none, "parallel.recompute", "recomputation");
  refuse(l.sequence_parallel, "parallel.sequence_parallel", "sequence parallelism");
  refuse(l.schedule == parallelism::Schedule::interleaved, "parallel.schedule", "the interleaved schedule");
  parallelism::Inference serve;
  serve.sequences = static_cast<int>(s.integer("inference.sequences"));
  serve.prompt_tokens = s.integer("inference.prompt_tokens");
  serve.output_tokens = s.integer("inference.output_tokens");
  const std::string kv = s.text("inference.kv_dtype");
  serve.kv_element_bytes = kv == "fp8" ? 1.0 : kv == "fp32" ? 4.0 : 2.0;
  if (serve.sequences % l.ep != 0) {
    throw UsageError(
        fmt::format("inference.sequences: {} is not a multiple of parallel.ep ({}); EP splits the "
                    "sequences over its ranks",
                    serve.sequences, l.ep));
  }
  return serve;
}

// The framework's bucket where dp.bucket_mb was not given: it can depend on dp, known once the job's
// size is; kept in the settings so that the effective config states it.
void framework_bucket(RunConfig& config) {
  if (!config.bucket_from_framework) return;
  auto& w = config.workload;
  w.bucket_mb = parallelism::bucket_bytes(w.framework, w.layout, w.gradient_type) / (1024.0 * 1024.0);
  config.settings.set("dp.bucket_mb", fmt::format("{}", w.bucket_mb));
}

// The framework's choices for the options not given, kept in the settings so that the effective config
// (the run log's) states them.
void resolve_framework(RunConfig& config) {
  Settings& s = config.settings;
  parallelism::Workload& w = config.workload;
  w.framework = *parallelism::parse_framework(s.text("framework.name"));
  if (!s.explicit_value("dp.gradient_dtype"))
    s.set("dp.gradient_dtype", std::string(comm::name(parallelism::gradient_reduce_type(w.framework))));
  w.gradient_type = *comm::parse_element_type(s.text("dp.gradient_dtype"));
  w.overlap = s.boolean("dp.overlap");
  w.overlap_param_gather = s.boolean("dp.overlap_param_gather");
  if (w.overlap_param_gather) {
    // megatron/training/arguments.py: "--overlap-param-gather only supported with distributed
    // optimizer", "Must use --overlap-param-gather with --overlap-grad-reduce".
    const int zero = w.layout.zero_stage;
    if (w.framework != parallelism::Framework::megatron) {
      throw UsageError(
          fmt::format("dp.overlap_param_gather: Megatron-LM's option; framework.name is {}", to_string(w.framework)));
    }
    if (zero != 1 && zero != 2) {
      throw UsageError(fmt::format(
          "dp.overlap_param_gather: gathers the sharded optimizer's parameters; needs parallel.zero 1 or 2, not {}",
          zero));
    }
    if (!w.overlap) throw UsageError("dp.overlap_param_gather: needs dp.overlap: true (as Megatron-LM requires)");
  }
  w.tp_comm_overlap = s.boolean("parallel.tp_comm_overlap");
  if (w.tp_comm_overlap) {
    // megatron/training/arguments.py: "Tensor parallel communication/GEMM overlap can happen only when
    // sequence parallelism is enabled"; it runs TransformerEngine's userbuffers.
    if (w.framework != parallelism::Framework::megatron) {
      throw UsageError(
          fmt::format("parallel.tp_comm_overlap: Megatron-LM's option (TransformerEngine); framework.name is {}",
                      to_string(w.framework)));
    }
    if (!w.layout.sequence_parallel || w.layout.tp < 2) {
      throw UsageError(
          "parallel.tp_comm_overlap: needs tp of 2 or more and parallel.sequence_parallel: true (as Megatron-LM "
          "requires)");
    }
  }
  config.bucket_from_framework = !s.explicit_value("dp.bucket_mb");
  if (config.bucket_from_framework) {
    framework_bucket(config);
  } else {
    w.bucket_mb = s.number("dp.bucket_mb");
  }
}

parallelism::IntraNode resolve_intra_node(const Settings& settings, const parallelism::Device& device) {
  const bool has_fabric = device.fabric.bandwidth > 0;
  if (!settings.explicit_value("emulation.intra_node"))
    return has_fabric ? parallelism::IntraNode::device : parallelism::IntraNode::host;
  const auto mode = *parallelism::parse_intra_node(settings.text("emulation.intra_node"));
  if (mode == parallelism::IntraNode::device && !has_fabric) {
    throw UsageError(fmt::format(
        "emulation.intra_node: device needs the device's node fabric, and {} has none; give device.fabric_gbs "
        "(and device.fabric_latency_us) or use host",
        device.name));
  }
  return mode;
}

std::optional<comm::BackgroundTraffic> resolve_background(const Settings& settings) {
  const auto pattern = comm::background_pattern(settings.text("emulation.background"));
  if (!pattern) return std::nullopt;  // none
  // The option's least value, 0.0001 MiB, holds 26 elements.
  constexpr double mib = 1 << 20;
  const auto elements = static_cast<std::uint64_t>(settings.number("emulation.background_mb") * mib / sizeof(float));
  return comm::BackgroundTraffic{
      .pattern = *pattern,
      .unit_bytes = elements * sizeof(float),
      .ranks_per_node = static_cast<int>(settings.integer("emulation.background_ranks_per_node"))};
}

}  // namespace

int RunConfig::passes_per_step() const {
  return workload.inference ? static_cast<int>(workload.inference->output_tokens) : 1;
}

RunConfig resolve(const Settings& settings) {
  RunConfig config;
  config.settings = settings;
  auto& w = config.workload;
  w.model = resolve_model(settings);
  w.device = resolve_device(settings);
  w.layout = resolve_layout(settings);
  check_layout_against_model(w.layout, w.model);
  w.micro_batch = static_cast<int>(settings.integer("batch.micro"));
  resolve_framework(config);
  w.algorithm = *comm::parse_algorithm_choice(settings.text("comm.algorithm"));
  config.steps = static_cast<int>(settings.integer("emulation.steps"));
  config.warmup = static_cast<int>(settings.integer("emulation.warmup"));
  config.compute = *parallelism::parse_compute_mode(settings.text("emulation.compute"));
  config.check = settings.boolean("emulation.check");
  w.intra_node = resolve_intra_node(settings, w.device);
  config.settings.set("emulation.intra_node", parallelism::to_string(w.intra_node));  // the effective mode
  if (w.intra_node == parallelism::IntraNode::device && w.algorithm == comm::AlgorithmChoice::library) {
    throw UsageError(
        "comm.algorithm: library runs the MPI library's collectives, whose hops inside a node cannot be modelled; "
        "with emulation.intra_node: device use auto, ring or tree (or set emulation.intra_node: host)");
  }
  config.strict_memory = settings.boolean("emulation.strict_memory");
  config.seed = static_cast<std::uint64_t>(settings.integer("emulation.seed"));
  config.in_flight = static_cast<int>(settings.integer("emulation.in_flight"));
  config.watchdog_s = settings.number("emulation.watchdog_s");
  config.stop_grace_s = settings.number("emulation.stop_grace_s");
  config.background = resolve_background(settings);
  config.stall_rank = static_cast<int>(settings.integer("emulation.test_stall_rank"));
  config.stall_step = static_cast<int>(settings.integer("emulation.test_stall_step"));
  config.slow_rank = static_cast<int>(settings.integer("emulation.test_slow_rank"));
  config.slow_factor = settings.number("emulation.test_slow_factor");
  config.output = settings.text("output.path");
  config.log = settings.boolean("output.log");
  config.trace = settings.boolean("output.trace");
  if (config.trace && !config.log)
    throw UsageError("output.trace: true needs output.log: true (the trace goes to the log)");
  config.overwrite = settings.boolean("output.overwrite");
  if (config.output.empty()) throw UsageError("output.path: must name a file (for example run.h5)");
  if (any_inference_key(settings)) {
    if (config.background) {
      throw UsageError(
          "emulation.background: serving runs cannot have one; the slowdown it reports is a training step's (use "
          "none, or a training config)");
    }
    w.inference = resolve_inference(config.settings, w);
    // The /steps rows name passes with 32-bit steps.
    if (static_cast<double>(config.warmup + config.steps) * static_cast<double>(w.inference->output_tokens) > 2e9) {
      throw UsageError(
          fmt::format("emulation.steps: {} request batches of {} output tokens make more than 2e9 passes; "
                      "use fewer steps or output tokens",
                      config.warmup + config.steps, w.inference->output_tokens));
    }
  } else if (w.model.kv_heads % w.layout.tp != 0) {
    // Training splits the key/value heads over TP: Megatron-LM requires that tp divide them
    // (megatron/core/transformer/transformer_config.py, "num_query_groups ... must be a multiple of
    // tensor_model_parallel_size"). Serving replicates them instead (vLLM).
    throw UsageError(fmt::format(
        "parallel.tp: {} does not divide the model's {} key/value heads, as training needs (Megatron-LM); use {}",
        w.layout.tp, w.model.kv_heads, choices(parallelism::divisors(w.model.kv_heads))));
  }
  return config;
}

namespace {

// A serving job: replicas of tp x pp x ep ranks; the grid's dp holds ep x replicas (EP groups are
// consecutive dp ranks), and a replica's sequences are its global batch.
void fit_serving_to_world(RunConfig& config, int world_size) {
  auto& w = config.workload;
  auto& l = w.layout;
  const long long replica = static_cast<long long>(l.tp) * l.pp * l.ep;
  if (world_size % replica != 0) {
    throw UsageError(fmt::format(
        "parallel: a replica of tp x pp x ep = {} x {} x {} = {} ranks does not divide the {} "
        "rank{} of this job; use a layout whose product is one of {}",
        l.tp, l.pp, l.ep, replica, world_size, world_size == 1 ? "" : "s", choices(parallelism::divisors(world_size))));
  }
  l.dp = static_cast<int>(world_size / (static_cast<long long>(l.tp) * l.pp));
  if (const auto dp = config.settings.integer("parallel.dp"); dp != 0 && dp != l.dp) {
    throw UsageError(
        fmt::format("parallel.dp: {} is not allowed in inference; replicas are the ranks over tp x pp "
                    "x ep (here dp = {}, or 0)",
                    dp, l.dp));
  }
  w.micro_batch = w.inference->sequences / l.ep;
  w.global_batch = w.micro_batch * l.dp;
}

}  // namespace

void fit_to_world(RunConfig& config, int world_size) {
  auto& w = config.workload;
  auto& l = w.layout;
  for (const auto& [option, rank] : {std::pair{"emulation.test_stall_rank", config.stall_rank},
                                     std::pair{"emulation.test_slow_rank", config.slow_rank}}) {
    if (rank >= world_size) {
      throw UsageError(
          fmt::format("{}: {} is not a rank of the {}; ranks are 0 to {}", option, rank, world_size, world_size - 1));
    }
  }
  if (w.inference) {
    fit_serving_to_world(config, world_size);
    return;
  }
  const auto dp = config.settings.integer("parallel.dp");
  const long long model_parallel = static_cast<long long>(l.tp) * l.pp * l.cp;
  const std::string ranks = fmt::format("{} rank{}", world_size, world_size == 1 ? "" : "s");
  if (dp == 0) {
    if (world_size % model_parallel != 0) {
      throw UsageError(
          fmt::format("parallel: tp x pp x cp = {} x {} x {} = {} does not divide the {} of this job; "
                      "with {}, tp x pp x cp may be {}",
                      l.tp, l.pp, l.cp, model_parallel, ranks, ranks, choices(parallelism::divisors(world_size))));
    }
    l.dp = static_cast<int>(world_size / model_parallel);
  } else if (dp * model_parallel != world_size) {
    if (model_parallel == 1) {
      throw UsageError(
          fmt::format("parallel.dp: {} does not match the {} of this job; in a data-parallel layout dp is "
                      "the number of ranks (or 0 for all of them)",
                      dp, ranks));
    }
    throw UsageError(fmt::format("parallel: dp x tp x pp x cp = {} x {} x {} x {} = {} but the job has {}; {}", dp,
                                 l.tp, l.pp, l.cp, dp * model_parallel, ranks,
                                 world_size % model_parallel == 0
                                     ? fmt::format("use dp {} (or 0)", world_size / model_parallel)
                                     : fmt::format("tp x pp x cp = {} does not divide it either; use a product of {}",
                                                   model_parallel, choices(parallelism::divisors(world_size)))));
  } else {
    l.dp = static_cast<int>(dp);
  }
  if (l.dp % l.ep != 0) {
    throw UsageError(fmt::format("parallel.ep: {} does not divide dp = {}; use {}", l.ep, l.dp,
                                 choices(divisors_where(l.dp, [&](int d) { return w.model.experts % d == 0; }))));
  }
  const auto global = config.settings.integer("batch.global");
  const long long per_step = static_cast<long long>(w.micro_batch) * l.dp;
  if (global == 0) {
    // A pipeline gets one microbatch per stage: the fewest that fill it.
    w.global_batch = static_cast<int>(per_step * l.pp);
  } else if (global % per_step != 0) {
    throw UsageError(fmt::format("batch.global: {} is not a multiple of batch.micro x dp = {} x {} = {}; use {} or {}",
                                 global, w.micro_batch, l.dp, per_step,
                                 std::max(per_step, global / per_step * per_step), (global / per_step + 1) * per_step));
  } else {
    w.global_batch = static_cast<int>(global);
  }
  framework_bucket(config);
  check_program_size(w);
  if (l.schedule == parallelism::Schedule::interleaved && w.microbatches() % l.pp != 0) {
    const long long unit = per_step * l.pp;
    throw UsageError(
        fmt::format("batch.global: the interleaved schedule needs the microbatches ({}) to be a multiple "
                    "of pp ({}); use a global batch that is a multiple of micro x dp x pp = {}",
                    w.microbatches(), l.pp, unit));
  }
}

}  // namespace scaleout::runs
