#include "comm/element_type.hpp"

#include <utility>

#include "comm/environment.hpp"
#include "comm/error.hpp"

namespace scaleout::comm {

std::string_view name(ElementType type) noexcept { return type == ElementType::fp32 ? "fp32" : "bf16"; }

std::optional<ElementType> parse_element_type(std::string_view text) noexcept {
  if (text == "fp32") return ElementType::fp32;
  if (text == "bf16") return ElementType::bf16;
  return std::nullopt;
}

std::size_t size_of(ElementType type) noexcept { return type == ElementType::fp32 ? 4 : 2; }

MPI_Datatype mpi_datatype(ElementType type) noexcept { return type == ElementType::fp32 ? MPI_FLOAT : MPI_UINT16_T; }

void add_bf16(const std::uint16_t* in, std::uint16_t* inout, std::size_t count) noexcept {
  for (std::size_t i = 0; i < count; ++i) inout[i] = to_bf16(from_bf16(in[i]) + from_bf16(inout[i]));
}

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
