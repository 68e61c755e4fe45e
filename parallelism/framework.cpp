#include "parallelism/framework.hpp"

#include <algorithm>
#include <array>

namespace scaleout::parallelism {

namespace {
constexpr std::array<std::pair<Framework, const char*>, 3> names = {
    {{Framework::megatron, "megatron"}, {Framework::deepspeed, "deepspeed"}, {Framework::pytorch, "pytorch"}}};
}  // namespace

const char* to_string(Framework framework) {
  for (const auto& [f, name] : names) {
    if (f == framework) return name;
  }
  return "megatron";
}

std::optional<Framework> parse_framework(std::string_view name) {
  for (const auto& [f, known] : names) {
    if (name == known) return f;
  }
  return std::nullopt;
}

std::vector<std::string> framework_names() {
  std::vector<std::string> list;
  list.reserve(names.size());
  for (const auto& [f, name] : names) list.emplace_back(name);
  return list;
}

comm::ElementType gradient_reduce_type(Framework framework) {
  // Megatron-LM: megatron/training/arguments.py, "bfloat16 requires gradient accumulation and
  // all-reduce to be done in fp32". DeepSpeed: deepspeed/runtime/engine.py, communication_data_type
  // (bf16 when bf16 is enabled). PyTorch: DDP's buckets hold the parameters' type.
  switch (framework) {
    case Framework::megatron: return comm::ElementType::fp32;
    case Framework::deepspeed: return comm::ElementType::bf16;
    case Framework::pytorch: return comm::ElementType::fp32;
  }
  return comm::ElementType::fp32;
}

double bucket_bytes(Framework framework, const Layout& layout, comm::ElementType gradient) {
  const auto element = static_cast<double>(comm::size_of(gradient));
  switch (framework) {
    case Framework::megatron:
      // megatron/core/distributed/distributed_data_parallel.py: larger DP groups take larger buckets,
      // "to ensure collectives do not become latency-bound".
      return std::max(40e6, 1e6 * layout.gradient_group_size()) * element;
    case Framework::deepspeed: return 5e8 * element;     // deepspeed/runtime/zero/config.py
    case Framework::pytorch: return 25.0 * 1024 * 1024;  // torch/nn/parallel/distributed.py, bucket_cap_mb
  }
  return 25.0 * 1024 * 1024;
}

}  // namespace scaleout::parallelism
