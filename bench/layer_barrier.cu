// What a kernel boundary costs a batch-1 decode layer, against a grid-wide
// barrier inside one persistent kernel.
//
// The four weight-streaming GEMVs of a 1.1B Llama layer (4-bit codes in
// groups of 128 with f16 scales: qkv 2560 x 2048 with an RMS norm on the fly,
// o 2048 x 2048, gate_up 11264 x 2048 with an RMS norm on the fly, down
// 2048 x 5632 over SwiGLU of gate_up), 22 layers of distinct weights (~480 MB,
// ten times the L2), each phase's input the previous phase's output, run
//   kernels-pdl  one kernel per phase, programmatic dependent launch (each
//                kernel's first weight loads issued before it waits), in a graph
//   kernels      the same kernels without programmatic dependent launch
//   persistent   one cooperative kernel over all phases, a grid-wide barrier
//                between them (the next phase's first weight loads issued
//                before the barrier)
//   kernels-pdl-2  kernels-pdl with registers for two blocks per SM (same
//                grid), so that a kernel's blocks can be resident, streaming,
//                while its predecessor's still run
//   persistent-ring  one cooperative kernel, one block per SM, whose weights
//                stream through a ring of shared-memory slots (bulk copies
//                completing on mbarriers) that runs ahead across phases and
//                layers: only activations wait for the grid barrier, the next
//                phases' weights are already on their way (~175 KB a block,
//                about one layer's share of an SM); a producer warp refills
//                each slot as soon as the 8 computing warps release it
//   kernels-pdl-ring  the same ring in one kernel per phase (programmatic
//                dependent launch): what persistence adds to the ring
// with the same device code (a row's products are summed in the same order
// whichever warp takes it), so their outputs must be bitwise equal (checked).
// The arithmetic is the cheap form of the runtime's 4-bit GEMVs (code pairs
// turned into f16 by masks, f16x2 FMAs, f32 across chunks), so that the
// weight stream, not the ALU, bounds every variant. Prints the median
// time per layer of each, the weight bytes per second against a device-to-device copy of the same
// bytes, and the difference per phase boundary. (kernels-pdl needs sm_90 and no ATTNC_CUDA_PDL=0 in
// the environment: DependentLaunch.cuh.)
//
//   nvcc -O3 -std=c++17 -arch=sm_90a -I. bench/layer_barrier.cu -o layer_barrier
//   ./layer_barrier [reps]
#include "bench/CudaCheck.cuh"
#include "runtime/cuda/DependentLaunch.cuh"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr int kThreads = 256, kWarps = kThreads / 32;
constexpr int kGroup = 128; // codes per f16 scale
constexpr int kHidden = 2048, kInter = 5632, kQkv = 2560, kLayers = 22;
constexpr int kMaxK = kInter;

enum Input : int { kPlain = 0, kNorm = 1, kSwiglu = 2 };

struct Phase {
  const uint8_t *w; // [N][K / 2]: code k in nibble k % 2 of byte k / 2 (low first)
  const __half *s;  // [N][K / kGroup]
  const float *x;   // kPlain / kNorm: [K]; kSwiglu: [2K] (gate, then up)
  float *y;         // [N]
  int N, K, input;
};

struct Layers {
  Phase phase[kLayers * 4];
  unsigned *barrier; // persistent: arrivals so far (zeroed before each launch)
};

// Chunks of 16 bytes (32 codes) per lane and row: K / 32 chunks a row; rows
// a warp streams at once (fewer for the long rows: registers).
template <int K> constexpr int kPerLane = (K / 32 + 31) / 32;
template <int K> constexpr int kRowsOf = kPerLane<K> > 2 ? 2 : 4;

__device__ __forceinline__ uint4 load_nc(const void *p) {
  uint4 v;
  asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

// One warp's registers of kRows rows: chunk c of row r at [r][i], c = lane + 32 i.
template <int K> struct Rows {
  static constexpr int kRows = kRowsOf<K>;
  uint4 v[kRows][kPerLane<K>];
  __device__ __forceinline__ void load(const Phase &p, int row0, int lane) {
#pragma unroll
    for (int r = 0; r < kRows; ++r)
#pragma unroll
      for (int i = 0; i < kPerLane<K>; ++i) {
        const int c = lane + 32 * i;
        v[r][i] = (row0 + r < p.N && c < K / 32)
                      ? load_nc(p.w + int64_t(row0 + r) * (K / 2) + c * 16)
                      : make_uint4(0, 0, 0, 0);
      }
  }
};

// Barrier of the threads that compute: the whole block, or (Ring: a block
// of 8 consumer warps and one producer warp) named barrier 1 of the 256
// consumers.
template <bool Ring> __device__ __forceinline__ void sync_compute() {
  if constexpr (Ring)
    asm volatile("bar.sync 1, %0;" ::"n"(kThreads) : "memory");
  else
    __syncthreads();
}

// The phase's input into shared memory: as is, RMS-normalised, or SwiGLU, in
// f32 (xs), then as the f16 pairs a word's code pairs multiply (xh: for each
// 8 codes of a word, (x0, x4), (x1, x5), (x2, x6), (x3, x7)). Only the 256
// computing threads call it.
template <int K, bool Ring = false>
__device__ void stage_input(const Phase &p, float *xs, __half2 *xh) {
  __shared__ float partial[kWarps];
  float ss = 0.f;
  for (int k = threadIdx.x; k < K; k += kThreads) {
    float v;
    if (p.input == kSwiglu) {
      const float g = __ldcg(p.x + k), u = __ldcg(p.x + K + k);
      v = g / (1.f + __expf(-g)) * u;
    } else {
      v = __ldcg(p.x + k);
    }
    xs[k] = v;
    ss += v * v;
  }
  float inv = 1.f;
  if (p.input == kNorm) {
#pragma unroll
    for (int o = 16; o; o >>= 1)
      ss += __shfl_xor_sync(0xffffffffu, ss, o);
    if (threadIdx.x % 32 == 0)
      partial[threadIdx.x / 32] = ss;
    sync_compute<Ring>();
    float total = 0.f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w)
      total += partial[w];
    inv = rsqrtf(total / K + 1e-6f);
  }
  sync_compute<Ring>();
  for (int i = threadIdx.x; i < K / 2; i += kThreads) {
    const int g = i / 4, j = i % 4;
    xh[i] = __floats2half2_rn(xs[8 * g + j] * inv, xs[8 * g + j + 4] * inv);
  }
  sync_compute<Ring>();
}

// The dot product of one 16-byte chunk (32 codes, 8 a word, low nibble
// first) with its 16 x pairs: each code pair (n, n + 4 of a word) becomes
// f16 (1024 + code) by masking into 0x6400's mantissa, minus 1032 exactly
// code - 8, then one f16x2 FMA; the pair's halves are added in f32. The same
// instructions in every variant, so their outputs are bitwise equal.
__device__ __forceinline__ float chunk_dot(const uint4 &v, const __half2 *x) {
  const uint32_t words[4] = {v.x, v.y, v.z, v.w};
  const __half2 bias = __halves2half2(__ushort_as_half(0x6408), __ushort_as_half(0x6408));
  __half2 acc = __float2half2_rn(0.f);
#pragma unroll
  for (int w = 0; w < 4; ++w)
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      uint32_t pair;
      asm("lop3.b32 %0, %1, %2, %3, 0xea;"
          : "=r"(pair)
          : "r"(words[w] >> (4 * j)), "r"(0x000f000fu), "r"(0x64006400u));
      __half2 code;
      memcpy(&code, &pair, 4);
      acc = __hfma2(__hsub2(code, bias), x[w * 4 + j], acc);
    }
  const float2 f = __half22float2(acc);
  return f.x + f.y;
}

template <int K>
__device__ __forceinline__ void multiply(const Phase &p, const Rows<K> &rows, const __half2 *xh,
                                         int row0, int lane) {
  constexpr int kRows = Rows<K>::kRows;
  float acc[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r)
    acc[r] = 0.f;
#pragma unroll
  for (int i = 0; i < kPerLane<K>; ++i) {
    const int c = lane + 32 * i;
    if (c >= K / 32)
      break;
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (row0 + r >= p.N)
        break;
      const float s = __half2float(p.s[int64_t(row0 + r) * (K / kGroup) + c * 32 / kGroup]);
      acc[r] = fmaf(s, chunk_dot(rows.v[r][i], xh + c * 16), acc[r]);
    }
  }
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
#pragma unroll
    for (int o = 16; o; o >>= 1)
      acc[r] += __shfl_xor_sync(0xffffffffu, acc[r], o);
    if (lane == 0 && row0 + r < p.N)
      p.y[row0 + r] = acc[r];
  }
}

// The input's shared memory: f32 x, then its f16 pairs (stage_input).
constexpr size_t kInputSmem = kMaxK * sizeof(float) + kMaxK / 2 * sizeof(__half2);
struct InputSmem {
  float *xs;
  __half2 *xh;
  __device__ explicit InputSmem(uint8_t *smem)
      : xs(reinterpret_cast<float *>(smem)),
        xh(reinterpret_cast<__half2 *>(smem + kMaxK * sizeof(float))) {}
};

// A phase: warp w of the grid takes row blocks w, w + W, ...; `cur` holds
// its first block's weights, loaded before the wait / barrier; each block's
// successor is loaded before the block is multiplied.
template <int K> __device__ void run_phase(const Phase &p, Rows<K> &cur, const InputSmem &in) {
  constexpr int kRows = Rows<K>::kRows;
  const int lane = threadIdx.x % 32;
  const int warps = gridDim.x * kWarps, gw = blockIdx.x * kWarps + threadIdx.x / 32;
  stage_input<K>(p, in.xs, in.xh);
  for (int rb = gw; rb * kRows < p.N; rb += warps) {
    Rows<K> next;
    const bool more = (rb + warps) * kRows < p.N;
    if (more)
      next.load(p, (rb + warps) * kRows, lane);
    multiply<K>(p, cur, in.xh, rb * kRows, lane);
    if (more)
      cur = next;
  }
  __syncthreads(); // the input's shared memory is the next phase's
}

template <int K> __device__ __forceinline__ void prefetch(const Phase &p, Rows<K> &rows) {
  const int gw = blockIdx.x * kWarps + threadIdx.x / 32;
  rows.load(p, gw * Rows<K>::kRows, threadIdx.x % 32);
}

__device__ __forceinline__ unsigned load_acquire(const unsigned *p) {
  unsigned v;
  asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}

// Every block's computing threads past this point before any goes on.
template <bool Ring = false> __device__ void grid_barrier(unsigned *arrived, unsigned target) {
  sync_compute<Ring>();
  if (threadIdx.x == 0) {
    __threadfence();
    atomicAdd(arrived, 1u);
    while (load_acquire(arrived) < target) {
    }
  }
  sync_compute<Ring>();
}

// One launch per phase. pdl: lets the next kernel launch at once and issues
// the first weight loads before waiting for the previous one. MinBlocks 2:
// registers for two blocks per SM, so that the next kernel's blocks can be
// resident (and streaming) while the current kernel's still run.
template <int K, int MinBlocks>
__global__ void __launch_bounds__(kThreads, MinBlocks) phase_kernel(Phase p, int pdl) {
  extern __shared__ __align__(128) uint8_t smem_bytes[];
  const InputSmem in(smem_bytes);
  if (pdl)
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
  Rows<K> first;
  prefetch<K>(p, first);
  if (pdl)
    asm volatile("griddepcontrol.wait;" ::: "memory");
  run_phase<K>(p, first, in);
}

__global__ void __launch_bounds__(kThreads) persistent_kernel(const Layers *layers) {
  extern __shared__ __align__(128) uint8_t smem_bytes[];
  const InputSmem in(smem_bytes);
  unsigned barriers = 0;
  for (int i = 0; i < kLayers * 4; ++i) {
    const Phase &p = layers->phase[i];
    if (p.K == kHidden) {
      Rows<kHidden> first;
      prefetch<kHidden>(p, first);
      if (i > 0)
        grid_barrier(layers->barrier, ++barriers * gridDim.x);
      run_phase<kHidden>(p, first, in);
    } else {
      Rows<kInter> first;
      prefetch<kInter>(p, first);
      if (i > 0)
        grid_barrier(layers->barrier, ++barriers * gridDim.x);
      run_phase<kInter>(p, first, in);
    }
  }
}

// persistent-ring: units of 16 rows (K = 2048) or 6 rows (K = 5632), codes
// then scales, one unit per slot; unit u of a phase belongs to block
// u % gridDim.x. A block is 8 computing warps and one producer warp: the
// producer's lane 0 refills a slot with the block's next unit as soon as all
// 8 warps have released it (the slot's `empty` mbarrier), whatever phase or
// layer that unit belongs to; a computing warp waits only for its unit's
// bytes (`full`) and, between phases, for the grid barrier on activations.
constexpr int kRingSlots = 10;
constexpr int kRingThreads = kThreads + 32;
constexpr int kSlotBytes = 17536;   // >= 16 * 1024 + 512 and 6 * 2816 + 528, 128-aligned
constexpr int kScaleOffset = 16896; // scales after the codes
constexpr size_t kRingSmem =
    kInputSmem + size_t(kRingSlots) * kSlotBytes + 2 * kRingSlots * sizeof(uint64_t);
__host__ __device__ constexpr int unit_rows(int K) { return K == kHidden ? 16 : 6; }
__host__ __device__ constexpr int units_of(int N, int K) {
  return (N + unit_rows(K) - 1) / unit_rows(K);
}

__device__ __forceinline__ uint32_t smem_addr(const void *p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}
__device__ __forceinline__ void mbar_init(uint64_t *bar, unsigned count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(smem_addr(bar)), "r"(count)
               : "memory");
}
__device__ __forceinline__ void mbar_expect_tx(uint64_t *bar, unsigned bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(smem_addr(bar)),
               "r"(bytes)
               : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint64_t *bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(smem_addr(bar)) : "memory");
}
__device__ __forceinline__ void bulk_copy(void *dst, const void *src, unsigned bytes,
                                          uint64_t *bar) {
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, "
               "[%3];" ::"r"(smem_addr(dst)),
               "l"(src), "r"(bytes), "r"(smem_addr(bar))
               : "memory");
}
__device__ __forceinline__ bool mbar_try_wait(uint64_t *bar, unsigned parity) {
  uint32_t done;
  asm volatile("{\n\t.reg .pred p;\n\t"
               "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n\t"
               "selp.u32 %0, 1, 0, p;\n\t}"
               : "=r"(done)
               : "r"(smem_addr(bar)), "r"(parity)
               : "memory");
  return done != 0;
}
__device__ __forceinline__ void mbar_wait(uint64_t *bar, unsigned parity) {
  for (unsigned spins = 0; !mbar_try_wait(bar, parity);)
    if (++spins > (1u << 26))
      __trap(); // a lost copy: fail, never hang
}

// A ring kernel's shared memory: the input, the slots, their mbarriers.
struct RingSmem {
  InputSmem in;
  uint8_t *ring;
  uint64_t *full, *empty;
  __device__ explicit RingSmem(uint8_t *smem)
      : in(smem), ring(smem + kInputSmem),
        full(reinterpret_cast<uint64_t *>(ring + size_t(kRingSlots) * kSlotBytes)),
        empty(full + kRingSlots) {}
  __device__ uint8_t *slot(int s) const { return ring + size_t(s) * kSlotBytes; }
  // Thread 0 readies the mbarriers before any thread uses them.
  __device__ void init() {
    if (threadIdx.x == 0) {
      for (int s = 0; s < kRingSlots; ++s) {
        mbar_init(&full[s], 1);
        mbar_init(&empty[s], kWarps);
      }
      asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    __syncthreads();
  }
};

// The producer (lane 0 of the last warp): the block's units of phases
// [first, end) in order, unit j into slot j % kRingSlots once the computing
// warps have released the slot's previous unit (j - kRingSlots).
__device__ void produce(const Layers *layers, const RingSmem &m, int first, int end) {
  if (threadIdx.x != kThreads)
    return;
  unsigned j = 0;
  for (int i = first; i < end; ++i) {
    const Phase &p = layers->phase[i];
    const int R = unit_rows(p.K), units = units_of(p.N, p.K);
    for (int u = blockIdx.x; u < units; u += gridDim.x, ++j) {
      const int s = int(j % kRingSlots);
      if (j >= unsigned(kRingSlots))
        mbar_wait(&m.empty[s], (j / kRingSlots - 1) & 1u);
      const int rows = min(R, p.N - u * R);
      const unsigned wbytes = unsigned(rows) * (p.K / 2);
      const unsigned sbytes = unsigned(rows) * (p.K / kGroup) * 2;
      mbar_expect_tx(&m.full[s], wbytes + sbytes);
      bulk_copy(m.slot(s), p.w + int64_t(u) * R * (p.K / 2), wbytes, &m.full[s]);
      bulk_copy(m.slot(s) + kScaleOffset, p.s + int64_t(u) * R * (p.K / kGroup), sbytes,
                &m.full[s]);
    }
  }
}

// multiply()'s arithmetic, row by row from a slot: outputs bitwise equal.
template <int K>
__device__ void multiply_unit(const Phase &p, const uint8_t *slot, int row0, int rows,
                              const __half2 *xh) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int r = warp; r < rows; r += kWarps) {
    const uint8_t *codes = slot + r * (K / 2);
    const __half *scales = reinterpret_cast<const __half *>(slot + kScaleOffset) + r * (K / kGroup);
    float acc = 0.f;
#pragma unroll
    for (int i = 0; i < kPerLane<K>; ++i) {
      const int c = lane + 32 * i;
      if (c >= K / 32)
        break;
      const float s = __half2float(scales[c * 32 / kGroup]);
      acc = fmaf(s, chunk_dot(*reinterpret_cast<const uint4 *>(codes + c * 16), xh + c * 16), acc);
    }
#pragma unroll
    for (int o = 16; o; o >>= 1)
      acc += __shfl_xor_sync(0xffffffffu, acc, o);
    if (lane == 0)
      p.y[row0 + r] = acc;
  }
}

// A computing warp's units of one phase: j counts the block's units so far.
template <int K>
__device__ void ring_phase(const Phase &p, const RingSmem &m, unsigned &j) {
  stage_input<K, true>(p, m.in.xs, m.in.xh);
  constexpr int R = unit_rows(K);
  for (int u = blockIdx.x; u < units_of(p.N, K); u += gridDim.x, ++j) {
    const int s = int(j % kRingSlots);
    mbar_wait(&m.full[s], (j / kRingSlots) & 1u);
    multiply_unit<K>(p, m.slot(s), u * R, min(R, p.N - u * R), m.in.xh);
    __syncwarp();
    if (threadIdx.x % 32 == 0)
      mbar_arrive(&m.empty[s]);
  }
  sync_compute<true>(); // the input's shared memory is the next phase's
}

__global__ void __launch_bounds__(kRingThreads) persistent_ring_kernel(const Layers *layers) {
  extern __shared__ __align__(128) uint8_t smem_bytes[];
  RingSmem m(smem_bytes);
  m.init();
  if (threadIdx.x >= kThreads)
    return produce(layers, m, 0, kLayers * 4);
  unsigned j = 0, barriers = 0; // units consumed; grid barriers passed
  for (int i = 0; i < kLayers * 4; ++i) {
    const Phase &p = layers->phase[i];
    if (i > 0)
      grid_barrier<true>(layers->barrier, ++barriers * gridDim.x);
    if (p.K == kHidden)
      ring_phase<kHidden>(p, m, j);
    else
      ring_phase<kInter>(p, m, j);
  }
}

// kernels-pdl-ring: the same ring, one kernel per phase (programmatic
// dependent launch; the producer starts before the wait). A kernel's ring
// holds only its own phase: the next phase's loads start when its blocks get
// an SM, after this kernel's blocks leave.
template <int K>
__global__ void __launch_bounds__(kRingThreads) ring_phase_kernel(const Layers *layers, int i) {
  extern __shared__ __align__(128) uint8_t smem_bytes[];
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
  RingSmem m(smem_bytes);
  m.init();
  if (threadIdx.x >= kThreads)
    return produce(layers, m, i, i + 1);
  asm volatile("griddepcontrol.wait;" ::: "memory");
  unsigned j = 0;
  ring_phase<K>(layers->phase[i], m, j);
}

__global__ void fill_bytes(uint8_t *p, size_t n, uint32_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x) {
    uint32_t h = uint32_t(i) * 2654435761u ^ seed;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    p[i] = uint8_t(h);
  }
}

__global__ void fill_scales(__half *p, size_t n, float base, uint32_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x) {
    const uint32_t h = (uint32_t(i) * 2246822519u) ^ seed;
    p[i] = __float2half(base * (0.75f + 0.5f * float(h >> 8) / 16777216.f));
  }
}

float median(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  char *end = nullptr;
  const long reps = argc > 1 ? std::strtol(argv[1], &end, 10) : 30;
  if (argc > 2 || (argc > 1 && (*end != '\0' || reps < 1 || reps > 10000))) {
    std::fprintf(stderr, "usage: %s [reps]: reps must be a count from 1 to 10000 (got '%s')\n",
                 argv[0], argc > 1 ? argv[1] : "");
    return 2;
  }
  int dev = 0, sms = 0;
  CHECK(cudaGetDevice(&dev));
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, dev));

  // Weights, scales and activations of every layer.
  const int shapes[4][3] = {{kQkv, kHidden, kNorm},
                            {kHidden, kHidden, kPlain},
                            {2 * kInter, kHidden, kNorm},
                            {kHidden, kInter, kSwiglu}};
  size_t weight_bytes = 0;
  Layers host{};
  float *h0 = nullptr, *qkv = nullptr, *o = nullptr, *gu = nullptr, *hs[2] = {nullptr, nullptr};
  CHECK(cudaMalloc(&h0, kHidden * sizeof(float)));
  CHECK(cudaMalloc(&qkv, kQkv * sizeof(float)));
  CHECK(cudaMalloc(&o, kHidden * sizeof(float)));
  CHECK(cudaMalloc(&gu, 2 * kInter * sizeof(float)));
  CHECK(cudaMalloc(&hs[0], kHidden * sizeof(float)));
  CHECK(cudaMalloc(&hs[1], kHidden * sizeof(float)));
  std::vector<float> x0(kHidden);
  for (int k = 0; k < kHidden; ++k)
    x0[k] = std::sin(0.37f * k) + 0.1f;
  CHECK(cudaMemcpy(h0, x0.data(), kHidden * sizeof(float), cudaMemcpyHostToDevice));
  std::vector<void *> buffers;
  for (int l = 0; l < kLayers; ++l) {
    const float *in = l == 0 ? h0 : hs[(l - 1) % 2];
    const float *xs[4] = {in, qkv, o, gu};
    float *ys[4] = {qkv, o, gu, hs[l % 2]};
    for (int i = 0; i < 4; ++i) {
      const int N = shapes[i][0], K = shapes[i][1];
      uint8_t *w = nullptr;
      __half *s = nullptr;
      CHECK(cudaMalloc(&w, size_t(N) * K / 2));
      CHECK(cudaMalloc(&s, size_t(N) * K / kGroup * sizeof(__half)));
      buffers.push_back(w);
      buffers.push_back(s);
      fill_bytes<<<1024, 256>>>(w, size_t(N) * K / 2, 7919u * (4 * l + i) + 1);
      fill_scales<<<256, 256>>>(s, size_t(N) * K / kGroup, 1.f / (4.6f * std::sqrt(float(K))),
                                104729u * (4 * l + i) + 3);
      weight_bytes += size_t(N) * K / 2 + size_t(N) * K / kGroup * sizeof(__half);
      host.phase[4 * l + i] = Phase{w, s, xs[i], ys[i], N, K, shapes[i][2]};
    }
  }
  CHECK(cudaMalloc(&host.barrier, sizeof(unsigned)));
  Layers *dev_layers = nullptr;
  CHECK(cudaMalloc(&dev_layers, sizeof(Layers)));
  CHECK(cudaMemcpy(dev_layers, &host, sizeof(Layers), cudaMemcpyHostToDevice));
  CHECK(cudaDeviceSynchronize());
  const float *final_h = hs[(kLayers - 1) % 2];

  // One grid for every variant: as many blocks as the persistent kernel can
  // keep resident (it must, for its barrier).
  const size_t smem = kInputSmem;
  for (auto fn : {(const void *)persistent_kernel, (const void *)phase_kernel<kHidden, 1>,
                  (const void *)phase_kernel<kInter, 1>, (const void *)phase_kernel<kHidden, 2>,
                  (const void *)phase_kernel<kInter, 2>})
    CHECK(cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  int per_sm = 0;
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, persistent_kernel, kThreads, smem));
  const int grid = sms * per_sm;
  for (auto fn : {(const void *)persistent_ring_kernel, (const void *)ring_phase_kernel<kHidden>,
                  (const void *)ring_phase_kernel<kInter>})
    CHECK(cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, int(kRingSmem)));
  int ring_per_sm = 0;
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&ring_per_sm, persistent_ring_kernel,
                                                      kRingThreads, kRingSmem));
  if (ring_per_sm < 1) {
    std::fprintf(stderr, "persistent-ring: %zu bytes of shared memory do not fit an SM\n",
                 kRingSmem);
    return 1;
  }

  cudaStream_t st;
  CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  // two: the kernels with registers for two blocks per SM, over the same grid
  // (one block per SM when the persistent kernel fits one): a kernel and its
  // successor can then each have a block on every SM.
  auto launch_phases = [&](bool pdl, bool two) {
    for (int i = 0; i < kLayers * 4; ++i) {
      const Phase &p = host.phase[i];
      auto kernel = two ? (p.K == kHidden ? phase_kernel<kHidden, 2> : phase_kernel<kInter, 2>)
                        : (p.K == kHidden ? phase_kernel<kHidden, 1> : phase_kernel<kInter, 1>);
      if (pdl)
        CHECK(attnrt::cuda::dependent_launch::launch_early(kernel, dim3(grid), dim3(kThreads), smem,
                                                           st, p, 1));
      else
        kernel<<<grid, kThreads, smem, st>>>(p, 0);
      CHECK(cudaGetLastError());
    }
  };
  auto capture = [&](auto &&enqueue) {
    cudaGraph_t g;
    cudaGraphExec_t exec;
    CHECK(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal));
    enqueue();
    CHECK(cudaStreamEndCapture(st, &g));
    CHECK(cudaGraphInstantiate(&exec, g, 0));
    CHECK(cudaGraphDestroy(g));
    return exec;
  };
  cudaGraphExec_t pdl_graph = capture([&] { launch_phases(true, false); });
  cudaGraphExec_t plain_graph = capture([&] { launch_phases(false, false); });
  cudaGraphExec_t pdl2_graph = capture([&] { launch_phases(true, true); });
  cudaGraphExec_t ring_graph = capture([&] {
    for (int i = 0; i < kLayers * 4; ++i) {
      auto kernel =
          host.phase[i].K == kHidden ? ring_phase_kernel<kHidden> : ring_phase_kernel<kInter>;
      CHECK(attnrt::cuda::dependent_launch::launch_early(kernel, dim3(sms), dim3(kRingThreads),
                                                         kRingSmem, st, dev_layers, i));
    }
  });
  auto run_persistent = [&] {
    CHECK(cudaMemsetAsync(host.barrier, 0, sizeof(unsigned), st));
    void *args[] = {&dev_layers};
    CHECK(cudaLaunchCooperativeKernel((const void *)persistent_kernel, dim3(grid), dim3(kThreads),
                                      args, smem, st));
  };
  auto run_persistent_ring = [&] {
    CHECK(cudaMemsetAsync(host.barrier, 0, sizeof(unsigned), st));
    void *args[] = {&dev_layers};
    CHECK(cudaLaunchCooperativeKernel((const void *)persistent_ring_kernel, dim3(sms),
                                      dim3(kRingThreads), args, kRingSmem, st));
  };
  uint8_t *copy_a = nullptr, *copy_b = nullptr; // the copy baseline: the same bytes moved
  CHECK(cudaMalloc(&copy_a, weight_bytes / 2));
  CHECK(cudaMalloc(&copy_b, weight_bytes / 2));

  // The variants, in the order they are timed; a row's products are summed
  // in the same order whichever warp computes it, so every variant's
  // output must be bitwise equal.
  const char *names[] = {"copy",          "kernels-pdl",     "kernels",         "persistent",
                         "kernels-pdl-2", "persistent-ring", "kernels-pdl-ring"};
  constexpr int kVariants = 7;
  auto run = [&](int v) {
    if (v == 0)
      CHECK(cudaMemcpyAsync(copy_b, copy_a, weight_bytes / 2, cudaMemcpyDeviceToDevice, st));
    else if (v == 1)
      CHECK(cudaGraphLaunch(pdl_graph, st));
    else if (v == 2)
      CHECK(cudaGraphLaunch(plain_graph, st));
    else if (v == 3)
      run_persistent();
    else if (v == 4)
      CHECK(cudaGraphLaunch(pdl2_graph, st));
    else if (v == 5)
      run_persistent_ring();
    else
      CHECK(cudaGraphLaunch(ring_graph, st));
  };
  std::vector<float> out[kVariants];
  bool finite = true, same = true;
  for (int v = 1; v < kVariants; ++v) {
    run(v);
    CHECK(cudaStreamSynchronize(st));
    out[v].resize(kHidden);
    CHECK(cudaMemcpy(out[v].data(), final_h, kHidden * sizeof(float), cudaMemcpyDeviceToHost));
    for (float x : out[v])
      finite = finite && std::isfinite(x);
    same = same && std::memcmp(out[1].data(), out[v].data(), kHidden * 4) == 0;
  }
  std::printf("%s, %d SMs, grid %d x %d threads (%d per SM; persistent-ring %d x %d, %zu bytes "
              "of shared memory); %d layers, %.1f MB of weights\n",
              prop.name, sms, grid, kThreads, per_sm, sms, kRingThreads, kRingSmem, kLayers,
              weight_bytes / 1e6);
  std::printf("outputs: %s, %s (h[0..2] = %g %g %g)\n", finite ? "finite" : "NOT FINITE",
              same ? "bitwise equal across variants" : "DIFFER across variants", out[1][0],
              out[1][1], out[1][2]);

  // Interleaved repetitions, two dropped.
  cudaEvent_t a, b;
  CHECK(cudaEventCreate(&a));
  CHECK(cudaEventCreate(&b));
  std::vector<float> t[kVariants];
  for (int r = 0; r < reps + 2; ++r) {
    for (int v = 0; v < kVariants; ++v) {
      CHECK(cudaEventRecord(a, st));
      run(v);
      CHECK(cudaEventRecord(b, st));
      CHECK(cudaEventSynchronize(b));
      float ms = 0.f;
      CHECK(cudaEventElapsedTime(&ms, a, b));
      if (r >= 2)
        t[v].push_back(ms * 1000.f);
    }
  }
  // The copy reads and writes weight_bytes / 2 each: its rate is over both.
  const float copy_us = median(t[0]), copy_tbs = weight_bytes / (copy_us * 1e6f);
  std::printf("device-to-device copy of %.1f MB (read + write): %.1f us, %.2f TB/s\n",
              weight_bytes / 1e6, copy_us, copy_tbs);
  const float pdl_us = median(t[1]);
  for (int v = 1; v < kVariants; ++v) {
    const float us = median(t[v]);
    std::printf("%-14s %8.1f us, %6.2f us per layer, %5.2f TB/s of weights (%3.0f%% of the "
                "copy); vs kernels-pdl %+6.2f us per phase boundary\n",
                names[v], us, us / kLayers, weight_bytes / (us * 1e6f), 100.f * copy_us / us,
                (us - pdl_us) / (kLayers * 4 - 1));
  }
  return finite && same ? 0 : 1;
}
