#include "analysis/run_result.hpp"

#include <algorithm>

namespace scaleout::analysis {

RunResult summarize(const std::vector<StepRow>& rows, const parallelism::Workload& workload,
                    const WorkloadFacts& facts) {
  RunResult result;
  for (const auto& row : rows) result.wrong += row.wrong;
  if (std::none_of(rows.begin(), rows.end(), [](const StepRow& r) { return r.measured(); })) return result;
  if (workload.inference) {
    result.serving = summarize_serving(rows, workload);
  } else {
    result.training = summarize_run(rows, workload, facts);
  }
  return result;
}

std::map<std::string, double> RunResult::figures() const {
  if (!measured()) return {};
  auto figures = serving ? serving->figures() : training->figures();
  figures["wrong"] = static_cast<double>(wrong);
  return figures;
}

}  // namespace scaleout::analysis
