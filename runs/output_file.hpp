#pragma once
// Output files: checked before any work, written whole or not at all.

#include <string>

namespace scaleout::runs {

// Empty when `path` can be written (its folder exists and is writable, and it is not a folder);
// otherwise why not, in words.
std::string unwritable_reason(const std::string& path);

// Writes `text` to `path` through a temporary file in the same folder renamed over it.
// Throws std::runtime_error with the reason.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace scaleout::runs
