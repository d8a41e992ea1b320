// The paged KV cache of one layer, as runtime/ModelABI.h lays it out, and the
// kernel that appends a step's K/V to it.
//
// Page p of a layer starts at layer_cache + p * page_bytes, page_bytes =
// PageSize * kv_heads * (HeadDim + VHeadDim) * sizeof(T), and holds
//   K: [PageSize][kv_heads][HeadDim]   then   V: [PageSize][kv_heads][VHeadDim].
// Token position `pos` of sequence s lives in page block_table[s *
// blocks_per_seq + pos / PageSize], slot pos % PageSize.
#ifndef ATTNC_RUNTIME_CPU_PAGEDKV_H
#define ATTNC_RUNTIME_CPU_PAGEDKV_H

#include "runtime/cpu/ThreadPool.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace attnrt::cpu {

template <typename T, int PageSize, int HeadDim, int VHeadDim> struct PagedKVLayout {
  static_assert(PageSize > 0 && HeadDim > 0 && VHeadDim > 0, "dimensions must be positive");

  void *layer_cache; // base of this layer's pages
  int32_t kv_heads;

  int64_t page_bytes() const {
    return static_cast<int64_t>(PageSize) * kv_heads * (HeadDim + VHeadDim) * sizeof(T);
  }
  // K of page `page`, slot `slot`, all heads: [kv_heads][HeadDim].
  T *keys(int32_t page, int32_t slot) const {
    return reinterpret_cast<T *>(static_cast<char *>(layer_cache) + page * page_bytes()) +
           static_cast<int64_t>(slot) * kv_heads * HeadDim;
  }
  // V of page `page`, slot `slot`, all heads: [kv_heads][VHeadDim].
  T *values(int32_t page, int32_t slot) const {
    return reinterpret_cast<T *>(static_cast<char *>(layer_cache) + page * page_bytes()) +
           static_cast<int64_t>(PageSize) * kv_heads * HeadDim +
           static_cast<int64_t>(slot) * kv_heads * VHeadDim;
  }
};

// Writes the step's keys and values into the cache at their positions.
// key: [num_tokens, kv_heads, HeadDim]; value: [num_tokens, kv_heads, VHeadDim].
// query_start: [num_seqs + 1] token ranges per sequence; positions: [num_tokens].
// block_table: this layer's cache group's table, [num_seqs * blocks_per_seq].
// The pages of the written positions must be allocated (not -1).
template <typename T, int PageSize, int HeadDim, int VHeadDim>
void kv_append(ThreadPool &pool, const T *key, const T *value, int64_t num_tokens,
               const int32_t *positions, int32_t num_seqs, const int32_t *query_start,
               const int32_t *block_table, int32_t blocks_per_seq, void *layer_cache,
               int32_t kv_heads) {
  const PagedKVLayout<T, PageSize, HeadDim, VHeadDim> layout{layer_cache, kv_heads};
  const int64_t key_elems = static_cast<int64_t>(kv_heads) * HeadDim;
  const int64_t value_elems = static_cast<int64_t>(kv_heads) * VHeadDim;
  // Tokens in parallel; each finds its sequence by binary search over
  // query_start, so a single long prefill spreads over all threads too.
  pool.parallel_for(0, num_tokens, std::max<int64_t>(1, 8192 / (key_elems + value_elems)),
                    [&](int64_t t0, int64_t t1) {
                      for (int64_t t = t0; t < t1; ++t) {
                        const int32_t seq = static_cast<int32_t>(
                            std::upper_bound(query_start, query_start + num_seqs + 1, t) -
                            query_start - 1);
                        const int32_t pos = positions[t];
                        const int32_t page =
                            block_table[static_cast<int64_t>(seq) * blocks_per_seq + pos / PageSize];
                        const int32_t slot = pos % PageSize;
                        std::memcpy(layout.keys(page, slot), key + t * key_elems,
                                    sizeof(T) * key_elems);
                        std::memcpy(layout.values(page, slot), value + t * value_elems,
                                    sizeof(T) * value_elems);
                      }
                    });
}

} // namespace attnrt::cpu

#endif // ATTNC_RUNTIME_CPU_PAGEDKV_H
