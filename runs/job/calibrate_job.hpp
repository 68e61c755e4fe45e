#pragma once
// `scaleout calibrate`'s job (under mpirun or srun): measures the collectives inside each node and
// across nodes, and the compute emulation's overhead, fits the cost model (analysis/calibration.hpp)
// and writes the calibration file that `predict` and `report --calibration` read. docs/predict.md.

#include <string>

namespace scaleout::runs {

struct CalibrateRequest {
  std::string output = "calibration.json";
  bool overwrite = false;
  std::string sizes = "4K:64M:4";
  int iterations = 10;
  int warmup = 2;
  std::string dtype = "bf16";
  std::string compute = "sleep";
};

int run_calibrate(const CalibrateRequest& request, int& argc, char**& argv);

}  // namespace scaleout::runs
