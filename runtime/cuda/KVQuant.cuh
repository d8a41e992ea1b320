// Device side of the quantized KV cache (runtime/QuantizedKV.h: the page
// layout, the rounding and the host reference): the warp-wide quantizer of
// one (token, kv head) row used by the appends (KVAppend.cu, the fused RoPE
// append in StepKernels.cu) and the code -> f32 conversion of the attention
// kernels (Attention.cu, AttentionF32.cu). Also the sequence, page and slot
// lookup of a token that every append shares.
#ifndef ATTNC_RUNTIME_CUDA_KV_QUANT_CUH
#define ATTNC_RUNTIME_CUDA_KV_QUANT_CUH

#include "runtime/QuantizedKV.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>

namespace attnrt::cuda::kvq {

// Sequence of token t: the last s with query_start[s] <= t.
__device__ __forceinline__ int32_t sequence_of(int32_t t, const int32_t *query_start,
                                               int32_t num_seqs) {
  int32_t lo = 0, hi = num_seqs - 1;
  while (lo < hi) {
    const int32_t mid = (lo + hi + 1) / 2;
    if (query_start[mid] <= t)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

// Where token t's position lives in the paged cache (runtime/ModelABI.h):
// the page its sequence's block table gives and the slot in it.
struct PageSlot {
  int64_t page;
  int32_t slot;
};
__device__ __forceinline__ PageSlot page_slot(int32_t t, const int32_t *positions,
                                              const int32_t *query_start, int32_t num_seqs,
                                              const int32_t *block_table,
                                              int32_t blocks_per_seq, int32_t page_size) {
  const int32_t seq = sequence_of(t, query_start, num_seqs);
  const int32_t pos = positions[t];
  return {block_table[static_cast<int64_t>(seq) * blocks_per_seq + pos / page_size],
          pos % page_size};
}

// Byte offsets inside a quantized page (QuantizedKV.h): V codes, K scales and
// V scales; K codes start the page.
struct PageLayout {
  int64_t v_codes, k_scales, v_scales;
  __host__ __device__ static PageLayout of(int64_t page_size, int64_t kv_heads, int64_t head_dim,
                                           int64_t v_head_dim) {
    const int64_t k = page_size * kv_heads * head_dim, v = page_size * kv_heads * v_head_dim;
    return {k, k + v, k + v + page_size * kv_heads * kvquant::kScaleBytes};
  }
};

// kvquant::max_code for device code (the host constexpr is not callable there).
template <KvType Q> constexpr float kMaxCode = Q == KvType::Int8 ? 127.0f : 448.0f;
static_assert(kMaxCode<KvType::Int8> == kvquant::max_code(KvType::Int8) &&
                  kMaxCode<KvType::Fp8E4M3> == kvquant::max_code(KvType::Fp8E4M3),
              "device and host code limits agree");

// Code of x * inv (inv = max_code / amax): int8 round-half-even after the
// clamp to +-127; e4m3fn round-to-nearest-even of the clamped value (cuda_fp8's
// conversion with __NV_SATFINITE, the same as kvquant::float_to_e4m3 there).
template <KvType Q> __device__ __forceinline__ uint8_t encode(float v) {
  constexpr float limit = kMaxCode<Q>;
  v = fminf(fmaxf(v, -limit), limit); // NaN -> -limit, as std::fmin(std::fmax) on the host
  if constexpr (Q == KvType::Int8)
    return static_cast<uint8_t>(static_cast<int8_t>(__float2int_rn(v)));
  else
    return static_cast<uint8_t>(__nv_cvt_float_to_fp8(v, __NV_SATFINITE, __NV_E4M3));
}

// Exact f32 value of a code (scale not applied).
template <KvType Q> __device__ __forceinline__ float decode(uint8_t code) {
  if constexpr (Q == KvType::Int8)
    return static_cast<float>(static_cast<int8_t>(code));
  else
    return __half2float(__half(__nv_cvt_fp8_to_halfraw(code, __NV_E4M3)));
}

// Four codes of a 32-bit word, in memory order, as f32 (scale not applied).
template <KvType Q> __device__ __forceinline__ void decode4(uint32_t w, float (&f)[4]) {
#pragma unroll
  for (int i = 0; i < 4; ++i)
    f[i] = decode<Q>(static_cast<uint8_t>(w >> (8 * i)));
}

// Four codes of a word times their scale, the type chosen at run time (the
// f32 attention: exactly kvquant::dequantize).
__device__ __forceinline__ float4 dequantize4(KvType type, uint32_t w, float scale) {
  float f[4];
  if (type == KvType::Int8)
    decode4<KvType::Int8>(w, f);
  else
    decode4<KvType::Fp8E4M3>(w, f);
  return make_float4(f[0] * scale, f[1] * scale, f[2] * scale, f[3] * scale);
}

template <typename T> __device__ __forceinline__ float as_float(T v) { return static_cast<float>(v); }
template <> __device__ __forceinline__ float as_float<__half>(__half v) { return __half2float(v); }
template <> __device__ __forceinline__ float as_float<__nv_bfloat16>(__nv_bfloat16 v) {
  return __bfloat162float(v);
}

// Elements of a row a lane holds in quantize_row: 4 consecutive ones per 128
// (lane l: 4l .. 4l+3, 128 + 4l ..), rows of up to 128 * kGroups elements.
constexpr int kGroups = 4; // head sizes up to 512

// Loads the lane's elements of a row of n (a multiple of 4) model-dtype
// values as f32; src must be 4-element aligned.
template <typename T>
__device__ __forceinline__ void load_row(const T *src, int n, int lane, float (&x)[kGroups][4]) {
#pragma unroll
  for (int g = 0; g < kGroups; ++g) {
    const int i = 128 * g + 4 * lane;
#pragma unroll
    for (int e = 0; e < 4; ++e)
      x[g][e] = 0.0f;
    if (i < n) {
      if constexpr (sizeof(T) == 4) {
        const float4 v = *reinterpret_cast<const float4 *>(src + i);
        x[g][0] = as_float(v.x), x[g][1] = as_float(v.y), x[g][2] = as_float(v.z),
        x[g][3] = as_float(v.w);
      } else {
        const uint2 u = *reinterpret_cast<const uint2 *>(src + i);
        const T *e = reinterpret_cast<const T *>(&u);
#pragma unroll
        for (int k = 0; k < 4; ++k)
          x[g][k] = as_float(e[k]);
      }
    }
  }
}

// One warp quantizes a row of n elements (n a multiple of 4, at most 128 *
// kGroups) held as load_row lays it out: writes the n codes (4-byte aligned)
// and the scale, as kvquant::quantize_vector.
template <KvType Q>
__device__ __forceinline__ void quantize_row(const float (&x)[kGroups][4], int n, int lane,
                                             uint8_t *codes, float *scale) {
  float amax = 0.0f;
#pragma unroll
  for (int g = 0; g < kGroups; ++g)
#pragma unroll
    for (int e = 0; e < 4; ++e)
      amax = fmaxf(amax, fabsf(x[g][e]));
#pragma unroll
  for (int o = 16; o > 0; o >>= 1)
    amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o));
  const bool zero = !(amax > 0.0f) || isinf(amax);
  constexpr float limit = kMaxCode<Q>;
  const float inv = zero ? 0.0f : __fdiv_rn(limit, amax);
#pragma unroll
  for (int g = 0; g < kGroups; ++g) {
    const int i = 128 * g + 4 * lane;
    if (i < n) {
      uint32_t w = 0;
      if (!zero) {
#pragma unroll
        for (int e = 0; e < 4; ++e)
          w |= static_cast<uint32_t>(encode<Q>(__fmul_rn(x[g][e], inv))) << (8 * e);
      }
      *reinterpret_cast<uint32_t *>(codes + i) = w;
    }
  }
  if (lane == 0)
    *scale = zero ? 0.0f : __fdiv_rn(amax, limit);
}

// quantize_row with the type chosen at run time (the appends; KvType::Model
// is not a quantized type and is never passed).
__device__ __forceinline__ void quantize_row(KvType type, const float (&x)[kGroups][4], int n,
                                             int lane, uint8_t *codes, float *scale) {
  if (type == KvType::Int8)
    quantize_row<KvType::Int8>(x, n, lane, codes, scale);
  else
    quantize_row<KvType::Fp8E4M3>(x, n, lane, codes, scale);
}

} // namespace attnrt::cuda::kvq

#endif // ATTNC_RUNTIME_CUDA_KV_QUANT_CUH
