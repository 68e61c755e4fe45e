#include "runs/version.hpp"

namespace scaleout::runs {
std::string version() { return std::string(SCALEOUT_VERSION) + " (git " + SCALEOUT_GIT_REVISION + ")"; }
}  // namespace scaleout::runs
