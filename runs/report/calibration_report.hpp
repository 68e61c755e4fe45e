#pragma once
// What `scaleout calibrate` prints as it goes: the job it measures on, each collective's fit (residuals
// and the pieces of its cost), and the compute emulation's overhead. The figures come from
// analysis/calibration.hpp.

#include <string>

#include "analysis/calibration.hpp"

namespace scaleout::runs {

// "calibrate: 2 nodes x 4 ranks (hosts), MPI library, transport ..."
std::string calibration_header(const analysis::Calibration& calibration);
// One fit: its progress and collective, residuals over `sizes` sizes, then a line per piece.
std::string fit_text(const analysis::FitKey& key, const analysis::Fit& fit, std::size_t sizes);
std::string compute_overhead_text(const analysis::ComputeOverhead& overhead);

}  // namespace scaleout::runs
