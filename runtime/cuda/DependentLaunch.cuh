// Programmatic dependent launch (sm_90+) for the kernels of a decode step.
//
// A kernel launched with launch_early() may start while the kernel before it
// in the stream is still running, as soon as every block of that kernel has
// called allow_dependents() (or exited). It must call wait_for_producers()
// before it touches any memory an earlier kernel writes or reads: the wait
// returns when the earlier grids have completed and their writes are
// visible. What it may do before the wait is read memory no kernel of the
// step writes: weights (the weight-streaming linears issue their first
// weight loads there, so a layer's weight bytes are in flight while the
// norm, activation or attention before it runs), the step's inputs copied
// before its first kernel, and the keys of earlier steps (attention loads
// them there).
//
// Every early-launched kernel waits unconditionally, so its completion still
// implies its producers' (the order a later kernel relies on is transitive).
// On devices before sm_90, or with ATTNC_CUDA_PDL=0 in the environment,
// launch_early() is an ordinary launch and the device calls are no-ops.
#ifndef ATTNC_RUNTIME_CUDA_DEPENDENT_LAUNCH_CUH
#define ATTNC_RUNTIME_CUDA_DEPENDENT_LAUNCH_CUH

#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>

namespace attnrt::cuda::dependent_launch {

// Lets the next kernel of the stream, if launched early, start its blocks.
__device__ __forceinline__ void allow_dependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Waits for the kernels before this one (no-op when launched normally).
__device__ __forceinline__ void wait_for_producers() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

// The start of a kernel that reads nothing before its producers are done:
// lets the next kernel launch, then waits.
__device__ __forceinline__ void begin() {
  allow_dependents();
  wait_for_producers();
}

// Whether early launches are used: compute capability 9.0+ on the current
// device and not disabled by ATTNC_CUDA_PDL=0. Read once per process.
inline bool enabled() {
  static const bool on = [] {
    const char *env = std::getenv("ATTNC_CUDA_PDL");
    if (env && std::strcmp(env, "0") == 0)
      return false;
    int dev = 0, major = 0;
    return cudaGetDevice(&dev) == cudaSuccess &&
           cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) ==
               cudaSuccess &&
           major >= 9;
  }();
  return on;
}

// kernel<<<grid, block, smem, stream>>>(args...), allowed to start before
// the previous kernel of the stream completes (see above). Returns the
// launch's status.
template <typename... Params, typename... Args>
cudaError_t launch_early(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem,
                         cudaStream_t stream, Args &&...args) {
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  cudaLaunchAttribute attribute[1];
  attribute[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute[0].val.programmaticStreamSerializationAllowed = 1;
  config.attrs = attribute;
  config.numAttrs = enabled() ? 1 : 0;
  return cudaLaunchKernelEx(&config, kernel, static_cast<Params>(args)...);
}

} // namespace attnrt::cuda::dependent_launch

#endif // ATTNC_RUNTIME_CUDA_DEPENDENT_LAUNCH_CUH
