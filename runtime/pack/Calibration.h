// Calibration statistics: for each linear layer of a model, the second
// moment of its input over calibration tokens, sum_t x_t x_t^T [K, K]. GPTQ
// (Gptq.h) quantizes a weight against it. `attnc calibrate` measures it by
// running an unquantized CPU artifact over calibration token sequences and
// writes the file; `attnc compile --calibration FILE` and `attnc pack
// --calibration FILE` read it.
//
// A linear is named by the ONNX initializers its weight is built from (the
// weight plan's initializer leaves, e.g. q_proj, k_proj and v_proj of a fused
// QKV projection, which share one input), so statistics measured on one
// artifact serve any other compiled from the same model (another target,
// dtype or fusion).
//
// File (little-endian, the calibrating machine's byte order):
//   "ATTNCAL1"                      8-byte magic
//   u64 linears
//   per linear:
//     u64 names; per name: u64 length, bytes (UTF-8, no terminator)
//     u64 in_features K, u64 tokens
//     f32 [K, K] sum over tokens of x x^T, row-major (symmetric)
// Its size is dominated by the matrices: 4 K^2 bytes a linear (64 MiB at
// K = 4096).
#pragma once

#include "runtime/pack/WeightTransforms.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnrt::pack {

struct LinearInputStatistics {
  std::vector<std::string> weights; // initializers whose linears read this input
  std::int64_t inFeatures = 0;
  std::int64_t tokens = 0;          // how many inputs were summed
  std::vector<float> xtx;           // [inFeatures, inFeatures]
};

struct Calibration {
  std::vector<LinearInputStatistics> linears;

  // The statistics of the linear reading initializer `name`, or nullptr.
  const LinearInputStatistics *find(const std::string &name) const;
};

// Never throw. Errors name the file and what is wrong with it.
Status writeCalibration(const std::string &path, const Calibration &calibration);
Status readCalibration(const std::string &path, Calibration &calibration);

} // namespace attnrt::pack
