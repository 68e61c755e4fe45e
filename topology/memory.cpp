#include "topology/memory.hpp"

#include <fstream>
#include <sstream>

namespace scaleout::topology {

std::optional<std::uint64_t> parse_mem_available(const std::string& meminfo) {
  std::istringstream lines(meminfo);
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    if (fields >> key >> kib >> unit && key == "MemAvailable:" && unit == "kB") return kib * 1024;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return parse_mem_available(text.str());
}

}  // namespace scaleout::topology
