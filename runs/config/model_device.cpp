#include "runs/config/model_device.hpp"

#include <fmt/format.h>

#include <string>

#include "runs/usage_error.hpp"

namespace scaleout::runs {

using parallelism::Architecture;
using parallelism::Device;
using parallelism::Model;
using parallelism::NodeFabric;

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
        throw UsageError(fmt::format("{}: required for a model without a preset (or give model.preset: one of {})", key,
                                     parallelism::model_preset_names()));
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
  model.kv_heads =
      static_cast<int>(integer_or("model.kv_heads", heads_given || model.kv_heads == 0 ? model.heads : model.kv_heads));
  model.ffn_hidden = integer_or("model.ffn_hidden", model.ffn_hidden == 0 ? 4 * model.hidden : model.ffn_hidden);
  model.vocab = integer_or("model.vocab", model.vocab);
  model.seq_len = integer_or("model.seq_len", model.seq_len);
  if (const auto v = s.explicit_value("model.tied_embeddings"))
    model.tied_embeddings = s.boolean("model.tied_embeddings");
  model.experts = static_cast<int>(integer_or("model.experts", model.experts));
  model.top_k = static_cast<int>(integer_or("model.top_k", model.top_k == 0 && model.experts > 0 ? 1 : model.top_k));
  if (model.experts > 0 && model.top_k > model.experts) {
    throw UsageError(fmt::format("model.top_k: {} is more than the {} experts; use 1 to {}", model.top_k, model.experts,
                                 model.experts));
  }
  if (model.experts == 0 && s.explicit_value("model.top_k")) {
    throw UsageError("model.top_k: needs model.experts (a mixture-of-experts model)");
  }
  if (s.explicit_value("model.preset") &&
      (s.explicit_value("model.layers") || s.explicit_value("model.experts") || s.explicit_value("model.hidden"))) {
    model.name += "-custom";
  }

  model.kv_channels = integer_or("model.head_dim", model.kv_channels);
  model.attention = *parallelism::parse_attention_kernel(s.text("model.attention"));
  if (model.kv_channels == 0 && model.hidden % model.heads != 0) {
    throw UsageError(
        fmt::format("model.heads: {} does not divide model.hidden ({}); use a divisor of it, or give model.head_dim",
                    model.heads, model.hidden));
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
  NodeFabric& fabric = device.fabric;
  if (s.explicit_value("device.fabric_gbs")) {
    fabric.bandwidth = s.number("device.fabric_gbs") * 1e9, custom = true;
    // A fabric given by its device bandwidth alone is a switch: any two devices get all of it.
    if (!s.explicit_value("device.fabric_pair_gbs")) fabric.pair_bandwidth = fabric.bandwidth;
  }
  if (s.explicit_value("device.fabric_pair_gbs"))
    fabric.pair_bandwidth = s.number("device.fabric_pair_gbs") * 1e9, custom = true;
  if (s.explicit_value("device.fabric_latency_us"))
    fabric.latency = s.number("device.fabric_latency_us") * 1e-6, custom = true;
  if (s.explicit_value("device.per_node"))
    fabric.devices_per_node = static_cast<int>(s.integer("device.per_node")), custom = true;
  if (fabric.pair_bandwidth > fabric.bandwidth) {
    throw UsageError(
        fmt::format("device.fabric_pair_gbs: {:g} is more than device.fabric_gbs ({:g}); two devices "
                    "share at most what one moves",
                    fabric.pair_bandwidth / 1e9, fabric.bandwidth / 1e9));
  }
  if (custom) device.name += "-custom";
  return device;
}

}  // namespace scaleout::runs
