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

// kVec floats as one GCC/Clang vector, as wide as the target's registers
// (kRegisterFloats). Explicit vectors because the autovectoriser spilled
// attention's register-blocked accumulators; a vector wider than the
// registers spills too.
constexpr int kVec = kRegisterFloats;
typedef float VecF __attribute__((vector_size(kVec * sizeof(float))));

inline VecF loadv(const float *p) {
  VecF v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
inline void storev(float *p, VecF v) { __builtin_memcpy(p, &v, sizeof(v)); }
inline float sumv(VecF v) { // fixed order: results do not depend on threading
  float s = 0.0f;
  for (int l = 0; l < kVec; ++l)
    s += v[l];
  return s;
}

// exp(x) for x <= 0 (softmax weights: score - running max; SiLU's e^-|x|),
// kVec at a time. libm's expf is scalar and was 6% of a prefill profile. Cody-Waite range
// reduction x = n ln2 + r, |r| <= ln2/2, and a degree-6 polynomial for e^r
// (Cephes' expf coefficients, about 1 ulp); results below 2^-126 flush to 0,
// so exp(-inf) = 0.
typedef int VecI __attribute__((vector_size(kVec * sizeof(int))));
inline VecF exp_nonpositive(VecF x) {
  const VecF zero = VecF{} + 0.0f, lowest = zero - 87.0f;
  const VecI underflow = x < lowest; // lanes of -1 where e^x < 2^-125
  x = underflow ? lowest : x;
  const VecF t = x * 1.44269504088896341f + 0.5f;
  VecI n = __builtin_convertvector(t, VecI); // truncates toward 0 ...
  n += (VecI)(__builtin_convertvector(n, VecF) > t); // ... so step down to floor
  const VecF nf = __builtin_convertvector(n, VecF);
  const VecF r = x - nf * 0.693359375f - nf * -2.12194440e-4f;
  VecF p = r * 1.9875691500e-4f + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  VecI bits = (n + 127) << 23; // 2^n
  VecF scale;
  __builtin_memcpy(&scale, &bits, sizeof(scale));
  const VecF result = p * scale;
  return underflow ? zero : result;
}
inline float exp_nonpositive(float x) {
  VecF v = VecF{} + x;
  return exp_nonpositive(v)[0];
}

// sigmoid(x) kVec at a time from e = exp(-|x|), which cannot overflow:
// 1 / (1 + e) for x >= 0, e / (1 + e) below.
inline VecF sigmoid(VecF x) {
  const VecF zero = VecF{} + 0.0f, one = zero + 1.0f;
  const VecF e = exp_nonpositive(x < zero ? x : -x);
  return (x < zero ? e : one) / (one + e);
}

// erfc(z) for z >= 0, kVec at a time: t exp(Q(t) - z^2) with t = 1 / (1 + z/2)
// and Q of degree 9 fitted (weighted least squares, this project's fit) to
// log(erfc(z) / t) + z^2 over [0, 10]: relative error ~3e-7 evaluated in f32,
// plus the rounding of z^2 (~1e-6 at z = 4); 0 where it underflows (z > ~9.3).
// The exponent stays <= 0 (erfc(z) <= t), as exp_nonpositive needs.
inline VecF erfc_nonnegative(VecF z) {
  const VecF t = 1.0f / (1.0f + 0.5f * z);
  constexpr float kQ[] = {-1.265441488e+00f, 9.984939541e-01f,  3.878836399e-01f,
                          2.845198329e-02f,  1.986448771e-02f,  -1.160661854e-01f,
                          -6.522359591e-01f, 1.123227612e+00f,  -6.664495002e-01f,
                          1.422715016e-01f};
  VecF q = VecF{} + kQ[9];
  for (int k = 8; k >= 0; --k)
    q = q * t + kQ[k];
  return t * exp_nonpositive(q - z * z);
}

// The standard normal CDF, 0.5 erfc(-x / sqrt 2), kVec at a time: from erfc
// of |x| on both sides, so the lower tail keeps its relative accuracy.
inline VecF normal_cdf(VecF x) {
  const VecF zero = VecF{} + 0.0f;
  const VecF half_tail = 0.5f * erfc_nonnegative((x < zero ? -x : x) * 0.70710678118654752f);
  return x < zero ? half_tail : 1.0f - half_tail;
}

} // namespace attnrt::cpu::detail

#endif // ATTNC_RUNTIME_CPU_VECTOROPS_H
