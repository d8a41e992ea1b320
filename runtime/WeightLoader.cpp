#include "runtime/WeightLoader.h"

#include "runtime/Error.h"

#include <xxhash.h>

namespace attnrt {

std::uint64_t weightsChecksum(const void *data, std::size_t size) {
  return static_cast<std::uint64_t>(XXH3_64bits(data, size));
}

std::shared_ptr<const MappedFile> loadWeights(const std::string &path,
                                              const ManifestWeights &expected) {
  std::string error;
  std::shared_ptr<const MappedFile> file = MappedFile::open(path, error);
  if (!file)
    throw Error(ErrorCode::Io, error);
  if (file->size() != expected.bytes)
    throw Error(ErrorCode::Corrupt,
                path + ": " + (file->size() < expected.bytes ? "truncated" : "too long") + ": " +
                    std::to_string(file->size()) + " bytes, but the manifest says " +
                    std::to_string(expected.bytes));
  std::uint64_t actual = weightsChecksum(file->data(), file->size());
  if (actual != expected.xxh3)
    throw Error(ErrorCode::Corrupt, path + ": checksum mismatch: XXH3-64 is " +
                                        formatXxh3(actual) + " but the manifest says " +
                                        formatXxh3(expected.xxh3) +
                                        "; the file is corrupt or belongs to another artifact");
  return file;
}

} // namespace attnrt
