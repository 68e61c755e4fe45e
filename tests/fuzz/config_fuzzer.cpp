// libFuzzer target over the config parser and validator: any bytes as a config file, then the layout
// fitted to a few world sizes. Everything a user can write must end in a UsageError (exit 2, one
// message) or a valid config; any other exception, a crash, a sanitizer report, a timeout or an
// out-of-memory is a finding. Built with -DSCALEOUT_FUZZ=ON and clang (docs/reliability.md).
#include <cstddef>
#include <cstdint>
#include <string>

#include "runs/config/options.hpp"
#include "runs/config/run_config.hpp"
#include "runs/usage_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace scaleout::runs;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const RunConfig config = resolve(Settings::from_yaml(text, "fuzz.yaml"));
    for (const int world : {1, 4, 6, 64}) {
      try {
        RunConfig fitted = config;
        fit_to_world(fitted, world);
      } catch (const UsageError&) {
      }
    }
  } catch (const UsageError&) {
  }
  return 0;
}
