// Broadcast from rank 0: every rank ends with the root's buffer.
// S = the buffer's bytes; busbw factor 1.
#include "comm/collectives/collectives.hpp"

namespace scaleout::comm::collectives {
namespace {

class Broadcast final : public Collective {
 public:
  CollectiveKind kind() const noexcept override { return CollectiveKind::broadcast; }
  double bus_factor(int) const noexcept override { return 1.0; }
  // In place: the receive buffer is the one broadcast; the send buffer is unused.
  Shape shape(std::size_t bytes, ElementType type, int) const noexcept override {
    const std::size_t count = elements_per_block(bytes, type, 1);
    return {0, count, count * size_of(type), 1};
  }
  Interval run(const Communicator& comm, Call& call) const override {
    return comm::broadcast(comm, call.recv.data(), call.shape.recv_count, call.type, call.root);
  }
  void start(const Communicator& comm, Call& call, std::vector<Request>& requests) const override {
    requests.push_back(ibroadcast(comm, call.recv.data(), call.shape.recv_count, call.type, call.root));
  }
  void fill(const Payload& payload, int iteration, int rank, Call& call) const override {
    if (rank == call.root) payload.fill(call.recv.bytes(), iteration, rank, 0);
  }
  std::size_t verify(const Payload& payload, int iteration, int, int, const Call& call) const override {
    const Payload::Values root = payload.values(iteration, call.root);
    return payload.count_wrong(call.recv.bytes(), [&](std::size_t i) { return root(i); });
  }
};

}  // namespace

const Collective& broadcast() {
  static const Broadcast instance;
  return instance;
}

}  // namespace scaleout::comm::collectives
