#include "runs/config/options.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <string_view>
#include <utility>

#include "comm/algorithm.hpp"
#include "comm/background_record.hpp"
#include "parallelism/framework.hpp"
#include "runs/input_file.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

constexpr double big = 1e15;

OptionSpec integer(std::string key, std::string value, double minimum, double maximum, std::string help) {
  return {std::move(key), OptionType::integer, std::move(value), std::move(help), {}, minimum, maximum};
}
OptionSpec number(std::string key, std::string value, double minimum, double maximum, std::string help) {
  return {std::move(key), OptionType::number, std::move(value), std::move(help), {}, minimum, maximum};
}
OptionSpec boolean(std::string key, std::string value, std::string help) {
  return {std::move(key), OptionType::boolean, std::move(value), std::move(help), {}, 0, 0};
}
OptionSpec text(std::string key, std::string value, std::string help) {
  return {std::move(key), OptionType::text, std::move(value), std::move(help), {}, 0, 0};
}
OptionSpec choice(std::string key, std::string value, std::vector<std::string> choices, std::string help) {
  return {std::move(key), OptionType::choice, std::move(value), std::move(help), std::move(choices), 0, 0};
}

std::string section_of(const std::string& key) { return key.substr(0, key.find('.')); }

std::string keys_in_section(const std::string& section) {
  std::vector<std::string> keys;
  for (const auto& option : run_options()) {
    if (section_of(option.key) == section) keys.push_back(option.key.substr(section.size() + 1));
  }
  return fmt::format("{}", fmt::join(keys, ", "));
}

std::string section_names() {
  std::vector<std::string> sections;
  for (const auto& option : run_options()) {
    const auto section = section_of(option.key);
    if (std::find(sections.begin(), sections.end(), section) == sections.end()) sections.push_back(section);
  }
  return fmt::format("{}", fmt::join(sections, ", "));
}

std::optional<long long> parse_integer(const std::string& value) {
  long long result = 0;
  const char* end = value.data() + value.size();
  const auto [ptr, error] = std::from_chars(value.data(), end, result);
  if (error != std::errc() || ptr != end || value.empty()) return std::nullopt;
  return result;
}

std::optional<double> parse_number(const std::string& value) {
  if (value.empty()) return std::nullopt;
  double result = 0;
  const char* end = value.data() + value.size();
  const auto [ptr, error] = std::from_chars(value.data(), end, result);
  if (error != std::errc() || ptr != end || !std::isfinite(result)) return std::nullopt;
  return result;
}

std::optional<bool> parse_boolean(const std::string& value) {
  if (value == "true" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "no" || value == "off") return false;
  return std::nullopt;
}

std::string range_text(const OptionSpec& spec) {
  if (spec.maximum >= big) return fmt::format("at least {}", spec.minimum);
  return fmt::format("from {} to {}", spec.minimum, spec.maximum);
}

// The canonical text of a valid value; UsageError otherwise.
std::string validated(const OptionSpec& spec, const std::string& value) {
  switch (spec.type) {
    case OptionType::integer: {
      const auto parsed = parse_integer(value);
      if (!parsed || static_cast<double>(*parsed) < spec.minimum || static_cast<double>(*parsed) > spec.maximum) {
        throw UsageError(
            fmt::format("{}: '{}' is not allowed; expected a whole number {}", spec.key, value, range_text(spec)));
      }
      return std::to_string(*parsed);
    }
    case OptionType::number: {
      const auto parsed = parse_number(value);
      if (!parsed || *parsed < spec.minimum || *parsed > spec.maximum) {
        throw UsageError(
            fmt::format("{}: '{}' is not allowed; expected a number {}", spec.key, value, range_text(spec)));
      }
      return value;
    }
    case OptionType::boolean: {
      const auto parsed = parse_boolean(value);
      if (!parsed) throw UsageError(fmt::format("{}: '{}' is not allowed; expected true or false", spec.key, value));
      return *parsed ? "true" : "false";
    }
    case OptionType::choice:
      if (std::find(spec.choices.begin(), spec.choices.end(), value) == spec.choices.end()) {
        throw UsageError(
            fmt::format("{}: '{}' is not allowed; expected one of {}", spec.key, value, fmt::join(spec.choices, ", ")));
      }
      return value;
    case OptionType::text:
      if (value.size() > 4096 || value.find('\0') != std::string::npos) {
        throw UsageError(fmt::format("{}: expected a text of at most 4096 characters", spec.key));
      }
      return value;
  }
  return value;
}

// The key a section's scalar stands for (`model: tiny` is model.preset), or "" where it stands for none.
std::string shorthand_key(const std::string& section) {
  for (const char* field : {".preset", ".name"}) {
    if (find_option(section + field) != nullptr) return section + field;
  }
  return "";
}

void walk(const YAML::Node& node, const std::string& prefix, Settings& settings, int depth) {
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : std::string("?");
    const std::string key = prefix.empty() ? name : std::string(prefix).append(".").append(name);
    // YAML forbids a key twice in a map; yaml-cpp would keep one silently.
    if (!seen.insert(name).second) throw UsageError(fmt::format("'{}' is given twice", key));
    const YAML::Node& value = entry.second;
    const std::string shorthand = shorthand_key(key);
    if (depth == 0 && shorthand.empty() &&
        std::none_of(run_options().begin(), run_options().end(),
                     [&](const OptionSpec& o) { return section_of(o.key) == key; })) {
      throw UsageError(fmt::format("'{}' is not a section; the sections are {}", key, section_names()));
    }
    if (value.IsMap()) {
      if (depth > 0) throw UsageError(fmt::format("{}: expected a value, not a map", key));
      walk(value, key, settings, depth + 1);
    } else if (value.IsScalar()) {
      // `model: llama2-7b` is short for `model: {preset: llama2-7b}`; likewise for device, and
      // `framework: deepspeed` for `framework: {name: deepspeed}`.
      if (depth == 0 && !shorthand.empty()) {
        settings.set(shorthand, value.Scalar());
      } else if (depth == 0) {
        throw UsageError(fmt::format("{}: expected a map of {}", key, keys_in_section(key)));
      } else {
        settings.set(key, value.Scalar());
      }
    } else if (value.IsNull()) {
      if (depth == 0) continue;  // an empty section
      throw UsageError(fmt::format("{}: has no value", key));
    } else {
      throw UsageError(fmt::format("{}: expected {}, not a list", key, depth == 0 ? "a map" : "a value"));
    }
  }
}

std::vector<std::string> background_choice_names() {
  std::vector<std::string> names{"none"};
  for (auto& name : comm::background_pattern_names()) names.push_back(std::move(name));
  return names;
}

std::vector<std::string> algorithm_choice_names() {
  const auto names = comm::algorithm_choice_names();
  return {names.begin(), names.end()};
}

}  // namespace

const std::vector<OptionSpec>& run_options() {
  static const std::vector<OptionSpec> options = {
      choice("framework.name", "megatron", parallelism::framework_names(),
             "the training framework emulated: what it sends, in which type and buckets (docs/parallelism.md)"),
      text("model.preset", "", "a model preset (docs/workload.md lists them); fields below override it"),
      choice("model.architecture", "", {"gpt", "llama"},
             "gpt (learned positions, biases) or llama (RMSNorm, SwiGLU, GQA)"),
      integer("model.layers", "", 1, 10000, "transformer layers"),
      integer("model.hidden", "", 1, 1e6, "hidden size h"),
      integer("model.heads", "", 1, 1e5, "attention heads"),
      integer("model.kv_heads", "", 1, 1e5, "key/value heads (grouped-query attention); default: heads"),
      integer("model.ffn_hidden", "", 1, 1e7, "MLP hidden size; default 4h for gpt"),
      integer("model.vocab", "", 1, 1e8, "vocabulary size"),
      integer("model.seq_len", "", 1, 1e8, "sequence length in tokens"),
      boolean("model.tied_embeddings", "", "output head shares the input embedding"),
      integer("model.experts", "", 0, 4096, "experts per layer (mixture of experts); 0 = a dense MLP"),
      integer("model.top_k", "", 1, 4096, "experts each token is routed to (with model.experts)"),
      integer("model.head_dim", "", 1, 1e5,
              "size of one attention head (Megatron's --kv-channels); default: hidden / heads"),
      choice("model.attention", "flash", {"flash", "unfused"},
             "flash: a fused kernel, no scores kept, masked blocks skipped; unfused: scores computed whole and kept"),
      text("device.preset", "h100-sxm", "a device preset; fields below override it"),
      number("device.peak_tflops", "", 1e-6, 1e9, "peak dense bf16 TFLOP/s"),
      number("device.memory_bandwidth_gbs", "", 1e-6, 1e9, "memory bandwidth in GB/s"),
      number("device.memory_gb", "", 1e-6, 1e9, "memory capacity in GB"),
      number("device.efficiency", "", 1e-6, 1, "share of peak a training step achieves"),
      number("device.fabric_gbs", "", 1e-6, 1e9,
             "node fabric: GB/s per direction a device moves to the others of its node (NVLink, Infinity Fabric)"),
      number("device.fabric_pair_gbs", "", 1e-6, 1e9,
             "node fabric: GB/s per direction between two devices of a node; default: fabric_gbs (a switch)"),
      number("device.fabric_latency_us", "", 0, 1e6, "node fabric: microseconds a hop between two devices costs"),
      integer("device.per_node", "", 1, 4096, "devices in a node"),
      integer("parallel.dp", "0", 0, 1e7, "data-parallel replicas; 0 = the ranks left by tp x pp x cp"),
      integer("parallel.tp", "1", 1, 4096, "tensor parallelism: ranks sharing each layer's matmuls"),
      integer("parallel.pp", "1", 1, 4096, "pipeline stages"),
      integer("parallel.cp", "1", 1, 4096, "context parallelism: ranks sharing each sequence"),
      integer("parallel.ep", "1", 1, 4096, "expert parallelism: ranks sharing the experts (divides dp)"),
      boolean("parallel.sequence_parallel", "false", "TP's allreduces become reduce-scatter + allgather"),
      choice("parallel.schedule", "1f1b", {"gpipe", "1f1b", "interleaved"}, "pipeline schedule"),
      integer("parallel.virtual_stages", "1", 1, 1024, "model chunks per pipeline rank (interleaved: at least 2)"),
      choice("parallel.zero", "0", {"0", "1", "2", "3"},
             "ZeRO stage: 0 allreduce, 1/2 sharded optimizer "
             "(and gradients), 3 sharded parameters (FSDP)"),
      boolean("parallel.tp_comm_overlap", "false",
              "with sequence parallelism: TP's gathers and reduce-scatters overlap the GEMMs beside them "
              "(TransformerEngine's userbuffers, Megatron-LM's --tp-comm-overlap)"),
      choice("parallel.recompute", "none", {"none", "selective", "full"},
             "activation recomputation: selective recomputes the attention core (Megatron-LM's "
             "--recompute-activations), full every layer's forward"),
      integer("batch.micro", "1", 1, 1e6, "sequences per microbatch"),
      integer("batch.global", "0", 0, 1e9, "sequences per step over all replicas; 0 = micro x dp x pp"),
      // Serving: any of these selects inference instead of training (docs/inference.md).
      integer("inference.sequences", "", 1, 1e6, "serving: concurrent sequences per replica (default 1)"),
      integer("inference.prompt_tokens", "", 1, 1e8, "serving: prompt tokens per sequence (required)"),
      integer("inference.output_tokens", "", 1, 1e7,
              "serving: output tokens per sequence, the thinking budget included (required)"),
      choice("inference.kv_dtype", "", {"bf16", "fp16", "fp8", "fp32"},
             "serving: KV-cache element type (default bf16)"),
      number("dp.bucket_mb", "", 0.001, 1e6,
             "gradient bucket size in MiB; default: the framework's (megatron: max(4e7, 1e6 x dp x cp) elements, "
             "deepspeed: 5e8 elements, pytorch: 25 MiB)"),
      boolean("dp.overlap", "true", "allreduce buckets during backward (false: after backward)"),
      boolean("dp.overlap_param_gather", "false",
              "zero 1/2: gather the updated parameters bucket by bucket during the next forward (Megatron-LM's "
              "--overlap-param-gather; needs dp.overlap) instead of after the optimizer"),
      choice("dp.gradient_dtype", "", {"bf16", "fp32"},
             "element type of the gradients reduced; default: the framework's (megatron, pytorch: fp32; deepspeed: "
             "bf16)"),
      choice("comm.algorithm", "auto", algorithm_choice_names(),
             "collective algorithms: auto chooses as NCCL does, ring, tree (allreduce), library (the MPI's own)"),
      integer("emulation.steps", "10", 1, 1e7,
              "measured steps (inference: request batches, each a prefill and a decode pass per further output token)"),
      integer("emulation.warmup", "2", 0, 1e6, "warm-up steps before them (logged, flagged)"),
      choice("emulation.compute", "sleep", {"sleep", "spin"}, "how compute spans pass"),
      boolean("emulation.check", "false", "verify every transfer's data (adds to `other`)"),
      choice("emulation.intra_node", "", {"device", "host"},
             "hops between ranks of one node: device models the device's fabric (latency + bytes / bandwidth on "
             "the node's clock), host moves them through the host's shared memory; default: device when the "
             "device has a node fabric"),
      boolean("emulation.strict_memory", "false", "refuse a layout that does not fit the device's memory"),
      integer("emulation.seed", "1", 0, 9.2e18, "seed of the synthetic payloads"),
      integer("emulation.in_flight", "4", 1, 1024, "buffers for operations in flight (memory: this x bucket)"),
      number("emulation.watchdog_s", "0", 0, 1e7,
             "seconds without progress before a rank is declared hung and "
             "the job ended (exit 6); 0 = 10 x the step's compute, at least 60"),
      number("emulation.stop_grace_s", "10", 0.1, 1e7,
             "seconds a stop signal (SIGTERM, SIGUSR1, SIGINT) waits for the "
             "step in flight to end before the log is closed without it (exit 4); Slurm kills 30 s after SIGTERM"),
      choice("emulation.background", "none", background_choice_names(),
             "background traffic during every step, made by the last emulation.background_ranks_per_node ranks of "
             "every node (which then train no part); each measured step also runs once without it, for the "
             "step's slowdown (docs/run.md, \"Background traffic\")"),
      number("emulation.background_mb", "1", 0.0001, 1e5,
             "MiB each background rank moves per unit of its pattern (rounded down to whole 4-byte elements)"),
      integer("emulation.background_ranks_per_node", "1", 1, 1024,
              "with emulation.background: the ranks at the end of every node that make it"),
      integer("emulation.test_stall_rank", "-1", -1, 1e7, "test only: this rank stops making progress (-1: none)"),
      integer("emulation.test_stall_step", "0", 0, 1e7, "test only: at the start of this step"),
      integer("emulation.test_slow_rank", "-1", -1, 1e7,
              "test only: this rank plays a slower device, its compute spans emulation.test_slow_factor times as "
              "long (-1: none)"),
      number("emulation.test_slow_factor", "2", 1, 1000, "test only: how much slower emulation.test_slow_rank is"),
      text("output.path", "scaleout-run.h5", "the run log (HDF5)"),
      boolean("output.log", "true",
              "write the run log; false: only the summary is printed (to measure the log's own cost)"),
      boolean("output.trace", "false", "log one row per op and rank (/ops)"),
      boolean("output.overwrite", "false", "replace an existing run log"),
  };
  return options;
}

const OptionSpec* find_option(const std::string& key) {
  for (const auto& option : run_options()) {
    if (option.key == key) return &option;
  }
  return nullptr;
}

namespace {

// The line (from 1) of a document marker that starts a second YAML document, or 0. yaml-cpp's Load
// reads the first document and ignores the rest, and its LoadAll never returns on some inputs (','),
// so the markers are found here: "---" or "..." at the start of a line, after content. At column 0
// they cannot be inside a scalar of a map's value (YAML forbids it), so the scan is exact.
int second_document_line(const std::string& text) {
  bool content = false, ended = false;
  int number = 0;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++number;
    const auto marker = [&](std::string_view m) {
      return line.substr(0, 3) == m && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
    };
    const auto rest = [&](std::size_t from) {
      const auto first = line.find_first_not_of(" \t\r", from);
      return first != std::string_view::npos && line[first] != '#';
    };
    if (marker("---")) {
      if (content || ended) return number;
      content = rest(3);
    } else if (marker("...")) {
      ended = true;
    } else if (rest(0) && line[0] != '%') {
      if (ended) return number;
      content = true;
    }
  }
  return 0;
}

}  // namespace

Settings Settings::from_yaml(const std::string& text, const std::string& source) {
  // YAML allows no control character but tab and line ends; yaml-cpp reads a NUL as an escape
  // ("unknown escape character", or 'ti\ny' for "ti<NUL>ny"), which names the wrong fault.
  for (std::size_t i = 0, line = 1, column = 1; i < text.size(); ++i, ++column) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') {
      ++line;
      column = 0;
    } else if ((byte < 0x20 && byte != '\t' && byte != '\r') || byte == 0x7f) {
      throw UsageError(fmt::format("{}: line {}, column {}: a control character (byte 0x{:02x}); a config is text",
                                   source, line, column, byte));
    }
  }
  if (const int line = second_document_line(text); line > 0) {
    throw UsageError(fmt::format("{}: line {} starts a second YAML document; a config is one document", source, line));
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw UsageError(fmt::format("{}: not valid YAML: {}", source, error.what()));
  }
  Settings settings;
  if (root.IsNull()) throw UsageError(fmt::format("{}: the config is empty; it needs at least a model", source));
  if (!root.IsMap()) throw UsageError(fmt::format("{}: expected a map of sections ({})", source, section_names()));
  walk(root, "", settings, 0);
  return settings;
}

Settings Settings::from_file(const std::string& path) {
  return from_yaml(read_input_file(path, config_file_bound, "a config file"), path);
}

Settings Settings::from_file(const std::string& path, const std::vector<std::string>& overrides) {
  Settings settings = from_file(path);
  for (const auto& assignment : overrides) settings.apply_override(assignment);
  return settings;
}

void Settings::set(const std::string& key, const std::string& value) {
  const OptionSpec* spec = find_option(key);
  if (spec == nullptr) {
    const auto section = section_of(key);
    const auto keys = keys_in_section(section);
    if (keys.empty()) throw UsageError(fmt::format("'{}' is not an option; the sections are {}", key, section_names()));
    throw UsageError(fmt::format("'{}' is not an option; {} has {}", key, section, keys));
  }
  // No option takes a long value; a huge one is a mistake (or an attack) and must not fill messages.
  constexpr std::size_t longest = 4096;
  if (value.size() > longest) {
    throw UsageError(
        fmt::format("{}: a value of {} bytes is not allowed; values are at most {} bytes", key, value.size(), longest));
  }
  values_[key] = validated(*spec, value);
}

void Settings::apply_override(const std::string& assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw UsageError(fmt::format("--set: '{}' is not key=value (for example dp.bucket_mb=50)", assignment));
  }
  set(assignment.substr(0, equals), assignment.substr(equals + 1));
}

std::optional<std::string> Settings::explicit_value(const std::string& key) const {
  const auto found = values_.find(key);
  if (found == values_.end()) return std::nullopt;
  return found->second;
}

bool Settings::has(const std::string& key) const {
  if (values_.count(key) != 0) return true;
  const OptionSpec* spec = find_option(key);
  return spec != nullptr && !spec->default_value.empty();
}

std::string Settings::text(const std::string& key) const {
  if (const auto value = explicit_value(key)) return *value;
  const OptionSpec* spec = find_option(key);
  if (spec == nullptr) throw std::logic_error("unknown option " + key);
  return spec->default_value;
}

long long Settings::integer(const std::string& key) const { return *parse_integer(text(key)); }
double Settings::number(const std::string& key) const { return *parse_number(text(key)); }
bool Settings::boolean(const std::string& key) const { return *parse_boolean(text(key)); }

std::string Settings::effective_yaml() const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::string open_section;
  for (const auto& option : run_options()) {
    if (!has(option.key)) continue;
    const auto section = section_of(option.key);
    if (section != open_section) {
      if (!open_section.empty()) out << YAML::EndMap;
      out << YAML::Key << section << YAML::Value << YAML::BeginMap;
      open_section = section;
    }
    out << YAML::Key << option.key.substr(section.size() + 1) << YAML::Value << text(option.key);
  }
  if (!open_section.empty()) out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace scaleout::runs
