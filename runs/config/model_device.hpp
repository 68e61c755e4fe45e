#pragma once
// The model and the device of a run's settings: a preset, with the fields the config gives over it,
// checked against each other. Used by run_config.cpp's resolve().

#include "parallelism/device.hpp"
#include "parallelism/model.hpp"
#include "runs/config/options.hpp"

namespace scaleout::runs {

// UsageError naming the field when a preset is unknown, a required field is missing or fields disagree.
parallelism::Model resolve_model(const Settings& settings);
parallelism::Device resolve_device(const Settings& settings);

}  // namespace scaleout::runs
