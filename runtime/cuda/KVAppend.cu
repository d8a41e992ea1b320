// KV append on the GPU: writes the step's keys and values into their cache
// pages (runtime/ModelABI.h layout), one thread per 16-byte chunk. Same
// contract as runtime/cpu/PagedKV.h kv_append: the pages of the written
// positions must be allocated (not -1).
#include "Attention.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>

namespace {

__global__ void kv_append_kernel(const uint4 *__restrict__ key, const uint4 *__restrict__ value,
                                 int32_t num_tokens, int32_t k_chunks, int32_t v_chunks,
                                 int32_t num_kv_heads, int32_t page_size, int64_t page_bytes,
                                 const int32_t *__restrict__ positions, int32_t num_seqs,
                                 const int32_t *__restrict__ query_start,
                                 const int32_t *__restrict__ block_table, int32_t blocks_per_seq,
                                 char *__restrict__ cache) {
  // k_chunks / v_chunks: 16-byte chunks of one head's key / value row.
  const int32_t per_token = num_kv_heads * (k_chunks + v_chunks);
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<int64_t>(num_tokens) * per_token)
    return;
  const int32_t t = static_cast<int32_t>(i / per_token);
  int32_t c = static_cast<int32_t>(i % per_token);
  // Sequence of token t: last s with query_start[s] <= t.
  int32_t lo = 0, hi = num_seqs - 1;
  while (lo < hi) {
    const int32_t mid = (lo + hi + 1) / 2;
    if (query_start[mid] <= t)
      lo = mid;
    else
      hi = mid - 1;
  }
  const int32_t pos = positions[t];
  const int64_t page = block_table[static_cast<int64_t>(lo) * blocks_per_seq + pos / page_size];
  const int32_t slot = pos % page_size;
  char *base = cache + page * page_bytes;
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

} // namespace

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
      (v_head_dim * elem_bytes) % 16 != 0) {
    if (error && error_len)
      std::snprintf(error, error_len,
                    "kv_append: head_dim %d / v_head_dim %d: rows must be positive multiples of 16 bytes",
                    head_dim, v_head_dim);
    return 1;
  }
  if (num_seqs < 1 || num_kv_heads < 1 || page_size < 1) {
    if (error && error_len)
      std::snprintf(error, error_len, "kv_append: %d sequences, %d kv heads, page size %d", num_seqs,
                    num_kv_heads, page_size);
    return 1;
  }
  if (num_tokens <= 0)
    return 0;
  const int32_t k_chunks = head_dim * elem_bytes / 16, v_chunks = v_head_dim * elem_bytes / 16;
  const int64_t page_bytes =
      static_cast<int64_t>(page_size) * num_kv_heads * (head_dim + v_head_dim) * elem_bytes;
  const int64_t total = static_cast<int64_t>(num_tokens) * num_kv_heads * (k_chunks + v_chunks);
  const int threads = 256;
  kv_append_kernel<<<static_cast<unsigned>((total + threads - 1) / threads), threads, 0,
                     static_cast<cudaStream_t>(stream)>>>(
      static_cast<const uint4 *>(key), static_cast<const uint4 *>(value), num_tokens, k_chunks,
      v_chunks, num_kv_heads, page_size, page_bytes, positions, num_seqs, query_start, block_table,
      blocks_per_seq, static_cast<char *>(layer_cache));
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) {
    if (error && error_len)
      std::snprintf(error, error_len, "kv_append launch: %s", cudaGetErrorString(e));
    return 1;
  }
  return 0;
}
