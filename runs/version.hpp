#pragma once
#include <string>

namespace scaleout::runs {
// "0.1.0 (git abcdef123456)": the tool's version and the revision it was built from.
std::string version();
}  // namespace scaleout::runs
