#pragma once
// The element types payloads are made of: 4-byte fp32 and 2-byte bf16, and bf16's rounding. No MPI here
// (comm/sum_op.hpp gives their MPI datatypes and sums), so the workload model and the analysis can name them.

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
// inout[i] += in[i] for `count` elements of `type`: the reduction scaleout's own algorithms apply to
// what they receive (bf16 rounds as add_bf16).
void add_elements(ElementType type, std::byte* inout, const std::byte* in, std::size_t count) noexcept;

}  // namespace scaleout::comm
