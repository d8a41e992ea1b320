// The per-call arguments of paged attention, shared by the CPU
// (runtime/cpu/Attention.h) and CUDA (runtime/cuda/Step.h) kernels so that
// generated code fills them the same way on every target. T is the element
// type of query, output and cache (compute is float32); pointers are in the
// kernels' memory (host for the CPU, device for CUDA).
#ifndef ATTNC_RUNTIME_PAGED_ATTENTION_ARGS_H
#define ATTNC_RUNTIME_PAGED_ATTENTION_ARGS_H

#include <cstdint>

namespace attnrt {

template <typename T> struct PagedAttentionArgs {
  const T *query;               // [num_tokens, num_kv_heads * GroupSize, HeadDim]
  T *out;                       // [num_tokens, num_kv_heads * GroupSize, VHeadDim]
  int64_t num_tokens;
  const int32_t *positions;     // [num_tokens]
  int32_t num_seqs;
  const int32_t *query_start;   // [num_seqs + 1]
  const int32_t *context_len;   // [num_seqs], cached tokens after this step's append
  const int32_t *block_table;   // [num_seqs * blocks_per_seq], this layer's cache group
  int32_t blocks_per_seq;
  const void *layer_cache;      // this layer's pages
  int32_t num_kv_heads;
  float scale;                  // usually 1 / sqrt(HeadDim)
  float softcap = 0.0f;         // 0 = none
  int32_t window = 0;           // 0 = unbounded; else keys k >= q - window + 1
  bool causal = true;           // false: every cached key up to context_len (and window)
};

} // namespace attnrt

#endif // ATTNC_RUNTIME_PAGED_ATTENTION_ARGS_H
