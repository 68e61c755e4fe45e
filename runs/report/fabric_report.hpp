#pragma once
// What `scaleout fabric` prints (docs/fabric.md): text for people, JSON for programs and prologs. The
// text: what was measured, the statistics the verdicts rest on, a row per participant, what is named
// and why, and the hosts to drain. It computes nothing: the figures come from analysis/fabric_study.hpp.

#include <string>

#include "analysis/fabric_study.hpp"
#include "runs/report/format.hpp"

namespace scaleout::runs {

// Format::text or Format::json.
std::string format_fabric(const analysis::FabricStudy& study, Format format);

// Draws the bandwidth heatmap of every group (fabric-<group>.png/svg) in `folder` with
// analysis/plots.py from the study's JSON (fabric.json, written there too); the files written.
// Throws as draw_plots does (runs/report/report_plots.hpp).
std::vector<std::string> draw_fabric_plots(const analysis::FabricStudy& study, const std::string& folder);

}  // namespace scaleout::runs
