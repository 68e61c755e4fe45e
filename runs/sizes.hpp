#pragma once
// Message sizes on the command line: "64K", "4K:64M:2" (from 4 KiB to 64 MiB, each twice the last),
// "64K,1M,16M". Units are binary: K = 1024 bytes, M, G, T; a trailing "B" or "iB" is allowed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scaleout::runs {

// One size in bytes; throws UsageError naming `argument` when the text is not one.
std::uint64_t parse_bytes(std::string_view text, std::string_view argument);
// A list or a geometric range; sizes come back ascending as written (a range) or in list order.
std::vector<std::uint64_t> parse_sizes(std::string_view text, std::string_view argument);
// The rate in bits per second of "100gbit", "25Gbit", "200mbit", "500kbit" or "1000000" (as tc writes
// rates, decimal units); nullopt when it is none of those.
std::optional<double> parse_bit_rate(std::string_view text);
// A link's rate in bytes per second; throws UsageError naming `argument` when the text is not one.
double parse_rate_bytes(std::string_view text, std::string_view argument);
// Bytes in the shortest exact binary form: 4096 -> "4K", 1536 -> "1536", 1048576 -> "1M".
std::string format_bytes(std::uint64_t bytes);
// A count with three significant digits and a suffix: 950, 125M, 6.74B, 1.23T.
std::string format_count(double count);

}  // namespace scaleout::runs
