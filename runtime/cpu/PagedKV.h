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
//
// A quantized cache (KvType::Int8 / Fp8E4M3, `attnc compile --kv-cache`) has
// the page layout of runtime/QuantizedKV.h (QuantizedKVLayout below): one
// byte per element and an f32 scale per (token, kv head) of K and of V. The
// appends quantize every head's vector with kvquant::quantize_vector, so the
// codes and scales are bit for bit the reference's.
#ifndef ATTNC_RUNTIME_CPU_PAGEDKV_H
#define ATTNC_RUNTIME_CPU_PAGEDKV_H

#include "runtime/QuantizedKV.h"
#include "runtime/cpu/Rope.h"
#include "runtime/cpu/ThreadPool.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace attnrt::cpu {

using attnrt::KvType;

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

// A quantized layer's pages (runtime/QuantizedKV.h): K codes
// [PageSize][kv_heads][HeadDim], V codes [PageSize][kv_heads][VHeadDim], K
// scales [PageSize][kv_heads], V scales [PageSize][kv_heads] (f32, accessed
// through memcpy: odd dimensions leave them unaligned).
template <int PageSize, int HeadDim, int VHeadDim> struct QuantizedKVLayout {
  static_assert(PageSize > 0 && HeadDim > 0 && VHeadDim > 0, "dimensions must be positive");

  void *layer_cache; // base of this layer's pages
  int32_t kv_heads;

  int64_t page_bytes() const {
    return kvquant::page_bytes(KvType::Int8, PageSize, kv_heads, HeadDim, VHeadDim, 1);
  }
  uint8_t *page_base(int32_t page) const {
    return static_cast<uint8_t *>(layer_cache) + page * page_bytes();
  }
  // Codes of page `page`, slot `slot`, all heads: [kv_heads][HeadDim] / [kv_heads][VHeadDim].
  uint8_t *key_codes(int32_t page, int32_t slot) const {
    return page_base(page) + static_cast<int64_t>(slot) * kv_heads * HeadDim;
  }
  uint8_t *value_codes(int32_t page, int32_t slot) const {
    return page_base(page) + static_cast<int64_t>(PageSize) * kv_heads * HeadDim +
           static_cast<int64_t>(slot) * kv_heads * VHeadDim;
  }
  // Scales of page `page`, slot `slot`, all heads: [kv_heads] f32 each.
  uint8_t *key_scales(int32_t page, int32_t slot) const {
    return page_base(page) + static_cast<int64_t>(PageSize) * kv_heads * (HeadDim + VHeadDim) +
           static_cast<int64_t>(slot) * kv_heads * kvquant::kScaleBytes;
  }
  uint8_t *value_scales(int32_t page, int32_t slot) const {
    return key_scales(page, slot) + static_cast<int64_t>(PageSize) * kv_heads * kvquant::kScaleBytes;
  }
  static float scale_of(const uint8_t *scales, int32_t head) {
    float s;
    std::memcpy(&s, scales + static_cast<int64_t>(head) * kvquant::kScaleBytes, sizeof s);
    return s;
  }
};

// The layout of a layer caching T (KvType::Model) or codes of a quantized type.
template <typename T, int PageSize, int HeadDim, int VHeadDim, KvType KV>
using KVLayoutOf = std::conditional_t<KV == KvType::Model, PagedKVLayout<T, PageSize, HeadDim, VHeadDim>,
                                      QuantizedKVLayout<PageSize, HeadDim, VHeadDim>>;

namespace detail {
// Quantizes kv_heads vectors of Dim elements (x: [kv_heads][Dim]) into codes
// [kv_heads][Dim] and f32 scales [kv_heads], per runtime/QuantizedKV.h.
template <KvType KV, int Dim, typename T>
inline void quantize_heads(const T *x, int32_t kv_heads, uint8_t *codes, uint8_t *scales) {
  static_assert(KV != KvType::Model, "only quantized caches quantize");
  for (int32_t h = 0; h < kv_heads; ++h) {
    const T *head = x + static_cast<int64_t>(h) * Dim;
    uint8_t *head_codes = codes + static_cast<int64_t>(h) * Dim;
    float scale;
    if constexpr (std::is_same_v<T, float>) {
      scale = kvquant::quantize_vector(KV, head, Dim, head_codes);
    } else { // the model-dtype values, in f32
      float converted[Dim];
      for (int d = 0; d < Dim; ++d)
        converted[d] = static_cast<float>(head[d]);
      scale = kvquant::quantize_vector(KV, converted, Dim, head_codes);
    }
    std::memcpy(scales + static_cast<int64_t>(h) * kvquant::kScaleBytes, &scale, sizeof scale);
  }
}

// Stores one token's K ([kv_heads][HeadDim]) and V ([kv_heads][VHeadDim]) in
// slot `slot` of page `page`: copied, or quantized.
template <typename T, int PageSize, int HeadDim, int VHeadDim, KvType KV>
inline void store_token(const KVLayoutOf<T, PageSize, HeadDim, VHeadDim, KV> &layout, int32_t page,
                        int32_t slot, const T *key, const T *value) {
  const int32_t kv_heads = layout.kv_heads;
  if constexpr (KV == KvType::Model) {
    std::memcpy(layout.keys(page, slot), key, sizeof(T) * kv_heads * HeadDim);
    std::memcpy(layout.values(page, slot), value, sizeof(T) * kv_heads * VHeadDim);
  } else {
    quantize_heads<KV, HeadDim>(key, kv_heads, layout.key_codes(page, slot),
                                layout.key_scales(page, slot));
    quantize_heads<KV, VHeadDim>(value, kv_heads, layout.value_codes(page, slot),
                                 layout.value_scales(page, slot));
  }
}

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
// The pages of the written positions must be allocated (not -1). KV: what
// the layer caches (quantized: codes and scales, see the top of this file).
template <typename T, int PageSize, int HeadDim, int VHeadDim, KvType KV = KvType::Model>
void kv_append(ThreadPool &pool, const T *key, const T *value, int64_t num_tokens,
               const int32_t *positions, int32_t num_seqs, const int32_t *query_start,
               const int32_t *block_table, int32_t blocks_per_seq, void *layer_cache,
               int32_t kv_heads) {
  const KVLayoutOf<T, PageSize, HeadDim, VHeadDim, KV> layout{layer_cache, kv_heads};
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
                        detail::store_token<T, PageSize, HeadDim, VHeadDim, KV>(
                            layout, page, pos % PageSize, key + t * key_elems,
                            value + t * value_elems);
                      }
                    });
}

// rope() of the keys followed by kv_append(), in one pass over the tokens and
// with the same bits: each token's key is copied into its cache slot and
// rotated there (key itself is not modified); its value is appended as is.
// query (may be nullptr, then num_heads is ignored): [num_tokens, num_heads,
// HeadDim], rotated in place with the same angles (computed once per token),
// or, when query_source is given, written as query_source's rows (row
// stride query_source_stride, 0: contiguous) rotated: a column range of a
// fused QKV output becomes a contiguous query without a copy of its own.
// The other arguments are those of rope() and kv_append(). A quantized cache
// gets the rotated key (in T, as rope() would leave it) quantized.
// key_stride / value_stride: elements from one token's key (value) row to
// the next, when they are column ranges of a wider buffer (a fused QKV
// projection's output); 0: contiguous.
template <typename T, int PageSize, int HeadDim, int VHeadDim, int RotaryDim, RopeStyle Style,
          KvType KV = KvType::Model>
void rope_kv_append(ThreadPool &pool, T *query, int num_heads, const T *key, const T *value,
                    int64_t num_tokens, const int32_t *positions, const float *inv_freq,
                    int32_t num_seqs, const int32_t *query_start, const int32_t *block_table,
                    int32_t blocks_per_seq, void *layer_cache, int32_t kv_heads,
                    int64_t key_stride = 0, int64_t value_stride = 0,
                    const T *query_source = nullptr, int64_t query_source_stride = 0) {
  detail::check_rope_dims<HeadDim, RotaryDim>();
  constexpr int kHalf = RotaryDim / 2;
  const KVLayoutOf<T, PageSize, HeadDim, VHeadDim, KV> layout{layer_cache, kv_heads};
  const int64_t query_elems = query ? static_cast<int64_t>(num_heads) * HeadDim : 0;
  const int64_t key_elems = static_cast<int64_t>(kv_heads) * HeadDim;
  const int64_t value_elems = static_cast<int64_t>(kv_heads) * VHeadDim;
  const int64_t key_step = key_stride ? key_stride : key_elems;
  const int64_t value_step = value_stride ? value_stride : value_elems;
  const int64_t query_source_step = query_source_stride ? query_source_stride : query_elems;
  pool.parallel_for(
      0, num_tokens, detail::rows_per_chunk(query_elems + key_elems + value_elems),
      [&](int64_t t0, int64_t t1) {
        float cos[kHalf], sin[kHalf];
        // Quantized caches: the rotated key before quantization.
        std::vector<T> rotated(KV == KvType::Model ? 0 : key_elems);
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
          if constexpr (KV == KvType::Model) {
            T *cached_key = layout.keys(page, slot);
            std::memcpy(cached_key, key + t * key_step, sizeof(T) * key_elems);
            detail::rope_rotate_heads<T, HeadDim, RotaryDim, Style>(cached_key, kv_heads, cos, sin);
            std::memcpy(layout.values(page, slot), value + t * value_step,
                        sizeof(T) * value_elems);
          } else {
            std::memcpy(rotated.data(), key + t * key_step, sizeof(T) * key_elems);
            detail::rope_rotate_heads<T, HeadDim, RotaryDim, Style>(rotated.data(), kv_heads, cos,
                                                                    sin);
            detail::store_token<T, PageSize, HeadDim, VHeadDim, KV>(layout, page, slot,
                                                                    rotated.data(),
                                                                    value + t * value_step);
          }
          if (query && query_source)
            std::memcpy(query + t * query_elems, query_source + t * query_source_step,
                        sizeof(T) * query_elems);
          if (query)
            detail::rope_rotate_heads<T, HeadDim, RotaryDim, Style>(query + t * query_elems,
                                                                    num_heads, cos, sin);
        }
      });
}

} // namespace attnrt::cpu

#endif // ATTNC_RUNTIME_CPU_PAGEDKV_H
