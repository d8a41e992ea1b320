// Dense linear layer on cuBLASLt (C API in StepKernels.h):
//   y[T, N] = x[T, K] . W^T (+ bias),  W [N, K] row-major.
// In cuBLASLt's column-major terms this is D[N, T] = op_T(A[K, N]) . B[K, T]
// with A = W (ld K), B = x (ld K), D = y (ld N), so no data is transposed; the
// bias (length N = rows of D) is added by the BIAS epilogue. f16/bf16/f32 in
// and out, f32 compute: CUBLAS_COMPUTE_32F, which for f32 operands is exact
// f32 (TF32 only with CUBLAS_COMPUTE_32F_FAST_TF32, never asked for here: the
// f32 models are checked against onnxruntime in f32). The handle and a
// workspace are created once per context (the quantized linears' prefill
// shares one context per device and brings its own workspace:
// SharedLinear.h); descriptors and the heuristic's first algorithm are cached
// per (dtype, shape, bias, pointer alignment).
#include "SharedLinear.h"
#include "StepKernels.h"

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

namespace {

struct LinearPlan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
};

// dtype, T, K, N, bias, and the alignments of x, W, y and the residual (0: none).
using LinearKey = std::tuple<int, int, int, int, int, int, int, int, int>;

unsigned alignment(const void *p) {
  const uintptr_t v = reinterpret_cast<uintptr_t>(p);
  unsigned a = 256;
  while (a > 1 && (v % a) != 0)
    a >>= 1;
  return a;
}

int fail_lt(char *error, size_t error_len, const char *what, cublasStatus_t st) {
  if (error && error_len)
    std::snprintf(error, error_len, "linear: %s: %s", what, cublasLtGetStatusString(st));
  return 1;
}

int gemm(attnc_cuda_linear_ctx *ctx, int32_t dtype, const void *x, int T, int K,
         const void *weight, const void *bias, int N, void *y, const void *residual,
         cudaStream_t stream, void *workspace, char *error, size_t error_len);

} // namespace

struct attnc_cuda_linear_ctx {
  cublasLtHandle_t handle = nullptr;
  void *workspace = nullptr;  // nullptr in the shared contexts (SharedLinear.h)
  size_t workspace_bytes = 0; // what the plans were chosen for
  std::mutex plans_lock;      // the shared contexts serve every thread
  std::map<LinearKey, LinearPlan> plans;
  int32_t gemv_max_tokens = ATTNC_CUDA_GEMV_MAX_TOKENS;
};

extern "C" void attnc_cuda_linear_set_gemv(attnc_cuda_linear_ctx *ctx, int32_t max_tokens) {
  if (ctx)
    ctx->gemv_max_tokens = max_tokens;
}

extern "C" int attnc_cuda_linear_create(size_t workspace_bytes, attnc_cuda_linear_ctx **out,
                                        char *error, size_t error_len) {
  auto *ctx = new attnc_cuda_linear_ctx;
  ctx->workspace_bytes = workspace_bytes ? workspace_bytes : (32u << 20);
  const cublasStatus_t st = cublasLtCreate(&ctx->handle);
  if (st != CUBLAS_STATUS_SUCCESS) {
    delete ctx;
    return fail_lt(error, error_len, "cublasLtCreate", st);
  }
  if (cudaMalloc(&ctx->workspace, ctx->workspace_bytes) != cudaSuccess) {
    cublasLtDestroy(ctx->handle);
    delete ctx;
    if (error && error_len)
      std::snprintf(error, error_len, "linear: workspace allocation failed");
    return 1;
  }
  *out = ctx;
  return 0;
}

extern "C" void attnc_cuda_linear_destroy(attnc_cuda_linear_ctx *ctx) {
  if (!ctx)
    return;
  for (auto &kv : ctx->plans) {
    cublasLtMatrixLayoutDestroy(kv.second.a);
    cublasLtMatrixLayoutDestroy(kv.second.b);
    cublasLtMatrixLayoutDestroy(kv.second.d);
    cublasLtMatmulDescDestroy(kv.second.desc);
  }
  cudaFree(ctx->workspace);
  cublasLtDestroy(ctx->handle);
  delete ctx;
}

extern "C" int attnc_cuda_linear(attnc_cuda_linear_ctx *ctx, int32_t dtype, const void *x,
                                 int32_t num_tokens, int32_t in_features, const void *weight,
                                 const void *bias, int32_t out_features, void *y, void *stream,
                                 char *error, size_t error_len) {
  if (!ctx || (dtype != ATTNC_CUDA_F16 && dtype != ATTNC_CUDA_BF16 && dtype != ATTNC_CUDA_F32) ||
      in_features < 1 ||
      out_features < 1 || num_tokens < 0) {
    if (error && error_len)
      std::snprintf(error, error_len, "linear: bad arguments");
    return 1;
  }
  if (num_tokens == 0)
    return 0;
  // Decode, when enabled (attnc_cuda_linear_set_gemv): the tensor-core GEMV
  // streams large weights faster than cuBLASLt's GEMV-shaped kernels.
  if (num_tokens <= ctx->gemv_max_tokens && dtype != ATTNC_CUDA_F32 && in_features % 8 == 0 &&
      alignment(x) >= 16 && alignment(weight) >= 16)
    return attnc_cuda_gemv(dtype, x, num_tokens, in_features, weight, bias, out_features, y,
                           stream, error, error_len);
  return gemm(ctx, dtype, x, num_tokens, in_features, weight, bias, out_features, y, nullptr,
              static_cast<cudaStream_t>(stream), ctx->workspace, error, error_len);
}

namespace {

// The cuBLASLt product of attnc_cuda_linear (arguments checked, T >= 1) on
// `workspace` (ctx->workspace_bytes); with a residual [T, N], y = x . W^T +
// bias + residual in one pass (beta = 1: the sum rounded once, in the
// epilogue).
int gemm(attnc_cuda_linear_ctx *ctx, int32_t dtype, const void *x, int T, int K,
         const void *weight, const void *bias, int N, void *y, const void *residual,
         cudaStream_t stream, void *workspace, char *error, size_t error_len) {
  const unsigned al_x = alignment(x), al_w = alignment(weight), al_y = alignment(y);
  const unsigned al_c = residual ? alignment(residual) : 0;
  const LinearKey key{dtype, T, K, N, bias != nullptr, static_cast<int>(al_x),
                      static_cast<int>(al_w), static_cast<int>(al_y), static_cast<int>(al_c)};
  std::unique_lock<std::mutex> hold(ctx->plans_lock);
  auto it = ctx->plans.find(key);
  cublasStatus_t st;
  if (it == ctx->plans.end()) {
    const cudaDataType_t ty = dtype == ATTNC_CUDA_F16    ? CUDA_R_16F
                              : dtype == ATTNC_CUDA_BF16 ? CUDA_R_16BF
                                                         : CUDA_R_32F;
    LinearPlan p;
    st = cublasLtMatmulDescCreate(&p.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F);
    if (st != CUBLAS_STATUS_SUCCESS)
      return fail_lt(error, error_len, "MatmulDescCreate", st);
    const cublasOperation_t opT = CUBLAS_OP_T, opN = CUBLAS_OP_N;
    cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSA, &opT, sizeof(opT));
    cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSB, &opN, sizeof(opN));
    if (bias) {
      const cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
      cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof(epi));
      cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &ty, sizeof(ty));
      cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias,
                                     sizeof(bias));
    }
    cublasLtMatrixLayoutCreate(&p.a, ty, K, N, K);
    cublasLtMatrixLayoutCreate(&p.b, ty, K, T, K);
    cublasLtMatrixLayoutCreate(&p.d, ty, N, T, N);
    cublasLtMatmulPreference_t pref;
    cublasLtMatmulPreferenceCreate(&pref);
    uint64_t ws = ctx->workspace_bytes;
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                         sizeof(ws));
    const uint32_t aa = al_w, ab = al_x, ad = al_y, ac = residual ? al_c : al_y;
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &aa,
                                         sizeof(aa));
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &ab,
                                         sizeof(ab));
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &ac,
                                         sizeof(ac));
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &ad,
                                         sizeof(ad));
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    st = cublasLtMatmulAlgoGetHeuristic(ctx->handle, p.desc, p.a, p.b, p.d, p.d, pref, 1, &result,
                                        &found);
    cublasLtMatmulPreferenceDestroy(pref);
    if (st != CUBLAS_STATUS_SUCCESS || found == 0) {
      cublasLtMatrixLayoutDestroy(p.a);
      cublasLtMatrixLayoutDestroy(p.b);
      cublasLtMatrixLayoutDestroy(p.d);
      cublasLtMatmulDescDestroy(p.desc);
      return fail_lt(error, error_len, "no algorithm for this shape",
                     st != CUBLAS_STATUS_SUCCESS ? st : CUBLAS_STATUS_NOT_SUPPORTED);
    }
    p.algo = result.algo;
    it = ctx->plans.emplace(key, p).first;
  }
  LinearPlan &p = it->second;
  // The bias pointer lives in the plan's descriptor: set and used under the lock.
  if (bias)
    cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias));
  const float alpha = 1.0f, beta = residual ? 1.0f : 0.0f;
  st = cublasLtMatmul(ctx->handle, p.desc, &alpha, weight, p.a, x, p.b, &beta,
                      residual ? residual : y, p.d, y, p.d, &p.algo, workspace,
                      ctx->workspace_bytes, stream);
  if (st != CUBLAS_STATUS_SUCCESS)
    return fail_lt(error, error_len, "cublasLtMatmul", st);
  return 0;
}

} // namespace

namespace attnrt::cuda {

int shared_linear(int32_t dtype, const void *x, int num_tokens, int K, const void *weight,
                  const void *bias, const void *residual, int N, void *y, cudaStream_t stream,
                  void *workspace, char *error, size_t error_len) {
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) {
    cudaGetLastError();
    if (error && error_len)
      std::snprintf(error, error_len, "linear: no current device");
    return 1;
  }
  // Created on first use, kept for the process (a handle and its plans).
  static std::mutex lock;
  static std::map<int, std::unique_ptr<attnc_cuda_linear_ctx>> contexts;
  attnc_cuda_linear_ctx *ctx;
  {
    std::lock_guard<std::mutex> hold(lock);
    auto &slot = contexts[device];
    if (!slot) {
      auto fresh = std::make_unique<attnc_cuda_linear_ctx>();
      fresh->workspace_bytes = kSharedLinearWorkspace;
      const cublasStatus_t st = cublasLtCreate(&fresh->handle);
      if (st != CUBLAS_STATUS_SUCCESS) {
        contexts.erase(device);
        return fail_lt(error, error_len, "cublasLtCreate", st);
      }
      slot = std::move(fresh);
    }
    ctx = slot.get();
  }
  return gemm(ctx, dtype, x, num_tokens, K, weight, bias, N, y, residual, stream, workspace,
              error, error_len);
}

} // namespace attnrt::cuda
