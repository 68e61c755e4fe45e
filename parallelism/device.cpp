#include "parallelism/device.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace scaleout::parallelism {

double Device::seconds(double flops, double bytes) const {
  return std::max(flops / (peak_flops * efficiency), bytes / memory_bandwidth);
}

const std::vector<DevicePreset>& device_presets() {
  // Peak dense (no sparsity) bf16 tensor throughput, HBM bandwidth and capacity per device, from the
  // vendors' datasheets (docs/workload.md lists them). Default efficiencies: 0.5 for A100 (Narayanan
  // et al. 2021 report 52% of peak for GPT-3 scale training), 0.4 for the later parts, whose peak
  // grew faster than what training reaches of it. Set your own with device.efficiency.
  // Capacity as the device reports it to the framework (nvidia-smi's memory.total): the datasheets'
  // "80GB" and "141GB" are names, and an A100-SXM4-80GB holds 81920 MiB, an H100 80GB HBM3 81559 MiB,
  // an H200 143771 MiB.
  constexpr double mib = 1024.0 * 1024.0;
  // Node fabrics: the datasheets' NVLink figures are both directions together (600, 900, 1800 GB/s),
  // halved here; NVSwitch gives any two GPUs all of it. The MI300X's 7 Infinity Fabric links of 128
  // GB/s both ways reach one peer each: 64 GB/s per direction to a peer, 448 to all. A hop's latency
  // is NCCL's for a ring step of its Simple protocol over NVLink (src/graph/tuning.cc, hwLat: 3.4 us)
  // and RCCL's over xGMI (its tuning models 0 and 4: 3.6 us).
  const NodeFabric nvlink3{"NVLink 3", 300e9, 300e9, 3.4e-6, 8};
  const NodeFabric nvlink4{"NVLink 4", 450e9, 450e9, 3.4e-6, 8};
  const NodeFabric nvlink5{"NVLink 5", 900e9, 900e9, 3.4e-6, 8};
  const NodeFabric infinity{"Infinity Fabric", 448e9, 64e9, 3.6e-6, 8};
  static const std::vector<DevicePreset> presets = {
      {{"a100-80gb", 312e12, 2.039e12, 81920 * mib, 0.5, nvlink3}, "NVIDIA A100 Tensor Core GPU datasheet (SXM 80GB)"},
      {{"h100-sxm", 989e12, 3.35e12, 81559 * mib, 0.4, nvlink4}, "NVIDIA H100 Tensor Core GPU datasheet (SXM)"},
      {{"h200", 989e12, 4.8e12, 143771 * mib, 0.4, nvlink4}, "NVIDIA H200 Tensor Core GPU datasheet (SXM)"},
      {{"b200", 2250e12, 7.7e12, 180e9, 0.4, nvlink5},
       "NVIDIA HGX B200 specifications, per GPU (4.5 PFLOPS bf16 with sparsity, halved for dense)"},
      {{"mi300x", 1307.4e12, 5.3e12, 192e9, 0.4, infinity}, "AMD Instinct MI300X accelerator datasheet"},
  };
  return presets;
}

std::optional<Device> find_device_preset(const std::string& name) {
  for (const auto& preset : device_presets()) {
    if (preset.device.name == name) return preset.device;
  }
  return std::nullopt;
}

std::string device_preset_names() {
  std::string names;
  for (const auto& preset : device_presets()) names += (names.empty() ? "" : ", ") + preset.device.name;
  return names;
}

std::string describe(const NodeFabric& f) {
  return fmt::format(
      "{} per node over {}: {:.0f} GB/s per direction a device, {:.0f} GB/s between two, {:.3g} us a hop",
      f.devices_per_node, f.name, f.bandwidth / 1e9, f.pair_bandwidth / 1e9, f.latency * 1e6);
}

std::string describe(const Device& d) {
  return fmt::format("{}: {:.4g} TFLOP/s bf16 x {:.2f} efficiency, {:.0f} GB/s, {:.2f} GiB", d.name,
                     d.peak_flops / 1e12, d.efficiency, d.memory_bandwidth / 1e9,
                     d.memory_bytes / (1024.0 * 1024 * 1024));
}

const char* to_string(IntraNode mode) { return mode == IntraNode::device ? "device" : "host"; }

std::optional<IntraNode> parse_intra_node(const std::string& text) {
  if (text == "device") return IntraNode::device;
  if (text == "host") return IntraNode::host;
  return std::nullopt;
}

}  // namespace scaleout::parallelism
