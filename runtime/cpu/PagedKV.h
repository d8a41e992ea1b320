// The paged KV cache of one layer, as runtime/ModelABI.h lays it out, and the
// kernel that appends a step's K/V to it.
//
// Page p of a layer starts at layer_cache + p * page_bytes, page_bytes =
// PageSize * kv_heads * (HeadDim + VHeadDim) * sizeof(T), and holds
//   K: [PageSize][kv_heads][HeadDim]   then   V: [PageSize][kv_heads][VHeadDim].
// Token position `pos` of sequence s lives in page block_table[s *
// blocks_per_seq + pos / PageSize], slot pos % PageSize.
//
// rope_kv_append fuses the keys' rotary embedding with the append (and can
// rotate the step's queries in the same pass over the tokens).
#ifndef ATTNC_RUNTIME_CPU_PAGEDKV_H
#define ATTNC_RUNTIME_CPU_PAGEDKV_H

#include "runtime/cpu/Rope.h"
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

namespace detail {
// The sequence of token t: the last s with query_start[s] <= t.
inline int32_t sequence_of(const int32_t *query_start, int32_t num_seqs, int64_t t) {
  return static_cast<int32_t>(std::upper_bound(query_start, query_start + num_seqs + 1, t) -
                              query_start - 1);
}
} // namespace detail

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
                        const int32_t seq = detail::sequence_of(query_start, num_seqs, t);
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

// rope() of the keys followed by kv_append(), in one pass over the tokens and
// with the same bits: each token's key is copied into its cache slot and
// rotated there (key itself is not modified); its value is appended as is.
// query (may be nullptr, then num_heads is ignored): [num_tokens, num_heads,
// HeadDim], rotated in place with the same angles (computed once per token).
// The other arguments are those of rope() and kv_append().
template <typename T, int PageSize, int HeadDim, int VHeadDim, int RotaryDim, RopeStyle Style>
void rope_kv_append(ThreadPool &pool, T *query, int num_heads, const T *key, const T *value,
                    int64_t num_tokens, const int32_t *positions, const float *inv_freq,
                    int32_t num_seqs, const int32_t *query_start, const int32_t *block_table,
                    int32_t blocks_per_seq, void *layer_cache, int32_t kv_heads) {
  detail::check_rope_dims<HeadDim, RotaryDim>();
  constexpr int kHalf = RotaryDim / 2;
  const PagedKVLayout<T, PageSize, HeadDim, VHeadDim> layout{layer_cache, kv_heads};
  const int64_t query_elems = query ? static_cast<int64_t>(num_heads) * HeadDim : 0;
  const int64_t key_elems = static_cast<int64_t>(kv_heads) * HeadDim;
  const int64_t value_elems = static_cast<int64_t>(kv_heads) * VHeadDim;
  pool.parallel_for(
      0, num_tokens, detail::rows_per_chunk(query_elems + key_elems + value_elems),
      [&](int64_t t0, int64_t t1) {
        float cos[kHalf], sin[kHalf];
        for (int64_t t = t0; t < t1; ++t) {
          const int32_t pos = positions[t];
          const float position = static_cast<float>(pos);
          for (int i = 0; i < kHalf; ++i) {
            const float angle = position * inv_freq[i]; // as rope()
            cos[i] = std::cos(angle);
            sin[i] = std::sin(angle);
          }
          const int32_t seq = detail::sequence_of(query_start, num_seqs, t);
          const int32_t page =
              block_table[static_cast<int64_t>(seq) * blocks_per_seq + pos / PageSize];
          const int32_t slot = pos % PageSize;
          T *cached_key = layout.keys(page, slot);
          std::memcpy(cached_key, key + t * key_elems, sizeof(T) * key_elems);
          detail::rope_rotate_heads<T, HeadDim, RotaryDim, Style>(cached_key, kv_heads, cos, sin);
          std::memcpy(layout.values(page, slot), value + t * value_elems,
                      sizeof(T) * value_elems);
          if (query)
            detail::rope_rotate_heads<T, HeadDim, RotaryDim, Style>(query + t * query_elems,
                                                                    num_heads, cos, sin);
        }
      });
}

} // namespace attnrt::cpu

#endif // ATTNC_RUNTIME_CPU_PAGEDKV_H
