// Dense linear layer on OpenBLAS: y[T, N] = x[T, K] · Wᵀ (+ bias).
//
// Threading: OpenBLAS is switched to one thread (process-wide, once) and the
// model's ThreadPool splits the N output columns into fixed-width column
// blocks, one BLAS call each. One pool per model instance then owns all
// threads (no OpenBLAS pool competing with ours), and since the block width
// does not depend on the thread count, results are bitwise identical for 1 or
// N threads. A service that also calls OpenBLAS itself gets single-threaded
// OpenBLAS; that is the price of not oversubscribing cores.
#ifndef ATTNC_RUNTIME_CPU_LINEAR_H
#define ATTNC_RUNTIME_CPU_LINEAR_H

#include "runtime/cpu/ThreadPool.h"

#include <cstdint>

namespace attnrt::cpu {

// x: [num_tokens, in_features] row-major.
// weight: [out_features, in_features] row-major ("out_in"; the packer
//   transposes other layouts at pack time).
// bias: [out_features] or nullptr.
// y: [num_tokens, out_features] row-major; must not alias x.
// Up to 4 tokens (decode) use one sgemv per token, larger batches sgemm (see Linear.cpp
// for the measurement behind that choice).
void linear(ThreadPool &pool, const float *x, int64_t num_tokens, int64_t in_features,
            const float *weight, const float *bias, int64_t out_features, float *y);

// Switches OpenBLAS to single-threaded mode. linear() calls it on first use;
// exposed so that model creation can do it up front.
void configure_blas_threads();

} // namespace attnrt::cpu

#endif // ATTNC_RUNTIME_CPU_LINEAR_H
