// attnc_cuda_linear's cuBLASLt GEMM for kernels that have no Context of their
// own (the quantized linears' prefill: QuantLinear.cu dequantizes the weights
// into a stream-ordered buffer and multiplies them here). One cuBLASLt
// context per device, its plans shared under a lock; the workspace is the
// caller's (kSharedLinearWorkspace bytes, allocated on the call's stream), so
// that calls on different streams never share one.
#ifndef ATTNC_RUNTIME_CUDA_SHAREDLINEAR_H
#define ATTNC_RUNTIME_CUDA_SHAREDLINEAR_H

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace attnrt::cuda {

constexpr size_t kSharedLinearWorkspace = size_t(32) << 20;

// y[T, N] = x[T, K] . W^T (+ bias) (+ residual[T, N]) as
// attnc_cuda_linear computes it without its GEMV dispatch, the residual
// added in cuBLASLt's epilogue (beta = 1); workspace: kSharedLinearWorkspace
// bytes, 256-byte aligned.
int shared_linear(int32_t dtype, const void *x, int num_tokens, int K, const void *weight,
                  const void *bias, const void *residual, int N, void *y, cudaStream_t stream,
                  void *workspace, char *error, size_t error_len);

} // namespace attnrt::cuda

#endif // ATTNC_RUNTIME_CUDA_SHAREDLINEAR_H
