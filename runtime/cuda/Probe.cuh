// Per-block timestamps inside the decode kernels, for measurement builds
// only (compiled with -DATTNC_CUDA_PROBE=1; otherwise every call is empty).
//
// A kernel traced by CUPTI (bench/kernel_trace.cpp) shows when it started
// and ended, not what its blocks did in between: when each block started,
// when its wait for the producers returned, when its main loop and its
// epilogue ended. A probed kernel records that per block (thread 0; the
// GPU's global timer in ns plus the SM's clock) into a device buffer (its
// launchers call point_here first); the library writes the records to
// $ATTNC_PROBE_OUT at process exit
// (bench/probe_timeline.py reads them). `site` names the launch: the weight
// pointer of a linear, the cache of an attention layer, so that the records
// of one graph node share it across replays.
#ifndef ATTNC_RUNTIME_CUDA_PROBE_CUH
#define ATTNC_RUNTIME_CUDA_PROBE_CUH

#include <cuda_runtime.h>

#include <cstdint>

#ifndef ATTNC_CUDA_PROBE
#define ATTNC_CUDA_PROBE 0
#endif

namespace attnrt::cuda::probe {

enum Kind : uint32_t { kLinear = 1, kAttention = 2 };
constexpr int kMarks = 4; // start, producers done, main loop done, end

struct Record {
  uint64_t site;
  uint32_t kind, block, smid;
  uint32_t size; // a linear: its output rows N; attention: the block's keys
  uint64_t ns[kMarks];    // %globaltimer
  uint64_t clock[kMarks]; // clock64 of the block's SM
};

#if ATTNC_CUDA_PROBE
constexpr uint32_t kCapacity = 1u << 21; // 2M records, 176 MiB

struct Buffer {
  unsigned long long count; // records written (may pass kCapacity: the rest are dropped)
  unsigned long long pad;
  Record records[kCapacity];
};

// The process's buffer (Probe.cu): allocated on first use, written to
// $ATTNC_PROBE_OUT at exit.
Buffer *shared_buffer();

namespace {
// Without relocatable device code each translation unit has its own copy of
// a __device__ variable: every unit that probes points its copy at the
// shared buffer from its launchers (point_here), on the first call outside a
// stream capture (a synchronous copy would break the capture).
__device__ Buffer *g_buffer = nullptr;
inline void point_here(cudaStream_t stream) {
  static bool done = false;
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  if (done || cudaStreamIsCapturing(stream, &capture) != cudaSuccess ||
      capture != cudaStreamCaptureStatusNone)
    return;
  Buffer *b = shared_buffer();
  done = !b || cudaMemcpyToSymbol(g_buffer, &b, sizeof b) == cudaSuccess;
  cudaGetLastError();
}
} // namespace

struct Marks {
  uint64_t ns[kMarks] = {0, 0, 0, 0}, clock[kMarks] = {0, 0, 0, 0};
  __device__ __forceinline__ void mark(int i) {
    if (threadIdx.x == 0) {
      uint64_t t;
      asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
      ns[i] = t;
      clock[i] = clock64();
    }
  }
  __device__ __forceinline__ void write(Kind kind, const void *site, uint32_t block,
                                        uint32_t size) {
    Buffer *b = g_buffer;
    if (threadIdx.x != 0 || !b)
      return;
    const unsigned long long at = atomicAdd(&b->count, 1ull);
    if (at >= kCapacity)
      return;
    Record &r = b->records[at];
    r.site = reinterpret_cast<uint64_t>(site);
    r.kind = kind;
    r.block = block;
    uint32_t smid;
    asm volatile("mov.u32 %0, %%smid;" : "=r"(smid));
    r.smid = smid;
    r.size = size;
    for (int i = 0; i < kMarks; ++i)
      r.ns[i] = ns[i], r.clock[i] = clock[i];
  }
};
#else
inline void point_here(cudaStream_t) {}
struct Marks {
  __device__ __forceinline__ void mark(int) {}
  __device__ __forceinline__ void write(Kind, const void *, uint32_t, uint32_t) {}
};
#endif

} // namespace attnrt::cuda::probe

#endif // ATTNC_RUNTIME_CUDA_PROBE_CUH
