#pragma once
// Synthetic payloads: every element is a deterministic function of (seed, iteration, rank, index), so
// every rank can compute the exact expected result of every collective locally and count the wrong
// elements.
//
// What rank r holds at index i (when it contributes there) is
//     A(i) + B(r) + H(r, i) - H(next(r), i)
// with A common to all ranks, B one offset per rank and H pseudo-random per (rank, index); next(r) is
// the next rank contributing at the same indices, cyclically. Every element therefore looks random,
// yet over the contributing ranks the H terms cancel: the exact sum is count * A(i) + sum of B, O(1) per
// element once the per-rank offsets are summed. That keeps --check affordable on thousands of ranks.
//
// Exactness: values are integers of magnitude at most magnitude(), and at most
// exact_limit / magnitude ranks contribute at any one index (on larger jobs the others hold 0 there,
// in a pattern that rotates with the index), so every partial sum is an integer the element type
// holds exactly (2^24 in fp32, 2^8 in bf16), whatever order the MPI library adds in.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "comm/element_type.hpp"

namespace scaleout::comm {

class Payload {
 public:
  Payload(std::uint64_t seed, ElementType type, int ranks);

  ElementType type() const noexcept { return type_; }
  std::size_t element_size() const noexcept { return size_of(type_); }
  std::int32_t magnitude() const noexcept { return 4 * quarter_; }
  // Ranks contributing at an index are those with (rank + index) % stride() == 0.
  int stride() const noexcept { return stride_; }

  // What `rank` holds at element `index` of `iteration` (makes the rank's keys each call; use
  // values() for many indices).
  std::int32_t value(int iteration, int rank, std::size_t index) const noexcept;

  // What one rank holds in one iteration: its keys made once, then O(1) per index.
  class Values {
   public:
    std::int32_t operator()(std::size_t index) const noexcept;

   private:
    friend class Payload;
    std::uint64_t common_ = 0, mine_ = 0, next_ = 0;
    std::int32_t offset_ = 0, quarter_ = 0;
    std::size_t rank_ = 0, stride_ = 1;
  };
  Values values(int iteration, int rank) const noexcept;

  // The exact sums over all ranks of one iteration: made in O(ranks), then O(1) per index.
  class Sums {
   public:
    std::int64_t operator()(std::size_t index) const noexcept;

   private:
    friend class Payload;
    std::uint64_t common_key_ = 0;
    std::int32_t quarter_ = 0;
    std::vector<std::int64_t> contributors_;  // per residue class of the ranks modulo stride
    std::vector<std::int64_t> offsets_;       // sum of B over each class
  };
  Sums sums(int iteration) const;

  // Element i of `out` gets value(iteration, rank, first + i).
  void fill(std::span<std::byte> out, int iteration, int rank, std::size_t first) const noexcept;
  // Every element gets NaN, which no operation on payload values yields: a receive that never
  // happened shows up as wrong elements.
  void poison(std::span<std::byte> out) const noexcept;

  // The number of elements i of `data` that differ from expected(i), an integer of the payload range.
  template <class Expected>
  std::size_t count_wrong(std::span<const std::byte> data, Expected&& expected) const noexcept;

 private:
  std::uint64_t rank_key(int iteration, int rank) const noexcept;
  std::uint64_t common_key(int iteration) const noexcept;
  int next_contributor(int rank) const noexcept;
  bool contributes(int rank, std::size_t index) const noexcept {
    return (static_cast<std::size_t>(rank) + index) % static_cast<std::size_t>(stride_) == 0;
  }

  std::uint64_t seed_;
  ElementType type_;
  int ranks_;
  std::int32_t quarter_;  // A and B lie in [-quarter, quarter], H in [0, 2 quarter]
  int stride_;
};

// Inline below: they run per element when --check fills and verifies, inside the timed pass.

inline std::uint64_t mix64(std::uint64_t x) noexcept {
  // The splitmix64 finaliser: a bijection whose every output bit depends on every input bit.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// The bit pattern of `value` (an exactly representable integer) in the element type.
inline std::uint32_t encode(ElementType type, std::int64_t value) noexcept {
  const auto as_float = static_cast<float>(value);
  if (type == ElementType::fp32) return std::bit_cast<std::uint32_t>(as_float);
  return to_bf16(as_float);
}

inline std::uint32_t load_bits(ElementType type, const std::byte* element) noexcept {
  if (type == ElementType::fp32) {
    std::uint32_t bits;
    std::memcpy(&bits, element, sizeof bits);
    return bits;
  }
  std::uint16_t bits;
  std::memcpy(&bits, element, sizeof bits);
  return bits;
}

namespace detail {
// A value in [low, low + span] drawn from (key, index). The high 32 bits scaled to the range rather
// than a modulo: no division per element.
inline std::int32_t draw(std::uint64_t key, std::uint64_t index, std::int32_t low, std::int32_t span) noexcept {
  const std::uint64_t h = mix64(key + 0x9e3779b97f4a7c15ull * (index + 1));
  return low + static_cast<std::int32_t>(((h >> 32) * static_cast<std::uint64_t>(span + 1)) >> 32);
}
}  // namespace detail

inline std::int32_t Payload::Values::operator()(std::size_t index) const noexcept {
  if (stride_ != 1 && (rank_ + index) % stride_ != 0) return 0;
  return detail::draw(common_, index, -quarter_, 2 * quarter_) + offset_ + detail::draw(mine_, index, 0, 2 * quarter_) -
         detail::draw(next_, index, 0, 2 * quarter_);
}

inline std::int64_t Payload::Sums::operator()(std::size_t index) const noexcept {
  const std::size_t stride = contributors_.size();
  // The class with (r + index) % stride == 0.
  const std::size_t residue = stride == 1 ? 0 : (stride - index % stride) % stride;
  return contributors_[residue] * detail::draw(common_key_, index, -quarter_, 2 * quarter_) + offsets_[residue];
}

template <class Expected>
std::size_t Payload::count_wrong(std::span<const std::byte> data, Expected&& expected) const noexcept {
  const std::size_t size = element_size();
  const std::size_t count = data.size() / size;
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (load_bits(type_, data.data() + i * size) != encode(type_, expected(i))) ++wrong;
  }
  return wrong;
}

}  // namespace scaleout::comm
