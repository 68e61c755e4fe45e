#include "comm/fabric.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "comm/buffer.hpp"
#include "comm/fabric_tags.hpp"
#include "comm/gather.hpp"
#include "comm/operations.hpp"

namespace scaleout::comm {

namespace {

constexpr std::size_t ping_bytes = 8;

// This rank's partner in a round, as a participant index, or -1 when it rests.
int partner_in(const PairRound& round, int me) {
  for (const auto& [a, b] : round) {
    if (a == me) return b;
    if (b == me) return a;
  }
  return -1;
}

// One exchange: both ranks meet (a zero-byte sendrecv); each takes its start time, then tells its peer
// to go (a zero-byte message); each sends `bytes` once told to, in messages of at most `message_bytes`
// all posted at once, and receives as many. The seconds from this rank's start until its last receive
// completed. The peer cannot send before this rank's start, so the time is never shorter than the
// transfer, even when the host's scheduler holds this rank between the meeting and its start (without
// the go, the peer's data would already sit in this rank's socket when its clock started); the go
// adds one latency, and a late peer lengthens the time, never shortens it.
double exchange(const Communicator& world, int peer, Buffer& send, Buffer& receive, std::size_t bytes,
                std::size_t message_bytes) {
  (void)sendrecv(world, nullptr, 0, peer, nullptr, 0, peer, ElementType::fp32, fabric_tag::handshake);
  const double start = MPI_Wtime();
  std::vector<Request> incoming;
  for (std::size_t at = 0; at < bytes; at += message_bytes) {
    const std::size_t count = std::min(message_bytes, bytes - at) / sizeof(float);
    incoming.push_back(irecv(world, receive.data() + at, count, ElementType::fp32, peer, fabric_tag::data));
  }
  (void)sendrecv(world, nullptr, 0, peer, nullptr, 0, peer, ElementType::fp32, fabric_tag::go);
  std::vector<Request> outgoing;
  for (std::size_t at = 0; at < bytes; at += message_bytes) {
    const std::size_t count = std::min(message_bytes, bytes - at) / sizeof(float);
    outgoing.push_back(isend(world, send.data() + at, count, ElementType::fp32, peer, fabric_tag::data));
  }
  for (Request& request : incoming) request.wait();
  const double received = MPI_Wtime();
  for (Request& request : outgoing) request.wait();
  return received - start;
}

// One ping-pong of 8 bytes; the round trip as the first of the pair sees it (0 on the other).
double ping_pong(const Communicator& world, int peer, bool first, Buffer& buffer) {
  const std::size_t count = ping_bytes / sizeof(float);
  if (!first) {
    irecv(world, buffer.data(), count, ElementType::fp32, peer, fabric_tag::ping).wait();
    isend(world, buffer.data(), count, ElementType::fp32, peer, fabric_tag::ping).wait();
    return 0.0;
  }
  const double start = MPI_Wtime();
  isend(world, buffer.data(), count, ElementType::fp32, peer, fabric_tag::ping).wait();
  irecv(world, buffer.data(), count, ElementType::fp32, peer, fabric_tag::ping).wait();
  return MPI_Wtime() - start;
}

// What one rank measured: receive seconds [size][from][iteration] and round trips it led [to][iteration].
struct OwnSamples {
  std::vector<double> receive_s, round_trip_s;
  std::vector<int> round_of;  // [peer]
};

OwnSamples measure_own(const Communicator& world, int me, int n, const std::vector<int>& participants,
                       const std::vector<PairRound>& rounds, const FabricOptions& options) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto iterations = static_cast<std::size_t>(options.iterations);
  const auto count = static_cast<std::size_t>(n);
  OwnSamples own{std::vector<double>(options.sizes.size() * count * iterations, nan),
                 std::vector<double>(count * iterations, nan), std::vector<int>(count, -1)};
  const std::uint64_t largest = options.sizes.empty() ? 0 : options.sizes.back();
  Buffer send(me >= 0 ? std::max<std::size_t>(largest, ping_bytes) : 0);
  Buffer receive(me >= 0 ? std::max<std::size_t>(largest, ping_bytes) : 0);
  for (std::size_t size = 0; size < options.sizes.size(); ++size) {
    for (std::size_t round = 0; round < rounds.size(); ++round) {
      world.barrier();  // one round at a time over the whole world
      const int peer = me < 0 ? -1 : partner_in(rounds[round], me);
      if (peer < 0) continue;
      own.round_of[static_cast<std::size_t>(peer)] = static_cast<int>(round);
      const int peer_rank = participants[static_cast<std::size_t>(peer)];
      for (int i = 0; i < options.warmup + options.iterations; ++i) {
        const double seconds = exchange(world, peer_rank, send, receive, options.sizes[size], options.message_bytes);
        if (i < options.warmup) continue;
        own.receive_s[(size * count + static_cast<std::size_t>(peer)) * iterations +
                      static_cast<std::size_t>(i - options.warmup)] = seconds;
      }
    }
  }
  for (const PairRound& round : rounds) {
    world.barrier();
    const int peer = me < 0 ? -1 : partner_in(round, me);
    if (peer < 0) continue;
    const int peer_rank = participants[static_cast<std::size_t>(peer)];
    for (int i = 0; i < options.warmup + options.iterations; ++i) {
      const double seconds = ping_pong(world, peer_rank, me < peer, send);
      if (i >= options.warmup && me < peer) {
        own.round_trip_s[static_cast<std::size_t>(peer) * iterations + static_cast<std::size_t>(i - options.warmup)] =
            seconds;
      }
    }
  }
  return own;
}

template <class T>
std::vector<T> gathered(const Communicator& world, const std::vector<T>& values) {
  const auto bytes = gather_blocks(world, std::as_bytes(std::span<const T>(values)), 0);
  std::vector<T> all(bytes.size() / sizeof(T));
  if (!all.empty()) std::memcpy(all.data(), bytes.data(), bytes.size());
  return all;
}

}  // namespace

FabricSamples measure_pairs(const Communicator& world, const std::vector<int>& participants,
                            const std::vector<PairRound>& rounds, const FabricOptions& options) {
  const int n = static_cast<int>(participants.size());
  const auto found = std::find(participants.begin(), participants.end(), world.rank());
  const int me = found == participants.end() ? -1 : static_cast<int>(found - participants.begin());
  world.barrier();
  const double start = MPI_Wtime();
  const OwnSamples own = measure_own(world, me, n, participants, rounds, options);
  world.barrier();
  const double elapsed = MPI_Wtime() - start;

  const auto receive = gathered(world, own.receive_s);
  const auto round_trip = gathered(world, own.round_trip_s);
  const auto round_of = gathered(world, own.round_of);
  if (world.rank() != 0) return {};
  FabricSamples samples = empty_samples(participants, options.sizes, options.iterations);
  samples.elapsed_s = elapsed;
  samples.message_bytes = options.message_bytes;
  const auto iterations = static_cast<std::size_t>(options.iterations);
  const auto count = static_cast<std::size_t>(n);
  for (int to = 0; to < n; ++to) {
    const auto rank = static_cast<std::size_t>(participants[static_cast<std::size_t>(to)]);
    const std::size_t receive_block = options.sizes.size() * count * iterations;
    for (std::size_t size = 0; size < options.sizes.size(); ++size) {
      for (int from = 0; from < n; ++from) {
        const auto source =
            receive.begin() + static_cast<std::ptrdiff_t>(rank * receive_block +
                                                          (size * count + static_cast<std::size_t>(from)) * iterations);
        std::copy(source, source + static_cast<std::ptrdiff_t>(iterations),
                  samples.receive_s.begin() + static_cast<std::ptrdiff_t>(samples.receive_index(size, from, to, 0)));
      }
    }
    for (int peer = 0; peer < n; ++peer) {
      const auto source = round_trip.begin() +
                          static_cast<std::ptrdiff_t>((rank * count + static_cast<std::size_t>(peer)) * iterations);
      if (std::isnan(*source)) continue;  // the pair's first member led the ping-pong
      for (const auto& [a, b] : {std::pair{to, peer}, std::pair{peer, to}}) {
        std::copy(source, source + static_cast<std::ptrdiff_t>(iterations),
                  samples.round_trip_s.begin() + static_cast<std::ptrdiff_t>(samples.round_trip_index(a, b, 0)));
      }
    }
    for (int peer = 0; peer < n; ++peer) {
      const int round = round_of[rank * count + static_cast<std::size_t>(peer)];
      if (round >= 0) samples.round_of[static_cast<std::size_t>(to) * count + static_cast<std::size_t>(peer)] = round;
    }
  }
  return samples;
}

}  // namespace scaleout::comm
