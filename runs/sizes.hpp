#pragma once
// Message sizes on the command line: "64K", "4K:64M:2" (from 4 KiB to 64 MiB, each twice the last),
// "64K,1M,16M". Units are binary: K = 1024 bytes, M, G, T; a trailing "B" or "iB" is allowed.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scaleout::runs {

// One size in bytes; throws UsageError naming `argument` when the text is not one.
std::uint64_t parse_bytes(std::string_view text, std::string_view argument);
// A list or a geometric range; sizes come back ascending as written (a range) or in list order.
std::vector<std::uint64_t> parse_sizes(std::string_view text, std::string_view argument);
// Bytes in the shortest exact binary form: 4096 -> "4K", 1536 -> "1536", 1048576 -> "1M".
std::string format_bytes(std::uint64_t bytes);
// A count with three significant digits and a suffix: 950, 125M, 6.74B, 1.23T.
std::string format_count(double count);

}  // namespace scaleout::runs
