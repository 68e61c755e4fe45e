#include "runs/printable.hpp"

#include <fmt/format.h>

namespace scaleout::runs {

namespace {

// Characters that print as nothing yet act: U+2028 and U+2029 end a line in many terminals and
// viewers (splitting one message in two), the bidirectional controls (U+202E) reorder what follows,
// and the zero-width ones hide text.
bool invisible(unsigned code) {
  return (code >= 0x200b && code <= 0x200f) || (code >= 0x2028 && code <= 0x202e) ||
         (code >= 0x2060 && code <= 0x2069) || code == 0xfeff;
}

// The length of the valid UTF-8 sequence of a printable character at `text[i]`, or 0.
std::size_t printable_sequence(std::string_view text, std::size_t i) {
  const auto byte = static_cast<unsigned char>(text[i]);
  if (byte >= 0x20 && byte < 0x7f) return 1;
  std::size_t length = 0;
  unsigned minimum = 0;
  unsigned code = 0;
  if ((byte & 0xe0) == 0xc0)
    length = 2, minimum = 0x80, code = byte & 0x1fu;
  else if ((byte & 0xf0) == 0xe0)
    length = 3, minimum = 0x800, code = byte & 0x0fu;
  else if ((byte & 0xf8) == 0xf0)
    length = 4, minimum = 0x10000, code = byte & 0x07u;
  else
    return 0;  // control characters, DEL, stray continuation bytes, invalid leads
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3fu);
  }
  const bool valid = code >= minimum && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) && code >= 0xa0;
  return valid && !invisible(code) ? length : 0;
}

}  // namespace

std::string printable(std::string_view text, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (out.size() >= limit) return out + "...";
    if (const std::size_t length = printable_sequence(text, i); length > 0) {
      out.append(text.substr(i, length));
      i += length;
    } else if (text[i] == '\n') {
      out += "\\n";
      ++i;
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
      ++i;
    }
  }
  return out;
}

}  // namespace scaleout::runs
