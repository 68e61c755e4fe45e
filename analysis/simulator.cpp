#include "analysis/simulator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>

namespace scaleout::analysis {

using parallelism::Channel;
using parallelism::Group;
using parallelism::Op;
using parallelism::OpKind;
using parallelism::Program;
using parallelism::StepRecord;
using parallelism::Transfer;

void choose_algorithms(std::vector<parallelism::Program>& programs, comm::AlgorithmChoice choice,
                       const std::vector<StagePlacement>& placement) {
  for (std::size_t s = 0; s < programs.size(); ++s) {
    const auto& place = placement.at(s % placement.size());
    parallelism::ChannelSpans spans{};
    for (std::size_t c = 0; c < spans.size(); ++c) spans[c] = {place.groups[c].ranks, place.groups[c].nodes};
    parallelism::choose_algorithms(programs[s], choice, spans);
  }
}

std::vector<StagePlacement> place_stages(const parallelism::Layout& layout, int ranks_per_node) {
  if (ranks_per_node < 1) throw std::invalid_argument("ranks per node must be at least 1");
  std::vector<StagePlacement> stages;
  for (int stage = 0; stage < layout.pp; ++stage) {
    StagePlacement place;
    place.rank = parallelism::rank_at(layout, 0, 0, stage, 0);
    place.node = place.rank / ranks_per_node;
    for (int c = 0; c < parallelism::channel_count; ++c) {
      std::map<int, int> per_node;
      const std::vector<int> ranks = parallelism::members(layout, place.rank, static_cast<Channel>(c));
      std::vector<int> nodes;
      nodes.reserve(ranks.size());
      for (const int rank : ranks) {
        ++per_node[rank / ranks_per_node];
        nodes.push_back(rank / ranks_per_node);
      }
      int most = 0;
      for (const auto& [node, count] : per_node) most = std::max(most, count);
      // Every rank of a node is in one group of the channel: ranks per node / the group's share of it
      // groups use the node's link at once.
      const int sharing = std::max(1, std::min(ranks_per_node, layout.world()) / most);
      place.groups[static_cast<std::size_t>(c)] = {static_cast<int>(nodes.size()), most,
                                                   static_cast<int>(per_node.size()), std::move(nodes), sharing};
    }
    stages.push_back(place);
  }
  return stages;
}

namespace {

constexpr double unknown = std::numeric_limits<double>::infinity();  // a pipeline send not yet received

std::size_t at(Group group) { return static_cast<std::size_t>(group); }
std::size_t at(Channel channel) { return static_cast<std::size_t>(channel); }

Collective cost_collective_of(Transfer transfer) {
  switch (transfer) {
    case Transfer::allreduce: return Collective::allreduce;
    case Transfer::reduce_scatter: return Collective::reduce_scatter;
    case Transfer::allgather: return Collective::allgather;
    case Transfer::alltoall: return Collective::alltoall;
    case Transfer::exchange:
    case Transfer::send:
    case Transfer::recv: break;
  }
  return Collective::sendrecv;
}

struct Entry {
  int slot = -1;
  Group group = Group::dp;
  parallelism::Tier tier = parallelism::Tier::intra_node;
  bool pipeline_send = false;
  Channel channel = Channel::dp;
  // What is left of the operation goes this much faster once the rank waits for it: its blocking
  // cost over its polled one (at most 1).
  double waited_speed = 1;
};

struct StageState {
  std::size_t pc = 0;
  double t = 0;
  StepRecord record;
  std::vector<double> completion;  // per slot
  std::vector<Entry> pool;         // in issue order
  int capacity = 0;
  std::array<double, parallelism::channel_count> channel_free{};
  std::map<int, int> meetings;  // per tag: how many this stage has joined
  std::vector<int> started_by;  // per slot: the start op in flight in it
};

struct PostedSend {
  double issued = 0;
  int stage = 0, slot = -1;
};

class Simulation {
 public:
  Simulation(const std::vector<Program>& programs, const std::vector<StagePlacement>& placement,
             const SimulationModel& model)
      : programs_(programs), placement_(placement), model_(model), stages_(programs.size()) {
    if (programs.size() != placement.size()) throw std::invalid_argument("one placement per stage program");
    for (std::size_t s = 0; s < stages_.size(); ++s) {
      stages_[s].completion.assign(static_cast<std::size_t>(programs[s].slots), 0.0);
      stages_[s].started_by.assign(static_cast<std::size_t>(programs[s].slots), -1);
      stages_[s].capacity = std::max(model.in_flight, 1);
      stages_[s].record.ops.resize(programs[s].ops.size());
    }
  }

  std::vector<StepRecord> run() {
    std::size_t finished = 0;
    while (finished < stages_.size()) {
      bool moved = false;
      finished = 0;
      for (std::size_t s = 0; s < stages_.size(); ++s) {
        moved = advance(static_cast<int>(s)) || moved;
        if (stages_[s].pc == programs_[s].ops.size()) ++finished;
      }
      if (!moved && finished < stages_.size()) throw std::logic_error(stuck());
    }
    std::vector<StepRecord> records;
    for (auto& stage : stages_) {
      stage.record.step = stage.t;
      records.push_back(std::move(stage.record));
    }
    return records;
  }

 private:
  std::string stuck() const {
    std::string where;
    for (std::size_t s = 0; s < stages_.size(); ++s) {
      if (stages_[s].pc < programs_[s].ops.size()) where += fmt::format(" stage {} at op {};", s, stages_[s].pc);
    }
    return "the simulated step cannot proceed:" + where;
  }

  // The time an operation of this stage takes on its group (pipeline messages: between the two ends).
  // Started operations are progressed by the rank's polls (polled fits) until the rank waits for them;
  // blocking ones, and pipeline messages (whose receiver blocks on them), by the library without pause.
  double cost(int stage, const Op& op) const { return cost(stage, op, op.kind == OpKind::start); }
  double cost(int stage, const Op& op, bool polled) const {
    const auto& place = placement_[static_cast<std::size_t>(stage)];
    if (op.transfer == Transfer::send || op.transfer == Transfer::recv) {
      const bool same_node = place.node == placement_[static_cast<std::size_t>(op.peer)].node;
      return model_.cost.point_to_point(same_node, static_cast<double>(op.bytes));
    }
    const auto& group = place.groups[at(parallelism::channel_of(op))];
    const auto progress = polled ? Progress::polled : Progress::blocking;
    return model_.cost.seconds(cost_collective_of(op.transfer), group, static_cast<double>(op.bytes), progress,
                               op.algorithm);
  }

  // Runs the stage's ops until one must wait for another stage; true when any op ran.
  bool advance(int s) {
    auto& stage = stages_[static_cast<std::size_t>(s)];
    const auto& ops = programs_[static_cast<std::size_t>(s)].ops;
    const std::size_t before = stage.pc;
    while (stage.pc < ops.size() && step(s, stage, ops[stage.pc])) ++stage.pc;
    return stage.pc != before;
  }

  // One op, recorded as the MPI executor records it (step_record.hpp, OpRecord); false when it is
  // blocked on another stage (it is retried later, unchanged).
  bool step(int s, StageState& stage, const Op& op) {
    const double before = stage.t;
    bool done = true;
    switch (op.kind) {
      case OpKind::compute: compute(stage, op); break;
      case OpKind::start: start(s, stage, op); break;
      case OpKind::wait: done = wait(stage, op); break;
      case OpKind::blocking: done = blocking(s, stage, op); break;
    }
    if (!done) return false;
    auto& record = stage.record.ops[stage.pc];
    record.op = static_cast<int>(stage.pc);
    record.begin = op.kind == OpKind::start ? stage.t : before;  // a start: its issue, after any wait for a buffer
    if (op.kind != OpKind::start) record.end = stage.t;
    record.waited = op.kind == OpKind::compute ? 0.0 : stage.t - before;
    return true;
  }

  // An operation leaves the pool: its start's record ends at its completion.
  void retire(StageState& stage, const Entry& entry) {
    const int start = stage.started_by[static_cast<std::size_t>(entry.slot)];
    if (start >= 0)
      stage.record.ops[static_cast<std::size_t>(start)].end = stage.completion[static_cast<std::size_t>(entry.slot)];
  }

  void compute(StageState& stage, const Op& op) {
    const double span = op.seconds * (1 + model_.span_relative) + model_.span_overhead;
    double drained = stage.t;  // communication in flight during the span: until the last completes
    std::array<double, parallelism::tier_count> tier_drained{};
    tier_drained.fill(stage.t);
    for (const auto& entry : stage.pool) {
      const double done = stage.completion[static_cast<std::size_t>(entry.slot)];
      drained = std::max(drained, done);
      auto& tier = tier_drained[static_cast<std::size_t>(entry.tier)];
      tier = std::max(tier, done);
    }
    stage.record.overlapped += std::min(drained, stage.t + span) - stage.t;
    for (std::size_t t = 0; t < tier_drained.size(); ++t)
      stage.record.overlapped_tier[t] += std::min(tier_drained[t], stage.t + span) - stage.t;
    stage.record.compute += span;
    stage.record.compute_requested += op.seconds;
    stage.t += span;
  }

  void block_until(StageState& stage, double until, Group group, parallelism::Tier tier) {
    if (until <= stage.t) return;
    stage.record.expose(group, tier, until - stage.t);
    stage.t = until;
  }

  // The tier the op crosses from the stage's simulated rank (parallelism::tier_of): the pipeline
  // group's members are the stages; the rank is the first of its other groups.
  parallelism::Tier tier(int s, const Op& op) const {
    const Channel channel = parallelism::channel_of(op);
    const auto& shape = placement_[static_cast<std::size_t>(s)].groups[at(channel)];
    const int own = channel == Channel::pp ? s : 0;
    if (!shape.node_of_rank.empty()) return parallelism::tier_of(op, own, shape.node_of_rank);
    std::vector<int> nodes(static_cast<std::size_t>(shape.ranks));
    for (std::size_t m = 0; m < nodes.size(); ++m) nodes[m] = static_cast<int>(m) / std::max(shape.per_node, 1);
    return parallelism::tier_of(op, own, nodes);
  }

  // The rank now waits for a started operation: it spins in the wait, so what is left of the
  // operation runs at its blocking speed (the MPI executor's wait progresses without pause), and the
  // operations queued behind it on its channel move up by what that saves. Returns its completion.
  double hurry(StageState& stage, const Entry& entry) {
    auto& done = stage.completion[static_cast<std::size_t>(entry.slot)];
    if (done == unknown || done <= stage.t || entry.waited_speed >= 1) return done;
    const double saved = (done - stage.t) * (1 - entry.waited_speed);
    const double was = done;
    for (const auto& other : stage.pool) {
      auto& at_other = stage.completion[static_cast<std::size_t>(other.slot)];
      if (other.channel == entry.channel && at_other != unknown && at_other >= was) at_other -= saved;
    }
    auto& free_at = stage.channel_free[at(entry.channel)];
    if (free_at >= was) free_at -= saved;
    return done;
  }

  void start(int s, StageState& stage, const Op& op) {
    if (static_cast<int>(stage.pool.size()) >= stage.capacity) {
      const auto oldest =
          std::find_if(stage.pool.begin(), stage.pool.end(), [](const Entry& e) { return !e.pipeline_send; });
      if (oldest == stage.pool.end()) {
        ++stage.capacity;  // only pipeline sends in flight: the pool grows
      } else {
        block_until(stage, hurry(stage, *oldest), oldest->group, oldest->tier);
        retire(stage, *oldest);
        stage.pool.erase(oldest);
      }
    }
    const auto slot = static_cast<std::size_t>(op.slot);
    const bool pipeline_send = op.group == Group::pp && op.transfer == Transfer::send;
    const Channel channel = parallelism::channel_of(op);
    double waited_speed = 1;
    if (pipeline_send) {
      stage.completion[slot] = unknown;
      posted_[{op.peer, op.tag}] = {stage.t, s, op.slot};
    } else {
      auto& free_at = stage.channel_free[at(channel)];
      const double polled = cost(s, op, true);
      if (polled > 0) waited_speed = std::min(1.0, cost(s, op, false) / polled);
      free_at = std::max(stage.t, free_at) + polled;
      stage.completion[slot] = free_at;
    }
    stage.pool.push_back({op.slot, op.group, tier(s, op), pipeline_send, channel, waited_speed});
    stage.started_by[slot] = static_cast<int>(stage.pc);
    stage.record.bytes[at(op.group)] += op.bytes;
  }

  bool wait(StageState& stage, const Op& op) {
    const auto entry =
        std::find_if(stage.pool.begin(), stage.pool.end(), [&](const Entry& e) { return e.slot == op.slot; });
    if (entry == stage.pool.end()) return true;  // completed under pool pressure already
    if (stage.completion[static_cast<std::size_t>(op.slot)] == unknown)
      return false;  // the receiver has not posted yet
    block_until(stage, hurry(stage, *entry), op.group, entry->tier);
    retire(stage, *entry);
    stage.pool.erase(entry);
    return true;
  }

  bool blocking(int s, StageState& stage, const Op& op) {
    if (op.group == Group::pp && op.transfer == Transfer::recv) {
      const auto posted = posted_.find({s, op.tag});
      if (posted == posted_.end()) return false;
      const PostedSend send = posted->second;
      posted_.erase(posted);
      const double done = std::max(stage.t, send.issued) + cost(s, op);
      stages_[static_cast<std::size_t>(send.stage)].completion[static_cast<std::size_t>(send.slot)] = done;
      stage.record.bubble += done - stage.t;
      stage.t = done;
      return true;
    }
    if (op.group == Group::pp) return meeting(s, stage, op);
    auto& free_at = stage.channel_free[at(parallelism::channel_of(op))];
    free_at = std::max(stage.t, free_at) + cost(s, op);
    block_until(stage, free_at, op.group, tier(s, op));
    stage.record.bytes[at(op.group)] += op.bytes;
    return true;
  }

  // A collective over the pipeline group: it ends after the last of its stages arrives. The stages'
  // meeting takes every stage and is the bubble; the tied embedding's allreduce the first and the last,
  // and is their exposed communication.
  bool meeting(int s, StageState& stage, const Op& op) {
    const int joined = stage.meetings[op.tag];
    auto& arrivals = meetings_[{op.tag, joined}];
    arrivals.resize(stages_.size());
    auto& mine = arrivals[static_cast<std::size_t>(s)];
    if (!mine) mine = stage.t;
    const auto last_stage = stages_.size() - 1;
    double last = 0;
    for (std::size_t other = 0; other < arrivals.size(); ++other) {
      if (op.embedding && other != 0 && other != last_stage) continue;
      if (!arrivals[other]) return false;
      last = std::max(last, *arrivals[other]);
    }
    const double done = last + cost(s, op);
    if (op.embedding) {
      stage.record.expose(op.group, tier(s, op), done - stage.t);
    } else {
      stage.record.bubble += done - stage.t;
    }
    stage.record.bytes[at(op.group)] += op.bytes;
    stage.t = done;
    ++stage.meetings[op.tag];
    return true;
  }

  const std::vector<Program>& programs_;
  const std::vector<StagePlacement>& placement_;
  const SimulationModel& model_;
  std::vector<StageState> stages_;
  std::map<std::pair<int, int>, PostedSend> posted_;                            // (receiving stage, tag)
  std::map<std::pair<int, int>, std::vector<std::optional<double>>> meetings_;  // (tag, occurrence)
};

}  // namespace

std::vector<StepRecord> simulate_step(const std::vector<Program>& programs,
                                      const std::vector<StagePlacement>& placement, const SimulationModel& model) {
  return Simulation(programs, placement, model).run();
}

}  // namespace scaleout::analysis
