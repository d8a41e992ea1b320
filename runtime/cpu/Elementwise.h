// Token-wise elementwise kernels: activations, gated MLP activations,
// embedding gather, residual add (plain and scaled), logit softcap and
// scale. Flat ranges are split into fixed chunks of kElementwiseChunk
// elements (independent of the thread count). The activation is a template
// parameter, so each instantiation is a straight loop with no per-element
// dispatch.
#ifndef ATTNC_RUNTIME_CPU_ELEMENTWISE_H
#define ATTNC_RUNTIME_CPU_ELEMENTWISE_H

#include "runtime/cpu/ThreadPool.h"
#include "runtime/cpu/VectorOps.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace attnrt::cpu {

constexpr int64_t kElementwiseChunk = 16384;

enum class Activation {
  Silu,     // x * sigmoid(x)
  Gelu,     // exact: 0.5 x (1 + erf(x / sqrt 2))
  GeluTanh, // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³)))
  Relu,     // max(x, 0)
};

// One element, as the formulas read (storage types other than f32; f32 rows
// take the vector forms below, which the tests hold to the same values).
template <Activation Act> inline float activate(float x) {
  if constexpr (Act == Activation::Silu) {
    return x / (1.0f + std::exp(-x));
  } else if constexpr (Act == Activation::Gelu) {
    return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
  } else if constexpr (Act == Activation::GeluTanh) {
    constexpr float kSqrt2OverPi = 0.79788456080286536f;
    return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
  } else {
    return x > 0.0f ? x : 0.0f;
  }
}

// The activation detail::kVec floats at a time (libm's scalar expf / tanhf /
// erff per element had been ~3% of a decode profile and ~10% of a prefill
// with SiLU, far more with the GELUs): SiLU = x sigmoid(x); the exact GELU =
// x Phi(x) (the normal CDF from a fitted erfc); the tanh GELU as
// x sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)), the same function, since
// (1 + tanh(z)) / 2 = sigmoid(2z); ReLU.
template <Activation Act> inline detail::VecF activate(detail::VecF x) {
  if constexpr (Act == Activation::Silu) {
    return x * detail::sigmoid(x);
  } else if constexpr (Act == Activation::Gelu) {
    return x * detail::normal_cdf(x);
  } else if constexpr (Act == Activation::GeluTanh) {
    constexpr float kTwoSqrt2OverPi = 1.5957691216057308f;
    return x * detail::sigmoid(kTwoSqrt2OverPi * (x + 0.044715f * x * x * x));
  } else {
    const detail::VecF zero = detail::VecF{} + 0.0f;
    return x > zero ? x : zero;
  }
}

// o[i] = act(x[i]) * (u ? u[i] : 1) for i < n, vectors of kVec, the tail
// through a padded vector so that every element is computed alike. o may
// alias x.
template <Activation Act>
inline void activate_row(const float *x, const float *u, float *o, int64_t n) {
  using detail::kVec, detail::loadv, detail::storev;
  int64_t i = 0;
  for (; i + kVec <= n; i += kVec) {
    const detail::VecF a = activate<Act>(loadv(x + i));
    storev(o + i, u ? a * loadv(u + i) : a);
  }
  if (i < n) {
    float xt[kVec] = {}, ut[kVec] = {}, ot[kVec];
    std::memcpy(xt, x + i, sizeof(float) * (n - i));
    if (u)
      std::memcpy(ut, u + i, sizeof(float) * (n - i));
    const detail::VecF a = activate<Act>(loadv(xt));
    storev(ot, u ? a * loadv(ut) : a);
    std::memcpy(o + i, ot, sizeof(float) * (n - i));
  }
}

// y[i] = act(x[i]) for i < n; y may alias x.
template <Activation Act, typename T>
void activation(ThreadPool &pool, const T *x, T *y, int64_t n) {
  pool.parallel_for(0, n, kElementwiseChunk, [&](int64_t b, int64_t e) {
    if constexpr (std::is_same_v<T, float>) {
      activate_row<Act>(x + b, nullptr, y + b, e - b);
    } else {
      for (int64_t i = b; i < e; ++i)
        y[i] = static_cast<T>(activate<Act>(static_cast<float>(x[i])));
    }
  });
}

// Gated MLP activation: out[t, i] = act(gate[t, i]) * up[t, i] for i < width.
// gate / up rows start every gate_stride / up_stride elements (so they can be
// separate [T, width] buffers or column ranges of one wider buffer).
// out: [rows, width] contiguous; it may alias gate when gate_stride == width.
template <Activation Act, typename T>
void gated_activation(ThreadPool &pool, const T *gate, int64_t gate_stride, const T *up,
                      int64_t up_stride, T *out, int64_t rows, int64_t width) {
  pool.parallel_for(0, rows, detail::rows_per_chunk(width), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T *g = gate + r * gate_stride;
      const T *u = up + r * up_stride;
      T *o = out + r * width;
      if constexpr (std::is_same_v<T, float>) {
        activate_row<Act>(g, u, o, width);
      } else {
        for (int64_t i = 0; i < width; ++i)
          o[i] = static_cast<T>(activate<Act>(static_cast<float>(g[i])) * static_cast<float>(u[i]));
      }
    }
  });
}

// Fused gate/up projection output: gate_up is [rows, 2 * width] with the gate
// in columns [0, width) and up in [width, 2 * width) (Phi-3's gate_up_proj
// order; the packer concatenates separate gate/up weights in that order).
// out: [rows, width], must not alias gate_up.
template <Activation Act, typename T>
void gated_activation_fused(ThreadPool &pool, const T *gate_up, T *out, int64_t rows,
                            int64_t width) {
  gated_activation<Act>(pool, gate_up, 2 * width, gate_up + width, 2 * width, out, rows, width);
}

// out[t, :] = table[ids[t], :] * scale (scale 1 copies; Gemma passes
// sqrt(hidden) rounded to the model dtype). table: [vocab, dim]; out:
// [num_tokens, dim]. Returns false, writing nothing, if an id is outside
// [0, vocab).
template <typename T>
bool embedding(ThreadPool &pool, const int32_t *ids, int64_t num_tokens, const T *table,
               int64_t vocab, int64_t dim, float scale, T *out) {
  for (int64_t t = 0; t < num_tokens; ++t)
    if (ids[t] < 0 || ids[t] >= vocab)
      return false;
  pool.parallel_for(0, num_tokens, detail::rows_per_chunk(dim), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const T *row = table + static_cast<int64_t>(ids[t]) * dim;
      T *o = out + t * dim;
      if (scale == 1.0f) {
        std::memcpy(o, row, sizeof(T) * dim);
      } else {
        for (int64_t i = 0; i < dim; ++i)
          o[i] = static_cast<T>(static_cast<float>(row[i]) * scale);
      }
    }
  });
  return true;
}

// out[i] = a[i] + b[i]; out may alias a or b.
template <typename T>
void residual_add(ThreadPool &pool, const T *a, const T *b, T *out, int64_t n) {
  pool.parallel_for(0, n, kElementwiseChunk, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i)
      out[i] = static_cast<T>(static_cast<float>(a[i]) + static_cast<float>(b[i]));
  });
}

// out[i] = a[i] + scale * b[i] (Granite's residual_multiplier); out may
// alias a or b.
template <typename T>
void residual_add_scaled(ThreadPool &pool, const T *a, const T *b, T *out, int64_t n,
                         float scale) {
  pool.parallel_for(0, n, kElementwiseChunk, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i)
      out[i] = static_cast<T>(static_cast<float>(a[i]) + static_cast<float>(b[i]) * scale);
  });
}

// x[i] *= scale, in place (Granite's logits / logits_scaling).
template <typename T> void scale_inplace(ThreadPool &pool, T *x, int64_t n, float scale) {
  pool.parallel_for(0, n, kElementwiseChunk, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i)
      x[i] = static_cast<T>(static_cast<float>(x[i]) * scale);
  });
}

// Logit softcap (Gemma-2 final logits): x[i] = cap * tanh(x[i] / cap), in
// place. A true division (not a multiply by 1/cap), as HF computes it.
template <typename T> void softcap(ThreadPool &pool, T *x, int64_t n, float cap) {
  pool.parallel_for(0, n, kElementwiseChunk, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i)
      x[i] = static_cast<T>(cap * std::tanh(static_cast<float>(x[i]) / cap));
  });
}

} // namespace attnrt::cpu

#endif // ATTNC_RUNTIME_CPU_ELEMENTWISE_H
