#pragma once
// A calibration: what `scaleout calibrate` measured on a cluster and the alpha-beta fits made from it
// (cost_model.hpp), with their residuals and the cluster they came from. Stored as JSON; the
// analytical executor reads it. docs/predict.md describes the file.

#include <compare>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "analysis/cost_model.hpp"

namespace scaleout::analysis {

// One measured size: S in bytes, the median iteration time, and what the fit gives there.
struct FitPoint {
  double bytes = 0, seconds = 0, fitted = 0;
};

struct Fit {
  int ranks = 0;  // the group the benchmark ran on
  PiecewiseCost cost;
  double rms_residual = 0;  // root mean square of (fitted - measured) / measured over the sizes
  double max_residual = 0;  // the largest |fitted - measured| / measured
  std::vector<FitPoint> points;
};

// One hop of scaleout's own algorithms from a send/recv fit's measurements (cost_model.hpp): the
// latency of the smallest size and the bandwidth of the largest, every size held to the least time
// of the sizes from it up.
AlphaBeta hop_of(const Fit& sendrecv);

// Least squares over message sizes of t = steps alpha + volume S beta (the collective's terms on
// `ranks` ranks), minimising relative residuals so that small messages weigh as much as large ones;
// alpha and beta are kept non-negative. Up to three pieces, each of two sizes or more, split where
// the sizes change regime: a piece is added only when it cuts the RMS residual by 25 % or more and
// the residual was above 3 %. `measured`: (S, seconds) pairs, at least two sizes.
Fit fit_collective(Collective collective, int ranks, const std::vector<std::pair<double, double>>& measured);

// The compute emulation's overhead: a span asked for r seconds lasts per_span + (1 + relative) r.
struct ComputeOverhead {
  std::string mode = "sleep";
  double per_span = 0, relative = 0;
  double rms_residual = 0, max_residual = 0;
  std::vector<FitPoint> points;  // bytes holds the requested seconds
};
ComputeOverhead fit_compute_overhead(const std::string& mode, const std::vector<std::pair<double, double>>& measured);

struct FitKey {
  Tier tier = Tier::intra;
  Collective collective = Collective::allreduce;
  Progress progress = Progress::blocking;
  auto operator<=>(const FitKey&) const = default;
};

struct Calibration {
  static constexpr int format_version = 1;
  std::string created, tool_version, mpi_library, transport, hostnames;
  int nodes = 1, ranks_per_node = 1;
  std::map<FitKey, Fit> fits;
  ComputeOverhead compute;

  CostModel cost_model() const;
};

// A calibration file that cannot be read or is not one.
class CalibrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string to_json(const Calibration& calibration);
// Throws CalibrationError naming `source` and the field at fault.
Calibration calibration_from_json(const std::string& text, const std::string& source);

}  // namespace scaleout::analysis
