// GPTQ weight quantization (Frantar, Ashkboos, Hoefler, Alistarh, "GPTQ:
// Accurate Post-Training Quantization for Generative Pre-trained
// Transformers", ICLR 2023, arXiv:2210.17323): the input dimensions of a
// linear's weight W [N, K] are quantized one at a time, and each rounding
// error is pushed onto the dimensions not yet quantized, weighted by the
// inverse of H = sum_t x_t x_t^T over calibration inputs, so that the
// layer's outputs X W^T (not its weights) stay as close as the codes allow.
//
// What it produces is the layout of runtime/QuantizedWeights.h, the same
// kernels read it. Choices (the paper's defaults where it has them):
//   - damping: 1% of H's mean diagonal added to the diagonal (x10 until the
//     Cholesky factorization succeeds, at most 6 times);
//   - grouped codes: columns in order (groups stay contiguous runs of K,
//     which the kernels need); a code per output channel (w8): columns by
//     decreasing H_kk (act-order), each code stored at its own column;
//   - 4-bit codes then refined by coordinate descent on the same objective
//     (detail::refineCodes), group codes kept;
//   - group codes (scale, zero point) chosen when the group's first column
//     is reached, from the weights as updated by then, with the same clipped
//     range search as round-to-nearest; per-channel (w8) codes from the
//     original row;
//   - a dimension no calibration input ever reached (H_kk = 0) is quantized
//     to nearest and passes no error on (its weight is kept, not zeroed:
//     inputs the calibration did not cover still see it).
// Rows are independent given H, so they are split over the machine's cores;
// the result does not depend on how many.
#pragma once

#include "runtime/pack/Calibration.h"
#include "runtime/pack/QuantizerCore.h"
#include "runtime/pack/WeightTransforms.h"

#include <cstdint>
#include <vector>

namespace attnrt::pack {

// All parts of a quantized weight at once (GPTQ decides them together).
struct QuantizedWeight {
  Tensor values, scales, zeros; // zeros empty unless params.asymmetric

  const Tensor &part(QuantizedPart p) const {
    return p == QuantizedPart::Values ? values : p == QuantizedPart::Scales ? scales : zeros;
  }
};

// `weight` [N, K] (out_in) of dtype f32, f16 or bf16; `statistics` of the
// linear's input (inFeatures == K). Fails on non-finite weights or
// statistics, mismatched sizes, or an H that stays singular after damping.
Status gptqQuantizeWeight(const TensorView &weight, const std::string &weightDtype,
                          const QuantizeParams &params, const LinearInputStatistics &statistics,
                          QuantizedWeight &out);

namespace detail {
// The upper triangular U with H^-1 = U^T U (GPTQ's inverse-Hessian factor),
// as float [n, n] row-major, for the symmetric positive definite H [n, n]
// (row-major). With J the reversal permutation and J H J = L L^T, H^-1 =
// (J L^-1 J)^T (J L^-1 J), and J L^-1 J is upper triangular: one
// factorization and one triangular inverse, both by blocks over the cores.
// False if H is not positive definite.
bool inverseHessianFactor(const std::vector<double> &h, std::int64_t n, std::vector<float> &u);

// Coordinate descent on one row's codes after GPTQ: the objective is the
// layer's output error on the calibration inputs, (w - dq)^T H (w - dq)
// (h [n, n] row-major, symmetric), over codes[k] of group k / group
// (groupCodes: scale, zero point and range fixed); each sweep moves every
// code that lowers it by one step up or down, until a sweep moves none or
// `sweeps` have run. skip[k]: left as it is (an input no token reached).
// Returns the moves made. (GPTQ settles each code with only the dimensions
// after it free to compensate; this revisits every code with all of them
// settled. On the 13 trained fixtures, w4g128: KL lower on 50 of 65
// fixture-seeds, BENCHMARKS.md.)
std::int64_t refineCodes(const std::vector<double> &h, std::int64_t n, const float *w,
                         std::int64_t *codes, const GroupCode *groupCodes, std::int64_t group,
                         const std::vector<bool> &skip, int sweeps);
} // namespace detail

} // namespace attnrt::pack
