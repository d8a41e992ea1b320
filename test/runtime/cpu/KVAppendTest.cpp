// kv_append writes each step token's K and V to exactly its page and slot
// (shuffled block tables, ragged sequences, positions not page aligned) and
// nothing else: every other float of the cache keeps its NaN poison.
// rope_kv_append gives the bits of rope() on the keys (and queries) followed
// by kv_append().
#include "runtime/cpu/PagedKV.h"

#include "PagedProblem.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace attnrt::cpu {
namespace {
using namespace test;

template <int PageSize, int HeadDim, int VHeadDim> void check_append(std::mt19937 &rng, int kv_heads) {
  SCOPED_TRACE("page " + std::to_string(PageSize) + " head_dim " + std::to_string(HeadDim) +
               " v_head_dim " + std::to_string(VHeadDim) + " kv_heads " + std::to_string(kv_heads));
  PagedProblem<PageSize, HeadDim, VHeadDim> problem;
  problem.generate(rng, random_batch(rng), kv_heads, /*window=*/0);
  ThreadPool pool(3);
  kv_append<float, PageSize, HeadDim, VHeadDim>(
      pool, problem.step_keys.data(), problem.step_values.data(), problem.num_tokens,
      problem.positions.data(), int32_t(problem.seqs.size()), problem.query_start.data(),
      problem.block_table.data(), problem.blocks_per_seq, problem.layer_cache(), kv_heads);

  // Expected cache: NaN everywhere but the step tokens' slots.
  std::vector<float> expected(problem.cache_buffer.size(), kNaN);
  const float *base = problem.cache_buffer.data();
  auto cache = problem.layout();
  for (int64_t t = 0; t < problem.num_tokens; ++t) {
    const int s = problem.token_seq[t], pos = problem.positions[t];
    const int32_t page = problem.block_table[int64_t(s) * problem.blocks_per_seq + pos / PageSize];
    ASSERT_GE(page, 0);
    const float *k = problem.key_at(s, pos), *v = problem.value_at(s, pos);
    std::copy(k, k + kv_heads * HeadDim, expected.begin() + (cache.keys(page, pos % PageSize) - base));
    std::copy(v, v + kv_heads * VHeadDim, expected.begin() + (cache.values(page, pos % PageSize) - base));
  }
  size_t bad = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const float got = problem.cache_buffer[i];
    const bool same = std::isnan(expected[i]) ? std::isnan(got) : got == expected[i];
    if (!same && ++bad <= 5)
      ADD_FAILURE() << "cache float " << i << ": got " << got << ", want " << expected[i];
  }
  EXPECT_EQ(bad, 0u);
}

TEST(KVAppend, WritesExactlyTheStepSlots) {
  ATTNRT_SEEDED_RNG(rng);
  check_append<16, 64, 64>(rng, 4);
  check_append<8, 128, 128>(rng, 2);
  check_append<32, 16, 16>(rng, 1);
  check_append<16, 64, 32>(rng, 3); // v_head_dim != head_dim
  check_append<1, 16, 16>(rng, 2);
}


enum class Query { None, InPlace, FromSource };

// The fused kernel against rope() + kv_append() on copies: the same cache
// bits (NaN poison included), the same rotated queries (in place, or written
// from the columns of a wider buffer that stays untouched), the key untouched.
template <int PageSize, int HeadDim, int VHeadDim, int RotaryDim, RopeStyle Style>
void check_rope_append(std::mt19937 &rng, int kv_heads, int num_heads, Query mode) {
  const bool rotate_query = mode != Query::None;
  SCOPED_TRACE("page " + std::to_string(PageSize) + " head_dim " + std::to_string(HeadDim) +
               " v_head_dim " + std::to_string(VHeadDim) + " rotary_dim " +
               std::to_string(RotaryDim) +
               (Style == RopeStyle::HalfSplit ? " half-split" : " interleaved") + " kv_heads " +
               std::to_string(kv_heads) +
               (mode == Query::InPlace      ? " with queries"
                : mode == Query::FromSource ? " with queries from a wider buffer"
                                            : ""));
  PagedProblem<PageSize, HeadDim, VHeadDim> problem;
  problem.generate(rng, random_batch(rng, 600), kv_heads, /*window=*/0, /*kv_range=*/2.0f);
  const int64_t T = problem.num_tokens;
  const int32_t num_seqs = int32_t(problem.seqs.size());
  std::vector<float> inv_freq(RotaryDim / 2);
  rope_inv_freq(random_int(rng, 0, 1) ? 10000.0 : 500000.0, RotaryDim, inv_freq.data());
  const std::vector<float> query = random_vector(rng, T * num_heads * HeadDim, -2, 2);
  ThreadPool pool(3);

  // Reference: rotate copies, then append.
  std::vector<float> want_cache = problem.cache_buffer;
  std::vector<float> want_query = query, rotated_keys = problem.step_keys;
  rope<float, HeadDim, RotaryDim, Style>(pool, rotated_keys.data(), T, kv_heads,
                                         problem.positions.data(), inv_freq.data());
  if (rotate_query)
    rope<float, HeadDim, RotaryDim, Style>(pool, want_query.data(), T, num_heads,
                                           problem.positions.data(), inv_freq.data());
  kv_append<float, PageSize, HeadDim, VHeadDim>(
      pool, rotated_keys.data(), problem.step_values.data(), T, problem.positions.data(),
      num_seqs, problem.query_start.data(), problem.block_table.data(), problem.blocks_per_seq,
      want_cache.data() + problem.page_floats(), kv_heads);

  const std::vector<float> keys_before = problem.step_keys;
  std::vector<float> got_query = query;
  // FromSource: the query as columns [3, 3 + q_elems) of rows of q_elems + 5,
  // the output poisoned.
  const int64_t q_elems = int64_t(num_heads) * HeadDim, wide_stride = q_elems + 5;
  std::vector<float> wide;
  if (mode == Query::FromSource) {
    wide = random_vector(rng, T * wide_stride, -2, 2);
    for (int64_t t = 0; t < T; ++t)
      std::copy_n(query.begin() + t * q_elems, q_elems, wide.begin() + t * wide_stride + 3);
    std::fill(got_query.begin(), got_query.end(), std::nanf(""));
  }
  const std::vector<float> wide_before = wide;
  rope_kv_append<float, PageSize, HeadDim, VHeadDim, RotaryDim, Style>(
      pool, rotate_query ? got_query.data() : nullptr, num_heads, problem.step_keys.data(),
      problem.step_values.data(), T, problem.positions.data(), inv_freq.data(), num_seqs,
      problem.query_start.data(), problem.block_table.data(), problem.blocks_per_seq,
      problem.layer_cache(), kv_heads, 0, 0,
      mode == Query::FromSource ? wide.data() + 3 : nullptr,
      mode == Query::FromSource ? wide_stride : 0);

  auto same_bits = [](const std::vector<float> &got, const std::vector<float> &want,
                      const char *what) {
    ASSERT_EQ(got.size(), want.size());
    size_t bad = 0;
    for (size_t i = 0; i < want.size(); ++i)
      if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0 && ++bad <= 5)
        ADD_FAILURE() << what << " float " << i << ": got " << got[i] << ", want " << want[i];
    EXPECT_EQ(bad, 0u) << what;
  };
  same_bits(problem.cache_buffer, want_cache, "cache");
  same_bits(got_query, want_query, "query");
  same_bits(problem.step_keys, keys_before, "key (must stay unrotated)");
  same_bits(wide, wide_before, "query source (must stay unrotated)");
}

TEST(RopeKVAppend, SameBitsAsRopeThenAppend) {
  ATTNRT_SEEDED_RNG(rng);
  for (int round = 0; round < 3; ++round) {
    check_rope_append<16, 64, 64, 64, RopeStyle::HalfSplit>(rng, 2, 8, Query::InPlace);
    check_rope_append<16, 64, 64, 64, RopeStyle::Interleaved>(rng, 4, 4, Query::InPlace);
    // partial rotary
    check_rope_append<16, 64, 64, 16, RopeStyle::HalfSplit>(rng, 2, 6, Query::InPlace);
    check_rope_append<8, 32, 32, 8, RopeStyle::Interleaved>(rng, 1, 3, Query::InPlace);
    check_rope_append<32, 128, 128, 64, RopeStyle::HalfSplit>(rng, 2, 4, Query::None);
    // v_head_dim != head_dim
    check_rope_append<16, 64, 32, 32, RopeStyle::HalfSplit>(rng, 3, 3, Query::InPlace);
    check_rope_append<1, 16, 16, 16, RopeStyle::Interleaved>(rng, 2, 2, Query::None);
    check_rope_append<4, 16, 16, 4, RopeStyle::HalfSplit>(rng, 1, 8, Query::InPlace);
    // the query from a fused QKV output's columns (partial rotary: the
    // pass-through dimensions copied too)
    check_rope_append<16, 64, 64, 64, RopeStyle::HalfSplit>(rng, 2, 8, Query::FromSource);
    check_rope_append<16, 64, 64, 16, RopeStyle::Interleaved>(rng, 2, 6, Query::FromSource);
  }
}

} // namespace
} // namespace attnrt::cpu
