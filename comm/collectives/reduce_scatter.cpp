// Reduce-scatter: rank r ends with block r of the elementwise sum of all ranks' buffers.
// S = the bytes each rank contributes (n blocks); busbw factor (n-1)/n.
#include "comm/collectives/collectives.hpp"

namespace scaleout::comm::collectives {
namespace {

class ReduceScatter final : public Collective {
 public:
  CollectiveKind kind() const noexcept override { return CollectiveKind::reduce_scatter; }
  double bus_factor(int n) const noexcept override { return static_cast<double>(n - 1) / n; }
  Shape shape(std::size_t bytes, ElementType type, int ranks) const noexcept override {
    const std::size_t block = elements_per_block(bytes, type, static_cast<std::size_t>(ranks));
    const std::size_t total = block * static_cast<std::size_t>(ranks);
    return {total, block, total * size_of(type), static_cast<std::size_t>(ranks)};
  }
  Interval run(const Communicator& comm, Call& call) const override {
    return comm::reduce_scatter(comm, call.send.data(), call.recv.data(), call.shape.recv_count, call.type, call.sum);
  }
  void start(const Communicator& comm, Call& call, std::vector<Request>& requests) const override {
    requests.push_back(
        ireduce_scatter(comm, call.send.data(), call.recv.data(), call.shape.recv_count, call.type, call.sum));
  }
  std::size_t verify(const Payload& payload, int iteration, int rank, int, const Call& call) const override {
    const std::size_t first = static_cast<std::size_t>(rank) * call.shape.recv_count;
    const Payload::Sums sums = payload.sums(iteration);
    return payload.count_wrong(call.recv.bytes(), [&](std::size_t i) { return sums(first + i); });
  }
};

}  // namespace

const Collective& reduce_scatter() {
  static const ReduceScatter instance;
  return instance;
}

}  // namespace scaleout::comm::collectives
