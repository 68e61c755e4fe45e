#include "comm/background.hpp"

#include <mpi.h>

#include <algorithm>
#include <vector>

#include "comm/buffer.hpp"
#include "comm/fabric_tags.hpp"
#include "comm/gather.hpp"
#include "comm/operations.hpp"

namespace scaleout::comm {

namespace {

constexpr float start_command = 1.0F, end_command = 0.0F;

std::size_t whole_elements(std::size_t bytes) { return bytes / sizeof(float); }

// Bytes both ways between nodes in one unit.
struct Crossing {
  std::uint64_t sent = 0, received = 0;
};

// One unit of the pattern; what of it crossed this rank's node link.
Crossing one_unit(const Communicator& team, BackgroundPattern pattern, Buffer& send, Buffer& receive, std::size_t bytes,
                  const SumOp& sum, std::span<const int> node_of) {
  const int me = team.rank(), n = team.size();
  const auto across = [&](int peer) {
    return node_of[static_cast<std::size_t>(peer)] != node_of[static_cast<std::size_t>(me)];
  };
  switch (pattern) {
    case BackgroundPattern::incast: {
      const std::size_t count = whole_elements(bytes);
      const std::uint64_t moved = count * sizeof(float);
      if (me != 0) {
        isend(team, send.data(), count, ElementType::fp32, 0, fabric_tag::load).wait();
        return {across(0) ? moved : 0, 0};
      }
      std::vector<Request> incoming;
      Crossing crossed;
      for (int from = 1; from < n; ++from) {
        const std::size_t at = static_cast<std::size_t>(from - 1) * count * sizeof(float);
        incoming.push_back(irecv(team, receive.data() + at, count, ElementType::fp32, from, fabric_tag::load));
        if (across(from)) crossed.received += moved;
      }
      for (Request& request : incoming) request.wait();
      return crossed;
    }
    case BackgroundPattern::alltoall: {
      const std::size_t per_peer = whole_elements(bytes / static_cast<std::size_t>(n));
      (void)alltoall(team, send.data(), receive.data(), per_peer, ElementType::fp32);
      Crossing crossed;
      for (int peer = 0; peer < n; ++peer) {
        if (peer != me && across(peer)) crossed.sent += per_peer * sizeof(float);
      }
      crossed.received = crossed.sent;
      return crossed;
    }
    case BackgroundPattern::bisection: {
      const int partner = bisection_partner(me, n);
      if (partner < 0) return {};
      const std::size_t count = whole_elements(bytes);
      (void)sendrecv(team, send.data(), count, partner, receive.data(), count, partner, ElementType::fp32,
                     fabric_tag::load);
      const std::uint64_t moved = across(partner) ? count * sizeof(float) : 0;
      return {moved, moved};
    }
    case BackgroundPattern::allreduce: {
      const std::size_t count = whole_elements(bytes);
      (void)allreduce(team, send.data(), receive.data(), count, ElementType::fp32, sum);
      const bool spans = std::any_of(node_of.begin(), node_of.end(), [&](int node) { return node != node_of.front(); });
      const std::uint64_t ring =
          2 * static_cast<std::uint64_t>(n - 1) * count * sizeof(float) / static_cast<std::uint64_t>(n);
      return {spans ? ring : 0, spans ? ring : 0};
    }
  }
  return {};
}

}  // namespace

BackgroundLoad load_fabric(const Communicator& world, const Communicator& team, BackgroundPattern pattern,
                           std::size_t bytes, int leader, std::span<const int> node_of) {
  const bool first = team.rank() == 0;
  // The incast's first rank receives from every other.
  const bool gathers = pattern == BackgroundPattern::incast && first;
  Buffer send(bytes), receive(gathers ? bytes * static_cast<std::size_t>(team.size() - 1) : bytes);
  const SumOp sum(ElementType::fp32);
  Request stop;
  if (first) stop = irecv(world, nullptr, 0, ElementType::fp32, leader, fabric_tag::stop);
  BackgroundLoad load;
  const double start = MPI_Wtime();
  for (bool stopped = false; !stopped;) {
    const Crossing crossed = one_unit(team, pattern, send, receive, bytes, sum, node_of);
    load.bytes_sent += crossed.sent;
    load.bytes_received += crossed.received;
    ++load.units;
    if (first && load.units == 1) isend(world, nullptr, 0, ElementType::fp32, leader, fabric_tag::loaded).wait();
    stopped = any_rank(team, first && stop.test());
  }
  load.seconds = MPI_Wtime() - start;
  return load;
}

void wait_for_background(const Communicator& world, int team_first) {
  irecv(world, nullptr, 0, ElementType::fp32, team_first, fabric_tag::loaded).wait();
}

void stop_background(const Communicator& world, int team_first) {
  isend(world, nullptr, 0, ElementType::fp32, team_first, fabric_tag::stop).wait();
}

BackgroundLoad serve_background(const Communicator& world, const Communicator& team, BackgroundPattern pattern,
                                std::size_t bytes, int leader, std::span<const int> node_of) {
  const bool first = team.rank() == 0;
  BackgroundLoad total;
  for (;;) {
    float command = end_command;
    if (first) irecv(world, &command, 1, ElementType::fp32, leader, fabric_tag::command).wait();
    (void)broadcast(team, &command, 1, ElementType::fp32, 0);
    if (command != start_command) return total;
    const BackgroundLoad load = load_fabric(world, team, pattern, bytes, leader, node_of);
    total.bytes_sent += load.bytes_sent;
    total.bytes_received += load.bytes_received;
    total.seconds += load.seconds;
    total.units += load.units;
    // load_fabric returns on every team rank after the same unit (the team agreed to stop); the
    // barrier makes the halt the last rank's.
    team.barrier();
    if (first) isend(world, nullptr, 0, ElementType::fp32, leader, fabric_tag::halted).wait();
  }
}

void start_background(const Communicator& world, int team_first) {
  isend(world, &start_command, 1, ElementType::fp32, team_first, fabric_tag::command).wait();
  wait_for_background(world, team_first);
}

void halt_background(const Communicator& world, int team_first) {
  stop_background(world, team_first);
  irecv(world, nullptr, 0, ElementType::fp32, team_first, fabric_tag::halted).wait();
}

void end_background(const Communicator& world, int team_first) {
  isend(world, &end_command, 1, ElementType::fp32, team_first, fabric_tag::command).wait();
}

}  // namespace scaleout::comm
