#pragma once
// Memory the node can still give: what limits how large a payload buffer may be before the kernel's
// OOM killer, rather than the tool, ends the job.

#include <cstdint>
#include <optional>
#include <string>

namespace scaleout::topology {

// MemAvailable from a /proc/meminfo-style text, in bytes; empty when the text has none.
std::optional<std::uint64_t> parse_mem_available(const std::string& meminfo);
// This node's available memory (Linux /proc/meminfo); empty where it cannot be read.
std::optional<std::uint64_t> available_memory_bytes();

}  // namespace scaleout::topology
