#include "comm/element_type.hpp"

#include <cstring>

namespace scaleout::comm {

std::string_view name(ElementType type) noexcept { return type == ElementType::fp32 ? "fp32" : "bf16"; }

std::optional<ElementType> parse_element_type(std::string_view text) noexcept {
  if (text == "fp32") return ElementType::fp32;
  if (text == "bf16") return ElementType::bf16;
  return std::nullopt;
}

std::size_t size_of(ElementType type) noexcept { return type == ElementType::fp32 ? 4 : 2; }

void add_bf16(const std::uint16_t* in, std::uint16_t* inout, std::size_t count) noexcept {
  for (std::size_t i = 0; i < count; ++i) inout[i] = to_bf16(from_bf16(in[i]) + from_bf16(inout[i]));
}

void add_elements(ElementType type, std::byte* inout, const std::byte* in, std::size_t count) noexcept {
  if (type == ElementType::bf16) {
    for (std::size_t i = 0; i < count; ++i) {
      std::uint16_t a, b;
      std::memcpy(&a, in + 2 * i, 2);
      std::memcpy(&b, inout + 2 * i, 2);
      b = to_bf16(from_bf16(a) + from_bf16(b));
      std::memcpy(inout + 2 * i, &b, 2);
    }
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    float a, b;
    std::memcpy(&a, in + 4 * i, 4);
    std::memcpy(&b, inout + 4 * i, 4);
    b += a;
    std::memcpy(inout + 4 * i, &b, 4);
  }
}

}  // namespace scaleout::comm
