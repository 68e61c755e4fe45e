// Allreduce: every rank ends with the elementwise sum of all ranks' buffers.
// S = the buffer's bytes; busbw factor 2(n-1)/n (a ring moves every byte twice, reduce then gather).
#include "comm/collectives/collectives.hpp"

namespace scaleout::comm::collectives {
namespace {

class Allreduce final : public Collective {
 public:
  CollectiveKind kind() const noexcept override { return CollectiveKind::allreduce; }
  double bus_factor(int n) const noexcept override { return 2.0 * (n - 1) / n; }
  Shape shape(std::size_t bytes, ElementType type, int) const noexcept override {
    const std::size_t count = elements_per_block(bytes, type, 1);
    return {count, count, count * size_of(type), 1};
  }
  Interval run(const Communicator& comm, Call& call) const override {
    return comm::allreduce(comm, call.send.data(), call.recv.data(), call.shape.send_count, call.type, call.sum);
  }
  void start(const Communicator& comm, Call& call, std::vector<Request>& requests) const override {
    requests.push_back(
        iallreduce(comm, call.send.data(), call.recv.data(), call.shape.send_count, call.type, call.sum));
  }
  std::size_t verify(const Payload& payload, int iteration, int, int, const Call& call) const override {
    const Payload::Sums sums = payload.sums(iteration);
    return payload.count_wrong(call.recv.bytes(), [&](std::size_t i) { return sums(i); });
  }
};

}  // namespace

const Collective& allreduce() {
  static const Allreduce instance;
  return instance;
}

}  // namespace scaleout::comm::collectives
