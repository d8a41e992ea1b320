// paged_attention against a double-precision reference that materialises the
// full masked score matrix of every (token, head) and takes its softmax.
//
// Each case is a fresh random ragged batch (decode tokens, prefill from 0,
// prefill chunks starting mid-sequence; context lengths not multiples of the
// page size) over a shuffled block table, with the step's K/V written by
// kv_append. Outputs start as NaN so unwritten elements fail; unwritten cache
// slots, spare pages, trailing block-table entries and released (-1) pages
// (backed by a NaN page at index -1) all hold NaN, so any read of a key the
// mask excludes by page, context or window shows up as NaN in the output.
#include "runtime/cpu/Attention.h"

#include "PagedProblem.h"

#include <cmath>
#include <limits>

namespace attnrt::cpu {
namespace {
using namespace test;

struct MaskSpec {
  bool causal = true;
  int window = 0;
  float softcap = 0.0f;
  std::string name() const {
    return std::string(causal ? "causal" : "non-causal") +
           (window ? " window " + std::to_string(window) : "") +
           (softcap > 0 ? " softcap " + std::to_string(softcap) : "");
  }
};

template <int HeadDim, int VHeadDim, int GroupSize, int PageSize>
struct AttentionProblem : PagedProblem<PageSize, HeadDim, VHeadDim> {
  MaskSpec mask;
  float scale = 1.0f / std::sqrt(float(HeadDim));
  std::vector<float> query; // [T, heads, HeadDim]

  int num_heads() const { return this->kv_heads * GroupSize; }

  void generate(std::mt19937 &rng, std::vector<SeqShape> shapes, int kv_heads, MaskSpec m) {
    mask = m;
    // Keys in [-2, 2] and queries in [-2, 2] give scores of a few units:
    // peaked softmaxes, and softcaps of ~5 bite.
    PagedProblem<PageSize, HeadDim, VHeadDim>::generate(rng, std::move(shapes), kv_heads,
                                                        m.window, 2.0f);
    query = random_vector(rng, this->num_tokens * num_heads() * HeadDim, -2, 2);
    this->write_history();
    ThreadPool pool(2);
    kv_append<float, PageSize, HeadDim, VHeadDim>(
        pool, this->step_keys.data(), this->step_values.data(), this->num_tokens,
        this->positions.data(), int32_t(this->seqs.size()), this->query_start.data(),
        this->block_table.data(), this->blocks_per_seq, this->layer_cache(), kv_heads);
  }

  template <int TileTokens, int QueryBlock, int SplitTokens = 512>
  std::vector<float> run(ThreadPool &pool) {
    std::vector<float> out(this->num_tokens * num_heads() * VHeadDim, kNaN);
    PagedAttentionArgs<float> args;
    args.query = query.data();
    args.out = out.data();
    args.num_tokens = this->num_tokens;
    args.positions = this->positions.data();
    args.num_seqs = int32_t(this->seqs.size());
    args.query_start = this->query_start.data();
    args.context_len = this->context_len.data();
    args.block_table = this->block_table.data();
    args.blocks_per_seq = this->blocks_per_seq;
    args.layer_cache = this->layer_cache();
    args.num_kv_heads = this->kv_heads;
    args.scale = scale;
    args.softcap = mask.softcap;
    args.window = mask.window;
    args.causal = mask.causal;
    paged_attention<float, HeadDim, VHeadDim, GroupSize, PageSize, TileTokens, QueryBlock,
                    SplitTokens>(pool, args);
    return out;
  }

  // The same problem with a double cache, query and output: exercises the
  // path that converts non-float cache rows into tile buffers. Offsets in
  // the paged layout are in elements, so an elementwise copy of the float
  // buffer is the same cache.
  template <int TileTokens, int QueryBlock, int SplitTokens>
  std::vector<float> run_as_double(ThreadPool &pool) {
    const std::vector<double> cache(this->cache_buffer.begin(), this->cache_buffer.end());
    const std::vector<double> query_d(query.begin(), query.end());
    std::vector<double> out(this->num_tokens * num_heads() * VHeadDim, kNaN);
    PagedAttentionArgs<double> args;
    args.query = query_d.data();
    args.out = out.data();
    args.num_tokens = this->num_tokens;
    args.positions = this->positions.data();
    args.num_seqs = int32_t(this->seqs.size());
    args.query_start = this->query_start.data();
    args.context_len = this->context_len.data();
    args.block_table = this->block_table.data();
    args.blocks_per_seq = this->blocks_per_seq;
    args.layer_cache = cache.data() + this->page_floats();
    args.num_kv_heads = this->kv_heads;
    args.scale = scale;
    args.softcap = mask.softcap;
    args.window = mask.window;
    args.causal = mask.causal;
    paged_attention<double, HeadDim, VHeadDim, GroupSize, PageSize, TileTokens, QueryBlock,
                    SplitTokens>(pool, args);
    return std::vector<float>(out.begin(), out.end());
  }

  std::vector<double> reference() const {
    const int H = num_heads();
    std::vector<double> out(this->num_tokens * H * VHeadDim, 0.0);
    for (int64_t t = 0; t < this->num_tokens; ++t) {
      const int s = this->token_seq[t], q_pos = this->positions[t], context = this->seqs[s].context;
      for (int h = 0; h < H; ++h) {
        const int kv = h / GroupSize;
        const float *q = query.data() + (t * H + h) * HeadDim;
        // Full score row with -inf where masked.
        std::vector<double> scores(context, -INFINITY);
        double max_score = -INFINITY;
        for (int k = 0; k < context; ++k) {
          if (mask.causal && k > q_pos)
            continue;
          if (mask.window > 0 && k < q_pos - mask.window + 1)
            continue;
          const float *key = this->key_at(s, k) + kv * HeadDim;
          double dot = 0;
          for (int d = 0; d < HeadDim; ++d)
            dot += double(q[d]) * key[d];
          double score = double(scale) * dot;
          if (mask.softcap > 0)
            score = mask.softcap * std::tanh(score / mask.softcap);
          scores[k] = score;
          max_score = std::max(max_score, score);
        }
        if (max_score == -INFINITY)
          continue; // no visible key: zeros
        double denom = 0;
        for (double &sc : scores) {
          sc = std::exp(sc - max_score); // exp(-inf) = 0 for masked keys
          denom += sc;
        }
        double *o = out.data() + (t * H + h) * VHeadDim;
        for (int k = 0; k < context; ++k) {
          if (scores[k] == 0)
            continue;
          const float *v = this->value_at(s, k) + kv * VHeadDim;
          for (int e = 0; e < VHeadDim; ++e)
            o[e] += scores[k] / denom * v[e];
        }
      }
    }
    return out;
  }
};

const MaskSpec kMasks[] = {
    {true, 0, 0.0f},      // causal
    {true, 7, 0.0f},      // window smaller than a page
    {true, 40, 0.0f},     // window spanning pages and tiles
    {true, 100000, 0.0f}, // window longer than every context
    {true, 0, 5.0f},      // softcap
    {true, 33, 5.0f},     // window + softcap
    {false, 0, 0.0f},     // non-causal: every cached key
    {false, 25, 0.0f},    // non-causal with a lower window bound
};

// SplitTokens below the contexts (up to 300) exercises the key-split path for
// the decode and short-chunk sequences of each batch.
template <int HeadDim, int VHeadDim, int GroupSize, int PageSize, int TileTokens, int QueryBlock = 16,
          int SplitTokens = 512>
void check_attention(int kv_heads) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(3);
  for (const MaskSpec &mask : kMasks)
    for (int repeat = 0; repeat < 3; ++repeat) {
      AttentionProblem<HeadDim, VHeadDim, GroupSize, PageSize> problem;
      problem.generate(rng, random_batch(rng), kv_heads, mask);
      std::string batch;
      for (const SeqShape &s : problem.seqs)
        batch += " (" + std::to_string(s.context) + "," + std::to_string(s.num_queries) + ")";
      SCOPED_TRACE(mask.name() + "; (context, queries):" + batch);
      const std::vector<float> got = problem.template run<TileTokens, QueryBlock, SplitTokens>(pool);
      ASSERT_TRUE(all_close(got, problem.reference(), 1e-5, 2e-6));
    }
}

TEST(PagedAttention, MultiHeadDim64) { check_attention<64, 64, 1, 16, 32>(3); }
TEST(PagedAttention, MultiHeadDim64KeySplits) { check_attention<64, 64, 1, 16, 32, 16, 64>(3); }
TEST(PagedAttention, GroupedQuery4Dim128) { check_attention<128, 128, 4, 16, 64>(2); }
TEST(PagedAttention, GroupedQuery4Dim128KeySplits) { check_attention<128, 128, 4, 16, 64, 16, 64>(2); }
TEST(PagedAttention, MultiQueryDim16KeySplits) { check_attention<16, 16, 8, 8, 16, 16, 16>(1); }
TEST(PagedAttention, TileSmallerThanPage) { check_attention<64, 64, 2, 32, 16, 4, 32>(2); }
TEST(PagedAttention, TileOfSeveralPagesSmallQueryBlock) { check_attention<64, 64, 4, 8, 32, 3, 64>(2); }
TEST(PagedAttention, ValueHeadDimDiffers) { check_attention<64, 32, 2, 16, 32, 16, 32>(2); }

// Many decode sequences in one step (the continuous-batching steady state).
TEST(PagedAttention, DecodeBatch) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(2);
  for (const MaskSpec &mask : kMasks) {
    std::vector<SeqShape> seqs(random_int(rng, 10, 24));
    for (SeqShape &s : seqs)
      s = {random_int(rng, 1, 600), 1};
    AttentionProblem<128, 128, 4, 16> problem;
    problem.generate(rng, seqs, 2, mask);
    SCOPED_TRACE(mask.name());
    ASSERT_TRUE(all_close(problem.run<64, 16>(pool), problem.reference(), 1e-5, 2e-6));
  }
}

TEST(PagedAttention, ConvertsNonFloatCache) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(2);
  for (const MaskSpec &mask : {kMasks[0], kMasks[2], kMasks[4], kMasks[6]}) {
    AttentionProblem<64, 64, 4, 16> problem;
    problem.generate(rng, random_batch(rng), 2, mask);
    SCOPED_TRACE(mask.name());
    const std::vector<float> got = problem.run_as_double<32, 16, 64>(pool);
    ASSERT_TRUE(all_close(got, problem.reference(), 1e-5, 2e-6));
    // Compute is float32 either way: the same bits as the float cache.
    EXPECT_TRUE(bitwise_equal(got, problem.run<32, 16, 64>(pool)));
  }
}

TEST(PagedAttention, SameBitsForOneAndManyThreads) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool one(1), four(4);
  for (const MaskSpec &mask : {kMasks[0], kMasks[2], kMasks[5]}) {
    AttentionProblem<128, 128, 4, 16> problem;
    problem.generate(rng, random_batch(rng), 2, mask);
    SCOPED_TRACE(mask.name());
    const std::vector<float> a = problem.run<64, 16>(one), b = problem.run<64, 16>(four);
    EXPECT_TRUE(bitwise_equal(a, b));
    const std::vector<float> split1 = problem.run<64, 16, 64>(one),
                             split4 = problem.run<64, 16, 64>(four);
    EXPECT_TRUE(bitwise_equal(split1, split4)) << "with key splits";
  }
}

} // namespace
} // namespace attnrt::cpu

// The softmax's vector exp against libm over the range it sees (s - max <= 0),
// including the flush to zero far below and exp(-inf) = 0.
TEST(AttentionExp, NonPositiveExpMatchesLibm) {
  using attnrt::cpu::detail::exp_nonpositive;
  double worst = 0.0;
  for (int i = 0; i <= 200000; ++i) {
    const float x = -100.0f * static_cast<float>(i) / 200000.0f;
    const double want = std::exp(static_cast<double>(x));
    const double got = exp_nonpositive(x);
    if (want > 1e-37)
      worst = std::max(worst, std::abs(got - want) / want);
    else
      EXPECT_LE(got, 1e-36) << "x = " << x;
  }
  EXPECT_LT(worst, 4e-7) << "max relative error";
  EXPECT_EQ(exp_nonpositive(0.0f), 1.0f);
  EXPECT_EQ(exp_nonpositive(-std::numeric_limits<float>::infinity()), 0.0f);
}
