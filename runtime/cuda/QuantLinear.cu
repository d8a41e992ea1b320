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
// through each other's multiplies and reductions. Larger T: 4 token
// tiles (w4: 2) x 2 row tiles per block (each dequantized fragment feeds
// several mmas), W re-read per 32 (16) tokens: correct, but far from
// cuBLASLt's prefill rate for dense weights.
//
// Generic path (f32 storage, unaligned pointers, other K; every call of the
// group-wise 8-bit schemes, which have no tensor-core path yet): one warp per
// output row, lanes along K, 8 tokens per pass, f32 dequantization exactly by
// the contract and f32 arithmetic.
#include "AsyncCopy.cuh"
#include "DependentLaunch.cuh"
#include "StepKernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

namespace {

namespace async_copy = attnrt::cuda::async_copy;
namespace dependent_launch = attnrt::cuda::dependent_launch;

enum class Scheme { Dense, W8, W4, W8G }; // W8G: w8gG / w8gGa (generic kernel only)

constexpr int kWarps = 8; // warps per block, splitting K
constexpr int kThreads = kWarps * 32;

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
// 16-byte shared-memory slots per thread and stage: W rows, x, scales.
template <Scheme S, int R, int NT, int U> __host__ __device__ constexpr int slots() {
  return U * (2 * R + NT * (elems_per_load<S>() / 8) + (S == Scheme::W4 ? (2 * R + 3) / 4 : 0));
}
template <Scheme S, int R, int NT, int U> __host__ __device__ constexpr size_t smem_bytes() {
  return size_t(2) * kThreads * slots<S, R, NT, U>() * 16;
}

// Block: rows [n0, n0 + 16 R), tokens [t0, t0 + 8 NT); warp w takes chunks
// w, w + 8, ... of K. Loads go through cp.async into a per-thread region of
// shared memory, two stages of U chunks: the register-load version had its
// loads interleaved with the mmas by the scheduler (one chunk in flight).
template <Scheme S, int G, bool Asym, typename T, int R, int NT, int U>
__global__ void __launch_bounds__(kThreads)
    mma_kernel(const T *__restrict__ x, int num_tokens, int K, const uint8_t *__restrict__ w,
               const float *__restrict__ scales, const uint8_t *__restrict__ zeros,
               const T *__restrict__ bias, int N, T *__restrict__ y) {
  using P = typename Pair<T>::type;
  constexpr int E = elems_per_load<S>();
  constexpr int CHUNK = 4 * E;  // k per chunk (a quad's 4 loads)
  constexpr int SUB = E / 8;    // 8-element sub-steps per load
  constexpr int PER = slots<S, R, NT, U>() / U; // slots per chunk
  constexpr int STEP = kWarps * U;              // chunks per stage of the block
  extern __shared__ uint4 smem[];               // [stage][slot][thread]
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, q = lane % 4;
  const int t0 = blockIdx.x * 8 * NT;
  const int n0 = blockIdx.y * 16 * R;
  const int64_t rb = row_bytes<S>(K, int(sizeof(T)));
  const int chunks = (K + CHUNK - 1) / CHUNK;
  [[maybe_unused]] const int groups = S == Scheme::W4 ? K / G : 1;
  auto slot = [&](int stage, int i) -> uint4 * {
    return smem + (stage * slots<S, R, NT, U>() + i) * kThreads + threadIdx.x;
  };

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
            const int row = n0 + 16 * i + 8 * h + g;
            const bool ok = kv && row < N;
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
  constexpr int OUT = R * NT * 4 * 32;
  for (int idx = threadIdx.x; idx < OUT; idx += kThreads) {
    const int l = idx % 32, e = (idx / 32) % 4, j = (idx / 128) % NT, i = idx / (128 * NT);
    // C fragment: c0, c1 = (row g, tokens 2q, 2q + 1); c2, c3 = row g + 8.
    const int row = n0 + 16 * i + l / 4 + (e >= 2 ? 8 : 0);
    const int tok = t0 + 8 * j + 2 * (l % 4) + (e & 1);
    if (row >= N || tok >= num_tokens)
      continue;
    float v = 0.f;
#pragma unroll
    for (int ww = 0; ww < kWarps; ++ww)
      v += red[ww][i][j][e][l];
    if constexpr (S == Scheme::W8)
      v *= __ldg(scales + row);
    if (bias)
      v += float(bias[row]);
    y[int64_t(tok) * N + row] = T(v);
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

// The activations of attnc_cuda_gated_activation (StepKernels.cu), same formulas.
__device__ __forceinline__ float activate(int act, float x) {
  switch (act) {
  case ATTNC_CUDA_ACT_SILU:
    return x / (1.0f + expf(-x));
  case ATTNC_CUDA_ACT_GELU:
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  case ATTNC_CUDA_ACT_GELU_TANH:
    return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  default:
    return x > 0.0f ? x : 0.0f;
  }
}

// x [num_tokens, K] (num_tokens <= 8, K % 8 == 0, rows 16-byte aligned) into
// shared memory as `in` forms it, then a barrier. RMS norm: the statistics
// of the stored rows, 1 / sqrtf(mean + eps) and x * inv * (w + offset), as
// attnc_cuda_rms_norm computes them.
template <typename T>
__device__ void stage_input(const attnc_cuda_linear_input &in, int num_tokens, int K,
                            uint4 *x_smem) {
  const int kv = K / 8; // 16-byte vectors per row
  const T *x = static_cast<const T *>(in.x);
  // The norm weights of the thread's first vector, loaded with x (one L2
  // round trip before the statistics instead of two).
  float4 nw0 = make_float4(0.f, 0.f, 0.f, 0.f), nw1 = nw0;
  if (in.kind == ATTNC_CUDA_INPUT_RMS_NORM && int(threadIdx.x) < kv) {
    nw0 = __ldg(reinterpret_cast<const float4 *>(in.norm_weight) + 2 * threadIdx.x);
    nw1 = __ldg(reinterpret_cast<const float4 *>(in.norm_weight) + 2 * threadIdx.x + 1);
  }
  float ss[8];
#pragma unroll
  for (int t = 0; t < 8; ++t) {
    ss[t] = 0.f;
    if (t >= num_tokens)
      continue;
    for (int c = threadIdx.x; c < kv; c += kThreads) {
      float f[8];
      unpack8<T>(__ldg(reinterpret_cast<const uint4 *>(x + t * in.x_stride + 8 * c)), f);
      if (in.kind == ATTNC_CUDA_INPUT_GATED) {
        float u[8];
        unpack8<T>(__ldg(reinterpret_cast<const uint4 *>(static_cast<const T *>(in.up) +
                                                          t * in.up_stride + 8 * c)),
                   u);
#pragma unroll
        for (int i = 0; i < 8; ++i)
          f[i] = activate(in.act, f[i]) * u[i];
      }
      const uint4 v = pack8<T>(f);
      x_smem[t * kv + c] = v;
      if (in.kind == ATTNC_CUDA_INPUT_RMS_NORM) {
#pragma unroll
        for (int i = 0; i < 8; ++i)
          ss[t] += f[i] * f[i];
      }
    }
  }
  if (in.kind == ATTNC_CUDA_INPUT_RMS_NORM) {
    __shared__ float part[8][kWarps];
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
#pragma unroll
    for (int t = 0; t < 8; ++t) {
#pragma unroll
      for (int o = 16; o > 0; o >>= 1)
        ss[t] += __shfl_xor_sync(0xffffffffu, ss[t], o);
      if (lane == 0)
        part[t][warp] = ss[t];
    }
    __syncthreads();
    for (int t = 0; t < num_tokens; ++t) {
      float total = 0.f;
#pragma unroll
      for (int ww = 0; ww < kWarps; ++ww)
        total += part[t][ww];
      const float inv = 1.0f / sqrtf(total / static_cast<float>(K) + in.norm_eps);
      for (int c = threadIdx.x; c < kv; c += kThreads) {
        float f[8];
        unpack8<T>(x_smem[t * kv + c], f);
        const bool first = c == int(threadIdx.x);
        const float4 w0 =
            first ? nw0 : __ldg(reinterpret_cast<const float4 *>(in.norm_weight) + 2 * c);
        const float4 w1 =
            first ? nw1 : __ldg(reinterpret_cast<const float4 *>(in.norm_weight) + 2 * c + 1);
        const float wv[8] = {w0.x, w0.y, w0.z, w0.w, w1.x, w1.y, w1.z, w1.w};
#pragma unroll
        for (int i = 0; i < 8; ++i)
          f[i] = f[i] * inv * (wv[i] + in.norm_offset);
        x_smem[t * kv + c] = pack8<T>(f);
      }
    }
  }
  __syncthreads();
}

// 16 bytes read once: not kept in L1 (the weights stream through).
__device__ __forceinline__ uint4 load_stream16(const void *p) {
  uint4 v;
  asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

// Decode with few tokens (T <= 8, x small enough for shared memory): the
// same mma.sync fragments as mma_kernel (16 rows per block, one n8 token
// tile, the warps splitting K), but the weights go from global memory
// straight into registers, double-buffered (the next U chunks are loaded
// while these are multiplied), and x is staged in shared memory once per
// block and read only by the lanes whose token exists (g < T). mma_kernel
// moved every weight byte through shared memory and filled x slots for 8
// tokens (at T = 1 twice the weight bytes for w4): ncu showed it bound by
// L1 / shared memory (69%) with DRAM at 28%; past L2, though, this kernel is
// not faster alone (see use_stream_kernel): its place is the fused calls of
// attnc_cuda_quantized_linear_fused.
//   x is formed while it is staged (attnc_cuda_linear_input: as is, RMS
// norm, act(gate) * up) and the residual added as y is stored, so that a
// decode step's norms, gated activations and residual adds need no launch
// of their own (y must not alias any input).
template <Scheme S, int G, bool Asym, typename T, int U>
__global__ void __launch_bounds__(kThreads)
    stream_kernel(const attnc_cuda_linear_input in, int num_tokens, int K,
                  const uint8_t *__restrict__ w, const float *__restrict__ scales,
                  const uint8_t *__restrict__ zeros, const T *__restrict__ bias,
                  const T *__restrict__ residual, int N, T *__restrict__ y) {
  dependent_launch::begin();
  using P = typename Pair<T>::type;
  constexpr int E = elems_per_load<S>();
  constexpr int CHUNK = 4 * E; // k per chunk (a quad's 4 loads)
  constexpr int SUB = E / 8;   // 8-element sub-steps per load
  constexpr int STEP = kWarps * U;
  extern __shared__ uint4 x_smem[]; // x [num_tokens][K]
  __shared__ float red[kWarps][4][32];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, q = lane % 4;
  const int n0 = blockIdx.x * 16;
  const int64_t rb = row_bytes<S>(K, int(sizeof(T)));
  const int chunks = (K + CHUNK - 1) / CHUNK;
  [[maybe_unused]] const int groups = S == Scheme::W4 ? K / G : 1;
  const int rows[2] = {n0 + g, n0 + g + 8};

  struct Batch {
    uint4 w[U][2];
    float s[U][2];
    uint8_t z[U][2];
  };
  auto issue = [&](Batch &b, int c0) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int c = c0 + u * kWarps;
      const int k = c * CHUNK + q * E;
      const bool kv = c < chunks && k < K;
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const bool ok = kv && rows[h] < N;
        b.w[u][h] = make_uint4(0, 0, 0, 0);
        if (ok)
          b.w[u][h] = load_stream16(
              w + int64_t(rows[h]) * rb + (S == Scheme::W4 ? k / 2 : S == Scheme::W8 ? k : 2 * k));
        if constexpr (S == Scheme::W4) {
          const int64_t gi = int64_t(rows[h]) * groups + k / G;
          b.s[u][h] = ok ? __ldg(scales + gi) : 0.f;
          if constexpr (Asym)
            b.z[u][h] = ok ? __ldg(zeros + gi) : uint8_t(0);
        }
      }
    }
  };
  const T *xs_tok = reinterpret_cast<const T *>(x_smem) + int64_t(g) * K;
  const bool has_token = g < num_tokens;
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  auto compute = [&](const Batch &b, int c0) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int c = c0 + u * kWarps;
      const int k = c * CHUNK + q * E;
      if (c >= chunks) // warp-uniform; rows past N and k past K multiply zeros
        break;
      P zz[2], ss[2];
      if constexpr (S == Scheme::W4) {
#pragma unroll
        for (int h = 0; h < 2; ++h)
          group_pairs<Asym, T>(Asym ? b.z[u][h] : uint8_t(0), b.s[u][h], zz[h], ss[h]);
      } else {
        zz[0] = zz[1] = ss[0] = ss[1] = as_pair<P>(0u);
      }
#pragma unroll
      for (int s = 0; s < SUB; ++s) {
        uint32_t a[4], bb[4];
        dequant8<S, T>(b.w[u][0], s, a, zz[0], ss[0]);
        dequant8<S, T>(b.w[u][1], s, bb, zz[1], ss[1]);
        uint4 xv = make_uint4(0, 0, 0, 0);
        if (has_token && k < K)
          xv = *reinterpret_cast<const uint4 *>(xs_tok + k + 8 * s);
        mma16816<T>(acc, a[0], bb[0], a[1], bb[1], xv.x, xv.y);
        mma16816<T>(acc, a[2], bb[2], a[3], bb[3], xv.z, xv.w);
      }
    }
  };

  // The first weights are in flight while x is staged; so is the residual
  // the epilogue adds (thread < 128 stores one output, see below).
  Batch b0, b1;
  issue(b0, warp);
  const int out_row = n0 + (threadIdx.x % 32) / 4 + (threadIdx.x / 32 >= 2 ? 8 : 0);
  const int out_tok = 2 * (threadIdx.x % 4) + (threadIdx.x / 32) % 2;
  const bool stores = threadIdx.x < 128 && out_row < N && out_tok < num_tokens;
  const float res = residual && stores ? float(residual[int64_t(out_tok) * N + out_row]) : 0.f;
  stage_input<T>(in, num_tokens, K, x_smem);
  for (int c0 = warp; c0 < chunks; c0 += 2 * STEP) {
    if (c0 + STEP < chunks)
      issue(b1, c0 + STEP);
    compute(b0, c0);
    if (c0 + STEP >= chunks)
      break;
    if (c0 + 2 * STEP < chunks)
      issue(b0, c0 + 2 * STEP);
    compute(b1, c0 + STEP);
  }

  // Sum the warps' partial products.
#pragma unroll
  for (int e = 0; e < 4; ++e)
    red[warp][e][lane] = acc[e];
  __syncthreads();
  // C fragment: c0, c1 = (row g, tokens 2q, 2q + 1); c2, c3 = row g + 8;
  // thread 32 e + l stores element e of lane l (out_row, out_tok above).
  if (stores) {
    const int l = threadIdx.x % 32, e = threadIdx.x / 32;
    float v = 0.f;
#pragma unroll
    for (int ww = 0; ww < kWarps; ++ww)
      v += red[ww][e][l];
    if constexpr (S == Scheme::W8)
      v *= __ldg(scales + out_row);
    if (bias)
      v += float(bias[out_row]);
    if (residual) // rounded as the linear's own output first, as unfused
      v = float(T(v)) + res;
    y[int64_t(out_tok) * N + out_row] = T(v);
  }
}


// Chunks per register buffer of stream_kernel (4 16-byte weight loads).
constexpr int kStreamUnroll = 2;
// x staged in shared memory up to this size (no opt-in attribute needed).
constexpr size_t kStreamMaxX = 40 * 1024;
// stream_kernel's domain (fused calls): quantized weights, T <= 8 and x
// within kStreamMaxX. Alone (a plain input, no residual) mma_kernel is as
// fast or faster past L2 (1.1B shapes, T = 1: w4g128 qkv 5.2 vs 4.8 us, o 3.7
// vs 4.0, gate_up 9.8 vs 10.3, lm_head 21.0 vs 22.4), so plain calls stay
// there; fused, stream_kernel saves the launches of the norm, the gated
// activation and the residual add.
template <Scheme S, typename T> bool use_stream_kernel(int num_tokens, int K) {
  return S != Scheme::Dense && num_tokens <= 8 &&
         size_t(num_tokens) * K * sizeof(T) <= kStreamMaxX;
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

int fail(char *error, size_t error_len, const char *what, const char *msg) {
  if (error && error_len)
    std::snprintf(error, error_len, "%s: %s", what, msg);
  return 1;
}

template <Scheme S, int G, bool Asym, typename T>
void launch_stream(const attnc_cuda_linear_input &in, int num_tokens, int K, const uint8_t *w,
                   const float *scales, const uint8_t *zeros, const T *bias, const T *residual,
                   int N, T *y, cudaStream_t st) {
  dependent_launch::launch_early(stream_kernel<S, G, Asym, T, kStreamUnroll>, dim3((N + 15) / 16),
                                 dim3(kThreads), size_t(num_tokens) * K * sizeof(T), st, in,
                                 num_tokens, K, w, scales, zeros, bias, residual, N, y);
}

// Decode: one n8 token tile, 16 rows per block, stages of U chunks.
template <Scheme S, int G, bool Asym, typename T, int U>
void launch_decode(const T *x, int num_tokens, int K, const uint8_t *w, const float *scales,
                   const uint8_t *zeros, const T *bias, int N, T *y, int tiles, cudaStream_t st) {
  auto kernel = mma_kernel<S, G, Asym, T, 1, 1, U>;
  constexpr size_t smem = smem_bytes<S, 1, 1, U>();
  static bool attr = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          int(smem)) == cudaSuccess;
  (void)attr;
  dependent_launch::launch_early(kernel, dim3(1, tiles), dim3(kThreads), smem, st, x, num_tokens, K,
                                 w, scales, zeros, bias, N, y);
}

template <Scheme S, int G, bool Asym, typename T>
int launch(const void *x, int num_tokens, int K, const void *w, const float *scales,
           const uint8_t *zeros, const void *bias, int N, void *y, cudaStream_t st,
           const char *what, char *error, size_t error_len) {
  const T *xt = static_cast<const T *>(x);
  const uint8_t *wb = static_cast<const uint8_t *>(w);
  const T *bt = static_cast<const T *>(bias);
  T *yt = static_cast<T *>(y);
  bool tensor_cores = false;
  constexpr bool kHasMma = !std::is_same_v<T, float> && S != Scheme::W8G;
  if constexpr (kHasMma)
    tensor_cores = aligned16(x) && aligned16(w) && K % elems_per_load<S>() == 0;
  if (tensor_cores) {
    if constexpr (kHasMma) {
      if (num_tokens <= 8) {
        const int tiles = (N + 15) / 16;
        if (tiles > 65535)
          return fail(error, error_len, what, "out_features too large");
        // Enough blocks for several per SM (quantized weights): stages of one
        // chunk, a quarter to a half of the shared memory, so that 3-4 blocks
        // share an SM and their loads overlap the others' multiplies and
        // reductions (11264 or 32000 rows of 2048: 1.15-1.25x). Dense weights
        // gain nothing from it. Fewer blocks: the deeper stages keep more bytes
        // in flight per block.
        const int sms = sm_count();
        if (S != Scheme::Dense && sms > 0 && tiles >= 2 * sms)
          launch_decode<S, G, Asym, T, 1>(xt, num_tokens, K, wb, scales, zeros, bt, N, yt, tiles, st);
        else
          launch_decode<S, G, Asym, T, decode_unroll<S>()>(xt, num_tokens, K, wb, scales, zeros, bt,
                                                           N, yt, tiles, st);
      } else {
        const int tiles = (N + 31) / 32;
        if (tiles > 65535)
          return fail(error, error_len, what, "out_features too large");
        // w4: 2 token tiles, so the stages fit the A100's 163 KB too.
        constexpr int NT = S == Scheme::W4 ? 2 : 4;
        auto kernel = mma_kernel<S, G, Asym, T, 2, NT, 1>;
        constexpr size_t smem = smem_bytes<S, 2, NT, 1>();
        static bool attr = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                int(smem)) == cudaSuccess;
        (void)attr;
        dependent_launch::launch_early(kernel, dim3((num_tokens + 8 * NT - 1) / (8 * NT), tiles),
                                       dim3(kThreads), smem, st, xt, num_tokens, K, wb, scales,
                                       zeros, bt, N, yt);
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
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess)
    return fail(error, error_len, what, cudaGetErrorString(e));
  return 0;
}

template <Scheme S, int G, bool Asym>
int launch_dtype(int32_t dtype, const void *x, int num_tokens, int K, const void *w,
                 const float *scales, const uint8_t *zeros, const void *bias, int N, void *y,
                 cudaStream_t st, const char *what, char *error, size_t error_len) {
  switch (dtype) {
  case ATTNC_CUDA_F16:
    return launch<S, G, Asym, __half>(x, num_tokens, K, w, scales, zeros, bias, N, y, st, what,
                                      error, error_len);
  case ATTNC_CUDA_BF16:
    return launch<S, G, Asym, __nv_bfloat16>(x, num_tokens, K, w, scales, zeros, bias, N, y, st,
                                             what, error, error_len);
  default:
    return launch<S, G, Asym, float>(x, num_tokens, K, w, scales, zeros, bias, N, y, st, what,
                                     error, error_len);
  }
}

// The group-wise schemes (S = W4 or W8G) by group size and zero points.
template <Scheme S>
int launch_grouped(int32_t dtype, int group_size, bool asymmetric, const void *x, int T, int K,
                   const void *values, const float *scales, const uint8_t *zeros,
                   const void *bias, int N, void *y, cudaStream_t st, const char *what,
                   char *error, size_t error_len) {
  switch (group_size) {
  case 32:
    return asymmetric ? launch_dtype<S, 32, true>(dtype, x, T, K, values, scales, zeros, bias, N,
                                                  y, st, what, error, error_len)
                      : launch_dtype<S, 32, false>(dtype, x, T, K, values, scales, nullptr, bias,
                                                   N, y, st, what, error, error_len);
  case 64:
    return asymmetric ? launch_dtype<S, 64, true>(dtype, x, T, K, values, scales, zeros, bias, N,
                                                  y, st, what, error, error_len)
                      : launch_dtype<S, 64, false>(dtype, x, T, K, values, scales, nullptr, bias,
                                                   N, y, st, what, error, error_len);
  default:
    return asymmetric ? launch_dtype<S, 128, true>(dtype, x, T, K, values, scales, zeros, bias,
                                                   N, y, st, what, error, error_len)
                      : launch_dtype<S, 128, false>(dtype, x, T, K, values, scales, nullptr,
                                                    bias, N, y, st, what, error, error_len);
  }
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

// The one-kernel decode of attnc_cuda_quantized_linear_fused, by dtype.
template <Scheme S, int G, bool Asym>
void launch_stream_dtype(int32_t dtype, const attnc_cuda_linear_input &in, int T, int K,
                         const void *values, const float *scales, const uint8_t *zeros,
                         const void *bias, const void *residual, int N, void *y, cudaStream_t st) {
  const uint8_t *w = static_cast<const uint8_t *>(values);
  if (dtype == ATTNC_CUDA_F16)
    launch_stream<S, G, Asym, __half>(in, T, K, w, scales, zeros, static_cast<const __half *>(bias),
                                      static_cast<const __half *>(residual), N,
                                      static_cast<__half *>(y), st);
  else
    launch_stream<S, G, Asym, __nv_bfloat16>(
        in, T, K, w, scales, zeros, static_cast<const __nv_bfloat16 *>(bias),
        static_cast<const __nv_bfloat16 *>(residual), N, static_cast<__nv_bfloat16 *>(y), st);
}

template <bool Asym>
void launch_stream_w4(int32_t dtype, int group_size, const attnc_cuda_linear_input &in, int T,
                      int K, const void *values, const float *scales, const uint8_t *zeros,
                      const void *bias, const void *residual, int N, void *y, cudaStream_t st) {
  if (group_size == 32)
    launch_stream_dtype<Scheme::W4, 32, Asym>(dtype, in, T, K, values, scales, zeros, bias,
                                              residual, N, y, st);
  else if (group_size == 64)
    launch_stream_dtype<Scheme::W4, 64, Asym>(dtype, in, T, K, values, scales, zeros, bias,
                                              residual, N, y, st);
  else
    launch_stream_dtype<Scheme::W4, 128, Asym>(dtype, in, T, K, values, scales, zeros, bias,
                                               residual, N, y, st);
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
                                               nullptr, bias, out_features, y,
                                               static_cast<cudaStream_t>(stream), "gemv", error,
                                               error_len);
}

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
  const bool w8 = bits == 8 && group_size == 0;
  const bool w8g = bits == 8 && group_size != 0;
  if (num_tokens == 0)
    return 0;
  const cudaStream_t st = static_cast<cudaStream_t>(stream);
  const int T = num_tokens, K = in_features, N = out_features;
  if (w8)
    return launch_dtype<Scheme::W8, 0, false>(dtype, x, T, K, values, scales, nullptr, bias, N, y,
                                              st, what, error, error_len);
  const bool a = asymmetric != 0;
  if (w8g)
    return launch_grouped<Scheme::W8G>(dtype, group_size, a, x, T, K, values, scales, zeros, bias,
                                       N, y, st, what, error, error_len);
  return launch_grouped<Scheme::W4>(dtype, group_size, a, x, T, K, values, scales, zeros, bias, N,
                                    y, st, what, error, error_len);
}

extern "C" int attnc_cuda_quantized_linear_fused(
    int32_t dtype, int32_t bits, int32_t group_size, int32_t asymmetric,
    const attnc_cuda_linear_input *input, int32_t num_tokens, int32_t in_features,
    const void *values, const float *scales, const uint8_t *zeros, const void *bias,
    const void *residual, int32_t out_features, void *scratch, void *y, void *stream,
    char *error, size_t error_len) {
  const char *what = "quantized_linear_fused";
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
  const int T = num_tokens, K = in_features, N = out_features;
  const attnc_cuda_linear_input &in = *input;
  const bool w8 = bits == 8 && group_size == 0, w4 = bits == 4;
  const size_t elem = dtype == ATTNC_CUDA_F32 ? 4 : 2;
  const bool rows16 = aligned16(in.x) && (in.x_stride * elem) % 16 == 0 &&
                      (in.kind != ATTNC_CUDA_INPUT_GATED ||
                       (aligned16(in.up) && (in.up_stride * elem) % 16 == 0)) &&
                      (in.kind != ATTNC_CUDA_INPUT_RMS_NORM || aligned16(in.norm_weight));
  const bool fused = in.kind != ATTNC_CUDA_INPUT_PLAIN || residual;
  const bool one_kernel =
      fused && dtype != ATTNC_CUDA_F32 && (w8 || w4) && rows16 && aligned16(values) &&
      K % (w4 ? elems_per_load<Scheme::W4>() : elems_per_load<Scheme::W8>()) == 0 &&
      (w4 ? use_stream_kernel<Scheme::W4, __half>(T, K)
          : use_stream_kernel<Scheme::W8, __half>(T, K));
  if (one_kernel) {
    if (w8)
      launch_stream_dtype<Scheme::W8, 0, false>(dtype, in, T, K, values, scales, nullptr, bias,
                                                residual, N, y, st);
    else if (asymmetric)
      launch_stream_w4<true>(dtype, group_size, in, T, K, values, scales, zeros, bias, residual, N,
                             y, st);
    else
      launch_stream_w4<false>(dtype, group_size, in, T, K, values, scales, nullptr, bias,
                              residual, N, y, st);
    const cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? 0 : fail(error, error_len, what, cudaGetErrorString(e));
  }
  // The pieces one after the other: the input materialized in scratch.
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
  if (int rc = attnc_cuda_quantized_linear(dtype, bits, group_size, asymmetric, x, T, K, values,
                                           scales, zeros, bias, N, y, stream, error, error_len))
    return rc;
  return residual ? attnc_cuda_add_scaled(dtype, residual, y, 1.0f, y, int64_t(T) * N, stream,
                                          error, error_len)
                  : 0;
}
