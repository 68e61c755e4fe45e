#include "comm/payload.hpp"

#include <algorithm>
#include <cstring>

namespace scaleout::comm {

namespace {
// Integers up to these magnitudes are exact: 24 significand bits in fp32, 8 in bf16.
constexpr std::int64_t exact_limit(ElementType type) { return type == ElementType::fp32 ? (1 << 24) : (1 << 8); }
// The largest contribution: wide enough that a misplaced element is almost never right by chance,
// small enough that many ranks can contribute at every index before stride thinning starts.
constexpr std::int32_t contribution_limit(ElementType type) { return type == ElementType::fp32 ? 1024 : 4; }
constexpr std::uint32_t nan_bits(ElementType type) { return type == ElementType::fp32 ? 0x7fc00000u : 0x7fc0u; }
constexpr std::uint64_t offset_index = ~0ull;  // B(r) is the rank key's draw at an index no element has
}  // namespace

Payload::Payload(std::uint64_t seed, ElementType type, int ranks)
    : seed_(seed), type_(type), ranks_(std::max(ranks, 1)), quarter_(contribution_limit(type) / 4) {
  // At most exact_limit / magnitude ranks contribute at one index, so every partial sum is exact.
  const std::int64_t contributors = exact_limit(type) / magnitude();
  stride_ = static_cast<int>((ranks_ + contributors - 1) / contributors);
}

std::uint64_t Payload::rank_key(int iteration, int rank) const noexcept {
  return mix64(seed_ ^ mix64(0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(iteration)) ^
               mix64(0xd1b54a32d192ed03ull * (static_cast<std::uint64_t>(rank) + 1)));
}

std::uint64_t Payload::common_key(int iteration) const noexcept { return rank_key(iteration, -1); }

int Payload::next_contributor(int rank) const noexcept {
  // The ranks contributing at an index form one residue class modulo stride; the next one after the
  // last of the class is its first.
  return rank + stride_ < ranks_ ? rank + stride_ : rank % stride_;
}

Payload::Values Payload::values(int iteration, int rank) const noexcept {
  Values v;
  v.common_ = common_key(iteration);
  v.mine_ = rank_key(iteration, rank);
  v.next_ = rank_key(iteration, next_contributor(rank));
  v.offset_ = detail::draw(v.mine_, offset_index, -quarter_, 2 * quarter_);
  v.quarter_ = quarter_;
  v.rank_ = static_cast<std::size_t>(rank);
  v.stride_ = static_cast<std::size_t>(stride_);
  return v;
}

std::int32_t Payload::value(int iteration, int rank, std::size_t index) const noexcept {
  return values(iteration, rank)(index);
}

Payload::Sums Payload::sums(int iteration) const {
  Sums sums;
  sums.common_key_ = common_key(iteration);
  sums.quarter_ = quarter_;
  sums.contributors_.assign(static_cast<std::size_t>(stride_), 0);
  sums.offsets_.assign(static_cast<std::size_t>(stride_), 0);
  for (int r = 0; r < ranks_; ++r) {
    const auto residue = static_cast<std::size_t>(r % stride_);
    sums.contributors_[residue] += 1;
    sums.offsets_[residue] += detail::draw(rank_key(iteration, r), offset_index, -quarter_, 2 * quarter_);
  }
  return sums;
}

void Payload::fill(std::span<std::byte> out, int iteration, int rank, std::size_t first) const noexcept {
  const Values source = values(iteration, rank);
  const std::size_t count = out.size() / element_size();
  if (type_ == ElementType::fp32) {
    for (std::size_t i = 0; i < count; ++i) {
      const auto v = static_cast<float>(source(first + i));
      std::memcpy(out.data() + 4 * i, &v, 4);
    }
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint16_t v = to_bf16(static_cast<float>(source(first + i)));
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
