#pragma once
// The MPI side of the element types: their datatype and the reduction that sums them. MPI 3.1 has no
// bf16, so bf16 travels as 16-bit words and is summed by a user-defined reduction that rounds like the
// hardware (comm/element_type.hpp's add_bf16).

#include <mpi.h>

#include "comm/element_type.hpp"

namespace scaleout::comm {

MPI_Datatype mpi_datatype(ElementType type) noexcept;

// Move-only RAII over the MPI_Op that sums a given element type: MPI_SUM for fp32 (predefined, never
// freed), a user-defined commutative op for bf16 (freed with the owner).
class SumOp {
 public:
  explicit SumOp(ElementType type);
  ~SumOp();
  SumOp(SumOp&& other) noexcept;
  SumOp& operator=(SumOp&& other) noexcept;
  SumOp(const SumOp&) = delete;
  SumOp& operator=(const SumOp&) = delete;

  MPI_Op native() const noexcept { return handle_; }

 private:
  void release() noexcept;
  MPI_Op handle_ = MPI_OP_NULL;
  bool owned_ = false;
};

}  // namespace scaleout::comm
