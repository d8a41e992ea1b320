// Rotary position embedding over [T, heads, HeadDim], in place, with one
// position per token (ragged batches mix positions freely).
//
// Numerics follow Hugging Face's float32 path so that compiled models match
// PyTorch closely: inv_freq is a float32 table (rope_inv_freq), the angle is
// position * inv_freq rounded to float32, and cos/sin are float32 functions of
// that angle. Scaled variants (linear, NTK, llama3, YaRN) are inv_freq tables
// the compiler computes, or explicit cos/sin tables (rope_from_table).
#ifndef ATTNC_RUNTIME_CPU_ROPE_H
#define ATTNC_RUNTIME_CPU_ROPE_H

#include "runtime/cpu/ThreadPool.h"
#include "runtime/cpu/VectorOps.h"

#include <cmath>
#include <cstdint>

namespace attnrt::cpu {

enum class RopeStyle {
  // Rotate-half (GPT-NeoX, LLaMA, Mistral, Qwen2, Gemma): dimension i pairs
  // with i + RotaryDim/2.
  HalfSplit,
  // Interleaved (GPT-J, Falcon-RW style): dimension 2i pairs with 2i + 1.
  Interleaved,
};

// inv_freq[i] = 1 / theta^(2i / rotary_dim) for i < rotary_dim / 2, as HF
// computes it in float32: the exponent 2i/rotary_dim is a float32 division,
// theta^exponent is evaluated in double and rounded to float32 (what a
// correctly rounded float32 pow gives), and the reciprocal is a float32
// division.
inline void rope_inv_freq(double theta, int rotary_dim, float *inv_freq) {
  for (int i = 0; i < rotary_dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotary_dim);
    const float power = static_cast<float>(std::pow(theta, static_cast<double>(exponent)));
    inv_freq[i] = 1.0f / power;
  }
}

namespace detail {
template <typename T, int HeadDim, int RotaryDim, RopeStyle Style>
inline void rope_rotate_heads(T *token, int num_heads, const float *cos, const float *sin) {
  constexpr int kHalf = RotaryDim / 2;
  for (int h = 0; h < num_heads; ++h) {
    T *x = token + static_cast<int64_t>(h) * HeadDim;
    if constexpr (Style == RopeStyle::HalfSplit) {
      for (int i = 0; i < kHalf; ++i) {
        const float x0 = static_cast<float>(x[i]), x1 = static_cast<float>(x[i + kHalf]);
        x[i] = static_cast<T>(x0 * cos[i] - x1 * sin[i]);
        x[i + kHalf] = static_cast<T>(x1 * cos[i] + x0 * sin[i]);
      }
    } else {
      for (int i = 0; i < kHalf; ++i) {
        const float x0 = static_cast<float>(x[2 * i]), x1 = static_cast<float>(x[2 * i + 1]);
        x[2 * i] = static_cast<T>(x0 * cos[i] - x1 * sin[i]);
        x[2 * i + 1] = static_cast<T>(x1 * cos[i] + x0 * sin[i]);
      }
    }
    // Dimensions [RotaryDim, HeadDim) pass through (partial rotary).
  }
}

template <int HeadDim, int RotaryDim> constexpr void check_rope_dims() {
  static_assert(RotaryDim > 0 && RotaryDim % 2 == 0, "rotary_dim must be positive and even");
  static_assert(RotaryDim <= HeadDim, "rotary_dim cannot exceed head_dim");
}
} // namespace detail

// x: [num_tokens, num_heads, HeadDim], rotated in place.
// positions: [num_tokens] absolute positions.
// inv_freq: [RotaryDim / 2] (rope_inv_freq or a scaled table).
template <typename T, int HeadDim, int RotaryDim, RopeStyle Style>
void rope(ThreadPool &pool, T *x, int64_t num_tokens, int num_heads, const int32_t *positions,
          const float *inv_freq) {
  detail::check_rope_dims<HeadDim, RotaryDim>();
  constexpr int kHalf = RotaryDim / 2;
  const int64_t token_elems = static_cast<int64_t>(num_heads) * HeadDim;
  pool.parallel_for(0, num_tokens, detail::rows_per_chunk(token_elems), [&](int64_t t0, int64_t t1) {
    float cos[kHalf], sin[kHalf];
    for (int64_t t = t0; t < t1; ++t) {
      const float position = static_cast<float>(positions[t]);
      for (int i = 0; i < kHalf; ++i) {
        const float angle = position * inv_freq[i]; // float32, as HF's matmul
        cos[i] = std::cos(angle);
        sin[i] = std::sin(angle);
      }
      detail::rope_rotate_heads<T, HeadDim, RotaryDim, Style>(x + t * token_elems, num_heads, cos,
                                                              sin);
    }
  });
}

// As rope(), with precomputed tables cos_table / sin_table:
// [max_position, RotaryDim / 2], row p holding cos / sin of position p's
// angles (each frequency once, not duplicated as HF's [.., RotaryDim] cache).
template <typename T, int HeadDim, int RotaryDim, RopeStyle Style>
void rope_from_table(ThreadPool &pool, T *x, int64_t num_tokens, int num_heads,
                     const int32_t *positions, const float *cos_table, const float *sin_table) {
  detail::check_rope_dims<HeadDim, RotaryDim>();
  constexpr int kHalf = RotaryDim / 2;
  const int64_t token_elems = static_cast<int64_t>(num_heads) * HeadDim;
  pool.parallel_for(0, num_tokens, detail::rows_per_chunk(token_elems), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t row = static_cast<int64_t>(positions[t]) * kHalf;
      detail::rope_rotate_heads<T, HeadDim, RotaryDim, Style>(x + t * token_elems, num_heads,
                                                              cos_table + row, sin_table + row);
    }
  });
}

} // namespace attnrt::cpu

#endif // ATTNC_RUNTIME_CPU_ROPE_H
