#include "comm/fabric_record.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "comm/stats.hpp"

namespace scaleout::comm {

std::vector<PairRound> round_robin(int n) {
  if (n < 2) return {};
  // An odd count gains a resting slot (index n) whose partner sits the round out.
  const int slots = n % 2 == 0 ? n : n + 1;
  std::vector<int> ring(static_cast<std::size_t>(slots));
  for (int k = 0; k < slots; ++k) ring[static_cast<std::size_t>(k)] = k;
  std::vector<PairRound> rounds;
  for (int round = 0; round < slots - 1; ++round) {
    PairRound pairs;
    for (int k = 0; k < slots / 2; ++k) {
      const int a = ring[static_cast<std::size_t>(k)];
      const int b = ring[static_cast<std::size_t>(slots - 1 - k)];
      if (a < n && b < n) pairs.emplace_back(std::min(a, b), std::max(a, b));
    }
    rounds.push_back(std::move(pairs));
    std::rotate(ring.begin() + 1, ring.end() - 1, ring.end());  // all but the first turn one place
  }
  return rounds;
}

namespace {

constexpr double not_measured = std::numeric_limits<double>::quiet_NaN();

}  // namespace

std::size_t FabricSamples::receive_index(std::size_t size, int from, int to, int iteration) const noexcept {
  const auto n = participants.size();
  return ((size * n + static_cast<std::size_t>(from)) * n + static_cast<std::size_t>(to)) *
             static_cast<std::size_t>(iterations) +
         static_cast<std::size_t>(iteration);
}

std::size_t FabricSamples::round_trip_index(int a, int b, int iteration) const noexcept {
  const auto n = participants.size();
  return (static_cast<std::size_t>(a) * n + static_cast<std::size_t>(b)) * static_cast<std::size_t>(iterations) +
         static_cast<std::size_t>(iteration);
}

double FabricSamples::median_receive_s(std::size_t size, int from, int to) const {
  const auto first = receive_s.begin() + static_cast<std::ptrdiff_t>(receive_index(size, from, to, 0));
  return median_of_measured({first, first + iterations});
}

double FabricSamples::latency_s(int a, int b) const {
  const auto first = round_trip_s.begin() + static_cast<std::ptrdiff_t>(round_trip_index(a, b, 0));
  return median_of_measured({first, first + iterations}) / 2.0;
}

FabricSamples empty_samples(std::vector<int> participants, std::vector<std::uint64_t> sizes, int iterations) {
  FabricSamples samples;
  const auto n = participants.size();
  samples.participants = std::move(participants);
  samples.sizes = std::move(sizes);
  samples.iterations = iterations;
  const auto per_pair = static_cast<std::size_t>(iterations);
  samples.receive_s.assign(samples.sizes.size() * n * n * per_pair, not_measured);
  samples.round_trip_s.assign(n * n * per_pair, not_measured);
  samples.round_of.assign(n * n, -1);
  return samples;
}

}  // namespace scaleout::comm
