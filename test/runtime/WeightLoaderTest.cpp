#include "runtime/WeightLoader.h"

#include "runtime/Error.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>
#include <fstream>
#include <unistd.h>
#include <vector>

namespace {

std::string writeBlob(const char *tag, const std::vector<char> &bytes) {
  std::string path = ::testing::TempDir() + "attnrt-weights-" + tag + "-" + std::to_string(::getpid());
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

std::vector<char> blob(std::size_t size) {
  std::vector<char> bytes(size);
  for (std::size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<char>(i * 131 + 7);
  return bytes;
}

attnrt::ManifestWeights describe(const std::vector<char> &bytes) {
  attnrt::ManifestWeights w;
  w.bytes = bytes.size();
  w.xxh3 = XXH3_64bits(bytes.data(), bytes.size());
  return w;
}

attnrt::Error loadError(const std::string &path, const attnrt::ManifestWeights &expected) {
  try {
    attnrt::loadWeights(path, expected);
  } catch (const attnrt::Error &e) {
    return e;
  }
  return attnrt::Error(attnrt::ErrorCode::Internal, "(loaded)");
}

TEST(WeightLoader, MapsAMatchingFile) {
  std::vector<char> bytes = blob(100000);
  std::string path = writeBlob("ok", bytes);
  auto file = attnrt::loadWeights(path, describe(bytes));
  ASSERT_TRUE(file);
  ASSERT_EQ(file->size(), bytes.size());
  EXPECT_EQ(0, std::memcmp(file->data(), bytes.data(), bytes.size()));
  EXPECT_EQ(attnrt::weightsChecksum(bytes.data(), bytes.size()), describe(bytes).xxh3);
  ::unlink(path.c_str());
}

TEST(WeightLoader, TruncatedFileIsReportedWithBothSizes) {
  std::vector<char> bytes = blob(5000);
  attnrt::ManifestWeights expected = describe(bytes);
  bytes.resize(4000);
  std::string path = writeBlob("short", bytes);
  attnrt::Error e = loadError(path, expected);
  EXPECT_EQ(e.code(), attnrt::ErrorCode::Corrupt);
  std::string message = e.what();
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  EXPECT_NE(message.find("4000"), std::string::npos) << message;
  EXPECT_NE(message.find("5000"), std::string::npos) << message;
  EXPECT_NE(message.find(path), std::string::npos) << message;
  ::unlink(path.c_str());
}

TEST(WeightLoader, OneFlippedBitIsACorruptFile) {
  std::vector<char> bytes = blob(4096);
  attnrt::ManifestWeights expected = describe(bytes);
  bytes[2049] ^= 0x10;
  std::string path = writeBlob("flip", bytes);
  attnrt::Error e = loadError(path, expected);
  EXPECT_EQ(e.code(), attnrt::ErrorCode::Corrupt);
  EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find(attnrt::formatXxh3(expected.xxh3)), std::string::npos);
  ::unlink(path.c_str());
}

TEST(WeightLoader, LongerFileAndMissingFile) {
  std::vector<char> bytes = blob(64);
  attnrt::ManifestWeights expected = describe(bytes);
  bytes.push_back(0);
  std::string path = writeBlob("long", bytes);
  EXPECT_NE(std::string(loadError(path, expected).what()).find("too long"), std::string::npos);
  ::unlink(path.c_str());
  attnrt::Error missing = loadError(path, expected);
  EXPECT_EQ(missing.code(), attnrt::ErrorCode::Io);
  EXPECT_NE(std::string(missing.what()).find(path), std::string::npos) << missing.what();
}

TEST(WeightLoader, EmptyBlobIsValidWhenTheManifestSaysSo) {
  std::vector<char> none;
  std::string path = writeBlob("empty", none);
  auto file = attnrt::loadWeights(path, describe(none));
  EXPECT_EQ(file->size(), 0u);
  ::unlink(path.c_str());
}

} // namespace
