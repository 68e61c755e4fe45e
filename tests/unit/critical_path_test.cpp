// The critical path, the alignment check and the message sizes on hand-made traces whose answers are
// worked out by hand: a tensor-parallel pair where one rank computes late, a pipeline whose receive
// waits for its sender, a recurring tag, warm-up steps left out.
#include <gtest/gtest.h>

#include <numeric>

#include "analysis/critical_path.hpp"
#include "analysis/message_sizes.hpp"
#include "analysis/run_trace.hpp"

namespace a = scaleout::analysis;
namespace p = scaleout::parallelism;

namespace {

p::Op compute(double seconds) {
  p::Op op;
  op.kind = p::OpKind::compute;
  op.seconds = seconds;
  return op;
}

p::Op operation(p::OpKind kind, p::Group group, p::Transfer transfer, int tag, int slot = -1, int peer = -1) {
  p::Op op;
  op.kind = kind;
  op.group = group;
  op.transfer = transfer;
  op.tag = tag;
  op.slot = slot;
  op.peer = peer;
  op.bytes = 4096;
  return op;
}

// Ranks 0 .. n-1 on nodes of `per_node`, each with its grid position.
void add_ranks(a::RunTrace& trace, int per_node) {
  for (int r = 0; r < trace.layout.world(); ++r) {
    trace.node_of_rank.push_back(r / per_node);
    trace.ranks.push_back({r, r / per_node, "host", p::position_of(trace.layout, r)});
  }
}

a::TracedStep step_of(int step, std::vector<std::vector<p::OpRecord>> ops, bool warmup = false) {
  a::TracedStep s;
  s.step = step;
  s.warmup = warmup;
  for (auto& rank : ops) {
    for (std::size_t i = 0; i < rank.size(); ++i) rank[i].op = static_cast<int>(i);
    s.step_s.push_back(rank.back().end);
  }
  s.ops = std::move(ops);
  return s;
}

// tp 2, one program: compute, a blocking tp allreduce, compute. Rank 1 computes 3 s where rank 0
// computes 1 s: rank 0 waits in the allreduce for rank 1.
a::RunTrace tensor_pair(bool warmup_first = false) {
  a::RunTrace trace;
  trace.layout.tp = 2;
  trace.programs.push_back(
      {{compute(1), operation(p::OpKind::blocking, p::Group::tp, p::Transfer::allreduce, 7), compute(0.5)}, 0});
  add_ranks(trace, 1);
  const std::vector<std::vector<p::OpRecord>> ops = {{{0, 0, 1, 0}, {0, 1, 3.1, 2.1}, {0, 3.1, 3.6, 0}},
                                                     {{0, 0, 3, 0}, {0, 3, 3.1, 0.1}, {0, 3.1, 3.6, 0}}};
  if (warmup_first) trace.steps.push_back(step_of(0, {{{0, 0, 9, 0}, {0, 9, 9, 0}, {0, 9, 9.5, 0}}, ops[1]}, true));
  trace.steps.push_back(step_of(1, ops));
  return trace;
}

double covered(const a::StepPath& path) {
  return std::accumulate(path.segments.begin(), path.segments.end(), 0.0,
                         [](double sum, const a::PathSegment& s) { return sum + (s.end - s.begin); });
}

TEST(CriticalPath, AWaitThatEndedWhenALatePeerArrivedPassesThePathToThatPeer) {
  const auto trace = tensor_pair();
  const a::OperationIndex index(trace.programs);
  const auto path = a::critical_path(trace, index, trace.steps[0]);
  ASSERT_EQ(path.segments.size(), 3u);
  // Backwards: rank 0's last compute, the allreduce from rank 1's issue, rank 1's first compute.
  EXPECT_EQ(path.segments[0].rank, 0);
  EXPECT_EQ(path.segments[0].op, 2);
  EXPECT_EQ(path.segments[1].rank, 0);
  EXPECT_EQ(path.segments[1].op, 1);
  EXPECT_DOUBLE_EQ(path.segments[1].begin, 3.0);
  EXPECT_EQ(path.segments[2].rank, 1);
  EXPECT_EQ(path.segments[2].op, 0);
  EXPECT_DOUBLE_EQ(path.segments[2].begin, 0.0);
  EXPECT_NEAR(covered(path), path.end, 1e-12);

  const auto shares = a::critical_path_shares(trace);
  EXPECT_EQ(shares.steps, 1);
  EXPECT_EQ(shares.top_rank(), 1);
  EXPECT_EQ(shares.top_node(), 1);
  EXPECT_NEAR(shares.share(shares.of_rank.at(1).seconds), 3.0 / 3.6, 1e-12);
  EXPECT_NEAR(shares.share(shares.compute), 3.5 / 3.6, 1e-12);
  EXPECT_NEAR(shares.share(shares.of_group[static_cast<std::size_t>(p::Group::tp)]), 0.1 / 3.6, 1e-12);
  EXPECT_NEAR(shares.share(shares.of_transfer[static_cast<std::size_t>(p::Transfer::allreduce)]), 0.1 / 3.6, 1e-12);
  EXPECT_DOUBLE_EQ(shares.other, 0.0);
}

TEST(CriticalPath, WarmUpStepsAreLeftOut) {
  const auto shares = a::critical_path_shares(tensor_pair(true));
  EXPECT_EQ(shares.steps, 1);
  EXPECT_NEAR(shares.seconds, 3.6, 1e-12);
}

TEST(CriticalPath, WhenNoPeerIsLaterTheOperationItselfIsOnThePathAndGapsAreOther) {
  auto trace = tensor_pair();
  // Both ranks compute 1 s and issue at once; the allreduce takes 2 s; rank 0 starts its last span late.
  trace.steps[0] =
      step_of(1, {{{0, 0, 1, 0}, {0, 1, 3, 2}, {0, 3.2, 3.7, 0}}, {{0, 0, 1, 0}, {0, 1, 3, 2}, {0, 3, 3.5, 0}}});
  const auto shares = a::critical_path_shares(trace);
  EXPECT_EQ(shares.top_rank(), 0);
  EXPECT_NEAR(shares.share(shares.of_rank.at(0).seconds), 1.0, 1e-12);
  EXPECT_NEAR(shares.of_group[static_cast<std::size_t>(p::Group::tp)], 2.0, 1e-12);
  EXPECT_NEAR(shares.other, 0.2, 1e-12);
  EXPECT_NEAR(shares.compute, 1.5, 1e-12);
}

// dp 2, both ranks alike: compute, start a dp allreduce, compute, wait for it.
a::RunTrace overlapped(std::vector<p::OpRecord> ops) {
  a::RunTrace trace;
  trace.layout.dp = 2;
  trace.programs.push_back({{compute(1), operation(p::OpKind::start, p::Group::dp, p::Transfer::allreduce, 3, 0),
                             compute(5), operation(p::OpKind::wait, p::Group::dp, p::Transfer::allreduce, 3, 0)},
                            1});
  add_ranks(trace, 1);
  trace.steps.push_back(step_of(0, {ops, ops}));
  return trace;
}

TEST(CriticalPath, AWaitWhoseOperationHadCompletedIsNotOnThePathHoweverLongTheCall) {
  // The allreduce completed at 2 s, seen by a poll during the compute; the wait's call took 1 us (a log
  // from before waits logged their blocked time alone says 1 us waited).
  for (const double waited : {0.0, 1e-6}) {
    const auto shares =
        a::critical_path_shares(overlapped({{0, 0, 1, 0}, {0, 1, 2, 0}, {0, 1, 6, 0}, {0, 6, 6.000001, waited}}));
    EXPECT_NEAR(shares.compute, 6.0, 1e-12) << waited;
    EXPECT_NEAR(shares.of_group[static_cast<std::size_t>(p::Group::dp)], 1e-6, 1e-12) << "the call itself";
    EXPECT_EQ(shares.of_rank.size(), 1u) << "no hop to the other rank";
  }
  // Not complete when the wait began: the operation, from its issue, is on the path.
  const auto shares = a::critical_path_shares(overlapped({{0, 0, 1, 0}, {0, 1, 7, 0}, {0, 1, 6, 0}, {0, 6, 7, 1}}));
  EXPECT_NEAR(shares.compute, 1.0, 1e-12);
  EXPECT_NEAR(shares.of_group[static_cast<std::size_t>(p::Group::dp)], 6.0, 1e-12);
}

TEST(CriticalPath, AStartThatWaitedForABufferWaitedForTheOperationThatFreedIt) {
  // One buffer: start A, compute 1 s, start B waits 2 s for A (complete at 3 s), then both waits; B is
  // still in flight when its wait begins and ends at 4 s.
  a::RunTrace trace;
  trace.layout.dp = 2;
  auto a_start = operation(p::OpKind::start, p::Group::dp, p::Transfer::allreduce, 1, 0);
  auto b_start = operation(p::OpKind::start, p::Group::tp, p::Transfer::allgather, 2, 1);
  trace.programs.push_back(
      {{a_start, compute(1), b_start, operation(p::OpKind::wait, p::Group::dp, p::Transfer::allreduce, 1, 0),
        operation(p::OpKind::wait, p::Group::tp, p::Transfer::allgather, 2, 1)},
       2});
  trace.layout.tp = 1;
  add_ranks(trace, 1);
  const std::vector<p::OpRecord> ops = {{0, 0, 3, 0}, {0, 0, 1, 0}, {0, 3, 4, 2}, {0, 3, 3, 0}, {0, 3, 4, 1}};
  trace.steps.push_back(step_of(0, {ops, ops}));
  const auto shares = a::critical_path_shares(trace);
  EXPECT_NEAR(shares.seconds, 4.0, 1e-12);
  EXPECT_NEAR(shares.of_group[static_cast<std::size_t>(p::Group::tp)], 1.0, 1e-12);  // B, from its issue
  EXPECT_NEAR(shares.of_group[static_cast<std::size_t>(p::Group::dp)], 2.0, 1e-12);  // A, which B waited for
  EXPECT_NEAR(shares.compute, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(shares.other, 0.0);
}

// pp 2: stage 0 computes 1 s and sends (eagerly: its wait does not block); stage 1 receives, blocked
// until the send is issued and 0.2 s more for the transfer, then computes.
a::RunTrace pipeline() {
  a::RunTrace trace;
  trace.layout.pp = 2;
  trace.programs.push_back({{compute(1), operation(p::OpKind::start, p::Group::pp, p::Transfer::send, 5, 0, 1),
                             operation(p::OpKind::wait, p::Group::pp, p::Transfer::send, 5, 0, 1), compute(1)},
                            1});
  trace.programs.push_back(
      {{operation(p::OpKind::blocking, p::Group::pp, p::Transfer::recv, 5, -1, 0), compute(1.3)}, 0});
  add_ranks(trace, 1);
  trace.steps.push_back(
      step_of(0, {{{0, 0, 1, 0}, {0, 1, 1.2, 0}, {0, 1, 1, 0}, {0, 1, 2, 0}}, {{0, 0, 1.2, 1.2}, {0, 1.2, 2.5, 0}}}));
  return trace;
}

TEST(CriticalPath, APipelineReceivePassesThePathToItsSender) {
  const auto trace = pipeline();
  const auto shares = a::critical_path_shares(trace);
  EXPECT_NEAR(shares.seconds, 2.5, 1e-12);
  EXPECT_NEAR(shares.of_rank.at(1).seconds, 1.5, 1e-12);  // its compute and the transfer
  EXPECT_NEAR(shares.of_rank.at(0).seconds, 1.0, 1e-12);  // its compute before the send
  EXPECT_NEAR(shares.of_transfer[static_cast<std::size_t>(p::Transfer::recv)], 0.2, 1e-12);
  EXPECT_NEAR(shares.compute, 2.3, 1e-12);
  EXPECT_EQ(shares.of_node.size(), 2u);
}

TEST(Alignment, AReceiveThatEndsBeforeItsSendWasIssuedShowsTheClocksApart) {
  auto trace = pipeline();
  const a::OperationIndex index(trace.programs);
  EXPECT_DOUBLE_EQ(a::check_alignment(trace, index).largest_gap_s, 0.0);
  EXPECT_EQ(a::check_alignment(trace, index).operations, 1);  // the receive; a send's wait is not checked
  trace.steps[0].ops[1][0].end = 0.7;                         // received 0.3 s before the send was issued
  EXPECT_NEAR(a::check_alignment(trace, index).largest_gap_s, 0.3, 1e-12);
}

TEST(OperationIndex, TheKthIssueOfARecurringTagMeetsTheKthElsewhere) {
  const auto meeting = operation(p::OpKind::blocking, p::Group::pp, p::Transfer::allreduce, 9);
  std::vector<p::Program> programs = {{{meeting, compute(1), meeting}, 0}, {{compute(1), meeting, meeting}, 0}};
  const a::OperationIndex index(programs);
  EXPECT_EQ(index.issuing_op(0, p::Channel::pp, 9, 0), 0);
  EXPECT_EQ(index.issuing_op(0, p::Channel::pp, 9, 1), 2);
  EXPECT_EQ(index.issuing_op(1, p::Channel::pp, 9, 0), 1);
  EXPECT_EQ(index.occurrence(1, 2), 1);
  EXPECT_EQ(index.issuing_op(1, p::Channel::pp, 9, 2), -1);
  EXPECT_EQ(index.issued_by(0, 1), -1);  // compute
  const auto send = pipeline();
  const a::OperationIndex sends(send.programs);
  EXPECT_EQ(sends.issued_by(0, 2), 1);  // the wait's start
}

TEST(Counterparts, ACollectiveWaitsForItsGroupAnExchangeForItsNeighboursASendForNone) {
  p::Layout layout;
  layout.tp = 4;
  const auto allreduce = operation(p::OpKind::blocking, p::Group::tp, p::Transfer::allreduce, 1);
  EXPECT_EQ(a::counterparts(layout, 1, allreduce), (std::vector<int>{0, 2, 3}));
  const auto exchange = operation(p::OpKind::blocking, p::Group::tp, p::Transfer::exchange, 1);
  EXPECT_EQ(a::counterparts(layout, 1, exchange), (std::vector<int>{0, 2}));
  EXPECT_EQ(a::counterparts(layout, 1, exchange, a::Counterparts::senders), (std::vector<int>{0}));
  const auto send = operation(p::OpKind::start, p::Group::tp, p::Transfer::send, 1, 0, 3);
  EXPECT_EQ(a::counterparts(layout, 1, send), (std::vector<int>{3}));
  EXPECT_TRUE(a::counterparts(layout, 1, send, a::Counterparts::senders).empty());
}

TEST(MessageSizes, BinsDoubleAndCountEveryRankOfAStage) {
  p::Layout layout;
  layout.dp = 2;
  layout.pp = 2;  // 2 ranks per stage
  auto op = [](p::OpKind kind, p::Group group, std::uint64_t bytes) {
    auto made = operation(kind, group, p::Transfer::allreduce, 1);
    made.bytes = bytes;
    return made;
  };
  // The receiving end of a message: counted as its sender's, not again.
  auto recv = operation(p::OpKind::blocking, p::Group::pp, p::Transfer::recv, 2, -1, 0);
  recv.bytes = 1 << 20;
  const std::vector<p::Program> programs = {
      {{op(p::OpKind::start, p::Group::dp, 3000), op(p::OpKind::wait, p::Group::dp, 3000),
        op(p::OpKind::blocking, p::Group::dp, 4096), compute(1)},
       1},
      {{op(p::OpKind::blocking, p::Group::pp, 1 << 20), op(p::OpKind::blocking, p::Group::dp, 4097), recv}, 0}};
  const auto sizes = a::message_sizes(programs, layout);
  const auto& dp = sizes[static_cast<std::size_t>(p::Group::dp)];
  ASSERT_EQ(dp.size(), 2u);
  EXPECT_EQ(dp[0].above, 2048u);
  EXPECT_EQ(dp[0].upto, 4096u);
  EXPECT_DOUBLE_EQ(dp[0].operations, 4);  // the start (not its wait) and the blocking op, on 2 ranks
  EXPECT_DOUBLE_EQ(dp[0].bytes, 2 * (3000 + 4096));
  EXPECT_EQ(dp[1].upto, 8192u);
  const auto& pp = sizes[static_cast<std::size_t>(p::Group::pp)];
  ASSERT_EQ(pp.size(), 1u);
  EXPECT_EQ(pp[0].upto, 1u << 20);
  EXPECT_DOUBLE_EQ(pp[0].operations, 2);
  EXPECT_TRUE(sizes[static_cast<std::size_t>(p::Group::tp)].empty());
}

}  // namespace
