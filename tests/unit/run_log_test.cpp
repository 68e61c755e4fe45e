#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "parallelism/step_program.hpp"
#include "parallelism/workload.hpp"
#include "run_log_helpers.hpp"
#include "runs/log/hdf5.hpp"
#include "runs/log/run_log.hpp"
#include "runs/log/sweep_reader.hpp"
#include "runs/usage_error.hpp"

namespace r = scaleout::runs;

TEST(RunLog, WrittenRowsReadBackWithStatusAndSummary) {
  const auto path = temporary("log.h5");
  {
    r::RunLogWriter writer(
        path,
        {"0.1.0", "abc", "scaleout run x.yaml", "model: tiny\n", {{"mpi_library", "test"}}, {{"parameters", 1.0}}},
        two_ranks(), small_workload().layout, small_programs(), 0);
    for (int step = 0; step < 3; ++step) {
      std::vector<scaleout::analysis::StepRow> rows(2);
      for (int rank = 0; rank < 2; ++rank) {
        rows[rank].step = step;
        rows[rank].rank = rank;
        rows[rank].warmup = step == 0;
        rows[rank].step_s = 0.5 + step;
        rows[rank].exposed(scaleout::parallelism::Group::dp) = 0.25;
      }
      writer.append_steps(rows);
      writer.flush();
    }
    writer.append_ops({{1, 0, 3, 0.1, 0.2, 0.05}});
    writer.write_summary({{"step_p50_s", 1.5}});
    writer.close(r::RunStatus::complete);
  }
  const auto log = r::read_run_log(path);
  EXPECT_EQ(log.schema_version, r::run_log_schema_version);
  EXPECT_EQ(log.status, "complete");
  EXPECT_EQ(log.config_yaml, "model: tiny\n");
  ASSERT_EQ(log.steps.size(), 6u);
  EXPECT_EQ(log.steps[5].step, 2);
  EXPECT_EQ(log.steps[5].rank, 1);
  EXPECT_EQ(log.steps[0].warmup, 1);
  EXPECT_DOUBLE_EQ(log.steps[4].step_s, 2.5);
  EXPECT_DOUBLE_EQ(log.steps[4].exposed_total(), 0.25);
  EXPECT_EQ(log.op_rows, 1u);
  EXPECT_EQ(log.rank_rows, 2u);
  EXPECT_EQ(log.node_rows, 1u);
  EXPECT_EQ(log.program_ops, small_programs()[0].ops.size() + small_programs()[1].ops.size());
  EXPECT_DOUBLE_EQ(log.summary.at("step_p50_s"), 1.5);
  EXPECT_EQ(log.background, "") << "no emulation.background";
  std::filesystem::remove(path);
}

// emulation.background: the pattern from the start (a killed run's log still says what its steps ran
// under), the isolated steps beside /steps, the figures and loads at the end; the reader (in its child)
// gives back the pattern; a log without one reads "".
TEST(RunLog, ABackgroundIsReadBackFromTheStartAndItsFiguresWrittenAtTheEnd) {
  const auto path = temporary("background.h5");
  {
    r::RunLogWriter writer(path, {"0.1.0", "abc", "scaleout run x.yaml", "model: tiny\n", {}, {}}, two_ranks(),
                           small_workload().layout, small_programs(), 0);
    writer.open_background(scaleout::comm::BackgroundPattern::bisection, 4096);
    EXPECT_EQ(r::read_run_log(path).background, "bisection") << "known before any step";
    std::vector<scaleout::analysis::StepRow> rows(2);
    for (int rank = 0; rank < 2; ++rank) {
      rows[rank].rank = rank;
      rows[rank].step_s = 0.5;
    }
    writer.append_isolated_steps(rows);
    writer.append_steps(rows);
    scaleout::analysis::RunCongestion congestion;
    congestion.step_p50_isolated_s = 0.5;
    congestion.step_p50_s = 0.75;
    writer.write_background(congestion, {{2, "n0", {100, 200, 1.0, 3}}, {3, "n1", {300, 400, 2.0, 5}}});
    writer.close(r::RunStatus::complete);
  }
  const auto log = r::read_run_log(path);
  EXPECT_EQ(log.background, "bisection");
  EXPECT_EQ(log.steps.size(), 2u) << "the isolated steps are not /steps'";
  const scaleout::h5::Object file = scaleout::h5::open_file(path, scaleout::h5::Access::read_only);
  const scaleout::h5::Object group = scaleout::h5::open_group(file.id(), "background");
  EXPECT_EQ(scaleout::h5::read_int_attribute(group.id(), "unit_bytes"), 4096);
  EXPECT_DOUBLE_EQ(scaleout::h5::read_double_attribute(group.id(), "step_slowdown_p50"), 1.5);
  EXPECT_EQ(scaleout::h5::row_count(scaleout::h5::open_dataset(group.id(), "isolated_steps").id()), 2u);
  EXPECT_EQ(scaleout::h5::row_count(scaleout::h5::open_dataset(group.id(), "bytes_sent").id()), 2u);
  std::filesystem::remove(path);
}

// The size bounds hold for a long traced run, and the reservation covers the file while it grows and
// is given back at close.
TEST(RunLog, GrowsWithinItsBoundsInsideItsReservation) {
  const auto path = temporary("bounded.h5");
  const auto programs = small_programs();
  const std::uint64_t steps = 3000, ranks = 2, op_rows = programs[0].ops.size() + programs[1].ops.size();
  const std::uint64_t header = r::log_header_bound(2, programs), growth = r::log_growth_bound(steps, ranks, op_rows);
  const auto allocated = [&] {
    struct stat facts {};
    EXPECT_EQ(::stat(path.c_str(), &facts), 0);
    return std::pair<std::uint64_t, std::uint64_t>(facts.st_size, static_cast<std::uint64_t>(facts.st_blocks) * 512);
  };
  {
    r::RunLogWriter writer(path, {"0.1.0", "abc", "scaleout run x.yaml", "model: tiny\n", {}, {}}, two_ranks(),
                           small_workload().layout, programs, growth);
    const bool reserved = writer.reservation().active();  // false only where the file system cannot
    if (reserved) {
      EXPECT_GE(allocated().second, writer.reservation().bytes());
    }
    for (std::uint64_t step = 0; step < steps; ++step) {
      std::vector<scaleout::analysis::StepRow> rows(ranks);
      for (std::uint64_t rank = 0; rank < ranks; ++rank) {
        rows[rank].step = static_cast<std::int32_t>(step), rows[rank].rank = static_cast<std::int32_t>(rank);
      }
      writer.append_steps(rows);
      writer.append_ops(std::vector<r::OpRow>(op_rows));
      if (step % 100 == 0) writer.flush();
    }
    writer.write_summary({{"step_p50_s", 1.5}});
    writer.close(r::RunStatus::complete);
    const auto [size, blocks] = allocated();
    EXPECT_LE(size, header + growth);
    if (reserved) {
      EXPECT_LE(size, writer.reservation().bytes());
      EXPECT_LT(blocks, size + (1u << 20)) << "the unused reservation was not given back";
    }
  }
  const auto log = r::read_run_log(path);
  EXPECT_EQ(log.steps.size(), steps * ranks);
  EXPECT_EQ(log.op_rows, steps * op_rows);
  std::filesystem::remove(path);
}

TEST(RunLog, ReaderRefusesWhatIsNotARunLog) {
  const auto text = temporary("not-hdf5.h5");
  std::ofstream(text) << "hello";
  EXPECT_THROW(r::read_run_log(text), scaleout::h5::Error);
  EXPECT_THROW(r::read_run_log(temporary("missing.h5")), scaleout::h5::Error);

  const auto other = temporary("other-schema.h5");
  {
    const auto file = scaleout::h5::create_file(other);
    scaleout::h5::write_attribute(file.id(), "schema_version", std::int64_t{99});
  }
  try {
    r::read_run_log(other);
    FAIL() << "a log of schema 99 was read";
  } catch (const scaleout::h5::Error& error) {
    EXPECT_NE(std::string(error.what()).find("schema version 99"), std::string::npos) << error.what();
  }
  std::filesystem::remove(text);
  std::filesystem::remove(other);
}

// HDF5's error stack becomes one line that leads with the system's reason, not the file driver's
// multi-line dump. (A full disk, /dev/full, reads the same with "No space left on device", but HDF5
// 1.10 leaks a kilobyte when a create fails there, which the leak-checked CI build would report.)
TEST(Hdf5Errors, LeadWithTheSystemsReasonOnOneLine) {
  try {
    const auto file = scaleout::h5::create_file(temporary("missing-folder/x.h5"));
    FAIL() << "a file was made in a folder that does not exist";
  } catch (const scaleout::h5::Error& error) {
    const std::string text = error.what();
    EXPECT_EQ(text.rfind("creating the file: No such file or directory; ", 0), 0u) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
    EXPECT_LT(text.size(), 300u) << text;
  }
}

namespace {

namespace h5 = scaleout::h5;

// A complete two-rank log whose /environment holds `environment`, with the workload figures the
// sweep reader needs and two measured steps.
std::string readable_log(const char* name, const std::map<std::string, std::string>& environment = {}) {
  const auto path = temporary(name);
  r::RunLogWriter writer(path,
                         {"0.1.0",
                          "abc",
                          "scaleout run x.yaml",
                          small_config,
                          environment,
                          {{"parameters", 1.0}, {"flops_per_step", 1e9}, {"global_batch", 2}, {"tokens_per_step", 64}}},
                         two_ranks(), small_workload().layout, small_programs(), 0);
  for (int step = 0; step < 2; ++step) {
    std::vector<scaleout::analysis::StepRow> rows(2);
    for (int rank = 0; rank < 2; ++rank) rows[rank] = {.step = step, .rank = rank, .step_s = 0.5, .compute_s = 0.4};
    writer.append_steps(rows);
  }
  writer.write_summary({{"mfu", 0.5}});
  writer.close(r::RunStatus::complete);
  return path;
}

// Replaces attribute `name` of `group` ("/" for the root) with an array of `count` values of `type`.
void make_array(const std::string& path, const char* group, const char* name, hid_t type, hsize_t count) {
  const auto file = h5::open_file(path, h5::Access::read_write);
  const auto object = h5::open_group(file.id(), group);
  h5::check(H5Adelete(object.id(), name), name);
  const h5::Object space(h5::check(H5Screate_simple(1, &count, nullptr), name), H5Sclose);
  const h5::Object type_copy(h5::check(H5Tcopy(type), name), H5Tclose);
  if (H5Tget_class(type) == H5T_STRING) h5::check(H5Tset_size(type_copy.id(), 8), name);
  const h5::Object attribute(
      h5::check(H5Acreate2(object.id(), name, type_copy.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), name), H5Aclose);
  const std::vector<char> zeros(count * 8, 'x');
  h5::check(H5Awrite(attribute.id(), type_copy.id(), zeros.data()), name);
}

std::string read_error(const std::string& path) {
  try {
    r::read_run_log(path);
  } catch (const h5::Error& error) {
    return error.what();
  }
  return "";
}

std::string load_error(const std::string& input) {
  try {
    r::load_runs({input});
  } catch (const r::UsageError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

// An attribute that holds an array where one value belongs was read into one variable, past its end:
// a crash with many values, silently accepted with two.
TEST(RunLogReader, RefusesAnArrayWhereOneValueBelongs) {
  const std::vector<std::tuple<const char*, const char*, hid_t, hsize_t>> cases = {
      {"/", "schema_version", H5T_NATIVE_INT64, 4000}, {"/", "schema_version", H5T_NATIVE_INT64, 2},
      {"/", "parameters", H5T_NATIVE_DOUBLE, 2},       {"/", "status", H5T_C_S1, 2},
      {"summary", "mfu", H5T_NATIVE_DOUBLE, 3},
  };
  for (const auto& [group, name, type, count] : cases) {
    const auto path = readable_log("array.h5");
    ASSERT_EQ(read_error(path), "") << "the log as written reads";
    make_array(path, group, name, type, count);
    EXPECT_NE(read_error(path).find(fmt::format("{}: holds {} values where one is expected", name, count)),
              std::string::npos)
        << name << ": " << read_error(path);
    std::filesystem::remove(path);
  }
}

TEST(RunLogReader, RefusesASchemaVersionThatIsNotAnInteger) {
  const auto path = temporary("schema-float.h5");
  {
    const auto file = h5::create_file(path);
    h5::write_attribute(file.id(), "schema_version", 3.5);
  }
  EXPECT_NE(read_error(path).find("schema_version: not an integer"), std::string::npos) << read_error(path);
  std::filesystem::remove(path);
}

TEST(SweepReader, RefusesASweepWithoutRunsOrOfAnUnknownScalingOrAManifestThatIsNoFile) {
  const auto folder = temporary("sweep");
  std::filesystem::create_directories(folder);
  const auto manifest = folder + "/manifest.json";
  std::ofstream(manifest) << R"({"scaling": "strong", "runs": []})";
  EXPECT_EQ(load_error(folder), manifest + ": lists no runs");
  std::ofstream(manifest) << R"({"scaling": "sideways", "runs": [{"log": "x.h5"}]})";
  EXPECT_EQ(load_error(folder), manifest + ": scaling is 'sideways'; allowed: strong, weak");
  std::filesystem::remove(manifest);
  std::filesystem::create_directories(manifest);  // a folder of that name read as "basic_filebuf::underflow"
  EXPECT_EQ(load_error(folder), manifest + ": is a folder, not a file");
  std::filesystem::remove(manifest);
  ASSERT_EQ(::mkfifo(manifest.c_str(), 0600), 0);  // a FIFO without a writer hung the read; now it is empty
  EXPECT_NE(load_error(folder).find(manifest + ": not a sweep manifest"), std::string::npos) << load_error(folder);
  std::filesystem::remove_all(folder);
}

// A log a manifest names relative to itself is in the sweep's folder, not the current one.
TEST(SweepReader, AManifestsRelativeLogPathsAreInItsFolder) {
  const auto folder = temporary("relative-sweep");
  std::filesystem::create_directories(folder);
  std::filesystem::rename(readable_log("relative.h5"), folder + "/nodes-1.h5");
  std::ofstream(folder + "/manifest.json") << R"({"scaling": "strong", "runs": [{"log": "nodes-1.h5"}]})";
  EXPECT_EQ(r::load_runs({folder}).runs.size(), 1u);
  std::filesystem::remove_all(folder);
}

TEST(SweepReader, NodesMustBeAWholeNumberUpToTheRanks) {
  for (const std::string nodes : {"abc", "", "-3", "0", "3", "99999999999", "2x"}) {
    const auto path = readable_log("nodes.h5", {{"nodes", nodes}});
    EXPECT_NE(load_error(path).find(fmt::format("/environment nodes is '{}'; it must be a whole number from 1 to the 2 "
                                                "ranks",
                                                nodes)),
              std::string::npos)
        << nodes << ": " << load_error(path);
    std::filesystem::remove(path);
  }
  const auto path = readable_log("nodes.h5", {{"nodes", "2"}});
  EXPECT_EQ(r::load_runs({path}).runs.at(0).facts.nodes, 2);
  std::filesystem::remove(path);
}

namespace {

// A log of two ranks and two steps whose row `index` (of four) is changed by `change`.
std::string log_with_row(const std::function<void(scaleout::analysis::StepRow&)>& change, int index) {
  const auto path = temporary("rows.h5");
  r::RunLogWriter writer(path, {"0.1.0", "abc", "scaleout run x.yaml", "model: tiny\n", {}, {}}, two_ranks(),
                         small_workload().layout, small_programs(), 0);
  std::vector<scaleout::analysis::StepRow> rows;
  for (int step = 0; step < 2; ++step) {
    for (int rank = 0; rank < 2; ++rank) rows.push_back({.step = step, .rank = rank, .step_s = 0.5});
  }
  change(rows[static_cast<std::size_t>(index)]);
  writer.append_steps(rows);
  writer.close(r::RunStatus::complete);
  return path;
}

}  // namespace

// Rows that no run writes were believed: NaN, infinite or negative times (report printed them and
// compare called them improvements), ranks and steps outside the run, unknown passes, a step twice.
TEST(RunLogReader, RefusesRowsNoRunWrites) {
  using Row = scaleout::analysis::StepRow;
  const std::vector<std::tuple<std::function<void(Row&)>, std::string>> cases = {
      {[](Row& row) { row.step_s = std::nan(""); }, "/steps row 3 (step 1, rank 1): step_s is nan"},
      {[](Row& row) { row.compute_s = -1; }, "compute_s is -1; times are finite and not negative"},
      {[](Row& row) { row.exposed(p::Group::tp) = INFINITY; }, "exposed_tp_s is inf"},
      {[](Row& row) { row.other_s = -INFINITY; }, "other_s is -inf"},
      {[](Row& row) { row.rank = 7; }, "the rank is not one of the log's 2 ranks"},
      {[](Row& row) { row.rank = -1; }, "the rank is not one of the log's 2 ranks"},
      {[](Row& row) { row.step = -5; }, "the step is negative"},
      {[](Row& row) { row.pass = 9; }, "pass 9 is not a pass (0 training, 1 prefill, 2 decode)"},
      {[](Row& row) { row.step = 0; }, "/steps row 3 (step 0, rank 1): the rank's step comes twice"},
  };
  for (const auto& [change, expected] : cases) {
    const auto path = log_with_row(change, 3);
    EXPECT_NE(read_error(path).find(expected), std::string::npos) << expected << ": " << read_error(path);
    std::filesystem::remove(path);
  }
  const auto path = log_with_row([](Row&) {}, 3);
  EXPECT_EQ(read_error(path), "");
  std::filesystem::remove(path);
}

// An external link was followed to whatever it names (a FIFO there hung the reader); a soft link read
// another object of the file.
TEST(RunLogReader, FollowsNoLinks) {
  const auto target = readable_log("target.h5");
  for (const bool external : {true, false}) {
    const auto path = readable_log("linked.h5");
    {
      const auto file = h5::open_file(path, h5::Access::read_write);
      h5::check(H5Ldelete(file.id(), "steps", H5P_DEFAULT), "steps");
      if (external) {
        h5::check(H5Lcreate_external(target.c_str(), "/steps", file.id(), "steps", H5P_DEFAULT, H5P_DEFAULT), "link");
      } else {
        h5::check(H5Lcreate_soft("/ops", file.id(), "steps", H5P_DEFAULT, H5P_DEFAULT), "link");
      }
    }
    EXPECT_NE(read_error(path).find("steps: a link to elsewhere, not an object of the file"), std::string::npos)
        << read_error(path);
    std::filesystem::remove(path);
  }
  std::filesystem::remove(target);
}

// A /steps without a column read it as zeros; one that declares rows it never wrote read them as
// zeros too, after allocating every one (3e7 rows: 7 GB for a 368 KB file).
TEST(RunLogReader, RefusesStepsWithoutAColumnOrWithRowsNeverWritten) {
  {
    const auto path = readable_log("columns.h5");
    {
      const auto file = h5::open_file(path, h5::Access::read_write);
      h5::check(H5Ldelete(file.id(), "steps", H5P_DEFAULT), "steps");
      struct Partial {
        std::int32_t step, rank;
      };
      h5::CompoundType partial(sizeof(Partial));
      partial.field("step", offsetof(Partial, step), H5T_NATIVE_INT32)
          .field("rank", offsetof(Partial, rank), H5T_NATIVE_INT32);
      const std::vector<Partial> rows = {{0, 0}, {0, 1}};
      h5::Table(file.id(), "steps", partial.id(), 16).append(rows.data(), rows.size());
    }
    EXPECT_NE(read_error(path).find("/steps: has no column warmup"), std::string::npos) << read_error(path);
    std::filesystem::remove(path);
  }
  {
    const auto path = readable_log("declared.h5");
    {
      const auto file = h5::open_file(path, h5::Access::read_write);
      const auto steps = h5::open_dataset(file.id(), "steps");
      const hsize_t declared = 30'000'000;
      h5::check(H5Dset_extent(steps.id(), &declared), "steps");
    }
    EXPECT_NE(read_error(path).find("/steps: declares 30000000 rows but holds the bytes of"), std::string::npos)
        << read_error(path);
    std::filesystem::remove(path);
  }
  {
    const auto path = readable_log("declared-ops.h5");  // read chunk by chunk, so bounded the same way
    {
      const auto file = h5::open_file(path, h5::Access::read_write);
      const auto ops = h5::open_dataset(file.id(), "ops");
      const hsize_t declared = 30'000'000;
      h5::check(H5Dset_extent(ops.id(), &declared), "ops");
    }
    EXPECT_NE(read_error(path).find("/ops: declares 30000000 rows but holds the bytes of 0"), std::string::npos)
        << read_error(path);
    std::filesystem::remove(path);
  }
}

namespace {

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Where the first chunk of `dataset` lies in the file.
haddr_t first_chunk_address(const std::string& path, const char* dataset) {
  const auto file = h5::open_file(path, h5::Access::read_only);
  const auto table = h5::open_dataset(file.id(), dataset);
  hsize_t offset = 0, size = 0;
  unsigned filter_mask = 0;
  haddr_t address = 0;
  const h5::Object space(h5::check(H5Dget_space(table.id()), dataset), H5Sclose);
  h5::check(H5Dget_chunk_info(table.id(), space.id(), 0, &offset, &filter_mask, &address, &size), dataset);
  return address;
}

}  // namespace

TEST(RunLogIntegrity, ANewLogCarriesChecksumsAndAFlippedByteInATableIsDamage) {
  const auto path = readable_log("checksums.h5");
  EXPECT_TRUE(r::read_run_log(path).checksummed);
  const auto whole = file_bytes(path);
  for (const char* table : {"steps", "ranks", "program"}) {
    auto bytes = whole;
    bytes.at(first_chunk_address(path, table) + 3) ^= 0x10;
    const auto damaged = temporary("damaged.h5");
    write_bytes(damaged, bytes);
    EXPECT_NE(read_error(damaged).find(fmt::format("the log is damaged: /{}: a checksum does not match", table)),
              std::string::npos)
        << table << ": " << read_error(damaged);
    std::filesystem::remove(damaged);
  }
  std::filesystem::remove(path);
}

// Any one flipped bit, wherever it falls, is refused or changes nothing the reader returns (it fell
// in free space or padding), except in a string's bytes: HDF5 keeps variable-length strings in its
// global heap, which carries no checksum (docs/reliability.md).
TEST(RunLogIntegrity, AFlippedBitAnywhereIsRefusedOrChangesNothingButAString) {
  const auto path = readable_log("flips.h5");
  const r::RunLog original = r::read_run_log(path);
  const auto whole = file_bytes(path);
  const auto damaged = temporary("flipped.h5");
  int refused = 0, same = 0, isolated = 0;
  // Every 7th byte of the first 8 KiB, where HDF5 puts the metadata and the heap; then 300 across the
  // tables' chunks.
  std::vector<std::size_t> offsets;
  for (std::size_t offset = 0; offset < std::min<std::size_t>(whole.size(), 8192); offset += 7)
    offsets.push_back(offset);
  for (std::size_t offset = 8192; offset < whole.size(); offset += std::max<std::size_t>(1, whole.size() / 300)) {
    offsets.push_back(offset);
  }
  for (const std::size_t offset : offsets) {
    auto bytes = whole;
    bytes[offset] = static_cast<char>(bytes[offset] ^ (1 << (offset % 8)));
    write_bytes(damaged, bytes);
    try {
      const r::RunLog read = r::read_run_log(damaged, /*deadline_s=*/3);
      EXPECT_EQ(read.steps.size(), original.steps.size()) << offset;
      for (std::size_t i = 0; i < std::min(read.steps.size(), original.steps.size()); ++i) {
        EXPECT_EQ(std::memcmp(&read.steps[i], &original.steps[i], sizeof(read.steps[i])), 0) << offset;
      }
      EXPECT_EQ(read.figures, original.figures) << offset;
      EXPECT_EQ(read.summary, original.summary) << offset;
      EXPECT_EQ(read.node_of_rank, original.node_of_rank) << offset;
      EXPECT_EQ(read.op_rows, original.op_rows) << offset;
      ++same;
    } catch (const h5::Error& error) {
      ++refused;
      const std::string message = error.what();
      isolated += message.find("did not end") != std::string::npos || message.find("crashed") != std::string::npos;
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(same, 0);
  // Some flips in the string heap or the chunk index crash HDF5 or loop in it: the isolation caught
  // them (offsets 2226, 4592, 5593 and 6027 of this log did, in the first 8 KiB).
  EXPECT_GT(isolated, 0);
  std::filesystem::remove(damaged);
  std::filesystem::remove(path);
}

// Rows a run never writes: a step with some ranks' rows only (one rank's alone read as a 1-rank run),
// no rank at all, and a root figure the report divides by that is NaN (issue 26's defect 13).
TEST(RunLogReader, RefusesStepsShortOfARankNoRanksAndNanFigures) {
  {
    const auto path = readable_log("one-rank.h5");
    {
      const auto file = h5::open_file(path, h5::Access::read_write);
      const auto steps = h5::open_dataset(file.id(), "steps");
      const hsize_t rows = 3;  // steps 0 and 1 of two ranks, but for step 1's rank 1
      h5::check(H5Dset_extent(steps.id(), &rows), "steps");
    }
    EXPECT_NE(read_error(path).find("/steps: step 1 has the rows of 1 of the log's 2 ranks"), std::string::npos)
        << read_error(path);
    std::filesystem::remove(path);
  }
  {
    const auto path = readable_log("no-ranks.h5");
    {
      const auto file = h5::open_file(path, h5::Access::read_write);
      h5::check(H5Ldelete(file.id(), "ranks", H5P_DEFAULT), "ranks");
      h5::CompoundType node_only(sizeof(std::int32_t));
      node_only.field("node", 0, H5T_NATIVE_INT32);
      h5::Table(file.id(), "ranks", node_only.id(), 16);
    }
    EXPECT_NE(read_error(path).find("/ranks: holds no rank"), std::string::npos) << read_error(path);
    std::filesystem::remove(path);
  }
  {
    const auto path = readable_log("nan-figure.h5");
    {
      const auto file = h5::open_file(path, h5::Access::read_write);
      h5::write_attribute(file.id(), "tokens_per_step", std::nan(""));
    }
    EXPECT_NE(load_error(path).find("the run log's tokens_per_step is nan"), std::string::npos) << load_error(path);
    std::filesystem::remove(path);
  }
}
