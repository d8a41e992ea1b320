// The packer: builds an artifact's weights.bin from the ONNX model its weight
// plan (WeightPlan.h) names initializers of, where that model lives. This is
// `attnc pack` and the standalone attnc-pack (no LLVM/MLIR), one
// implementation.
//
//   attnc pack DIR --from MODEL.onnx [--calibration FILE]
//
// reads DIR/manifest.json, DIR/weights.plan.json and DIR/weights.inline.bin,
// maps MODEL.onnx and its external data, evaluates the plan into a staging
// file beside weights.bin (mapped, so the weights are written once and never
// held in memory), renames it into place, then rewrites manifest.json the
// same way with the checksum and without "stripped". An artifact that
// already has weights is packed again (new weights of the same shapes, say a
// fine-tune, without recompiling); if the process dies between the two
// renames the loader reports a checksum mismatch and packing again repairs it.
#pragma once

#include "runtime/pack/WeightTransforms.h"

#include <cstdint>
#include <string>

namespace attnrt::pack {

struct PackReport {
  std::uint64_t bytes = 0;
  std::uint64_t xxh3 = 0;
  std::size_t blobs = 0;
  bool repacked = false;  // the artifact had weights already
};

// Never throws (the compiler driver that calls it is built without exceptions).
// `calibrationPath` (empty: none): the statistics GPTQ quantize transforms
// need (Calibration.h).
Status packArtifact(const std::string &artifactDir, const std::string &modelPath,
                    const std::string &calibrationPath, PackReport &report) noexcept;

// The command line shared by `attnc pack` and attnc-pack: argv[0] is the
// command's name as it should appear in messages. Returns the exit status: 0
// packed, 1 failed (the reason on stderr), 2 bad command line.
int packCommand(int argc, char **argv) noexcept;

} // namespace attnrt::pack
