// The activations of the step kernels (ATTNC_CUDA_ACT_* of StepKernels.h),
// in f32, with the formulas of the CPU kernels (runtime/cpu/Elementwise.h):
// activate<Act> where the kind is a template argument (the activation and
// gated-activation kernels), activate(act, x) where it is known at run time
// only (the quantized linears' gated output and staged input).
#ifndef ATTNC_RUNTIME_CUDA_ACTIVATION_CUH
#define ATTNC_RUNTIME_CUDA_ACTIVATION_CUH

#include "StepKernels.h"

namespace attnrt::cuda {

template <int Act> __device__ __forceinline__ float activate(float x) {
  if constexpr (Act == ATTNC_CUDA_ACT_SILU) {
    return x / (1.0f + expf(-x));
  } else if constexpr (Act == ATTNC_CUDA_ACT_GELU) {
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  } else if constexpr (Act == ATTNC_CUDA_ACT_GELU_TANH) {
    constexpr float kSqrt2OverPi = 0.79788456080286536f;
    return 0.5f * x * (1.0f + tanhf(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
  } else {
    return x > 0.0f ? x : 0.0f;
  }
}

__device__ __forceinline__ float activate(int act, float x) {
  switch (act) {
  case ATTNC_CUDA_ACT_SILU:
    return activate<ATTNC_CUDA_ACT_SILU>(x);
  case ATTNC_CUDA_ACT_GELU:
    return activate<ATTNC_CUDA_ACT_GELU>(x);
  case ATTNC_CUDA_ACT_GELU_TANH:
    return activate<ATTNC_CUDA_ACT_GELU_TANH>(x);
  default:
    return activate<ATTNC_CUDA_ACT_RELU>(x);
  }
}

} // namespace attnrt::cuda

#endif // ATTNC_RUNTIME_CUDA_ACTIVATION_CUH
