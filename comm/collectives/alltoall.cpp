// All-to-all: block d of rank s's buffer goes to rank d, landing as block s there.
// S = the bytes each rank sends (n blocks); busbw factor (n-1)/n.
#include "comm/collectives/collectives.hpp"

namespace scaleout::comm::collectives {
namespace {

class Alltoall final : public Collective {
 public:
  CollectiveKind kind() const noexcept override { return CollectiveKind::alltoall; }
  double bus_factor(int n) const noexcept override { return static_cast<double>(n - 1) / n; }
  Shape shape(std::size_t bytes, ElementType type, int ranks) const noexcept override {
    const std::size_t block = elements_per_block(bytes, type, static_cast<std::size_t>(ranks));
    const std::size_t total = block * static_cast<std::size_t>(ranks);
    return {total, total, total * size_of(type), static_cast<std::size_t>(ranks)};
  }
  Interval run(const Communicator& comm, Call& call) const override {
    return comm::alltoall(comm, call.send.data(), call.recv.data(), block(call), call.type);
  }
  void start(const Communicator& comm, Call& call, std::vector<Request>& requests) const override {
    requests.push_back(ialltoall(comm, call.send.data(), call.recv.data(), block(call), call.type));
  }
  std::size_t verify(const Payload& payload, int iteration, int rank, int ranks, const Call& call) const override {
    const std::size_t b = block(call);
    const std::size_t mine = static_cast<std::size_t>(rank) * b;  // where my block sits in every sender
    const std::vector<Payload::Values> senders = all_ranks(payload, iteration, ranks);
    return payload.count_wrong(call.recv.bytes(), [&](std::size_t i) { return senders[i / b](mine + i % b); });
  }

 private:
  static std::size_t block(const Call& call) noexcept { return call.shape.send_count / call.shape.blocks; }
};

}  // namespace

const Collective& alltoall() {
  static const Alltoall instance;
  return instance;
}

}  // namespace scaleout::comm::collectives
