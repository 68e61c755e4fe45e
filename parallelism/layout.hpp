#pragma once
// The process grid: how a job's ranks divide into tensor-, context-, data- and pipeline-parallel
// groups, and where those groups land on nodes. Rank order puts TP innermost, then CP, then DP, with
// PP outermost (Megatron-LM's order), so that with ranks placed on nodes in blocks a TP group shares
// a node. Expert parallelism divides the data-parallel ranks: EP groups are `ep` consecutive DP ranks.

#include <string>
#include <vector>

#include "parallelism/program.hpp"

namespace scaleout::parallelism {

enum class Schedule { gpipe, one_f_one_b, interleaved };
const char* to_string(Schedule schedule);

// Activation recomputation: none; selective, Megatron-LM's --recompute-granularity selective (the
// attention core is recomputed in backward, its scores never kept); full, every layer's forward
// replayed from its input.
enum class Recompute { none, selective, full };
const char* to_string(Recompute recompute);

struct Layout {
  int dp = 1, tp = 1, pp = 1, cp = 1;
  int ep = 1;                      // divides dp
  int virtual_stages = 1;          // model chunks per pipeline rank (interleaved 1F1B)
  bool sequence_parallel = false;  // TP's allreduces become reduce-scatter + allgather
  int zero_stage = 0;              // 0: allreduce; 1, 2: reduce-scatter + allgather; 3: per-layer gather
  Schedule schedule = Schedule::one_f_one_b;
  Recompute recompute = Recompute::none;

  int world() const { return dp * tp * pp * cp; }
  // Ranks that hold the same dense parameters and reduce their gradients: DP and CP together.
  int gradient_group_size() const { return dp * cp; }
  // Ranks that hold the same experts.
  int expert_gradient_group_size() const { return dp * cp / ep; }
};

struct GridPosition {
  int rank = 0;
  int dp = 0, tp = 0, pp = 0, cp = 0;
  int ep = 0;  // index within the EP group (which experts this rank holds)
};
// "dp 2 x tp 2 x pp 2 (1f1b)", naming only what the layout uses.
std::string describe(const Layout& layout);

GridPosition position_of(const Layout& layout, int rank);
int rank_at(const Layout& layout, int dp, int tp, int pp, int cp);

// Communicators a rank takes part in. `expert_dp` reduces expert gradients (the ranks holding the
// same experts); `embedding` the tied word embedding's gradient between the first and the last
// pipeline stage (Megatron-LM's embedding group; a rank of another stage is alone in its own); the
// others are the groups of records and logs, where expert dp counts as dp and embedding as pp.
enum class Channel { dp, tp, pp, ep, cp, expert_dp, embedding };
inline constexpr int channel_count = 7;
Channel channel_of(const Op& op);
const char* to_string(Channel channel);

// How many ranks each group of `channel` has.
int channel_size(const Layout& layout, Channel channel);

// The world ranks of `rank`'s group on `channel`, in group-rank order (the key of the split).
std::vector<int> members(const Layout& layout, int rank, Channel channel);

// TP and CP groups that span nodes, given the node of every rank.
struct PlacementWarning {
  Channel channel;
  int groups = 0;       // groups of this channel in the job
  int spanning = 0;     // of them, those whose ranks are on more than one node
  std::string message;  // one sentence for the user
};
std::vector<PlacementWarning> placement_warnings(const Layout& layout, const std::vector<int>& node_of_rank);

// Every divisor of n, ascending: the choices an error message offers.
std::vector<int> divisors(int n);

}  // namespace scaleout::parallelism
