#include "runs/output_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace scaleout::runs {
namespace {

namespace fs = std::filesystem;

class OutputFile : public testing::Test {
 protected:
  void SetUp() override {
    folder = fs::temp_directory_path() / ("scaleout-output-" + std::to_string(::getpid()));
    fs::create_directories(folder);
  }
  void TearDown() override { fs::remove_all(folder); }
  fs::path folder;
};

TEST_F(OutputFile, ReasonsWhyAPathCannotBeWritten) {
  EXPECT_EQ(unwritable_reason((folder / "ok.json").string()), "");
  EXPECT_NE(unwritable_reason((folder / "missing" / "x.json").string()).find("does not exist"), std::string::npos);
  EXPECT_NE(unwritable_reason(folder.string()).find("is a folder"), std::string::npos);
  EXPECT_NE(unwritable_reason("").find("no file name"), std::string::npos);
  EXPECT_EQ(unwritable_reason("/dev/null"), "it exists and is not a regular file");
  // A name past NAME_MAX, and a link to nothing, are said so before any work (exit 1 after MPI before).
  EXPECT_NE(unwritable_reason((folder / std::string(300, 'n')).string()).find("file name of 300 bytes"),
            std::string::npos);
  fs::create_symlink(folder / "nowhere" / "x.h5", folder / "dangling.h5");
  EXPECT_NE(unwritable_reason((folder / "dangling.h5").string()).find("symbolic link to"), std::string::npos);
}

// An output never replaces an input (a run's config given as its --output, or a link to it), an
// existing file without leave, or a file another process writes (HDF5 truncated it first).
TEST_F(OutputFile, AnOutputReplacesNoInputNoFileWithoutLeaveAndNoFileBeingWritten) {
  const std::string config = (folder / "run.yaml").string();
  std::ofstream(config) << "model: tiny\n";
  fs::create_symlink(config, folder / "link.h5");
  EXPECT_NE(output_problem(config, {.overwrite = true, .inputs = {config}}).find("an input of this command"),
            std::string::npos);
  EXPECT_NE(output_problem((folder / "link.h5").string(), {.overwrite = true, .inputs = {config}})
                .find("an input of this command"),
            std::string::npos);
  EXPECT_EQ(output_problem(config, {.how_to_overwrite = "say so"}), "it exists; say so");
  EXPECT_EQ(output_problem(config, {.overwrite = true}), "");
  EXPECT_EQ(output_problem((folder / "new.h5").string(), {.inputs = {config}}), "");

  const int writer = ::open(config.c_str(), O_RDWR);
  ASSERT_GE(writer, 0);
  ASSERT_EQ(::flock(writer, LOCK_EX | LOCK_NB), 0);  // as HDF5 holds a file it writes
  EXPECT_TRUE(locked_by_a_writer(config));
  EXPECT_NE(output_problem(config, {.overwrite = true}).find("another process is writing it"), std::string::npos);
  ::close(writer);
  EXPECT_FALSE(locked_by_a_writer(config));
}

TEST_F(OutputFile, WritesWholeAndLeavesNoTemporary) {
  const fs::path target = folder / "result.csv";
  std::ofstream(target) << "old content that is longer than the new";
  write_file_atomically(target.string(), "new\n");
  std::ifstream in(target);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "new\n");
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(folder)) ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(OutputFile, FailureThrowsAndLeavesNothing) {
  EXPECT_THROW(write_file_atomically((folder / "missing" / "x.json").string(), "x"), std::runtime_error);
  EXPECT_TRUE(fs::is_empty(folder));
}

}  // namespace
}  // namespace scaleout::runs
