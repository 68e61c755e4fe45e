#pragma once
// Placements the MPI tests pretend: the tests' ranks share one host, and scaleout's own algorithms
// choose and route by node, so the tests name the nodes themselves.

#include <vector>

namespace scaleout::tests {

// Two ranks per node: from 3 ranks on, rings and trees cross nodes and stay inside them.
inline std::vector<int> two_per_node(int ranks) {
  std::vector<int> nodes;
  nodes.reserve(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) nodes.push_back(r / 2);
  return nodes;
}

}  // namespace scaleout::tests
