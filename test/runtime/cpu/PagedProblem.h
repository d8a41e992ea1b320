// A random ragged step over a paged KV cache, shared by the kv_append and
// paged_attention tests: sequences with their own context lengths and query
// tokens (decode, prefill from 0, prefill chunks starting mid-sequence), a
// block table of shuffled page ids, and a cache buffer poisoned with NaN.
//
// The cache buffer holds one extra page in front of page 0, so that a kernel
// dereferencing a released (-1) block-table entry reads that page's NaNs and
// the outputs show it. Pages that slid out of the window of every query of
// the step are released (-1) and never written.
#ifndef ATTNC_TEST_RUNTIME_CPU_PAGEDPROBLEM_H
#define ATTNC_TEST_RUNTIME_CPU_PAGEDPROBLEM_H

#include "runtime/cpu/PagedKV.h"

#include "TestUtil.h"

#include <algorithm>
#include <numeric>

namespace attnrt::cpu::test {

struct SeqShape {
  int context;     // cached tokens after the append
  int num_queries; // this step's tokens, at positions [context - num_queries, context)
};

// Random mix of decode, fresh prefill and mid-sequence chunks.
inline std::vector<SeqShape> random_batch(std::mt19937 &rng, int max_context = 300) {
  std::vector<SeqShape> seqs(random_int(rng, 2, 6));
  for (SeqShape &s : seqs) {
    switch (random_int(rng, 0, 2)) {
    case 0: // decode
      s.context = random_int(rng, 1, max_context);
      s.num_queries = 1;
      break;
    case 1: // prefill from position 0
      s.context = random_int(rng, 1, 70);
      s.num_queries = s.context;
      break;
    default: // chunked prefill continuing a sequence
      s.context = random_int(rng, 2, max_context);
      s.num_queries = random_int(rng, 1, std::min(s.context, 45));
      break;
    }
  }
  return seqs;
}

template <int PageSize, int HeadDim, int VHeadDim> struct PagedProblem {
  using Layout = PagedKVLayout<float, PageSize, HeadDim, VHeadDim>;

  std::vector<SeqShape> seqs;
  int kv_heads = 1;
  int window = 0; // pages wholly below every query's window are released

  int64_t num_tokens = 0;
  std::vector<int32_t> query_start, context_len, positions, token_seq;
  int32_t blocks_per_seq = 0;
  std::vector<int32_t> block_table;
  int32_t num_pages = 0;
  std::vector<float> cache_buffer; // [num_pages + 1 pages], page -1 first
  // Every sequence's K/V at every position: [seq][pos][kv_heads][dim].
  std::vector<std::vector<float>> keys, values;
  // The step's K/V in token order: [T][kv_heads][dim].
  std::vector<float> step_keys, step_values;

  int64_t page_floats() const { return int64_t(PageSize) * kv_heads * (HeadDim + VHeadDim); }
  void *layer_cache() { return cache_buffer.data() + page_floats(); }
  Layout layout() { return Layout{layer_cache(), kv_heads}; }

  // Lowest position any query of sequence s may attend to.
  int lowest_needed(int s) const {
    const int first_query = seqs[s].context - seqs[s].num_queries;
    return window > 0 ? std::max(0, first_query - window + 1) : 0;
  }

  void generate(std::mt19937 &rng, std::vector<SeqShape> shapes, int num_kv_heads, int win,
                float kv_range = 1.0f) {
    seqs = std::move(shapes);
    kv_heads = num_kv_heads;
    window = win;
    const int S = static_cast<int>(seqs.size());
    query_start.assign(S + 1, 0);
    context_len.resize(S);
    int max_blocks = 0, pages_needed = 0;
    for (int s = 0; s < S; ++s) {
      query_start[s + 1] = query_start[s] + seqs[s].num_queries;
      context_len[s] = seqs[s].context;
      const int blocks = (seqs[s].context + PageSize - 1) / PageSize;
      max_blocks = std::max(max_blocks, blocks);
      pages_needed += blocks;
    }
    num_tokens = query_start[S];
    blocks_per_seq = max_blocks + 2; // trailing entries stay -1
    num_pages = pages_needed + 3;    // a few spare pages stay poisoned

    std::vector<int32_t> page_ids(num_pages);
    std::iota(page_ids.begin(), page_ids.end(), 0);
    std::shuffle(page_ids.begin(), page_ids.end(), rng);
    block_table.assign(int64_t(S) * blocks_per_seq, -1);
    int next_page = 0;
    for (int s = 0; s < S; ++s) {
      const int blocks = (seqs[s].context + PageSize - 1) / PageSize;
      for (int b = 0; b < blocks; ++b) {
        const int id = page_ids[next_page++];
        const bool released = (b + 1) * PageSize - 1 < lowest_needed(s);
        block_table[int64_t(s) * blocks_per_seq + b] = released ? -1 : id;
      }
    }
    cache_buffer.assign((num_pages + 1) * page_floats(), kNaN);

    keys.resize(S);
    values.resize(S);
    positions.clear();
    token_seq.clear();
    step_keys.clear();
    step_values.clear();
    for (int s = 0; s < S; ++s) {
      keys[s] = random_vector(rng, int64_t(seqs[s].context) * kv_heads * HeadDim, -kv_range, kv_range);
      values[s] = random_vector(rng, int64_t(seqs[s].context) * kv_heads * VHeadDim);
      const int first_query = seqs[s].context - seqs[s].num_queries;
      for (int pos = first_query; pos < seqs[s].context; ++pos) {
        positions.push_back(pos);
        token_seq.push_back(s);
        step_keys.insert(step_keys.end(), key_at(s, pos), key_at(s, pos) + kv_heads * HeadDim);
        step_values.insert(step_values.end(), value_at(s, pos), value_at(s, pos) + kv_heads * VHeadDim);
      }
    }
  }

  const float *key_at(int s, int pos) const { return keys[s].data() + int64_t(pos) * kv_heads * HeadDim; }
  const float *value_at(int s, int pos) const {
    return values[s].data() + int64_t(pos) * kv_heads * VHeadDim;
  }

  // Writes the tokens cached before this step (those still inside the
  // window) straight into their pages.
  void write_history() {
    Layout cache = layout();
    for (int s = 0; s < int(seqs.size()); ++s)
      for (int pos = 0; pos < seqs[s].context - seqs[s].num_queries; ++pos) {
        const int32_t page = block_table[int64_t(s) * blocks_per_seq + pos / PageSize];
        if (page < 0)
          continue;
        std::copy(key_at(s, pos), key_at(s, pos) + kv_heads * HeadDim, cache.keys(page, pos % PageSize));
        std::copy(value_at(s, pos), value_at(s, pos) + kv_heads * VHeadDim,
                  cache.values(page, pos % PageSize));
      }
  }
};

} // namespace attnrt::cpu::test

#endif // ATTNC_TEST_RUNTIME_CPU_PAGEDPROBLEM_H
