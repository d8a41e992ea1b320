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

// Calibration (`attnc calibrate`): while an observer is installed, every
// linear() and quantized_linear() call first hands it its input and weight
// (a quantized linear's packed values), on the calling thread.
// The library is linked statically into each libmodel.so, so a tool reaches
// the model's copy through dlsym on the model's handle (C linkage, exported).
extern "C" {
typedef void (*attnrt_cpu_linear_observer)(void *user, const float *x, int64_t num_tokens,
                                           int64_t in_features, const float *weight,
                                           int64_t out_features);
// Installs `observer` (nullptr: none). Not thread-safe against running steps.
void attnrt_cpu_observe_linears(attnrt_cpu_linear_observer observer, void *user);
}

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

// Hands a linear's input to the installed observer, if any (linear() and
// quantized_linear() call it first). weight: the address of its weights in
// weights.bin, which names the linear.
void observe_linear_input(const float *x, int64_t num_tokens, int64_t in_features,
                          const void *weight, int64_t out_features);

} // namespace attnrt::cpu

#endif // ATTNC_RUNTIME_CPU_LINEAR_H
