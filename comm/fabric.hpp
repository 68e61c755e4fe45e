#pragma once
// The measurement of `scaleout fabric` (docs/fabric.md): rounds of pairs, every pair exchanging
// messages both ways at once, timed at each receiver from a start its peer cannot precede, and an
// 8-byte ping-pong for latency. Only the pairs of one round run at a time: a barrier of the whole world separates
// rounds, so a slow figure belongs to its pair's path, not to traffic of another round.

#include <vector>

#include "comm/communicator.hpp"
#include "comm/fabric_record.hpp"

namespace scaleout::comm {

// Collective over `world` (every rank calls it, participants or not). `participants` are world ranks;
// `rounds` pairs of indices into them. The samples are complete on rank 0 and empty elsewhere.
FabricSamples measure_pairs(const Communicator& world, const std::vector<int>& participants,
                            const std::vector<PairRound>& rounds, const FabricOptions& options);

}  // namespace scaleout::comm
