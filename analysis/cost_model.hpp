#pragma once
// The cost model of the analytical executor (docs/predict.md).
//
// scaleout's own algorithms (ring, tree, pairwise; comm/algorithm.hpp), what runs use by default, are
// costed hop by hop on the group's real placement: the schedule the MPI executor runs
// (comm/collective_schedule.hpp) gives every rank's bytes to its own node and to other nodes, and its
// sequential rounds by tier. One round costs a hop's latency alpha of its slowest tier; the bytes cost
// the busiest link's time: inside a node the busiest rank's bytes x beta of the intra-node tier; across
// the network the busiest node's bytes out or in (summed over its ranks, and over the groups of the
// channel that share the node's link at once) x beta of one node's link. A hop's alpha and beta are
// the point-to-point fits (sendrecv: every rank sending to one peer and receiving from another, which
// is one round of a ring); a network fit measured with k ranks per node sharing the link is k x one
// link's beta.
//
// The MPI library's collectives (`library`) are costed as before: per tier and per collective a
// latency alpha and an inverse bandwidth beta, fitted from the collective benchmark (calibration.hpp),
// combined by the algorithm's count of steps and of bytes moved:
//   ring allreduce                 2(p-1) alpha + 2(p-1)/p S beta
//   reduce-scatter, allgather      (p-1) alpha  +  (p-1)/p S beta
//   pairwise all-to-all            (p-1) alpha  +  (p-1)/p S beta
//   send/recv                            alpha  +          S beta
// Each pair holds over a band of sizes (a piece): where the library switches algorithm or protocol,
// or buffers leave the caches, the cost changes regime, and the calibration fits each regime apart.
// A group inside one node costs on the intra-node tier; a group with one rank per node on the network
// tier; a group with g ranks on each of k nodes is hierarchical: its intra-node part on g ranks and
// its network part on k ranks carrying S/g (allreduce = intra reduce-scatter + inter allreduce of S/g
// + intra allgather).

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "comm/algorithm.hpp"

namespace scaleout::analysis {

enum class Tier { intra, inter };  // the node's own fabric, the network
inline constexpr int tier_count = 2;
const char* to_string(Tier tier);

// The collectives a calibration fits; every transfer of a step program is costed as one of them.
enum class Collective { allreduce, reduce_scatter, allgather, alltoall, sendrecv };
inline constexpr int collective_count = 5;
const char* to_string(Collective collective);
std::optional<Collective> parse_collective(std::string_view name);

// How an operation is driven: a blocking call (or a wait) progresses it without pause; a started one
// is progressed by the tests a rank makes between its compute's sleeps, so it advances in bursts and
// takes the library's non-blocking algorithms. They are calibrated apart.
enum class Progress { blocking, polled };
inline constexpr int progress_count = 2;
const char* to_string(Progress progress);

struct AlphaBeta {
  double alpha = 0;  // seconds per algorithm step
  double beta = 0;   // seconds per byte
};

// The regimes of one collective on one tier: piece k holds from its from_bytes up to the next's; the
// first holds below its own too.
struct Piece {
  double from_bytes = 0;
  AlphaBeta cost;
};
struct PiecewiseCost {
  std::vector<Piece> pieces;  // ascending from_bytes, at least one
  const AlphaBeta& at(double bytes) const;
};

// t = steps x alpha + volume x S x beta for `ranks` ranks.
struct AlgorithmTerms {
  double steps = 0, volume = 0;
};
AlgorithmTerms algorithm_terms(Collective collective, int ranks);
double flat_seconds(Collective collective, const PiecewiseCost& cost, int ranks, double bytes);

// Where a group's ranks sit: `per_node` ranks on each of `nodes` nodes (at most, where they are not
// alike), the node of each of them in group order, and how many groups of the same channel run at once
// on a node (they share its network link).
struct GroupShape {
  int ranks = 1, per_node = 1, nodes = 1;
  std::vector<int> node_of_rank;  // empty: `per_node` ranks on each node in turn
  int sharing_link = 1;
};

// A calibration lacks what a prediction needs (a tier it never measured).
class MissingFit : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CostModel {
 public:
  void set(Tier tier, Collective collective, const PiecewiseCost& cost, Progress progress = Progress::blocking);
  void set(Tier tier, Collective collective, const AlphaBeta& cost, Progress progress = Progress::blocking) {
    set(tier, collective, PiecewiseCost{{{0, cost}}}, progress);
  }
  bool has(Tier tier, Collective collective, Progress progress = Progress::blocking) const;
  // A polled fit falls back to the blocking one when the calibration has none. Throws MissingFit
  // naming the tier and collective.
  const PiecewiseCost& fit(Tier tier, Collective collective, Progress progress = Progress::blocking) const;

  // One hop of an own algorithm on a tier: a latency and one rank's (intra) or the measured link
  // sharing's (inter) inverse bandwidth. Without one, the tier's send/recv fit gives it (its first
  // piece's alpha, its last piece's beta).
  void set_hop(Tier tier, const AlphaBeta& hop, Progress progress = Progress::blocking);
  AlphaBeta hop(Tier tier, Progress progress = Progress::blocking) const;

  // The ranks per node that shared each node's link when the network's point-to-point fit was
  // measured (the calibration's ranks per node).
  void set_link_sharing_at_calibration(int ranks) { calibrated_sharing_ = ranks < 1 ? 1 : ranks; }

  // What-if: bandwidth x factor divides beta, latency x factor multiplies alpha, on one tier.
  void scale_bandwidth(Tier tier, double factor);
  void scale_latency(Tier tier, double factor);

  // A collective of S = `bytes` (as the collective benchmark defines S) over a group, moved by
  // `algorithm`.
  double seconds(Collective collective, const GroupShape& group, double bytes, Progress progress = Progress::blocking,
                 comm::Algorithm algorithm = comm::Algorithm::library) const;
  // One message of `bytes` between two ranks.
  double point_to_point(bool same_node, double bytes, Progress progress = Progress::blocking) const;

 private:
  double own_seconds(Collective collective, comm::Algorithm algorithm, const GroupShape& group, double bytes,
                     Progress progress) const;

  std::array<std::array<std::array<std::optional<PiecewiseCost>, collective_count>, tier_count>, progress_count>
      fits_{};
  std::array<std::array<std::optional<AlphaBeta>, tier_count>, progress_count> hops_{};
  int calibrated_sharing_ = 1;
};

}  // namespace scaleout::analysis
