#pragma once
// What a run's rows add up to, training or serving: the summary of its measured rows and the wrong
// elements of all of them. The run's console summary, the log's /summary and the watchdog's last
// words come from here; runs/report/summary_report.hpp prints it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/run_summary.hpp"
#include "analysis/serving_summary.hpp"
#include "analysis/step_row.hpp"
#include "parallelism/workload.hpp"

namespace scaleout::analysis {

struct RunResult {
  std::uint64_t wrong = 0;                // every row's wrong elements, warm-up included: wrong is wrong
  std::optional<RunSummary> training;     // a training run with a measured row
  std::optional<ServingSummary> serving;  // a serving run with a measured row

  bool measured() const { return training.has_value() || serving.has_value(); }
  // The figures of /summary, `wrong` among them; none without a measured row.
  std::map<std::string, double> figures() const;
};

RunResult summarize(const std::vector<StepRow>& rows, const parallelism::Workload& workload,
                    const WorkloadFacts& facts = {});

}  // namespace scaleout::analysis
