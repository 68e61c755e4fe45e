#pragma once
// The emulated accelerator: how fast it computes and moves memory, and how much it holds. A compute
// span lasts max(FLOPs / (peak x efficiency), bytes / memory bandwidth) (docs/run.md).

#include <optional>
#include <string>
#include <vector>

namespace scaleout::parallelism {

struct Device {
  std::string name;
  double peak_flops = 0.0;        // dense bf16 FLOP/s
  double memory_bandwidth = 0.0;  // bytes/s
  double memory_bytes = 0.0;
  double efficiency = 0.0;  // the share of peak a training step achieves (model FLOPs utilization)

  double seconds(double flops, double bytes) const;
};

struct DevicePreset {
  Device device;
  std::string source;
};

const std::vector<DevicePreset>& device_presets();
std::optional<Device> find_device_preset(const std::string& name);
std::string device_preset_names();

// "h100-sxm: 989 TFLOP/s bf16 x 0.40 efficiency, 3350 GB/s, 80 GB": what plan prints of it.
std::string describe(const Device& device);

}  // namespace scaleout::parallelism
