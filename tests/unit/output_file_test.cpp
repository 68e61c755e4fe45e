#include "runs/output_file.hpp"

#include <gtest/gtest.h>

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
