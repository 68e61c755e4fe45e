#include "comm/buffer.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace scaleout::comm {

namespace {
constexpr std::size_t page = 4096;
}

Buffer::Buffer(std::size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  const std::size_t rounded = (bytes + page - 1) / page * page;  // aligned_alloc wants a multiple
  auto* memory = static_cast<std::byte*>(std::aligned_alloc(page, rounded));
  if (memory == nullptr) throw std::bad_alloc();
  std::memset(memory, 0, rounded);
  storage_.reset(memory);
}

void Buffer::Free::operator()(std::byte* memory) const noexcept { std::free(memory); }

}  // namespace scaleout::comm
