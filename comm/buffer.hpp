#pragma once
// A payload buffer: page-aligned, and touched once when allocated so that page faults land in the
// set-up, never in a timed region.

#include <cstddef>
#include <memory>
#include <span>

namespace scaleout::comm {

class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::size_t bytes);

  std::byte* data() noexcept { return storage_.get(); }
  const std::byte* data() const noexcept { return storage_.get(); }
  std::size_t size() const noexcept { return size_; }
  std::span<std::byte> bytes() noexcept { return {data(), size_}; }
  std::span<const std::byte> bytes() const noexcept { return {data(), size_}; }

 private:
  struct Free {
    void operator()(std::byte* memory) const noexcept;
  };
  std::unique_ptr<std::byte, Free> storage_;
  std::size_t size_ = 0;
};

}  // namespace scaleout::comm
