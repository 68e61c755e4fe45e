#pragma once
#include <string>

namespace scaleout::runs {
// "0.1.0 (git abcdef123456)": the tool's version and the revision it was built from.
std::string version();

// Now in UTC, ISO 8601: "2026-11-24T10:00:00Z", as outputs record when they were made.
std::string utc_now();
}  // namespace scaleout::runs
