// Reduce to rank 0: the root ends with the elementwise sum of all ranks' buffers.
// S = the buffer's bytes; busbw factor 1.
#include "comm/collectives/collectives.hpp"

namespace scaleout::comm::collectives {
namespace {

class Reduce final : public Collective {
 public:
  CollectiveKind kind() const noexcept override { return CollectiveKind::reduce; }
  double bus_factor(int) const noexcept override { return 1.0; }
  Shape shape(std::size_t bytes, ElementType type, int) const noexcept override {
    const std::size_t count = elements_per_block(bytes, type, 1);
    return {count, count, count * size_of(type), 1};
  }
  Interval run(const Communicator& comm, Call& call) const override {
    return comm::reduce(comm, call.send.data(), call.recv.data(), call.shape.send_count, call.type, call.sum,
                        call.root);
  }
  void start(const Communicator& comm, Call& call, std::vector<Request>& requests) const override {
    requests.push_back(
        ireduce(comm, call.send.data(), call.recv.data(), call.shape.send_count, call.type, call.sum, call.root));
  }
  // Only the root's receive buffer is defined afterwards.
  std::size_t verify(const Payload& payload, int iteration, int rank, int, const Call& call) const override {
    if (rank != call.root) return 0;
    const Payload::Sums sums = payload.sums(iteration);
    return payload.count_wrong(call.recv.bytes(), [&](std::size_t i) { return sums(i); });
  }
};

}  // namespace

const Collective& reduce() {
  static const Reduce instance;
  return instance;
}

}  // namespace scaleout::comm::collectives
