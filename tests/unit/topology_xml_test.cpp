// Every captured machine under tests/data/topologies, loaded through hwloc's XML import, must be
// summarised as the machine it describes.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "topology/summary.hpp"
#include "topology/topology.hpp"

namespace scaleout::topology {
namespace {

namespace fs = std::filesystem;
const fs::path directory = fs::path(SCALEOUT_TEST_DATA) / "topologies";

struct Expected {
  std::string hostname;
  int packages, numa_nodes, cores, pus;
  std::uint64_t memory_bytes;
  int l3_caches;
  std::uint64_t l3_bytes;
  std::vector<std::string> nics;        // name:kind
  std::vector<std::string> gpu_osdevs;  // one entry per GPU, its OS devices joined by '+'
};

const std::map<std::string, Expected>& expectations() {
  static const std::map<std::string, Expected> table = {
      // 8 NUMA nodes x 2 cores in all, but the file's allowed cpuset (0xf06f) lets a process use 10
      // cores on 5 NUMA nodes of 6 packages; hwloc, and so scaleout, report what a rank can use.
      {"16amd64-8n2c-cpusets.xml", {"", 6, 5, 10, 10, 40ull << 30, 0, 0, {}, {}}},
      {"192em64t-24n8c2t.xml",
       {"uv2000",
        24,
        24,
        192,
        384,
        798447374336ull,
        24,
        24ull * 20 * 1024 * 1024,
        {"eth0:network", "eth1:network", "eth2:network", "eth3:network", "eth4:network", "eth5:network", "ib0:network",
         "mlx4_0:openfabrics"},
        {}}},
      {"24em64t-2n6c2t-pci.xml",
       {"mirage004",
        2,
        2,
        12,
        24,
        38643982336ull,
        2,
        2ull * 12 * 1024 * 1024,
        {"eth0:network", "eth1:network", "eth2:network", "ib0:network", "mlx4_0:openfabrics"},
        {}}},
      // One CUDA GPU (whose DRM card0 is not a device of its own) and a Radeon that offers OpenCL:
      // a compute OS device, so it counts.
      {"32em64t-2n8c2t-pci-normalio.xml",
       {"conan",
        2,
        2,
        16,
        32,
        68689911808ull,
        2,
        2ull * 20 * 1024 * 1024,
        {"eth0:network", "eth1:network", "ib0:network", "mlx5_0:openfabrics"},
        {"cuda0", "opencl0d1"}}},
      {"nvidiaDGX2.xml",
       {"",
        2,
        2,
        4,
        4,
        1621972275200ull,
        2,
        2ull * 33 * 1024 * 1024,
        {},
        {"nvml0", "nvml1", "nvml2", "nvml3", "nvml4", "nvml5", "nvml6", "nvml7", "nvml8", "nvml9", "nvml10", "nvml11",
         "nvml12", "nvml13", "nvml14", "nvml15"}}},
  };
  return table;
}

std::vector<std::string> xml_files() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.path().extension() == ".xml") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(CapturedMachines, EveryFileHasExpectationsAndEveryExpectationAFile) {
  const std::vector<std::string> files = xml_files();
  ASSERT_EQ(files.size(), expectations().size());
  for (const std::string& file : files) EXPECT_TRUE(expectations().contains(file)) << file;
}

TEST(CapturedMachines, SummariesDescribeTheMachines) {
  for (const std::string& file : xml_files()) {
    SCOPED_TRACE(file);
    const Expected& e = expectations().at(file);
    const NodeSummary n = summarize(Topology::from_xml_file((directory / file).string()));
    EXPECT_EQ(n.hostname, e.hostname);
    EXPECT_EQ(n.packages, e.packages);
    EXPECT_EQ(n.numa_nodes, e.numa_nodes);
    EXPECT_EQ(n.cores, e.cores);
    EXPECT_EQ(n.pus, e.pus);
    EXPECT_EQ(n.memory_bytes, e.memory_bytes);
    EXPECT_EQ(n.l3_caches, e.l3_caches);
    EXPECT_EQ(n.l3_bytes, e.l3_bytes);
    std::vector<std::string> nics;
    for (const Nic& nic : n.nics) nics.push_back(nic.name + ":" + nic.kind);
    EXPECT_EQ(nics, e.nics);
    std::vector<std::string> gpus;
    for (const Gpu& gpu : n.gpus) {
      std::string joined;
      for (const std::string& d : gpu.os_devices) joined += (joined.empty() ? "" : "+") + d;
      gpus.push_back(joined);
    }
    EXPECT_EQ(gpus, e.gpu_osdevs);
  }
}

TEST(CapturedMachines, DgxTwoGpusSitEightPerNumaNodeWithTheirPciAddresses) {
  const NodeSummary n = summarize(Topology::from_xml_file((directory / "nvidiaDGX2.xml").string()));
  ASSERT_EQ(n.gpus.size(), 16u);
  for (std::size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(n.gpus[i].numa_node, i < 8 ? 0 : 1) << i;
    EXPECT_EQ(n.gpus[i].package, i < 8 ? 0 : 1) << i;
    EXPECT_EQ(n.gpus[i].model, "Tesla V100-SXM3-32GB-H");
  }
  EXPECT_EQ(n.gpus[0].pci_bus_id, "0000:34:00.0");
  EXPECT_EQ(n.gpus[15].pci_bus_id, "0000:e7:00.0");
}

TEST(CapturedMachines, NicsKnowTheNumaNodeTheyHangOff) {
  const NodeSummary n = summarize(Topology::from_xml_file((directory / "192em64t-24n8c2t.xml").string()));
  std::map<std::string, Nic> by_name;
  for (const Nic& nic : n.nics) by_name[nic.name] = nic;
  EXPECT_EQ(by_name.at("eth0").numa_node, 0);
  EXPECT_EQ(by_name.at("eth2").numa_node, 4);
  EXPECT_EQ(by_name.at("ib0").numa_node, 6);
  EXPECT_EQ(by_name.at("mlx4_0").package, 6);
  // One HCA shows as a network and an OpenFabrics device on the same PCI function.
  EXPECT_EQ(by_name.at("ib0").pci_bus_id, by_name.at("mlx4_0").pci_bus_id);
}

TEST(CapturedMachines, SummariesSurviveJson) {
  const NodeSummary n = summarize(Topology::from_xml_file((directory / "32em64t-2n8c2t-pci-normalio.xml").string()));
  EXPECT_EQ(nlohmann::json(n).get<NodeSummary>(), n);
  const nlohmann::json j = n;
  for (const char* key :
       {"hostname", "packages", "numa_nodes", "cores", "pus", "memory_bytes", "l3_bytes", "nics", "gpus"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

TEST(CapturedMachines, ExportedXmlLoadsBackToTheSameSummary) {
  const Topology original = Topology::from_xml_file((directory / "nvidiaDGX2.xml").string());
  const Topology reloaded = Topology::from_xml_text(original.export_xml(), false);
  EXPECT_EQ(summarize(reloaded), summarize(original));
}

TEST(CapturedMachines, BadFilesAreRefusedWithTheReason) {
  const fs::path scratch = fs::temp_directory_path() / "scaleout-topology-test";
  fs::create_directories(scratch);
  const auto message = [](const std::string& path) {
    try {
      Topology::from_xml_file(path);
    } catch (const TopologyError& error) {
      return std::string(error.what());
    }
    return std::string("(loaded)");
  };
  EXPECT_NE(message((scratch / "missing.xml").string()).find("no such file"), std::string::npos);
  EXPECT_NE(message(scratch.string()).find("is a folder"), std::string::npos);
  // Not regular files: a FIFO blocked the read until a writer came; a device never ends.
  ASSERT_EQ(::mkfifo((scratch / "fifo.xml").c_str(), 0600), 0);
  EXPECT_NE(message((scratch / "fifo.xml").string()).find("is not a regular file"), std::string::npos);
  EXPECT_NE(message("/dev/zero").find("is not a regular file"), std::string::npos);
  // Past the bound, refused before hwloc sees it: its import of a 40,000-PU export (58 MB) takes a
  // second here, and larger ones grew without limit.
  std::ofstream(scratch / "huge.xml").close();
  fs::resize_file(scratch / "huge.xml", std::uintmax_t{65} << 20);
  EXPECT_NE(message((scratch / "huge.xml").string()).find("larger than 64 MiB"), std::string::npos);

  std::ifstream in(directory / "nvidiaDGX2.xml");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(scratch / "truncated.xml") << text.substr(0, text.size() / 2);
  EXPECT_NE(message((scratch / "truncated.xml").string()).find("truncated.xml"), std::string::npos);
  std::ofstream(scratch / "empty.xml");
  EXPECT_NE(message((scratch / "empty.xml").string()).find("empty.xml"), std::string::npos);
  std::string negative = text;  // hwloc read local_memory="-5" as 16 EiB
  for (auto at = negative.find("local_memory=\""); at != std::string::npos;
       at = negative.find("local_memory=\"", at + 1)) {
    negative.replace(at + 14, negative.find('"', at + 14) - (at + 14), "-5");
  }
  std::ofstream(scratch / "negative.xml") << negative;
  EXPECT_NE(message((scratch / "negative.xml").string()).find("past the 2^50 (1 PiB)"), std::string::npos)
      << message((scratch / "negative.xml").string());
  std::ofstream(scratch / "not.xml") << "\x01\x02 binary \xff\xfe";
  EXPECT_NE(message((scratch / "not.xml").string()).find("not.xml"), std::string::npos);
  fs::remove_all(scratch);
}

// libxml2 followed a DTD's external parameter entity and crashed inside hwloc's XML backend; hwloc's
// own parser reads no DTD, so the file is refused as not a topology, or loaded without the entity.
TEST(CapturedMachines, ADtdsExternalEntitiesAreNotFollowed) {
  const fs::path scratch = fs::temp_directory_path() / "scaleout-topology-entity";
  fs::create_directories(scratch);
  std::ofstream(scratch / "entity.dtd") << "<!ENTITY % payload SYSTEM \"file:///etc/passwd\">%payload;";
  std::ifstream in(directory / "nvidiaDGX2.xml");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const auto doctype = text.find("<!DOCTYPE");
  ASSERT_NE(doctype, std::string::npos);
  const auto end = text.find('>', doctype);
  text.replace(doctype, end - doctype + 1,
               "<!DOCTYPE topology [<!ENTITY % external SYSTEM \"file://" + (scratch / "entity.dtd").string() +
                   "\"> %external;]>");
  std::ofstream(scratch / "entity.xml") << text;
  try {
    const NodeSummary n = summarize(Topology::from_xml_file((scratch / "entity.xml").string()));
    EXPECT_EQ(n.gpus.size(), 16u);
  } catch (const TopologyError& error) {
    EXPECT_NE(std::string(error.what()).find("entity.xml"), std::string::npos);
  }
  fs::remove_all(scratch);
}

}  // namespace
}  // namespace scaleout::topology
