// Normalisations over the last dimension of [rows, dim] row-major tensors;
// rows run in parallel. Statistics are accumulated in float32 (as HF does in
// its float32 reference paths) and the weights are float32 whatever T is.
#ifndef ATTNC_RUNTIME_CPU_NORM_H
#define ATTNC_RUNTIME_CPU_NORM_H

#include "runtime/cpu/ThreadPool.h"
#include "runtime/cpu/VectorOps.h"

#include <cmath>
#include <cstdint>

namespace attnrt::cpu {

namespace detail {
template <typename T>
inline void rms_norm_row(const T *x, const float *weight, float weight_offset, float eps,
                         int64_t dim, T *y) {
  const float inv_rms = 1.0f / std::sqrt(sum_squares(x, dim) / static_cast<float>(dim) + eps);
  for (int64_t i = 0; i < dim; ++i)
    y[i] = static_cast<T>(static_cast<float>(x[i]) * inv_rms * (weight[i] + weight_offset));
}
} // namespace detail

// y = x / sqrt(mean(x²) + eps) * (weight + weight_offset).
// weight_offset is 0 for LLaMA-style norms and 1 for Gemma's (1 + w).
// x, y: [rows, dim]; y may alias x. weight: [dim].
template <typename T>
void rms_norm(ThreadPool &pool, const T *x, const float *weight, float weight_offset, float eps,
              int64_t rows, int64_t dim, T *y) {
  pool.parallel_for(0, rows, detail::rows_per_chunk(dim), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      detail::rms_norm_row(x + r * dim, weight, weight_offset, eps, dim, y + r * dim);
  });
}

// Pre-norm residual step fused into one pass over memory:
//   residual_out = a + b;  y = rms_norm(residual_out).
// a, b, residual_out, y: [rows, dim]; residual_out may alias a or b (in-place
// residual stream), y must not alias residual_out.
template <typename T>
void residual_add_rms_norm(ThreadPool &pool, const T *a, const T *b, const float *weight,
                           float weight_offset, float eps, int64_t rows, int64_t dim,
                           T *residual_out, T *y) {
  pool.parallel_for(0, rows, detail::rows_per_chunk(dim), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T *ar = a + r * dim;
      const T *br = b + r * dim;
      T *res = residual_out + r * dim;
      for (int64_t i = 0; i < dim; ++i)
        res[i] = static_cast<T>(static_cast<float>(ar[i]) + static_cast<float>(br[i]));
      detail::rms_norm_row(res, weight, weight_offset, eps, dim, y + r * dim);
    }
  });
}

// y = (x - mean(x)) / sqrt(var(x) + eps) * weight (+ bias), biased variance,
// two passes (no E[x²] - E[x]² cancellation).
// x, y: [rows, dim]; y may alias x. weight: [dim]; bias: [dim] or nullptr.
template <typename T>
void layer_norm(ThreadPool &pool, const T *x, const float *weight, const float *bias, float eps,
                int64_t rows, int64_t dim, T *y) {
  pool.parallel_for(0, rows, detail::rows_per_chunk(dim), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T *xr = x + r * dim;
      T *yr = y + r * dim;
      const float mean = detail::sum(xr, dim) / static_cast<float>(dim);
      const float var = detail::sum_squared_deviation(xr, dim, mean) / static_cast<float>(dim);
      const float inv_std = 1.0f / std::sqrt(var + eps);
      if (bias) {
        for (int64_t i = 0; i < dim; ++i)
          yr[i] = static_cast<T>((static_cast<float>(xr[i]) - mean) * inv_std * weight[i] + bias[i]);
      } else {
        for (int64_t i = 0; i < dim; ++i)
          yr[i] = static_cast<T>((static_cast<float>(xr[i]) - mean) * inv_std * weight[i]);
      }
    }
  });
}

} // namespace attnrt::cpu

#endif // ATTNC_RUNTIME_CPU_NORM_H
