#include "runs/version.hpp"

#include <chrono>
#include <ctime>

namespace scaleout::runs {

std::string version() { return std::string(SCALEOUT_VERSION) + " (git " + SCALEOUT_GIT_REVISION + ")"; }

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace scaleout::runs
