#include "runtime/cpu/QuantLinear.h"

#include "runtime/cpu/Linear.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

namespace attnrt::cpu::qlinear {

namespace {
// Output columns per task, as linear() uses for prefill: fixed, so results do
// not depend on the thread count.
constexpr int64_t kColumnBlock = 128;
// K per dequantized tile: 128 x 512 floats = 256 KiB, within L2, and a
// multiple of every group size. sgemm accumulates over the chunks (beta 1).
constexpr int64_t kKChunk = 512;
} // namespace

void dequantized_sgemm(ThreadPool &pool, const float *x, int64_t num_tokens, int64_t in_features,
                       const void *weights, DequantizeRowFn dequantize_row, int64_t k_align,
                       const float *bias, int64_t out_features, float *y) {
  configure_blas_threads();
  const int64_t T = num_tokens, K = in_features, N = out_features;
  const int64_t k_chunk = std::max<int64_t>(k_align, kKChunk / k_align * k_align);
  const int64_t num_blocks = (N + kColumnBlock - 1) / kColumnBlock;
  pool.parallel_for(0, num_blocks, 1, [&](int64_t first, int64_t last) {
    // Reused across calls: a fresh 256 KiB allocation per block would be
    // mmap'ed and page-faulted every time.
    thread_local std::vector<float> tile;
    // Rows padded to whole vectors: dequantize() may write up to kQVec - 1
    // floats past a row's end.
    const int64_t ld = (std::min(k_chunk, K) + 15) / 16 * 16;
    if (tile.size() < size_t(kColumnBlock * ld))
      tile.resize(size_t(kColumnBlock * ld));
    for (int64_t b = first; b < last; ++b) {
      const int64_t n0 = b * kColumnBlock;
      const int64_t nb = std::min(kColumnBlock, N - n0);
      for (int64_t k0 = 0; k0 < K; k0 += k_chunk) {
        const int64_t kc = std::min(k_chunk, K - k0);
        for (int64_t r = 0; r < nb; ++r)
          dequantize_row(weights, n0 + r, k0, kc, tile.data() + r * ld);
        // y[:, n0:n0+nb] (+)= x[:, k0:k0+kc] · tileᵀ
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, nb, kc, 1.0f, x + k0, K,
                    tile.data(), ld, k0 == 0 ? 0.0f : 1.0f, y + n0, N);
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

} // namespace attnrt::cpu::qlinear
