#include "runs/cli/lists.hpp"

#include <fmt/format.h>

#include <set>

#include "runs/usage_error.hpp"

namespace scaleout::runs {

std::vector<long long> parse_counts(const std::string& text, const std::string& argument, const CountList& allowed) {
  const auto bad = [&](const std::string& why) {
    return UsageError(fmt::format("{}: '{}' {}; give a list (1,2,8){} of {} from 1 to {}", argument, text, why,
                                  allowed.doubling_range ? " or a doubling range (1:4096)" : "", allowed.of,
                                  allowed.most));
  };
  const auto count = [&](const std::string& item) {
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      throw bad(fmt::format("holds '{}', not a whole number", item));
    }
    if (used != item.size()) throw bad(fmt::format("holds '{}', not a whole number", item));
    if (value < 1 || value > allowed.most) throw bad(fmt::format("holds {}, out of range", value));
    return value;
  };
  std::set<long long> counts;
  if (const auto colon = text.find(':'); colon != std::string::npos && allowed.doubling_range) {
    const long long first = count(text.substr(0, colon)), last = count(text.substr(colon + 1));
    if (last < first) throw bad("ends below its start");
    for (long long n = first; n <= last; n *= 2) counts.insert(n);
  } else {
    std::size_t begin = 0;
    while (begin <= text.size()) {
      const auto comma = std::min(text.find(',', begin), text.size());
      counts.insert(count(text.substr(begin, comma - begin)));
      begin = comma + 1;
    }
  }
  return {counts.begin(), counts.end()};
}

std::vector<int> parse_indices(const std::string& text, const std::string& argument) {
  constexpr long long most = 1 << 30;
  const auto bad = [&](const std::string& why) {
    return UsageError(
        fmt::format("{}: '{}' {}; give indices from 0 to {} separated by commas, each alone or a range "
                    "FIRST-LAST (0-7,12)",
                    argument, text, why, most));
  };
  const auto index = [&](const std::string& item) {
    std::size_t used = 0;
    long long value = -1;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      throw bad(fmt::format("holds '{}', not a whole number", item));
    }
    if (used != item.size() || item.front() == '-' || item.front() == '+') {
      throw bad(fmt::format("holds '{}', not a whole number", item));
    }
    if (value > most) throw bad(fmt::format("holds {}, out of range", value));
    return static_cast<int>(value);
  };
  std::set<int> indices;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const auto comma = std::min(text.find(',', begin), text.size());
    const std::string item = text.substr(begin, comma - begin);
    if (item.empty()) throw bad("holds an empty item");
    const auto dash = item.find_first_of("-:", 1);
    if (dash == std::string::npos) {
      indices.insert(index(item));
    } else {
      const int first = index(item.substr(0, dash)), last = index(item.substr(dash + 1));
      if (last < first) throw bad(fmt::format("holds {}, a range that ends below its start", item));
      // Each index is kept: a range past a million (more ranks or steps than a trace could draw) is refused
      // before it takes memory.
      constexpr int longest = 1 << 20;
      if (last - first >= longest) throw bad(fmt::format("holds {}, a range of more than {} indices", item, longest));
      for (int i = first; i <= last; ++i) indices.insert(i);
    }
    begin = comma + 1;
  }
  return {indices.begin(), indices.end()};
}

}  // namespace scaleout::runs
