// Send/recv between pairs, as a ring shift: every rank sends its buffer to rank+1 and receives from
// rank-1 at once, so every rank is one end of two pairs and every link carries S each way.
// S = the bytes each rank sends; busbw factor 1.
#include "comm/collectives/collectives.hpp"

namespace scaleout::comm::collectives {
namespace {

constexpr int tag = 7;

class Sendrecv final : public Collective {
 public:
  CollectiveKind kind() const noexcept override { return CollectiveKind::sendrecv; }
  double bus_factor(int) const noexcept override { return 1.0; }
  Shape shape(std::size_t bytes, ElementType type, int) const noexcept override {
    const std::size_t count = elements_per_block(bytes, type, 1);
    return {count, count, count * size_of(type), 1};
  }
  Interval run(const Communicator& comm, Call& call) const override {
    const auto [next, previous] = neighbours(comm);
    return comm::sendrecv(comm, call.send.data(), call.shape.send_count, next, call.recv.data(), call.shape.recv_count,
                          previous, call.type, tag);
  }
  void start(const Communicator& comm, Call& call, std::vector<Request>& requests) const override {
    const auto [next, previous] = neighbours(comm);
    requests.push_back(irecv(comm, call.recv.data(), call.shape.recv_count, call.type, previous, tag));
    requests.push_back(isend(comm, call.send.data(), call.shape.send_count, call.type, next, tag));
  }
  std::size_t verify(const Payload& payload, int iteration, int rank, int ranks, const Call& call) const override {
    const int previous = (rank + ranks - 1) % ranks;
    const Payload::Values sender = payload.values(iteration, previous);
    return payload.count_wrong(call.recv.bytes(), [&](std::size_t i) { return sender(i); });
  }

 private:
  static std::pair<int, int> neighbours(const Communicator& comm) {
    const int rank = comm.rank();
    const int size = comm.size();
    return {(rank + 1) % size, (rank + size - 1) % size};
  }
};

}  // namespace

const Collective& sendrecv() {
  static const Sendrecv instance;
  return instance;
}

}  // namespace scaleout::comm::collectives
