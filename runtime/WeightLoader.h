// Maps an artifact's weights.bin and proves it is the blob the manifest
// describes (exact size, then XXH3-64 of every byte) before any model code
// reads it. The mapping is read-only and never copied.
#pragma once

#include "runtime/MappedFile.h"
#include "runtime/Manifest.h"

#include <cstdint>
#include <memory>
#include <string>

namespace attnrt {

// XXH3-64 (seed 0) of a buffer: the checksum manifests record.
std::uint64_t weightsChecksum(const void *data, std::size_t size);

// Maps `path` and checks it against `expected`. Throws attnrt::Error: Io when
// the file cannot be opened or mapped, Corrupt on a size difference (the
// message says truncated or too long, with both sizes) or a checksum mismatch
// (with both checksums).
std::shared_ptr<const MappedFile> loadWeights(const std::string &path,
                                              const ManifestWeights &expected);

} // namespace attnrt
