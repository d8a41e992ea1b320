// Paged attention over a ragged batch: FlashAttention-style online softmax
// over KV tiles read from the paged cache (runtime/ModelABI.h layout).
//
// For each sequence s, its query tokens t in [query_start[s], query_start[s+1])
// at position q = positions[t], and each query head h (kv head
// h / GroupSize), the keys attended are the cached positions k in
// [0, context_len[s]) with
//   k <= q                    when causal,
//   k >= q - window + 1       when window > 0 (the window includes q),
// scores are scale * q·k, optionally softcapped (cap * tanh(score / cap))
// before masking, and the output is softmax(scores) · V.
//
// Structure (FlashAttention, arXiv 2205.14135, Algorithm 1): per query row a
// running max m, running sum l and an unnormalised accumulator; each KV tile
// rescales them by exp(m_old - m_new); the accumulator is divided by l once
// at the end. One work item is (sequence, kv head, block of QueryBlock query
// tokens): all GroupSize query heads of the kv head and all tokens of the
// block share each K/V tile, whose rows are located in their pages once per
// item and read by every row of the item (float caches in place, other
// element types converted once into a tile buffer). Items are handed to the
// pool dynamically, so long causal blocks and short decode rows balance.
// The tile loop runs only over [lowest key any row of the item needs, highest
// key any row needs], so fully masked tiles are never visited and released
// pages (-1 entries, all below every window lower bound) are never read.
// Decode-sized steps of long sequences are also split along the keys
// (flash-decoding; see SplitTokens below). A quantized cache (KvType Int8 /
// Fp8E4M3, runtime/QuantizedKV.h) is dequantized (code * the token's scale,
// in f32) into the tile buffers on the same conversion path.
#ifndef ATTNC_RUNTIME_CPU_ATTENTION_H
#define ATTNC_RUNTIME_CPU_ATTENTION_H

#include "runtime/PagedAttentionArgs.h"
#include "runtime/cpu/PagedKV.h"
#include "runtime/cpu/ThreadPool.h"
#include "runtime/cpu/VectorOps.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

// Reading a released page (-1) is a broken contract between scheduler and
// kernel. Debug builds assert; builds with ATTNRT_CPU_CHECKED_READS (the
// kernel tests) check in every build type and abort with a message.
#if defined(ATTNRT_CPU_CHECKED_READS)
#define ATTNRT_CPU_CHECK_PAGE(page, seq, pos)                                                      \
  do {                                                                                             \
    if ((page) < 0) {                                                                              \
      std::fprintf(stderr, "paged_attention: sequence %d reads released page at position %d\n",   \
                   static_cast<int>(seq), static_cast<int>(pos));                                  \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)
#else
#define ATTNRT_CPU_CHECK_PAGE(page, seq, pos) assert((page) >= 0 && "released page read")
#endif

namespace attnrt::cpu {

namespace detail {

// scores[r * TileTokens + j] = scale * q_r · k_j for r < rows, j < num_keys.
// q: [rows][HeadDim]; key_rows[j] points at key j's HeadDim floats. Four
// query rows share each key load.
template <int HeadDim, int TileTokens>
inline void attention_scores(const float *q, int rows, const float *const *key_rows, int num_keys,
                             float scale, float *scores) {
  constexpr int kFull = HeadDim / kVec * kVec;
  int r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float *q0 = q + static_cast<size_t>(r) * HeadDim, *q1 = q0 + HeadDim,
                *q2 = q1 + HeadDim, *q3 = q2 + HeadDim;
    float *s0 = scores + static_cast<size_t>(r) * TileTokens;
    for (int j = 0; j < num_keys; ++j) {
      const float *k = key_rows[j];
      VecF a0 = {}, a1 = {}, a2 = {}, a3 = {};
      for (int d = 0; d < kFull; d += kVec) {
        const VecF kv = loadv(k + d);
        a0 += loadv(q0 + d) * kv;
        a1 += loadv(q1 + d) * kv;
        a2 += loadv(q2 + d) * kv;
        a3 += loadv(q3 + d) * kv;
      }
      float d0 = sumv(a0), d1 = sumv(a1), d2 = sumv(a2), d3 = sumv(a3);
      for (int d = kFull; d < HeadDim; ++d) {
        d0 += q0[d] * k[d];
        d1 += q1[d] * k[d];
        d2 += q2[d] * k[d];
        d3 += q3[d] * k[d];
      }
      s0[j] = scale * d0;
      s0[TileTokens + j] = scale * d1;
      s0[2 * TileTokens + j] = scale * d2;
      s0[3 * TileTokens + j] = scale * d3;
    }
  }
  for (; r < rows; ++r) {
    const float *qr = q + static_cast<size_t>(r) * HeadDim;
    for (int j = 0; j < num_keys; ++j) {
      const float *k = key_rows[j];
      VecF a = {};
      for (int d = 0; d < kFull; d += kVec)
        a += loadv(qr + d) * loadv(k + d);
      float dot = sumv(a);
      for (int d = kFull; d < HeadDim; ++d)
        dot += qr[d] * k[d];
      scores[static_cast<size_t>(r) * TileTokens + j] = scale * dot;
    }
  }
}

// acc = acc * rescale + sum_{j0 <= j <= j1} p[j] * value_rows[j]. The
// accumulator is walked in chunks of four vectors held in registers across
// all keys of the tile, so it is loaded and stored once per tile, not once
// per key.
template <int VHeadDim>
inline void accumulate_pv(const float *p, int j0, int j1, const float *const *value_rows,
                          float rescale, float *acc) {
  constexpr int kChunk = 4 * kVec;
  int e = 0;
  for (; e + kChunk <= VHeadDim; e += kChunk) {
    VecF s0 = loadv(acc + e) * rescale, s1 = loadv(acc + e + kVec) * rescale,
         s2 = loadv(acc + e + 2 * kVec) * rescale, s3 = loadv(acc + e + 3 * kVec) * rescale;
    for (int j = j0; j <= j1; ++j) {
      const float pj = p[j];
      const float *v = value_rows[j] + e;
      s0 += pj * loadv(v);
      s1 += pj * loadv(v + kVec);
      s2 += pj * loadv(v + 2 * kVec);
      s3 += pj * loadv(v + 3 * kVec);
    }
    storev(acc + e, s0);
    storev(acc + e + kVec, s1);
    storev(acc + e + 2 * kVec, s2);
    storev(acc + e + 3 * kVec, s3);
  }
  for (; e + kVec <= VHeadDim; e += kVec) {
    VecF s = loadv(acc + e) * rescale;
    for (int j = j0; j <= j1; ++j)
      s += p[j] * loadv(value_rows[j] + e);
    storev(acc + e, s);
  }
  for (; e < VHeadDim; ++e) { // VHeadDim not a multiple of the vector width
    float s = acc[e] * rescale;
    for (int j = j0; j <= j1; ++j)
      s += p[j] * value_rows[j][e];
    acc[e] = s;
  }
}

// x_i = code_i * scale for Dim codes of a quantized cache, the bits of
// kvquant::dequantize (fp8 through a table of the 256 e4m3 values).
template <KvType KV, int Dim>
inline void dequantize_row(const uint8_t *codes, float scale, float *out) {
  static_assert(KV != KvType::Model, "only quantized caches dequantize");
  if constexpr (KV == KvType::Int8) {
    for (int d = 0; d < Dim; ++d)
      out[d] = static_cast<float>(static_cast<int8_t>(codes[d])) * scale;
  } else {
    struct E4m3Table {
      float value[256];
      E4m3Table() {
        for (int c = 0; c < 256; ++c)
          value[c] = kvquant::e4m3_to_float(static_cast<uint8_t>(c));
      }
    };
    static const E4m3Table table;
    for (int d = 0; d < Dim; ++d)
      out[d] = table.value[codes[d]] * scale;
  }
}

// Scratch of one thread's attention work items, grown on demand and kept
// for the thread's lifetime.
struct AttentionScratch {
  std::vector<float> key_tile, value_tile, query_rows, probs, acc, row_max, row_sum;
  std::vector<int32_t> row_lo, row_hi;
};
inline AttentionScratch &attention_scratch() {
  thread_local AttentionScratch scratch;
  return scratch;
}
template <typename E> inline E *grow(std::vector<E> &buffer, size_t size) {
  if (buffer.size() < size)
    buffer.resize(size);
  return buffer.data();
}

} // namespace detail

// Per-call arguments of paged_attention (runtime/PagedAttentionArgs.h).
using attnrt::PagedAttentionArgs;

// One work item of flash_attention and the operations of its tile loop. The
// loop itself is generated code (the attn.flash_attention body after
// attn-flash-tiling; see paged_attention below for the same loop written by
// hand): for each KV tile from key_begin() rounded down to TileTokens up to
// key_end(),
//   load_kv_tile(start)   locate keys and values start .. start+TileTokens-1
//                         (clamped to the item's keys) in their pages
//   tile_scores(scale)    S = scale * Q Kᵀ for every row of the item
//   softcap_scores(cap)   S = cap * tanh(S / cap) (optional)
//   online_softmax()      running max m, running sum l and accumulator acc
//                         rescaled by exp(m_old - m_new), plus exp(S - m_new) V,
//                         each row over the keys it may see (causal, window)
// after init_state() has set m = -inf, l = 0, acc = 0. flash_attention sets
// up the item (query rows, key bounds per row) and normalises acc / l, or
// hands the state to the flash-decoding merge, afterwards.
template <typename T, int HeadDim, int VHeadDim, int GroupSize, int PageSize, int TileTokens,
          int QueryBlock, KvType KV = KvType::Model>
class FlashWorkItem {
public:
  static constexpr int kRows = QueryBlock * GroupSize; // most query rows of one item

  // Keys [key_begin(), key_end()) hold every key some row of the item sees;
  // an item without visible keys has key_begin() == key_end() == 0.
  int32_t key_begin() const { return item_hi_ < 0 ? 0 : item_lo_; }
  int32_t key_end() const { return item_hi_ + 1; }

  void init_state() {
    std::fill(row_max_, row_max_ + rows_, -std::numeric_limits<float>::infinity());
    std::fill(row_sum_, row_sum_ + rows_, 0.0f);
    std::fill(acc_, acc_ + static_cast<size_t>(rows_) * VHeadDim, 0.0f);
  }

  void load_kv_tile(int32_t tile_start) {
    k0_ = std::max(tile_start, item_lo_);
    k1_ = std::min(tile_start + TileTokens - 1, item_hi_);
    num_keys_ = k1_ - k0_ + 1; // tile-local key j is position k0_ + j
    // float caches are read in place; other element types are converted into
    // the tile buffers once per item (shared by the whole group), quantized
    // ones dequantized.
    for (int j = 0; j < num_keys_; ++j) {
      const int32_t k = k0_ + j;
      const int32_t page = table_[k / PageSize];
      ATTNRT_CPU_CHECK_PAGE(page, seq_, k);
      const int32_t slot = k % PageSize;
      if constexpr (KV != KvType::Model) {
        float *kt = key_tile_ + static_cast<size_t>(j) * HeadDim;
        float *vt = value_tile_ + static_cast<size_t>(j) * VHeadDim;
        detail::dequantize_row<KV, HeadDim>(
            cache_.key_codes(page, slot) + static_cast<int64_t>(kv_head_) * HeadDim,
            cache_.scale_of(cache_.key_scales(page, slot), kv_head_), kt);
        detail::dequantize_row<KV, VHeadDim>(
            cache_.value_codes(page, slot) + static_cast<int64_t>(kv_head_) * VHeadDim,
            cache_.scale_of(cache_.value_scales(page, slot), kv_head_), vt);
        key_rows_[j] = kt;
        value_rows_[j] = vt;
      } else if constexpr (!kConvert) {
        key_rows_[j] = cache_.keys(page, slot) + static_cast<int64_t>(kv_head_) * HeadDim;
        value_rows_[j] = cache_.values(page, slot) + static_cast<int64_t>(kv_head_) * VHeadDim;
      } else {
        const T *key = cache_.keys(page, slot) + static_cast<int64_t>(kv_head_) * HeadDim;
        const T *value = cache_.values(page, slot) + static_cast<int64_t>(kv_head_) * VHeadDim;
        float *kt = key_tile_ + static_cast<size_t>(j) * HeadDim;
        for (int d = 0; d < HeadDim; ++d)
          kt[d] = static_cast<float>(key[d]);
        float *vt = value_tile_ + static_cast<size_t>(j) * VHeadDim;
        for (int e = 0; e < VHeadDim; ++e)
          vt[e] = static_cast<float>(value[e]);
        key_rows_[j] = kt;
        value_rows_[j] = vt;
      }
    }
  }

  void tile_scores(float scale) {
    detail::attention_scores<HeadDim, TileTokens>(query_rows_, rows_, key_rows_, num_keys_, scale,
                                                  probs_);
  }

  void softcap_scores(float cap) {
    for (int r = 0; r < rows_; ++r) {
      int j0, j1;
      if (!row_keys(r, j0, j1))
        continue;
      float *p = probs_ + static_cast<size_t>(r) * TileTokens;
      for (int j = j0; j <= j1; ++j)
        p[j] = cap * std::tanh(p[j] / cap);
    }
  }

  void online_softmax() {
    using detail::VecF;
    constexpr int kVec = detail::kVec;
    for (int r = 0; r < rows_; ++r) {
      int j0, j1;
      if (!row_keys(r, j0, j1))
        continue; // this row has no key in this tile
      float *p = probs_ + static_cast<size_t>(r) * TileTokens;
      float tile_max = p[j0];
      for (int j = j0 + 1; j <= j1; ++j)
        tile_max = std::max(tile_max, p[j]);
      const float new_max = std::max(row_max_[r], tile_max);
      const float rescale = std::exp(row_max_[r] - new_max); // 0 on the first tile
      // exp(s - max) kVec at a time; lanes and tail sum in a fixed order.
      VecF lanes = VecF{} + 0.0f;
      int j = j0;
      for (; j + kVec - 1 <= j1; j += kVec) {
        const VecF e = detail::exp_nonpositive(detail::loadv(p + j) - new_max);
        detail::storev(p + j, e);
        lanes += e;
      }
      float tile_sum = detail::sumv(lanes);
      for (; j <= j1; ++j) {
        p[j] = detail::exp_nonpositive(p[j] - new_max);
        tile_sum += p[j];
      }
      row_sum_[r] = row_sum_[r] * rescale + tile_sum;
      row_max_[r] = new_max;
      detail::accumulate_pv<VHeadDim>(p, j0, j1, value_rows_, rescale,
                                      acc_ + static_cast<size_t>(r) * VHeadDim);
    }
  }

private:
  template <typename U, int, int, int, int, int, int, int, KvType, typename Body>
  friend void run_flash_attention(ThreadPool &, const PagedAttentionArgs<U> &, Body &&);

  static constexpr bool kConvert = !std::is_same_v<T, float> || KV != KvType::Model;

  // Row r's visible keys of the loaded tile, tile-local and inclusive.
  bool row_keys(int r, int &j0, int &j1) const {
    j0 = std::max(k0_, row_lo_[r]) - k0_;
    j1 = std::min(k1_, row_hi_[r]) - k0_;
    return j0 <= j1;
  }

  KVLayoutOf<T, PageSize, HeadDim, VHeadDim, KV> cache_;
  const int32_t *table_ = nullptr; // the sequence's block table
  int32_t seq_ = 0, kv_head_ = 0, rows_ = 0;
  int32_t item_lo_ = 0, item_hi_ = -1;  // keys of the item (inclusive)
  int32_t k0_ = 0, k1_ = -1, num_keys_ = 0; // the loaded tile
  float *query_rows_ = nullptr, *probs_ = nullptr, *acc_ = nullptr;
  float *row_max_ = nullptr, *row_sum_ = nullptr;
  float *key_tile_ = nullptr, *value_tile_ = nullptr;
  int32_t *row_lo_ = nullptr, *row_hi_ = nullptr; // inclusive key range per row
  const float *key_rows_[TileTokens];
  const float *value_rows_[TileTokens];

public:
  explicit FlashWorkItem(KVLayoutOf<T, PageSize, HeadDim, VHeadDim, KV> cache) : cache_(cache) {}
};

// HeadDim / VHeadDim: K and V head sizes. GroupSize: query heads per kv head
// (1 = MHA, num_heads = MQA). PageSize: tokens per cache page. TileTokens: keys
// per online-softmax tile; a multiple or divisor of PageSize so tiles start
// on page boundaries (or split pages evenly). QueryBlock: query tokens of one
// sequence per work item. SplitTokens (a multiple of TileTokens): a sequence
// whose step has at most QueryBlock tokens (decode, short chunks) has its
// keys cut at multiples of SplitTokens, one work item per part, and the
// partial softmax states are merged afterwards (flash-decoding), so one long
// decoding sequence still spreads over many threads. The cut points depend
// only on positions, never on the thread count.
//
// KV: what the layer's cache stores (KvType::Model: T; Int8 / Fp8E4M3:
// codes and scales, runtime/QuantizedKV.h, written by kv_append with the same KV).
//
// `body(item)` runs the tile loop of one work item (a FlashWorkItem&; see
// there): generated code passes the loop attn-flash-tiling spelled in the IR.
template <typename T, int HeadDim, int VHeadDim, int GroupSize, int PageSize, int TileTokens,
          int QueryBlock, int SplitTokens, KvType KV = KvType::Model, typename Body>
void run_flash_attention(ThreadPool &pool, const PagedAttentionArgs<T> &args, Body &&body) {
  static_assert(TileTokens > 0 && (TileTokens % PageSize == 0 || PageSize % TileTokens == 0),
                "KV tiles must be aligned to pages");
  static_assert(GroupSize > 0 && QueryBlock > 0, "group size and query block must be positive");
  static_assert(SplitTokens > 0 && SplitTokens % TileTokens == 0,
                "key splits must be whole tiles");
  using Item =
      FlashWorkItem<T, HeadDim, VHeadDim, GroupSize, PageSize, TileTokens, QueryBlock, KV>;
  constexpr int kRows = Item::kRows;
  const int32_t num_kv_heads = args.num_kv_heads;
  const int32_t num_heads = num_kv_heads * GroupSize;
  const KVLayoutOf<T, PageSize, HeadDim, VHeadDim, KV> cache{const_cast<void *>(args.layer_cache),
                                                             num_kv_heads};

  // Key bounds of query token t: [lo, hi], empty when lo > hi.
  auto key_bounds = [&](int64_t t, int32_t context, int32_t &lo, int32_t &hi) {
    const int32_t q = args.positions[t];
    hi = args.causal ? std::min(q, context - 1) : context - 1;
    lo = args.window > 0 ? std::max(0, q - args.window + 1) : 0;
  };

  // Work units, each run for every kv head: a query block, restricted to a
  // key range when its sequence is split. Split units write partial states
  // (running max, running sum, unnormalised accumulator) for the merge at the end.
  struct Unit {
    int32_t seq;
    int64_t t_begin, t_end; // query tokens
    int32_t key_lo, key_hi; // keys this unit may read (inclusive)
    int64_t partial;        // -1: writes the output; else offset of its partial states
  };
  struct SplitGroup { // the split units of one query block, consecutive in `units`
    int64_t first_unit;
    int32_t num_units;
  };
  std::vector<Unit> units;
  std::vector<SplitGroup> split_groups;
  int64_t num_partials = 0;
  for (int32_t s = 0; s < args.num_seqs; ++s) {
    const int64_t q_begin = args.query_start[s], q_end = args.query_start[s + 1];
    const int32_t context = args.context_len[s];
    if (q_end - q_begin <= QueryBlock && q_end > q_begin) {
      int32_t lo_all = std::numeric_limits<int32_t>::max(), hi_all = -1;
      for (int64_t t = q_begin; t < q_end; ++t) {
        int32_t lo, hi;
        key_bounds(t, context, lo, hi);
        if (lo <= hi) {
          lo_all = std::min(lo_all, lo);
          hi_all = std::max(hi_all, hi);
        }
      }
      if (hi_all >= 0 && lo_all / SplitTokens != hi_all / SplitTokens) {
        const SplitGroup group{static_cast<int64_t>(units.size()),
                               hi_all / SplitTokens - lo_all / SplitTokens + 1};
        const int64_t rows = (q_end - q_begin) * GroupSize;
        for (int32_t part = lo_all / SplitTokens; part <= hi_all / SplitTokens; ++part) {
          units.push_back({s, q_begin, q_end, std::max(lo_all, part * SplitTokens),
                           std::min(hi_all, part * SplitTokens + SplitTokens - 1), num_partials});
          num_partials += rows * num_kv_heads;
        }
        split_groups.push_back(group);
        continue;
      }
    }
    for (int64_t t = q_begin; t < q_end; t += QueryBlock)
      units.push_back({s, t, std::min<int64_t>(t + QueryBlock, q_end), 0,
                       std::numeric_limits<int32_t>::max(), -1});
  }
  // Partial states of split units, unit u's at [u.partial, + num_kv_heads *
  // rows): running max, running sum, and VHeadDim accumulators per row. Left
  // uninitialised: every state is written before the merge reads it.
  const size_t partial_rows = static_cast<size_t>(num_partials);
  std::unique_ptr<float[]> partial_max(new float[partial_rows]);
  std::unique_ptr<float[]> partial_sum(new float[partial_rows]);
  std::unique_ptr<float[]> partial_acc(new float[partial_rows * VHeadDim]);

  const int64_t num_items = static_cast<int64_t>(units.size()) * num_kv_heads;
  pool.parallel_for(0, num_items, 1, [&](int64_t item_begin, int64_t item_end) {
    // Per-thread scratch, kept across calls (a decode step would otherwise
    // allocate and zero ~100 KB per work item). The tile buffers are only
    // used to convert non-float caches.
    detail::AttentionScratch &scratch = detail::attention_scratch();
    Item it(cache);
    it.key_tile_ = detail::grow(scratch.key_tile, Item::kConvert ? size_t(TileTokens) * HeadDim : 0);
    it.value_tile_ =
        detail::grow(scratch.value_tile, Item::kConvert ? size_t(TileTokens) * VHeadDim : 0);
    it.query_rows_ = detail::grow(scratch.query_rows, size_t(kRows) * HeadDim);
    it.probs_ = detail::grow(scratch.probs, size_t(kRows) * TileTokens); // scores, then exp
    it.acc_ = detail::grow(scratch.acc, size_t(kRows) * VHeadDim);
    it.row_max_ = detail::grow(scratch.row_max, kRows);
    it.row_sum_ = detail::grow(scratch.row_sum, kRows);
    it.row_lo_ = detail::grow(scratch.row_lo, kRows);
    it.row_hi_ = detail::grow(scratch.row_hi, kRows);

    for (int64_t item = item_begin; item < item_end; ++item) {
      const Unit &unit = units[item / num_kv_heads];
      const int32_t kv_head = static_cast<int32_t>(item % num_kv_heads);
      const int64_t t_begin = unit.t_begin, t_end = unit.t_end;
      const int32_t rows = static_cast<int32_t>(t_end - t_begin) * GroupSize;
      const int32_t context = args.context_len[unit.seq];
      it.seq_ = unit.seq;
      it.kv_head_ = kv_head;
      it.rows_ = rows;
      it.table_ = args.block_table + static_cast<int64_t>(unit.seq) * args.blocks_per_seq;

      // Key bounds of each row (clamped to the unit's keys) and of the item.
      it.item_lo_ = std::numeric_limits<int32_t>::max();
      it.item_hi_ = -1;
      for (int64_t t = t_begin; t < t_end; ++t) {
        int32_t lo, hi;
        key_bounds(t, context, lo, hi);
        lo = std::max(lo, unit.key_lo);
        hi = std::min(hi, unit.key_hi);
        for (int g = 0; g < GroupSize; ++g) {
          const int r = static_cast<int>(t - t_begin) * GroupSize + g;
          it.row_lo_[r] = lo;
          it.row_hi_[r] = hi;
        }
        if (lo <= hi) {
          it.item_lo_ = std::min(it.item_lo_, lo);
          it.item_hi_ = std::max(it.item_hi_, hi);
        }
      }

      // Rows are (token, group head); a token's GroupSize heads are adjacent
      // in the query tensor, so rows of one token are one contiguous copy.
      for (int64_t t = t_begin; t < t_end; ++t) {
        const T *src = args.query + (t * num_heads + static_cast<int64_t>(kv_head) * GroupSize) * HeadDim;
        float *dst = it.query_rows_ + (t - t_begin) * GroupSize * HeadDim;
        for (int i = 0; i < GroupSize * HeadDim; ++i)
          dst[i] = static_cast<float>(src[i]);
      }

      body(it);

      if (unit.partial >= 0) {
        // A split: hand the unnormalised state to the merge.
        const size_t base = static_cast<size_t>(unit.partial) + static_cast<size_t>(kv_head) * rows;
        std::copy(it.row_max_, it.row_max_ + rows, partial_max.get() + base);
        std::copy(it.row_sum_, it.row_sum_ + rows, partial_sum.get() + base);
        std::copy(it.acc_, it.acc_ + static_cast<size_t>(rows) * VHeadDim,
                  partial_acc.get() + base * VHeadDim);
        continue;
      }
      // Normalise once; a row with no visible key (only possible without
      // causal masking or with an empty context) gets zeros.
      for (int r = 0; r < rows; ++r) {
        const int64_t t = t_begin + r / GroupSize;
        const int64_t head = static_cast<int64_t>(kv_head) * GroupSize + r % GroupSize;
        T *o = args.out + (t * num_heads + head) * VHeadDim;
        const float inv_sum = it.row_sum_[r] > 0.0f ? 1.0f / it.row_sum_[r] : 0.0f;
        const float *a = it.acc_ + static_cast<size_t>(r) * VHeadDim;
        for (int e = 0; e < VHeadDim; ++e)
          o[e] = static_cast<T>(a[e] * inv_sum);
      }
    }
  });

  if (split_groups.empty())
    return;
  // Merge the parts of each split query block, in part order: rescale every
  // part to the common max, add sums and accumulators, normalise.
  pool.parallel_for(0, static_cast<int64_t>(split_groups.size()) * num_kv_heads, 1,
                    [&](int64_t item_begin, int64_t item_end) {
    float merged[VHeadDim];
    for (int64_t item = item_begin; item < item_end; ++item) {
      const SplitGroup &group = split_groups[item / num_kv_heads];
      const int32_t kv_head = static_cast<int32_t>(item % num_kv_heads);
      const Unit &first = units[group.first_unit];
      const int32_t rows = static_cast<int32_t>(first.t_end - first.t_begin) * GroupSize;
      for (int r = 0; r < rows; ++r) {
        auto state = [&](int part) {
          return static_cast<size_t>(units[group.first_unit + part].partial) +
                 static_cast<size_t>(kv_head) * rows + r;
        };
        float max_all = -std::numeric_limits<float>::infinity();
        for (int part = 0; part < group.num_units; ++part)
          max_all = std::max(max_all, partial_max[state(part)]);
        float sum_all = 0.0f;
        std::fill(merged, merged + VHeadDim, 0.0f);
        if (max_all != -std::numeric_limits<float>::infinity()) {
          for (int part = 0; part < group.num_units; ++part) {
            if (partial_sum[state(part)] == 0.0f)
              continue; // part without visible keys for this row
            const float weight = std::exp(partial_max[state(part)] - max_all);
            sum_all += partial_sum[state(part)] * weight;
            const float *a = partial_acc.get() + state(part) * VHeadDim;
            for (int e = 0; e < VHeadDim; ++e)
              merged[e] += a[e] * weight;
          }
        }
        const int64_t t = first.t_begin + r / GroupSize;
        const int64_t head = static_cast<int64_t>(kv_head) * GroupSize + r % GroupSize;
        T *o = args.out + (t * num_heads + head) * VHeadDim;
        const float inv_sum = sum_all > 0.0f ? 1.0f / sum_all : 0.0f;
        for (int e = 0; e < VHeadDim; ++e)
          o[e] = static_cast<T>(merged[e] * inv_sum);
      }
    }
  });
}


// Paged attention with the canonical tile loop (the loop attn-flash-tiling
// writes into the IR, by hand): for the kernel tests and direct callers.
template <typename T, int HeadDim, int VHeadDim, int GroupSize, int PageSize, int TileTokens = 64,
          int QueryBlock = 16, int SplitTokens = 512, KvType KV = KvType::Model>
void paged_attention(ThreadPool &pool, const PagedAttentionArgs<T> &args) {
  const float scale = args.scale, softcap = args.softcap;
  run_flash_attention<T, HeadDim, VHeadDim, GroupSize, PageSize, TileTokens, QueryBlock,
                      SplitTokens, KV>(pool, args, [&](auto &item) {
    item.init_state();
    for (int32_t start = item.key_begin() / TileTokens * TileTokens; start < item.key_end();
         start += TileTokens) {
      item.load_kv_tile(start);
      item.tile_scores(scale);
      if (softcap > 0.0f)
        item.softcap_scores(softcap);
      item.online_softmax();
    }
  });
}

} // namespace attnrt::cpu

#endif // ATTNC_RUNTIME_CPU_ATTENTION_H
