#include "comm/payload.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace scaleout::comm {

namespace {
// Integers up to these magnitudes are exact: 24 significand bits in fp32, 8 in bf16.
constexpr std::int64_t exact_limit(ElementType type) { return type == ElementType::fp32 ? (1 << 24) : (1 << 8); }
// The largest contribution: wide enough that a misplaced element is almost never right by chance,
// small enough that many ranks can contribute at every index before stride thinning starts.
constexpr std::int32_t contribution_limit(ElementType type) { return type == ElementType::fp32 ? 1024 : 4; }
constexpr std::uint32_t nan_bits(ElementType type) { return type == ElementType::fp32 ? 0x7fc00000u : 0x7fc0u; }
}  // namespace

std::uint64_t mix64(std::uint64_t x) noexcept {
  // The splitmix64 finaliser: a bijection whose every output bit depends on every input bit.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

std::uint32_t encode(ElementType type, std::int64_t value) noexcept {
  const auto as_float = static_cast<float>(value);
  if (type == ElementType::fp32) return std::bit_cast<std::uint32_t>(as_float);
  return to_bf16(as_float);
}

std::uint32_t load_bits(ElementType type, const std::byte* element) noexcept {
  if (type == ElementType::fp32) {
    std::uint32_t bits;
    std::memcpy(&bits, element, sizeof bits);
    return bits;
  }
  std::uint16_t bits;
  std::memcpy(&bits, element, sizeof bits);
  return bits;
}

Payload::Payload(std::uint64_t seed, ElementType type, int ranks)
    : seed_(seed), type_(type), ranks_(std::max(ranks, 1)), magnitude_(contribution_limit(type)) {
  // At most exact_limit / magnitude ranks contribute at one index, so every partial sum is exact.
  const std::int64_t contributors = exact_limit(type) / magnitude_;
  stride_ = static_cast<int>((ranks_ + contributors - 1) / contributors);
}

std::uint64_t Payload::key(int iteration, int rank) const noexcept {
  return mix64(seed_ ^ mix64(0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(iteration)) ^
               mix64(0xd1b54a32d192ed03ull * (static_cast<std::uint64_t>(rank) + 1)));
}

namespace {
inline std::int32_t draw(std::uint64_t key, std::size_t index, std::int32_t magnitude) noexcept {
  const std::uint64_t h = mix64(key + 0x9e3779b97f4a7c15ull * (index + 1));
  return static_cast<std::int32_t>(h % static_cast<std::uint64_t>(2 * magnitude + 1)) - magnitude;
}
}  // namespace

std::int32_t Payload::value(int iteration, int rank, std::size_t index) const noexcept {
  if (!contributes(rank, index)) return 0;
  return draw(key(iteration, rank), index, magnitude_);
}

std::int64_t Payload::sum(int iteration, std::size_t index) const noexcept {
  std::int64_t total = 0;
  const auto stride = static_cast<std::size_t>(stride_);
  for (auto r = (stride - index % stride) % stride; r < static_cast<std::size_t>(ranks_); r += stride) {
    total += draw(key(iteration, static_cast<int>(r)), index, magnitude_);
  }
  return total;
}

void Payload::fill(std::span<std::byte> out, int iteration, int rank, std::size_t first) const noexcept {
  const std::uint64_t k = key(iteration, rank);
  const std::size_t count = out.size() / element_size();
  auto element = [&](std::size_t i) -> std::int64_t {
    return contributes(rank, first + i) ? draw(k, first + i, magnitude_) : 0;
  };
  if (type_ == ElementType::fp32) {
    for (std::size_t i = 0; i < count; ++i) {
      const auto v = static_cast<float>(element(i));
      std::memcpy(out.data() + 4 * i, &v, 4);
    }
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint16_t v = to_bf16(static_cast<float>(element(i)));
      std::memcpy(out.data() + 2 * i, &v, 2);
    }
  }
}

void Payload::poison(std::span<std::byte> out) const noexcept {
  if (type_ == ElementType::fp32) {
    const std::uint32_t bits = nan_bits(type_);
    for (std::size_t i = 0; i + 4 <= out.size(); i += 4) std::memcpy(out.data() + i, &bits, 4);
  } else {
    const auto bits = static_cast<std::uint16_t>(nan_bits(type_));
    for (std::size_t i = 0; i + 2 <= out.size(); i += 2) std::memcpy(out.data() + i, &bits, 2);
  }
}

}  // namespace scaleout::comm
