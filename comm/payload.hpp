#pragma once
// Synthetic payloads: every element is a deterministic function of (seed, iteration, rank, index), so
// every rank can compute the exact expected result of every collective locally and count the wrong
// elements. Values are small integers, and ranks whose contribution would push a partial sum beyond
// the range an element type holds exactly contribute zero at that index; sums are therefore exact in
// fp32 and bf16 whatever order the MPI library reduces in.

#include <cstddef>
#include <cstdint>
#include <span>

#include "comm/element_type.hpp"

namespace scaleout::comm {

class Payload {
 public:
  Payload(std::uint64_t seed, ElementType type, int ranks);

  ElementType type() const noexcept { return type_; }
  std::size_t element_size() const noexcept { return size_of(type_); }
  // Largest magnitude of one contribution, and the spacing of the ranks contributing at an index.
  std::int32_t magnitude() const noexcept { return magnitude_; }
  int stride() const noexcept { return stride_; }

  // What `rank` holds at element `index` of `iteration`.
  std::int32_t value(int iteration, int rank, std::size_t index) const noexcept;
  // The exact sum over all ranks of value(iteration, r, index).
  std::int64_t sum(int iteration, std::size_t index) const noexcept;

  // Element i of `out` gets value(iteration, rank, first + i).
  void fill(std::span<std::byte> out, int iteration, int rank, std::size_t first) const noexcept;
  // Every element gets NaN, which no operation on payload values yields: a receive that never
  // happened shows up as wrong elements.
  void poison(std::span<std::byte> out) const noexcept;

  // The number of elements i of `data` that differ from expected(i), an integer of the payload range.
  template <class Expected>
  std::size_t count_wrong(std::span<const std::byte> data, Expected&& expected) const noexcept;

 private:
  std::uint64_t key(int iteration, int rank) const noexcept;
  bool contributes(int rank, std::size_t index) const noexcept {
    return (static_cast<std::size_t>(rank) + index) % static_cast<std::size_t>(stride_) == 0;
  }

  std::uint64_t seed_;
  ElementType type_;
  int ranks_;
  std::int32_t magnitude_;
  int stride_;
};

std::uint64_t mix64(std::uint64_t x) noexcept;
// The bit pattern of `value` (an exactly representable integer) in the element type.
std::uint32_t encode(ElementType type, std::int64_t value) noexcept;
std::uint32_t load_bits(ElementType type, const std::byte* element) noexcept;

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
