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
  static const std::vector<DevicePreset> presets = {
      {{"a100-80gb", 312e12, 2.039e12, 81920 * mib, 0.5}, "NVIDIA A100 Tensor Core GPU datasheet (SXM 80GB)"},
      {{"h100-sxm", 989e12, 3.35e12, 81559 * mib, 0.4}, "NVIDIA H100 Tensor Core GPU datasheet (SXM)"},
      {{"h200", 989e12, 4.8e12, 143771 * mib, 0.4}, "NVIDIA H200 Tensor Core GPU datasheet (SXM)"},
      {{"b200", 2250e12, 7.7e12, 180e9, 0.4},
       "NVIDIA HGX B200 specifications, per GPU (4.5 PFLOPS bf16 with sparsity, halved for dense)"},
      {{"mi300x", 1307.4e12, 5.3e12, 192e9, 0.4}, "AMD Instinct MI300X accelerator datasheet"},
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

std::string describe(const Device& d) {
  return fmt::format("{}: {:.4g} TFLOP/s bf16 x {:.2f} efficiency, {:.0f} GB/s, {:.2f} GiB", d.name,
                     d.peak_flops / 1e12, d.efficiency, d.memory_bandwidth / 1e9,
                     d.memory_bytes / (1024.0 * 1024 * 1024));
}

}  // namespace scaleout::parallelism
