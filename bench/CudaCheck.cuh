// CHECK(call): a CUDA runtime call that must succeed; on failure the
// micro-benchmarks print where and why and exit 1.
#ifndef ATTNC_BENCH_CUDA_CHECK_CUH
#define ATTNC_BENCH_CUDA_CHECK_CUH

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>

#define CHECK(call)                                                                                \
  do {                                                                                             \
    cudaError_t e_ = (call);                                                                       \
    if (e_ != cudaSuccess) {                                                                       \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_));  \
      std::exit(1);                                                                                \
    }                                                                                              \
  } while (0)

#endif
