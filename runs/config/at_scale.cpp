#include "runs/config/at_scale.hpp"

#include "analysis/serving_prediction.hpp"
#include "runs/input_file.hpp"

namespace scaleout::runs {

analysis::Calibration load_calibration(const std::string& path) {
  try {
    // A calibration is a few KiB of JSON; 16 MiB is far beyond any, and bounds a device given by mistake.
    return analysis::calibration_from_json(read_input_file(path, std::uint64_t{16} << 20, "a calibration"), path);
  } catch (const analysis::CalibrationError& error) {
    throw UsageError(fmt::format("--calibration: {}", error.what()));
  } catch (const UsageError& error) {
    throw UsageError(fmt::format("--calibration: {}", error.what()));
  }
}

analysis::SimulationModel simulation_model(const analysis::Calibration& calibration, int in_flight,
                                           NetworkScale network,
                                           const std::optional<parallelism::NodeFabric>& device_fabric) {
  analysis::SimulationModel model;
  model.cost = calibration.cost_model();
  if (device_fabric) {
    // Every hop inside a node, whether it is issued blocking or polled: the device's links move it.
    const analysis::AlphaBeta hop{device_fabric->latency, 1.0 / device_fabric->pair_bandwidth};
    for (const auto progress : {analysis::Progress::blocking, analysis::Progress::polled}) {
      model.cost.set_hop(analysis::Tier::intra, hop, progress);
      for (int c = 0; c < analysis::collective_count; ++c)
        model.cost.set(analysis::Tier::intra, static_cast<analysis::Collective>(c), hop, progress);
    }
  }
  model.cost.scale_bandwidth(analysis::Tier::inter, network.bandwidth);
  model.cost.scale_latency(analysis::Tier::inter, network.latency);
  model.span_overhead = calibration.compute.per_span;
  model.span_relative = calibration.compute.relative;
  model.in_flight = in_flight;
  return model;
}

analysis::Prediction predict_config(RunConfig config, const Scale& scale, const analysis::SimulationModel& model) {
  const long long ranks = static_cast<long long>(scale.nodes) * scale.ranks_per_node;
  const std::string where = fmt::format("{} node{} x {} rank{}", scale.nodes, scale.nodes == 1 ? "" : "s",
                                        scale.ranks_per_node, scale.ranks_per_node == 1 ? "" : "s");
  if (ranks > (1 << 24)) throw UsageError(fmt::format("{}: more than 16777216 ranks", where));
  return at_point(where, [&] {
    if (scale.dp_follows) config.settings.set("parallel.dp", "0");
    fit_to_world(config, static_cast<int>(ranks));
    return analysis::predict(config.workload, scale.nodes, scale.ranks_per_node, model, scale.sensitivity);
  });
}

analysis::ServingRun predict_serving(const RunConfig& base, int tp, std::int64_t output_tokens, int ranks_per_node,
                                     const analysis::SimulationModel& model) {
  Settings settings = base.settings;
  settings.set("parallel.tp", std::to_string(tp));
  settings.set("inference.output_tokens", std::to_string(output_tokens));
  RunConfig config = resolve(settings);
  const auto& l = config.workload.layout;
  fit_to_world(config, l.tp * l.pp * l.ep);
  return analysis::predict_serving(config.workload, ranks_per_node, model);
}

analysis::ScalePoint predict_measured(const std::string& config_yaml, const analysis::RunFacts& run,
                                      const analysis::Calibration& calibration) {
  const RunConfig config = resolve(Settings::from_yaml(config_yaml, run.path));
  const int per_node = (run.ranks + run.nodes - 1) / run.nodes;
  const auto model = simulation_model(calibration, config.in_flight);
  auto point = predict_config(config, {.nodes = run.nodes, .ranks_per_node = per_node}, model).point;
  point.run.path = run.path;
  return point;
}

}  // namespace scaleout::runs
