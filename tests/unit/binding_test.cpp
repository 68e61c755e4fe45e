// The binding of this very process, read through hwloc on the live machine.

#include <gtest/gtest.h>
#include <sched.h>

#include "topology/binding.hpp"
#include "topology/topology.hpp"

namespace scaleout::topology {
namespace {

TEST(Binding, PinnedToOnePuIsReportedAsBound) {
  cpu_set_t original;
  ASSERT_EQ(sched_getaffinity(0, sizeof original, &original), 0);
  int first = -1;
  for (int cpu = 0; cpu < CPU_SETSIZE && first < 0; ++cpu) {
    if (CPU_ISSET(cpu, &original)) first = cpu;
  }
  ASSERT_GE(first, 0);
  const Topology machine = Topology::discover();

  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  const Binding pinned = current_binding(machine);
  ASSERT_EQ(sched_setaffinity(0, sizeof original, &original), 0);

  EXPECT_EQ(pinned.pus, std::to_string(first));
  EXPECT_FALSE(pinned.cores.empty());
  EXPECT_FALSE(pinned.packages.empty());
  EXPECT_EQ(pinned.bound, hwloc_get_nbobjs_by_type(machine.native(), HWLOC_OBJ_PU) > 1);

  const Binding restored = current_binding(machine);
  EXPECT_EQ(restored.pus.empty(), false);
  EXPECT_EQ(restored.bound, CPU_COUNT(&original) < hwloc_get_nbobjs_by_type(machine.native(), HWLOC_OBJ_PU));
}

TEST(Binding, SurvivesJson) {
  const Binding b{"0-3", "0-1", "0", "0", true};
  EXPECT_EQ(nlohmann::json(b).get<Binding>(), b);
}

}  // namespace
}  // namespace scaleout::topology
