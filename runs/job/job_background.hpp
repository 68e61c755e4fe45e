#pragma once
// A job's background traffic (a run's emulation.background, docs/run.md "Background traffic"; bench
// --background, docs/benchmark.md): the last ranks of every node leave the job's work and load the
// fabric with one pattern, as GPCNeT's congestors do, while the other ranks (the foreground) measure;
// the foreground's first rank starts and halts it around what is measured under it. Without a
// background the foreground is the world and every call here does nothing.

#include <exception>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "analysis/background_effect.hpp"
#include "comm/background_record.hpp"
#include "comm/communicator.hpp"

namespace scaleout::runs {

// The names a command gives the background's settings and its foreground's work, for its messages: a
// run's "emulation.background", "emulation.background_ranks_per_node", "train"; bench's
// "--background", "--background-ranks-per-node", "measure".
struct BackgroundOptionNames {
  std::string pattern, ranks_per_node, work;
};

// The world ranks that make the background: the last `per_node` of every node (node_of[rank] is the
// node of each world rank), in world order. A UsageError naming the settings when a node would keep no
// foreground rank or the background would have fewer than 2 ranks.
std::vector<int> choose_background_ranks(std::span<const int> node_of, int per_node,
                                         const BackgroundOptionNames& names);

// `--background PATTERN --background-size BYTES` of fabric and bench, checked: none for an empty
// pattern; a UsageError naming the flag for an unknown pattern or a size that is not a positive multiple
// of 4 bytes.
std::optional<comm::BackgroundTraffic> parse_background(const std::string& pattern, const std::string& size,
                                                        int ranks_per_node);

class JobBackground {
 public:
  // Collective over `world` (which must outlive this): learns every rank's node and splits off the
  // background ranks. A UsageError on every rank alike when choose_background_ranks refuses.
  JobBackground(const comm::Communicator& world, const std::optional<comm::BackgroundTraffic>& traffic,
                const BackgroundOptionNames& names);

  bool active() const noexcept { return traffic_.has_value(); }
  bool serves() const noexcept { return serves_; }  // this rank makes the background
  // The ranks that do the job's work, in world order (the world without a background).
  const comm::Communicator& foreground() const noexcept { return active() ? own_side_ : world_; }
  const std::optional<comm::BackgroundTraffic>& traffic() const noexcept { return traffic_; }
  const std::vector<int>& ranks() const noexcept { return ranks_; }

  // A background rank's whole part: waits for the foreground's verdict on its preparation (prepare; a
  // refusal is this rank's UsageError too), serves until end, hands its load to rank 0 and returns the
  // job's exit status (share_exit).
  int serve() const;

  // The foreground's preparation, whose verdict the background ranks wait for in serve(): runs
  // `checks` and gives back what it returns; what it throws (a UsageError, alike on every foreground
  // rank) goes to the background ranks first, which end with it, and is thrown again here.
  template <class Checks>
  std::invoke_result_t<Checks> prepare(Checks&& checks) const {
    const auto checked = [&]() -> std::invoke_result_t<Checks> {
      try {
        return checks();
      } catch (const std::exception& error) {
        release(error.what());
        throw;
      }
    };
    if constexpr (std::is_void_v<std::invoke_result_t<Checks>>) {
      checked();
      release("");
    } else {
      auto result = checked();
      release("");
      return result;
    }
  }
  // On world rank 0 (the foreground's first): the background loads the fabric from start (once it has
  // completed a unit) to halt (once no byte of it is in flight). Nothing on other ranks.
  void start() const;
  void halt() const;
  // Every foreground rank: ends the background; every background rank's load, on rank 0.
  std::vector<analysis::BackgroundRank> end() const;
  // Every foreground rank: the job's exit status (rank 0's) to the background ranks.
  void share_exit(int status) const;

 private:
  // Collective over the world with serve(): rank 0's `problem` ("" to go on).
  void release(const std::string& problem) const;

  const comm::Communicator& world_;
  std::optional<comm::BackgroundTraffic> traffic_;
  std::vector<int> ranks_;  // world ranks of the background
  std::vector<int> node_of_team_;
  std::vector<std::string> hosts_;  // every world rank's
  bool serves_ = false;
  comm::Communicator own_side_;
};

}  // namespace scaleout::runs
