// The C API's dtype code (StepKernels.h ATTNC_CUDA_F16 / _BF16 / _F32) of a
// CUDA storage type, for the C++ wrappers (Step.h) and the kernels that call
// other entry points of the library (QuantLinear.cu's prefill path).
#ifndef ATTNC_RUNTIME_CUDA_STORAGETYPE_H
#define ATTNC_RUNTIME_CUDA_STORAGETYPE_H

#include "StepKernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

namespace attnrt::cuda::detail {

template <typename T> constexpr int32_t dtype_of() {
  static_assert(std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16> ||
                    std::is_same_v<T, float>,
                "CUDA kernels take __half, __nv_bfloat16 or float");
  return std::is_same_v<T, __half>          ? ATTNC_CUDA_F16
         : std::is_same_v<T, __nv_bfloat16> ? ATTNC_CUDA_BF16
                                            : ATTNC_CUDA_F32;
}

} // namespace attnrt::cuda::detail

#endif // ATTNC_RUNTIME_CUDA_STORAGETYPE_H
