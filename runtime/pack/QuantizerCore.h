// The pieces of weight quantization that round-to-nearest (quantizeWeight,
// WeightTransforms.cpp) and GPTQ (Gptq.cpp) share, so that both produce the
// codes, scales and zero points of runtime/QuantizedWeights.h the same way.
// Internal to runtime/pack.
#pragma once

#include "runtime/pack/WeightTransforms.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnrt::pack::detail {

// An f32, f16 or bf16 element as float.
float loadFloat(const std::uint8_t *p, const std::string &dtype);

// round(x) (to nearest, ties to even, whatever the rounding mode) + offset,
// clamped to [lo, hi].
std::int64_t roundClamped(double x, std::int64_t offset, std::int64_t lo, std::int64_t hi);

// A group's scale, zero point and code range: w ~ (q - zero) * scale with q
// in [qmin, qmax].
struct GroupCode {
  float scale;
  std::int64_t zero, qmin, qmax;
};

// The code of a group of n weights (a whole row for per-channel scales):
// the contract's range, for 4 bits the clipped range of least squared error.
GroupCode chooseGroupCode(const QuantizeParams &params, const float *values, std::int64_t n);

// Stores code q of element k (row-major index into the [N, K] weight) into
// the packed values: a byte for 8 bits, a nibble for 4 (even k low).
void storeCode(const QuantizeParams &params, std::uint8_t *values, std::int64_t k,
               std::int64_t q);

// The quantizers' threads each report the first non-finite weight of their
// rows (row -1: none): a failure naming the first one found, or success.
Status nonFiniteWeight(const std::vector<std::int64_t> &badRow,
                       const std::vector<std::int64_t> &badCol);

} // namespace attnrt::pack::detail
