#include "parallelism/algorithms.hpp"

#include <algorithm>

namespace scaleout::parallelism {

std::vector<int> group_nodes(const Layout& layout, int rank, Channel channel, const std::vector<int>& node_of_rank) {
  const std::vector<int> ranks = members(layout, rank, channel);
  std::vector<int> nodes;
  nodes.reserve(ranks.size());
  for (const int member : ranks) nodes.push_back(node_of_rank.at(static_cast<std::size_t>(member)));
  return nodes;
}

ChannelSpans group_spans(const Layout& layout, int rank, const std::vector<int>& node_of_rank) {
  ChannelSpans spans{};
  for (int c = 0; c < channel_count; ++c) {
    std::vector<int> nodes = group_nodes(layout, rank, static_cast<Channel>(c), node_of_rank);
    const int ranks = static_cast<int>(nodes.size());
    std::sort(nodes.begin(), nodes.end());
    const int distinct = static_cast<int>(std::unique(nodes.begin(), nodes.end()) - nodes.begin());
    spans[static_cast<std::size_t>(c)] = {ranks, distinct};
  }
  return spans;
}

std::optional<comm::CollectiveKind> collective_of(Transfer transfer) noexcept {
  switch (transfer) {
    case Transfer::allreduce: return comm::CollectiveKind::allreduce;
    case Transfer::reduce_scatter: return comm::CollectiveKind::reduce_scatter;
    case Transfer::allgather: return comm::CollectiveKind::allgather;
    case Transfer::alltoall: return comm::CollectiveKind::alltoall;
    case Transfer::exchange:
    case Transfer::send:
    case Transfer::recv: return std::nullopt;
  }
  return std::nullopt;
}

Tier tier_of(const Op& op, int rank, const std::vector<int>& node_of_rank) {
  const int n = static_cast<int>(node_of_rank.size());
  const auto node = [&](int member) { return node_of_rank.at(static_cast<std::size_t>(member)); };
  const auto apart = [&](int peer) { return node(peer) != node(rank) ? Tier::network : Tier::intra_node; };
  switch (op.transfer) {
    case Transfer::send:
    case Transfer::recv: return apart(op.peer);
    case Transfer::exchange: return apart((rank + 1) % n) == Tier::network ? Tier::network : apart((rank + n - 1) % n);
    default: break;
  }
  for (int member = 0; member < n; ++member) {
    if (apart(member) == Tier::network) return Tier::network;
  }
  return Tier::intra_node;
}

std::uint64_t largest_library_collective(const Program& program) noexcept {
  std::uint64_t largest = 0;
  for (const Op& op : program.ops) {
    if (op.kind != OpKind::compute && op.algorithm == comm::Algorithm::library && collective_of(op.transfer))
      largest = std::max(largest, op.bytes);
  }
  return largest;
}

bool runs_own_algorithms(const Program& program) noexcept {
  return std::any_of(program.ops.begin(), program.ops.end(),
                     [](const Op& op) { return op.kind != OpKind::compute && comm::is_own(op.algorithm); });
}

void choose_algorithms(Program& program, comm::AlgorithmChoice choice, const ChannelSpans& spans) {
  for (Op& op : program.ops) {
    if (op.kind == OpKind::compute) continue;
    const auto kind = collective_of(op.transfer);
    const comm::Span span = spans[static_cast<std::size_t>(channel_of(op))];
    op.algorithm = kind ? comm::choose_algorithm(choice, *kind, span, op.bytes) : comm::Algorithm::direct;
  }
}

}  // namespace scaleout::parallelism
