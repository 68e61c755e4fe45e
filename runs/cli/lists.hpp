#pragma once
// Counts on the command line, the one parser of every list a subcommand takes (--nodes, --tp,
// --output-tokens): whole numbers separated by commas (1,2,8) or, where allowed, a doubling range
// (1:4096 is 1, 2, 4, ..., 4096). Message sizes have their own units (runs/sizes.hpp).

#include <string>
#include <vector>

namespace scaleout::runs {

struct CountList {
  long long most = 1 << 20;     // the largest count allowed (the least is 1)
  bool doubling_range = false;  // FIRST:LAST allowed
  const char* of = "counts";    // what the counts are, for the message ("node counts")
};

// Ascending, without repeats. UsageError naming `argument`, the text and what is allowed.
std::vector<long long> parse_counts(const std::string& text, const std::string& argument, const CountList& allowed);

// Indices (ranks, steps): whole numbers from 0 separated by commas, each alone or a range of every index
// from one to another, written FIRST-LAST or FIRST:LAST (0-7,12). Ascending, without repeats; UsageError
// naming `argument` and the text otherwise.
std::vector<int> parse_indices(const std::string& text, const std::string& argument);

}  // namespace scaleout::runs
