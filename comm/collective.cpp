#include "comm/collective.hpp"

#include <algorithm>
#include <array>

#include "comm/collectives/collectives.hpp"

namespace scaleout::comm {

Call::Call(const Shape& s, ElementType t)
    : shape(s), type(t), send(s.send_count * size_of(t)), recv(s.recv_count * size_of(t)), sum(t) {}

void Collective::fill(const Payload& payload, int iteration, int rank, Call& call) const {
  payload.fill(call.send.bytes(), iteration, rank, 0);
}

std::vector<Payload::Values> all_ranks(const Payload& payload, int iteration, int ranks) {
  std::vector<Payload::Values> values;
  values.reserve(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) values.push_back(payload.values(iteration, r));
  return values;
}

std::size_t elements_per_block(std::size_t bytes, ElementType type, std::size_t blocks) noexcept {
  return std::max<std::size_t>(1, bytes / size_of(type) / std::max<std::size_t>(blocks, 1));
}

std::span<const Collective* const> all_collectives() noexcept {
  static const std::array<const Collective*, 7> all = {
      &collectives::allreduce(), &collectives::reduce_scatter(), &collectives::allgather(), &collectives::alltoall(),
      &collectives::broadcast(), &collectives::reduce(),         &collectives::sendrecv()};
  return all;
}

const Collective* find_collective(std::string_view name) noexcept {
  for (const Collective* c : all_collectives()) {
    if (c->name() == name) return c;
  }
  return nullptr;
}

}  // namespace scaleout::comm
