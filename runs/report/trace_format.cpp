#include "runs/report/trace_format.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "parallelism/algorithms.hpp"
#include "runs/version.hpp"

namespace scaleout::runs {

namespace {

using analysis::RunTrace;
using analysis::TracedRank;
using analysis::TracedStep;
using nlohmann::json;
using parallelism::Group;
using parallelism::Op;
using parallelism::OpKind;
using parallelism::Transfer;

// Times on a track in whole nanoseconds (Perfetto's own unit), so that "ends before the next begins"
// is exact; written in microseconds with a duration whose sum with the start, as a viewer adds them in
// floating point, never passes the end (else a viewer reads back-to-back slices as badly nested).
std::int64_t nanoseconds(double seconds) { return std::llround(seconds * 1e9); }
std::pair<double, double> ts_dur(std::int64_t begin_ns, std::int64_t end_ns) {
  const double ts = static_cast<double>(begin_ns) / 1e3;
  const double end = static_cast<double>(std::max(end_ns, begin_ns)) / 1e3;
  double dur = end - ts;
  while (dur > 0 && ts + dur > end) dur = std::nextafter(dur, 0.0);
  return {ts, dur};
}
// Tracks: a rank's own line is track `rank`; the lanes of the operations it started (per group, as many
// as overlap) get tracks after every rank's, in the order they are first used. Sorted under their rank:
// its own line first, then per group its lanes.
constexpr int sorted_per_rank = 1 << 12;
constexpr int sorted_per_group = sorted_per_rank / parallelism::group_count;
// More peers than this are given as a count: a dp group of thousands would fill the file.
constexpr std::size_t peers_listed = 16;

int own_track(int rank) { return rank; }
std::int64_t own_sort_index(int rank) { return static_cast<std::int64_t>(rank) * sorted_per_rank; }
std::int64_t lane_sort_index(int rank, Group group, int lane) {
  return own_sort_index(rank) + 1 + static_cast<std::int64_t>(group) * sorted_per_group +
         std::min(lane, sorted_per_group - 2);
}

bool is_pipeline_send(const Op& op) {
  return op.kind == OpKind::start && op.group == Group::pp && op.transfer == Transfer::send;
}

std::string name_of(const Op& op) {
  if (op.kind == OpKind::compute) {
    std::string name = parallelism::to_string(op.phase);
    if (op.microbatch >= 0) name += fmt::format(" mb{}", op.microbatch);
    if (op.layer >= 0) name += fmt::format(" L{}", op.layer);
    return name;
  }
  const std::string what = fmt::format("{} {}", parallelism::to_string(op.group), parallelism::to_string(op.transfer));
  return op.kind == OpKind::wait ? "wait " + what : what;
}

const char* category_of(const Op& op) {
  switch (op.kind) {
    case OpKind::compute: return "compute";
    case OpKind::start: return "in flight";
    case OpKind::wait:
    case OpKind::blocking: return parallelism::is_bubble(op) ? "bubble" : "exposed";
  }
  return "?";
}

// A pipeline send and its receive, in one traced step.
struct Flow {
  std::size_t step = 0, from = 0, to = 0;  // traced ranks
  int send = 0, recv = 0;                  // ops
};

std::vector<Flow> flows_of(const RunTrace& trace, const analysis::OperationIndex& index) {
  std::vector<Flow> flows;
  for (std::size_t s = 0; s < trace.steps.size(); ++s) {
    const TracedStep& step = trace.steps[s];
    for (std::size_t r = 0; r < trace.ranks.size(); ++r) {
      const std::size_t program = trace.program_index(trace.ranks[r], step.pass);
      const auto& ops = trace.programs[program].ops;
      for (std::size_t i = 0; i < ops.size(); ++i) {
        if (!is_pipeline_send(ops[i])) continue;
        for (const auto& recv : analysis::counterpart_issues(trace, index, step, r, static_cast<int>(i))) {
          flows.push_back({s, r, static_cast<std::size_t>(recv.rank), static_cast<int>(i), recv.op});
        }
      }
    }
  }
  return flows;
}

class TraceWriter {
 public:
  TraceWriter(const RunTrace& trace, const TraceCounts& counts)
      : trace_(trace), counts_(counts), index_(trace.programs) {}

  std::string write() {
    describe_tracks();
    double offset = 0;
    for (std::size_t s = 0; s < trace_.steps.size(); ++s) {
      offsets_.push_back(offset);
      for (std::size_t r = 0; r < trace_.ranks.size(); ++r) write_rank_step(s, r, offset);
      offset += trace_.steps[s].end();
    }
    write_flows();
    for (const auto& [lane_of, track] : lane_tracks_) {
      const auto& [rank, group, lane] = lane_of;
      const std::string more = lane > 0 ? fmt::format(" {}", lane + 1) : "";
      const int node = trace_.node_of_rank[static_cast<std::size_t>(rank)];
      metadata("thread_name", node, track,
               {{"name", fmt::format("rank {} {} in flight{}", rank, parallelism::to_string(group), more)}});
      metadata("thread_sort_index", node, track, {{"sort_index", lane_sort_index(rank, group, lane)}});
    }
    // The document around the events, which were written out one by one (a document of json objects
    // took ten times the file's size in memory).
    const json tail = {{"displayTimeUnit", "ms"}, {"otherData", other_data()}};
    const std::string rest = tail.dump();
    return "{\"traceEvents\":[" + events_ + "]," + rest.substr(1) + "\n";
  }

 private:
  // The track of a lane, made when first used: after every rank's own.
  int lane_track(int rank, Group group, int lane) {
    const auto [at, made] = lane_tracks_.try_emplace({rank, group, lane}, 0);
    if (made) at->second = static_cast<int>(trace_.node_of_rank.size() + lane_tracks_.size() - 1);
    return at->second;
  }

  void emit(const json& event) {
    if (!events_.empty()) events_ += ',';
    events_ += event.dump();
  }

  void metadata(const char* name, int pid, int tid, json args) {
    emit({{"ph", "M"}, {"name", name}, {"pid", pid}, {"tid", tid}, {"args", std::move(args)}});
  }

  void describe_tracks() {
    std::set<int> nodes;
    for (const auto& rank : trace_.ranks) {
      if (nodes.insert(rank.node).second) {
        metadata("process_name", rank.node, 0, {{"name", fmt::format("node {} ({})", rank.node, rank.host)}});
        metadata("process_sort_index", rank.node, 0, {{"sort_index", rank.node}});
      }
      const auto& p = rank.position;
      metadata(
          "thread_name", rank.node, own_track(rank.rank),
          {{"name", fmt::format("rank {} (dp {} tp {} pp {} cp {} ep {})", rank.rank, p.dp, p.tp, p.pp, p.cp, p.ep)}});
      metadata("thread_sort_index", rank.node, own_track(rank.rank), {{"sort_index", own_sort_index(rank.rank)}});
    }
  }

  json op_args(const TracedStep& step, const TracedRank& rank, const Op& op, const parallelism::OpRecord& record) {
    json args = {{"step", step.step},
                 {"op", record.op},
                 {"kind", parallelism::to_string(op.kind)},
                 {"phase", parallelism::to_string(op.phase)}};
    if (op.microbatch >= 0) args["microbatch"] = op.microbatch;
    if (op.layer >= 0) args["layer"] = op.layer;
    if (op.kind == OpKind::compute) {
      args["flops"] = op.flops;
      args["memory_bytes"] = op.memory_bytes;
      args["device_s"] = op.seconds;
      return args;
    }
    const auto channel = parallelism::channel_of(op);
    const auto members = parallelism::members(trace_.layout, rank.rank, channel);
    const auto own = static_cast<int>(std::find(members.begin(), members.end(), rank.rank) - members.begin());
    const auto nodes = parallelism::group_nodes(trace_.layout, rank.rank, channel, trace_.node_of_rank);
    args["group"] = parallelism::to_string(op.group);
    args["transfer"] = parallelism::to_string(op.transfer);
    args["tier"] = parallelism::to_string(parallelism::tier_of(op, own, nodes));
    args["bytes"] = op.bytes;
    args["algorithm"] = comm::name(op.algorithm);
    args["tag"] = op.tag;
    const auto peers = analysis::counterparts(trace_.layout, rank.rank, op);
    if (peers.size() <= peers_listed) {
      args["peers"] = peers;
    } else {
      args["peer_count"] = peers.size();
    }
    if (op.kind != OpKind::start) args["waited_s"] = record.waited;
    return args;
  }

  void write_rank_step(std::size_t s, std::size_t r, double offset) {
    const TracedStep& step = trace_.steps[s];
    const TracedRank& rank = trace_.ranks[r];
    const auto& ops = trace_.program_of(rank, step.pass).ops;
    const auto& records = step.ops[r];
    const auto at = [&](double seconds) { return nanoseconds(offset + seconds); };
    // The rank's own line: each op ends by the next one's start and the last by the step's end.
    std::vector<std::int64_t> own_end(ops.size());
    std::int64_t next_begin = std::max(at(step.step_s[r]), at(records.empty() ? 0.0 : records.back().end));
    const std::int64_t step_end = next_begin;
    for (std::size_t i = ops.size(); i-- > 0;) {
      if (ops[i].kind == OpKind::start) continue;
      own_end[i] = std::min(at(records[i].end), next_begin);
      next_begin = at(records[i].begin);
    }
    const auto [step_ts, step_dur] = ts_dur(at(0.0), step_end);
    emit({{"ph", "X"},
          {"name", fmt::format("step {}{}", step.step, step.warmup ? " (warm-up)" : "")},
          {"cat", "step"},
          {"pid", rank.node},
          {"tid", own_track(rank.rank)},
          {"ts", step_ts},
          {"dur", step_dur},
          {"args", {{"step", step.step}, {"step_s", step.step_s[r]}, {"warmup", step.warmup}}}});
    std::array<std::vector<std::int64_t>, parallelism::group_count> lane_ends;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      const auto& record = records[i];
      int tid = own_track(rank.rank);
      std::int64_t end = own_end[i];
      if (op.kind == OpKind::start) {
        end = at(record.end);
        auto& ends = lane_ends[static_cast<std::size_t>(op.group)];
        const auto free = std::find_if(ends.begin(), ends.end(), [&](std::int64_t e) { return e <= at(record.begin); });
        const int lane = static_cast<int>(free - ends.begin());
        if (free == ends.end()) {
          ends.push_back(end);
        } else {
          *free = end;
        }
        tid = lane_track(rank.rank, op.group, lane);
        if (is_pipeline_send(op)) send_track_[{s, r, static_cast<int>(i)}] = tid;
      }
      const auto [ts, dur] = ts_dur(at(record.begin), end);
      json event = {{"ph", "X"},
                    {"name", name_of(op)},
                    {"cat", category_of(op)},
                    {"pid", rank.node},
                    {"tid", tid},
                    {"ts", ts},
                    {"dur", dur},
                    {"args", op_args(step, rank, op, record)}};
      // An op that took no time (a prediction's wait for what already finished) is an instant: a slice of
      // no length starting where the next op starts reads, in some viewers, as opened inside it.
      if (dur <= 0) {
        event.erase("dur");
        event["ph"] = "i";
        event["s"] = "t";
      }
      emit(event);
    }
  }

  // An arrow from each pipeline send (its slice's middle) to the middle of its receive.
  void write_flows() {
    int id = 0;
    for (const auto& flow : flows_of(trace_, index_)) {
      const TracedStep& step = trace_.steps[flow.step];
      const double offset = offsets_[flow.step];
      const auto& send = step.ops[flow.from][static_cast<std::size_t>(flow.send)];
      const auto& recv = step.ops[flow.to][static_cast<std::size_t>(flow.recv)];
      const TracedRank& from = trace_.ranks[flow.from];
      const TracedRank& to = trace_.ranks[flow.to];
      ++id;
      emit({{"ph", "s"},
            {"name", "pp send"},
            {"cat", "pipeline"},
            {"id", id},
            {"pid", from.node},
            {"tid", send_track_.at({flow.step, flow.from, flow.send})},
            {"ts", static_cast<double>(nanoseconds(offset + (send.begin + send.end) / 2)) / 1e3}});
      emit({{"ph", "f"},
            {"bp", "e"},
            {"name", "pp send"},
            {"cat", "pipeline"},
            {"id", id},
            {"pid", to.node},
            {"tid", own_track(to.rank)},
            {"ts", static_cast<double>(nanoseconds(offset + (recv.begin + recv.end) / 2)) / 1e3}});
    }
  }

  json other_data() const {
    std::vector<int> steps;
    for (const auto& step : trace_.steps) steps.push_back(step.step);
    return {{"tool", "scaleout " + version()},
            {"source", trace_.source},
            {"layout", parallelism::describe(trace_.layout)},
            {"steps", steps},
            {"step_offsets_s", offsets_},
            {"ranks", trace_.ranks.size()},
            {"slices", counts_.slices},
            {"flows", counts_.flows},
            {"alignment", predicted() ? "one simulated clock: every stage's simulated rank starts the step at 0"
                                      : "every rank's times count from its exit of the step's barrier; steps are "
                                        "laid end to end, each as long as its slowest rank"},
            {"largest_causality_gap_s", counts_.alignment.largest_gap_s},
            {"operations_checked", counts_.alignment.operations}};
  }

  bool predicted() const { return trace_.source == "predicted"; }

  const RunTrace& trace_;
  const TraceCounts& counts_;
  analysis::OperationIndex index_;
  std::string events_;  // the events written so far, separated by commas
  std::vector<double> offsets_;
  std::map<std::tuple<int, Group, int>, int> lane_tracks_;               // (rank, group, lane) -> its track
  std::map<std::tuple<std::size_t, std::size_t, int>, int> send_track_;  // (step, traced rank, op) -> track
};

}  // namespace

TraceCounts count_trace(const RunTrace& trace) {
  TraceCounts counts;
  const analysis::OperationIndex index(trace.programs);
  for (const auto& step : trace.steps) {
    for (const auto& ops : step.ops) counts.slices += ops.size() + 1;
  }
  counts.flows = flows_of(trace, index).size();
  counts.alignment = analysis::check_alignment(trace, index);
  return counts;
}

std::uint64_t trace_bytes_bound(const TraceCounts& counts) {
  // A slice with its arguments and a full peer list is under 700 bytes; a flow's two events under 300.
  return 65536 + counts.slices * 700 + counts.flows * 300;
}

std::uint64_t trace_bytes_bound(const RunTrace& outline) {
  TraceCounts counts;
  for (const auto& step : outline.steps) {
    for (const auto& rank : outline.ranks) {
      const auto& ops = outline.program_of(rank, step.pass).ops;
      counts.slices += ops.size() + 1;
      counts.flows += static_cast<std::uint64_t>(std::count_if(ops.begin(), ops.end(), is_pipeline_send));
    }
  }
  return trace_bytes_bound(counts);
}

std::string format_chrome_trace(const RunTrace& trace, const TraceCounts& counts) {
  return TraceWriter(trace, counts).write();
}

std::string describe_trace(const std::string& path, const RunTrace& trace, const TraceCounts& counts) {
  const auto& gap = counts.alignment;
  const std::string what = fmt::format(
      "{}: {} {} step{} of {} rank{}, {} slices, {} pipeline flows (open in ui.perfetto.dev or chrome://tracing)", path,
      trace.source, trace.steps.size(), trace.steps.size() == 1 ? "" : "s", trace.ranks.size(),
      trace.ranks.size() == 1 ? "" : "s", counts.slices, counts.flows);
  if (trace.source == "predicted") {
    return what + "; one simulated clock, each stage's simulated rank standing for the stage's others\n";
  }
  return fmt::format(
      "{}; times aligned by each step's barrier: {}\n", what,
      gap.operations == 0 ? std::string("no operation between traced ranks to check them by")
      : gap.largest_gap_s > 0
          ? fmt::format("the largest gap an operation shows is {:.1f} us (of {} checked)", gap.largest_gap_s * 1e6,
                        gap.operations)
          : fmt::format("no operation of the {} checked ends before its last rank issued it", gap.operations));
}

}  // namespace scaleout::runs
