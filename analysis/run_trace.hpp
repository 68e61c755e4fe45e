#pragma once
// A run's ops as they ran: the step programs, who every rank is, and for the chosen steps and ranks
// each op's times from its step's start. The timeline (runs/report/trace_format.hpp) and the critical
// path (critical_path.hpp) read it. It comes from a run log's /program, /ranks and /ops
// (runs/log/trace_reader.hpp) or from the analytical executor (prediction.hpp, predicted_trace), so a
// measured and a predicted step are one kind of thing.

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "analysis/step_row.hpp"
#include "parallelism/layout.hpp"
#include "parallelism/program.hpp"
#include "parallelism/step_record.hpp"

namespace scaleout::analysis {

struct TracedRank {
  int rank = 0;  // world rank
  int node = 0;
  std::string host;
  parallelism::GridPosition position;
};

struct TracedStep {
  int step = 0;
  PassKind pass = PassKind::training;
  bool warmup = false;
  // Per traced rank (RunTrace::ranks' order): its step time, and one record per op of its program
  // (op i at index i; times from the step's start, the step's barrier on every rank).
  std::vector<double> step_s;
  std::vector<std::vector<parallelism::OpRecord>> ops;
  double end() const;  // the job's step: the largest step time
};

struct RunTrace {
  std::string source;  // "measured" (a run log) or "predicted" (the analytical executor)
  parallelism::Layout layout;
  // Training: one per pipeline stage. Serving: the stages' prefill programs, then their decode ones.
  std::vector<parallelism::Program> programs;
  std::vector<int> node_of_rank;  // every world rank's node
  std::vector<TracedRank> ranks;  // the ranks traced, ascending
  std::vector<TracedStep> steps;  // the steps traced, ascending

  const parallelism::Program& program_of(const TracedRank& rank, PassKind pass) const;
  std::size_t program_index(const TracedRank& rank, PassKind pass) const;
  // Index in `ranks` of world rank `rank`; -1 when it is not traced.
  int traced_index(int rank) const;
};

// Where each operation of the programs meets its counterpart on the other ranks taking part: the ops
// that issue an operation (start, blocking) carry a tag that names it alike on every rank (program.hpp);
// a tag can recur (the stages' meeting), so the k-th issue of a (channel, tag) on one rank meets the
// k-th on another.
class OperationIndex {
 public:
  explicit OperationIndex(const std::vector<parallelism::Program>& programs);
  // The op of program `program` that issues occurrence `occurrence` of (channel, tag); -1 when none.
  int issuing_op(std::size_t program, parallelism::Channel channel, int tag, int occurrence) const;
  // Of an issuing op, which occurrence of its (channel, tag) it is; of a wait, its start's.
  int occurrence(std::size_t program, int op) const { return occurrence_[program][static_cast<std::size_t>(op)]; }
  // The op that issued what op `op` (a wait) waits for; the op itself when it issues; -1 for compute.
  int issued_by(std::size_t program, int op) const { return issued_by_[program][static_cast<std::size_t>(op)]; }

 private:
  std::vector<std::map<std::tuple<int, int, int>, int>> issuing_;  // per program: (channel, tag, occurrence) -> op
  std::vector<std::vector<int>> occurrence_, issued_by_;
};

// The world ranks an operation takes part with besides `rank`: a send's or receive's peer, a ring
// exchange's two neighbours, every other member of a collective's group. Of them, `senders` are those
// whose data it receives, so that it cannot end before they issued it: not a send's peer (a small send
// ends once its data is copied out), only the previous neighbour of an exchange.
enum class Counterparts { all, senders };
std::vector<int> counterparts(const parallelism::Layout& layout, int rank, const parallelism::Op& op,
                              Counterparts which = Counterparts::all);

// Where the counterparts of an operation issued it in one step: the critical path, the alignment check
// and the timeline's flows all ask this. `rank` indexes trace.ranks; `issuing` is the op of its program
// that issued the operation (OperationIndex::issued_by). Counterparts that are not traced, or whose
// program has no such operation, are left out.
struct CounterpartIssue {
  int rank = 0;  // index in trace.ranks
  int op = 0;    // the op of its program that issued the operation
  double begin = 0;
};
std::vector<CounterpartIssue> counterpart_issues(const RunTrace& trace, const OperationIndex& index,
                                                 const TracedStep& step, std::size_t rank, int issuing,
                                                 Counterparts which = Counterparts::all);

// How well the steps' barriers align the ranks' clocks. Every rank's times count from its exit of the
// step's barrier, which the ranks leave at nearly, not exactly, one moment. An operation cannot end on
// one rank before its last rank issued it: where the times say it did, the clocks are apart by at least
// that much. The largest such gap over the traced operations is a lower bound of the misalignment.
struct Alignment {
  double largest_gap_s = 0;  // 0 when no operation contradicts the alignment
  int operations = 0;        // blocked waits and blocking operations checked (with a traced counterpart)
};
Alignment check_alignment(const RunTrace& trace, const OperationIndex& index);

}  // namespace scaleout::analysis
