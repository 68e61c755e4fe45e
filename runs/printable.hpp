#pragma once
// Text from users and files as one line of printable UTF-8, wherever scaleout prints it: messages
// quote what users gave (a binary file, invalid UTF-8, a hostname with a bidirectional control), and a
// control character, a line separator or a reordering mark would split, hide or disguise the line.

#include <cstddef>
#include <string>
#include <string_view>

namespace scaleout::runs {

// `text` as one line of printable UTF-8 of at most about `limit` bytes: control characters, invalid
// UTF-8, and invisible format characters (U+2028, U+202E, zero widths) escaped byte by byte (\x00,
// \xe2\x80\xa8), newlines as \n, the rest cut with "...".
std::string printable(std::string_view text, std::size_t limit = 2000);

}  // namespace scaleout::runs
