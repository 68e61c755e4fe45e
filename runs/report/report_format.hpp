#pragma once
// Reporters of `scaleout report`: they print a ReportData and never measure.

#include <string>

#include "analysis/scaling_study.hpp"
#include "runs/report/format.hpp"

namespace scaleout::runs {

// What the report prints: the analysis of the runs (with each run's prediction when a calibration
// was given), where they came from and the calibration's path.
struct ReportData : analysis::ScalingStudy {
  std::string source;       // the sweep folder or the list of logs
  std::string calibration;  // the calibration file behind `predicted`, if any
};

// Every format: text, markdown, csv or json.
std::string format_report(const ReportData& data, Format format);

}  // namespace scaleout::runs
