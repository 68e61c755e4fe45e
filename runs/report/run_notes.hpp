#pragma once
// What a report says of a run beyond its figures: that it did not complete (its rows are the steps it
// measured), that its steps ran under background traffic, or that its log is too old to carry checksums. One list for
// the training and the serving report, in every format.

#include <string>
#include <vector>

#include "analysis/scaling.hpp"

namespace scaleout::runs {

// The notes on the run of `path`, each one line of printable text naming the file; none for a
// complete, checksummed log.
std::vector<std::string> run_notes(const std::string& path, const analysis::LogState& log);

// Every note of the runs, as lines "note: ..." (with `bullet` before each in markdown).
std::string notes_text(const std::vector<std::vector<std::string>>& notes, const std::string& bullet);

}  // namespace scaleout::runs
