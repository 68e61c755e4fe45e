#pragma once
// The report's sections on where a step's time went across ranks: the critical path's shares
// (analysis/critical_path.hpp), the stragglers by node, and the message sizes of each group
// (analysis/message_sizes.hpp), as text or Markdown lines and as JSON. Prints; computes nothing.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "analysis/critical_path.hpp"
#include "analysis/message_sizes.hpp"
#include "analysis/stragglers.hpp"

namespace scaleout::runs {

// "rank 3 (node 1) 58 %, ..." per rank, node, group and kind, under `heading`; or that the run has no
// op trace.
std::string critical_path_text(const std::optional<analysis::PathShares>& shares, const std::string& heading,
                               bool markdown);
nlohmann::json critical_path_json(const std::optional<analysis::PathShares>& shares);

// "node 1 (2 of 2 ranks)": the stragglers' nodes; "" without.
std::string straggler_nodes_text(const std::vector<analysis::StragglerNode>& nodes);
nlohmann::json straggler_nodes_json(const std::vector<analysis::StragglerNode>& nodes);

// A table per group of the operations of a step by size, under `heading`.
std::string message_sizes_text(const analysis::MessageSizes& sizes, const std::string& heading, bool markdown);
nlohmann::json message_sizes_json(const analysis::MessageSizes& sizes);

}  // namespace scaleout::runs
