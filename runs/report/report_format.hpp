#pragma once
// Reporters of `scaleout report`: they print a ReportData and never measure.

#include <string>

#include "runs/cli/report_command.hpp"

namespace scaleout::runs {

// format: text, markdown, csv or json.
std::string format_report(const ReportData& data, const std::string& format);

}  // namespace scaleout::runs
