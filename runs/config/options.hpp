#pragma once
// The one table of a run's options: each declared once with its type, default, allowed values and
// help. The YAML config file, `--set key=value` and the effective config stored in the run log all go
// through it, so a key means the same thing everywhere and bad values are refused the same way.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace scaleout::runs {

enum class OptionType { integer, number, boolean, text, choice };

struct OptionSpec {
  std::string key;  // "section.name"
  OptionType type;
  std::string default_value;  // "" = none (the preset or another option decides)
  std::string help;
  std::vector<std::string> choices;  // for choice
  double minimum = 0, maximum = 0;   // for integer and number (inclusive)
};

const std::vector<OptionSpec>& run_options();

// The largest config file read: configs are a few KiB; a larger file is not one.
inline constexpr std::uint64_t config_file_bound = std::uint64_t{1} << 20;
const OptionSpec* find_option(const std::string& key);

// Option values by key, each validated against the table when set.
class Settings {
 public:
  // Parses one YAML document (the config file); a second one is refused, not ignored. `source` names
  // it in messages.
  static Settings from_yaml(const std::string& text, const std::string& source);
  static Settings from_file(const std::string& path);
  // The config file, then each "key=value" override in order (--set).
  static Settings from_file(const std::string& path, const std::vector<std::string>& overrides);

  // Sets one option from text ("--set key=value", or a YAML scalar): UsageError naming the key, the
  // value and what is allowed when it is not one.
  void set(const std::string& key, const std::string& value);
  void apply_override(const std::string& assignment);  // "key=value"

  bool has(const std::string& key) const;  // set, or with a default
  std::string text(const std::string& key) const;
  long long integer(const std::string& key) const;
  double number(const std::string& key) const;
  bool boolean(const std::string& key) const;
  std::optional<std::string> explicit_value(const std::string& key) const;

  // Every option that has a value (set or default), as YAML grouped by section: the effective config.
  std::string effective_yaml() const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace scaleout::runs
