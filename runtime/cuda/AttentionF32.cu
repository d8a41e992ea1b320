// Paged attention in f32 storage (CUDA cores): the items and semantics of
// the tensor-core kernels (runtime/cuda/Attention.h), for checking whole
// models against f32 references more than for speed.
//
// One CTA is one work item x one kv head (as Attention.cu): row r of the item
// is token t_begin + r / G, head kv_head * G + r % G. The CTA walks its rows
// in passes of kPassRows (8 warps x kRowsPerWarp rows; warp w takes local
// rows w, w + 8, ...). In a pass, the keys the pass needs go through shared
// memory in chunks of 32 (K and V of every key once for all rows of the
// pass: the GQA group shares them), and each warp runs an online softmax
// for its rows:
//   scores: lane j computes the dot products of key j of the chunk with the
//           warp's rows (K row in shared memory padded by 4 floats, so the
//           16-byte reads of 8 lanes hit distinct banks; Q rows broadcast);
//   update: warp max, expf (no exp2 rescaling of the scores, which would
//           round the scale into log2 e), lane-partial sums;
//   P.V:    each lane owns 4 consecutive dims per 128, p_j shuffled from
//           lane j.
// Keys outside a row's own causal/window bounds get -inf; chunks no row of
// a warp sees are skipped by that warp; keys past the item's [key_lo,
// key_hi] are never read (zero-filled), so released pages are never touched.
// A row with no visible key gets zeros. A quantized cache (runtime/
// QuantizedKV.h) is dequantized in f32 as the chunk is loaded (code * scale,
// exactly the CPU's kvquant::dequantize).
#include "AttentionPlan.h"
#include "DependentLaunch.cuh"
#include "KVQuant.cuh"

#include <cuda_runtime.h>

#include <climits>
#include <cmath>
#include <cstdint>

namespace attnrt::cuda::attention {
namespace {

namespace dependent_launch = attnrt::cuda::dependent_launch;

using attnrt::KvType;

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;
constexpr int kRowsPerWarp = 4;
constexpr int kPassRows = kWarps * kRowsPerWarp;
constexpr int kChunkKeys = 32; // one key per lane

template <int HD> struct F32Shape {
  static constexpr int kKStride = HD + 4;          // padded K rows (bank spread)
  static constexpr int kDimGroups = (HD + 127) / 128; // float4s of the output per lane
  static constexpr size_t kSmemBytes =
      sizeof(float) * (kChunkKeys * kKStride + kChunkKeys * HD + kPassRows * HD);
};

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1)
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

template <int HD>
__global__ void __launch_bounds__(kThreads)
    paged_attention_f32_kernel(const KernelParams p, const WorkItem *__restrict__ items,
                               const int32_t *__restrict__ count) {
  dependent_launch::begin();
  using S = F32Shape<HD>;
  if (count != nullptr && static_cast<int>(blockIdx.x) >= *count)
    return;
  extern __shared__ float4 smem_f32[];
  float *sK = reinterpret_cast<float *>(smem_f32); // [kChunkKeys][kKStride]
  float *sV = sK + kChunkKeys * S::kKStride;       // [kChunkKeys][HD]
  float *sQ = sV + kChunkKeys * HD;                // [kPassRows][HD]
  __shared__ int s_lo, s_hi;                       // keys the pass's rows need

  const WorkItem item = items[blockIdx.x];
  const int kv_head = blockIdx.y;
  const int G = p.group_size, num_heads = p.num_kv_heads * G;
  const int rows = (item.t_end - item.t_begin) * G;
  const int context = p.context_len[item.seq];
  const int32_t *table = p.block_table + static_cast<int64_t>(item.seq) * p.blocks_per_seq;
  const float *query = static_cast<const float *>(p.query);
  float *out = static_cast<float *>(p.out);
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const KvType kv_type = static_cast<KvType>(p.kv_type);
  const bool quant = kv_type != KvType::Model;
  // Byte offsets in a page: V rows; quantized, also K and V scales.
  const int64_t v_offset =
      static_cast<int64_t>(p.page_size) * p.num_kv_heads * HD * (quant ? 1 : sizeof(float));
  const int64_t k_scales = 2 * v_offset;
  const int64_t v_scales = k_scales + static_cast<int64_t>(p.page_size) * p.num_kv_heads * 4;
  constexpr int kQuads = HD / 4; // float4s per row

  for (int pass0 = 0; pass0 < rows; pass0 += kPassRows) {
    if (tid == 0)
      s_lo = INT_MAX, s_hi = INT_MIN;
    // Q rows of the pass (rows past the item: zeros, never written out).
    for (int i = tid; i < kPassRows * kQuads; i += kThreads) {
      const int lr = i / kQuads, c = i % kQuads, r = pass0 + lr;
      float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      if (r < rows) {
        const int64_t t = item.t_begin + r / G;
        const int head = kv_head * G + r % G;
        v = reinterpret_cast<const float4 *>(query + (t * num_heads + head) * HD)[c];
      }
      reinterpret_cast<float4 *>(sQ + lr * HD)[c] = v;
    }
    __syncthreads(); // s_lo / s_hi reset before the atomics below

    // This warp's rows (warp-uniform count) and their key bounds.
    int row_lo[kRowsPerWarp], row_hi[kRowsPerWarp];
    int warp_rows = 0, warp_lo = INT_MAX, warp_hi = INT_MIN;
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      const int r = pass0 + warp + kWarps * i;
      row_lo[i] = 0;
      row_hi[i] = -1;
      if (r < rows) {
        warp_rows = i + 1;
        const int q = p.positions[item.t_begin + r / G];
        const int hi = p.causal ? min(q, context - 1) : context - 1;
        const int lo = p.window > 0 ? max(0, q - p.window + 1) : 0;
        row_lo[i] = max(lo, item.key_lo);
        row_hi[i] = min(hi, item.key_hi);
        if (row_lo[i] <= row_hi[i]) {
          warp_lo = min(warp_lo, row_lo[i]);
          warp_hi = max(warp_hi, row_hi[i]);
        }
      }
    }
    if (lane == 0 && warp_lo <= warp_hi) {
      atomicMin(&s_lo, warp_lo);
      atomicMax(&s_hi, warp_hi);
    }
    __syncthreads();
    const int pass_lo = s_lo, pass_hi = s_hi; // empty (lo > hi) when no row sees a key

    float acc[kRowsPerWarp][S::kDimGroups][4];
    float row_max[kRowsPerWarp], lane_sum[kRowsPerWarp];
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      row_max[i] = -INFINITY;
      lane_sum[i] = 0.0f;
#pragma unroll
      for (int g = 0; g < S::kDimGroups; ++g)
        acc[i][g][0] = acc[i][g][1] = acc[i][g][2] = acc[i][g][3] = 0.0f;
    }

    for (int chunk0 = pass_lo; chunk0 <= pass_hi; chunk0 += kChunkKeys) {
      __syncthreads(); // the previous chunk has been read by every warp
      for (int i = tid; i < kChunkKeys * kQuads; i += kThreads) {
        const int j = i / kQuads, c = i % kQuads, k = chunk0 + j;
        float4 kv = make_float4(0.0f, 0.0f, 0.0f, 0.0f), vv = kv;
        if (k <= pass_hi) { // k >= pass_lo >= key_lo; pass_hi <= key_hi
          const int page_index =
              (__umulhi(static_cast<uint32_t>(k), p.page_magic) + static_cast<uint32_t>(k)) >>
              p.page_shift;
          const int64_t page = table[page_index];
          const int slot = k - page_index * p.page_size;
          const char *base = p.cache + page * p.page_bytes;
          const int64_t row = static_cast<int64_t>(slot) * p.num_kv_heads + kv_head;
          if (quant) {
            const char *codes = base + row * HD + 4 * c;
            kv = kvq::dequantize4(kv_type, *reinterpret_cast<const uint32_t *>(codes),
                                  *reinterpret_cast<const float *>(base + k_scales + row * 4));
            vv = kvq::dequantize4(kv_type, *reinterpret_cast<const uint32_t *>(codes + v_offset),
                                  *reinterpret_cast<const float *>(base + v_scales + row * 4));
          } else {
            const char *src = base + row * HD * static_cast<int64_t>(sizeof(float));
            kv = reinterpret_cast<const float4 *>(src)[c];
            vv = reinterpret_cast<const float4 *>(src + v_offset)[c];
          }
        }
        reinterpret_cast<float4 *>(sK + j * S::kKStride)[c] = kv;
        reinterpret_cast<float4 *>(sV + j * HD)[c] = vv;
      }
      __syncthreads();
      if (warp_rows == 0 || chunk0 > warp_hi || chunk0 + kChunkKeys - 1 < warp_lo)
        continue; // warp-uniform: no row of this warp sees a key of the chunk

      // Scores of key `lane` against the warp's rows.
      const int key = chunk0 + lane;
      float s[kRowsPerWarp];
#pragma unroll
      for (int i = 0; i < kRowsPerWarp; ++i)
        s[i] = 0.0f;
      const float4 *krow = reinterpret_cast<const float4 *>(sK + lane * S::kKStride);
#pragma unroll 16
      for (int c = 0; c < kQuads; ++c) {
        const float4 k4 = krow[c];
#pragma unroll
        for (int i = 0; i < kRowsPerWarp; ++i) {
          if (i < warp_rows) {
            const float4 q4 = reinterpret_cast<const float4 *>(sQ + (warp + kWarps * i) * HD)[c];
            s[i] = fmaf(q4.x, k4.x, s[i]);
            s[i] = fmaf(q4.y, k4.y, s[i]);
            s[i] = fmaf(q4.z, k4.z, s[i]);
            s[i] = fmaf(q4.w, k4.w, s[i]);
          }
        }
      }

      // Scale, softcap, mask; online-softmax update per row.
#pragma unroll
      for (int i = 0; i < kRowsPerWarp; ++i) {
        if (i >= warp_rows)
          continue;
        float x = s[i] * p.scale;
        if (p.softcap > 0.0f)
          x = p.softcap * tanhf(x / p.softcap);
        if (key < row_lo[i] || key > row_hi[i])
          x = -INFINITY;
        const float new_max = fmaxf(row_max[i], warp_max(x));
        if (new_max == -INFINITY) { // nothing visible to this row yet
          s[i] = 0.0f;
          continue;
        }
        const float rescale = expf(row_max[i] - new_max); // 0 on the first visible chunk
        row_max[i] = new_max;
        s[i] = expf(x - new_max); // masked keys: expf(-inf) = 0
        lane_sum[i] = lane_sum[i] * rescale + s[i];
#pragma unroll
        for (int g = 0; g < S::kDimGroups; ++g)
#pragma unroll
          for (int e = 0; e < 4; ++e)
            acc[i][g][e] *= rescale;
      }

      // acc += P . V over the chunk's keys.
#pragma unroll 4
      for (int j = 0; j < kChunkKeys; ++j) {
        float4 v4[S::kDimGroups];
#pragma unroll
        for (int g = 0; g < S::kDimGroups; ++g)
          v4[g] = 4 * lane + 128 * g < HD
                      ? reinterpret_cast<const float4 *>(sV + j * HD + 128 * g)[lane]
                      : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll
        for (int i = 0; i < kRowsPerWarp; ++i) {
          const float pj = __shfl_sync(0xffffffffu, s[i], j);
          if (i < warp_rows) {
#pragma unroll
            for (int g = 0; g < S::kDimGroups; ++g) {
              acc[i][g][0] = fmaf(pj, v4[g].x, acc[i][g][0]);
              acc[i][g][1] = fmaf(pj, v4[g].y, acc[i][g][1]);
              acc[i][g][2] = fmaf(pj, v4[g].z, acc[i][g][2]);
              acc[i][g][3] = fmaf(pj, v4[g].w, acc[i][g][3]);
            }
          }
        }
      }
    }

    // Normalise and write the warp's rows; no visible key: zeros.
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      if (i >= warp_rows)
        continue;
      const float sum = warp_sum(lane_sum[i]);
      const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
      const int r = pass0 + warp + kWarps * i;
      const int64_t t = item.t_begin + r / G;
      const int head = kv_head * G + r % G;
      float *o = out + (t * num_heads + head) * HD;
#pragma unroll
      for (int g = 0; g < S::kDimGroups; ++g)
        if (4 * lane + 128 * g < HD)
          reinterpret_cast<float4 *>(o + 128 * g)[lane] =
              make_float4(acc[i][g][0] * inv, acc[i][g][1] * inv, acc[i][g][2] * inv,
                          acc[i][g][3] * inv);
    }
    __syncthreads(); // sQ and s_lo / s_hi are rewritten by the next pass
  }
}

template <int HD>
cudaError_t launch_f32(const KernelParams &p, const WorkItem *items, LaunchCount count,
                       cudaStream_t stream) {
  using S = F32Shape<HD>;
  auto kernel = paged_attention_f32_kernel<HD>;
  static bool configured = false; // per instantiation; the limit is per function
  if (!configured) {
    const cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                               static_cast<int>(S::kSmemBytes));
    if (e != cudaSuccess)
      return e;
    configured = true;
  }
  dependent_launch::launch_early(kernel, dim3(count.grid, p.num_kv_heads), dim3(kThreads),
                                 S::kSmemBytes, stream, p, items, count.count);
  return cudaGetLastError();
}

} // namespace

cudaError_t launch_attention_f32(const KernelParams &p, const WorkItem *items, LaunchCount count,
                                 int head_dim, cudaStream_t stream) {
  if (count.grid <= 0)
    return cudaSuccess;
  switch (head_dim) {
  case 16: return launch_f32<16>(p, items, count, stream);
  case 32: return launch_f32<32>(p, items, count, stream);
  case 64: return launch_f32<64>(p, items, count, stream);
  case 128: return launch_f32<128>(p, items, count, stream);
  case 256: return launch_f32<256>(p, items, count, stream);
  default: return cudaErrorInvalidValue;
  }
}

} // namespace attnrt::cuda::attention
