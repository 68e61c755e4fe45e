#include "topology/switch_tree.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <map>

namespace scaleout::topology {

namespace {

// Splits at commas outside brackets.
std::vector<std::string_view> top_level_items(std::string_view list) {
  std::vector<std::string_view> items;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t k = 0; k < list.size(); ++k) {
    if (list[k] == '[') ++depth;
    if (list[k] == ']') --depth;
    if (depth < 0) throw SwitchTreeError(fmt::format("'{}': a ']' without its '['", list));
    if (list[k] == ',' && depth == 0) {
      items.push_back(list.substr(start, k - start));
      start = k + 1;
    }
  }
  if (depth != 0) throw SwitchTreeError(fmt::format("'{}': a '[' without its ']'", list));
  items.push_back(list.substr(start));
  return items;
}

long number(std::string_view digits, std::string_view item) {
  long value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
    throw SwitchTreeError(fmt::format("'{}': '{}' is not a number", item, digits));
  }
  return value;
}

// One item: a name, or prefix[ranges]suffix, the suffix itself an item (node[1-2]-ib[0-1]).
void expand_item(std::string_view item, std::vector<std::string>& out) {
  const std::size_t open = item.find('[');
  if (open == std::string_view::npos) {
    if (!item.empty()) out.emplace_back(item);
    return;
  }
  const std::size_t close = item.find(']', open);
  if (close == std::string_view::npos) throw SwitchTreeError(fmt::format("'{}': a '[' without its ']'", item));
  const std::string_view prefix = item.substr(0, open), ranges = item.substr(open + 1, close - open - 1);
  std::vector<std::string> rest;
  expand_item(item.substr(close + 1), rest);
  if (rest.empty()) rest.emplace_back();
  std::size_t from = 0;
  while (from <= ranges.size()) {
    const std::size_t comma = std::min(ranges.find(',', from), ranges.size());
    const std::string_view range = ranges.substr(from, comma - from);
    const std::size_t dash = range.find('-');
    const std::string_view first = range.substr(0, dash);
    const std::string_view last = dash == std::string_view::npos ? first : range.substr(dash + 1);
    const long low = number(first, item), high = number(last, item);
    if (high < low || high - low > 1'000'000) {
      throw SwitchTreeError(fmt::format("'{}': '{}' is not a range from low to high", item, range));
    }
    const int width = static_cast<int>(first.size());
    for (long k = low; k <= high; ++k) {
      for (const auto& suffix : rest) out.push_back(fmt::format("{}{:0{}}{}", prefix, k, width, suffix));
    }
    from = comma + 1;
  }
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
  return text;
}

}  // namespace

std::vector<std::string> expand_hostlist(std::string_view list) {
  std::vector<std::string> hosts;
  for (const std::string_view item : top_level_items(trimmed(list))) expand_item(trimmed(item), hosts);
  return hosts;
}

int SwitchTree::leaf_of(std::string_view host) const {
  for (std::size_t k = 0; k < switches.size(); ++k) {
    const auto& nodes = switches[k].nodes;
    if (std::find(nodes.begin(), nodes.end(), host) != nodes.end()) return static_cast<int>(k);
  }
  return -1;
}

SwitchTree parse_topology_conf(std::string_view text) {
  SwitchTree tree;
  std::map<std::string, int> line_of;
  int line_number = 0;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    line = trimmed(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const auto fail = [&](const std::string& what) {
      throw SwitchTreeError(fmt::format("line {}: {}", line_number, what));
    };
    Switch entry;
    bool named = false;
    for (std::size_t at = 0; at < line.size();) {
      const std::size_t space = std::min(line.find_first_of(" \t", at), line.size());
      const std::string_view field = line.substr(at, space - at);
      at = line.find_first_not_of(" \t", space);
      if (at == std::string_view::npos) at = line.size();
      const std::size_t equals = field.find('=');
      if (equals == std::string_view::npos) fail(fmt::format("'{}' is not KEY=VALUE", field));
      std::string key(field.substr(0, equals));
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
      const std::string_view value = field.substr(equals + 1);
      try {
        if (key == "switchname") {
          entry.name = value;
          named = !value.empty();
        } else if (key == "nodes") {
          entry.nodes = expand_hostlist(value);
        } else if (key == "switches") {
          entry.switches = expand_hostlist(value);
        }
      } catch (const SwitchTreeError& error) {
        fail(fmt::format("{}: {}", key, error.what()));
      }
    }
    if (!named) fail("no SwitchName=");
    if (!line_of.emplace(entry.name, line_number).second) {
      fail(fmt::format("switch '{}' is named again (first on line {})", entry.name, line_of[entry.name]));
    }
    tree.switches.push_back(std::move(entry));
  }
  for (const Switch& parent : tree.switches) {
    for (const std::string& child : parent.switches) {
      if (!line_of.contains(child)) {
        throw SwitchTreeError(fmt::format("line {}: switch '{}' names switch '{}', which no line defines",
                                          line_of[parent.name], parent.name, child));
      }
    }
  }
  return tree;
}

std::string slurm_topology_conf() {
  const char* conf = std::getenv("SLURM_CONF");
  const std::filesystem::path path = conf != nullptr && *conf != '\0'
                                         ? std::filesystem::path(conf).parent_path() / "topology.conf"
                                         : std::filesystem::path("/etc/slurm/topology.conf");
  std::error_code error;
  return std::filesystem::is_regular_file(path, error) ? path.string() : "";
}

}  // namespace scaleout::topology
