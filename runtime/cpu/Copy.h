// Data movement between activation buffers: the per-token Split / Slice
// outputs of fused projections and the selection of the rows whose logits the
// runtime wants. Rows are independent, so they go to the thread pool.
#ifndef ATTNC_RUNTIME_CPU_COPY_H
#define ATTNC_RUNTIME_CPU_COPY_H

#include "runtime/cpu/ThreadPool.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace attnrt::cpu {

// dst[r, 0:width] = src[r, 0:width] for r < rows, with row strides in
// elements (a strided 2-D copy: one output of a split along any axis).
template <typename T>
void copy_rows(ThreadPool &pool, const T *src, int64_t src_stride, T *dst, int64_t dst_stride,
               int64_t rows, int64_t width) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, width));
  pool.parallel_for(0, rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      std::memcpy(dst + r * dst_stride, src + r * src_stride, sizeof(T) * width);
  });
}

// dst[i, :] = src[index[i], :] for i < count (rows of `width` elements).
// Returns false, writing nothing, when an index is outside [0, src_rows).
template <typename T>
bool gather_rows(ThreadPool &pool, const T *src, int64_t src_rows, const int32_t *index,
                 int64_t count, int64_t width, T *dst) {
  for (int64_t i = 0; i < count; ++i)
    if (index[i] < 0 || index[i] >= src_rows)
      return false;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, width));
  pool.parallel_for(0, count, grain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      std::memcpy(dst + i * width, src + int64_t(index[i]) * width, sizeof(T) * width);
  });
  return true;
}

// dst[0:n] = src[0:n] (a value the next op rewrites in place, e.g. RoPE).
template <typename T> void copy(ThreadPool &pool, T *dst, const T *src, int64_t n) {
  pool.parallel_for(0, n, 1 << 16, [&](int64_t i0, int64_t i1) {
    std::memcpy(dst + i0, src + i0, sizeof(T) * (i1 - i0));
  });
}

// The step's logits into the runtime's float32 buffer.
template <typename T>
void copy_logits(ThreadPool &pool, float *logits, const T *src, int64_t n) {
  pool.parallel_for(0, n, 1 << 16, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      logits[i] = static_cast<float>(src[i]);
  });
}

} // namespace attnrt::cpu

#endif // ATTNC_RUNTIME_CPU_COPY_H
