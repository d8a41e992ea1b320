// KV append on the GPU: writes the step's keys and values into their cache
// pages (runtime/ModelABI.h layout): in the model dtype one thread per
// 16-byte chunk; into a quantized cache (runtime/QuantizedKV.h) one warp per
// (token, kv head) row of K or of V (amax, scale, codes). Same contract as
// runtime/cpu/PagedKV.h kv_append: the pages of the written positions must
// be allocated (not -1).
#include "Attention.h"
#include "DependentLaunch.cuh"
#include "KVQuant.cuh"

#include <cuda_runtime.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>

namespace {

namespace dependent_launch = attnrt::cuda::dependent_launch;

__global__ void kv_append_kernel(const uint4 *__restrict__ key, const uint4 *__restrict__ value,
                                 int32_t num_tokens, int32_t k_chunks, int32_t v_chunks,
                                 int32_t num_kv_heads, int32_t page_size, int64_t page_bytes,
                                 const int32_t *__restrict__ positions, int32_t num_seqs,
                                 const int32_t *__restrict__ query_start,
                                 const int32_t *__restrict__ block_table, int32_t blocks_per_seq,
                                 char *__restrict__ cache) {
  dependent_launch::begin();
  // k_chunks / v_chunks: 16-byte chunks of one head's key / value row.
  const int32_t per_token = num_kv_heads * (k_chunks + v_chunks);
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<int64_t>(num_tokens) * per_token)
    return;
  const int32_t t = static_cast<int32_t>(i / per_token);
  int32_t c = static_cast<int32_t>(i % per_token);
  const attnrt::cuda::kvq::PageSlot at = attnrt::cuda::kvq::page_slot(
      t, positions, query_start, num_seqs, block_table, blocks_per_seq, page_size);
  const int32_t slot = at.slot;
  char *base = cache + at.page * page_bytes;
  const int32_t key_chunks = num_kv_heads * k_chunks;
  if (c < key_chunks) {
    uint4 *dst = reinterpret_cast<uint4 *>(base) + static_cast<int64_t>(slot) * key_chunks + c;
    *dst = key[static_cast<int64_t>(t) * key_chunks + c];
  } else {
    c -= key_chunks;
    const int32_t value_chunks = num_kv_heads * v_chunks;
    uint4 *dst = reinterpret_cast<uint4 *>(base) + static_cast<int64_t>(page_size) * key_chunks +
                 static_cast<int64_t>(slot) * value_chunks + c;
    *dst = value[static_cast<int64_t>(t) * value_chunks + c];
  }
}

using attnrt::KvType;
namespace kvq = attnrt::cuda::kvq;

// One warp per (token, kv head, K or V) row: warps [0, kv_heads) of a token
// take its K rows, [kv_heads, 2 kv_heads) its V rows.
template <typename T, KvType Q>
__global__ void kv_append_quantized_kernel(const T *__restrict__ key, const T *__restrict__ value,
                                           int32_t num_tokens, int32_t head_dim,
                                           int32_t v_head_dim, int32_t num_kv_heads,
                                           int32_t page_size, int64_t page_bytes,
                                           kvq::PageLayout layout,
                                           const int32_t *__restrict__ positions, int32_t num_seqs,
                                           const int32_t *__restrict__ query_start,
                                           const int32_t *__restrict__ block_table,
                                           int32_t blocks_per_seq, char *__restrict__ cache) {
  dependent_launch::begin();
  const int64_t w = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;
  const int lane = threadIdx.x & 31;
  if (w >= static_cast<int64_t>(num_tokens) * 2 * num_kv_heads)
    return; // warp-uniform
  const int32_t t = static_cast<int32_t>(w / (2 * num_kv_heads));
  const int32_t r = static_cast<int32_t>(w % (2 * num_kv_heads));
  const bool is_v = r >= num_kv_heads;
  const int32_t h = is_v ? r - num_kv_heads : r;
  const kvq::PageSlot at =
      kvq::page_slot(t, positions, query_start, num_seqs, block_table, blocks_per_seq, page_size);
  const int64_t row = static_cast<int64_t>(at.slot) * num_kv_heads + h; // (slot, head)
  char *base = cache + at.page * page_bytes;
  const int n = is_v ? v_head_dim : head_dim;
  const T *src = (is_v ? value : key) + (static_cast<int64_t>(t) * num_kv_heads + h) * n;
  uint8_t *codes = reinterpret_cast<uint8_t *>(base + (is_v ? layout.v_codes : 0)) + row * n;
  float *scale = reinterpret_cast<float *>(base + (is_v ? layout.v_scales : layout.k_scales)) + row;
  float x[kvq::kGroups][4];
  kvq::load_row<T>(src, n, lane, x);
  kvq::quantize_row<Q>(x, n, lane, codes, scale);
}

template <typename T, KvType Q>
void launch_quantized(const void *key, const void *value, int32_t num_tokens, int32_t head_dim,
                      int32_t v_head_dim, int32_t num_kv_heads, int32_t page_size,
                      const int32_t *positions, int32_t num_seqs, const int32_t *query_start,
                      const int32_t *block_table, int32_t blocks_per_seq, void *layer_cache,
                      cudaStream_t stream) {
  const int64_t page_bytes =
      attnrt::kvquant::page_bytes(Q, page_size, num_kv_heads, head_dim, v_head_dim, 1);
  const kvq::PageLayout layout = kvq::PageLayout::of(page_size, num_kv_heads, head_dim, v_head_dim);
  const int64_t warps = static_cast<int64_t>(num_tokens) * 2 * num_kv_heads;
  const int threads = 128;
  dependent_launch::launch_early(kv_append_quantized_kernel<T, Q>,
                                 dim3(static_cast<unsigned>((warps * 32 + threads - 1) / threads)),
                                 dim3(threads), 0, stream, static_cast<const T *>(key),
                                 static_cast<const T *>(value), num_tokens, head_dim, v_head_dim,
                                 num_kv_heads, page_size, page_bytes, layout, positions, num_seqs,
                                 query_start, block_table, blocks_per_seq,
                                 static_cast<char *>(layer_cache));
}

template <typename T>
void launch_quantized(int32_t kv_type, const void *key, const void *value, int32_t num_tokens,
                      int32_t head_dim, int32_t v_head_dim, int32_t num_kv_heads,
                      int32_t page_size, const int32_t *positions, int32_t num_seqs,
                      const int32_t *query_start, const int32_t *block_table,
                      int32_t blocks_per_seq, void *layer_cache, cudaStream_t stream) {
  if (kv_type == ATTNC_CUDA_KV_INT8)
    launch_quantized<T, KvType::Int8>(key, value, num_tokens, head_dim, v_head_dim, num_kv_heads,
                                      page_size, positions, num_seqs, query_start, block_table,
                                      blocks_per_seq, layer_cache, stream);
  else
    launch_quantized<T, KvType::Fp8E4M3>(key, value, num_tokens, head_dim, v_head_dim,
                                         num_kv_heads, page_size, positions, num_seqs,
                                         query_start, block_table, blocks_per_seq, layer_cache,
                                         stream);
}

int fail(char *error, size_t error_len, const char *fmt, ...) {
  if (error && error_len) {
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(error, error_len, fmt, ap);
    va_end(ap);
  }
  return 1;
}

// The checks both appends share, then: 0 to go on, 1 refused.
int check_cache(int32_t num_seqs, int32_t num_kv_heads, int32_t page_size, char *error,
                size_t error_len) {
  if (num_seqs < 1 || num_kv_heads < 1 || page_size < 1)
    return fail(error, error_len, "kv_append: %d sequences, %d kv heads, page size %d", num_seqs,
                num_kv_heads, page_size);
  return 0;
}

int launch_status(char *error, size_t error_len) {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? 0 : fail(error, error_len, "kv_append launch: %s", cudaGetErrorString(e));
}

} // namespace

extern "C" int attnc_cuda_kv_append_typed(int32_t dtype, int32_t kv_type, int32_t head_dim,
                                          int32_t v_head_dim, int32_t num_kv_heads,
                                          int32_t page_size, const void *key, const void *value,
                                          int32_t num_tokens, const int32_t *positions,
                                          int32_t num_seqs, const int32_t *query_start,
                                          const int32_t *block_table, int32_t blocks_per_seq,
                                          void *layer_cache, void *stream, char *error,
                                          size_t error_len) {
  if (dtype != ATTNC_CUDA_F16 && dtype != ATTNC_CUDA_BF16 && dtype != ATTNC_CUDA_F32)
    return fail(error, error_len, "kv_append: unsupported dtype %d", dtype);
  if (kv_type == ATTNC_CUDA_KV_MODEL)
    return attnc_cuda_kv_append(dtype == ATTNC_CUDA_F32 ? 4 : 2, head_dim, v_head_dim,
                                num_kv_heads, page_size, key, value, num_tokens, positions,
                                num_seqs, query_start, block_table, blocks_per_seq, layer_cache,
                                stream, error, error_len);
  if (kv_type != ATTNC_CUDA_KV_INT8 && kv_type != ATTNC_CUDA_KV_FP8_E4M3)
    return fail(error, error_len, "kv_append: unknown kv_type %d", kv_type);
  if (head_dim <= 0 || v_head_dim <= 0 || head_dim % 16 != 0 || v_head_dim % 16 != 0 ||
      head_dim > 128 * kvq::kGroups || v_head_dim > 128 * kvq::kGroups)
    return fail(error, error_len,
                "kv_append: head_dim %d / v_head_dim %d: a quantized cache takes multiples of 16 up to %d",
                head_dim, v_head_dim, 128 * kvq::kGroups);
  if (check_cache(num_seqs, num_kv_heads, page_size, error, error_len))
    return 1;
  if (num_tokens <= 0)
    return 0;
  auto s = static_cast<cudaStream_t>(stream);
  if (dtype == ATTNC_CUDA_F16)
    launch_quantized<__half>(kv_type, key, value, num_tokens, head_dim, v_head_dim, num_kv_heads,
                             page_size, positions, num_seqs, query_start, block_table,
                             blocks_per_seq, layer_cache, s);
  else if (dtype == ATTNC_CUDA_BF16)
    launch_quantized<__nv_bfloat16>(kv_type, key, value, num_tokens, head_dim, v_head_dim,
                                    num_kv_heads, page_size, positions, num_seqs, query_start,
                                    block_table, blocks_per_seq, layer_cache, s);
  else
    launch_quantized<float>(kv_type, key, value, num_tokens, head_dim, v_head_dim, num_kv_heads,
                            page_size, positions, num_seqs, query_start, block_table,
                            blocks_per_seq, layer_cache, s);
  return launch_status(error, error_len);
}

extern "C" int attnc_cuda_kv_append(int32_t elem_bytes, int32_t head_dim, int32_t v_head_dim,
                                    int32_t num_kv_heads, int32_t page_size, const void *key,
                                    const void *value, int32_t num_tokens,
                                    const int32_t *positions, int32_t num_seqs,
                                    const int32_t *query_start, const int32_t *block_table,
                                    int32_t blocks_per_seq, void *layer_cache, void *stream,
                                    char *error, size_t error_len) {
  // Any head size whose rows are whole 16-byte chunks (f16/bf16: multiples of
  // 8, f32: of 4; so every size the attention kernels take, 16..256).
  if (head_dim <= 0 || v_head_dim <= 0 || (head_dim * elem_bytes) % 16 != 0 ||
      (v_head_dim * elem_bytes) % 16 != 0)
    return fail(error, error_len,
                "kv_append: head_dim %d / v_head_dim %d: rows must be positive multiples of 16 bytes",
                head_dim, v_head_dim);
  if (check_cache(num_seqs, num_kv_heads, page_size, error, error_len))
    return 1;
  if (num_tokens <= 0)
    return 0;
  const int32_t k_chunks = head_dim * elem_bytes / 16, v_chunks = v_head_dim * elem_bytes / 16;
  const int64_t page_bytes =
      static_cast<int64_t>(page_size) * num_kv_heads * (head_dim + v_head_dim) * elem_bytes;
  const int64_t total = static_cast<int64_t>(num_tokens) * num_kv_heads * (k_chunks + v_chunks);
  const int threads = 256;
  dependent_launch::launch_early(kv_append_kernel,
                                 dim3(static_cast<unsigned>((total + threads - 1) / threads)),
                                 dim3(threads), 0, static_cast<cudaStream_t>(stream),
                                 static_cast<const uint4 *>(key), static_cast<const uint4 *>(value),
                                 num_tokens, k_chunks, v_chunks, num_kv_heads, page_size,
                                 page_bytes, positions, num_seqs, query_start, block_table,
                                 blocks_per_seq, static_cast<char *>(layer_cache));
  return launch_status(error, error_len);
}
