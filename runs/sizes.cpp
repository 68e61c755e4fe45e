#include "runs/sizes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>

#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

constexpr std::string_view allowed_size =
    "a whole number of bytes with an optional binary unit K, M, G or T (for example 4096, 64K, 16M)";

[[noreturn]] void bad(std::string_view argument, std::string_view text, std::string_view why) {
  throw UsageError(fmt::format("{}: '{}' {}", argument, text, why));
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

int unit_shift(std::string_view unit) {
  std::string lower;
  for (const char c : unit) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower.empty() || lower == "b") return 0;
  static constexpr std::string_view prefixes = "kmgt";
  const auto position = prefixes.find(lower.front());
  if (position == std::string_view::npos) return -1;
  const std::string_view rest = std::string_view(lower).substr(1);
  if (!rest.empty() && rest != "b" && rest != "ib") return -1;
  return 10 * static_cast<int>(position + 1);
}

}  // namespace

std::uint64_t parse_bytes(std::string_view raw, std::string_view argument) {
  const std::string_view text = trim(raw);
  if (text.empty()) bad(argument, raw, fmt::format("is empty; expected {}", allowed_size));
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error == std::errc::result_out_of_range) bad(argument, raw, "is too large");
  if (error != std::errc() || end == text.data()) bad(argument, raw, fmt::format("is not {}", allowed_size));
  const int shift = unit_shift(std::string_view(end, static_cast<std::size_t>(text.data() + text.size() - end)));
  if (shift < 0) bad(argument, raw, fmt::format("has an unknown unit; expected {}", allowed_size));
  if (number > (std::numeric_limits<std::uint64_t>::max() >> shift)) bad(argument, raw, "is too large");
  const std::uint64_t bytes = number << shift;
  if (bytes == 0) bad(argument, raw, "is zero; sizes must be at least 1 byte");
  return bytes;
}

std::vector<std::uint64_t> parse_sizes(std::string_view raw, std::string_view argument) {
  const std::string_view text = trim(raw);
  if (text.empty()) {
    bad(argument, raw, "is empty; expected a size, a list (64K,1M,16M) or a range MIN:MAX[:FACTOR] (4K:64M:2)");
  }
  std::vector<std::uint64_t> sizes;
  if (text.find(':') == std::string_view::npos) {
    for (std::size_t begin = 0; begin <= text.size();) {
      const std::size_t comma = std::min(text.find(',', begin), text.size());
      sizes.push_back(parse_bytes(text.substr(begin, comma - begin), argument));
      begin = comma + 1;
    }
    return sizes;
  }

  std::vector<std::string_view> parts;
  for (std::size_t begin = 0; begin <= text.size();) {
    const std::size_t colon = std::min(text.find(':', begin), text.size());
    parts.push_back(text.substr(begin, colon - begin));
    begin = colon + 1;
  }
  if (parts.size() > 3 || text.find(',') != std::string_view::npos) {
    bad(argument, raw, "is not a range MIN:MAX[:FACTOR] such as 4K:64M:2 (a list takes commas and no colons)");
  }
  const std::uint64_t min = parse_bytes(parts[0], argument);
  const std::uint64_t max = parse_bytes(parts[1], argument);
  if (min > max) bad(argument, raw, fmt::format("has its minimum {} above its maximum {}", parts[0], parts[1]));
  std::uint64_t factor = 2;
  if (parts.size() == 3) {
    const std::string_view f = trim(parts[2]);
    const auto [end, error] = std::from_chars(f.data(), f.data() + f.size(), factor);
    if (error != std::errc() || end != f.data() + f.size() || factor < 2) {
      bad(argument, raw, fmt::format("has factor '{}'; the factor must be a whole number of at least 2", parts[2]));
    }
  }
  for (std::uint64_t size = min; size <= max; size *= factor) {
    sizes.push_back(size);
    if (size > max / factor) break;  // the next one would pass max (or overflow)
  }
  return sizes;
}

std::optional<double> parse_bit_rate(std::string_view text) {
  double number = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || !std::isfinite(number) || number <= 0.0) return std::nullopt;
  std::string unit(end, text.data() + text.size());
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::map<std::string, double> units = {{"", 1.0},     {"bit", 1.0},  {"kbit", 1e3},
                                                      {"mbit", 1e6}, {"gbit", 1e9}, {"tbit", 1e12}};
  const auto found = units.find(unit);
  if (found == units.end()) return std::nullopt;
  return number * found->second;
}

double parse_rate_bytes(std::string_view text, std::string_view argument) {
  const auto bits = parse_bit_rate(text);
  if (!bits) {
    throw UsageError(fmt::format("{}: '{}' is not a rate; use for example 100gbit, 25gbit or 200mbit", argument, text));
  }
  return *bits / 8.0;
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr std::string_view units[] = {"", "K", "M", "G", "T"};
  int unit = 0;
  while (unit < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return fmt::format("{}{}", bytes, units[unit]);
}

std::string format_count(double count) {
  static constexpr std::string_view units[] = {"", "K", "M", "B", "T"};
  int unit = 0;
  while (unit < 4 && count >= 999.5) {
    count /= 1000;
    ++unit;
  }
  const int decimals = unit == 0 || count >= 99.95 ? 0 : count >= 9.995 ? 1 : 2;
  return fmt::format("{:.{}f}{}", count, decimals, units[unit]);
}

}  // namespace scaleout::runs
