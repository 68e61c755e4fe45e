#include "runs/report/format.hpp"

namespace scaleout::runs {

const char* to_string(Format format) {
  switch (format) {
    case Format::text: return "text";
    case Format::markdown: return "markdown";
    case Format::csv: return "csv";
    case Format::json: return "json";
  }
  return "?";
}

std::optional<Format> parse_format(std::string_view text) {
  for (const Format f : {Format::text, Format::markdown, Format::csv, Format::json}) {
    if (text == to_string(f)) return f;
  }
  return std::nullopt;
}

std::string describe(const std::vector<Format>& formats) {
  std::string out;
  for (std::size_t i = 0; i < formats.size(); ++i) {
    out += i == 0 ? "" : i + 1 == formats.size() ? " or " : ", ";
    out += to_string(formats[i]);
  }
  return out;
}

}  // namespace scaleout::runs
