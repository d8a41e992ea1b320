// Paged attention on NVIDIA GPUs (sm_80+; built for sm_90a): FlashAttention-2
// style tiled online softmax on the tensor cores (mma.sync m16n8k16, f16/bf16
// operands, f32 accumulators), reading K/V tiles straight from the paged cache
// of runtime/ModelABI.h. Semantics: runtime/cuda/Attention.h.
//
// One CTA is one work item x one kv head. Its rows are (query token, head of
// the kv group) pairs, token-major, so all group_size query heads of a kv head
// share every K/V tile a CTA loads (GQA/MQA: K/V read once per group, not once
// per query head). A row r of the item is token t_begin + r / G, head
// kv_head * G + r % G. Two shapes of the same kernel:
//   large (prefill): 128 rows: 4 warps along the rows of 2 m-tiles each (8
//                    warps of 1 at head_dim 256), each warp the whole 64-key
//                    tile; K/V tile loaded once for 128 rows.
//   small (decode):  1 x 16 rows, 4 warps along the keys: each warp takes 16
//                    keys of the 64-key tile with its own softmax state, and
//                    the 4 states are merged in shared memory at the end.
// Head sizes 16, 32, 64, 128, 256 (Shapes<HD> below).
// Tiles start at multiples of 64 keys inside [key_lo, key_hi] of the item,
// which the planner computed exactly from the rows' causal/window bounds, so
// fully masked tiles are never visited and released pages (-1) are never
// read; keys of a visited tile outside the item are zero-filled (finite V).
// Per element, keys outside the row's own bounds get -inf before the max.
// Scores live in the log2 domain (scale * log2 e folded in); the accumulator
// is normalised once, in the epilogue. A decode-sized sequence whose keys
// are long is cut into key slices (flash-decoding), each slice one item
// writing (max, sum, unnormalised accumulator) to a workspace; the slice
// that finishes last (a counter per group and kv head) combines them, so a
// step launches no merge kernel (in a captured decode graph one would run
// at every layer, mostly with nothing to merge).
// A quantized cache (runtime/QuantizedKV.h: 1-byte codes, f32 scale per key
// and head) goes through the same pipeline with half the bytes (f16/bf16):
// the stages hold a tile's codes and scales; before the tile is used the CTA
// converts the codes, exactly, to the storage type into one K and one V tile
// of the layout above (integer tricks, no scale), and the scales are applied
// in f32 around the MMAs: K's to the score columns, V's to the probability
// columns before P.V, relative to the largest V scale the warp has seen
// (the accumulator holds output / that scale, rescaled when it grows).
#include "Attention.h"
#include "AttentionPlan.h"
#include "AsyncCopy.cuh"
#include "DependentLaunch.cuh"
#include "KVQuant.cuh"
#include "Probe.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <type_traits>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

namespace {

namespace dependent_launch = attnrt::cuda::dependent_launch;

using namespace attnrt::cuda::attention;
namespace async_copy = attnrt::cuda::async_copy;
namespace kvq = attnrt::cuda::kvq;
namespace probe = attnrt::cuda::probe;
using attnrt::KvType;

template <typename T> struct Vec2;
template <> struct Vec2<__half> {
  static __device__ __forceinline__ uint32_t pack(float a, float b) {
    __half2 h = __floats2half2_rn(a, b);
    return *reinterpret_cast<uint32_t *>(&h);
  }
};
template <> struct Vec2<__nv_bfloat16> {
  static __device__ __forceinline__ uint32_t pack(float a, float b) {
    __nv_bfloat162 h = __floats2bfloat162_rn(a, b);
    return *reinterpret_cast<uint32_t *>(&h);
  }
};

// Eight accumulator columns divided by the row sum (zeros for a row without
// visible keys), stored as one 16-byte write.
template <typename T>
__device__ __forceinline__ void store_normalized8(T *dst, const float (&v)[8], float sum) {
  const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
  uint4 packed;
  packed.x = Vec2<T>::pack(v[0] * inv, v[1] * inv);
  packed.y = Vec2<T>::pack(v[2] * inv, v[3] * inv);
  packed.z = Vec2<T>::pack(v[4] * inv, v[5] * inv);
  packed.w = Vec2<T>::pack(v[6] * inv, v[7] * inv);
  *reinterpret_cast<uint4 *>(dst) = packed;
}

template <typename T>
__device__ __forceinline__ void mma16816(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1);
template <>
__device__ __forceinline__ void mma16816<__half>(float c[4], const uint32_t a[4], uint32_t b0,
                                                 uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, "
               "{%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void mma16816<__nv_bfloat16>(float c[4], const uint32_t a[4],
                                                        uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, "
               "{%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t r[4], const void *p) {
  const uint32_t a = static_cast<uint32_t>(__cvta_generic_to_shared(p));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t r[4], const void *p) {
  const uint32_t a = static_cast<uint32_t>(__cvta_generic_to_shared(p));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
}

// Shared tiles are [rows][HD] with 16-byte chunks XOR-swizzled by row, so the
// 8 row addresses of one ldmatrix (8 consecutive rows, one chunk) land in 8
// different bank groups. Rows of 8+ chunks swizzle by row % 8; shorter rows
// (HD 16, 32: 8 rows span 2 or 4 bank-group lines) by the row's position
// within the rows sharing a line, staying inside the row.
template <int HD> __device__ __forceinline__ int swz(int row, int chunk) {
  constexpr int kChunks = HD / 8;
  if constexpr (kChunks >= 8)
    return row * HD + ((chunk ^ (row & 7)) << 3);
  else
    return row * HD + ((chunk ^ ((row / (8 / kChunks)) & (kChunks - 1))) << 3);
}

// WM warps along the rows, each with MT m16 tiles (16 * MT rows); WK warps
// along the keys of a tile. Q fragments stay in registers when a warp has one
// m-tile of HD <= 128; with two (32 rows a warp: each K/V fragment read from
// shared memory feeds two MMAs), or at HD 256 (a 128-float accumulator),
// they are re-read from shared memory to stay under 255 registers.
// Quant: the cache holds 1-byte codes; the stages then hold codes and scales
// (HD + 4 bytes per key of K and of V) and one K and one V tile of the
// storage type takes the converted tile in use.
template <int HD, int WM, int WK, int MT, int STAGES, bool Quant = false> struct Shape {
  static constexpr int kHD = HD, kWM = WM, kWK = WK, kMT = MT;
  static constexpr int kStages = STAGES; // K/V tiles in flight (cp.async pipeline depth)
  static constexpr int kWarps = WM * WK;
  static constexpr int kThreads = kWarps * 32;
  static constexpr int kWarpRows = 16 * MT;
  static constexpr int kRows = kWarpRows * WM;
  static constexpr int kWarpKeys = kTileKeys / WK; // keys per warp per tile
  static constexpr int kChunks = HD / 8;
  static constexpr bool kQInRegs = MT == 1 && HD <= 128;
  static constexpr int kTiles = Quant ? 1 : kStages; // K/V tiles of the storage type
  static constexpr int kMainElems = kRows * HD + 2 * kTiles * kTileKeys * HD; // Q + K, V tiles
  static constexpr int kCodeBytes = Quant ? kStages * 2 * kTileKeys * (HD + 4) : 0;
  static constexpr int kEpiFloats = WK * kRows * (HD + 4) + 2 * WK * kRows;
  static constexpr size_t kSmemBytes =
      std::max(sizeof(uint16_t) * kMainElems + kCodeBytes, sizeof(float) * kEpiFloats);
  static_assert(kWarpKeys % 16 == 0, "each warp needs whole k16 steps of keys");
  static_assert(kStages >= 2, "at least double buffering");
  static_assert(HD % 16 == 0 && HD >= 16, "whole k16 steps of the head");
};

// Codes in the MMA's storage type, without their scales (which the kernel
// applies to the score and probability columns), in integer and half-rate
// arithmetic: two codes (bytes 2h, 2h + 1 of w) as a T pair holding
// code * kCodeUnit<T, Q>:
//   f16 / int8:  0x64XX is 1024 + XX: (code ^ 0x80) there, minus 1152;
//   f16 / e4m3:  the 7 magnitude bits shifted into an f16 (2^-8 of the value;
//                subnormal codes land on f16 subnormals, exactly);
//   bf16 / e4m3: the same into a bf16 (2^-120 of it), times 2^120;
//   bf16 / int8: 2^23 + (code ^ 0x80) in an f32, minus 2^23 + 128, rounded
//                (exactly) to bf16.
template <typename T, KvType Q> constexpr float kCodeUnit =
    std::is_same_v<T, __half> && Q == KvType::Fp8E4M3 ? 1.0f / 256.0f : 1.0f;

template <typename T, KvType Q> __device__ __forceinline__ uint32_t codes_to_pair(uint32_t w, int h) {
  if constexpr (Q == KvType::Int8 && std::is_same_v<T, __half>) {
    uint32_t x = __byte_perm(w ^ 0x80808080u, 0x64646464u, h ? 0x4342 : 0x4140);
    __half2 v = __hsub2(*reinterpret_cast<__half2 *>(&x), __half2(__half(1152.0f), __half(1152.0f)));
    return *reinterpret_cast<uint32_t *>(&v);
  } else if constexpr (Q == KvType::Int8) {
    const uint32_t x = w ^ 0x80808080u;
    const float lo = __uint_as_float(0x4B000000u | ((x >> (16 * h)) & 0xFF)) - 8388736.0f;
    const float hi = __uint_as_float(0x4B000000u | ((x >> (16 * h + 8)) & 0xFF)) - 8388736.0f;
    return Vec2<T>::pack(lo, hi);
  } else {
    const uint32_t t = __byte_perm(w, 0u, h ? 0x3424 : 0x1404); // the codes in the high bytes
    if constexpr (std::is_same_v<T, __half>) {
      return ((t >> 1) & 0x3F803F80u) | (t & 0x80008000u);
    } else {
      uint32_t x = ((t >> 4) & 0x07F007F0u) | (t & 0x80008000u);
      const __nv_bfloat162 two120 = __nv_bfloat162(__ushort_as_bfloat16(0x7B80), __ushort_as_bfloat16(0x7B80));
      __nv_bfloat162 v = __hmul2(*reinterpret_cast<__nv_bfloat162 *>(&x), two120);
      return *reinterpret_cast<uint32_t *>(&v);
    }
  }
}

// A stage's tile of codes [kTileKeys][HD] into a swizzled tile of the storage
// type (codes_to_pair); 16 codes a step.
template <typename T, KvType Q, int HD, int kThreads>
__device__ __forceinline__ void convert_tile(const uint8_t *codes, T *dst, int tid) {
  constexpr int kCChunks = HD / 16, kTotal = kTileKeys * kCChunks;
#pragma unroll
  for (int it = 0; it < (kTotal + kThreads - 1) / kThreads; ++it) {
    const int i = tid + it * kThreads;
    if (kTotal % kThreads == 0 || i < kTotal) {
      const int j = i / kCChunks, c = i % kCChunks;
      const uint4 w = *reinterpret_cast<const uint4 *>(codes + j * HD + c * 16);
      const uint32_t words[4] = {w.x, w.y, w.z, w.w};
      uint32_t packed[8];
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        packed[2 * q] = codes_to_pair<T, Q>(words[q], 0);
        packed[2 * q + 1] = codes_to_pair<T, Q>(words[q], 1);
      }
      *reinterpret_cast<uint4 *>(dst + swz<HD>(j, 2 * c)) =
          make_uint4(packed[0], packed[1], packed[2], packed[3]);
      *reinterpret_cast<uint4 *>(dst + swz<HD>(j, 2 * c + 1)) =
          make_uint4(packed[4], packed[5], packed[6], packed[7]);
    }
  }
}

// Combines the key slices of split query block g for kv_head: rescale every
// slice to the common max, add sums and accumulators, normalise. Called by
// the CTA that wrote the group's last slice; the others' states are read
// from L2 (__ldcg: this SM's L1 may not have seen them).
template <typename T, int HD>
__device__ void merge_slices(const KernelParams &p, const MergeGroup &g, int kv_head, int tid,
                             int threads) {
  const int G = p.group_size, num_heads = p.num_kv_heads * G;
  constexpr int kChunks = HD / 8;
  for (int i = tid; i < g.rows * kChunks; i += threads) {
    const int r = i / kChunks, c = i % kChunks;
    const int64_t row0 = g.first_partial + static_cast<int64_t>(kv_head) * g.rows + r;
    float m_all = -INFINITY;
    for (int part = 0; part < g.num_parts; ++part)
      m_all = fmaxf(m_all, __ldcg(p.partial_max + row0 + static_cast<int64_t>(part) * g.part_stride));
    float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    float l = 0.0f;
    if (m_all != -INFINITY) {
      for (int part = 0; part < g.num_parts; ++part) {
        const int64_t row = row0 + static_cast<int64_t>(part) * g.part_stride;
        const float sum = __ldcg(p.partial_sum + row);
        if (sum == 0.0f)
          continue; // slice without visible keys for this row
        const float w = exp2f(__ldcg(p.partial_max + row) - m_all);
        l += sum * w;
        const float4 *a = reinterpret_cast<const float4 *>(p.partial_acc + row * HD + c * 8);
        const float4 x0 = __ldcg(a), x1 = __ldcg(a + 1);
        v[0] += x0.x * w; v[1] += x0.y * w; v[2] += x0.z * w; v[3] += x0.w * w;
        v[4] += x1.x * w; v[5] += x1.y * w; v[6] += x1.z * w; v[7] += x1.w * w;
      }
    }
    const int64_t t = g.t_begin + r / G;
    const int head = kv_head * G + r % G;
    store_normalized8(static_cast<T *>(p.out) + (t * num_heads + head) * HD + c * 8, v, l);
  }
}

template <typename T, int HD, int WM, int WK, int MT, int STAGES, KvType KV>
__global__ void __launch_bounds__(Shape<HD, WM, WK, MT, STAGES, KV != KvType::Model>::kThreads)
    paged_attention_kernel(const KernelParams p, const WorkItem *__restrict__ items,
                           const int32_t *__restrict__ item_count) {
  // Everything up to the first K/V loads reads only what no kernel of the
  // step writes (the plan, the step's inputs, keys of earlier steps); the
  // wait comes before the Q rows and the step's own keys.
  probe::Marks marks;
  marks.mark(0);
  dependent_launch::allow_dependents();
  constexpr bool kQuant = KV != KvType::Model;
  using S = Shape<HD, WM, WK, MT, STAGES, kQuant>;
  constexpr int kRows = S::kRows, kWarpKeys = S::kWarpKeys, kChunks = S::kChunks;
  constexpr int kNT = kWarpKeys / 8; // score n-tiles per warp
  constexpr int kDT = HD / 8;        // output n-tiles
  constexpr int kQRegTiles = S::kQInRegs ? HD / 16 : 1;
  extern __shared__ uint4 smem_raw[];
  T *sQ = reinterpret_cast<T *>(smem_raw);
  T *sK = sQ + kRows * HD;                 // [kTiles][kTileKeys][HD]
  T *sV = sK + S::kTiles * kTileKeys * HD; // [kTiles][kTileKeys][HD]
  // Quantized: codes [kStages][kTileKeys][HD] of K, then of V, then scales
  // [kStages][kTileKeys] of K, then of V.
  uint8_t *cK = reinterpret_cast<uint8_t *>(sV + S::kTiles * kTileKeys * HD);
  uint8_t *cV = cK + S::kStages * kTileKeys * HD;
  float *cKs = reinterpret_cast<float *>(cV + S::kStages * kTileKeys * HD);
  float *cVs = cKs + S::kStages * kTileKeys;

  // A fixed grid (graph capture) has CTAs past this step's items. They too
  // wait for the producers: besides keeping the grid's completion after
  // theirs, the waiting CTAs keep the next kernel from launching (and the
  // ones after it from streaming their weights) while the producer still
  // runs. Letting them leave at once cost ~4 us a layer (BENCHMARKS,
  // "Attention's surplus CTAs"). A fixed grid is (kv heads, items) where it
  // fits so that CTAs, dispatched x first, start every head of the first
  // items before any surplus CTA takes a slot (items on x dispatched the
  // first head's surplus before the other heads' real work: ~2 us of skew a
  // layer).
  const int item_index = p.heads_on_x ? blockIdx.y : blockIdx.x;
  if (item_count && item_index >= *item_count) {
    dependent_launch::wait_for_producers();
    return;
  }
  const WorkItem item = items[item_index];
  const int kv_head = p.heads_on_x ? blockIdx.x : blockIdx.y;
  const int G = p.group_size;
  const int num_heads = p.num_kv_heads * G;
  const int rows = (item.t_end - item.t_begin) * G;
  const int context = p.context_len[item.seq];
  const int32_t *table = p.block_table + static_cast<int64_t>(item.seq) * p.blocks_per_seq;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int wm = warp % WM, wk = warp / WM;
  const int warp_row0 = wm * S::kWarpRows;
  const T *query = static_cast<const T *>(p.query);

  const int tile0 = item.key_lo / kTileKeys * kTileKeys;
  const int num_tiles = item.key_hi >= item.key_lo ? (item.key_hi - tile0) / kTileKeys + 1 : 0;
  // Bytes of a key's row of K (and of V) in the cache: codes or elements.
  constexpr int kRowBytes = HD * (kQuant ? 1 : static_cast<int>(sizeof(T)));
  const int64_t v_offset = static_cast<int64_t>(p.page_size) * p.num_kv_heads * kRowBytes;
  // Quantized pages: the K scales follow the V codes, the V scales them.
  const int64_t k_scales = 2 * v_offset;
  const int64_t v_scales = k_scales + static_cast<int64_t>(p.page_size) * p.num_kv_heads * 4;
  struct PageRow {
    const char *base; // the key's page
    int64_t row;      // slot * kv_heads + kv_head
  };
  auto page_row = [&](int k) {
    const int q = (__umulhi(static_cast<uint32_t>(k), p.page_magic) + static_cast<uint32_t>(k)) >> p.page_shift;
    const int64_t page = table[q];
    const int slot = k - q * p.page_size;
    return PageRow{p.cache + page * p.page_bytes, static_cast<int64_t>(slot) * p.num_kv_heads + kv_head};
  };
  // A tile's K/V rows into stage `stage`: 16-byte chunks, swizzled tiles of
  // the storage type, or plain rows of codes plus the keys' scales. Part
  // kStable copies only the keys <= item.stable_hi, kRest the others (rows
  // outside the item zeroed), kWhole both.
  enum Part { kStable, kRest, kWhole };
  auto load_tile = [&](int tile, int stage, Part part = kWhole) {
    auto in_part = [&](int k) {
      const bool stable = k >= item.key_lo && k <= item.key_hi && k <= item.stable_hi;
      return part == kWhole || (part == kStable) == stable;
    };
    const int start = tile0 + tile * kTileKeys;
    constexpr int kRowChunks = kRowBytes / 16, kTotal = kTileKeys * kRowChunks;
    char *dk = kQuant ? reinterpret_cast<char *>(cK + stage * kTileKeys * HD)
                      : reinterpret_cast<char *>(sK + stage * kTileKeys * HD);
    char *dv = kQuant ? reinterpret_cast<char *>(cV + stage * kTileKeys * HD)
                      : reinterpret_cast<char *>(sV + stage * kTileKeys * HD);
    // Unrolled so that a thread's block-table reads are all issued before
    // its first copy.
#pragma unroll
    for (int it = 0; it < (kTotal + S::kThreads - 1) / S::kThreads; ++it) {
      const int i = tid + it * S::kThreads;
      if (kTotal % S::kThreads == 0 || i < kTotal) {
        const int j = i / kRowChunks, c = i % kRowChunks;
        const int k = start + j;
        const bool valid = k >= item.key_lo && k <= item.key_hi;
        if (!in_part(k))
          continue;
        const char *src = p.cache;
        if (valid) {
          const PageRow r = page_row(k);
          src = r.base + r.row * kRowBytes + c * 16;
        }
        const int dst = kQuant ? j * HD + c * 16 : swz<HD>(j, c) * static_cast<int>(sizeof(T));
        async_copy::copy16(dk + dst, src, valid);
        async_copy::copy16(dv + dst, valid ? src + v_offset : src, valid);
      }
    }
    if constexpr (kQuant) {
      static_assert(S::kThreads >= kTileKeys, "one thread per key for the scales");
      if (tid < kTileKeys && in_part(start + tid)) {
        const int k = start + tid;
        const bool valid = k >= item.key_lo && k <= item.key_hi;
        const char *ks = p.cache, *vs = p.cache;
        if (valid) {
          const PageRow r = page_row(k);
          ks = r.base + k_scales + r.row * 4;
          vs = r.base + v_scales + r.row * 4;
        }
        async_copy::copy4(cKs + stage * kTileKeys + tid, ks, valid);
        async_copy::copy4(cVs + stage * kTileKeys + tid, vs, valid);
      }
    }
  };
  // Pipeline prologue: the stable keys of tiles 0 .. kStages - 2 before the
  // wait (they join group 0); then Q and the rest of tile 0 in group 0, the
  // rest of tiles 1 .. kStages - 2 in one group each (empty groups past the
  // last tile keep the count uniform).
#pragma unroll
  for (int t = 0; t < S::kStages - 1; ++t)
    if (t < num_tiles)
      load_tile(t, t, kStable);
  dependent_launch::wait_for_producers();
  marks.mark(1);
  // Q rows of the item (zero rows past its tokens).
  for (int i = tid; i < kRows * kChunks; i += S::kThreads) {
    const int r = i / kChunks, c = i % kChunks;
    const bool valid = r < rows;
    const int64_t t = item.t_begin + (valid ? r / G : 0);
    const int head = kv_head * G + (valid ? r % G : 0);
    async_copy::copy16(sQ + swz<HD>(r, c), query + (t * num_heads + head) * HD + c * 8, valid);
  }
  if (num_tiles > 0)
    load_tile(0, 0, kRest);
  async_copy::commit();
#pragma unroll
  for (int t = 1; t < S::kStages - 1; ++t) {
    if (t < num_tiles)
      load_tile(t, t, kRest);
    async_copy::commit();
  }

  // Bounds of this thread's rows: lane / 4 and lane / 4 + 8 of each m-tile.
  int row_lo[MT][2], row_hi[MT][2];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int r = warp_row0 + mt * 16 + (lane >> 2) + 8 * i;
      row_lo[mt][i] = 0;
      row_hi[mt][i] = -1;
      if (r < rows) {
        const int q = p.positions[item.t_begin + r / G];
        const int hi = p.causal ? min(q, context - 1) : context - 1;
        const int lo = p.window > 0 ? max(0, q - p.window + 1) : 0;
        row_lo[mt][i] = max(lo, item.key_lo);
        row_hi[mt][i] = min(hi, item.key_hi);
      }
    }
  }

  // Keys every valid row of the warp sees (rows past the item count as
  // unbounded: their Q is zero and they are never written).
  int warp_lo = INT_MIN, warp_hi = INT_MAX;
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int i = 0; i < 2; ++i)
      if (warp_row0 + mt * 16 + (lane >> 2) + 8 * i < rows) {
        warp_lo = max(warp_lo, row_lo[mt][i]);
        warp_hi = min(warp_hi, row_hi[mt][i]);
      }
  warp_lo = __reduce_max_sync(0xffffffffu, warp_lo);
  warp_hi = __reduce_min_sync(0xffffffffu, warp_hi);
  const float mul = p.softcap > 0.0f ? 1.0f : p.scale_log2;

  async_copy::wait<S::kStages - 2>(); // Q (group 0) has landed
  __syncthreads();
  const int mat = lane >> 3, r8 = lane & 7;
  // A-fragment rows of this lane for ldmatrix (m-tile 0; + 16 per m-tile).
  const int q_row = warp_row0 + r8 + (mat & 1) * 8;
  uint32_t qf[kQRegTiles][4];
  if constexpr (S::kQInRegs) {
#pragma unroll
    for (int kk = 0; kk < HD / 16; ++kk)
      ldmatrix_x4(qf[kk], sQ + swz<HD>(q_row, kk * 2 + (mat >> 1)));
  }

  float acc[MT][kDT][4];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int n = 0; n < kDT; ++n)
      acc[mt][n][0] = acc[mt][n][1] = acc[mt][n][2] = acc[mt][n][3] = 0.0f;
  float row_max[MT][2], row_sum[MT][2]; // sums: this thread's share, quad-summed at the end
  float v_ref = 0.0f; // quantized cache: the accumulator's unit (the warp's largest V scale)
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
    row_max[mt][0] = row_max[mt][1] = -INFINITY, row_sum[mt][0] = row_sum[mt][1] = 0.0f;

  for (int tile = 0; tile < num_tiles; ++tile) {
    const int stage = tile % S::kStages;
    // Tile `tile` is in group `tile`; refill the stage freed last iteration.
    if (tile + S::kStages - 1 < num_tiles)
      load_tile(tile + S::kStages - 1, (tile + S::kStages - 1) % S::kStages);
    async_copy::commit();
    async_copy::wait<S::kStages - 1>();
    __syncthreads();
    if constexpr (kQuant) { // codes of the stage -> the K/V tiles (free since the last tile)
      convert_tile<T, KV, HD, S::kThreads>(cK + stage * kTileKeys * HD, sK, tid);
      convert_tile<T, KV, HD, S::kThreads>(cV + stage * kTileKeys * HD, sV, tid);
      __syncthreads();
    }

    const T *tk = sK + (kQuant ? 0 : stage) * kTileKeys * HD;
    const T *tv = sV + (kQuant ? 0 : stage) * kTileKeys * HD;
    const int key_base = tile0 + tile * kTileKeys + wk * kWarpKeys; // first key of this warp

    float s[MT][kNT][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int n = 0; n < kNT; ++n)
        s[mt][n][0] = s[mt][n][1] = s[mt][n][2] = s[mt][n][3] = 0.0f;
#pragma unroll
    for (int kk = 0; kk < HD / 16; ++kk) {
      uint32_t qa[MT][4];
      if constexpr (!S::kQInRegs) {
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
          ldmatrix_x4(qa[mt], sQ + swz<HD>(q_row + mt * 16, kk * 2 + (mat >> 1)));
      }
#pragma unroll
      for (int np = 0; np < kNT / 2; ++np) {
        const int j = wk * kWarpKeys + np * 16 + r8 + (mat >> 1) * 8;
        uint32_t b[4];
        ldmatrix_x4(b, tk + swz<HD>(j, kk * 2 + (mat & 1)));
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          const uint32_t *a = S::kQInRegs ? qf[S::kQInRegs ? kk : 0] : qa[mt];
          mma16816<T>(s[mt][2 * np], a, b[0], b[1]);
          mma16816<T>(s[mt][2 * np + 1], a, b[2], b[3]);
        }
      }
    }

    // Quantized cache: the scales of this thread's score columns (keys
    // n * 8 + (lane & 3) * 2 + {0, 1} of the warp's). K's multiply the scores;
    // V's the probabilities, relative to v_ref, the largest V scale the warp
    // has seen (so that p * scale stays in the f16 range): the accumulator
    // holds the output / v_ref, rescaled when v_ref grows.
    [[maybe_unused]] float vcol[kNT][2];
    float v_fix = 1.0f;
    if constexpr (kQuant) {
      const int col0 = stage * kTileKeys + wk * kWarpKeys + (lane & 3) * 2;
      float vmax = 0.0f;
#pragma unroll
      for (int n = 0; n < kNT; ++n) {
        const float2 k2 = *reinterpret_cast<const float2 *>(cKs + col0 + n * 8);
        const float2 v2 = *reinterpret_cast<const float2 *>(cVs + col0 + n * 8);
        vcol[n][0] = v2.x * (1.0f / kCodeUnit<T, KV>);
        vcol[n][1] = v2.y * (1.0f / kCodeUnit<T, KV>);
        vmax = fmaxf(vmax, fmaxf(vcol[n][0], vcol[n][1]));
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
          for (int e = 0; e < 4; ++e)
            s[mt][n][e] *= ((e & 1) ? k2.y : k2.x) * (1.0f / kCodeUnit<T, KV>);
      }
      vmax = fmaxf(vmax, __shfl_xor_sync(0xffffffffu, vmax, 1));
      vmax = fmaxf(vmax, __shfl_xor_sync(0xffffffffu, vmax, 2)); // the quad holds every column
      const float v_new = fmaxf(v_ref, vmax);
      v_fix = v_new > 0.0f ? v_ref / v_new : 1.0f;
      const float inv = v_new > 0.0f ? 1.0f / v_new : 0.0f;
      v_ref = v_new;
#pragma unroll
      for (int n = 0; n < kNT; ++n)
        vcol[n][0] *= inv, vcol[n][1] *= inv;
    }

    // Softcap (into the log2 domain), mask, online-softmax update. Without a
    // softcap the scores stay raw and the scale is folded into one FFMA per
    // element: exp2(x * scale_log2 - max). Tiles whose keys every row of the
    // warp sees skip the mask.
    const bool interior = key_base >= warp_lo && key_base + kWarpKeys - 1 <= warp_hi;
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      if (p.softcap > 0.0f) {
#pragma unroll
        for (int n = 0; n < kNT; ++n)
#pragma unroll
          for (int e = 0; e < 4; ++e)
            s[mt][n][e] = p.softcap * tanhf(s[mt][n][e] * p.scale / p.softcap) * 1.4426950408889634f;
      }
      if (!interior) {
#pragma unroll
        for (int n = 0; n < kNT; ++n)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int key = key_base + n * 8 + (lane & 3) * 2 + (e & 1);
            if (key < row_lo[mt][e >> 1] || key > row_hi[mt][e >> 1])
              s[mt][n][e] = -INFINITY;
          }
      }
      float tile_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
      for (int n = 0; n < kNT; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e)
          tile_max[e >> 1] = fmaxf(tile_max[e >> 1], s[mt][n][e]);
      tile_max[0] *= mul; // to the log2 domain (mul > 0 keeps -inf)
      tile_max[1] *= mul;
      float rescale[2], base[2];
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        tile_max[i] = fmaxf(tile_max[i], __shfl_xor_sync(0xffffffffu, tile_max[i], 1));
        tile_max[i] = fmaxf(tile_max[i], __shfl_xor_sync(0xffffffffu, tile_max[i], 2));
        const float new_max = fmaxf(row_max[mt][i], tile_max[i]);
        base[i] = new_max == -INFINITY ? 0.0f : new_max; // no key yet: exp2(-inf - 0) = 0
        rescale[i] = exp2f(row_max[mt][i] - base[i]);
        row_max[mt][i] = new_max;
        row_sum[mt][i] *= rescale[i];
        rescale[i] *= v_fix; // the sums count probabilities; the accumulator p * V scale
      }
#pragma unroll
      for (int n = 0; n < kNT; ++n) {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          s[mt][n][e] = exp2f(fmaf(s[mt][n][e], mul, -base[e >> 1]));
          row_sum[mt][e >> 1] += s[mt][n][e];
          if constexpr (kQuant)
            s[mt][n][e] *= vcol[n][e & 1];
        }
      }
#pragma unroll
      for (int n = 0; n < kDT; ++n) {
        acc[mt][n][0] *= rescale[0];
        acc[mt][n][1] *= rescale[0];
        acc[mt][n][2] *= rescale[1];
        acc[mt][n][3] *= rescale[1];
      }
    }

    // O += P V: the score accumulators of two adjacent n-tiles are the A
    // fragment of one k16 step.
#pragma unroll
    for (int ks = 0; ks < kWarpKeys / 16; ++ks) {
      uint32_t a[MT][4];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        a[mt][0] = Vec2<T>::pack(s[mt][2 * ks][0], s[mt][2 * ks][1]);
        a[mt][1] = Vec2<T>::pack(s[mt][2 * ks][2], s[mt][2 * ks][3]);
        a[mt][2] = Vec2<T>::pack(s[mt][2 * ks + 1][0], s[mt][2 * ks + 1][1]);
        a[mt][3] = Vec2<T>::pack(s[mt][2 * ks + 1][2], s[mt][2 * ks + 1][3]);
      }
      const int j = wk * kWarpKeys + ks * 16 + r8 + (mat & 1) * 8;
#pragma unroll
      for (int dp = 0; dp < HD / 16; ++dp) {
        uint32_t b[4];
        ldmatrix_x4_trans(b, tv + swz<HD>(j, dp * 2 + (mat >> 1)));
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          mma16816<T>(acc[mt][2 * dp], a[mt], b[0], b[1]);
          mma16816<T>(acc[mt][2 * dp + 1], a[mt], b[2], b[3]);
        }
      }
    }
    __syncthreads(); // the next iteration's load overwrites this stage
  }
  async_copy::wait<0>();
  __syncthreads();
  marks.mark(2);

  // Epilogue in shared memory (reusing the tiles): merge the WK key-warps'
  // states of each row, normalise once, write 16-byte chunks.
  constexpr int kStride = HD + 4;
  float *sO = reinterpret_cast<float *>(smem_raw);        // [WK][kRows][kStride]
  float *sM = sO + WK * kRows * kStride;                   // [WK][kRows]
  float *sL = sM + WK * kRows;                             // [WK][kRows]
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      row_sum[mt][i] += __shfl_xor_sync(0xffffffffu, row_sum[mt][i], 1);
      row_sum[mt][i] += __shfl_xor_sync(0xffffffffu, row_sum[mt][i], 2);
      if ((lane & 3) == 0)
        sM[wk * kRows + warp_row0 + mt * 16 + (lane >> 2) + 8 * i] = row_max[mt][i];
    }
  }
  __syncthreads();
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int r = warp_row0 + mt * 16 + (lane >> 2) + 8 * i;
      float m_all = -INFINITY;
#pragma unroll
      for (int w = 0; w < WK; ++w)
        m_all = fmaxf(m_all, sM[w * kRows + r]);
      const float f = row_max[mt][i] == -INFINITY ? 0.0f : exp2f(row_max[mt][i] - m_all);
      const float fo = kQuant ? f * v_ref : f; // the accumulator holds output / v_ref
      float *o = sO + (wk * kRows + r) * kStride + (lane & 3) * 2;
#pragma unroll
      for (int n = 0; n < kDT; ++n)
        *reinterpret_cast<float2 *>(o + n * 8) =
            make_float2(acc[mt][n][2 * i] * fo, acc[mt][n][2 * i + 1] * fo);
      if ((lane & 3) == 0)
        sL[wk * kRows + r] = row_sum[mt][i] * f;
    }
  }
  __syncthreads();

  const int64_t partial_row = item.partial >= 0 ? item.partial + static_cast<int64_t>(kv_head) * rows : -1;
  for (int i = tid; i < rows * kChunks; i += S::kThreads) {
    const int r = i / kChunks, c = i % kChunks;
    float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    float l = 0.0f, m_all = -INFINITY;
#pragma unroll
    for (int w = 0; w < WK; ++w) {
      const float *o = sO + (w * kRows + r) * kStride + c * 8;
      const float4 x0 = *reinterpret_cast<const float4 *>(o);
      const float4 x1 = *reinterpret_cast<const float4 *>(o + 4);
      v[0] += x0.x; v[1] += x0.y; v[2] += x0.z; v[3] += x0.w;
      v[4] += x1.x; v[5] += x1.y; v[6] += x1.z; v[7] += x1.w;
      l += sL[w * kRows + r];
      m_all = fmaxf(m_all, sM[w * kRows + r]);
    }
    if (partial_row < 0) {
      const int64_t t = item.t_begin + r / G;
      const int head = kv_head * G + r % G;
      store_normalized8(static_cast<T *>(p.out) + (t * num_heads + head) * HD + c * 8, v, l);
    } else {
      float *dst = p.partial_acc + (partial_row + r) * HD + c * 8;
      *reinterpret_cast<float4 *>(dst) = make_float4(v[0], v[1], v[2], v[3]);
      *reinterpret_cast<float4 *>(dst + 4) = make_float4(v[4], v[5], v[6], v[7]);
      if (c == 0) {
        p.partial_max[partial_row + r] = m_all;
        p.partial_sum[partial_row + r] = l;
      }
    }
  }
  marks.mark(3);
  marks.write(probe::kAttention, p.cache, item_index * p.num_kv_heads + kv_head,
              uint32_t(max(0, item.key_hi - item.key_lo + 1)));
  if (partial_row < 0)
    return;
  // A slice: the group's last CTA to get here merges (threadfence
  // reduction: publish, count, and the last one reads everybody's states).
  __shared__ bool merges;
  const MergeGroup group = p.merge_groups[item.group];
  __threadfence();
  __syncthreads();
  if (tid == 0) {
    int32_t *done = p.merge_done + item.group * p.num_kv_heads + kv_head;
    merges = atomicAdd(done, 1) == group.num_parts - 1;
    if (merges)
      *done = 0; // every slice has counted: ready for the next launch
  }
  __syncthreads();
  if (!merges)
    return;
  __threadfence();
  merge_slices<T, HD>(p, group, kv_head, tid, S::kThreads);
}

void set_error(char *error, size_t len, const char *fmt, ...) {
  if (!error || len == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(error, len, fmt, ap);
  va_end(ap);
}

} // namespace

struct attnc_cuda_attention_plan {
  attnc_cuda_attention_config config;
  int32_t num_small = 0, num_large = 0, num_groups = 0, split_tokens = 0;
  int64_t partial_rows = 0;
  WorkItem *d_items = nullptr; // small items, then large ones (fixed: one kind only)
  MergeGroup *d_groups = nullptr;
  float *d_partial = nullptr; // max, sum, acc
  int32_t *d_merge_done = nullptr; // [group capacity][kv heads] slices done, zero between launches

  // A fixed plan (graph capture): buffers sized once, grids of the
  // capacities, the step's counts in device memory. d_block holds
  // [counts: small, large, groups, pad][items: item_capacity][groups: max_seqs]
  // with d_items / d_groups pointing into it; h_block is its pinned mirror,
  // two of them taken in turn by updates: the copy of one step's update may
  // still be queued while the next step (queued ahead) is updated.
  bool fixed = false;
  bool fixed_large = false; // group_size > 16 rows: decode items use the large kernel
  int32_t max_seqs = 0, max_context = 0, item_capacity = 0;
  int64_t partial_capacity = 0; // rows
  int32_t *d_counts = nullptr;
  void *d_block = nullptr, *h_block[2] = {};
  int h_next = 0; // the mirror the next update writes
};

namespace {

// Rows of a work item in the small (decode) and large (prefill) kernels.
// The large shape's m-tiles per warp (1: 64-row CTAs, 2: 128-row CTAs);
// a build flag so both can be measured.
#ifndef ATTNC_CUDA_LARGE_MT
#define ATTNC_CUDA_LARGE_MT 2
#endif
constexpr int kLargeMT = ATTNC_CUDA_LARGE_MT;
constexpr int kSmallRows = 16, kLargeRows = 64 * kLargeMT;
// Decode CTAs are few and memory-bound: keep more tiles in flight.
#ifndef ATTNC_CUDA_SMALL_STAGES
#define ATTNC_CUDA_SMALL_STAGES 3
#endif
constexpr int kSmallStages = ATTNC_CUDA_SMALL_STAGES;
// Over a quantized cache a stage is half the bytes and the tile conversion
// adds instructions: fewer stages, more CTAs per multiprocessor.
#ifndef ATTNC_CUDA_SMALL_STAGES_QUANT
#define ATTNC_CUDA_SMALL_STAGES_QUANT 2
#endif
constexpr int kSmallStagesQuant = ATTNC_CUDA_SMALL_STAGES_QUANT;

// Kernel shapes per head size. 16..128: small = 16 rows, 4 key-warps,
// kSmallStages stages; large = 4 row-warps of kLargeMT m-tiles, 2 stages.
// 256: the accumulator alone is 128 floats a thread, so the large shape has
// one m-tile per warp and twice the warps (same rows: 128 rows, 8 warps,
// 192 KiB), and the small one 2 stages (64 KiB of K/V in flight, as 3
// stages of 128; 136 KiB). A quantized cache (Quant) keeps the warps; its
// shared memory holds the stages' codes and one converted K/V tile; small
// has kSmallStagesQuant stages (HD 128: 69 / 97 KiB small / large; 256: 137
// / 193 KiB).
template <int HD, bool Quant> struct Shapes {
  using Small = Shape<HD, 1, 4, 1, Quant ? kSmallStagesQuant : kSmallStages, Quant>;
  using Large = Shape<HD, 4, 1, kLargeMT, 2, Quant>;
};
template <bool Quant> struct Shapes<256, Quant> {
  using Small = Shape<256, 1, 4, 1, 2, Quant>;
  using Large = Shape<256, 4 * kLargeMT, 1, 1, 2, Quant>;
};
static_assert(Shapes<256, false>::Large::kRows == kLargeRows &&
                  Shapes<256, false>::Small::kRows == kSmallRows,
              "the planner cuts items by the same rows for every head size");
static_assert(Shapes<256, false>::Large::kSmemBytes <= 227 * 1024 &&
                  Shapes<256, true>::Large::kSmemBytes <= 227 * 1024,
              "over the H100's opt-in shared memory");

template <typename T, typename S, KvType KV>
cudaError_t launch_attention(const KernelParams &kp, const WorkItem *items, LaunchCount count,
                             int kv_heads, cudaStream_t stream) {
  auto kernel = paged_attention_kernel<T, S::kHD, S::kWM, S::kWK, S::kMT, S::kStages, KV>;
  probe::point_here(stream);
  static bool configured = false; // per instantiation; the limit is per function
  if (!configured) {
    cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         static_cast<int>(S::kSmemBytes));
    if (e != cudaSuccess)
      return e;
    configured = true;
  }
  // A fixed grid (count.count set: graph capture) puts its items on y where
  // they fit (y's limit is 65535; see the kernel's comment). An exact grid
  // has no surplus CTAs and keeps items on x: consecutive CTAs then share a
  // kv head's keys, which a prefill of several waves reads from L2.
  KernelParams grid_kp = kp;
  grid_kp.heads_on_x = count.count != nullptr && count.grid <= 65535;
  const dim3 grid = grid_kp.heads_on_x ? dim3(kv_heads, count.grid) : dim3(count.grid, kv_heads);
  dependent_launch::launch_early(kernel, grid, dim3(S::kThreads), S::kSmemBytes, stream, grid_kp,
                                 items, count.count);
  return cudaGetLastError();
}

// The launches of a plan: exact grids, or for a fixed plan the capacities
// with the counts read on the device.
struct PlanLaunches {
  LaunchCount small, large;
  const WorkItem *large_items;
};

PlanLaunches plan_launches(const attnc_cuda_attention_plan &plan) {
  if (!plan.fixed)
    return {{plan.num_small, nullptr}, {plan.num_large, nullptr}, plan.d_items + plan.num_small};
  const LaunchCount none{0, nullptr}, items{plan.item_capacity, plan.d_counts};
  return {plan.fixed_large ? none : items,
          plan.fixed_large ? LaunchCount{plan.item_capacity, plan.d_counts + 1} : none,
          plan.d_items};
}

template <typename T, int HD, KvType KV>
cudaError_t run_attention(const attnc_cuda_attention_plan &plan, const KernelParams &kp,
                          cudaStream_t stream) {
  using Sh = Shapes<HD, KV != KvType::Model>;
  const int kvh = plan.config.num_kv_heads;
  const PlanLaunches l = plan_launches(plan);
  cudaError_t e = cudaSuccess;
  if (l.small.grid > 0 &&
      (e = launch_attention<T, typename Sh::Small, KV>(kp, plan.d_items, l.small, kvh,
                                                        stream)) != cudaSuccess)
    return e;
  if (l.large.grid > 0)
    e = launch_attention<T, typename Sh::Large, KV>(kp, l.large_items, l.large, kvh, stream);
  return e;
}

template <typename T, KvType KV>
cudaError_t run_attention(const attnc_cuda_attention_plan &plan, const KernelParams &kp,
                          cudaStream_t stream) {
  switch (plan.config.head_dim) {
  case 16: return run_attention<T, 16, KV>(plan, kp, stream);
  case 32: return run_attention<T, 32, KV>(plan, kp, stream);
  case 64: return run_attention<T, 64, KV>(plan, kp, stream);
  case 128: return run_attention<T, 128, KV>(plan, kp, stream);
  case 256: return run_attention<T, 256, KV>(plan, kp, stream);
  default: return cudaErrorInvalidValue; // refused by plan_create
  }
}

template <typename T>
cudaError_t run_attention(const attnc_cuda_attention_plan &plan, const KernelParams &kp,
                          cudaStream_t stream) {
  switch (plan.config.kv_type) {
  case ATTNC_CUDA_KV_INT8: return run_attention<T, KvType::Int8>(plan, kp, stream);
  case ATTNC_CUDA_KV_FP8_E4M3: return run_attention<T, KvType::Fp8E4M3>(plan, kp, stream);
  default: return run_attention<T, KvType::Model>(plan, kp, stream);
  }
}

bool head_dim_supported(int hd) { return hd == 16 || hd == 32 || hd == 64 || hd == 128 || hd == 256; }

// Dynamic shared memory of the small and large kernels of a head size.
template <bool Quant> void shape_smem(int hd, size_t &small, size_t &large) {
  switch (hd) {
  case 16: small = Shapes<16, Quant>::Small::kSmemBytes, large = Shapes<16, Quant>::Large::kSmemBytes; break;
  case 32: small = Shapes<32, Quant>::Small::kSmemBytes, large = Shapes<32, Quant>::Large::kSmemBytes; break;
  case 64: small = Shapes<64, Quant>::Small::kSmemBytes, large = Shapes<64, Quant>::Large::kSmemBytes; break;
  case 128: small = Shapes<128, Quant>::Small::kSmemBytes, large = Shapes<128, Quant>::Large::kSmemBytes; break;
  default: small = Shapes<256, Quant>::Small::kSmemBytes, large = Shapes<256, Quant>::Large::kSmemBytes; break;
  }
}

} // namespace

namespace {

int check_config(const attnc_cuda_attention_config &c, char *error, size_t error_len) {
  if (c.dtype != ATTNC_CUDA_F16 && c.dtype != ATTNC_CUDA_BF16 && c.dtype != ATTNC_CUDA_F32) {
    set_error(error, error_len, "paged attention: unsupported dtype %d", c.dtype);
    return 1;
  }
  if (!head_dim_supported(c.head_dim)) {
    set_error(error, error_len,
              "paged attention: head_dim %d not supported (16, 32, 64, 128 or 256; v_head_dim the same)",
              c.head_dim);
    return 1;
  }
  if (c.group_size < 1 || c.group_size > kLargeRows || c.num_kv_heads < 1 || c.page_size < 1) {
    set_error(error, error_len, "paged attention: group_size %d (1..%d), kv heads %d, page size %d",
              c.group_size, kLargeRows, c.num_kv_heads, c.page_size);
    return 1;
  }
  if (c.kv_type != ATTNC_CUDA_KV_MODEL && c.kv_type != ATTNC_CUDA_KV_INT8 &&
      c.kv_type != ATTNC_CUDA_KV_FP8_E4M3) {
    set_error(error, error_len, "paged attention: unknown kv_type %d", c.kv_type);
    return 1;
  }
  // Quantized pages are page_size * kv_heads * (2 * head_dim + 8) bytes: the
  // 16-byte copies of the codes need that to be a multiple of 16.
  if (c.kv_type != ATTNC_CUDA_KV_MODEL && (int64_t(c.page_size) * c.num_kv_heads) % 2 != 0) {
    set_error(error, error_len,
              "paged attention: a quantized cache needs page_size * kv_heads even (16-byte aligned "
              "pages); page size %d, %d kv heads",
              c.page_size, c.num_kv_heads);
    return 1;
  }
  if (c.split_tokens < 0 || c.split_tokens % kTileKeys != 0) {
    set_error(error, error_len, "paged attention: split_tokens %d is not a multiple of %d",
              c.split_tokens, kTileKeys);
    return 1;
  }
  return 0;
}

// HD 256 needs more shared memory than some sm_8x parts allow a block
// (A100: 163 KiB). The f32 kernel is not bound by these shapes.
int check_shared_memory(const attnc_cuda_attention_config &c, bool small, bool large, char *error,
                        size_t error_len) {
  if (c.dtype == ATTNC_CUDA_F32)
    return 0;
  size_t small_smem = 0, large_smem = 0;
  if (c.kv_type == ATTNC_CUDA_KV_MODEL)
    shape_smem<false>(c.head_dim, small_smem, large_smem);
  else
    shape_smem<true>(c.head_dim, small_smem, large_smem);
  const size_t need = std::max(small ? small_smem : 0, large ? large_smem : 0);
  int device = 0, optin = 0;
  cudaGetDevice(&device);
  if (need > 0 &&
      cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device) == cudaSuccess &&
      need > static_cast<size_t>(optin)) {
    set_error(error, error_len,
              "paged attention: head_dim %d needs %zu bytes of shared memory per block, the device allows %d",
              c.head_dim, need, optin);
    return 1;
  }
  return 0;
}

int multiprocessors() {
  int device = 0, sms = 132;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  return sms;
}

// A step cut into work items on the host.
struct HostPlan {
  std::vector<WorkItem> small_items, large_items;
  std::vector<MergeGroup> groups;
  int64_t partial_rows = 0;
  int32_t split = 0;
};

// Cuts the step (host copies of its metadata) into work items; `split` keys
// per flash-decoding slice, 0 = chosen from the step.
void plan_items(const attnc_cuda_attention_config &c, int32_t num_seqs, const int32_t *qs,
                const int32_t *ctx, const int32_t *positions, int32_t split, HostPlan &out) {
  const int G = c.group_size;
  auto key_bounds = [&](int32_t t, int32_t context, int32_t &lo, int32_t &hi) {
    const int32_t q = positions[t];
    hi = c.causal ? std::min(q, context - 1) : context - 1;
    lo = c.window > 0 ? std::max(0, q - c.window + 1) : 0;
  };
  auto block_bounds = [&](int32_t t0, int32_t t1, int32_t context, int32_t &lo_all, int32_t &hi_all) {
    lo_all = std::numeric_limits<int32_t>::max();
    hi_all = -1;
    for (int32_t t = t0; t < t1; ++t) {
      int32_t lo, hi;
      key_bounds(t, context, lo, hi);
      if (lo <= hi) {
        lo_all = std::min(lo_all, lo);
        hi_all = std::max(hi_all, hi);
      }
    }
    if (hi_all < 0) { // no visible key: an item with no tiles writes zeros
      lo_all = 0;
      hi_all = -1;
    }
  };

  // A sequence whose whole step fits one item (decode, short chunks) may be
  // split along its keys. Slices are chosen so that the step has about two
  // CTAs per multiprocessor, never shorter than 256 keys.
  if (c.dtype == ATTNC_CUDA_F32) // its kernel writes no partial states
    split = std::numeric_limits<int32_t>::max() / kTileKeys * kTileKeys;
  else if (split == 0) {
    const int sms = multiprocessors();
    int64_t keys = 0, items = 0, max_keys = 0;
    for (int32_t s = 0; s < num_seqs; ++s) {
      const int32_t n = qs[s + 1] - qs[s];
      if (n <= 0)
        continue;
      const int per_item = (n * G <= kSmallRows ? kSmallRows : kLargeRows) / G;
      if (n <= per_item) {
        int32_t lo, hi;
        block_bounds(qs[s], qs[s + 1], ctx[s], lo, hi);
        keys += std::max(0, hi - lo + 1);
        max_keys = std::max<int64_t>(max_keys, hi - lo + 1);
      } else {
        items += (n + per_item - 1) / per_item;
      }
    }
    // CTAs ~ keys * kv_heads / split: aim the split ones at what the unsplit
    // items leave of 2 per multiprocessor, and cut the longest sequence into
    // equal parts (a 16k context with a 15.9k slice would leave a 0.5k tail).
    const int64_t target = std::max<int64_t>(2 * sms - items * c.num_kv_heads, sms);
    const int64_t want = std::max<int64_t>(1, (keys * c.num_kv_heads + target - 1) / target);
    const int64_t parts = std::max<int64_t>(1, (max_keys + want / 2) / want);
    const int64_t even = (max_keys + parts - 1) / parts;
    split = static_cast<int32_t>(std::max<int64_t>(256, (even + kTileKeys - 1) / kTileKeys * kTileKeys));
  }

  out = HostPlan{};
  out.split = split;
  for (int32_t s = 0; s < num_seqs; ++s) {
    const int32_t q0 = qs[s], q1 = qs[s + 1], n = q1 - q0;
    if (n <= 0)
      continue;
    // The step writes its tokens' keys at their positions: the keys before
    // the first of them are the stable ones.
    int32_t stable_hi = std::numeric_limits<int32_t>::max();
    for (int32_t t = q0; t < q1; ++t)
      stable_hi = std::min(stable_hi, positions[t] - 1);
    const bool small = n * G <= kSmallRows;
    const int per_item = (small ? kSmallRows : kLargeRows) / G;
    std::vector<WorkItem> &list = small ? out.small_items : out.large_items;
    if (n <= per_item) {
      int32_t lo, hi;
      block_bounds(q0, q1, ctx[s], lo, hi);
      if (hi >= lo && lo / split != hi / split) {
        const int rows = n * G;
        const int first = lo / split, last = hi / split;
        const int32_t group = static_cast<int32_t>(out.groups.size());
        out.groups.push_back({q0, rows, static_cast<int32_t>(out.partial_rows), last - first + 1,
                              rows * c.num_kv_heads});
        for (int part = first; part <= last; ++part) {
          list.push_back({s, q0, q1, std::max(lo, part * split), std::min(hi, part * split + split - 1),
                          static_cast<int32_t>(out.partial_rows), group, stable_hi});
          out.partial_rows += static_cast<int64_t>(rows) * c.num_kv_heads;
        }
        continue;
      }
    }
    for (int32_t t = q0; t < q1; t += per_item) {
      const int32_t t1 = std::min(t + per_item, q1);
      int32_t lo, hi;
      block_bounds(t, t1, ctx[s], lo, hi);
      list.push_back({s, t, t1, lo, hi, -1, -1, stable_hi});
    }
  }
  // Longest key ranges first (the last query blocks of causal prefills), so
  // the heaviest CTAs do not start in the last wave.
  std::stable_sort(out.large_items.begin(), out.large_items.end(),
                   [](const WorkItem &a, const WorkItem &b) {
                     return a.key_hi - a.key_lo > b.key_hi - b.key_lo;
                   });
}

constexpr size_t kCountsBytes = 4 * sizeof(int32_t); // fixed plans: small, large, groups, pad

// Zeroed slice counters of in-kernel merges (a synchronous copy: the plan's
// first launch may be on any stream).
cudaError_t alloc_merge_counters(int32_t **counters, size_t n) {
  cudaError_t e = cudaMalloc(counters, n * sizeof(int32_t));
  if (e == cudaSuccess) {
    const std::vector<int32_t> zeros(n, 0);
    e = cudaMemcpy(*counters, zeros.data(), n * sizeof(int32_t), cudaMemcpyHostToDevice);
  }
  return e;
}

} // namespace

extern "C" int attnc_cuda_attention_plan_create(const attnc_cuda_attention_config *config,
                                                int32_t num_seqs, const int32_t *qs,
                                                const int32_t *ctx, const int32_t *positions,
                                                attnc_cuda_attention_plan **out, char *error,
                                                size_t error_len) {
  *out = nullptr;
  const attnc_cuda_attention_config c = *config;
  if (check_config(c, error, error_len))
    return 1;
  HostPlan hp;
  plan_items(c, num_seqs, qs, ctx, positions, c.split_tokens, hp);
  if (check_shared_memory(c, !hp.small_items.empty(), !hp.large_items.empty(), error, error_len))
    return 1;
  if (hp.partial_rows > std::numeric_limits<int32_t>::max()) {
    set_error(error, error_len, "paged attention: split workspace too large");
    return 1;
  }

  auto *plan = new attnc_cuda_attention_plan();
  plan->config = c;
  plan->num_small = static_cast<int32_t>(hp.small_items.size());
  plan->num_large = static_cast<int32_t>(hp.large_items.size());
  plan->num_groups = static_cast<int32_t>(hp.groups.size());
  plan->split_tokens = hp.split;
  plan->partial_rows = hp.partial_rows;
  std::vector<WorkItem> all(hp.small_items);
  all.insert(all.end(), hp.large_items.begin(), hp.large_items.end());
  cudaError_t e = cudaSuccess;
  if (!all.empty()) {
    e = cudaMalloc(&plan->d_items, all.size() * sizeof(WorkItem));
    if (e == cudaSuccess)
      e = cudaMemcpy(plan->d_items, all.data(), all.size() * sizeof(WorkItem), cudaMemcpyHostToDevice);
  }
  if (e == cudaSuccess && !hp.groups.empty()) {
    e = cudaMalloc(&plan->d_groups, hp.groups.size() * sizeof(MergeGroup));
    if (e == cudaSuccess)
      e = cudaMemcpy(plan->d_groups, hp.groups.data(), hp.groups.size() * sizeof(MergeGroup),
                     cudaMemcpyHostToDevice);
  }
  if (e == cudaSuccess && hp.partial_rows > 0)
    e = cudaMalloc(&plan->d_partial, hp.partial_rows * (2 + c.head_dim) * sizeof(float));
  if (e == cudaSuccess && !hp.groups.empty())
    e = alloc_merge_counters(&plan->d_merge_done, hp.groups.size() * size_t(c.num_kv_heads));
  if (e != cudaSuccess) {
    set_error(error, error_len, "paged attention plan: %s", cudaGetErrorString(e));
    attnc_cuda_attention_plan_destroy(plan);
    return 1;
  }
  *out = plan;
  return 0;
}

extern "C" int attnc_cuda_attention_plan_create_fixed(const attnc_cuda_attention_config *config,
                                                      int32_t max_seqs, int32_t max_context,
                                                      attnc_cuda_attention_plan **out, char *error,
                                                      size_t error_len) {
  *out = nullptr;
  const attnc_cuda_attention_config c = *config;
  if (check_config(c, error, error_len))
    return 1;
  if (max_seqs < 1 || max_context < 1) {
    set_error(error, error_len, "paged attention: fixed plan for %d sequences of %d keys", max_seqs,
              max_context);
    return 1;
  }
  const bool large = c.group_size > kSmallRows; // one token's rows
  if (check_shared_memory(c, !large, large, error, error_len))
    return 1;
  auto *plan = new attnc_cuda_attention_plan();
  plan->config = c;
  plan->fixed = true;
  plan->fixed_large = large;
  plan->max_seqs = max_seqs;
  plan->max_context = max_context;
  // The planner aims at ~2 CTAs per multiprocessor; room for twice that plus
  // one unsplit item per sequence (update lengthens the slices if ever short).
  const int sms = multiprocessors();
  plan->item_capacity = max_seqs + (4 * sms + c.num_kv_heads - 1) / c.num_kv_heads;
  plan->partial_capacity =
      c.dtype == ATTNC_CUDA_F32 ? 0
                                : int64_t(plan->item_capacity) * c.group_size * c.num_kv_heads;
  const size_t bytes = kCountsBytes + sizeof(WorkItem) * size_t(plan->item_capacity) +
                       sizeof(MergeGroup) * size_t(max_seqs);
  cudaError_t e = cudaMalloc(&plan->d_block, bytes);
  for (void *&mirror : plan->h_block)
    if (e == cudaSuccess)
      e = cudaHostAlloc(&mirror, bytes, cudaHostAllocDefault);
  if (e == cudaSuccess)
    e = cudaMemset(plan->d_block, 0, bytes); // no items until the first update
  if (e == cudaSuccess && plan->partial_capacity > 0)
    e = cudaMalloc(&plan->d_partial, plan->partial_capacity * (2 + c.head_dim) * sizeof(float));
  if (e == cudaSuccess && plan->partial_capacity > 0) // a group per sequence at most
    e = alloc_merge_counters(&plan->d_merge_done, size_t(max_seqs) * c.num_kv_heads);
  if (e != cudaSuccess) {
    set_error(error, error_len, "paged attention fixed plan: %s", cudaGetErrorString(e));
    attnc_cuda_attention_plan_destroy(plan);
    return 1;
  }
  char *d = static_cast<char *>(plan->d_block);
  plan->d_counts = reinterpret_cast<int32_t *>(d);
  plan->d_items = reinterpret_cast<WorkItem *>(d + kCountsBytes);
  plan->d_groups = reinterpret_cast<MergeGroup *>(d + kCountsBytes +
                                                  sizeof(WorkItem) * size_t(plan->item_capacity));
  plan->partial_rows = plan->partial_capacity;
  *out = plan;
  return 0;
}

extern "C" int attnc_cuda_attention_plan_update(attnc_cuda_attention_plan *plan, int32_t num_seqs,
                                                const int32_t *qs, const int32_t *ctx,
                                                const int32_t *positions, void *stream,
                                                char *error, size_t error_len) {
  if (!plan->fixed) {
    set_error(error, error_len, "paged attention: only a fixed plan can be updated");
    return 1;
  }
  if (num_seqs < 0 || num_seqs > plan->max_seqs) {
    set_error(error, error_len, "paged attention: %d sequences, the fixed plan holds %d", num_seqs,
              plan->max_seqs);
    return 1;
  }
  for (int32_t s = 0; s < num_seqs; ++s) {
    if (qs[s + 1] - qs[s] > 1) {
      set_error(error, error_len,
                "paged attention: a fixed plan takes decode steps (sequence %d has %d tokens)", s,
                qs[s + 1] - qs[s]);
      return 1;
    }
    if (ctx[s] > plan->max_context) {
      set_error(error, error_len, "paged attention: sequence %d has %d keys, the fixed plan %d", s,
                ctx[s], plan->max_context);
      return 1;
    }
  }
  const attnc_cuda_attention_config &c = plan->config;
  HostPlan hp;
  int32_t split = c.split_tokens;
  for (;;) { // longer slices until the items fit (one slice per sequence always does)
    plan_items(c, num_seqs, qs, ctx, positions, split, hp);
    const size_t items = hp.small_items.size() + hp.large_items.size();
    if (items <= size_t(plan->item_capacity) && hp.partial_rows <= plan->partial_capacity)
      break;
    split = hp.split * 2;
  }
  const std::vector<WorkItem> &items = plan->fixed_large ? hp.large_items : hp.small_items;
  plan->num_small = static_cast<int32_t>(hp.small_items.size());
  plan->num_large = static_cast<int32_t>(hp.large_items.size());
  plan->num_groups = static_cast<int32_t>(hp.groups.size());
  plan->split_tokens = hp.split;
  char *h = static_cast<char *>(plan->h_block[plan->h_next]);
  plan->h_next ^= 1;
  const int32_t counts[4] = {plan->num_small, plan->num_large, plan->num_groups, 0};
  std::memcpy(h, counts, kCountsBytes);
  std::memcpy(h + kCountsBytes, items.data(), sizeof(WorkItem) * items.size());
  const size_t groups_at = kCountsBytes + sizeof(WorkItem) * size_t(plan->item_capacity);
  std::memcpy(h + groups_at, hp.groups.data(), sizeof(MergeGroup) * hp.groups.size());
  // Counts and items, then the groups (the unused capacity between is not copied).
  auto s = static_cast<cudaStream_t>(stream);
  cudaError_t e = cudaMemcpyAsync(plan->d_block, h, kCountsBytes + sizeof(WorkItem) * items.size(),
                                  cudaMemcpyHostToDevice, s);
  if (e == cudaSuccess && !hp.groups.empty())
    e = cudaMemcpyAsync(static_cast<char *>(plan->d_block) + groups_at, h + groups_at,
                        sizeof(MergeGroup) * hp.groups.size(), cudaMemcpyHostToDevice, s);
  if (e != cudaSuccess) {
    set_error(error, error_len, "paged attention plan update: %s", cudaGetErrorString(e));
    return 1;
  }
  return 0;
}

extern "C" void attnc_cuda_attention_plan_destroy(attnc_cuda_attention_plan *plan) {
  if (!plan)
    return;
  if (plan->fixed) {
    cudaFree(plan->d_block); // d_items and d_groups point into it
    for (void *mirror : plan->h_block)
      cudaFreeHost(mirror);
  } else {
    cudaFree(plan->d_items);
    cudaFree(plan->d_groups);
  }
  cudaFree(plan->d_partial);
  cudaFree(plan->d_merge_done);
  delete plan;
}

extern "C" void attnc_cuda_attention_plan_info(const attnc_cuda_attention_plan *plan,
                                               int32_t *decode_items, int32_t *prefill_items,
                                               int32_t *split_groups, int32_t *split_tokens) {
  *decode_items = plan->num_small;
  *prefill_items = plan->num_large;
  *split_groups = plan->num_groups;
  *split_tokens = plan->split_tokens;
}

extern "C" int attnc_cuda_paged_attention(const attnc_cuda_attention_plan *plan,
                                          const attnc_cuda_attention_args *a, void *stream_ptr,
                                          char *error, size_t error_len) {
  const attnc_cuda_attention_config &c = plan->config;
  const int elem = c.dtype == ATTNC_CUDA_F32 ? 4 : 2;
  KernelParams kp;
  kp.query = a->query;
  kp.out = a->out;
  kp.positions = a->positions;
  kp.context_len = a->context_len;
  kp.block_table = a->block_table;
  kp.cache = static_cast<const char *>(a->layer_cache);
  kp.page_bytes = attnrt::kvquant::page_bytes(static_cast<KvType>(c.kv_type), c.page_size,
                                              c.num_kv_heads, c.head_dim, c.head_dim, elem);
  kp.kv_type = c.kv_type;
  kp.blocks_per_seq = a->blocks_per_seq;
  kp.num_kv_heads = c.num_kv_heads;
  kp.group_size = c.group_size;
  kp.page_size = c.page_size;
  { // division by the page size as multiply-high and shift (Granlund-Montgomery)
    int shift = 0;
    while ((1ll << shift) < c.page_size)
      ++shift;
    kp.page_shift = shift;
    kp.page_magic = static_cast<uint32_t>(((1ull << 32) * ((1ull << shift) - c.page_size)) / c.page_size + 1);
  }
  kp.causal = c.causal;
  kp.window = c.window;
  kp.scale = a->scale;
  kp.scale_log2 = a->scale * 1.4426950408889634f;
  kp.softcap = a->softcap;
  kp.partial_max = plan->d_partial;
  kp.partial_sum = plan->d_partial ? plan->d_partial + plan->partial_rows : nullptr;
  kp.partial_acc = plan->d_partial ? plan->d_partial + 2 * plan->partial_rows : nullptr;
  kp.merge_groups = plan->d_groups;
  kp.merge_done = plan->d_merge_done;
  cudaStream_t stream = static_cast<cudaStream_t>(stream_ptr);
  cudaError_t e;
  if (c.dtype == ATTNC_CUDA_F32) {
    const PlanLaunches l = plan_launches(*plan);
    const LaunchCount all = !plan->fixed ? LaunchCount{plan->num_small + plan->num_large, nullptr}
                            : plan->fixed_large ? l.large
                                                : l.small;
    e = all.grid > 0 ? launch_attention_f32(kp, plan->d_items, all, c.head_dim, stream)
                     : cudaSuccess;
  } else if (c.dtype == ATTNC_CUDA_F16)
    e = run_attention<__half>(*plan, kp, stream);
  else
    e = run_attention<__nv_bfloat16>(*plan, kp, stream);
  if (e != cudaSuccess) {
    set_error(error, error_len, "paged attention launch: %s", cudaGetErrorString(e));
    return 1;
  }
  return 0;
}
