#pragma once
// The element types payloads are made of: 4-byte fp32 and 2-byte bf16. MPI 3.1 has no bf16, so bf16
// travels as 16-bit words and is summed by a user-defined reduction that rounds like the hardware.

#include <mpi.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace scaleout::comm {

enum class ElementType { fp32, bf16 };

std::string_view name(ElementType type) noexcept;
std::optional<ElementType> parse_element_type(std::string_view text) noexcept;
std::size_t size_of(ElementType type) noexcept;
MPI_Datatype mpi_datatype(ElementType type) noexcept;

// bf16 is the upper half of an IEEE fp32; narrowing rounds to nearest even and keeps NaN a NaN.
// Inline: they run per element in the bf16 reduction and in --check's filling and verifying.
inline std::uint16_t to_bf16(float value) noexcept {
  const auto bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0) {
    return static_cast<std::uint16_t>((bits >> 16) | 0x0040u);  // quiet NaN stays NaN
  }
  const std::uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);  // round to nearest, ties to even
  return static_cast<std::uint16_t>((bits + rounding) >> 16);
}
inline float from_bf16(std::uint16_t bits) noexcept {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

// Elementwise bf16 sum, the body of the user-defined MPI_Op (exposed for tests).
void add_bf16(const std::uint16_t* in, std::uint16_t* inout, std::size_t count) noexcept;

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
