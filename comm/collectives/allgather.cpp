// Allgather: every rank ends with all ranks' blocks, block r from rank r.
// S = the bytes each rank ends with (n blocks); busbw factor (n-1)/n.
#include "comm/collectives/collectives.hpp"

namespace scaleout::comm::collectives {
namespace {

class Allgather final : public Collective {
 public:
  CollectiveKind kind() const noexcept override { return CollectiveKind::allgather; }
  double bus_factor(int n) const noexcept override { return static_cast<double>(n - 1) / n; }
  Shape shape(std::size_t bytes, ElementType type, int ranks) const noexcept override {
    const std::size_t block = elements_per_block(bytes, type, static_cast<std::size_t>(ranks));
    const std::size_t total = block * static_cast<std::size_t>(ranks);
    return {block, total, total * size_of(type), static_cast<std::size_t>(ranks)};
  }
  Interval run(const Communicator& comm, Call& call) const override {
    return comm::allgather(comm, call.send.data(), call.recv.data(), call.shape.send_count, call.type);
  }
  void start(const Communicator& comm, Call& call, std::vector<Request>& requests) const override {
    requests.push_back(iallgather(comm, call.send.data(), call.recv.data(), call.shape.send_count, call.type));
  }
  std::size_t verify(const Payload& payload, int iteration, int, int ranks, const Call& call) const override {
    const std::size_t block = call.shape.send_count;
    const std::vector<Payload::Values> senders = all_ranks(payload, iteration, ranks);
    return payload.count_wrong(call.recv.bytes(), [&](std::size_t i) { return senders[i / block](i % block); });
  }
};

}  // namespace

const Collective& allgather() {
  static const Allgather instance;
  return instance;
}

}  // namespace scaleout::comm::collectives
