// kv_append writes each step token's K and V to exactly its page and slot
// (shuffled block tables, ragged sequences, positions not page aligned) and
// nothing else: every other float of the cache keeps its NaN poison.
#include "runtime/cpu/PagedKV.h"

#include "PagedProblem.h"

#include <cmath>

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

} // namespace
} // namespace attnrt::cpu
