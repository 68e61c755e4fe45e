#pragma once
// Moving variable-length text between ranks (the tool's bookkeeping: hostnames, topology XML,
// serialised summaries). Never on a timed path.

#include <string>
#include <vector>

#include "comm/communicator.hpp"

namespace scaleout::comm {

// Every rank's `text` at `root`, in rank order; empty on the other ranks.
std::vector<std::string> gather_strings(const Communicator& comm, const std::string& text, int root);
// Every rank's `text` on every rank, in rank order.
std::vector<std::string> allgather_strings(const Communicator& comm, const std::string& text);
// `text` of `root` on every rank.
std::string broadcast_string(const Communicator& comm, const std::string& text, int root);

}  // namespace scaleout::comm
