#include "runs/run_config.hpp"

#include <fmt/format.h>

#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

using parallelism::Architecture;
using parallelism::Device;
using parallelism::Model;

Model resolve_model(const Settings& s) {
  Model model;
  if (const auto preset = s.explicit_value("model.preset")) {
    const auto found = parallelism::find_model_preset(*preset);
    if (!found) {
      throw UsageError(fmt::format("model.preset: '{}' is not a preset; the presets are {}", *preset,
                                   parallelism::model_preset_names()));
    }
    model = *found;
  } else {
    for (const char* key : {"model.layers", "model.hidden", "model.heads", "model.vocab", "model.seq_len"}) {
      if (!s.explicit_value(key)) {
        throw UsageError(fmt::format("{}: required for a model without a preset (or give model.preset: one of {})",
                                     key, parallelism::model_preset_names()));
      }
    }
    model.name = "inline";
    model.architecture = Architecture::gpt;
  }
  if (const auto v = s.explicit_value("model.architecture")) model.architecture = *parallelism::parse_architecture(*v);
  const auto integer_or = [&](const char* key, std::int64_t fallback) {
    return s.explicit_value(key) ? s.integer(key) : fallback;
  };
  model.layers = static_cast<int>(integer_or("model.layers", model.layers));
  model.hidden = integer_or("model.hidden", model.hidden);
  const bool heads_given = s.explicit_value("model.heads").has_value();
  model.heads = static_cast<int>(integer_or("model.heads", model.heads));
  model.kv_heads = static_cast<int>(integer_or("model.kv_heads", heads_given || model.kv_heads == 0 ? model.heads : model.kv_heads));
  model.ffn_hidden = integer_or("model.ffn_hidden", model.ffn_hidden == 0 ? 4 * model.hidden : model.ffn_hidden);
  model.vocab = integer_or("model.vocab", model.vocab);
  model.seq_len = integer_or("model.seq_len", model.seq_len);
  if (const auto v = s.explicit_value("model.tied_embeddings")) model.tied_embeddings = s.boolean("model.tied_embeddings");
  if (s.explicit_value("model.preset") && s.explicit_value("model.layers")) model.name += "-custom";

  if (model.hidden % model.heads != 0) {
    throw UsageError(fmt::format("model.heads: {} does not divide model.hidden ({}); use a divisor of it", model.heads,
                                 model.hidden));
  }
  if (model.kv_heads > model.heads || model.heads % model.kv_heads != 0) {
    throw UsageError(fmt::format("model.kv_heads: {} must divide model.heads ({})", model.kv_heads, model.heads));
  }
  return model;
}

Device resolve_device(const Settings& s) {
  const std::string preset = s.text("device.preset");
  auto found = parallelism::find_device_preset(preset);
  if (!found) {
    throw UsageError(fmt::format("device.preset: '{}' is not a preset; the presets are {}", preset,
                                 parallelism::device_preset_names()));
  }
  Device device = *found;
  bool custom = false;
  if (s.explicit_value("device.peak_tflops")) device.peak_flops = s.number("device.peak_tflops") * 1e12, custom = true;
  if (s.explicit_value("device.memory_bandwidth_gbs")) {
    device.memory_bandwidth = s.number("device.memory_bandwidth_gbs") * 1e9, custom = true;
  }
  if (s.explicit_value("device.memory_gb")) device.memory_bytes = s.number("device.memory_gb") * 1e9, custom = true;
  if (s.explicit_value("device.efficiency")) device.efficiency = s.number("device.efficiency"), custom = true;
  if (custom) device.name += "-custom";
  return device;
}

}  // namespace

RunConfig resolve(const Settings& settings) {
  RunConfig config;
  config.settings = settings;
  auto& w = config.workload;
  w.model = resolve_model(settings);
  w.device = resolve_device(settings);
  w.micro_batch = static_cast<int>(settings.integer("batch.micro"));
  w.bucket_mb = settings.number("dp.bucket_mb");
  w.overlap = settings.boolean("dp.overlap");
  w.gradient_type = *comm::parse_element_type(settings.text("dp.gradient_dtype"));
  config.steps = static_cast<int>(settings.integer("emulation.steps"));
  config.warmup = static_cast<int>(settings.integer("emulation.warmup"));
  config.compute = *parallelism::parse_compute_mode(settings.text("emulation.compute"));
  config.check = settings.boolean("emulation.check");
  config.seed = static_cast<std::uint64_t>(settings.integer("emulation.seed"));
  config.in_flight = static_cast<int>(settings.integer("emulation.in_flight"));
  config.output = settings.text("output.path");
  config.trace = settings.boolean("output.trace");
  config.overwrite = settings.boolean("output.overwrite");
  if (config.output.empty()) throw UsageError("output.path: must name a file (for example run.h5)");
  return config;
}

void fit_to_world(RunConfig& config, int world_size) {
  auto& w = config.workload;
  const auto dp = config.settings.integer("parallel.dp");
  if (dp != 0 && dp != world_size) {
    throw UsageError(fmt::format("parallel.dp: {} does not match the {} rank{} of this job; in a data-parallel layout "
                                 "dp is the number of ranks (or 0 for all of them)",
                                 dp, world_size, world_size == 1 ? "" : "s"));
  }
  w.dp = world_size;
  const auto global = config.settings.integer("batch.global");
  const long long per_step = static_cast<long long>(w.micro_batch) * w.dp;
  if (global == 0) {
    w.global_batch = static_cast<int>(per_step);
  } else if (global % per_step != 0) {
    throw UsageError(fmt::format("batch.global: {} is not a multiple of batch.micro x dp = {} x {} = {}; use {} or {}",
                                 global, w.micro_batch, w.dp, per_step, std::max(per_step, global / per_step * per_step),
                                 (global / per_step + 1) * per_step));
  } else {
    w.global_batch = static_cast<int>(global);
  }
}

}  // namespace scaleout::runs
