#pragma once
// The collective benchmark's view of one operation: how a size maps onto buffers, how to run it
// blocking and non-blocking, what the inputs are and what every rank must hold afterwards, and the
// bus-bandwidth factor. One small file per collective under collectives/, one driver (bench.hpp).

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "comm/algorithm.hpp"
#include "comm/buffer.hpp"
#include "comm/communicator.hpp"
#include "comm/element_type.hpp"
#include "comm/operations.hpp"
#include "comm/payload.hpp"
#include "comm/request.hpp"
#include "comm/sum_op.hpp"

namespace scaleout::comm {

struct Shape {
  std::size_t send_count = 0;  // elements in this rank's send buffer
  std::size_t recv_count = 0;  // elements in this rank's receive buffer
  std::size_t bytes = 0;       // the operation's size S as nccl-tests defines it
  std::size_t blocks = 1;      // per-rank blocks in the larger buffer (the rank count, or 1)
};

// One rank's buffers for one collective at one size: allocated once, reused by every iteration.
struct Call {
  Call(const Shape& shape, ElementType type);
  Shape shape;
  ElementType type;
  Buffer send;
  Buffer recv;
  SumOp sum;
  int root = 0;
};

class Collective {
 public:
  virtual ~Collective() = default;
  virtual CollectiveKind kind() const noexcept = 0;
  std::string_view name() const noexcept { return comm::name(kind()); }
  // busbw = algbw * bus_factor(ranks): the conventions of nccl-tests' PERFORMANCE.md.
  virtual double bus_factor(int ranks) const noexcept = 0;
  // The buffers for a requested size: rounded down to whole elements (and per-rank blocks where the
  // operation has them), with at least one element per block.
  virtual Shape shape(std::size_t requested_bytes, ElementType type, int ranks) const noexcept = 0;

  virtual Interval run(const Communicator& comm, Call& call) const = 0;
  // Issues the operation non-blocking; appends its requests to `requests`.
  virtual void start(const Communicator& comm, Call& call, std::vector<Request>& requests) const = 0;

  // Writes this rank's inputs for `iteration`. The default: send element i = value(iteration, rank, i).
  virtual void fill(const Payload& payload, int iteration, int rank, Call& call) const;
  // Counts the elements of this rank's output that differ from the exact expected result.
  virtual std::size_t verify(const Payload& payload, int iteration, int rank, int ranks, const Call& call) const = 0;
};

// Every collective the benchmark knows, in the order `bench all` runs them.
std::span<const Collective* const> all_collectives() noexcept;
// nullptr when `name` names none.
const Collective* find_collective(std::string_view name) noexcept;

// Every rank's values in `iteration`, for verifying results gathered from all ranks.
std::vector<Payload::Values> all_ranks(const Payload& payload, int iteration, int ranks);

// Elements per rank block for a size of `bytes` spread over `blocks` blocks (at least one).
std::size_t elements_per_block(std::size_t bytes, ElementType type, std::size_t blocks) noexcept;

}  // namespace scaleout::comm
