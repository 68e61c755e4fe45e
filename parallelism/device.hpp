#pragma once
// The emulated accelerator: how fast it computes and moves memory, and how much it holds. A compute
// span lasts max(FLOPs / (peak x efficiency), bytes / memory bandwidth) (docs/run.md).

#include <optional>
#include <string>
#include <vector>

namespace scaleout::parallelism {

// The fabric between the devices of one node (NVLink through NVSwitch, Infinity Fabric): what a
// transfer between two devices of a node would take on the emulated machine, where the host running
// the emulation moves it through its own shared memory (docs/workload.md, "Node fabric").
struct NodeFabric {
  std::string name;             // "NVLink 4"
  double bandwidth = 0.0;       // bytes/s per direction, per device, over all its links
  double pair_bandwidth = 0.0;  // bytes/s per direction between two devices (through a switch: all of it)
  double latency = 0.0;         // seconds a hop between two devices costs before its bytes
  int devices_per_node = 0;

  // A transfer of `bytes` from one device to another of its node, alone on their links.
  double seconds(double bytes) const { return latency + bytes / pair_bandwidth; }
};

struct Device {
  std::string name;
  double peak_flops = 0.0;        // dense bf16 FLOP/s
  double memory_bandwidth = 0.0;  // bytes/s
  double memory_bytes = 0.0;
  double efficiency = 0.0;  // the share of peak a training step achieves (model FLOPs utilization)
  NodeFabric fabric;

  double seconds(double flops, double bytes) const;
};

// How hops between ranks of one node pass (docs/run.md, "Inside a node"): over the device's fabric,
// modelled (comm/device_links.hpp), or through the host's shared memory, for real.
enum class IntraNode { device, host };
const char* to_string(IntraNode mode);
std::optional<IntraNode> parse_intra_node(const std::string& text);

struct DevicePreset {
  Device device;
  std::string source;
};

const std::vector<DevicePreset>& device_presets();
std::optional<Device> find_device_preset(const std::string& name);
std::string device_preset_names();

// "h100-sxm: 989 TFLOP/s bf16 x 0.40 efficiency, 3350 GB/s, 80 GB": what plan prints of it.
std::string describe(const Device& device);
// "8 per node over NVLink 4: 450 GB/s per direction a device, 450 GB/s between two, 3.4 us a hop".
std::string describe(const NodeFabric& fabric);

}  // namespace scaleout::parallelism
