#pragma once
// A collective as a schedule: the point-to-point hops of its algorithm (ring, double binary tree,
// pairwise), rank by rank, on the real placement of the group's ranks on nodes. The MPI executor
// runs one rank's hops (comm/collective_run.hpp); the analytical executor costs the traffic of all
// of them (analysis/cost_model.hpp). No MPI here.
//
// Shape. The operation's buffer is cut into chains, each a sequence of rounds; a rank posts the
// hops of one round of a chain together and the next round when they have all completed (a received
// block is added in between). Chains are independent, and up to `window` of them run at once, so
// that a large buffer flows through the links in chunks of at most `chunk_bytes` (as NCCL pipelines
// its rings and trees through fixed-size buffers) and the memory a collective needs is window x
// chunk of scratch, whatever its size.
//
// Buffers. Allreduce, reduce-scatter and allgather work in place on one buffer of the operation's
// elements (MPI_IN_PLACE's layout: reduce-scatter leaves rank r's block at the buffer's start,
// allgather finds rank r's block at r x block); all-to-all sends from an input buffer and receives
// into an output buffer, block d of the input going to rank d.
//
// Algorithms (docs/benchmark.md, "Algorithms", gives their sources):
// - ring: the ranks in a ring ordered by node (a ring crosses each node boundary once); reduce-scatter
//   is n-1 rounds of sending a block to the next rank and adding the one received from the previous;
//   allgather n-1 rounds of passing blocks on; allreduce is one then the other (2(n-1) rounds).
// - tree: NCCL's double binary tree. Ranks of a node form a chain below the node's first rank; the
//   nodes form two complementary binary trees (the second is the first shifted by one node, so a node
//   that is inner in one is mostly a leaf in the other); each tree reduces half of the buffer up to
//   its root and broadcasts it back down.
// - pairwise: in round k a rank sends its block for rank r+k and receives from rank r-k.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "comm/algorithm.hpp"

namespace scaleout::comm {

struct Hop {
  enum class Kind : std::uint8_t {
    send,        // `count` elements from `offset` of the input to `peer`
    receive,     // `count` elements from `peer` into `offset` of the output
    reduce,      // receive from `peer` into scratch slot `slot`, then add into `offset` of the output
    local_copy,  // `count` elements from `from` of the input to `offset` of the output, no message
  };
  Kind kind = Kind::send;
  int peer = -1;                                  // a rank of the group
  int slot = 0;                                   // reduce: which of the chain's scratch chunks
  std::uint64_t offset = 0, count = 0, from = 0;  // in elements
};

// How collectives are cut: NCCL's Simple protocol moves a channel's data through 8 steps of 512 KiB
// (NCCL_BUFFSIZE 4 MiB / NCCL_STEPS 8); scaleout sends chunks of a step's size with up to 8 in flight.
struct Chunking {
  std::uint64_t chunk_bytes = std::uint64_t{512} * 1024;
  int window = 8;
};

struct ScheduleSpec {
  CollectiveKind kind = CollectiveKind::allreduce;
  Algorithm algorithm = Algorithm::ring;
  // Elements of the operation: the whole vector (allreduce; reduce-scatter's input; allgather's
  // output), or what each rank sends in all (all-to-all). Reduce-scatter, allgather and all-to-all
  // need a multiple of the group's size.
  std::uint64_t count = 0;
  std::size_t element_size = 4;
  // The node of each rank of the group (any integers; equal means one node). Its size is the group's.
  std::vector<int> node_of_rank;
  Chunking chunking{};
};

// What an algorithm's hops put on each rank's links, summed over the whole operation, and its
// sequential rounds: the cost model's input. Bytes to a rank of the same node cross the node's own
// fabric; bytes to another node cross the network.
struct Traffic {
  struct Rank {
    std::uint64_t to_same_node = 0, to_other_nodes = 0, from_other_nodes = 0;
    bool operator==(const Rank&) const = default;
  };
  std::vector<Rank> ranks;  // per rank of the group
  // The rounds one after another on the operation's critical path, by the tier of their slowest hop.
  int intra_rounds = 0, network_rounds = 0;
};

class CollectiveSchedule {
 public:
  // Throws std::invalid_argument for a collective the algorithm does not run, a count that does not
  // divide among the ranks, or an empty group.
  explicit CollectiveSchedule(ScheduleSpec spec);

  const ScheduleSpec& spec() const noexcept { return spec_; }
  int ranks() const noexcept { return static_cast<int>(spec_.node_of_rank.size()); }
  int chains() const noexcept { return chains_; }
  int rounds() const noexcept { return rounds_; }                // per chain (some rounds of some ranks hold no hop)
  int scratch_slots() const noexcept { return scratch_slots_; }  // per chain in flight
  std::uint64_t chunk_count() const noexcept { return chunk_; }  // elements per chunk
  // Elements a scratch slot must hold: a chunk, or less where no block or half of the operation is as
  // large.
  std::uint64_t slot_count() const noexcept { return slot_; }

  // Appends to `out` what `rank` does in `round` of `chain`.
  void hops(int rank, int chain, int round, std::vector<Hop>& out) const;

  // Computed from the algorithm's structure in O(ranks); equal to summing hops() over every rank,
  // chain and round (tests/unit/collective_schedule_test.cpp checks it).
  Traffic traffic() const;

 private:
  struct Block {
    std::uint64_t first = 0, count = 0;
  };
  Block block(int index) const;               // the operation's n blocks (ring, pairwise)
  Block slice(Block whole, int chain) const;  // a chain's chunk of a block
  void ring_hops(int rank, int chain, int round, std::vector<Hop>& out) const;
  void tree_hops(int rank, int chain, int round, std::vector<Hop>& out) const;
  void pairwise_hops(int rank, int chain, std::vector<Hop>& out) const;
  Traffic ring_traffic() const;
  Traffic tree_traffic() const;
  Traffic pairwise_traffic() const;
  bool same_node(int a, int b) const { return spec_.node_of_rank[a] == spec_.node_of_rank[b]; }
  int batches() const;  // chains run `window` at a time

  ScheduleSpec spec_;
  int chains_ = 0, rounds_ = 0, scratch_slots_ = 0;
  std::uint64_t chunk_ = 1, slot_ = 0;
  // ring: the ranks in ring order, and each rank's position in it
  std::vector<int> order_, position_;
  // tree: per tree, each rank's parent (-1 at the root) and children (at most 3: two nodes, a chain)
  struct TreeLinks {
    std::vector<int> parent;
    std::vector<std::vector<int>> children;
    int depth_intra = 0, depth_network = 0;  // the deepest path from a leaf to the root, by tier
  };
  std::vector<TreeLinks> trees_;
};

}  // namespace scaleout::comm
