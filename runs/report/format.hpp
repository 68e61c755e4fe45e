#pragma once
// The one vocabulary of output formats every subcommand that prints takes (--format): text for
// people, markdown for reports, csv for spreadsheets and json for programs. Each command prints those
// of them it can and refuses the others (exit 2, naming what it allows).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scaleout::runs {

enum class Format { text, markdown, csv, json };

const char* to_string(Format format);
std::optional<Format> parse_format(std::string_view text);
// "text, markdown or json"
std::string describe(const std::vector<Format>& formats);

}  // namespace scaleout::runs
