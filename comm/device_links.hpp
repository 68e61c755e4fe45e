#pragma once
// The emulated device's own links inside a node (NVLink through NVSwitch, Infinity Fabric), for
// `emulation.intra_node: device` (docs/run.md, "Inside a node"). A hop between two ranks of one node
// is not moved through the host's shared memory: it lasts what the device's links would take, timed
// on the node's clock (CLOCK_MONOTONIC), which every rank of a node reads alike.
//
// The sender reserves its device's links for the hop's bytes: one timeline for all its links
// together (bandwidth per direction) and one per peer (the pair's bandwidth), so hops posted together,
// by one algorithm step or by operations of several groups in flight at once, share the links as they
// would on the device. The hop's bytes have left when both reservations end, and arrive a hop's
// latency later. Links are full duplex and the algorithms scaleout runs (rings, trees, pairwise) give
// every rank as many bytes in as out per step, so the sender's side decides.
//
// A modelled hop still sends one real message, its header: the node time its bytes arrive. A receiver
// therefore never completes before its sender has posted (causality stays real), and completes at the
// later of the header's arrival and the modelled one. With `move_bytes` (emulation.check) the bytes
// travel too, after the header, so every result can be verified; hops then last at least what the host
// takes, and the log says so.

#include <cstdint>
#include <unordered_map>

namespace scaleout::comm {

struct LinkModel {
  double latency = 0;         // seconds a hop costs before its bytes
  double bandwidth = 0;       // bytes/s per direction from a device to all the others of its node
  double pair_bandwidth = 0;  // bytes/s per direction between two devices
};

class DeviceLinks {
 public:
  // std::invalid_argument unless both bandwidths are positive and the latency is not negative.
  DeviceLinks(LinkModel model, bool move_bytes);

  struct Timing {
    double sent = 0;     // node time the hop's last byte leaves
    double arrives = 0;  // node time it is at the peer
  };
  // Reserves the links for `bytes` to `peer` (a rank of MPI_COMM_WORLD) from node time `at`.
  Timing reserve(int peer, std::uint64_t bytes, double at);

  const LinkModel& model() const noexcept { return model_; }
  bool move_bytes() const noexcept { return move_bytes_; }

 private:
  LinkModel model_;
  bool move_bytes_ = false;
  double free_at_ = 0;                            // the links together
  std::unordered_map<int, double> pair_free_at_;  // per peer
};

// Seconds of CLOCK_MONOTONIC: one clock for every process of a node (MPI_Wtime need not be).
double node_clock() noexcept;

}  // namespace scaleout::comm
