#include "comm/sum_op.hpp"

#include <utility>

#include "comm/environment.hpp"
#include "comm/error.hpp"

namespace scaleout::comm {

MPI_Datatype mpi_datatype(ElementType type) noexcept { return type == ElementType::fp32 ? MPI_FLOAT : MPI_UINT16_T; }

namespace {
void bf16_sum(void* in, void* inout, int* count, MPI_Datatype*) {
  add_bf16(static_cast<const std::uint16_t*>(in), static_cast<std::uint16_t*>(inout), static_cast<std::size_t>(*count));
}
}  // namespace

SumOp::SumOp(ElementType type) {
  if (type == ElementType::fp32) {
    handle_ = MPI_SUM;
    return;
  }
  check(MPI_Op_create(&bf16_sum, /*commute=*/1, &handle_), "MPI_Op_create");
  owned_ = true;
}

SumOp::~SumOp() { release(); }

SumOp::SumOp(SumOp&& other) noexcept
    : handle_(std::exchange(other.handle_, MPI_OP_NULL)), owned_(std::exchange(other.owned_, false)) {}

SumOp& SumOp::operator=(SumOp&& other) noexcept {
  if (this != &other) {
    release();
    handle_ = std::exchange(other.handle_, MPI_OP_NULL);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

void SumOp::release() noexcept {
  if (owned_ && handle_ != MPI_OP_NULL && Environment::active()) MPI_Op_free(&handle_);
  handle_ = MPI_OP_NULL;
  owned_ = false;
}

}  // namespace scaleout::comm
