#pragma once
// Moving variable-length text between ranks (the tool's bookkeeping: hostnames, topology XML,
// serialised summaries). Never on a timed path.

#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "comm/communicator.hpp"

namespace scaleout::comm {

// Every rank's `text` at `root`, in rank order; empty on the other ranks.
std::vector<std::string> gather_strings(const Communicator& comm, const std::string& text, int root);
// Every rank's `text` on every rank, in rank order.
std::vector<std::string> allgather_strings(const Communicator& comm, const std::string& text);
// `text` of `root` on every rank.
std::string broadcast_string(const Communicator& comm, const std::string& text, int root);

// Every rank's block of bytes (the same size on every rank) at `root`, in rank order; empty elsewhere.
std::vector<std::byte> gather_blocks(const Communicator& comm, std::span<const std::byte> block, int root);

// Every rank's `value` at `root`, in rank order: for records of plain data, on a homogeneous job
// (every rank runs the same binary).
template <class T>
std::vector<T> gather_values(const Communicator& comm, const T& value, int root) {
  static_assert(std::is_trivially_copyable_v<T>);
  const auto bytes = gather_blocks(comm, std::as_bytes(std::span<const T, 1>(&value, 1)), root);
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

// Every rank's block of bytes (the same size on every rank) on every rank, in rank order.
std::vector<std::byte> allgather_blocks(const Communicator& comm, std::span<const std::byte> block);

// Every rank's `value` on every rank, in rank order (plain data, as gather_values).
template <class T>
std::vector<T> allgather_values(const Communicator& comm, const T& value) {
  static_assert(std::is_trivially_copyable_v<T>);
  const auto bytes = allgather_blocks(comm, std::as_bytes(std::span<const T, 1>(&value, 1)));
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

// True on every rank when `flag` is true on any (the ranks' agreement at a step boundary).
bool any_rank(const Communicator& comm, bool flag);
// The largest of every rank's `value`, on every rank (which signal, if any, some rank received).
int max_over_ranks(const Communicator& comm, int value);

}  // namespace scaleout::comm
