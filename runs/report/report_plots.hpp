#pragma once
// `scaleout report --plots DIR`: the report as JSON in DIR, drawn by analysis/plots.py (Python 3 with
// Debian's python3-matplotlib: $SCALEOUT_PYTHON, else python3 on the PATH, else /usr/bin/python3,
// whichever has it first). The script is found through $SCALEOUT_PLOTS_SCRIPT, else in the source
// tree scaleout was built from.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "runs/report/report_format.hpp"

namespace scaleout::runs {

// Why `folder` cannot take the plots (it is a file or a device, or cannot be made or written), or "":
// asked before the report is printed, so that a bad --plots costs no table.
std::string plots_folder_problem(const std::string& folder);

// Writes `json` as DIR/KIND.json and has analysis/plots.py draw KIND's plots from it: the files
// written, that JSON first. UsageError when DIR cannot be made; std::runtime_error, saying how to get
// it, when Python or matplotlib is missing or the script fails.
std::vector<std::string> draw_with_script(const std::string& kind, const nlohmann::json& json,
                                          const std::string& folder);

// The report's plots (draw_with_script of kind "report"). The files written. UsageError when DIR cannot be made;
// std::runtime_error, saying how to get it, when Python or matplotlib is missing or the script fails.
std::vector<std::string> draw_plots(const ReportData& data, const std::string& folder);

}  // namespace scaleout::runs
