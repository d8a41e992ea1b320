#include "runtime/cpu/Linear.h"

#include <cblas.h>

#include <algorithm>
#include <mutex>

namespace attnrt::cpu {

namespace {
// Output columns per BLAS call. Fixed (never derived from the thread count)
// so that every column is computed by the same call shape whatever the pool
// size. Measured on a 16-core Xeon (H100 host, 2026-11-26, N = K = 4096,
// attnrt-cpu-kernel-bench): with 16 threads, 64- to 256-column blocks match
// or beat one whole-matrix OpenBLAS call on 16 OpenBLAS threads (T = 128:
// 202-207 vs 209 GFLOP/s; T = 512: 217-218 vs 222; T = 16: 157-167 vs 116),
// while 1024-column blocks starve threads (4 blocks: 59 GFLOP/s). 128 keeps
// 32 blocks for N = 4096, enough for 32-core machines.
constexpr int64_t kDecodeColumnBlock = 64;
constexpr int64_t kPrefillColumnBlock = 128;
// Up to this many rows (batched decode), one sgemv per row over a column
// block beats sgemm, whose packing dominates with so few rows: the block's
// weights stay in L2 between the rows. Measured on the AMD EPYC dev box
// (bench/linear_small_t.cpp, 2026-11-26, 1 thread): 2 rows 16.8 ms as per-row
// calls vs 23.8 ms through sgemm.
constexpr int64_t kRowwiseMaxRows = 4;

attnrt_cpu_linear_observer linearObserver = nullptr;
void *linearObserverUser = nullptr;
} // namespace

void configure_blas_threads() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

void observe_linear_input(const float *x, int64_t num_tokens, int64_t in_features,
                          const void *weight, int64_t out_features) {
  if (linearObserver)
    linearObserver(linearObserverUser, x, num_tokens, in_features,
                   static_cast<const float *>(weight), out_features);
}

void linear(ThreadPool &pool, const float *x, int64_t num_tokens, int64_t in_features,
            const float *weight, const float *bias, int64_t out_features, float *y) {
  configure_blas_threads();
  if (num_tokens <= 0 || out_features <= 0)
    return;
  observe_linear_input(x, num_tokens, in_features, weight, out_features);
  const int64_t T = num_tokens, K = in_features, N = out_features;
  const bool rowwise = T <= kRowwiseMaxRows;
  const int64_t block = rowwise ? kDecodeColumnBlock : kPrefillColumnBlock;
  const int64_t num_blocks = (N + block - 1) / block;
  pool.parallel_for(0, num_blocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t b = first; b < last; ++b) {
      const int64_t n0 = b * block;
      const int64_t nb = std::min(block, N - n0);
      const float *w = weight + n0 * K;
      if (rowwise) {
        // Decode: sgemv, measured 1.5-2.5x faster than sgemm with M = 1 in
        // OpenBLAS 0.3.21 (4096x4096, one thread: 6.3-6.9 ms vs 11.9-16.5 ms
        // on the Xeon above; 5.0 vs 31 ms on the AMD EPYC dev box).
        // y[t, n0:n0+nb] = W[n0:n0+nb, :] · x[t]
        for (int64_t t = 0; t < T; ++t)
          cblas_sgemv(CblasRowMajor, CblasNoTrans, nb, K, 1.0f, w, K, x + t * K, 1, 0.0f,
                      y + t * N + n0, 1);
      } else {
        // y[:, n0:n0+nb] = x · W[n0:n0+nb, :]ᵀ
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, nb, K, 1.0f, x, K, w, K, 0.0f,
                    y + n0, N);
      }
      if (bias) {
        for (int64_t t = 0; t < T; ++t) {
          float *row = y + t * N + n0;
          for (int64_t n = 0; n < nb; ++n)
            row[n] += bias[n0 + n];
        }
      }
    }
  });
}

} // namespace attnrt::cpu

extern "C" __attribute__((visibility("default"))) void
attnrt_cpu_observe_linears(attnrt_cpu_linear_observer observer, void *user) {
  attnrt::cpu::linearObserverUser = user;
  attnrt::cpu::linearObserver = observer;
}
