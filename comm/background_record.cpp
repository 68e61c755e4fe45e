#include "comm/background_record.hpp"

#include <array>
#include <utility>

namespace scaleout::comm {

namespace {

constexpr std::array<std::pair<BackgroundPattern, const char*>, 4> names = {{
    {BackgroundPattern::incast, "incast"},
    {BackgroundPattern::alltoall, "alltoall"},
    {BackgroundPattern::bisection, "bisection"},
    {BackgroundPattern::allreduce, "allreduce"},
}};

}  // namespace

const char* to_string(BackgroundPattern pattern) noexcept {
  for (const auto& [value, name] : names) {
    if (value == pattern) return name;
  }
  return "?";
}

std::optional<BackgroundPattern> background_pattern(std::string_view name) noexcept {
  for (const auto& [value, known] : names) {
    if (name == known) return value;
  }
  return std::nullopt;
}

const char* background_patterns() noexcept {
  // Made once from the table, so that the message never lists another set of names than it reads.
  static const std::string joined = [] {
    std::string text;
    for (const auto& entry : names) text += (text.empty() ? "" : ", ") + std::string(entry.second);
    return text;
  }();
  return joined.c_str();
}

std::vector<std::string> background_pattern_names() {
  std::vector<std::string> all;
  all.reserve(names.size());
  for (const auto& entry : names) all.emplace_back(entry.second);
  return all;
}

int bisection_partner(int me, int n) noexcept {
  if (n < 2 || me < 0 || me >= n) return -1;
  const int paired = n - n % 2;  // an odd team's last rank rests
  if (me >= paired) return -1;
  return (me + paired / 2) % paired;
}

}  // namespace scaleout::comm
