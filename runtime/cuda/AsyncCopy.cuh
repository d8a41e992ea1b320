// cp.async (sm_80+) helpers shared by the kernels of runtime/cuda: global ->
// shared copies that run while the threads compute, committed in groups and
// waited for by how many groups may stay in flight.
#ifndef ATTNC_RUNTIME_CUDA_ASYNC_COPY_CUH
#define ATTNC_RUNTIME_CUDA_ASYNC_COPY_CUH

#include <cstdint>

namespace attnrt::cuda::async_copy {

// 16 bytes; when !valid nothing is read and the destination is zeroed.
// keep_in_l1: cache the source in L1 too (.ca) for data other threads of the
// block read again; otherwise L2 only (.cg), for data read once.
__device__ __forceinline__ void copy16(void *smem, const void *gmem, bool valid,
                                       bool keep_in_l1 = false) {
  const uint32_t s = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  const int n = valid ? 16 : 0;
  if (keep_in_l1)
    asm volatile("cp.async.ca.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(n));
  else
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(n));
}
// 4 bytes (through L1: .cg takes only 16-byte copies).
__device__ __forceinline__ void copy4(void *smem, const void *gmem, bool valid) {
  const uint32_t s = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(s), "l"(gmem),
               "r"(valid ? 4 : 0));
}
// The first n (0..4) bytes of an aligned 4-byte word, the rest zeroed: for
// byte arrays whose last word may be partial.
__device__ __forceinline__ void copy_bytes4(void *smem, const void *gmem, int n) {
  const uint32_t s = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(s), "l"(gmem), "r"(n));
}
__device__ __forceinline__ void commit() { asm volatile("cp.async.commit_group;\n"); }
template <int Pending> __device__ __forceinline__ void wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));
}

} // namespace attnrt::cuda::async_copy

#endif // ATTNC_RUNTIME_CUDA_ASYNC_COPY_CUH
