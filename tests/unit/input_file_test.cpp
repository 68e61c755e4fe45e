// Input files are read only when regular and never past their bound (defects 5 and 8 of the
// hardening issue: a FIFO blocked open() for ever, /dev/zero read without limit).
#include "runs/input_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "runs/config/at_scale.hpp"
#include "runs/config/options.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {
namespace {

namespace fs = std::filesystem;

class InputFile : public testing::Test {
 protected:
  void SetUp() override {
    folder = fs::temp_directory_path() / ("scaleout-input-" + std::to_string(::getpid()));
    fs::create_directories(folder);
  }
  void TearDown() override { fs::remove_all(folder); }
  std::string file(const std::string& name, const std::string& text) {
    std::ofstream((folder / name).string(), std::ios::binary) << text;
    return (folder / name).string();
  }
  std::string fifo() {
    const std::string path = (folder / "fifo").string();
    EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
    return path;
  }
  fs::path folder;
};

std::string refusal(const std::function<void()>& read) {
  try {
    read();
  } catch (const UsageError& error) {
    return error.what();
  }
  return "(accepted)";
}

TEST_F(InputFile, ARegularFileOrALinkToOneIsReadWhole) {
  const std::string path = file("a.txt", "model: tiny\n");
  EXPECT_EQ(read_input_file(path, 100, "a test file"), "model: tiny\n");
  fs::create_symlink(path, folder / "link");
  EXPECT_EQ(read_input_file((folder / "link").string(), 100, "a test file"), "model: tiny\n");
  EXPECT_EQ(input_problem(path), "");
}

TEST_F(InputFile, WhatIsNotARegularFileIsRefusedWithItsKind) {
  EXPECT_NE(input_problem(fifo()).find("is a FIFO"), std::string::npos);
  EXPECT_NE(refusal([] { read_input_file("/dev/zero", 100, "a test file"); }).find("is a device"), std::string::npos);
  EXPECT_NE(refusal([&] { read_input_file(folder.string(), 100, "a test file"); }).find("is a folder"),
            std::string::npos);
  EXPECT_NE(refusal([&] { read_input_file((folder / "none").string(), 100, "a test file"); }).find("no such file"),
            std::string::npos);
  EXPECT_NE(input_problem((folder / "none").string()).find("no such file"), std::string::npos);
  EXPECT_NE(refusal([] { read_input_file("", 100, "a test file"); }).find("no file name"), std::string::npos);
}

// A pipe is text to read (mpiexec gives rank 0's stdin through one); a FIFO with no writer is read at
// once as empty instead of blocking open() for ever.
TEST_F(InputFile, APipeIsReadAndAFifoWithNoWriterIsEmptyAtOnce) {
  EXPECT_EQ(read_input_file(fifo(), 100, "a test file"), "");
  int ends[2];
  ASSERT_EQ(::pipe(ends), 0);
  ASSERT_EQ(::write(ends[1], "abc", 3), 3);
  ::close(ends[1]);
  EXPECT_EQ(read_input_file("/proc/self/fd/" + std::to_string(ends[0]), 100, "a test file"), "abc");
  ::close(ends[0]);
}

TEST_F(InputFile, AFileOverItsBoundIsRefused) {
  const std::string path = file("big", std::string(101, 'x'));
  EXPECT_NE(refusal([&] { read_input_file(path, 100, "a test file"); }).find("not a test file"), std::string::npos);
  EXPECT_EQ(read_input_file(path, 101, "a test file").size(), 101u);
}

TEST_F(InputFile, ConfigsAndCalibrationsGoThroughIt) {
  const std::string pipe = fifo();
  EXPECT_NE(refusal([&] { (void)Settings::from_file(pipe); }).find("the config is empty"), std::string::npos);
  EXPECT_NE(refusal([&] { (void)load_calibration(pipe); }).find(pipe), std::string::npos);
  EXPECT_NE(refusal([] { (void)load_calibration("/dev/zero"); }).find("is a device"), std::string::npos);
  EXPECT_NE(refusal([&] { (void)load_calibration(folder.string()); }).find("is a folder"), std::string::npos);
}

}  // namespace
}  // namespace scaleout::runs
