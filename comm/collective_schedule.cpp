#include "comm/collective_schedule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace scaleout::comm {

namespace {

int wrap(long long index, int n) { return static_cast<int>(((index % n) + n) % n); }

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

bool runs(Algorithm algorithm, CollectiveKind kind) {
  switch (algorithm) {
    case Algorithm::ring:
      return kind == CollectiveKind::allreduce || kind == CollectiveKind::reduce_scatter ||
             kind == CollectiveKind::allgather;
    case Algorithm::tree: return kind == CollectiveKind::allreduce;
    case Algorithm::pairwise: return kind == CollectiveKind::alltoall;
    case Algorithm::library:
    case Algorithm::direct: return false;
  }
  return false;
}

// The nodes in the order of their lowest rank, each with its ranks ascending.
std::vector<std::vector<int>> nodes_in_order(const std::vector<int>& node_of_rank) {
  std::map<int, std::size_t> index;
  std::vector<std::vector<int>> nodes;
  for (int rank = 0; rank < static_cast<int>(node_of_rank.size()); ++rank) {
    const auto [at, added] = index.try_emplace(node_of_rank[static_cast<std::size_t>(rank)], nodes.size());
    if (added) nodes.emplace_back();
    nodes[at->second].push_back(rank);
  }
  return nodes;
}

// A balanced binary tree over [first, last) in order: the middle is the root of its two halves.
void balanced_tree(int first, int last, int parent, std::vector<int>& parents) {
  if (first >= last) return;
  const int middle = first + (last - first) / 2;
  parents[static_cast<std::size_t>(middle)] = parent;
  balanced_tree(first, middle, middle, parents);
  balanced_tree(middle + 1, last, middle, parents);
}

}  // namespace

CollectiveSchedule::CollectiveSchedule(ScheduleSpec spec) : spec_(std::move(spec)) {
  const int n = ranks();
  if (n < 1) throw std::invalid_argument("a schedule needs a group of at least one rank");
  if (!runs(spec_.algorithm, spec_.kind)) {
    throw std::invalid_argument(
        fmt::format("the {} algorithm does not run {}", name(spec_.algorithm), name(spec_.kind)));
  }
  if (spec_.kind != CollectiveKind::allreduce && spec_.count % static_cast<std::uint64_t>(n) != 0) {
    throw std::invalid_argument(
        fmt::format("{} of {} elements does not divide among {} ranks", name(spec_.kind), spec_.count, n));
  }
  if (spec_.element_size == 0 || spec_.chunking.window < 1) throw std::invalid_argument("an empty chunking");
  chunk_ = std::max<std::uint64_t>(1, spec_.chunking.chunk_bytes / spec_.element_size);
  if (n == 1 && spec_.algorithm != Algorithm::pairwise) return;  // nothing moves
  if (spec_.count == 0) return;

  switch (spec_.algorithm) {
    case Algorithm::ring: {
      for (const auto& node : nodes_in_order(spec_.node_of_rank)) order_.insert(order_.end(), node.begin(), node.end());
      position_.assign(static_cast<std::size_t>(n), 0);
      for (int p = 0; p < n; ++p) position_[static_cast<std::size_t>(order_[static_cast<std::size_t>(p)])] = p;
      chains_ = static_cast<int>(ceil_div(block(0).count, chunk_));         // block 0 is a largest
      rounds_ = spec_.kind == CollectiveKind::allreduce ? 2 * (n - 1) : n;  // reduce-scatter: + its copy
      if (spec_.kind == CollectiveKind::allgather) rounds_ = n - 1;
      scratch_slots_ = spec_.kind == CollectiveKind::allgather ? 0 : 1;
      slot_ = std::min(chunk_, block(0).count);
      break;
    }
    case Algorithm::tree: {
      const auto nodes = nodes_in_order(spec_.node_of_rank);
      const int m = static_cast<int>(nodes.size());
      std::vector<int> first_tree(static_cast<std::size_t>(m), -1);
      balanced_tree(0, m, -1, first_tree);
      for (int t = 0; t < 2; ++t) {
        // Tree 1 is tree 0 with every node shifted by one: node (i + 1) % m takes node i's place.
        std::vector<int> node_parent(static_cast<std::size_t>(m), -1);
        for (int i = 0; i < m; ++i) {
          const int parent = first_tree[static_cast<std::size_t>(i)];
          node_parent[static_cast<std::size_t>((i + t) % m)] = parent < 0 ? -1 : (parent + t) % m;
        }
        TreeLinks links;
        links.parent.assign(static_cast<std::size_t>(n), -1);
        links.children.assign(static_cast<std::size_t>(n), {});
        for (int i = 0; i < m; ++i) {
          const auto& chain = nodes[static_cast<std::size_t>(i)];
          for (std::size_t k = 1; k < chain.size(); ++k) {
            links.parent[static_cast<std::size_t>(chain[k])] = chain[k - 1];
            links.children[static_cast<std::size_t>(chain[k - 1])].push_back(chain[k]);
          }
          const int parent = node_parent[static_cast<std::size_t>(i)];
          if (parent >= 0) {
            const int leader = chain.front(), above = nodes[static_cast<std::size_t>(parent)].front();
            links.parent[static_cast<std::size_t>(leader)] = above;
            links.children[static_cast<std::size_t>(above)].push_back(leader);
          }
        }
        for (int rank = 0; rank < n; ++rank) {
          int intra = 0, network = 0;
          for (int at = rank; links.parent[static_cast<std::size_t>(at)] >= 0;
               at = links.parent[static_cast<std::size_t>(at)])
            ++(same_node(at, links.parent[static_cast<std::size_t>(at)]) ? intra : network);
          if (network > links.depth_network || (network == links.depth_network && intra > links.depth_intra))
            links.depth_network = network, links.depth_intra = intra;
          scratch_slots_ =
              std::max(scratch_slots_, static_cast<int>(links.children[static_cast<std::size_t>(rank)].size()));
        }
        trees_.push_back(std::move(links));
      }
      chains_ = 2 * static_cast<int>(ceil_div(spec_.count - spec_.count / 2, chunk_));  // half 1 is the larger
      slot_ = std::min(chunk_, spec_.count - spec_.count / 2);
      rounds_ = 4;  // reduce from the children, send up, receive from above, send down
      break;
    }
    case Algorithm::pairwise:
      chains_ = n;  // chain 0 copies the rank's own block; chain k exchanges with ranks r + k and r - k
      rounds_ = 1;
      break;
    case Algorithm::library:
    case Algorithm::direct: break;
  }
}

CollectiveSchedule::Block CollectiveSchedule::block(int index) const {
  const auto n = static_cast<std::uint64_t>(ranks());
  const std::uint64_t base = spec_.count / n, larger = spec_.count % n;  // the first `larger` get one more
  const auto i = static_cast<std::uint64_t>(index);
  return {i * base + std::min(i, larger), base + (i < larger ? 1 : 0)};
}

CollectiveSchedule::Block CollectiveSchedule::slice(Block whole, int chain) const {
  const std::uint64_t begin = static_cast<std::uint64_t>(chain) * chunk_;
  if (begin >= whole.count) return {whole.first + whole.count, 0};
  return {whole.first + begin, std::min(chunk_, whole.count - begin)};
}

int CollectiveSchedule::batches() const {
  return static_cast<int>(
      ceil_div(static_cast<std::uint64_t>(chains_), static_cast<std::uint64_t>(spec_.chunking.window)));
}

void CollectiveSchedule::hops(int rank, int chain, int round, std::vector<Hop>& out) const {
  if (rank < 0 || rank >= ranks() || chain < 0 || chain >= chains_ || round < 0 || round >= rounds_) {
    throw std::out_of_range(fmt::format("no round {} of chain {} for rank {}", round, chain, rank));
  }
  switch (spec_.algorithm) {
    case Algorithm::ring: ring_hops(rank, chain, round, out); return;
    case Algorithm::tree: tree_hops(rank, chain, round, out); return;
    case Algorithm::pairwise: pairwise_hops(rank, chain, out); return;
    case Algorithm::library:
    case Algorithm::direct: return;
  }
}

void CollectiveSchedule::ring_hops(int rank, int chain, int round, std::vector<Hop>& out) const {
  const int n = ranks();
  const int p = position_[static_cast<std::size_t>(rank)];
  const int next = order_[static_cast<std::size_t>(wrap(p + 1, n))];
  const int previous = order_[static_cast<std::size_t>(wrap(p - 1, n))];
  // The block a position holds at the ring's step: blocks are named by the rank that ends with them.
  const auto at = [&](long long position) {
    return slice(block(order_[static_cast<std::size_t>(wrap(position, n))]), chain);
  };
  const auto add = [&](Hop::Kind kind, int peer, Block b) {
    if (b.count > 0) out.push_back({kind, peer, 0, b.first, b.count, 0});
  };
  const bool reducing = spec_.kind != CollectiveKind::allgather && round < n - 1;
  if (reducing) {
    add(Hop::Kind::send, next, at(p - round - 1));
    add(Hop::Kind::reduce, previous, at(p - round - 2));
    return;
  }
  if (spec_.kind == CollectiveKind::reduce_scatter) {
    // MPI_IN_PLACE's result is rank r's block at the buffer's start: this chain's chunk of it moves there.
    const Block mine = slice(block(rank), chain);
    if (rank != 0 && mine.count > 0)
      out.push_back({Hop::Kind::local_copy, rank, 0, mine.first - block(rank).first, mine.count, mine.first});
    return;
  }
  const int step = spec_.kind == CollectiveKind::allreduce ? round - (n - 1) : round;
  add(Hop::Kind::send, next, at(p - step));
  add(Hop::Kind::receive, previous, at(p - step - 1));
}

void CollectiveSchedule::tree_hops(int rank, int chain, int round, std::vector<Hop>& out) const {
  const int tree = chain % 2;
  const std::uint64_t half = spec_.count / 2;
  const Block whole = tree == 0 ? Block{0, half} : Block{half, spec_.count - half};
  const Block part = slice(whole, chain / 2);
  if (part.count == 0) return;
  const auto& links = trees_[static_cast<std::size_t>(tree)];
  const int parent = links.parent[static_cast<std::size_t>(rank)];
  const auto& children = links.children[static_cast<std::size_t>(rank)];
  switch (round) {
    case 0:
      for (std::size_t c = 0; c < children.size(); ++c)
        out.push_back({Hop::Kind::reduce, children[c], static_cast<int>(c), part.first, part.count, 0});
      return;
    case 1:
      if (parent >= 0) out.push_back({Hop::Kind::send, parent, 0, part.first, part.count, 0});
      return;
    case 2:
      if (parent >= 0) out.push_back({Hop::Kind::receive, parent, 0, part.first, part.count, 0});
      return;
    default:
      for (const int child : children) out.push_back({Hop::Kind::send, child, 0, part.first, part.count, 0});
      return;
  }
}

void CollectiveSchedule::pairwise_hops(int rank, int chain, std::vector<Hop>& out) const {
  const int n = ranks();
  const std::uint64_t each = spec_.count / static_cast<std::uint64_t>(n);
  if (each == 0) return;
  const auto at = [&](int r) { return static_cast<std::uint64_t>(r) * each; };
  if (chain == 0) {
    out.push_back({Hop::Kind::local_copy, rank, 0, at(rank), each, at(rank)});
    return;
  }
  const int to = wrap(rank + chain, n), from = wrap(rank - chain, n);
  out.push_back({Hop::Kind::send, to, 0, at(to), each, 0});
  out.push_back({Hop::Kind::receive, from, 0, at(from), each, 0});
}

Traffic CollectiveSchedule::traffic() const {
  if (chains_ == 0) {
    Traffic none;
    none.ranks.resize(static_cast<std::size_t>(ranks()));
    return none;
  }
  switch (spec_.algorithm) {
    case Algorithm::ring: return ring_traffic();
    case Algorithm::tree: return tree_traffic();
    case Algorithm::pairwise: return pairwise_traffic();
    case Algorithm::library:
    case Algorithm::direct: break;
  }
  return {};
}

namespace {
void add_message(Traffic& traffic, const std::vector<int>& node_of_rank, int from, int to, std::uint64_t bytes) {
  auto& sender = traffic.ranks[static_cast<std::size_t>(from)];
  if (node_of_rank[static_cast<std::size_t>(from)] == node_of_rank[static_cast<std::size_t>(to)]) {
    sender.to_same_node += bytes;
  } else {
    sender.to_other_nodes += bytes;
    traffic.ranks[static_cast<std::size_t>(to)].from_other_nodes += bytes;
  }
}
}  // namespace

Traffic CollectiveSchedule::ring_traffic() const {
  const int n = ranks();
  Traffic traffic;
  traffic.ranks.resize(static_cast<std::size_t>(n));
  bool crosses = false;
  for (int p = 0; p < n; ++p) {
    const int rank = order_[static_cast<std::size_t>(p)], next = order_[static_cast<std::size_t>(wrap(p + 1, n))];
    crosses = crosses || !same_node(rank, next);
    // Reduce-scatter passes on every block but the rank's own; allgather every block but the next's.
    std::uint64_t elements = 0;
    if (spec_.kind != CollectiveKind::allgather) elements += spec_.count - block(rank).count;
    if (spec_.kind != CollectiveKind::reduce_scatter) elements += spec_.count - block(next).count;
    add_message(traffic, spec_.node_of_rank, rank, next, elements * spec_.element_size);
  }
  const int sequential = (spec_.kind == CollectiveKind::allreduce ? 2 : 1) * (n - 1) * batches();
  (crosses ? traffic.network_rounds : traffic.intra_rounds) = sequential;
  return traffic;
}

Traffic CollectiveSchedule::tree_traffic() const {
  const int n = ranks();
  Traffic traffic;
  traffic.ranks.resize(static_cast<std::size_t>(n));
  const std::uint64_t half = spec_.count / 2;
  for (int t = 0; t < 2; ++t) {
    const std::uint64_t bytes = (t == 0 ? half : spec_.count - half) * spec_.element_size;
    if (bytes == 0) continue;
    for (int rank = 0; rank < n; ++rank) {
      const int parent = trees_[static_cast<std::size_t>(t)].parent[static_cast<std::size_t>(rank)];
      if (parent < 0) continue;
      add_message(traffic, spec_.node_of_rank, rank, parent, bytes);  // up
      add_message(traffic, spec_.node_of_rank, parent, rank, bytes);  // down
    }
  }
  // A chunk goes up the deeper tree and back down; the window's batches follow one another.
  const auto& deeper =
      trees_[0].depth_network + trees_[0].depth_intra >= trees_[1].depth_network + trees_[1].depth_intra ? trees_[0]
                                                                                                         : trees_[1];
  traffic.intra_rounds = 2 * deeper.depth_intra * batches();
  traffic.network_rounds = 2 * deeper.depth_network * batches();
  return traffic;
}

Traffic CollectiveSchedule::pairwise_traffic() const {
  const int n = ranks();
  Traffic traffic;
  traffic.ranks.resize(static_cast<std::size_t>(n));
  std::map<int, std::uint64_t> per_node;
  for (const int node : spec_.node_of_rank) ++per_node[node];
  const std::uint64_t block_bytes = spec_.count / static_cast<std::uint64_t>(n) * spec_.element_size;
  for (int rank = 0; rank < n; ++rank) {
    const std::uint64_t local = per_node[spec_.node_of_rank[static_cast<std::size_t>(rank)]];
    auto& r = traffic.ranks[static_cast<std::size_t>(rank)];
    r.to_same_node = (local - 1) * block_bytes;
    r.to_other_nodes = r.from_other_nodes = (static_cast<std::uint64_t>(n) - local) * block_bytes;
  }
  if (block_bytes > 0 && n > 1) {
    const int sequential = static_cast<int>(
        ceil_div(static_cast<std::uint64_t>(n - 1), static_cast<std::uint64_t>(spec_.chunking.window)));
    (per_node.size() > 1 ? traffic.network_rounds : traffic.intra_rounds) = sequential;
  }
  return traffic;
}

}  // namespace scaleout::comm
