// Non-attention kernels of a decoder step (C API in StepKernels.h): norms,
// RoPE fused with the KV append, RoPE from tables, activations, embedding
// gather, flat elementwise ops, f32 conversion, row gather. f16, bf16 or
// f32 storage, f32 arithmetic, semantics of runtime/cpu/Norm.h, Rope.h and
// Elementwise.h.
//
// Every kernel has a vector path (units of 8 elements: one 16-byte access in
// f16/bf16, two in f32; used when the sizes, strides and pointers allow it)
// and a scalar fallback for odd sizes; both compute the same thing.
#include "StepKernels.h"
#include "Activation.cuh"
#include "DependentLaunch.cuh"
#include "Attention.h"
#include "KVQuant.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <type_traits>

namespace {

namespace dependent_launch = attnrt::cuda::dependent_launch;
using attnrt::cuda::activate;

// ---------------------------------------------------------------- helpers --

template <typename T> __device__ __forceinline__ float tof(T v);
template <> __device__ __forceinline__ float tof<__half>(__half v) { return __half2float(v); }
template <> __device__ __forceinline__ float tof<__nv_bfloat16>(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
template <> __device__ __forceinline__ float tof<float>(float v) { return v; }
template <typename T> __device__ __forceinline__ T fromf(float v);
template <> __device__ __forceinline__ __half fromf<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 fromf<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}
template <> __device__ __forceinline__ float fromf<float>(float v) { return v; }

// Calls f with a null pointer of the storage type of dtype (validated by the
// caller): f16 -> __half, bf16 -> __nv_bfloat16, f32 -> float.
template <typename F> decltype(auto) with_storage(int32_t dtype, F &&f) {
  if (dtype == ATTNC_CUDA_F16)
    return f(static_cast<__half *>(nullptr));
  if (dtype == ATTNC_CUDA_BF16)
    return f(static_cast<__nv_bfloat16 *>(nullptr));
  return f(static_cast<float *>(nullptr));
}
template <typename P> using StorageOf = std::remove_pointer_t<P>;

int elem_bytes(int32_t dtype) { return dtype == ATTNC_CUDA_F32 ? 4 : 2; }

// V consecutive elements to / from f32; V == 8 is one 16-byte access (two in
// f32: the 16-byte alignment of p suffices, as 8 floats are 32 bytes).
template <typename T, int V> __device__ __forceinline__ void ldv(const T *p, float *f) {
  if constexpr (V == 8 && std::is_same_v<T, float>) {
    const float4 a = reinterpret_cast<const float4 *>(p)[0];
    const float4 b = reinterpret_cast<const float4 *>(p)[1];
    f[0] = a.x, f[1] = a.y, f[2] = a.z, f[3] = a.w, f[4] = b.x, f[5] = b.y, f[6] = b.z, f[7] = b.w;
  } else if constexpr (V == 8) {
    const uint4 u = *reinterpret_cast<const uint4 *>(p);
    const T *e = reinterpret_cast<const T *>(&u);
#pragma unroll
    for (int i = 0; i < 8; ++i)
      f[i] = tof(e[i]);
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i)
      f[i] = tof(p[i]);
  }
}
template <typename T, int V> __device__ __forceinline__ void stv(T *p, const float *f) {
  if constexpr (V == 8 && std::is_same_v<T, float>) {
    reinterpret_cast<float4 *>(p)[0] = make_float4(f[0], f[1], f[2], f[3]);
    reinterpret_cast<float4 *>(p)[1] = make_float4(f[4], f[5], f[6], f[7]);
  } else if constexpr (V == 8) {
    uint4 u;
    T *e = reinterpret_cast<T *>(&u);
#pragma unroll
    for (int i = 0; i < 8; ++i)
      e[i] = fromf<T>(f[i]);
    *reinterpret_cast<uint4 *>(p) = u;
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i)
      p[i] = fromf<T>(f[i]);
  }
}
template <typename T, int V> __device__ __forceinline__ void cpv(T *dst, const T *src) {
  if constexpr (V == 8) {
    constexpr int kChunks = sizeof(T) * 8 / 16; // 1 (f16/bf16) or 2 (f32)
#pragma unroll
    for (int i = 0; i < kChunks; ++i)
      reinterpret_cast<uint4 *>(dst)[i] = reinterpret_cast<const uint4 *>(src)[i];
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i)
      dst[i] = src[i];
  }
}

bool aligned16(const void *p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

int fail(char *error, size_t error_len, const char *what) {
  if (error && error_len)
    std::snprintf(error, error_len, "%s", what);
  return 1;
}

int check_launch(char *error, size_t error_len, const char *what) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) {
    if (error && error_len)
      std::snprintf(error, error_len, "%s launch: %s", what, cudaGetErrorString(e));
    return 1;
  }
  return 0;
}

// Sum over the block; every thread gets the result. `red` holds 33 floats;
// callable repeatedly (barrier before reuse).
__device__ __forceinline__ float block_sum(float v, float *red) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  __syncthreads(); // earlier readers of red are done
  if (lane == 0)
    red[warp] = v;
  __syncthreads();
  if (warp == 0) {
    const int nw = (blockDim.x + 31) >> 5;
    float s = lane < nw ? red[lane] : 0.0f;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
      s += __shfl_xor_sync(0xffffffffu, s, o);
    if (lane == 0)
      red[32] = s;
  }
  __syncthreads();
  return red[32];
}

// ------------------------------------------------------------------ norms --

enum NormMode { kRms = 0, kAddRms = 1, kLayer = 2 };

struct NormArgs {
  const void *a, *b;
  const float *weight, *bias;
  float offset, eps;
  int32_t dim;
  void *res, *y;
};

// One CTA per row; the row stays in registers (VPT 8-element vectors per thread).
template <typename T, int Mode, int VPT>
__global__ void norm_vec_kernel(NormArgs p) {
  dependent_launch::begin();
  __shared__ float red[33];
  const int64_t base = static_cast<int64_t>(blockIdx.x) * p.dim;
  const T *a = static_cast<const T *>(p.a) + base;
  const int nvec = p.dim >> 3;
  float v[VPT][8];
  float acc = 0.0f;
#pragma unroll
  for (int j = 0; j < VPT; ++j) {
    const int c = threadIdx.x + j * blockDim.x;
#pragma unroll
    for (int i = 0; i < 8; ++i)
      v[j][i] = 0.0f;
    if (c < nvec) {
      ldv<T, 8>(a + c * 8, v[j]);
      if constexpr (Mode == kAddRms) {
        float bb[8];
        ldv<T, 8>(static_cast<const T *>(p.b) + base + c * 8, bb);
#pragma unroll
        for (int i = 0; i < 8; ++i)
          v[j][i] += bb[i];
        stv<T, 8>(static_cast<T *>(p.res) + base + c * 8, v[j]);
#pragma unroll
        for (int i = 0; i < 8; ++i) // the statistics see the stored (rounded) residual
          v[j][i] = tof(fromf<T>(v[j][i]));
      }
#pragma unroll
      for (int i = 0; i < 8; ++i)
        acc += Mode == kLayer ? v[j][i] : v[j][i] * v[j][i];
    }
  }
  const float total = block_sum(acc, red);
  float mean = 0.0f, inv;
  if constexpr (Mode == kLayer) {
    mean = total / static_cast<float>(p.dim);
    float dev = 0.0f;
#pragma unroll
    for (int j = 0; j < VPT; ++j)
      if (threadIdx.x + j * blockDim.x < nvec)
#pragma unroll
        for (int i = 0; i < 8; ++i)
          dev += (v[j][i] - mean) * (v[j][i] - mean);
    const float var = block_sum(dev, red) / static_cast<float>(p.dim);
    inv = 1.0f / sqrtf(var + p.eps);
  } else {
    inv = 1.0f / sqrtf(total / static_cast<float>(p.dim) + p.eps);
  }
  T *y = static_cast<T *>(p.y) + base;
#pragma unroll
  for (int j = 0; j < VPT; ++j) {
    const int c = threadIdx.x + j * blockDim.x;
    if (c < nvec) {
      float w[8], o[8];
      const float4 w0 = reinterpret_cast<const float4 *>(p.weight)[2 * c];
      const float4 w1 = reinterpret_cast<const float4 *>(p.weight)[2 * c + 1];
      w[0] = w0.x, w[1] = w0.y, w[2] = w0.z, w[3] = w0.w, w[4] = w1.x, w[5] = w1.y, w[6] = w1.z,
      w[7] = w1.w;
      if constexpr (Mode == kLayer) {
        float bi[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        if (p.bias) {
          const float4 b0 = reinterpret_cast<const float4 *>(p.bias)[2 * c];
          const float4 b1 = reinterpret_cast<const float4 *>(p.bias)[2 * c + 1];
          bi[0] = b0.x, bi[1] = b0.y, bi[2] = b0.z, bi[3] = b0.w, bi[4] = b1.x, bi[5] = b1.y,
          bi[6] = b1.z, bi[7] = b1.w;
        }
#pragma unroll
        for (int i = 0; i < 8; ++i)
          o[i] = (v[j][i] - mean) * inv * w[i] + bi[i];
      } else {
#pragma unroll
        for (int i = 0; i < 8; ++i)
          o[i] = v[j][i] * inv * (w[i] + p.offset);
      }
      stv<T, 8>(y + c * 8, o);
    }
  }
}

// Any dim: element loops over global memory (a thread always touches the same
// elements, so aliasing y = x or res = a/b is safe).
template <typename T, int Mode> __global__ void norm_scalar_kernel(NormArgs p) {
  dependent_launch::begin();
  __shared__ float red[33];
  const int64_t base = static_cast<int64_t>(blockIdx.x) * p.dim;
  const T *x = static_cast<const T *>(p.a) + base;
  float acc = 0.0f;
  for (int i = threadIdx.x; i < p.dim; i += blockDim.x) {
    float v;
    if constexpr (Mode == kAddRms) {
      const T r = fromf<T>(tof(x[i]) + tof(static_cast<const T *>(p.b)[base + i]));
      static_cast<T *>(p.res)[base + i] = r;
      v = tof(r);
    } else {
      v = tof(x[i]);
    }
    acc += Mode == kLayer ? v : v * v;
  }
  const float total = block_sum(acc, red);
  const T *src = Mode == kAddRms ? static_cast<const T *>(p.res) + base : x;
  T *y = static_cast<T *>(p.y) + base;
  if constexpr (Mode == kLayer) {
    const float mean = total / static_cast<float>(p.dim);
    float dev = 0.0f;
    for (int i = threadIdx.x; i < p.dim; i += blockDim.x) {
      const float d = tof(src[i]) - mean;
      dev += d * d;
    }
    const float inv = 1.0f / sqrtf(block_sum(dev, red) / static_cast<float>(p.dim) + p.eps);
    for (int i = threadIdx.x; i < p.dim; i += blockDim.x)
      y[i] = fromf<T>((tof(src[i]) - mean) * inv * p.weight[i] + (p.bias ? p.bias[i] : 0.0f));
  } else {
    const float inv = 1.0f / sqrtf(total / static_cast<float>(p.dim) + p.eps);
    for (int i = threadIdx.x; i < p.dim; i += blockDim.x)
      y[i] = fromf<T>(tof(src[i]) * inv * (p.weight[i] + p.offset));
  }
}

template <typename T, int Mode>
int launch_norm(const NormArgs &p, int32_t rows, cudaStream_t stream, char *error,
                size_t error_len) {
  bool vec = p.dim % 8 == 0 && aligned16(p.a) && aligned16(p.y) && aligned16(p.weight) &&
             (Mode != kAddRms || (aligned16(p.b) && aligned16(p.res))) &&
             (Mode != kLayer || !p.bias || aligned16(p.bias));
  const int nvec = p.dim / 8;
  int vpt = 0;
  // One 16-byte vector per thread up to 256 threads (dim 2048), then more
  // vectors per thread. (64 threads x 4 vectors for dim 2048 measured no
  // faster at T = 2048 and 1.1 us slower at T = 1 on the H100.)
  for (int c : {1, 2, 4, 8})
    if (vpt == 0 && (nvec + c - 1) / c <= 256)
      vpt = c;
  if (vpt == 0 && nvec <= 8 * 1024)
    vpt = 8;
  if (vpt == 0)
    vec = false;
  if (vec) {
    const int threads = ((nvec + vpt - 1) / vpt + 31) / 32 * 32;
    auto kernel = vpt == 1   ? norm_vec_kernel<T, Mode, 1>
                  : vpt == 2 ? norm_vec_kernel<T, Mode, 2>
                  : vpt == 4 ? norm_vec_kernel<T, Mode, 4>
                             : norm_vec_kernel<T, Mode, 8>;
    dependent_launch::launch_early(kernel, dim3(rows), dim3(threads), 0, stream, p);
  } else {
    const int threads = p.dim >= 256 ? 256 : (p.dim + 31) / 32 * 32;
    dependent_launch::launch_early(norm_scalar_kernel<T, Mode>, dim3(rows), dim3(threads), 0,
                                   stream, p);
  }
  return check_launch(error, error_len, "norm");
}

template <int Mode>
int norm_dispatch(int32_t dtype, const NormArgs &p, int32_t rows, void *stream, char *error,
                  size_t error_len) {
  if (dtype != ATTNC_CUDA_F16 && dtype != ATTNC_CUDA_BF16 && dtype != ATTNC_CUDA_F32)
    return fail(error, error_len, "norm: dtype must be f16, bf16 or f32");
  if (rows < 0 || p.dim < 1)
    return fail(error, error_len, "norm: bad shape");
  if (rows == 0)
    return 0;
  auto s = static_cast<cudaStream_t>(stream);
  return with_storage(dtype, [&](auto *tag) {
    return launch_norm<StorageOf<decltype(tag)>, Mode>(p, rows, s, error, error_len);
  });
}

// ------------------------------------------------------------------- RoPE --

struct RopeArgs {
  int32_t head_dim, rotary_dim, num_heads, num_kv_heads, num_seqs, blocks_per_seq, page_size;
  const int32_t *positions, *query_start, *block_table;
  const float *inv_freq;
  void *query;
  const void *query_source; // the un-rotated query (== query: rotated in place)
  const void *key, *value;
  int64_t q_stride, qs_stride, k_stride, v_stride, page_bytes;
  char *cache;
  int32_t kv_type; // ATTNC_CUDA_KV_*: quantized caches stage the rotated keys in shared memory
};

// Rotation unit j of one head: half-split, elements [jV, jV+V) (x0) with
// their partners at + half (x1); interleaved, V elements = V/2 (even, odd)
// pairs (x0 only). Loaded first, rotated and stored second, so that a thread's
// first unit can be loaded before the cos/sin table is ready.
template <typename T, int V, int Style>
__device__ __forceinline__ void load_unit(const T *src, int j, int half, float *x0, float *x1) {
  ldv<T, V>(src + j * V, x0);
  if constexpr (Style == ATTNC_CUDA_ROPE_HALF_SPLIT)
    ldv<T, V>(src + half + j * V, x1);
}

template <typename T, int V, int Style>
__device__ __forceinline__ void rotate_store(T *dst, int j, int half, const float *x0,
                                             const float *x1, const float *cs, const float *sn) {
  const int i0 = j * V;
  if constexpr (Style == ATTNC_CUDA_ROPE_HALF_SPLIT) {
    float y0[V], y1[V];
#pragma unroll
    for (int e = 0; e < V; ++e) {
      const float c = cs[i0 + e], s = sn[i0 + e];
      y0[e] = x0[e] * c - x1[e] * s;
      y1[e] = x1[e] * c + x0[e] * s;
    }
    stv<T, V>(dst + i0, y0);
    stv<T, V>(dst + half + i0, y1);
  } else {
    float y[V];
#pragma unroll
    for (int e = 0; e < V / 2; ++e) {
      const float c = cs[i0 / 2 + e], s = sn[i0 / 2 + e];
      y[2 * e] = x0[2 * e] * c - x0[2 * e + 1] * s;
      y[2 * e + 1] = x0[2 * e + 1] * c + x0[2 * e] * s;
    }
    stv<T, V>(dst + i0, y);
  }
}

// The K/V part of rope_kv_kernel for a quantized cache: the rotated keys in
// f32 (not rounded to the model dtype: the value the CPU's f32 path stores)
// go through shared memory `keys`, then one warp per (kv head, K or V) row
// quantizes it (runtime/QuantizedKV.h) into the page at `slot`.
template <typename T, int V, int Style>
__device__ void rope_quantize_kv(const RopeArgs &p, const T *k, int t, int half, int rot_units,
                                 char *page_base, int64_t slot, float *keys, const float *cs,
                                 const float *sn) {
  namespace kvq = attnrt::cuda::kvq;
  const int hd = p.head_dim, kvh = p.num_kv_heads;
  float x0[V], x1[V];
  for (int u = threadIdx.x; u < kvh * rot_units; u += blockDim.x) {
    const int g = u / rot_units, j = u - g * rot_units;
    load_unit<T, V, Style>(k + g * hd, j, half, x0, x1);
    rotate_store<float, V, Style>(keys + g * hd, j, half, x0, x1, cs, sn);
  }
  const int pass = hd - p.rotary_dim;
  for (int u = threadIdx.x; u < kvh * pass; u += blockDim.x) {
    const int g = u / pass, i = g * hd + p.rotary_dim + (u - g * pass);
    keys[i] = tof(k[i]);
  }
  __syncthreads();
  const kvq::PageLayout layout = kvq::PageLayout::of(p.page_size, kvh, hd, hd);
  const T *v = static_cast<const T *>(p.value) + static_cast<int64_t>(t) * p.v_stride;
  const int lane = threadIdx.x & 31;
  for (int r = threadIdx.x >> 5; r < 2 * kvh; r += blockDim.x >> 5) {
    const bool is_v = r >= kvh;
    const int g = is_v ? r - kvh : r;
    float x[kvq::kGroups][4];
    if (is_v) {
      kvq::load_row<T>(v + g * hd, hd, lane, x);
    } else {
#pragma unroll
      for (int q = 0; q < kvq::kGroups; ++q)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int i = 128 * q + 4 * lane + e;
          x[q][e] = i < hd ? keys[g * hd + i] : 0.0f;
        }
    }
    const int64_t row = slot * kvh + g;
    kvq::quantize_row(static_cast<attnrt::KvType>(p.kv_type), x, hd, lane,
                      reinterpret_cast<uint8_t *>(page_base + (is_v ? layout.v_codes : 0)) + row * hd,
                      reinterpret_cast<float *>(page_base + (is_v ? layout.v_scales : layout.k_scales)) + row);
  }
}

// One CTA per token. V: rotation unit (8 vector; 1 half-split / 2 interleaved
// scalar); P: pass-through / V copy unit (8 or 1).
template <typename T, int V, int P, int Style> __global__ void rope_kv_kernel(RopeArgs p) {
  dependent_launch::begin();
  extern __shared__ float trig[]; // cos[half], sin[half]; quantized: keys [kv_heads][head_dim]
  const int t = blockIdx.x;
  const int half = p.rotary_dim / 2, hd = p.head_dim;
  const int pos = p.positions[t];
  float *cs = trig, *sn = trig + half;
  // The thread's first query unit is loaded before the table is built.
  const int rot_units = (Style == ATTNC_CUDA_ROPE_HALF_SPLIT ? half : p.rotary_dim) / V;
  const int q_units = p.num_heads * rot_units;
  T *q = static_cast<T *>(p.query) + static_cast<int64_t>(t) * p.q_stride;
  const T *qs = static_cast<const T *>(p.query_source) + static_cast<int64_t>(t) * p.qs_stride;
  float x0[V], x1[V];
  if (threadIdx.x < q_units) {
    const int h = threadIdx.x / rot_units;
    load_unit<T, V, Style>(qs + h * hd, threadIdx.x - h * rot_units, half, x0, x1);
  }
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    const float angle = static_cast<float>(pos) * p.inv_freq[i];
    cs[i] = cosf(angle);
    sn[i] = sinf(angle);
  }
  T *kdst = nullptr, *vdst = nullptr;
  char *page_base = nullptr;
  int64_t slot = 0;
  if (p.key) {
    const attnrt::cuda::kvq::PageSlot at = attnrt::cuda::kvq::page_slot(
        t, p.positions, p.query_start, p.num_seqs, p.block_table, p.blocks_per_seq, p.page_size);
    slot = at.slot;
    const int64_t row = static_cast<int64_t>(p.num_kv_heads) * hd; // elements per token
    page_base = p.cache + at.page * p.page_bytes;
    T *pg = reinterpret_cast<T *>(page_base);
    kdst = pg + slot * row;
    vdst = pg + static_cast<int64_t>(p.page_size) * row + slot * row;
  }
  __syncthreads();
  for (int u = threadIdx.x; u < q_units; u += blockDim.x) {
    const int h = u / rot_units, j = u - h * rot_units;
    if (u != threadIdx.x)
      load_unit<T, V, Style>(qs + h * hd, j, half, x0, x1);
    rotate_store<T, V, Style>(q + h * hd, j, half, x0, x1, cs, sn);
  }
  const int q_pass_units = q != qs ? (hd - p.rotary_dim) / P : 0;
  for (int u = threadIdx.x; u < p.num_heads * q_pass_units; u += blockDim.x) {
    const int h = u / q_pass_units, off = h * hd + p.rotary_dim + (u - h * q_pass_units) * P;
    cpv<T, P>(q + off, qs + off);
  }
  if (!p.key)
    return;
  const T *k = static_cast<const T *>(p.key) + static_cast<int64_t>(t) * p.k_stride;
  if (p.kv_type != ATTNC_CUDA_KV_MODEL) {
    rope_quantize_kv<T, V, Style>(p, k, t, half, rot_units, page_base, slot, trig + 2 * half, cs,
                                  sn);
    return;
  }
  for (int u = threadIdx.x; u < p.num_kv_heads * rot_units; u += blockDim.x) {
    const int g = u / rot_units, j = u - g * rot_units;
    load_unit<T, V, Style>(k + g * hd, j, half, x0, x1);
    rotate_store<T, V, Style>(kdst + g * hd, j, half, x0, x1, cs, sn);
  }
  const int pass_units = (hd - p.rotary_dim) / P;
  for (int u = threadIdx.x; u < p.num_kv_heads * pass_units; u += blockDim.x) {
    const int g = u / pass_units, j = u - g * pass_units;
    const int off = g * hd + p.rotary_dim + j * P;
    cpv<T, P>(kdst + off, k + off);
  }
  const T *v = static_cast<const T *>(p.value) + static_cast<int64_t>(t) * p.v_stride;
  const int v_units = hd / P;
  for (int u = threadIdx.x; u < p.num_kv_heads * v_units; u += blockDim.x) {
    const int g = u / v_units, j = u - g * v_units;
    cpv<T, P>(vdst + g * hd + j * P, v + g * hd + j * P);
  }
}

template <typename T>
int launch_rope(const RopeArgs &p, int style, int32_t num_tokens, cudaStream_t stream, char *error,
                size_t error_len) {
  const int half = p.rotary_dim / 2;
  bool vec = p.head_dim % 8 == 0 && p.q_stride % 8 == 0 && aligned16(p.query) &&
             p.qs_stride % 8 == 0 && aligned16(p.query_source) &&
             (style == ATTNC_CUDA_ROPE_HALF_SPLIT ? half % 8 == 0 : p.rotary_dim % 8 == 0);
  if (p.key)
    vec = vec && p.k_stride % 8 == 0 && p.v_stride % 8 == 0 && aligned16(p.key) &&
          aligned16(p.value) && aligned16(p.cache) && p.page_bytes % 16 == 0;
  const int64_t keys = p.kv_type != ATTNC_CUDA_KV_MODEL ? int64_t(p.num_kv_heads) * p.head_dim : 0;
  const size_t smem = sizeof(float) * (2 * half + keys);
  const int threads = 128;
  if (style == ATTNC_CUDA_ROPE_HALF_SPLIT) {
    if (vec)
      dependent_launch::launch_early(rope_kv_kernel<T, 8, 8, ATTNC_CUDA_ROPE_HALF_SPLIT>,
                                     dim3(num_tokens), dim3(threads), smem, stream, p);
    else
      dependent_launch::launch_early(rope_kv_kernel<T, 1, 1, ATTNC_CUDA_ROPE_HALF_SPLIT>,
                                     dim3(num_tokens), dim3(threads), smem, stream, p);
  } else {
    if (vec)
      dependent_launch::launch_early(rope_kv_kernel<T, 8, 8, ATTNC_CUDA_ROPE_INTERLEAVED>,
                                     dim3(num_tokens), dim3(threads), smem, stream, p);
    else
      dependent_launch::launch_early(rope_kv_kernel<T, 2, 1, ATTNC_CUDA_ROPE_INTERLEAVED>,
                                     dim3(num_tokens), dim3(threads), smem, stream, p);
  }
  return check_launch(error, error_len, "rope_kv_append");
}

// ------------------------------------------------------------ activations --

template <typename T, int Act, int V>
__global__ void activation_kernel(const T *x, T *y, int64_t units) {
  dependent_launch::begin();
  const int64_t u = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (u >= units)
    return;
  float f[V];
  ldv<T, V>(x + u * V, f);
#pragma unroll
  for (int i = 0; i < V; ++i)
    f[i] = activate<Act>(f[i]);
  stv<T, V>(y + u * V, f);
}

template <typename T, int Act, int V>
__global__ void gated_kernel(const T *gate, int64_t gate_stride, const T *up, int64_t up_stride,
                             T *out, int32_t width, int64_t units) {
  dependent_launch::begin();
  const int64_t u = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (u >= units)
    return;
  const int32_t per_row = width / V;
  const int64_t r = u / per_row;
  const int32_t c = static_cast<int32_t>(u - r * per_row) * V;
  float g[V], w[V];
  ldv<T, V>(gate + r * gate_stride + c, g);
  ldv<T, V>(up + r * up_stride + c, w);
#pragma unroll
  for (int i = 0; i < V; ++i)
    g[i] = activate<Act>(g[i]) * w[i];
  stv<T, V>(out + r * width + c, g);
}

template <typename T, int Act>
void launch_activation(const void *x, void *y, int64_t n, cudaStream_t stream) {
  const bool vec = n % 8 == 0 && aligned16(x) && aligned16(y);
  const int64_t units = vec ? n / 8 : n;
  const unsigned blocks = static_cast<unsigned>((units + 255) / 256);
  if (vec)
    dependent_launch::launch_early(activation_kernel<T, Act, 8>, dim3(blocks), dim3(256), 0, stream,
                                   static_cast<const T *>(x), static_cast<T *>(y), units);
  else
    dependent_launch::launch_early(activation_kernel<T, Act, 1>, dim3(blocks), dim3(256), 0, stream,
                                   static_cast<const T *>(x), static_cast<T *>(y), units);
}

template <typename T, int Act>
void launch_gated(const void *gate, int64_t gs, const void *up, int64_t us, void *out, int32_t rows,
                  int32_t width, cudaStream_t stream) {
  const bool vec = width % 8 == 0 && gs % 8 == 0 && us % 8 == 0 && aligned16(gate) &&
                   aligned16(up) && aligned16(out);
  const int64_t units = static_cast<int64_t>(rows) * (vec ? width / 8 : width);
  const unsigned blocks = static_cast<unsigned>((units + 255) / 256);
  if (vec)
    dependent_launch::launch_early(gated_kernel<T, Act, 8>, dim3(blocks), dim3(256), 0, stream,
                                   static_cast<const T *>(gate), gs, static_cast<const T *>(up), us,
                                   static_cast<T *>(out), width, units);
  else
    dependent_launch::launch_early(gated_kernel<T, Act, 1>, dim3(blocks), dim3(256), 0, stream,
                                   static_cast<const T *>(gate), gs, static_cast<const T *>(up), us,
                                   static_cast<T *>(out), width, units);
}

template <typename T, template <typename, int> class F, typename... A>
void by_act(int act, A... args) {
  switch (act) {
  case ATTNC_CUDA_ACT_SILU: F<T, ATTNC_CUDA_ACT_SILU>::run(args...); break;
  case ATTNC_CUDA_ACT_GELU: F<T, ATTNC_CUDA_ACT_GELU>::run(args...); break;
  case ATTNC_CUDA_ACT_GELU_TANH: F<T, ATTNC_CUDA_ACT_GELU_TANH>::run(args...); break;
  default: F<T, ATTNC_CUDA_ACT_RELU>::run(args...); break;
  }
}
template <typename T, int Act> struct ActF {
  static void run(const void *x, void *y, int64_t n, cudaStream_t s) {
    launch_activation<T, Act>(x, y, n, s);
  }
};
template <typename T, int Act> struct GatedF {
  static void run(const void *g, int64_t gs, const void *u, int64_t us, void *o, int32_t rows,
                  int32_t width, cudaStream_t s) {
    launch_gated<T, Act>(g, gs, u, us, o, rows, width, s);
  }
};

// ------------------------------------------------ tokens of the step before --

// ids[t] = greedy[source[t]] where source[t] >= 0; a greedy value that is
// no token id (a NaN / +inf / all -inf marker) becomes 0.
__global__ void tokens_from_rows_kernel(int32_t *ids, const int32_t *source,
                                        const int32_t *greedy, int32_t n) {
  for (int32_t t = blockIdx.x * blockDim.x + threadIdx.x; t < n; t += gridDim.x * blockDim.x) {
    const int32_t row = source[t];
    if (row >= 0) {
      const int32_t token = greedy[row];
      ids[t] = token < 0 ? 0 : token;
    }
  }
}

// -------------------------------------------------------------- embedding --

// One CTA per token; each thread moves kBatch 16-byte units per round, loads
// issued before stores (kBatch 4 with 64-thread CTAs measured no faster than 1
// with 256 on the H100, so 1). CTA 0 also scans all ids and writes the report
// (no global atomics, no reset launch), so the call is one kernel.
constexpr int kBatch = 1;

// ------------------------------------------------------- range reports --

// CTA 0 of the launch: every thread counts ids outside [0, limit); thread 0
// writes (count, largest index of one; -1 if none) to bad. All of CTA 0 must
// call it (barriers).
__device__ void report_out_of_range(const int32_t *ids, int32_t n, int64_t limit, int32_t *bad) {
  __shared__ int s_count, s_max;
  if (threadIdx.x == 0)
    s_count = 0, s_max = -1;
  __syncthreads();
  int count = 0, last = -1;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const int32_t id = ids[i];
    if (id < 0 || id >= limit)
      ++count, last = i;
  }
  if (count) {
    atomicAdd(&s_count, count);
    atomicMax(&s_max, last);
  }
  __syncthreads();
  if (threadIdx.x == 0)
    bad[0] = s_count, bad[1] = s_max;
}

template <typename T, int V>
__global__ void embedding_kernel(const int32_t *__restrict__ ids, const T *__restrict__ table,
                                 int64_t vocab, int32_t dim, float scale, T *__restrict__ out,
                                 int32_t *bad, int32_t num_tokens) {
  dependent_launch::begin();
  const int t = blockIdx.x;
  if (t == 0 && bad)
    report_out_of_range(ids, num_tokens, vocab, bad);
  const int32_t id = ids[t];
  T *o = out + static_cast<int64_t>(t) * dim;
  const int units = dim / V;
  const int step = blockDim.x * kBatch;
  if (id < 0 || id >= vocab) {
    const float zero[V] = {};
    for (int u = threadIdx.x; u < units; u += blockDim.x)
      stv<T, V>(o + u * V, zero);
    return;
  }
  const T *row = table + static_cast<int64_t>(id) * dim;
  for (int u0 = threadIdx.x; u0 < units; u0 += step) {
    float f[kBatch][V];
#pragma unroll
    for (int k = 0; k < kBatch; ++k) {
      const int u = u0 + k * blockDim.x;
      if (u < units)
        ldv<T, V>(row + u * V, f[k]);
    }
#pragma unroll
    for (int k = 0; k < kBatch; ++k) {
      const int u = u0 + k * blockDim.x;
      if (u < units) {
        if (scale != 1.0f) { // scale 1: storage -> f32 -> storage is exact, a plain copy
#pragma unroll
          for (int i = 0; i < V; ++i)
            f[k][i] *= scale;
        }
        stv<T, V>(o + u * V, f[k]);
      }
    }
  }
}

template <typename T>
void launch_embedding(const int32_t *ids, int32_t n, const void *table, int64_t vocab, int32_t dim,
                      float scale, void *out, int32_t *bad, cudaStream_t stream) {
  const bool vec = dim % 8 == 0 && aligned16(table) && aligned16(out);
  const int units = vec ? dim / 8 : dim;
  int threads = (units + kBatch - 1) / kBatch;
  threads = threads > 256 ? 256 : (threads + 31) / 32 * 32;
  if (vec)
    dependent_launch::launch_early(embedding_kernel<T, 8>, dim3(n), dim3(threads), 0, stream, ids,
                                   static_cast<const T *>(table), vocab, dim, scale,
                                   static_cast<T *>(out), bad, n);
  else
    dependent_launch::launch_early(embedding_kernel<T, 1>, dim3(n), dim3(threads), 0, stream, ids,
                                   static_cast<const T *>(table), vocab, dim, scale,
                                   static_cast<T *>(out), bad, n);
}

// ----------------------------------------------------- flat elementwise --

enum MapOp { kAddScaled = 0, kScale = 1, kSoftcap = 2 };

template <typename T, int Op, int V>
__global__ void map_kernel(const T *a, const T *b, T *out, int64_t units, float s) {
  dependent_launch::begin();
  const int64_t u = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (u >= units)
    return;
  float x[V];
  ldv<T, V>(a + u * V, x);
  if constexpr (Op == kAddScaled) {
    float y[V];
    ldv<T, V>(b + u * V, y);
#pragma unroll
    for (int i = 0; i < V; ++i)
      x[i] += y[i] * s;
  } else if constexpr (Op == kScale) {
#pragma unroll
    for (int i = 0; i < V; ++i)
      x[i] *= s;
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i)
      x[i] = s * tanhf(x[i] / s);
  }
  stv<T, V>(out + u * V, x);
}

template <typename T, int Op>
void launch_map(const void *a, const void *b, void *out, int64_t n, float s, cudaStream_t stream) {
  const bool vec = n % 8 == 0 && aligned16(a) && aligned16(out) && (Op != kAddScaled || aligned16(b));
  const int64_t units = vec ? n / 8 : n;
  const unsigned blocks = static_cast<unsigned>((units + 255) / 256);
  const T *ta = static_cast<const T *>(a), *tb = static_cast<const T *>(b);
  T *to = static_cast<T *>(out);
  if (vec)
    dependent_launch::launch_early(map_kernel<T, Op, 8>, dim3(blocks), dim3(256), 0, stream, ta, tb,
                                   to, units, s);
  else
    dependent_launch::launch_early(map_kernel<T, Op, 1>, dim3(blocks), dim3(256), 0, stream, ta, tb,
                                   to, units, s);
}

// A logits row's greedy token (runtime/ModelABI.h, attnc_step_args.argmax):
// the lowest index of its maximum; -1 - i for its first NaN or +inf at i;
// INT32_MIN for a row of -inf. One block per row; each thread visits its
// elements in increasing order, keeping its first maximum and first bad
// element, then the block keeps the lowest index of the largest value.
constexpr int kArgmaxThreads = 1024;

struct ArgmaxState {
  float best;
  int32_t best_i, bad_i; // INT32_MAX: none
  __device__ __forceinline__ void visit(float v, int32_t i) {
    if (isnan(v) || v == INFINITY)
      bad_i = min(bad_i, i);
    else if (v > best) // -inf never exceeds the start, so a row of -inf keeps none
      best = v, best_i = i;
  }
  __device__ __forceinline__ void merge(float ob, int32_t oi, int32_t obad) {
    bad_i = min(bad_i, obad);
    if (ob > best || (ob == best && oi < best_i))
      best = ob, best_i = oi;
  }
};

template <typename T, int V>
__global__ void __launch_bounds__(kArgmaxThreads) argmax_rows_kernel(const T *x, int32_t cols,
                                                                     int32_t *out) {
  dependent_launch::begin();
  const T *row = x + static_cast<int64_t>(blockIdx.x) * cols;
  ArgmaxState st{-INFINITY, INT32_MAX, INT32_MAX};
  for (int32_t u = threadIdx.x; u < cols / V; u += blockDim.x) {
    float f[V];
    ldv<T, V>(row + static_cast<int64_t>(u) * V, f);
#pragma unroll
    for (int j = 0; j < V; ++j)
      st.visit(f[j], u * V + j);
  }
  __shared__ float s_best[kArgmaxThreads / 32];
  __shared__ int32_t s_i[kArgmaxThreads / 32], s_bad[kArgmaxThreads / 32];
#pragma unroll
  for (int o = 16; o; o >>= 1)
    st.merge(__shfl_xor_sync(0xffffffffu, st.best, o), __shfl_xor_sync(0xffffffffu, st.best_i, o),
             __shfl_xor_sync(0xffffffffu, st.bad_i, o));
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
  if (lane == 0)
    s_best[warp] = st.best, s_i[warp] = st.best_i, s_bad[warp] = st.bad_i;
  __syncthreads();
  if (warp == 0) {
    st = lane < warps ? ArgmaxState{s_best[lane], s_i[lane], s_bad[lane]}
                      : ArgmaxState{-INFINITY, INT32_MAX, INT32_MAX};
#pragma unroll
    for (int o = 16; o; o >>= 1)
      st.merge(__shfl_xor_sync(0xffffffffu, st.best, o),
               __shfl_xor_sync(0xffffffffu, st.best_i, o),
               __shfl_xor_sync(0xffffffffu, st.bad_i, o));
    if (lane == 0)
      out[blockIdx.x] = st.bad_i != INT32_MAX    ? -1 - st.bad_i
                        : st.best_i == INT32_MAX ? INT32_MIN
                                                 : st.best_i;
  }
}

template <typename T, int V> __global__ void to_f32_kernel(const T *x, float *y, int64_t units) {
  dependent_launch::begin();
  const int64_t u = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (u >= units)
    return;
  float f[V];
  ldv<T, V>(x + u * V, f);
  if constexpr (V == 8) {
    reinterpret_cast<float4 *>(y + u * 8)[0] = make_float4(f[0], f[1], f[2], f[3]);
    reinterpret_cast<float4 *>(y + u * 8)[1] = make_float4(f[4], f[5], f[6], f[7]);
  } else {
    y[u] = f[0];
  }
}

// ------------------------------------------------------------ row gather --

// One CTA per output row; U is the copy unit (16, 4, 2 or 1 bytes).
template <typename U>
__global__ void gather_kernel(const char *src, int64_t src_rows, const int32_t *index, int32_t count,
                              int64_t row_units, char *dst, int32_t *bad) {
  dependent_launch::begin();
  if (blockIdx.x == 0 && bad)
    report_out_of_range(index, count, src_rows, bad);
  const int32_t id = index[blockIdx.x];
  U *o = reinterpret_cast<U *>(dst) + blockIdx.x * row_units;
  if (id < 0 || id >= src_rows) {
    const U zero{};
    for (int64_t u = threadIdx.x; u < row_units; u += blockDim.x)
      o[u] = zero;
    return;
  }
  const U *row = reinterpret_cast<const U *>(src) + id * row_units;
  for (int64_t u = threadIdx.x; u < row_units; u += blockDim.x)
    o[u] = row[u];
}

template <typename U>
void launch_gather(const void *src, int64_t src_rows, const int32_t *index, int32_t count,
                   int64_t row_bytes, void *dst, int32_t *bad, cudaStream_t stream) {
  const int64_t units = row_bytes / static_cast<int64_t>(sizeof(U));
  const int threads = units >= 256 ? 256 : static_cast<int>((units + 31) / 32 * 32);
  dependent_launch::launch_early(gather_kernel<U>, dim3(count), dim3(threads), 0, stream,
                                 static_cast<const char *>(src), src_rows, index, count, units,
                                 static_cast<char *>(dst), bad);
}

// ------------------------------------------------------ RoPE from tables --

struct RopeTableArgs {
  int32_t head_dim, rotary_dim, num_heads, num_tokens;
  const int32_t *positions;
  const float *cos_table, *sin_table;
  int64_t table_rows, x_stride;
  void *x;
  int32_t *bad;
};

// One CTA per token: its table row is staged in shared memory, then every
// (head, rotation unit) is rotated as in rope_kv_kernel.
template <typename T, int V, int Style> __global__ void rope_table_kernel(RopeTableArgs p) {
  dependent_launch::begin();
  extern __shared__ float trig[]; // cos[half], sin[half]
  if (blockIdx.x == 0 && p.bad)
    report_out_of_range(p.positions, p.num_tokens, p.table_rows, p.bad);
  const int t = blockIdx.x, half = p.rotary_dim / 2, hd = p.head_dim;
  const int32_t pos = p.positions[t];
  if (pos < 0 || pos >= p.table_rows)
    return; // uniform over the CTA
  float *cs = trig, *sn = trig + half;
  const int64_t row = static_cast<int64_t>(pos) * half;
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    cs[i] = p.cos_table[row + i];
    sn[i] = p.sin_table[row + i];
  }
  __syncthreads();
  const int rot_units = (Style == ATTNC_CUDA_ROPE_HALF_SPLIT ? half : p.rotary_dim) / V;
  T *x = static_cast<T *>(p.x) + static_cast<int64_t>(t) * p.x_stride;
  for (int u = threadIdx.x; u < p.num_heads * rot_units; u += blockDim.x) {
    const int h = u / rot_units, j = u - h * rot_units;
    float x0[V], x1[V];
    load_unit<T, V, Style>(x + h * hd, j, half, x0, x1);
    rotate_store<T, V, Style>(x + h * hd, j, half, x0, x1, cs, sn);
  }
}

template <typename T>
int launch_rope_table(const RopeTableArgs &p, int style, cudaStream_t stream, char *error,
                      size_t error_len) {
  const int half = p.rotary_dim / 2;
  const bool vec = p.head_dim % 8 == 0 && p.x_stride % 8 == 0 && aligned16(p.x) &&
                   (style == ATTNC_CUDA_ROPE_HALF_SPLIT ? half % 8 == 0 : p.rotary_dim % 8 == 0);
  const size_t smem = sizeof(float) * 2 * half;
  const int threads = 128;
  if (style == ATTNC_CUDA_ROPE_HALF_SPLIT) {
    if (vec)
      dependent_launch::launch_early(rope_table_kernel<T, 8, ATTNC_CUDA_ROPE_HALF_SPLIT>,
                                     dim3(p.num_tokens), dim3(threads), smem, stream, p);
    else
      dependent_launch::launch_early(rope_table_kernel<T, 1, ATTNC_CUDA_ROPE_HALF_SPLIT>,
                                     dim3(p.num_tokens), dim3(threads), smem, stream, p);
  } else {
    if (vec)
      dependent_launch::launch_early(rope_table_kernel<T, 8, ATTNC_CUDA_ROPE_INTERLEAVED>,
                                     dim3(p.num_tokens), dim3(threads), smem, stream, p);
    else
      dependent_launch::launch_early(rope_table_kernel<T, 2, ATTNC_CUDA_ROPE_INTERLEAVED>,
                                     dim3(p.num_tokens), dim3(threads), smem, stream, p);
  }
  return check_launch(error, error_len, "rope_table");
}

bool good_dtype(int32_t d) {
  return d == ATTNC_CUDA_F16 || d == ATTNC_CUDA_BF16 || d == ATTNC_CUDA_F32;
}

template <int Op>
int map_dispatch(const char *what, int32_t dtype, const void *a, const void *b, void *out,
                 int64_t n, float s, void *stream, char *error, size_t error_len) {
  if (!good_dtype(dtype) || n < 0) {
    if (error && error_len)
      std::snprintf(error, error_len, "%s: bad dtype or size", what);
    return 1;
  }
  if (n == 0)
    return 0;
  auto st = static_cast<cudaStream_t>(stream);
  with_storage(dtype, [&](auto *tag) { launch_map<StorageOf<decltype(tag)>, Op>(a, b, out, n, s, st); });
  return check_launch(error, error_len, what);
}

} // namespace

// ------------------------------------------------------------------ C API --

extern "C" int attnc_cuda_rms_norm(int32_t dtype, const void *x, const float *weight,
                                   float weight_offset, float eps, int32_t rows, int32_t dim,
                                   void *y, void *stream, char *error, size_t error_len) {
  NormArgs p{x, nullptr, weight, nullptr, weight_offset, eps, dim, nullptr, y};
  return norm_dispatch<kRms>(dtype, p, rows, stream, error, error_len);
}

extern "C" int attnc_cuda_residual_add_rms_norm(int32_t dtype, const void *a, const void *b,
                                                const float *weight, float weight_offset,
                                                float eps, int32_t rows, int32_t dim,
                                                void *residual_out, void *y, void *stream,
                                                char *error, size_t error_len) {
  NormArgs p{a, b, weight, nullptr, weight_offset, eps, dim, residual_out, y};
  return norm_dispatch<kAddRms>(dtype, p, rows, stream, error, error_len);
}

extern "C" int attnc_cuda_layer_norm(int32_t dtype, const void *x, const float *weight,
                                     const float *bias, float eps, int32_t rows, int32_t dim,
                                     void *y, void *stream, char *error, size_t error_len) {
  NormArgs p{x, nullptr, weight, bias, 0.0f, eps, dim, nullptr, y};
  return norm_dispatch<kLayer>(dtype, p, rows, stream, error, error_len);
}

extern "C" void attnc_cuda_rope_inv_freq(double theta, int32_t rotary_dim, float *inv_freq) {
  for (int i = 0; i < rotary_dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotary_dim);
    const float power = static_cast<float>(std::pow(theta, static_cast<double>(exponent)));
    inv_freq[i] = 1.0f / power;
  }
}

extern "C" int attnc_cuda_rope_kv_append(
    int32_t dtype, int32_t style, int32_t head_dim, int32_t rotary_dim, int32_t num_heads,
    int32_t num_kv_heads, int32_t num_tokens, const int32_t *positions, const float *inv_freq,
    void *query, int64_t q_stride, const void *query_source, int64_t query_source_stride,
    const void *key, int64_t k_stride, const void *value,
    int64_t v_stride, int32_t num_seqs, const int32_t *query_start, const int32_t *block_table,
    int32_t blocks_per_seq, int32_t page_size, int32_t kv_type, void *layer_cache, void *stream,
    char *error, size_t error_len) {
  if (!good_dtype(dtype))
    return fail(error, error_len, "rope_kv_append: dtype must be f16, bf16 or f32");
  if (style != ATTNC_CUDA_ROPE_HALF_SPLIT && style != ATTNC_CUDA_ROPE_INTERLEAVED)
    return fail(error, error_len, "rope_kv_append: unknown style");
  if (rotary_dim <= 0 || rotary_dim % 2 || rotary_dim > head_dim || head_dim > 4096)
    return fail(error, error_len, "rope_kv_append: need 0 < rotary_dim <= head_dim, rotary_dim even");
  if (key && (!value || !layer_cache || num_seqs < 1 || page_size < 1 || !query_start ||
              !block_table))
    return fail(error, error_len, "rope_kv_append: key given without value/cache/metadata");
  if (kv_type != ATTNC_CUDA_KV_MODEL && kv_type != ATTNC_CUDA_KV_INT8 &&
      kv_type != ATTNC_CUDA_KV_FP8_E4M3)
    return fail(error, error_len, "rope_kv_append: unknown kv_type");
  if (query_source && (!query || num_heads < 1 ||
                       query_source_stride < int64_t(num_heads) * head_dim))
    return fail(error, error_len,
                "rope_kv_append: query_source needs a query and a row stride of at least "
                "num_heads * head_dim");
  if (key && kv_type != ATTNC_CUDA_KV_MODEL) {
    // Warp rows of whole 4-element groups (16-byte code rows), V read 4
    // elements at a time, the rotated keys of a token in shared memory.
    const int64_t e = elem_bytes(dtype);
    if (head_dim % 16 || head_dim > 128 * attnrt::cuda::kvq::kGroups || v_stride % 4 ||
        reinterpret_cast<uintptr_t>(value) % (4 * e))
      return fail(error, error_len,
                  "rope_kv_append: a quantized cache needs head_dim a multiple of 16 up to 512 "
                  "and 4-element aligned value rows");
    if (sizeof(float) * (int64_t(num_kv_heads) * head_dim + rotary_dim) > 48 * 1024)
      return fail(error, error_len, "rope_kv_append: kv_heads * head_dim too large for a quantized cache");
  }
  if (num_tokens <= 0)
    return 0;
  RopeArgs p{};
  p.kv_type = key ? kv_type : ATTNC_CUDA_KV_MODEL;
  p.head_dim = head_dim, p.rotary_dim = rotary_dim, p.num_heads = num_heads;
  p.num_kv_heads = key ? num_kv_heads : 0, p.num_seqs = num_seqs;
  p.blocks_per_seq = blocks_per_seq, p.page_size = page_size;
  p.positions = positions, p.query_start = query_start, p.block_table = block_table;
  p.inv_freq = inv_freq, p.query = query, p.key = key, p.value = value;
  p.q_stride = q_stride, p.k_stride = k_stride, p.v_stride = v_stride;
  p.query_source = query_source ? query_source : query;
  p.qs_stride = query_source ? query_source_stride : q_stride;
  p.page_bytes = attnrt::kvquant::page_bytes(static_cast<attnrt::KvType>(p.kv_type), page_size,
                                             num_kv_heads, head_dim, head_dim, elem_bytes(dtype));
  p.cache = static_cast<char *>(layer_cache);
  auto s = static_cast<cudaStream_t>(stream);
  return with_storage(dtype, [&](auto *tag) {
    return launch_rope<StorageOf<decltype(tag)>>(p, style, num_tokens, s, error, error_len);
  });
}

extern "C" int attnc_cuda_activation(int32_t dtype, int32_t act, const void *x, void *y, int64_t n,
                                     void *stream, char *error, size_t error_len) {
  if (!good_dtype(dtype) || act < 0 || act > ATTNC_CUDA_ACT_RELU)
    return fail(error, error_len, "activation: bad dtype or activation");
  if (n <= 0)
    return 0;
  auto s = static_cast<cudaStream_t>(stream);
  with_storage(dtype, [&](auto *tag) { by_act<StorageOf<decltype(tag)>, ActF>(act, x, y, n, s); });
  return check_launch(error, error_len, "activation");
}

extern "C" int attnc_cuda_gated_activation(int32_t dtype, int32_t act, const void *gate,
                                           int64_t gate_stride, const void *up, int64_t up_stride,
                                           void *out, int32_t rows, int32_t width, void *stream,
                                           char *error, size_t error_len) {
  if (!good_dtype(dtype) || act < 0 || act > ATTNC_CUDA_ACT_RELU)
    return fail(error, error_len, "gated_activation: bad dtype or activation");
  if (rows <= 0 || width <= 0)
    return 0;
  auto s = static_cast<cudaStream_t>(stream);
  with_storage(dtype, [&](auto *tag) {
    by_act<StorageOf<decltype(tag)>, GatedF>(act, gate, gate_stride, up, up_stride, out, rows,
                                             width, s);
  });
  return check_launch(error, error_len, "gated_activation");
}

extern "C" int attnc_cuda_embedding(int32_t dtype, const int32_t *ids, int32_t num_tokens,
                                    const void *table, int64_t vocab, int32_t dim, float scale,
                                    void *out, int32_t *bad_ids, void *stream, char *error,
                                    size_t error_len) {
  if (!good_dtype(dtype) || dim < 1)
    return fail(error, error_len, "embedding: bad dtype or dim");
  auto s = static_cast<cudaStream_t>(stream);
  if (num_tokens <= 0) {
    const int32_t none[2] = {0, -1};
    if (bad_ids && cudaMemcpyAsync(bad_ids, none, sizeof(none), cudaMemcpyHostToDevice, s))
      return check_launch(error, error_len, "embedding report");
    return 0;
  }
  with_storage(dtype, [&](auto *tag) {
    launch_embedding<StorageOf<decltype(tag)>>(ids, num_tokens, table, vocab, dim, scale, out,
                                               bad_ids, s);
  });
  return check_launch(error, error_len, "embedding");
}

extern "C" int attnc_cuda_add_scaled(int32_t dtype, const void *a, const void *b, float scale,
                                     void *out, int64_t n, void *stream, char *error,
                                     size_t error_len) {
  return map_dispatch<kAddScaled>("add_scaled", dtype, a, b, out, n, scale, stream, error,
                                  error_len);
}

extern "C" int attnc_cuda_scale(int32_t dtype, const void *x, float scale, void *y, int64_t n,
                                void *stream, char *error, size_t error_len) {
  return map_dispatch<kScale>("scale", dtype, x, nullptr, y, n, scale, stream, error, error_len);
}

extern "C" int attnc_cuda_softcap(int32_t dtype, const void *x, float cap, void *y, int64_t n,
                                  void *stream, char *error, size_t error_len) {
  if (!(cap > 0.0f))
    return fail(error, error_len, "softcap: cap must be positive");
  return map_dispatch<kSoftcap>("softcap", dtype, x, nullptr, y, n, cap, stream, error, error_len);
}

extern "C" int attnc_cuda_to_f32(int32_t dtype, const void *x, float *y, int64_t n, void *stream,
                                 char *error, size_t error_len) {
  if (!good_dtype(dtype) || n < 0)
    return fail(error, error_len, "to_f32: bad dtype or size");
  if (n == 0)
    return 0;
  auto s = static_cast<cudaStream_t>(stream);
  if (dtype == ATTNC_CUDA_F32) { // already f32: a copy
    if (x != y && cudaMemcpyAsync(y, x, sizeof(float) * n, cudaMemcpyDeviceToDevice, s))
      return check_launch(error, error_len, "to_f32 copy");
    return 0;
  }
  const bool vec = n % 8 == 0 && aligned16(x) && aligned16(y);
  const int64_t units = vec ? n / 8 : n;
  const unsigned blocks = static_cast<unsigned>((units + 255) / 256);
  if (dtype == ATTNC_CUDA_F16) {
    if (vec)
      dependent_launch::launch_early(to_f32_kernel<__half, 8>, dim3(blocks), dim3(256), 0, s,
                                     static_cast<const __half *>(x), y, units);
    else
      dependent_launch::launch_early(to_f32_kernel<__half, 1>, dim3(blocks), dim3(256), 0, s,
                                     static_cast<const __half *>(x), y, units);
  } else {
    if (vec)
      dependent_launch::launch_early(to_f32_kernel<__nv_bfloat16, 8>, dim3(blocks), dim3(256), 0, s,
                                     static_cast<const __nv_bfloat16 *>(x), y, units);
    else
      dependent_launch::launch_early(to_f32_kernel<__nv_bfloat16, 1>, dim3(blocks), dim3(256), 0, s,
                                     static_cast<const __nv_bfloat16 *>(x), y, units);
  }
  return check_launch(error, error_len, "to_f32");
}

extern "C" int attnc_cuda_argmax_rows(int32_t dtype, const void *x, int64_t rows, int32_t cols,
                                      int32_t *out, void *stream, char *error, size_t error_len) {
  if (!good_dtype(dtype) || rows < 0 || rows > INT32_MAX || cols < 1)
    return fail(error, error_len, "argmax_rows: bad dtype, rows or cols");
  if (rows == 0)
    return 0;
  auto s = static_cast<cudaStream_t>(stream);
  with_storage(dtype, [&](auto *tag) {
    using T = StorageOf<decltype(tag)>;
    const bool vec = cols % 8 == 0 && aligned16(x);
    auto kernel = vec ? argmax_rows_kernel<T, 8> : argmax_rows_kernel<T, 1>;
    dependent_launch::launch_early(kernel, dim3(static_cast<unsigned>(rows)), dim3(kArgmaxThreads),
                                   0, s, static_cast<const T *>(x), cols, out);
  });
  return check_launch(error, error_len, "argmax_rows");
}

extern "C" int attnc_cuda_tokens_from_rows(int32_t *ids, const int32_t *source,
                                          const int32_t *greedy, int32_t n, void *stream,
                                          char *error, size_t error_len) {
  if (n < 0 || (n > 0 && (!ids || !source || !greedy)))
    return fail(error, error_len, "tokens_from_rows: bad arguments");
  if (n == 0)
    return 0;
  const unsigned blocks = static_cast<unsigned>(std::min<int32_t>((n + 255) / 256, 64));
  tokens_from_rows_kernel<<<blocks, 256, 0, static_cast<cudaStream_t>(stream)>>>(ids, source,
                                                                                 greedy, n);
  return check_launch(error, error_len, "tokens_from_rows");
}

extern "C" int attnc_cuda_gather_rows(int32_t elem_bytes, const void *src, int64_t src_rows,
                                      const int32_t *index, int32_t count, int64_t width,
                                      void *dst, int32_t *bad_index, void *stream, char *error,
                                      size_t error_len) {
  if (elem_bytes < 1 || width < 1 || src_rows < 0 || count < 0)
    return fail(error, error_len, "gather_rows: bad arguments");
  auto s = static_cast<cudaStream_t>(stream);
  if (count == 0) {
    const int32_t none[2] = {0, -1};
    if (bad_index && cudaMemcpyAsync(bad_index, none, sizeof(none), cudaMemcpyHostToDevice, s))
      return check_launch(error, error_len, "gather_rows report");
    return 0;
  }
  const int64_t row_bytes = width * elem_bytes;
  const uintptr_t both = reinterpret_cast<uintptr_t>(src) | reinterpret_cast<uintptr_t>(dst);
  if (row_bytes % 16 == 0 && both % 16 == 0)
    launch_gather<uint4>(src, src_rows, index, count, row_bytes, dst, bad_index, s);
  else if (row_bytes % 4 == 0 && both % 4 == 0)
    launch_gather<uint32_t>(src, src_rows, index, count, row_bytes, dst, bad_index, s);
  else if (row_bytes % 2 == 0 && both % 2 == 0)
    launch_gather<uint16_t>(src, src_rows, index, count, row_bytes, dst, bad_index, s);
  else
    launch_gather<unsigned char>(src, src_rows, index, count, row_bytes, dst, bad_index, s);
  return check_launch(error, error_len, "gather_rows");
}

extern "C" int attnc_cuda_rope_table(int32_t dtype, int32_t style, int32_t head_dim,
                                     int32_t rotary_dim, int32_t num_heads, int32_t num_tokens,
                                     const int32_t *positions, const float *cos_table,
                                     const float *sin_table, int64_t table_rows, void *x,
                                     int64_t x_stride, int32_t *bad_positions, void *stream,
                                     char *error, size_t error_len) {
  if (!good_dtype(dtype))
    return fail(error, error_len, "rope_table: dtype must be f16, bf16 or f32");
  if (style != ATTNC_CUDA_ROPE_HALF_SPLIT && style != ATTNC_CUDA_ROPE_INTERLEAVED)
    return fail(error, error_len, "rope_table: unknown style");
  if (rotary_dim <= 0 || rotary_dim % 2 || rotary_dim > head_dim || head_dim > 4096 ||
      num_heads < 0 || table_rows < 0)
    return fail(error, error_len, "rope_table: need 0 < rotary_dim <= head_dim, rotary_dim even");
  auto s = static_cast<cudaStream_t>(stream);
  if (num_tokens <= 0) {
    const int32_t none[2] = {0, -1};
    if (bad_positions &&
        cudaMemcpyAsync(bad_positions, none, sizeof(none), cudaMemcpyHostToDevice, s))
      return check_launch(error, error_len, "rope_table report");
    return 0;
  }
  const RopeTableArgs p{head_dim, rotary_dim, num_heads, num_tokens, positions, cos_table,
                        sin_table, table_rows, x_stride, x, bad_positions};
  return with_storage(dtype, [&](auto *tag) {
    return launch_rope_table<StorageOf<decltype(tag)>>(p, style, s, error, error_len);
  });
}
