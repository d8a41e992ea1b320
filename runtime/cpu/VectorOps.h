// Small building blocks shared by the kernels. Reductions keep kLanes
// independent partial sums so that the compiler vectorises them without
// -ffast-math; the lane split and the final combine are fixed, so results do
// not depend on threading.
#ifndef ATTNC_RUNTIME_CPU_VECTOROPS_H
#define ATTNC_RUNTIME_CPU_VECTOROPS_H

#include <cstdint>

// The target's float vector registers: 16 floats with AVX-512 (F and BW), 8
// with AVX, else 4 (SSE2, NEON). The kernels with explicit vectors (attention,
// the quantized linear's decode) size theirs by it; ATTNRT_CPU_AVX512 selects
// their 16-lane intrinsics.
#if defined(__AVX512F__) && defined(__AVX512BW__)
#define ATTNRT_CPU_AVX512 1
#endif

namespace attnrt::cpu::detail {

#if defined(ATTNRT_CPU_AVX512)
constexpr int kRegisterFloats = 16;
#elif defined(__AVX__)
constexpr int kRegisterFloats = 8;
#else
constexpr int kRegisterFloats = 4;
#endif

constexpr int kLanes = 8; // one AVX2 register of f32; also fine for SSE/NEON

template <int Lanes = kLanes> inline float combine_lanes(const float (&lane)[Lanes]) {
  float sum = 0.0f;
  for (int l = 0; l < Lanes; ++l)
    sum += lane[l];
  return sum;
}

template <typename T> inline float sum(const T *x, int64_t n) {
  float lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l)
      lane[l] += static_cast<float>(x[i + l]);
  for (int l = 0; i < n; ++i, ++l)
    lane[l] += static_cast<float>(x[i]);
  return combine_lanes(lane);
}

template <typename T> inline float sum_squares(const T *x, int64_t n) {
  float lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float v = static_cast<float>(x[i + l]);
      lane[l] += v * v;
    }
  for (int l = 0; i < n; ++i, ++l) {
    const float v = static_cast<float>(x[i]);
    lane[l] += v * v;
  }
  return combine_lanes(lane);
}

// Sum of (x - mean)², the second pass of a two-pass variance.
template <typename T> inline float sum_squared_deviation(const T *x, int64_t n, float mean) {
  float lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float v = static_cast<float>(x[i + l]) - mean;
      lane[l] += v * v;
    }
  for (int l = 0; i < n; ++i, ++l) {
    const float v = static_cast<float>(x[i]) - mean;
    lane[l] += v * v;
  }
  return combine_lanes(lane);
}

// Rows per parallel_for chunk for row-wise kernels: enough elements per chunk
// (~16K) that waking threads pays off. Depends only on the row length.
inline int64_t rows_per_chunk(int64_t row_elems) {
  const int64_t rows = (16384 + row_elems - 1) / (row_elems > 0 ? row_elems : 1);
  return rows > 0 ? rows : 1;
}

} // namespace attnrt::cpu::detail

#endif // ATTNC_RUNTIME_CPU_VECTOROPS_H
