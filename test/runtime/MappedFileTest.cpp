#include "runtime/MappedFile.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

std::string tempPath(const char *tag) {
  return ::testing::TempDir() + "attnrt-" + tag + "-" + std::to_string(::getpid());
}

TEST(MappedFile, MapsExactFileContents) {
  std::string path = tempPath("contents");
  std::vector<char> bytes(10007);
  std::mt19937 rng(std::random_device{}());
  for (char &b : bytes)
    b = static_cast<char>(rng());
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());

  std::string error;
  auto file = attnrt::MappedFile::open(path, error);
  ASSERT_TRUE(file) << error;
  ASSERT_EQ(file->size(), bytes.size());
  EXPECT_EQ(0, std::memcmp(file->data(), bytes.data(), bytes.size()));
  std::remove(path.c_str());
}

TEST(MappedFile, EmptyFileIsAnEmptyMapping) {
  std::string path = tempPath("empty");
  std::ofstream(path, std::ios::binary).close();
  std::string error;
  auto file = attnrt::MappedFile::open(path, error);
  ASSERT_TRUE(file) << error;
  EXPECT_EQ(file->size(), 0u);
  EXPECT_TRUE(file->contains(0, 0));
  EXPECT_FALSE(file->contains(0, 1));
  std::remove(path.c_str());
}

TEST(MappedFile, MissingFileNamesThePath) {
  std::string error;
  auto file = attnrt::MappedFile::open("/nonexistent/attnrt/weights.bin", error);
  EXPECT_FALSE(file);
  EXPECT_NE(error.find("/nonexistent/attnrt/weights.bin"), std::string::npos);
  EXPECT_NE(error.find("No such file"), std::string::npos);
}

TEST(MappedFile, DirectoryIsRefused) {
  std::string error;
  EXPECT_FALSE(attnrt::MappedFile::open("/", error));
  EXPECT_NE(error.find("not a regular file"), std::string::npos);
}

TEST(MappedFile, ContainsIsOverflowSafe) {
  std::string path = tempPath("range");
  std::ofstream(path, std::ios::binary).write("0123456789", 10);
  std::string error;
  auto file = attnrt::MappedFile::open(path, error);
  ASSERT_TRUE(file) << error;
  EXPECT_TRUE(file->contains(0, 10));
  EXPECT_TRUE(file->contains(10, 0));
  EXPECT_FALSE(file->contains(4, 7));
  EXPECT_FALSE(file->contains(11, 0));
  EXPECT_FALSE(file->contains(1, UINT64_MAX));
  std::remove(path.c_str());
}

} // namespace
