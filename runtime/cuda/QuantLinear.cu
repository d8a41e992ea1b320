// Weight-streaming linear kernels (C API in StepKernels.h):
//   y[T, N] = x[T, K] . W^T (+ bias), W [N, K] dense (f16/bf16/f32) or
//   quantized per runtime/QuantizedWeights.h (w8 per channel; w8g and w4 in
//   groups of 32/64/128 along K, symmetric or with zero points).
//
// Tensor-core path (f16/bf16, 16-byte aligned x and W, K a multiple of the
// elements of one 16-byte weight load): mma.sync.m16n8k16 with W as the A
// operand (16 rows) and x^T as B (8 tokens), f32 accumulators. Thread
// (g = lane / 4, q = lane % 4) of a warp streams 16 bytes of rows g and g + 8
// per chunk (a quad covers 64 contiguous bytes of a row); the order of k
// inside a k16 step is free as long as A and B agree, so the 8 elements a
// 16-byte dense load holds become the thread's A slots of two mma steps as
// they are, and x needs one 16-byte load per 8 elements for its token g. The
// 8 warps of a block split K (chunks interleaved, so the block reads rows
// contiguously) and are summed through shared memory. Loads are cp.async into
// a per-thread region of shared memory, two stages of 2-4 chunks (12-14
// 16-byte loads per thread and stage), so that a stage is in flight while the
// previous one is multiplied; W bypasses L1 (.cg), x is cached there (.ca)
// for the other warps of the SM.
//   w8: int8 -> f16/bf16 is exact (|q| <= 127; built from the bytes with
//       magic-number exponents and one subtraction, no conversions), the
//       per-row scale is applied to the f32 sums at the end: exact products.
//   w4: (q - z) is exact in f16/bf16, multiplied by the group's scale in the
//       storage type (scale and product rounded to it: an error of the size
//       of the activations' own rounding; the k16 steps of a quad span
//       several groups, so the scale cannot be applied after the product).
// Decode (T <= 8): one n8 token tile, 16 rows per block; quantized weights
// with at least 2 blocks per SM take stages of one chunk (a quarter to a half
// of the shared memory), so 3-4 blocks share an SM and keep its loads going
// through each other's multiplies and reductions. (4-bit decode and w8 with
// a scale per channel run decode_kernel instead: below, with its reasons.)
// Larger T: 4 token
// tiles (w4: 2) x 2 row tiles per block (each dequantized fragment feeds
// several mmas), W re-read per 32 (16) tokens: correct, but far from
// cuBLASLt's prefill rate for dense weights, so from 64 tokens on (prefill)
// W is dequantized once per call and multiplied by cuBLASLt instead
// (dequant_gemm below).
//
// Generic path (f32 storage, unaligned pointers, other K; every call of the
// group-wise 8-bit schemes, which have no tensor-core path yet): one warp per
// output row, lanes along K, 8 tokens per pass, f32 dequantization exactly by
// the contract and f32 arithmetic.
#include "Activation.cuh"
#include "AsyncCopy.cuh"
#include "Attention.h"
#include "DependentLaunch.cuh"
#include "KVQuant.cuh"
#include "Probe.cuh"
#include "SharedLinear.h"
#include "StepKernels.h"
#include "StorageType.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <type_traits>

namespace {

namespace async_copy = attnrt::cuda::async_copy;
namespace dependent_launch = attnrt::cuda::dependent_launch;
namespace probe = attnrt::cuda::probe;
using attnrt::cuda::activate;

enum class Scheme { Dense, W8, W4, W8G }; // W8G: w8gG / w8gGa (generic kernel only)

constexpr int kWarps = 8; // warps per block, splitting K
constexpr int kThreads = kWarps * 32;

// How decode_kernel gets x: through each warp's load ring as it is (Ring),
// through the ring RMS-normalized on the fly (RingNorm: statistics of the
// first tile's x, norm weights applied to the dequantized weights, 1 / rms
// to the sums), or formed once per block in shared memory (Staged).
enum class XMode { Ring, RingNorm, Staged };

template <Scheme S> __host__ __device__ constexpr int elems_per_load() {
  return S == Scheme::Dense ? 8 : S == Scheme::W4 ? 32 : 16;
}
// Bytes of one weight row.
template <Scheme S> __host__ __device__ constexpr int64_t row_bytes(int64_t K, int elem_bytes) {
  return S == Scheme::Dense ? K * elem_bytes : S == Scheme::W4 ? K / 2 : K;
}

__device__ __forceinline__ uint32_t word(const uint4 &v, int i) {
  return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

template <typename T>
__device__ __forceinline__ void mma16816(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2,
                                         uint32_t a3, uint32_t b0, uint32_t b1) {
  if constexpr (std::is_same_v<T, __half>)
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, "
                 "{%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, "
                 "{%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

template <typename T> struct Pair;
template <> struct Pair<__half> {
  using type = __half2;
  static constexpr uint32_t kMagic4 = 0x64006400u; // 1024 + n, n < 16
};
template <> struct Pair<__nv_bfloat16> {
  using type = __nv_bfloat162;
  static constexpr uint32_t kMagic4 = 0x43004300u; // 128 + n
};

template <typename P> __device__ __forceinline__ P as_pair(uint32_t v) {
  P p;
  static_assert(sizeof(P) == 4, "pair of 16-bit values");
  memcpy(&p, &v, 4);
  return p;
}
template <typename P> __device__ __forceinline__ uint32_t as_u32(P p) {
  uint32_t v;
  memcpy(&v, &p, 4);
  return v;
}

// The 8 weights of sub-step s of a 16-byte load, as 4 pairs (k, k + 1) in
// the storage type. w4: zz = (magic + zero point), ss = scale, both as pairs.
template <Scheme S, typename T>
__device__ __forceinline__ void dequant8(const uint4 &v, int s, uint32_t (&out)[4],
                                         typename Pair<T>::type zz, typename Pair<T>::type ss) {
  using P = typename Pair<T>::type;
  if constexpr (S == Scheme::Dense) {
    out[0] = v.x, out[1] = v.y, out[2] = v.z, out[3] = v.w;
  } else if constexpr (S == Scheme::W8) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      if constexpr (std::is_same_v<T, __half>) {
        const uint32_t u = word(v, 2 * s + h) ^ 0x80808080u; // q + 128 per byte
        // 0x64XX = 1024 + XX exactly; minus 1152 gives q.
        const P off = __floats2half2_rn(1152.f, 1152.f);
        out[2 * h] = as_u32(__hsub2(as_pair<P>(__byte_perm(u, 0x64646464u, 0x4140)), off));
        out[2 * h + 1] = as_u32(__hsub2(as_pair<P>(__byte_perm(u, 0x64646464u, 0x4342)), off));
      } else {
        // bf16 holds 128 + m exactly for m < 128 only: with m the low 7 bits
        // of the int8 byte and s its sign bit, q = (128 + m) - (128 + 128 s),
        // both operands 0x4300 | bits, the difference exact.
        const uint32_t b = word(v, 2 * s + h);
#pragma unroll
        for (int p = 0; p < 2; ++p) {
          const uint32_t pr = __byte_perm(b, 0u, p ? 0x4342 : 0x4140);
          const P hi = as_pair<P>((pr & 0x007F007Fu) | 0x43004300u);
          const P lo = as_pair<P>((pr & 0x00800080u) | 0x43004300u);
          out[2 * h + p] = as_u32(__hsub2(hi, lo));
        }
      }
    }
  } else {
    // Byte j of the word: k = 2j in the low nibble, 2j + 1 in the high one.
    const uint32_t w = word(v, s), w4 = w >> 4;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const uint32_t sel = j | (j << 4) | ((4 + j) << 8) | ((4 + j) << 12);
      const uint32_t m = (__byte_perm(w, w4, sel) & 0x000F000Fu) | Pair<T>::kMagic4;
      out[j] = as_u32(__hmul2(__hsub2(as_pair<P>(m), zz), ss));
    }
  }
}


// A w4 group's (magic + zero point) and scale as pairs for dequant8: the
// zero point is the stored byte (Asym) or 8.
template <bool Asym, typename T>
__device__ __forceinline__ void group_pairs(uint8_t zero, float scale, typename Pair<T>::type &zz,
                                            typename Pair<T>::type &ss) {
  const float z = (Asym ? float(zero) : 8.f) + (std::is_same_v<T, __half> ? 1024.f : 128.f);
  if constexpr (std::is_same_v<T, __half>) {
    zz = __floats2half2_rn(z, z);
    ss = __floats2half2_rn(scale, scale);
  } else {
    zz = __floats2bfloat162_rn(z, z);
    ss = __floats2bfloat162_rn(scale, scale);
  }
}

// Chunks of loads in flight per thread and stage (decode): 12 16-byte slots.
template <Scheme S> __host__ __device__ constexpr int decode_unroll() {
  return S == Scheme::Dense ? 4 : S == Scheme::W8 ? 3 : 2;
}

// What a decode kernel does with its product [T, N] besides storing it in y:
// gate_rows > 0: y [T, gate_rows] = act(gate) * up of its two halves (a
// fused gate+up projection); rope.head_dim > 0: rotate and send a fused
// QKV projection's heads to the query and the cache (no y).
struct OutputForm {
  int gate_rows = 0, act = 0;
  attnc_cuda_rope_kv_output rope{};
  // Set by the launch: the next kernel may launch once x's producer is done
  // rather than at this kernel's start (launch_decode_d says when).
  int allow_past_wait = 0;
  // 16-row tiles over an N-row product (RowMap: a gated tile holds 8 gate rows).
  int tiles(int N) const { return gate_rows ? (gate_rows + 7) / 8 : (N + 15) / 16; }
};

// Token t's key row in its page of a model-dtype cache (runtime/ModelABI.h:
// a page is [page_size][kv_heads * head_dim] keys, then as many values).
template <typename T>
__device__ __forceinline__ T *rope_page_row(const attnc_cuda_rope_kv_output &rope, int t) {
  const attnrt::cuda::kvq::PageSlot at =
      attnrt::cuda::kvq::page_slot(t, rope.positions, rope.query_start, rope.num_seqs,
                                   rope.block_table, rope.blocks_per_seq, rope.page_size);
  const int64_t row_elems = int64_t(rope.num_kv_heads) * rope.head_dim;
  return static_cast<T *>(rope.layer_cache) + at.page * 2 * rope.page_size * row_elems +
         int64_t(at.slot) * row_elems;
}

// Where a 16-row tile's rows come from: 16 consecutive rows of W, or 8 rows
// and the 8 rows their outputs combine with (OutputForm): a gate row and its
// up row gate_rows further, or a query / key head's rows i and i + hd / 2 of
// a rotation pair (the value heads' tiles stay consecutive). Tile rows g and
// g + 8 (h = 0, 1) of a tile's C fragment are weight_row(tile, h, g).
struct RowMap {
  int gate_rows, hd, head_tiles, rope_tiles, N;
  __device__ explicit RowMap(const OutputForm &form, int n)
      : gate_rows(form.gate_rows), hd(form.rope.head_dim), head_tiles(hd / 16),
        rope_tiles(hd ? (form.rope.num_heads + form.rope.num_kv_heads) * (hd / 16) : 0), N(n) {}
  __device__ int weight_row(int tile, int h, int g) const {
    if (gate_rows)
      return h * gate_rows + tile * 8 + g;
    if (tile < rope_tiles)
      return (tile / head_tiles) * hd + h * (hd / 2) + (tile % head_tiles) * 8 + g;
    return tile * 16 + 8 * h + g;
  }
  __device__ bool exists(int tile, int h, int g) const {
    return gate_rows ? tile * 8 + g < gate_rows : weight_row(tile, h, g) < N;
  }
  // Whether one thread stores tile rows g and g + 8 together (store_tile_pair).
  __device__ bool paired(int tile) const { return gate_rows || tile < rope_tiles; }
};

// Stores tile row g + 8h of one token (v: its sum, scaled) where an
// unpaired tile's rows go: y (+ bias, + residual), or a value head's element
// into the cache. Rounded to T as the unfused kernels' stored product is.
template <typename T>
__device__ __forceinline__ void store_tile_row(const OutputForm &form, const RowMap &map,
                                               int tile, int h, int g, int tok, float v,
                                               const T *__restrict__ bias,
                                               const T *__restrict__ residual, int N,
                                               T *__restrict__ y) {
  const int row = map.weight_row(tile, h, g);
  if (row >= N)
    return;
  if (bias)
    v += float(bias[row]);
  if (map.hd) { // a value head's element, into the page's V half
    const attnc_cuda_rope_kv_output &rope = form.rope;
    const int64_t row_elems = int64_t(rope.num_kv_heads) * map.hd;
    rope_page_row<T>(rope, tok)[int64_t(rope.page_size) * row_elems + row -
                                int64_t(rope.num_heads + rope.num_kv_heads) * map.hd] = T(v);
    return;
  }
  if (residual) // rounded as the linear's own output first, as unfused
    v = float(T(v)) + float(residual[int64_t(tok) * N + row]);
  y[int64_t(tok) * N + row] = T(v);
}

// Stores a paired tile's rows g and g + 8 of one token (lo, hi: their sums,
// scaled): act(gate) * up, or the rotation pair into the query or the cache.
// Each element is rounded to T first as the unfused kernels' stored product is.
template <typename T>
__device__ __forceinline__ void store_tile_pair(const OutputForm &form, const RowMap &map,
                                                int tile, int g, int tok, float lo, float hi,
                                                const T *__restrict__ bias, T *__restrict__ y) {
  const int r0 = map.weight_row(tile, 0, g), r1 = map.weight_row(tile, 1, g);
  if (map.gate_rows) {
    if (r0 >= map.gate_rows)
      return;
    if (bias) {
      lo += float(bias[r0]);
      hi += float(bias[r1]);
    }
    y[int64_t(tok) * map.gate_rows + r0] = T(activate(form.act, float(T(lo))) * float(T(hi)));
    return;
  }
  // x0 (first half, index i) and x1 (i + hd / 2) rotated by pos * inv_freq[i]
  // as rope_kv_kernel does, into the query or the page.
  const attnc_cuda_rope_kv_output &rope = form.rope;
  if (bias) {
    lo += float(bias[r0]);
    hi += float(bias[r1]);
  }
  const int hd = map.hd, head = r0 / hd, i = r0 % hd;
  const float x0 = float(T(lo)), x1 = float(T(hi));
  const float angle = static_cast<float>(rope.positions[tok]) * rope.inv_freq[i];
  const float c = cosf(angle), sn = sinf(angle);
  T *dst = head < rope.num_heads
               ? static_cast<T *>(rope.query) + int64_t(tok) * rope.num_heads * hd + head * hd
               : rope_page_row<T>(rope, tok) + (head - rope.num_heads) * hd;
  dst[i] = T(x0 * c - x1 * sn);
  dst[i + hd / 2] = T(x1 * c + x0 * sn);
}

// 16-byte shared-memory slots per thread and stage: W rows, x, scales.
template <Scheme S, int R, int NT, int U> __host__ __device__ constexpr int slots() {
  return U * (2 * R + NT * (elems_per_load<S>() / 8) + (S == Scheme::W4 ? (2 * R + 3) / 4 : 0));
}
template <Scheme S, int R, int NT, int U> __host__ __device__ constexpr size_t smem_bytes() {
  return size_t(2) * kThreads * slots<S, R, NT, U>() * 16;
}

// Block: row tiles blockIdx.y * R + i (RowMap: 16 rows each, or the paired
// rows of an output form), tokens [t0, t0 + 8 NT); warp w takes chunks
// w, w + 8, ... of K. Loads go through cp.async into a per-thread region of
// shared memory, two stages of U chunks: the register-load version had its
// loads interleaved with the mmas by the scheduler (one chunk in flight).
template <Scheme S, int G, bool Asym, typename T, int R, int NT, int U>
__global__ void __launch_bounds__(kThreads)
    mma_kernel(const T *__restrict__ x, int num_tokens, int K, const uint8_t *__restrict__ w,
               const float *__restrict__ scales, const uint8_t *__restrict__ zeros,
               const T *__restrict__ bias, int N, T *__restrict__ y,
               const T *__restrict__ residual, const OutputForm form) {
  using P = typename Pair<T>::type;
  constexpr int E = elems_per_load<S>();
  constexpr int CHUNK = 4 * E;  // k per chunk (a quad's 4 loads)
  constexpr int SUB = E / 8;    // 8-element sub-steps per load
  constexpr int PER = slots<S, R, NT, U>() / U; // slots per chunk
  constexpr int STEP = kWarps * U;              // chunks per stage of the block
  extern __shared__ uint4 smem[];               // [stage][slot][thread]
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, q = lane % 4;
  const int t0 = blockIdx.x * 8 * NT;
  const int64_t rb = row_bytes<S>(K, int(sizeof(T)));
  const int chunks = (K + CHUNK - 1) / CHUNK;
  [[maybe_unused]] const int groups = S == Scheme::W4 ? K / G : 1;
  auto slot = [&](int stage, int i) -> uint4 * {
    return smem + (stage * slots<S, R, NT, U>() + i) * kThreads + threadIdx.x;
  };
  const RowMap map(form, N); // tile blockIdx.y * R + i

  float acc[R][NT][4];
#pragma unroll
  for (int i = 0; i < R; ++i)
#pragma unroll
    for (int j = 0; j < NT; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        acc[i][j][e] = 0.f;
  // Zero points (asymmetric w4) are bytes: plain loads, two stages of registers.
  [[maybe_unused]] uint8_t zp[2][U][R][2];

  // A stage's loads: the weights (and their scales and zero points) and/or
  // x. The weights are constant, so the first stages' weight loads are
  // issued before the wait for the kernel producing x (DependentLaunch.cuh).
  auto issue_loads = [&](int stage, int c0, bool weights, bool activations) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int c = c0 + u * kWarps;
      const int k = c * CHUNK + q * E;
      const bool kv = c < chunks && k < K;
      if (weights) {
#pragma unroll
        for (int i = 0; i < R; ++i)
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            const int row = map.weight_row(blockIdx.y * R + i, h, g);
            const bool ok = kv && map.exists(blockIdx.y * R + i, h, g);
            const int64_t off =
                ok ? int64_t(row) * rb + (S == Scheme::W4 ? k / 2 : S == Scheme::W8 ? k : 2 * k)
                   : 0;
            async_copy::copy16(slot(stage, u * PER + 2 * i + h), w + off, ok, false);
            if constexpr (S == Scheme::W4) {
              const int64_t gi = ok ? int64_t(row) * groups + k / G : 0;
              const int si = 2 * i + h; // 4 scales per 16-byte slot
              async_copy::copy4(
                  reinterpret_cast<float *>(slot(stage, u * PER + 2 * R + NT * SUB + si / 4)) +
                      si % 4,
                  scales + gi, ok);
              if constexpr (Asym)
                zp[stage][u][i][h] = ok ? __ldg(zeros + gi) : uint8_t(0);
            }
          }
      }
      if (activations) {
#pragma unroll
        for (int j = 0; j < NT; ++j) {
          const int tok = t0 + 8 * j + g;
          const bool ok = kv && tok < num_tokens;
#pragma unroll
          for (int s = 0; s < SUB; ++s)
            async_copy::copy16(slot(stage, u * PER + 2 * R + j * SUB + s),
                               ok ? x + int64_t(tok) * K + k + 8 * s : x, ok, true);
        }
      }
    }
  };
  auto issue = [&](int stage, int c0) {
    issue_loads(stage, c0, true, true);
    async_copy::commit();
  };

  auto compute = [&](int stage) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
#pragma unroll
      for (int i = 0; i < R; ++i) {
        uint4 wv[2];
        wv[0] = *slot(stage, u * PER + 2 * i);
        wv[1] = *slot(stage, u * PER + 2 * i + 1);
        P zz[2], ss[2];
        if constexpr (S == Scheme::W4) {
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            const int si = 2 * i + h;
            const float sc =
                reinterpret_cast<const float *>(slot(stage, u * PER + 2 * R + NT * SUB + si / 4))[si % 4];
            group_pairs<Asym, T>(Asym ? zp[stage][u][i][h] : uint8_t(0), sc, zz[h], ss[h]);
          }
        } else {
          zz[0] = zz[1] = ss[0] = ss[1] = as_pair<P>(0u);
        }
#pragma unroll
        for (int s = 0; s < SUB; ++s) {
          uint32_t a[4], b[4];
          dequant8<S, T>(wv[0], s, a, zz[0], ss[0]);
          dequant8<S, T>(wv[1], s, b, zz[1], ss[1]);
#pragma unroll
          for (int j = 0; j < NT; ++j) {
            const uint4 xs = *slot(stage, u * PER + 2 * R + j * SUB + s);
            mma16816<T>(acc[i][j], a[0], b[0], a[1], b[1], xs.x, xs.y);
            mma16816<T>(acc[i][j], a[2], b[2], a[3], b[3], xs.z, xs.w);
          }
        }
      }
    }
  };

  // Two stages: the next U chunks are in flight while these are multiplied.
  // Each thread reads only the slots it filled itself. Both first stages'
  // weights go out before the wait for x's producer: groups {W0, W1, x0},
  // {x1}, then one group per stage as before.
  dependent_launch::allow_dependents();
  issue_loads(0, warp, true, false);
  issue_loads(1, warp + STEP, true, false);
  dependent_launch::wait_for_producers();
  issue_loads(0, warp, false, true);
  async_copy::commit();
  issue_loads(1, warp + STEP, false, true);
  async_copy::commit();
  for (int c0 = warp; c0 < chunks; c0 += 2 * STEP) {
    if (c0 != warp)
      issue(1, c0 + STEP);
    async_copy::wait<1>();
    compute(0);
    __syncwarp();
    if (c0 + STEP >= chunks)
      break;
    issue(0, c0 + 2 * STEP);
    async_copy::wait<1>();
    compute(1);
    __syncwarp();
  }
  async_copy::wait<0>();
  __syncthreads();

  // Sum the warps' partial products: red[warp][i][j][e][lane], reusing the
  // stage buffers.
  static_assert(sizeof(float) * kWarps * R * NT * 4 * 32 <= smem_bytes<S, R, NT, U>(),
                "reduction fits the stage buffers");
  auto red = reinterpret_cast<float(*)[R][NT][4][32]>(smem);
#pragma unroll
  for (int i = 0; i < R; ++i)
#pragma unroll
    for (int j = 0; j < NT; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        red[warp][i][j][e][lane] = acc[i][j][e];
  __syncthreads();
  // Each C element where the form sends it: store_tile_row (a thread per
  // element: y with bias and residual, or a value into the cache) or
  // store_tile_pair (a thread per token's pair of rows of a paired tile:
  // act(gate) * up, or a rotation pair).
  // C fragment: c0, c1 = (tile row g, tokens 2q, 2q + 1); c2, c3 = row g + 8.
  constexpr int OUT = R * NT * 4 * 32;
  for (int idx = threadIdx.x; idx < OUT; idx += kThreads) {
    const int l = idx % 32, e = (idx / 32) % 4, j = (idx / 128) % NT, i = idx / (128 * NT);
    const int tile = blockIdx.y * R + i, g = l / 4;
    const int tok = t0 + 8 * j + 2 * (l % 4) + (e & 1);
    const bool paired = map.paired(tile);
    if (tok >= num_tokens || (paired && e >= 2))
      continue;
    auto product = [&](int element) {
      const int h = element >> 1;
      float v = 0.f;
#pragma unroll
      for (int ww = 0; ww < kWarps; ++ww)
        v += red[ww][i][j][element][l];
      if constexpr (S == Scheme::W8)
        if (map.exists(tile, h, g))
          v *= __ldg(scales + map.weight_row(tile, h, g));
      return v;
    };
    if (paired)
      store_tile_pair<T>(form, map, tile, g, tok, product(e), product(e + 2), bias, y);
    else
      store_tile_row<T>(form, map, tile, e >> 1, g, tok, product(e), bias, residual, N, y);
  }
}

// 8 consecutive elements (16 bytes) as f32, and back.
template <typename T> __device__ __forceinline__ void unpack8(const uint4 &v, float (&f)[8]) {
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    float2 h;
    if constexpr (std::is_same_v<T, __half>)
      h = __half22float2(as_pair<__half2>(word(v, i)));
    else
      h = __bfloat1622float2(as_pair<__nv_bfloat162>(word(v, i)));
    f[2 * i] = h.x, f[2 * i + 1] = h.y;
  }
}
template <typename T> __device__ __forceinline__ uint4 pack8(const float (&f)[8]) {
  uint32_t u[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    if constexpr (std::is_same_v<T, __half>)
      u[i] = as_u32(__floats2half2_rn(f[2 * i], f[2 * i + 1]));
    else
      u[i] = as_u32(__floats2bfloat162_rn(f[2 * i], f[2 * i + 1]));
  }
  return make_uint4(u[0], u[1], u[2], u[3]);
}

// The gated x [num_tokens, K] = act(gate) * up (num_tokens <= 8, K % 8 == 0,
// rows 16-byte aligned) into shared memory, as attnc_cuda_gated_activation
// computes it, then a barrier.
template <typename T>
__device__ void stage_gated_input(const attnc_cuda_linear_input &in, int num_tokens, int K,
                                  uint4 *x_smem) {
  const int kv = K / 8; // 16-byte vectors per row
  const T *gate = static_cast<const T *>(in.x);
  const T *up = static_cast<const T *>(in.up);
  for (int t = 0; t < num_tokens; ++t) {
    // Batches of kBatch vectors per thread, all loaded before any is used:
    // one memory latency per batch, not per vector (a 5632-wide row is 2.75
    // vectors per thread).
    constexpr int kBatch = 4;
    for (int c0 = threadIdx.x; c0 < kv; c0 += kBatch * kThreads) {
      uint4 gv[kBatch], uv[kBatch];
#pragma unroll
      for (int b = 0; b < kBatch; ++b) {
        const int c = c0 + b * kThreads;
        if (c >= kv)
          break;
        gv[b] = __ldg(reinterpret_cast<const uint4 *>(gate + t * in.x_stride + 8 * c));
        uv[b] = __ldg(reinterpret_cast<const uint4 *>(up + t * in.up_stride + 8 * c));
      }
#pragma unroll
      for (int b = 0; b < kBatch; ++b) {
        const int c = c0 + b * kThreads;
        if (c >= kv)
          break;
        float f[8], u[8];
        unpack8<T>(gv[b], f);
        unpack8<T>(uv[b], u);
#pragma unroll
        for (int i = 0; i < 8; ++i)
          f[i] = activate(in.act, f[i]) * u[i];
        x_smem[t * kv + c] = pack8<T>(f);
      }
    }
  }
  __syncthreads();
}

// The 8 4-bit weights of word w as the pairs (k0, k4), (k1, k5), (k2, k6),
// (k3, k7) minus the zero point: the pairs masks give without moving bytes
// (byte j holds k = 2j low, 2j + 1 high), so x is paired the same way
// instead (pair_x_like_w4). f16: a high nibble masked in place is 1024 + 16 n,
// and (1024 + 16 n) / 16 - (64 + z) is exact in one fma; bf16 has too few
// mantissa bits for that and shifts the word instead. zlo = magic + z as a
// pair, zhi = -(64 + z) (f16 only).
template <typename T>
__device__ __forceinline__ void w4_pairs(uint32_t w, uint32_t (&out)[4], typename Pair<T>::type zlo,
                                         typename Pair<T>::type zhi) {
  using P = typename Pair<T>::type;
  constexpr uint32_t lo = 0x000F000Fu, magic = Pair<T>::kMagic4;
  if constexpr (std::is_same_v<T, __half>) {
    const uint32_t w8 = w >> 8;
    const P sixteenth = __floats2half2_rn(0.0625f, 0.0625f);
    out[0] = as_u32(__hsub2(as_pair<P>((w & lo) | magic), zlo));
    out[1] = as_u32(__hfma2(as_pair<P>((w & (lo << 4)) | magic), sixteenth, zhi));
    out[2] = as_u32(__hsub2(as_pair<P>((w8 & lo) | magic), zlo));
    out[3] = as_u32(__hfma2(as_pair<P>((w8 & (lo << 4)) | magic), sixteenth, zhi));
  } else {
    (void)zhi;
#pragma unroll
    for (int i = 0; i < 4; ++i)
      out[i] = as_u32(__hsub2(as_pair<P>(((w >> (4 * i)) & lo) | magic), zlo));
  }
}

// x's 8 elements (x0 .. x7, natural order) as the pairs w4_pairs makes.
__device__ __forceinline__ void pair_x_like_w4(const uint4 &v, uint32_t (&out)[4]) {
  out[0] = __byte_perm(v.x, v.z, 0x5410);
  out[1] = __byte_perm(v.x, v.z, 0x7632);
  out[2] = __byte_perm(v.y, v.w, 0x5410);
  out[3] = __byte_perm(v.y, v.w, 0x7632);
}

// A pair of the storage type from two floats (lo, hi), as a 32-bit word.
template <typename T> __device__ __forceinline__ uint32_t pair_from(float lo, float hi) {
  if constexpr (std::is_same_v<T, __half>)
    return as_u32(__floats2half2_rn(lo, hi));
  else
    return as_u32(__floats2bfloat162_rn(lo, hi));
}

// Decode (T <= 8; w4, and w8 with a scale per output channel): y[T, N] =
// x . W^T with the weights streamed once through a ring of D stages of
// cp.async copies per thread, without pause between row tiles. Each block owns
// row tiles blockIdx.x, + gridDim.x, ... (the grid is what fits on the device
// at once), its 8 warps split K by chunks as in mma_kernel, and a warp's loads
// run D - 1 chunks ahead across tiles: the next tile's weights are in flight
// while a tile's partial sums are reduced. (mma_kernel, a block per tile,
// drains its loads at each tile's end and the next block starts from nothing;
// and its x slots, filled for all 8 tokens, and byte moves per nibble pair made
// it issue ~370 instructions per warp and 1 KB of weights in its main loop,
// ~135 here; with the per-tile reduction and the prologue, over 2 chunks a
// warp at K = 2048, ncu counts 375 per KB for the whole 11264x2048 call). H100,
// f16, T = 1, consecutive calls: 2560x2048 2.9 vs 3.2 us, 11264x2048 7.7
// vs 8.1, 2048x5632 5.4-5.6 vs 6.8, 32000x2048 16.1-16.5 vs 20.2.) A plain x
// goes through the ring too, only for the tokens that exist (lanes g < T; the
// others multiply zeros); with Staged, x = act(gate) * up is formed once per
// block (stage_gated_input) into shared memory [T][K] while the first weights
// are in flight, and the residual (may be nullptr) is added as y is stored:
// attnc_cuda_quantized_linear_fused in one launch. RingNorm computes
// rms_norm(x) . W^T as (x . (W diag(w + offset))^T) / rms: x comes through the
// ring untouched, so the first multiply waits for nothing but its loads (a
// staged norm delays it by the statistics' two L2 round trips, which cost more
// than the norm's launch: BENCHMARKS.md). The norm weights of a warp's chunks
// come with its first weights (cp.async, f32), and are converted and paired
// like x by the warp itself before its first multiply (only that warp reads
// them: no block barrier, no blocking load before the first multiply); they
// scale the dequantized weight pairs (small integers: no overflow, unlike x
// times the weights). Each token's sum of squares is the diagonal of x x^T, two
// more mmas per 16 k on the block's first tile.
//   The nibbles are paired as masks give them (w4_pairs) and x to match;
// with groups of a whole chunk (128) the chunk's products are summed on the
// integers (q - z) and scaled once in f32 (exact products); smaller groups
// scale the pairs in the storage type as mma_kernel does. w8 (chunks of 64 k,
// the codes paired as they lie, x as it is) sums every chunk on the codes and
// applies the row's scale in f32 (1.1B decode on the H100: GPU time per step
// 940 -> 837 us against mma_kernel; BENCHMARKS.md).
template <Scheme S, int G, bool Asym, typename T, int D, XMode M>
__global__ void __launch_bounds__(kThreads)
    decode_kernel(const attnc_cuda_linear_input in, int num_tokens, int K,
                  const uint8_t *__restrict__ w, const float *__restrict__ scales,
                  const uint8_t *__restrict__ zeros, const T *__restrict__ bias,
                  const T *__restrict__ residual, int N, T *__restrict__ y, int tiles,
                  const OutputForm form) {
  static_assert(D >= 2, "a stage in flight while one is multiplied");
  static_assert(S == Scheme::W4 || (S == Scheme::W8 && G == 0 && !Asym),
                "4-bit groups, or 8 bits with a scale per output channel");
  constexpr bool Staged = M == XMode::Staged, Norm = M == XMode::RingNorm;
  constexpr bool W8 = S == Scheme::W8;
  using P = typename Pair<T>::type;
  constexpr int E = elems_per_load<S>();
  constexpr int CHUNK = 4 * E; // k per chunk (a quad's 4 loads)
  constexpr int SUB = E / 8;   // 8-element sub-steps per load
  // A chunk's products summed on the integer codes, scaled once in f32.
  constexpr bool kScaleAfter = W8 || G == CHUNK;
  // Per stage: [row half][thread] weights, [thread] the two rows' scales and
  // zero-point words, [warp][token][q][sub-step] x (not Staged); then the
  // reduction's two buffers, then x [T][K] (Staged) or the paired norm
  // weights [K / 8] and their f32 copies [K / 4] (Norm) (decode_smem_bytes).
  extern __shared__ uint4 smem[];
  const int xslots = Staged ? 0 : num_tokens * 4 * SUB; // x slots per warp and stage
  uint4 *wring = smem;
  float2 *sring = reinterpret_cast<float2 *>(wring + D * 2 * kThreads);
  uint2 *zring = reinterpret_cast<uint2 *>(sring + D * kThreads);
  uint4 *xring = reinterpret_cast<uint4 *>(zring + (Asym ? D * kThreads : 0));
  auto red = reinterpret_cast<float(*)[kWarps][4][32]>(xring + D * kWarps * xslots);
  uint4 *xstaged = reinterpret_cast<uint4 *>(red + 2);
  uint4 *norm_w = xstaged;                                      // [K / 8] pairs
  float4 *norm_f32 = reinterpret_cast<float4 *>(norm_w + K / 8); // [K / 4]
  __shared__ float norm_ss[Norm ? kWarps : 1][8]; // [warp][token]: sums of squares
  float ss_acc[4] = {0.f, 0.f, 0.f, 0.f};         // x x^T of the warp's chunks (Norm)
  const T *x = static_cast<const T *>(in.x);

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane / 4, q = lane % 4;
  const int64_t rb = row_bytes<S>(K, int(sizeof(T)));
  const int chunks = (K + CHUNK - 1) / CHUNK;
  const int my_chunks = chunks > warp ? (chunks - warp + kWarps - 1) / kWarps : 0;
  const int my_tiles = (tiles - int(blockIdx.x) + int(gridDim.x) - 1) / int(gridDim.x);
  const int total = my_tiles * my_chunks;
  // w8: one scale per row (G = 0).
  constexpr int kGroup = W8 ? 1 : G;
  const int groups = W8 ? 1 : K / kGroup;
  auto group_of = [](int k) { return W8 ? 0 : k / kGroup; };
  const bool has_token = g < num_tokens;
  auto x_slot = [&](int stage, int s) {
    return &xring[(stage * kWarps + warp) * xslots + (g * 4 + q) * SUB + s];
  };
  // The weight row of this lane's row 8h + g of a tile: 16 consecutive rows,
  // or (gate_rows: a fused gate+up projection whose act(gate) * up is the
  // output) 8 gate rows and the same 8 rows of up, gate_rows further on.
  const RowMap map(form, N);

  // The weights of a warp's items in order, tile by tile, chunk by chunk.
  // Zero points (bytes) come as the aligned 4-byte word holding them, cut at
  // the end of the array (cp.async reads only src-size bytes). The lane's two
  // rows (RowMap's arithmetic) are found once a tile and the chunk's k moves
  // by a constant: per issue only the copies and their addresses (found per
  // chunk, the issue path had been ~40% of the 4-bit kernel's instructions).
  int next_tile = blockIdx.x, next_j = 0, issued = 0;
  const int first_k = warp * CHUNK + q * E; // this lane's k in its warp's first chunk
  int next_k = first_k;
  int row[2]; // the lane's rows of tile next_tile, -1 where absent
  auto find_rows = [&] {
#pragma unroll
    for (int h = 0; h < 2; ++h)
      row[h] = map.exists(next_tile, h, g) ? map.weight_row(next_tile, h, g) : -1;
  };
  find_rows();
  [[maybe_unused]] const int64_t zero_bytes = int64_t(N) * groups;
  auto issue_weights = [&](int stage) {
    const int k = next_k;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const bool row_ok = row[h] >= 0, ok = row_ok && k < K;
      const int64_t off = ok ? int64_t(row[h]) * rb + (W8 ? k : k / 2) : 0;
      async_copy::copy16(&wring[(stage * 2 + h) * kThreads + tid], w + off, ok, false);
      // w8: the row's scale even where k is past K (a partial last chunk):
      // the lane scales its quad's sums (the mma's C fragment), not its own.
      const bool scale_ok = W8 ? row_ok : ok;
      const int64_t gi = scale_ok ? int64_t(row[h]) * groups + group_of(k) : 0;
      async_copy::copy4(reinterpret_cast<float *>(&sring[stage * kThreads + tid]) + h, scales + gi,
                        scale_ok);
      if constexpr (Asym) {
        const int64_t word = gi & ~int64_t(3);
        async_copy::copy_bytes4(reinterpret_cast<uint32_t *>(&zring[stage * kThreads + tid]) + h,
                                zeros + word, ok ? int(min(int64_t(4), zero_bytes - word)) : 0);
      }
    }
  };
  // x at k for this lane's token (x is the same for every tile).
  const T *x_row = x + int64_t(has_token ? g : 0) * in.x_stride;
  auto issue_x = [&](int stage, int k) {
    if (!Staged && has_token && k < K) {
#pragma unroll
      for (int s = 0; s < SUB; ++s)
        async_copy::copy16(x_slot(stage, s), x_row + k + 8 * s, true, true);
    }
  };
  auto advance = [&] {
    ++issued;
    next_k += kWarps * CHUNK;
    if (++next_j == my_chunks) {
      next_j = 0;
      next_k = first_k;
      next_tile += gridDim.x;
      if (issued < total)
        find_rows();
    }
  };

  auto compute = [&](int stage, int tile, int chunk, bool first_tile, float (&acc)[4]) {
    const int k = chunk * CHUNK + q * E;
    const uint4 wv[2] = {wring[(stage * 2) * kThreads + tid],
                         wring[(stage * 2 + 1) * kThreads + tid]};
    // Per row: (magic + z) and -(64 + z) as pairs (w4_pairs), the scale.
    const float2 sc = sring[stage * kThreads + tid];
    [[maybe_unused]] const uint2 zw = Asym ? zring[stage * kThreads + tid] : make_uint2(0u, 0u);
    P zlo[2], zhi[2], ss[2];
#pragma unroll
    for (int h = 0; h < 2 && !W8; ++h) {
      // A row's zero point is byte (its group index % 4) of its word.
      const int shift = int((int64_t(map.weight_row(tile, h, g)) * groups + group_of(k)) & 3) * 8;
      const float z = Asym ? float(((h ? zw.y : zw.x) >> shift) & 0xFFu) : 8.f;
      const float magic = std::is_same_v<T, __half> ? 1024.f : 128.f;
      const float sh = h ? sc.y : sc.x;
      if constexpr (std::is_same_v<T, __half>) {
        zlo[h] = __floats2half2_rn(magic + z, magic + z);
        zhi[h] = __floats2half2_rn(-(64.f + z), -(64.f + z));
        ss[h] = __floats2half2_rn(sh, sh);
      } else {
        zlo[h] = zhi[h] = __floats2bfloat162_rn(magic + z, magic + z);
        ss[h] = __floats2bfloat162_rn(sh, sh);
      }
    }
    // This chunk's products, two independent mma chains.
    float part[2][4] = {{0.f, 0.f, 0.f, 0.f}, {0.f, 0.f, 0.f, 0.f}};
#pragma unroll
    for (int s = 0; s < SUB; ++s) {
      const uint4 xv = !has_token || k >= K ? make_uint4(0u, 0u, 0u, 0u)
                       : Staged           ? xstaged[(g * K + k) / 8 + s]
                                          : *x_slot(stage, s);
      uint32_t a[4], b[4], xs[4];
      if constexpr (W8) { // the codes as pairs (k, k + 1), x as it is
        dequant8<Scheme::W8, T>(wv[0], s, a, zlo[0], ss[0]);
        dequant8<Scheme::W8, T>(wv[1], s, b, zlo[1], ss[1]);
        xs[0] = xv.x, xs[1] = xv.y, xs[2] = xv.z, xs[3] = xv.w;
      } else {
        w4_pairs<T>(word(wv[0], s), a, zlo[0], zhi[0]);
        w4_pairs<T>(word(wv[1], s), b, zlo[1], zhi[1]);
        pair_x_like_w4(xv, xs);
      }
      if constexpr (Norm) {
        const uint4 nv = k < K ? norm_w[k / 8 + s] : make_uint4(0u, 0u, 0u, 0u);
        const uint32_t np[4] = {nv.x, nv.y, nv.z, nv.w};
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          a[i] = as_u32(__hmul2(as_pair<P>(a[i]), as_pair<P>(np[i])));
          b[i] = as_u32(__hmul2(as_pair<P>(b[i]), as_pair<P>(np[i])));
        }
        if (first_tile) { // x as the A rows too: C[g][n] = sum x_g x_n
          mma16816<T>(ss_acc, xs[0], 0u, xs[1], 0u, xs[0], xs[1]);
          mma16816<T>(ss_acc, xs[2], 0u, xs[3], 0u, xs[2], xs[3]);
        }
      }
      if constexpr (!kScaleAfter) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          a[i] = as_u32(__hmul2(as_pair<P>(a[i]), ss[0]));
          b[i] = as_u32(__hmul2(as_pair<P>(b[i]), ss[1]));
        }
      }
      mma16816<T>(part[0], a[0], b[0], a[1], b[1], xs[0], xs[1]);
      mma16816<T>(part[1], a[2], b[2], a[3], b[3], xs[2], xs[3]);
    }
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const float v = part[0][e] + part[1][e];
      acc[e] = kScaleAfter ? fmaf(e < 2 ? sc.x : sc.y, v, acc[e]) : acc[e] + v;
    }
  };

  // The first D - 1 stages' weights go out before the wait for x's producer
  // (DependentLaunch.cuh), their x after it, all in the first commit group.
  probe::Marks marks;
  marks.mark(0);
  if (!form.allow_past_wait)
    dependent_launch::allow_dependents();
  for (int p = 0; p < D - 1 && issued < total; ++p) {
    issue_weights(p);
    advance();
  }
  // Norm: the f32 norm weights of the warp's chunks, 8 per lane and round
  // (CHUNK / 8 lanes a chunk), into the first commit group with the weights.
  auto norm_groups = [&](auto &&f) {
    constexpr int kPer = CHUNK / 8;
    for (int c = lane; c < my_chunks * kPer; c += 32) {
      const int grp = (warp + kWarps * (c / kPer)) * kPer + c % kPer; // 8-element group
      if (grp * 8 < K)
        f(grp);
    }
  };
  if constexpr (Norm)
    norm_groups([&](int grp) {
      async_copy::copy16(&norm_f32[2 * grp], in.norm_weight + 8 * grp, true, true);
      async_copy::copy16(&norm_f32[2 * grp + 1], in.norm_weight + 8 * grp + 4, true, true);
    });
  dependent_launch::wait_for_producers();
  marks.mark(1);
  if (form.allow_past_wait)
    dependent_launch::allow_dependents();
  if constexpr (Staged)
    stage_gated_input<T>(in, num_tokens, K, xstaged); // ends with a barrier
  for (int p = 0; p < issued; ++p)
    issue_x(p, first_k + kWarps * CHUNK * (p % my_chunks));
#pragma unroll
  for (int p = 0; p < D - 1; ++p)
    async_copy::commit();

  int stage = 0;
  float inv_rms = 1.f; // Norm: of this thread's output token
  for (int i = 0; i < my_tiles; ++i) {
    const int tile = blockIdx.x + i * gridDim.x;
    float acc[4] = {0.f, 0.f, 0.f, 0.f};
    for (int j = 0; j < my_chunks; ++j) {
      if (issued < total) { // into the stage consumed last
        const int into = stage == 0 ? D - 1 : stage - 1;
        issue_weights(into);
        issue_x(into, next_k);
        advance();
      }
      async_copy::commit();
      async_copy::wait<D - 1>();
      if (Norm && i == 0 && j == 0) {
        // The norm weights (first group, complete now): (w + offset) as
        // pairs in x's order (w4: pair_x_like_w4; w8: as they are), each
        // lane its own copies.
        norm_groups([&](int grp) {
          const float4 lo = norm_f32[2 * grp], hi = norm_f32[2 * grp + 1];
          const float o = in.norm_offset;
          norm_w[grp] =
              W8 ? make_uint4(pair_from<T>(lo.x + o, lo.y + o), pair_from<T>(lo.z + o, lo.w + o),
                              pair_from<T>(hi.x + o, hi.y + o), pair_from<T>(hi.z + o, hi.w + o))
                 : make_uint4(pair_from<T>(lo.x + o, hi.x + o), pair_from<T>(lo.y + o, hi.y + o),
                              pair_from<T>(lo.z + o, hi.z + o), pair_from<T>(lo.w + o, hi.w + o));
        });
        __syncwarp();
      }
      compute(stage, tile, warp + kWarps * j, i == 0, acc);
      __syncwarp();
      stage = stage + 1 == D ? 0 : stage + 1;
    }
    if (i == 0)
      marks.mark(2); // the first tile's chunks (of this block's warp 0)
    // Sum the warps' partial products (two buffers: one barrier per tile).
    float(*r)[4][32] = red[i & 1];
#pragma unroll
    for (int e = 0; e < 4; ++e)
      r[warp][e][lane] = acc[e];
    // Token t's sum of squares: C[t][t], element t & 1 of lane (g = t, q = t / 2).
    if (Norm && i == 0 && g / 2 == q)
      norm_ss[Norm ? warp : 0][g] = ss_acc[g & 1];
    __syncthreads();
    // C fragment: c0, c1 = (tile row g, tokens 2q, 2q + 1); c2, c3 = tile
    // row g + 8: a thread per element, or per token's pair of rows in a
    // paired tile. All 128 keep their token's 1 / rms from the first tile (a
    // paired first tile may be followed by an unpaired one).
    if (tid < 128) {
      const int l = tid % 32, e = tid / 32;
      const int tok = 2 * (l % 4) + (e & 1);
      if (Norm && i == 0) { // 1 / sqrtf(mean + eps), as attnc_cuda_rms_norm
        float total = 0.f;
#pragma unroll
        for (int ww = 0; ww < (Norm ? kWarps : 1); ++ww)
          total += norm_ss[ww][tok];
        inv_rms = 1.0f / sqrtf(total / static_cast<float>(K) + in.norm_eps);
      }
      auto product = [&](int element) {
        float v = 0.f;
#pragma unroll
        for (int ww = 0; ww < kWarps; ++ww)
          v += r[ww][element][l];
        return Norm ? v * inv_rms : v;
      };
      if (tok < num_tokens) {
        if (!map.paired(tile))
          store_tile_row<T>(form, map, tile, e >> 1, l / 4, tok, product(e), bias, residual, N,
                            y);
        else if (e < 2)
          store_tile_pair<T>(form, map, tile, l / 4, tok, product(e), product(e + 2), bias, y);
      }
    }
  }
  async_copy::wait<0>();
  marks.mark(3);
  marks.write(probe::kLinear, w, blockIdx.x, uint32_t(N));
}

// x staged in shared memory up to this size (attnc_cuda_quantized_linear_fused).
constexpr size_t kStagedMaxX = 40 * 1024;

// The norm weights of RingNorm (f32 and paired) in shared memory up to this size.
constexpr size_t kNormMaxBytes = 48 * 1024;

template <Scheme S, typename T, bool Asym, int D>
size_t decode_smem_bytes(int num_tokens, int K, XMode mode) {
  constexpr int sub = elems_per_load<S>() / 8;
  const bool staged = mode == XMode::Staged;
  return size_t(D) * kThreads * (2 * 16 + sizeof(float2) + (Asym ? sizeof(uint2) : 0)) +
         (staged ? 0 : size_t(D) * kWarps * num_tokens * 4 * sub * 16) +
         sizeof(float) * 2 * kWarps * 4 * 32 +
         (staged ? size_t(num_tokens) * K * sizeof(T) : 0) +
         (mode == XMode::RingNorm ? size_t(K) * (sizeof(T) + sizeof(float)) : 0);
}

template <typename T> __device__ __forceinline__ float to_f32(T v) { return float(v); }

// One warp per output row, 8 tokens per block row; exact f32 dequantization.
template <Scheme S, int G, bool Asym, typename T>
__global__ void __launch_bounds__(256)
    generic_kernel(const T *__restrict__ x, int num_tokens, int K, const uint8_t *__restrict__ w,
                   const float *__restrict__ scales, const uint8_t *__restrict__ zeros,
                   const T *__restrict__ bias, int N, T *__restrict__ y) {
  dependent_launch::begin();
  const int lane = threadIdx.x % 32;
  const int row = blockIdx.y * 8 + threadIdx.x / 32;
  const int t0 = blockIdx.x * 8;
  if (row >= N)
    return;
  const int nt = min(8, num_tokens - t0);
  [[maybe_unused]] const int groups = S == Scheme::W4 || S == Scheme::W8G ? K / G : 1;
  float acc[8];
#pragma unroll
  for (int j = 0; j < 8; ++j)
    acc[j] = 0.f;
  for (int k = lane; k < K; k += 32) {
    float wk;
    if constexpr (S == Scheme::Dense) {
      wk = to_f32(reinterpret_cast<const T *>(w)[int64_t(row) * K + k]);
    } else if constexpr (S == Scheme::W8) {
      wk = float(int8_t(w[int64_t(row) * K + k])) * __ldg(scales + row);
    } else if constexpr (S == Scheme::W8G) {
      const uint8_t byte = w[int64_t(row) * K + k];
      const int64_t gi = int64_t(row) * groups + k / G;
      const int qv = Asym ? int(byte) - int(zeros[gi]) : int(int8_t(byte));
      wk = float(qv) * __ldg(scales + gi);
    } else {
      const uint8_t byte = w[int64_t(row) * (K / 2) + k / 2];
      const int qv = (k & 1) ? byte >> 4 : byte & 15;
      const int64_t gi = int64_t(row) * groups + k / G;
      const int z = Asym ? int(zeros[gi]) : 8;
      wk = float(qv - z) * __ldg(scales + gi);
    }
#pragma unroll
    for (int j = 0; j < 8; ++j)
      if (j < nt)
        acc[j] = fmaf(wk, to_f32(x[int64_t(t0 + j) * K + k]), acc[j]);
  }
#pragma unroll
  for (int j = 0; j < 8; ++j)
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
      acc[j] += __shfl_xor_sync(0xffffffffu, acc[j], o);
  if (lane < nt) {
    float v = 0.f;
#pragma unroll
    for (int j = 0; j < 8; ++j)
      v = lane == j ? acc[j] : v;
    if (bias)
      v += to_f32(bias[row]);
    y[int64_t(t0 + lane) * N + row] = T(v);
  }
}

bool aligned16(const void *p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

// SMs of the current device (0 when unknown), read once.
int sm_count() {
  static const int sms = [] {
    int dev = 0, n = 0;
    if (cudaGetDevice(&dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess)
      n = 0;
    return n;
  }();
  return sms;
}

// Dynamic shared memory that leaves no room for a second block on an SM (0
// when the device cannot grant it), read once.
size_t lone_block_smem_bytes() {
  static const size_t bytes = [] {
    int dev = 0, per_sm = 0, reserved = 0, optin = 0;
    if (cudaGetDevice(&dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, dev) !=
            cudaSuccess ||
        cudaDeviceGetAttribute(&reserved, cudaDevAttrReservedSharedMemoryPerBlock, dev) !=
            cudaSuccess ||
        cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev) != cudaSuccess)
      return size_t(0);
    const size_t b = size_t(per_sm) / 2 - size_t(reserved) + 128;
    return b <= size_t(optin) ? b : size_t(0);
  }();
  return bytes;
}

int fail(char *error, size_t error_len, const char *what, const char *msg) {
  if (error && error_len)
    std::snprintf(error, error_len, "%s: %s", what, msg);
  return 1;
}

// Decode with mma_kernel: one n8 token tile, 16 rows per block, stages of U chunks.
template <Scheme S, int G, bool Asym, typename T, int U>
void launch_mma_decode(const T *x, int num_tokens, int K, const uint8_t *w, const float *scales,
                   const uint8_t *zeros, const T *bias, int N, T *y, int tiles, cudaStream_t st,
                   const T *residual = nullptr, const OutputForm &form = OutputForm{}) {
  auto kernel = mma_kernel<S, G, Asym, T, 1, 1, U>;
  constexpr size_t smem = smem_bytes<S, 1, 1, U>();
  static bool attr = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          int(smem)) == cudaSuccess;
  (void)attr;
  dependent_launch::launch_early(kernel, dim3(1, tiles), dim3(kThreads), smem, st, x, num_tokens, K,
                                 w, scales, zeros, bias, N, y, residual, form);
}

// Decode (T <= 8) through mma_kernel, a block per row tile (false: too many
// tiles for the grid). Enough blocks for several per SM (quantized weights):
// stages of one chunk, a quarter to a half of the shared memory, so that 3-4
// blocks share an SM and their loads overlap the others' multiplies and
// reductions (11264 or 32000 rows of 2048: 1.15-1.25x). Dense weights gain
// nothing from it. Fewer blocks: the deeper stages keep more bytes in flight
// per block.
template <Scheme S, int G, bool Asym, typename T>
bool launch_mma_decode_tiles(const T *x, int num_tokens, int K, const uint8_t *w,
                             const float *scales, const uint8_t *zeros, const T *bias, int N, T *y,
                             cudaStream_t st, const T *residual = nullptr,
                             const OutputForm &form = OutputForm{}) {
  const int tiles = form.tiles(N);
  if (tiles > 65535)
    return false;
  const int sms = sm_count();
  if (S != Scheme::Dense && sms > 0 && tiles >= 2 * sms)
    launch_mma_decode<S, G, Asym, T, 1>(x, num_tokens, K, w, scales, zeros, bias, N, y, tiles, st,
                                        residual, form);
  else
    launch_mma_decode<S, G, Asym, T, decode_unroll<S>()>(x, num_tokens, K, w, scales, zeros, bias,
                                                         N, y, tiles, st, residual, form);
  return true;
}

// More than 8 tokens through mma_kernel: blocks of 32 rows (two 16-row
// tiles) and 8 NT tokens (false: too many row blocks for the grid).
template <Scheme S, int G, bool Asym, typename T>
bool launch_mma_tokens(const T *x, int num_tokens, int K, const uint8_t *w, const float *scales,
                       const uint8_t *zeros, const T *bias, int N, T *y, cudaStream_t st,
                       const T *residual = nullptr, const OutputForm &form = OutputForm{}) {
  const int tiles = form.tiles(N);
  const int blocks = (tiles + 1) / 2;
  if (blocks > 65535)
    return false;
  // w4: 2 token tiles, so the stages fit the A100's 163 KB too.
  constexpr int NT = S == Scheme::W4 ? 2 : 4;
  auto kernel = mma_kernel<S, G, Asym, T, 2, NT, 1>;
  constexpr size_t smem = smem_bytes<S, 2, NT, 1>();
  static bool attr = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          int(smem)) == cudaSuccess;
  (void)attr;
  dependent_launch::launch_early(kernel, dim3((num_tokens + 8 * NT - 1) / (8 * NT), blocks),
                                 dim3(kThreads), smem, st, x, num_tokens, K, w, scales, zeros, bias,
                                 N, y, residual, form);
  return true;
}

// mma_kernel with an output form and a residual over a plain x [T, K]:
// decode tiles or token blocks (false: too many rows for the grid).
template <Scheme S, int G, bool Asym, typename T>
bool launch_mma_formed(const T *x, int num_tokens, int K, const uint8_t *w, const float *scales,
                       const uint8_t *zeros, const T *bias, int N, T *y, cudaStream_t st,
                       const T *residual, const OutputForm &form) {
  return num_tokens <= 8 ? launch_mma_decode_tiles<S, G, Asym, T>(x, num_tokens, K, w, scales,
                                                                  zeros, bias, N, y, st, residual,
                                                                  form)
                         : launch_mma_tokens<S, G, Asym, T>(x, num_tokens, K, w, scales, zeros,
                                                            bias, N, y, st, residual, form);
}

// Decode through decode_kernel: as many blocks as fit on the device at once
// (each looping over row tiles), at most one per tile. Returns false when its
// shared memory does not fit the device (the caller falls back).
template <Scheme S, int G, bool Asym, typename T, int D, XMode M>
bool launch_decode_d(const attnc_cuda_linear_input &in, int num_tokens, int K, const uint8_t *w,
                     const float *scales, const uint8_t *zeros, const T *bias, const T *residual,
                     int N, T *y, int tiles, int sms, const OutputForm &form, cudaStream_t st) {
  auto kernel = decode_kernel<S, G, Asym, T, D, M>;
  const size_t smem = decode_smem_bytes<S, T, Asym, D>(num_tokens, K, M);
  // Blocks per SM for this shared memory size, found once per size; the
  // kernel's dynamic shared memory limit only ever raised.
  static std::mutex lock;
  static std::map<size_t, int> per_sm;
  static size_t allowed = 48 * 1024; // without the opt-in attribute
  // Whether `bytes` may be launched (the limit raised if needed; lock held).
  auto allow_smem = [&](size_t bytes) {
    if (bytes <= allowed)
      return true;
    if (cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes)) !=
        cudaSuccess)
      return false;
    allowed = bytes;
    return true;
  };
  int n = 0;
  {
    std::lock_guard<std::mutex> hold(lock);
    auto it = per_sm.find(smem);
    if (it == per_sm.end()) {
      const bool ok = allow_smem(smem);
      if (!ok ||
          cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, kernel, kThreads, smem) !=
              cudaSuccess ||
          n < 1) {
        cudaGetLastError(); // a size the device refuses is not the caller's error
        n = 0;
      }
      it = per_sm.emplace(smem, n).first;
    }
    n = it->second;
  }
  if (n == 0)
    return false;
  // A down projection (K >= 2 N) of at most one block per SM is launched early
  // while gate_up still holds the SMs: its blocks land on the SMs gate_up frees
  // first, two to an SM (~40 SMs with two, ~45 with none; a block paired 4.7 us,
  // alone 3.5). Asking for over half an SM's shared memory keeps them one per SM
  // (H100 w8: ~9 us a step less GPU time; 4-bit unchanged).
  size_t launch_smem = smem;
  if (tiles <= sms && int64_t(K) >= 2 * int64_t(N)) {
    const size_t lone = lone_block_smem_bytes();
    std::lock_guard<std::mutex> hold(lock);
    if (lone > smem) {
      if (allow_smem(lone))
        launch_smem = lone;
      else
        cudaGetLastError(); // a refused size only means the blocks may pair
    }
  }
  // A 4-bit GEMV lets the next kernel launch only once its own wait is over:
  // early-launched blocks then go one kernel deep instead of stacking weight
  // loads of two or three kernels ahead on the SMs this one is still using
  // (H100 w4g128: ~22 us a step less GPU time, 680 -> 658, in two calls).
  // 8-bit GEMVs stream more bytes a tile and gain from the deeper overlap
  // (w8 with the same rule: 771 -> 781 us on the H100; 694 -> 709 on the H200).
  OutputForm launch_form = form;
  launch_form.allow_past_wait = S == Scheme::W4;
  dependent_launch::launch_early(kernel, dim3(std::min(tiles, sms * n)), dim3(kThreads),
                                 launch_smem, st, in, num_tokens, K, w, scales, zeros, bias,
                                 residual, N, y, tiles, launch_form);
  return true;
}

// Stage depth by how many tiles each SM gets: with about one block per SM
// (qkv, o, down of the 1.1B model) a warp must keep its whole share of the
// tile in flight (6 stages: down 5.4 us vs 9.2 with 4); with several tiles
// per SM, 4 stages leave room for 4 blocks per SM (gate_up, lm_head).
template <Scheme S, int G, bool Asym, typename T, XMode M>
bool launch_decode(const attnc_cuda_linear_input &in, int num_tokens, int K, const uint8_t *w,
                   const float *scales, const uint8_t *zeros, const T *bias, const T *residual,
                   int N, T *y, cudaStream_t st, const OutputForm &form = OutputForm{}) {
  const int tiles = form.tiles(N), sms = sm_count();
  if (sms <= 0 || num_tokens > 8 || (Asym && (reinterpret_cast<uintptr_t>(zeros) & 3u) != 0))
    return false;
  return 2 * tiles <= 3 * sms
             ? launch_decode_d<S, G, Asym, T, 6, M>(in, num_tokens, K, w, scales, zeros, bias,
                                                    residual, N, y, tiles, sms, form, st)
             : launch_decode_d<S, G, Asym, T, 4, M>(in, num_tokens, K, w, scales, zeros, bias,
                                                    residual, N, y, tiles, sms, form, st);
}

// ---- Prefill: the weights dequantized per call, then cuBLASLt ----
//
// From dequant_gemm_min_tokens() tokens on (64, 8-bit weights with a scale
// per output channel 96, unless ATTNC_CUDA_DEQUANT_GEMM_TOKENS says
// otherwise for all of them; 0 never), a quantized
// linear dequantizes W into [N, K] of the storage type in a buffer taken on
// the call's stream from a pool of this file's, and multiplies it with
// cuBLASLt (SharedLinear.h). mma_kernel re-reads and re-dequantizes W for
// every 32 tokens and runs at 54-160 TFLOP/s on the 1.1B model's shapes
// against cuBLASLt's 500-750 on an H200 (BENCHMARKS.md), where the
// dequantization costs one pass over W (its codes read, the storage type
// written). Weights: (q - z) s computed in f32 and rounded to the storage
// type once (an f16 / bf16 model's own weight precision; f32 exact, as the
// contract asks). Not while the stream is being captured into a graph (the
// pool's allocations are not graph nodes) and not where the buffer cannot
// be had: mma_kernel / generic_kernel then run as before.

// Where the path overtakes mma_kernel, measured end to end (1.1B prefill,
// H200, BENCHMARKS.md): w4g128 between 48 and 64 tokens; w8, whose
// tensor-core kernel dequantizes more cheaply, at ~96.
constexpr int kDequantGemmTokens = 64, kDequantGemmTokensW8 = 96;

// The ATTNC_CUDA_DEQUANT_GEMM_TOKENS override: -1 where unset.
int dequant_gemm_tokens_override() {
  static const int tokens = [] {
    const char *v = std::getenv("ATTNC_CUDA_DEQUANT_GEMM_TOKENS");
    if (!v || !*v)
      return -1;
    char *end = nullptr;
    errno = 0;
    const long n = std::strtol(v, &end, 10);
    if (errno != 0 || *end != '\0' || n < 0 || n > std::numeric_limits<int>::max()) {
      // Said once; a typo must not switch the path off unseen.
      std::fprintf(stderr,
                   "attnc cuda: ATTNC_CUDA_DEQUANT_GEMM_TOKENS='%s' is not a token count "
                   "(0 = never, n >= 1 = from n tokens); using the defaults (%d, w8 %d)\n",
                   v, kDequantGemmTokens, kDequantGemmTokensW8);
      return -1;
    }
    return n > 0 ? int(n) : std::numeric_limits<int>::max();
  }();
  return tokens;
}

int dequant_gemm_min_tokens(bool w8_per_channel) {
  const int tokens = dequant_gemm_tokens_override();
  if (tokens >= 0)
    return tokens;
  return w8_per_channel ? kDequantGemmTokensW8 : kDequantGemmTokens;
}

// Whether a quantized product of T tokens takes the dequantize + cuBLASLt
// path: enough tokens, K in whole 8-element runs, codes 8-byte aligned, the
// stream not capturing.
bool dequant_gemm_applies(bool w8_per_channel, int T, int K, const void *values,
                          cudaStream_t st) {
  if (T < dequant_gemm_min_tokens(w8_per_channel) || K % 8 != 0 ||
      (reinterpret_cast<uintptr_t>(values) & 7u) != 0)
    return false;
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(st, &capture) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return capture == cudaStreamCaptureStatusNone;
}

// The device's pool for the dequantized weights: it keeps what it has grown
// to (the largest linear's [N, K] plus cuBLASLt's workspace) for the next
// call instead of returning it at every synchronization. nullptr if it
// cannot be made.
cudaMemPool_t dequant_pool() {
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  static std::mutex lock;
  static std::map<int, cudaMemPool_t> pools;
  std::lock_guard<std::mutex> hold(lock);
  auto it = pools.find(device);
  if (it != pools.end())
    return it->second;
  cudaMemPoolProps props{};
  props.allocType = cudaMemAllocationTypePinned;
  props.location.type = cudaMemLocationTypeDevice;
  props.location.id = device;
  cudaMemPool_t pool = nullptr;
  if (cudaMemPoolCreate(&pool, &props) != cudaSuccess) {
    cudaGetLastError();
    pool = nullptr;
  } else {
    uint64_t keep = std::numeric_limits<uint64_t>::max();
    cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
  }
  pools.emplace(device, pool);
  return pool;
}

// W [N, K] in T from the codes: a thread per 8 consecutive k of a row (one
// group: G >= 32), 16-byte stores.
template <Scheme S, int G, bool Asym, typename T>
__global__ void __launch_bounds__(256)
    dequantize_kernel(const uint8_t *__restrict__ w, const float *__restrict__ scales,
                      const uint8_t *__restrict__ zeros, int N, int K, T *__restrict__ out) {
  const int64_t runs = int64_t(K / 8), total = int64_t(N) * runs;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t n = i / runs;
    const int k0 = int(i % runs) * 8;
    float f[8];
    if constexpr (S == Scheme::W8) {
      const uint2 b = *reinterpret_cast<const uint2 *>(w + n * K + k0);
      const float s = scales[n];
#pragma unroll
      for (int j = 0; j < 8; ++j)
        f[j] = float(int8_t(((j < 4 ? b.x : b.y) >> (8 * (j % 4))) & 0xFFu)) * s;
    } else {
      const int64_t gi = n * (K / G) + k0 / G;
      const float s = scales[gi];
      if constexpr (S == Scheme::W4) {
        // Byte j: k = 2j in the low nibble, 2j + 1 in the high one, so
        // nibble j of the little-endian word is k0 + j.
        const uint32_t v = *reinterpret_cast<const uint32_t *>(w + n * (K / 2) + k0 / 2);
        const float z = Asym ? float(zeros[gi]) : 8.f;
#pragma unroll
        for (int j = 0; j < 8; ++j)
          f[j] = (float((v >> (4 * j)) & 0xFu) - z) * s;
      } else { // W8G
        const uint2 b = *reinterpret_cast<const uint2 *>(w + n * K + k0);
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          const uint32_t byte = ((j < 4 ? b.x : b.y) >> (8 * (j % 4))) & 0xFFu;
          f[j] = Asym ? (float(byte) - float(zeros[gi])) * s : float(int8_t(byte)) * s;
        }
      }
    }
    if constexpr (std::is_same_v<T, float>) {
      float4 *o = reinterpret_cast<float4 *>(out + n * K + k0);
      o[0] = make_float4(f[0], f[1], f[2], f[3]);
      o[1] = make_float4(f[4], f[5], f[6], f[7]);
    } else {
      *reinterpret_cast<uint4 *>(out + n * K + k0) = pack8<T>(f);
    }
  }
}

// y = x . dequant(W)^T (+ bias) (+ residual, in cuBLASLt's epilogue) through
// a dequantized copy of W and cuBLASLt. Returns -1, having done nothing,
// where no buffer could be had (the caller runs its kernels instead); else
// 0, or 1 and the message.
template <Scheme S, int G, bool Asym, typename T>
int dequant_gemm(const T *x, int num_tokens, int K, const uint8_t *w, const float *scales,
                 const uint8_t *zeros, const T *bias, const T *residual, int N, T *y,
                 cudaStream_t st, const char *what, char *error, size_t error_len) {
  cudaMemPool_t pool = dequant_pool();
  if (!pool)
    return -1;
  const size_t weight_bytes = (size_t(N) * K * sizeof(T) + 255) / 256 * 256;
  void *buffer = nullptr;
  if (cudaMallocFromPoolAsync(&buffer, weight_bytes + attnrt::cuda::kSharedLinearWorkspace, pool,
                              st) != cudaSuccess) {
    cudaGetLastError(); // out of memory: the caller's kernels need none
    return -1;
  }
  T *wd = static_cast<T *>(buffer);
  const int64_t runs = int64_t(N) * (K / 8);
  const int sms = std::max(sm_count(), 1);
  const int blocks = int(std::min<int64_t>((runs + 255) / 256, int64_t(sms) * 8));
  dequantize_kernel<S, G, Asym, T><<<blocks, 256, 0, st>>>(w, scales, zeros, N, K, wd);
  int rc = 0;
  if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess)
    rc = fail(error, error_len, what, cudaGetErrorString(e));
  else
    rc = attnrt::cuda::shared_linear(attnrt::cuda::detail::dtype_of<T>(), x, num_tokens, K, wd,
                                     bias, residual, N, y, st,
                                     static_cast<char *>(buffer) + weight_bytes, error, error_len);
  cudaFreeAsync(buffer, st);
  return rc;
}

// y = x . W^T (+ bias) by the kernels of this file (no residual).
template <Scheme S, int G, bool Asym, typename T>
int launch_kernels(const void *x, int num_tokens, int K, const void *w, const float *scales,
                   const uint8_t *zeros, const void *bias, int N, void *y, cudaStream_t st,
                   const char *what, char *error, size_t error_len) {
  const T *xt = static_cast<const T *>(x);
  const uint8_t *wb = static_cast<const uint8_t *>(w);
  const T *bt = static_cast<const T *>(bias);
  T *yt = static_cast<T *>(y);
  auto launched = [&] {
    const cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? 0 : fail(error, error_len, what, cudaGetErrorString(e));
  };
  bool tensor_cores = false;
  constexpr bool kHasMma = !std::is_same_v<T, float> && S != Scheme::W8G;
  if constexpr (kHasMma)
    tensor_cores = aligned16(x) && aligned16(w) && K % elems_per_load<S>() == 0;
  if (tensor_cores) {
    if constexpr (kHasMma) {
      // Decode: decode_kernel unless it declines (its shared memory).
      if constexpr (S == Scheme::W4 || S == Scheme::W8) {
        attnc_cuda_linear_input in{};
        in.kind = ATTNC_CUDA_INPUT_PLAIN;
        in.x = x;
        in.x_stride = K;
        if (launch_decode<S, G, Asym, T, XMode::Ring>(in, num_tokens, K, wb, scales, zeros, bt,
                                                      nullptr, N, yt, st))
          return launched();
      }
      if (num_tokens <= 8) {
        if (!launch_mma_decode_tiles<S, G, Asym, T>(xt, num_tokens, K, wb, scales, zeros, bt, N, yt,
                                                    st))
          return fail(error, error_len, what, "out_features too large");
      } else if (!launch_mma_tokens<S, G, Asym, T>(xt, num_tokens, K, wb, scales, zeros, bt, N, yt,
                                                    st)) {
        return fail(error, error_len, what, "out_features too large");
      }
    }
  } else {
    const int rows = (N + 7) / 8;
    if (rows > 65535)
      return fail(error, error_len, what, "out_features too large");
    dependent_launch::launch_early(generic_kernel<S, G, Asym, T>, dim3((num_tokens + 7) / 8, rows),
                                   dim3(256), 0, st, xt, num_tokens, K, wb, scales, zeros, bt, N,
                                   yt);
  }
  return launched();
}

// y = x . W^T (+ bias) (+ residual [T, N], not aliasing y): in prefill
// through dequant_gemm (the residual in cuBLASLt's epilogue), else the
// kernels, then the residual added.
template <Scheme S, int G, bool Asym, typename T>
int launch(const void *x, int num_tokens, int K, const void *w, const float *scales,
           const uint8_t *zeros, const void *bias, const void *residual, int N, void *y,
           cudaStream_t st, const char *what, char *error, size_t error_len) {
  probe::point_here(st);
  if constexpr (S != Scheme::Dense) {
    if (dequant_gemm_applies(S == Scheme::W8, num_tokens, K, w, st)) {
      const int rc = dequant_gemm<S, G, Asym, T>(
          static_cast<const T *>(x), num_tokens, K, static_cast<const uint8_t *>(w), scales, zeros,
          static_cast<const T *>(bias), static_cast<const T *>(residual), N, static_cast<T *>(y),
          st, what, error, error_len);
      if (rc >= 0)
        return rc;
    }
  }
  const int rc = launch_kernels<S, G, Asym, T>(x, num_tokens, K, w, scales, zeros, bias, N, y, st,
                                               what, error, error_len);
  if (rc || !residual)
    return rc;
  return attnc_cuda_add_scaled(attnrt::cuda::detail::dtype_of<T>(), residual, y, 1.0f, y,
                               int64_t(num_tokens) * N, st, error, error_len);
}

template <Scheme S, int G, bool Asym>
int launch_dtype(int32_t dtype, const void *x, int num_tokens, int K, const void *w,
                 const float *scales, const uint8_t *zeros, const void *bias,
                 const void *residual, int N, void *y, cudaStream_t st, const char *what,
                 char *error, size_t error_len) {
  switch (dtype) {
  case ATTNC_CUDA_F16:
    return launch<S, G, Asym, __half>(x, num_tokens, K, w, scales, zeros, bias, residual, N, y,
                                      st, what, error, error_len);
  case ATTNC_CUDA_BF16:
    return launch<S, G, Asym, __nv_bfloat16>(x, num_tokens, K, w, scales, zeros, bias, residual, N,
                                             y, st, what, error, error_len);
  default:
    return launch<S, G, Asym, float>(x, num_tokens, K, w, scales, zeros, bias, residual, N, y, st,
                                     what, error, error_len);
  }
}

// f(std::integral_constant<int, G>, std::bool_constant<Asym>) for a
// group-wise scheme's group size (32, 64, else 128) and zero points.
template <typename F> auto with_group(int group_size, bool asymmetric, F &&f) {
  auto by_group = [&](auto asym) {
    switch (group_size) {
    case 32:
      return f(std::integral_constant<int, 32>{}, asym);
    case 64:
      return f(std::integral_constant<int, 64>{}, asym);
    default:
      return f(std::integral_constant<int, 128>{}, asym);
    }
  };
  return asymmetric ? by_group(std::true_type{}) : by_group(std::false_type{});
}

// The group-wise schemes (S = W4 or W8G) by group size and zero points.
template <Scheme S>
int launch_grouped(int32_t dtype, int group_size, bool asymmetric, const void *x, int T, int K,
                   const void *values, const float *scales, const uint8_t *zeros,
                   const void *bias, const void *residual, int N, void *y, cudaStream_t st,
                   const char *what, char *error, size_t error_len) {
  return with_group(group_size, asymmetric, [&](auto group, auto asym) {
    constexpr int G = decltype(group)::value;
    constexpr bool A = decltype(asym)::value;
    return launch_dtype<S, G, A>(dtype, x, T, K, values, scales, A ? zeros : nullptr, bias,
                                 residual, N, y, st, what, error, error_len);
  });
}

// The schemes attnc_cuda_quantized_linear takes; 0, or 1 and a message.
int check_scheme(int32_t bits, int32_t group_size, int32_t asymmetric, int32_t in_features,
                 const uint8_t *zeros, const char *what, char *error, size_t error_len) {
  const bool w8 = bits == 8 && group_size == 0 && !asymmetric;
  const bool grouped = group_size == 32 || group_size == 64 || group_size == 128;
  if (!w8 && !((bits == 4 || bits == 8) && grouped)) {
    char msg[96];
    std::snprintf(msg, sizeof msg, "unsupported scheme (bits %d, group %d, %s)", int(bits),
                  int(group_size), asymmetric ? "asymmetric" : "symmetric");
    return fail(error, error_len, what, msg);
  }
  if (grouped && in_features % group_size != 0)
    return fail(error, error_len, what, "in_features is not a multiple of the group size");
  if (grouped && asymmetric && !zeros)
    return fail(error, error_len, what, "asymmetric scheme without zero points");
  return 0;
}

// attnc_cuda_quantized_linear_fused's one-kernel decode (w4, w8 with a scale
// per output channel; f16 / bf16).
template <Scheme S, int G, bool Asym, XMode M>
bool launch_fused_g(int32_t dtype, const attnc_cuda_linear_input &in, int T, int K,
                    const void *values, const float *scales, const uint8_t *zeros, const void *bias,
                    const void *residual, int N, void *y, const OutputForm &form, cudaStream_t st) {
  const uint8_t *w = static_cast<const uint8_t *>(values);
  if (dtype == ATTNC_CUDA_F16)
    return launch_decode<S, G, Asym, __half, M>(
        in, T, K, w, scales, zeros, static_cast<const __half *>(bias),
        static_cast<const __half *>(residual), N, static_cast<__half *>(y), st, form);
  return launch_decode<S, G, Asym, __nv_bfloat16, M>(
      in, T, K, w, scales, zeros, static_cast<const __nv_bfloat16 *>(bias),
      static_cast<const __nv_bfloat16 *>(residual), N, static_cast<__nv_bfloat16 *>(y), st, form);
}

// The decode launch of attnc_cuda_quantized_linear_fused: x through the ring
// (plain, or normalized on the fly), or staged (gated). False when the scheme
// or K does not fit decode_kernel, or its shared memory the device.
bool launch_fused(int32_t dtype, int bits, int group_size, bool asymmetric,
                  const attnc_cuda_linear_input &in, int T, int K, const void *values,
                  const float *scales, const uint8_t *zeros, const void *bias, const void *residual,
                  int N, void *y, const OutputForm &form, cudaStream_t st) {
  auto by_input = [&](auto scheme, auto group, auto asym) {
    constexpr Scheme S = decltype(scheme)::value;
    constexpr int G = decltype(group)::value;
    constexpr bool A = decltype(asym)::value;
    switch (in.kind) {
    case ATTNC_CUDA_INPUT_GATED:
      return launch_fused_g<S, G, A, XMode::Staged>(dtype, in, T, K, values, scales, zeros, bias,
                                                    residual, N, y, form, st);
    case ATTNC_CUDA_INPUT_RMS_NORM:
      return launch_fused_g<S, G, A, XMode::RingNorm>(dtype, in, T, K, values, scales, zeros, bias,
                                                      residual, N, y, form, st);
    default:
      return launch_fused_g<S, G, A, XMode::Ring>(dtype, in, T, K, values, scales, zeros, bias,
                                                  residual, N, y, form, st);
    }
  };
  // decode_kernel's schemes: 8 bits with a scale per output channel (not
  // 8-bit groups), 4 bits; K whole 16-byte loads of either.
  if (bits == 8)
    return group_size == 0 && !asymmetric && K % elems_per_load<Scheme::W8>() == 0 &&
           by_input(std::integral_constant<Scheme, Scheme::W8>{},
                    std::integral_constant<int, 0>{}, std::false_type{});
  if (bits != 4 || K % elems_per_load<Scheme::W4>() != 0)
    return false;
  return with_group(group_size, asymmetric, [&](auto group, auto asym) {
    return by_input(std::integral_constant<Scheme, Scheme::W4>{}, group, asym);
  });
}

} // namespace

extern "C" int attnc_cuda_gemv(int32_t dtype, const void *x, int32_t num_tokens,
                               int32_t in_features, const void *weight, const void *bias,
                               int32_t out_features, void *y, void *stream, char *error,
                               size_t error_len) {
  if ((dtype != ATTNC_CUDA_F16 && dtype != ATTNC_CUDA_BF16 && dtype != ATTNC_CUDA_F32) ||
      num_tokens < 0 || in_features < 1 || out_features < 1 || !x || !weight || !y)
    return fail(error, error_len, "gemv", "bad arguments");
  if (num_tokens == 0)
    return 0;
  return launch_dtype<Scheme::Dense, 0, false>(dtype, x, num_tokens, in_features, weight, nullptr,
                                               nullptr, bias, nullptr, out_features, y,
                                               static_cast<cudaStream_t>(stream), "gemv", error,
                                               error_len);
}

namespace {

// y = x . dequant(W)^T (+ bias) (+ residual) for a scheme check_scheme
// accepted, T >= 1.
int quantized_product(const char *what, int32_t dtype, int32_t bits, int32_t group_size,
                      int32_t asymmetric, const void *x, int T, int K, const void *values,
                      const float *scales, const uint8_t *zeros, const void *bias,
                      const void *residual, int N, void *y, cudaStream_t st, char *error,
                      size_t error_len) {
  if (bits == 8 && group_size == 0)
    return launch_dtype<Scheme::W8, 0, false>(dtype, x, T, K, values, scales, nullptr, bias,
                                              residual, N, y, st, what, error, error_len);
  const bool a = asymmetric != 0;
  if (bits == 8)
    return launch_grouped<Scheme::W8G>(dtype, group_size, a, x, T, K, values, scales, zeros, bias,
                                       residual, N, y, st, what, error, error_len);
  return launch_grouped<Scheme::W4>(dtype, group_size, a, x, T, K, values, scales, zeros, bias,
                                    residual, N, y, st, what, error, error_len);
}

} // namespace

extern "C" int attnc_cuda_quantized_linear(int32_t dtype, int32_t bits, int32_t group_size,
                                           int32_t asymmetric, const void *x, int32_t num_tokens,
                                           int32_t in_features, const void *values,
                                           const float *scales, const uint8_t *zeros,
                                           const void *bias, int32_t out_features, void *y,
                                           void *stream, char *error, size_t error_len) {
  const char *what = "quantized_linear";
  if ((dtype != ATTNC_CUDA_F16 && dtype != ATTNC_CUDA_BF16 && dtype != ATTNC_CUDA_F32) ||
      num_tokens < 0 || in_features < 1 || out_features < 1 || !x || !values || !scales || !y)
    return fail(error, error_len, what, "bad arguments");
  if (check_scheme(bits, group_size, asymmetric, in_features, zeros, what, error, error_len))
    return 1;
  if (num_tokens == 0)
    return 0;
  return quantized_product(what, dtype, bits, group_size, asymmetric, x, num_tokens, in_features,
                           values, scales, zeros, bias, nullptr, out_features, y,
                           static_cast<cudaStream_t>(stream), error, error_len);
}

namespace {

// attnc_cuda_quantized_linear_fused (form: plain y), _gated and _rope_kv.
// product: where a gated or rope form's [T, N] product goes when the pieces
// run.
int quantized_linear_formed(const char *what, int32_t dtype, int32_t bits, int32_t group_size,
                            int32_t asymmetric, const attnc_cuda_linear_input *input,
                            int32_t num_tokens, int32_t in_features, const void *values,
                            const float *scales, const uint8_t *zeros, const void *bias,
                            const void *residual, int32_t out_features, const OutputForm &form,
                            void *scratch, void *product, void *y, void *stream, char *error,
                            size_t error_len) {
  if ((dtype != ATTNC_CUDA_F16 && dtype != ATTNC_CUDA_BF16 && dtype != ATTNC_CUDA_F32) ||
      num_tokens < 0 || in_features < 1 || out_features < 1 || !values || !scales || !y)
    return fail(error, error_len, what, "bad arguments");
  // The input descriptor, each problem named.
  if (!input || !input->x)
    return fail(error, error_len, what, "no input x");
  if (input->kind != ATTNC_CUDA_INPUT_PLAIN && input->kind != ATTNC_CUDA_INPUT_GATED &&
      input->kind != ATTNC_CUDA_INPUT_RMS_NORM)
    return fail(error, error_len, what, "unknown input kind");
  if (input->x_stride < in_features)
    return fail(error, error_len, what, "input x_stride is less than in_features");
  if (input->kind == ATTNC_CUDA_INPUT_GATED && (!input->up || input->up_stride < in_features))
    return fail(error, error_len, what, "gated input without up, or up_stride < in_features");
  if (input->kind == ATTNC_CUDA_INPUT_RMS_NORM && !input->norm_weight)
    return fail(error, error_len, what, "rms_norm input without norm_weight");
  if (check_scheme(bits, group_size, asymmetric, in_features, zeros, what, error, error_len))
    return 1;
  if (num_tokens == 0)
    return 0;
  const cudaStream_t st = static_cast<cudaStream_t>(stream);
  probe::point_here(st);
  const int T = num_tokens, K = in_features, N = out_features;
  const attnc_cuda_linear_input &in = *input;
  const attnc_cuda_rope_kv_output &rope = form.rope;
  const size_t elem = dtype == ATTNC_CUDA_F32 ? 4 : 2;
  const bool rows16 = aligned16(in.x) && (in.x_stride * elem) % 16 == 0 &&
                      (in.kind != ATTNC_CUDA_INPUT_GATED ||
                       (aligned16(in.up) && (in.up_stride * elem) % 16 == 0)) &&
                      (in.kind != ATTNC_CUDA_INPUT_RMS_NORM || aligned16(in.norm_weight));
  const bool reshaped = form.gate_rows || rope.head_dim;
  const bool fused = in.kind != ATTNC_CUDA_INPUT_PLAIN || residual || reshaped;
  // The one kernel rotates half-split pairs of whole heads into a cache of
  // the model's dtype; other rotations run the pieces.
  const bool rope_fits = !rope.head_dim || (rope.style == ATTNC_CUDA_ROPE_HALF_SPLIT &&
                                            rope.rotary_dim == rope.head_dim &&
                                            rope.head_dim % 16 == 0 &&
                                            rope.kv_type == ATTNC_CUDA_KV_MODEL);
  // Decode (w4; w8 with a scale per output channel): one decode_kernel launch
  // (declined where the scheme, K or its shared memory do not fit). A gated
  // x is staged in shared memory whole.
  const size_t fused_smem = in.kind == ATTNC_CUDA_INPUT_GATED      ? size_t(T) * K * elem
                            : in.kind == ATTNC_CUDA_INPUT_RMS_NORM ? size_t(K) * (elem + 4)
                                                                   : 0;
  const size_t fused_max =
      in.kind == ATTNC_CUDA_INPUT_GATED ? kStagedMaxX : kNormMaxBytes;
  const bool one_kernel_shape = fused && rope_fits && dtype != ATTNC_CUDA_F32 && T <= 8 &&
                                rows16 && aligned16(values);
  if (one_kernel_shape && fused_smem <= fused_max &&
      launch_fused(dtype, bits, group_size, asymmetric != 0, in, T, K, values, scales, zeros, bias,
                   residual, N, y, form, st)) {
    const cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? 0 : fail(error, error_len, what, cudaGetErrorString(e));
  }
  // Otherwise the input is materialized in scratch first (an RMS norm, a
  // gated x); then mma_kernel applies the form and the residual as it stores
  // (w4, w8 per output channel; f16 / bf16), else the pieces run one after
  // the other with the product in `product`.
  const void *x = in.x;
  if (in.kind != ATTNC_CUDA_INPUT_GATED && in.x_stride != K)
    return fail(error, error_len, what, "a strided input must be gated (or fit one kernel)");
  if (in.kind != ATTNC_CUDA_INPUT_PLAIN) {
    if (!scratch)
      return fail(error, error_len, what, "no scratch buffer for an input that is not fused");
    const int rc =
        in.kind == ATTNC_CUDA_INPUT_GATED
            ? attnc_cuda_gated_activation(dtype, in.act, in.x, in.x_stride, in.up, in.up_stride,
                                          scratch, T, K, stream, error, error_len)
            : attnc_cuda_rms_norm(dtype, in.x, in.norm_weight, in.norm_offset, in.norm_eps, T, K,
                                  scratch, stream, error, error_len);
    if (rc)
      return rc;
    x = scratch;
  }
  // Prefill: the product through dequant_gemm (quantized_product below), the
  // form's pieces after it.
  const bool w4 = bits == 4, w8 = bits == 8 && group_size == 0;
  if (fused && rope_fits && dtype != ATTNC_CUDA_F32 && aligned16(x) && aligned16(values) &&
      !dequant_gemm_applies(w8, T, K, values, st) &&
      ((w4 && K % elems_per_load<Scheme::W4>() == 0) ||
       (w8 && K % elems_per_load<Scheme::W8>() == 0))) {
    const uint8_t *w = static_cast<const uint8_t *>(values);
    auto run = [&](auto *tag) {
      using E = std::remove_pointer_t<decltype(tag)>;
      const E *xe = static_cast<const E *>(x), *be = static_cast<const E *>(bias),
              *re = static_cast<const E *>(residual);
      E *ye = static_cast<E *>(y);
      if (w8)
        return launch_mma_formed<Scheme::W8, 0, false, E>(xe, T, K, w, scales, nullptr, be, N, ye,
                                                          st, re, form);
      return with_group(group_size, asymmetric != 0, [&](auto group, auto asym) {
        constexpr int G = decltype(group)::value;
        constexpr bool A = decltype(asym)::value;
        return launch_mma_formed<Scheme::W4, G, A, E>(xe, T, K, w, scales, A ? zeros : nullptr,
                                                      be, N, ye, st, re, form);
      });
    };
    const bool ok = dtype == ATTNC_CUDA_F16 ? run(static_cast<__half *>(nullptr))
                                            : run(static_cast<__nv_bfloat16 *>(nullptr));
    if (ok) {
      const cudaError_t e = cudaGetLastError();
      return e == cudaSuccess ? 0 : fail(error, error_len, what, cudaGetErrorString(e));
    }
  }
  if (reshaped && !product)
    return fail(error, error_len, what, "no product buffer for an output that is not fused");
  // A plain output takes its residual with the product (prefill: in
  // cuBLASLt's epilogue); a reshaped one has none.
  if (int rc = quantized_product(what, dtype, bits, group_size, asymmetric, x, T, K, values,
                                 scales, zeros, bias, reshaped ? nullptr : residual, N,
                                 reshaped ? product : y, st, error, error_len))
    return rc;
  const char *p = static_cast<const char *>(product);
  if (form.gate_rows)
    return attnc_cuda_gated_activation(dtype, form.act, p, N, p + form.gate_rows * elem, N, y, T,
                                       form.gate_rows, stream, error, error_len);
  if (rope.head_dim) {
    const int64_t q_cols = int64_t(rope.num_heads) * rope.head_dim;
    const int64_t kv_cols = int64_t(rope.num_kv_heads) * rope.head_dim;
    return attnc_cuda_rope_kv_append(
        dtype, rope.style, rope.head_dim, rope.rotary_dim, rope.num_heads, rope.num_kv_heads, T,
        rope.positions, rope.inv_freq, rope.query, q_cols, p, N, p + q_cols * elem, N,
        p + (q_cols + kv_cols) * elem, N, rope.num_seqs, rope.query_start, rope.block_table,
        rope.blocks_per_seq, rope.page_size, rope.kv_type, rope.layer_cache, stream, error,
        error_len);
  }
  return 0;
}

} // namespace

extern "C" int attnc_cuda_quantized_linear_fused(
    int32_t dtype, int32_t bits, int32_t group_size, int32_t asymmetric,
    const attnc_cuda_linear_input *input, int32_t num_tokens, int32_t in_features,
    const void *values, const float *scales, const uint8_t *zeros, const void *bias,
    const void *residual, int32_t out_features, void *scratch, void *y, void *stream,
    char *error, size_t error_len) {
  return quantized_linear_formed("quantized_linear_fused", dtype, bits, group_size, asymmetric,
                                 input, num_tokens, in_features, values, scales, zeros, bias,
                                 residual, out_features, OutputForm{}, scratch, nullptr, y, stream,
                                 error, error_len);
}

extern "C" int attnc_cuda_quantized_linear_gated(
    int32_t dtype, int32_t bits, int32_t group_size, int32_t asymmetric,
    const attnc_cuda_linear_input *input, int32_t num_tokens, int32_t in_features,
    const void *values, const float *scales, const uint8_t *zeros, const void *bias, int32_t act,
    int32_t out_features, void *scratch, void *product, void *y, void *stream, char *error,
    size_t error_len) {
  const char *what = "quantized_linear_gated";
  if (out_features < 2 || out_features % 2 != 0)
    return fail(error, error_len, what, "out_features must be even: the gate's rows, then up's");
  if (act < ATTNC_CUDA_ACT_SILU || act > ATTNC_CUDA_ACT_RELU)
    return fail(error, error_len, what, "unknown activation");
  if (input && input->kind == ATTNC_CUDA_INPUT_GATED)
    return fail(error, error_len, what, "a gated input cannot feed a gated output");
  OutputForm form;
  form.gate_rows = out_features / 2;
  form.act = act;
  return quantized_linear_formed(what, dtype, bits, group_size, asymmetric, input, num_tokens,
                                 in_features, values, scales, zeros, bias, nullptr, out_features,
                                 form, scratch, product, y, stream, error, error_len);
}

extern "C" int attnc_cuda_quantized_linear_rope_kv(
    int32_t dtype, int32_t bits, int32_t group_size, int32_t asymmetric,
    const attnc_cuda_linear_input *input, int32_t num_tokens, int32_t in_features,
    const void *values, const float *scales, const uint8_t *zeros, const void *bias,
    const attnc_cuda_rope_kv_output *out, int32_t out_features, void *scratch, void *product,
    void *stream, char *error, size_t error_len) {
  const char *what = "quantized_linear_rope_kv";
  if (!out || out->head_dim < 1 || out->num_heads < 1 || out->num_kv_heads < 1 || !out->query ||
      !out->positions || !out->inv_freq || !out->layer_cache || !out->block_table ||
      !out->query_start || out->num_seqs < 1 || out->page_size < 1)
    return fail(error, error_len, what, "incomplete rope / cache description");
  if (int64_t(out->num_heads + 2 * out->num_kv_heads) * out->head_dim != out_features)
    return fail(error, error_len, what,
                "out_features is not (num_heads + 2 num_kv_heads) * head_dim");
  if (input && input->kind == ATTNC_CUDA_INPUT_GATED)
    return fail(error, error_len, what, "a gated input cannot feed a rope output");
  OutputForm form;
  form.rope = *out;
  // y is unused (the product goes to the query and the cache); the checks
  // want a pointer.
  return quantized_linear_formed(what, dtype, bits, group_size, asymmetric, input, num_tokens,
                                 in_features, values, scales, zeros, bias, nullptr, out_features,
                                 form, scratch, product, out->query, stream, error, error_len);
}
