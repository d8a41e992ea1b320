// The quantized KV cache (int8, fp8 e4m3) of the CPU kernels against
// runtime/QuantizedKV.h, the contract both targets implement:
//  - kv_append and rope_kv_append write exactly the reference's codes and
//    scales (kvquant::quantize_vector of each (token, kv head) vector, the
//    keys after rotation) at the contract's offsets, and nothing else;
//  - paged_attention over quantized pages gives the same bits as the f32
//    attention over a cache holding the dequantized values (the kernels
//    dequantize into the f32 tile buffers the f32 path reads in place).
// Caches are poisoned with NaN (as f32 words: codes and scales alike), and
// released pages of windowed problems sit behind -1 entries the checked
// build aborts on, so a read of anything the kernel should not read shows.
#include "runtime/cpu/Attention.h"

#include "PagedProblem.h"

#include <cmath>
#include <cstring>
#include <random>

namespace attnrt::cpu {
namespace {
using namespace test;

const char *type_name(KvType type) { return kvquant::kv_type_name(type); }

// The e4m3fn value of a code from its fields (independent of the header).
float e4m3_value(int code) {
  const int e = (code >> 3) & 0xF, m = code & 7;
  const float v = e == 0 ? m / 512.0f : (8 + m) * std::pow(2.0f, float(e - 10));
  return (code & 0x80) ? -v : v;
}
// Nearest finite code to x (|x| <= 448) by search; ties to the even mantissa.
int nearest_e4m3(float x) {
  int best = 0;
  for (int c = 1; c <= 0x7E; ++c) {
    const double d = std::fabs(double(std::fabs(x)) - e4m3_value(c));
    const double db = std::fabs(double(std::fabs(x)) - e4m3_value(best));
    if (d < db || (d == db && (c & 1) == 0))
      best = c;
  }
  return (std::signbit(x) ? 0x80 : 0) | best;
}

TEST(QuantizedKV, Fp8EncoderRoundsToNearestEven) {
  // Each pair of neighbouring codes: both values, the midpoint (the even code
  // wins) and the floats on either side of it; both signs.
  std::vector<float> xs;
  for (int c = 0; c < 0x7E; ++c) {
    const float lo = e4m3_value(c), hi = e4m3_value(c + 1), mid = (lo + hi) / 2;
    for (float v : {lo, hi, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f)})
      xs.insert(xs.end(), {v, -v});
  }
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-448.0f, 448.0f), small(-0.03f, 0.03f);
  for (int i = 0; i < 20000; ++i)
    xs.insert(xs.end(), {u(rng), small(rng)});
  for (float x : xs)
    ASSERT_EQ(int(kvquant::float_to_e4m3(x)), nearest_e4m3(x)) << "x = " << x;
  EXPECT_EQ(kvquant::float_to_e4m3(448.0f), 0x7E);
  EXPECT_EQ(kvquant::float_to_e4m3(-448.0f), 0xFE);
  EXPECT_EQ(kvquant::float_to_e4m3(0.0f), 0x00);
  EXPECT_EQ(kvquant::float_to_e4m3(-0.0f), 0x80);
  for (int c = 0; c <= 0x7E; ++c) // decoding is the inverse on every finite code
    EXPECT_EQ(kvquant::e4m3_to_float(uint8_t(c)), e4m3_value(c));
}

// A quantized layer's pages in a NaN-poisoned buffer with one page in front
// of page 0 (what a -1 entry would address). Offsets computed from the
// contract's text, independently of QuantizedKVLayout.
template <int PageSize, int HeadDim, int VHeadDim> struct QuantizedPages {
  int kv_heads = 1;
  int64_t page_bytes = 0;
  std::vector<float> storage; // f32 words so the poison is NaN scales

  void allocate(int heads, int num_pages) {
    kv_heads = heads;
    page_bytes = int64_t(PageSize) * kv_heads * (HeadDim + VHeadDim + 8);
    EXPECT_EQ(page_bytes, kvquant::page_bytes(KvType::Int8, PageSize, kv_heads, HeadDim, VHeadDim, 1));
    storage.assign(((num_pages + 1) * page_bytes + 3) / 4, kNaN);
  }
  uint8_t *bytes() { return reinterpret_cast<uint8_t *>(storage.data()); }
  void *layer_cache() { return bytes() + page_bytes; }
  uint8_t *page(int32_t p) { return static_cast<uint8_t *>(layer_cache()) + p * page_bytes; }
  uint8_t *key_codes(int32_t p, int slot, int h) {
    return page(p) + (int64_t(slot) * kv_heads + h) * HeadDim;
  }
  uint8_t *value_codes(int32_t p, int slot, int h) {
    return page(p) + int64_t(PageSize) * kv_heads * HeadDim + (int64_t(slot) * kv_heads + h) * VHeadDim;
  }
  uint8_t *key_scale(int32_t p, int slot, int h) {
    return page(p) + int64_t(PageSize) * kv_heads * (HeadDim + VHeadDim) +
           (int64_t(slot) * kv_heads + h) * 4;
  }
  uint8_t *value_scale(int32_t p, int slot, int h) {
    return key_scale(p, slot, h) + int64_t(PageSize) * kv_heads * 4;
  }

  // The reference's codes and scale of one token's K and V (all heads).
  void store(KvType type, int32_t p, int slot, const float *key, const float *value) {
    for (int h = 0; h < kv_heads; ++h) {
      const float ks = kvquant::quantize_vector(type, key + h * HeadDim, HeadDim, key_codes(p, slot, h));
      const float vs =
          kvquant::quantize_vector(type, value + h * VHeadDim, VHeadDim, value_codes(p, slot, h));
      std::memcpy(key_scale(p, slot, h), &ks, 4);
      std::memcpy(value_scale(p, slot, h), &vs, 4);
    }
  }
};

// Quantized then dequantized, as the attention sees a cached vector.
std::vector<float> round_trip(KvType type, const float *x, int n) {
  std::vector<uint8_t> codes(n);
  const float scale = kvquant::quantize_vector(type, x, n, codes.data());
  std::vector<float> y(n);
  for (int i = 0; i < n; ++i)
    y[i] = kvquant::dequantize(type, codes[i], scale);
  return y;
}

::testing::AssertionResult same_bytes(const std::vector<float> &got, const std::vector<float> &want) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  const uint8_t *g = reinterpret_cast<const uint8_t *>(got.data());
  const uint8_t *w = reinterpret_cast<const uint8_t *>(want.data());
  size_t bad = 0;
  std::string detail;
  for (size_t i = 0; i < got.size() * 4; ++i)
    if (g[i] != w[i] && ++bad <= 5)
      detail += "\n  byte " + std::to_string(i) + ": got " + std::to_string(g[i]) + " want " +
                std::to_string(w[i]);
  if (bad == 0)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " bytes differ" << detail;
}

// kv_append (or rope_kv_append) of a random ragged step: the cache bytes
// equal the reference's codes and scales in the step's slots and the poison
// everywhere else.
template <KvType KV, int PageSize, int HeadDim, int VHeadDim, int RotaryDim = 0>
void check_append(std::mt19937 &rng, int kv_heads) {
  SCOPED_TRACE(std::string(type_name(KV)) + " page " + std::to_string(PageSize) + " head_dim " +
               std::to_string(HeadDim) + " v_head_dim " + std::to_string(VHeadDim) + " kv_heads " +
               std::to_string(kv_heads) + (RotaryDim ? " rope " + std::to_string(RotaryDim) : ""));
  PagedProblem<PageSize, HeadDim, VHeadDim> problem;
  problem.generate(rng, random_batch(rng), kv_heads, /*window=*/0, /*kv_range=*/3.0f);
  // One all-zero key head (scale 0, codes 0) and one with an outlier.
  std::fill(problem.step_keys.begin(), problem.step_keys.begin() + HeadDim, 0.0f);
  problem.step_values[VHeadDim / 2] = 1000.0f;
  const int32_t num_seqs = int32_t(problem.seqs.size());
  QuantizedPages<PageSize, HeadDim, VHeadDim> got, want;
  got.allocate(kv_heads, problem.num_pages);
  want.allocate(kv_heads, problem.num_pages);
  ThreadPool pool(3);

  std::vector<float> keys = problem.step_keys; // the reference's keys: rotated by rope()
  std::vector<float> inv_freq(RotaryDim / 2 + 1);
  if constexpr (RotaryDim > 0) {
    rope_inv_freq(10000.0, RotaryDim, inv_freq.data());
    rope<float, HeadDim, RotaryDim, RopeStyle::HalfSplit>(pool, keys.data(), problem.num_tokens,
                                                          kv_heads, problem.positions.data(),
                                                          inv_freq.data());
    rope_kv_append<float, PageSize, HeadDim, VHeadDim, RotaryDim, RopeStyle::HalfSplit, KV>(
        pool, nullptr, 0, problem.step_keys.data(), problem.step_values.data(), problem.num_tokens,
        problem.positions.data(), inv_freq.data(), num_seqs, problem.query_start.data(),
        problem.block_table.data(), problem.blocks_per_seq, got.layer_cache(), kv_heads);
  } else {
    kv_append<float, PageSize, HeadDim, VHeadDim, KV>(
        pool, problem.step_keys.data(), problem.step_values.data(), problem.num_tokens,
        problem.positions.data(), num_seqs, problem.query_start.data(), problem.block_table.data(),
        problem.blocks_per_seq, got.layer_cache(), kv_heads);
  }
  for (int64_t t = 0; t < problem.num_tokens; ++t) {
    const int s = problem.token_seq[t], pos = problem.positions[t];
    const int32_t page = problem.block_table[int64_t(s) * problem.blocks_per_seq + pos / PageSize];
    want.store(KV, page, pos % PageSize, keys.data() + t * kv_heads * HeadDim,
               problem.step_values.data() + t * kv_heads * VHeadDim);
  }
  EXPECT_TRUE(same_bytes(got.storage, want.storage));
}

TEST(QuantizedKVAppend, Int8CodesAndScalesAreTheReferences) {
  ATTNRT_SEEDED_RNG(rng);
  check_append<KvType::Int8, 16, 64, 64>(rng, 4);
  check_append<KvType::Int8, 8, 128, 128>(rng, 2);
  check_append<KvType::Int8, 16, 64, 32>(rng, 3); // v_head_dim != head_dim
  check_append<KvType::Int8, 1, 16, 16>(rng, 2);
}

TEST(QuantizedKVAppend, Fp8CodesAndScalesAreTheReferences) {
  ATTNRT_SEEDED_RNG(rng);
  check_append<KvType::Fp8E4M3, 16, 64, 64>(rng, 4);
  check_append<KvType::Fp8E4M3, 8, 128, 128>(rng, 2);
  check_append<KvType::Fp8E4M3, 16, 64, 32>(rng, 3);
  check_append<KvType::Fp8E4M3, 1, 16, 16>(rng, 2);
}

TEST(QuantizedKVAppend, RopeAppendQuantizesTheRotatedKeys) {
  ATTNRT_SEEDED_RNG(rng);
  check_append<KvType::Int8, 16, 64, 64, 64>(rng, 2);
  check_append<KvType::Int8, 8, 64, 32, 16>(rng, 3); // partial rotary
  check_append<KvType::Fp8E4M3, 16, 64, 64, 64>(rng, 2);
  check_append<KvType::Fp8E4M3, 4, 32, 32, 32>(rng, 1);
}

struct Mask {
  bool causal = true;
  int window = 0;
  float softcap = 0.0f;
};

// One random step attended twice: over quantized pages (history stored by
// the reference, the step by kv_append<KV>), and by the f32 kernel over a
// cache holding every cached vector quantized and dequantized. Same bits.
template <KvType KV, int HeadDim, int VHeadDim, int GroupSize, int PageSize, int TileTokens,
          int QueryBlock, int SplitTokens>
void check_attention(std::mt19937 &rng, const std::vector<SeqShape> &shapes, int kv_heads, Mask mask) {
  std::string batch;
  for (const SeqShape &s : shapes)
    batch += " (" + std::to_string(s.context) + "," + std::to_string(s.num_queries) + ")";
  SCOPED_TRACE(std::string(type_name(KV)) + (mask.causal ? " causal" : " non-causal") +
               " window " + std::to_string(mask.window) + " softcap " +
               std::to_string(mask.softcap) + "; (context, queries):" + batch);
  PagedProblem<PageSize, HeadDim, VHeadDim> problem;
  problem.generate(rng, shapes, kv_heads, mask.window, /*kv_range=*/2.0f);
  const int num_heads = kv_heads * GroupSize;
  const std::vector<float> query = random_vector(rng, problem.num_tokens * num_heads * HeadDim, -2, 2);
  const int32_t num_seqs = int32_t(problem.seqs.size());
  ThreadPool pool(3);

  QuantizedPages<PageSize, HeadDim, VHeadDim> quantized;
  quantized.allocate(kv_heads, problem.num_pages);
  for (int s = 0; s < num_seqs; ++s)
    for (int pos = 0; pos < problem.seqs[s].context - problem.seqs[s].num_queries; ++pos) {
      const int32_t page = problem.block_table[int64_t(s) * problem.blocks_per_seq + pos / PageSize];
      if (page >= 0)
        quantized.store(KV, page, pos % PageSize, problem.key_at(s, pos), problem.value_at(s, pos));
    }
  kv_append<float, PageSize, HeadDim, VHeadDim, KV>(
      pool, problem.step_keys.data(), problem.step_values.data(), problem.num_tokens,
      problem.positions.data(), num_seqs, problem.query_start.data(), problem.block_table.data(),
      problem.blocks_per_seq, quantized.layer_cache(), kv_heads);

  // The same problem over dequantized values, in an f32 cache.
  PagedProblem<PageSize, HeadDim, VHeadDim> dequantized = problem;
  for (int s = 0; s < num_seqs; ++s)
    for (int pos = 0; pos < problem.seqs[s].context; ++pos)
      for (int h = 0; h < kv_heads; ++h) {
        const std::vector<float> k = round_trip(KV, problem.key_at(s, pos) + h * HeadDim, HeadDim);
        const std::vector<float> v = round_trip(KV, problem.value_at(s, pos) + h * VHeadDim, VHeadDim);
        std::copy(k.begin(), k.end(), dequantized.keys[s].begin() + (int64_t(pos) * kv_heads + h) * HeadDim);
        std::copy(v.begin(), v.end(),
                  dequantized.values[s].begin() + (int64_t(pos) * kv_heads + h) * VHeadDim);
      }
  dequantized.write_history();
  for (int64_t t = 0; t < problem.num_tokens; ++t) {
    const int s = problem.token_seq[t], pos = problem.positions[t];
    std::copy(dequantized.key_at(s, pos), dequantized.key_at(s, pos) + kv_heads * HeadDim,
              dequantized.step_keys.begin() + t * kv_heads * HeadDim);
    std::copy(dequantized.value_at(s, pos), dequantized.value_at(s, pos) + kv_heads * VHeadDim,
              dequantized.step_values.begin() + t * kv_heads * VHeadDim);
  }
  kv_append<float, PageSize, HeadDim, VHeadDim>(
      pool, dequantized.step_keys.data(), dequantized.step_values.data(), problem.num_tokens,
      problem.positions.data(), num_seqs, problem.query_start.data(), problem.block_table.data(),
      problem.blocks_per_seq, dequantized.layer_cache(), kv_heads);

  auto attend = [&](void *layer_cache, auto kv_type) {
    std::vector<float> out(problem.num_tokens * num_heads * VHeadDim, kNaN);
    PagedAttentionArgs<float> args;
    args.query = query.data();
    args.out = out.data();
    args.num_tokens = problem.num_tokens;
    args.positions = problem.positions.data();
    args.num_seqs = num_seqs;
    args.query_start = problem.query_start.data();
    args.context_len = problem.context_len.data();
    args.block_table = problem.block_table.data();
    args.blocks_per_seq = problem.blocks_per_seq;
    args.layer_cache = layer_cache;
    args.num_kv_heads = kv_heads;
    args.scale = 1.0f / std::sqrt(float(HeadDim));
    args.softcap = mask.softcap;
    args.window = mask.window;
    args.causal = mask.causal;
    paged_attention<float, HeadDim, VHeadDim, GroupSize, PageSize, TileTokens, QueryBlock,
                    SplitTokens, decltype(kv_type)::value>(pool, args);
    return out;
  };
  const std::vector<float> got =
      attend(quantized.layer_cache(), std::integral_constant<KvType, KV>());
  const std::vector<float> want =
      attend(dequantized.layer_cache(), std::integral_constant<KvType, KvType::Model>());
  for (float x : want)
    ASSERT_FALSE(std::isnan(x)) << "the f32 reference read a poisoned slot";
  EXPECT_TRUE(bitwise_equal(got, want));
}

const Mask kMasks[] = {
    {true, 0, 0.0f},  // causal
    {true, 7, 0.0f},  // window below a page: released pages
    {true, 40, 0.0f}, // window across pages and tiles
    {true, 33, 5.0f}, // window + softcap
    {false, 25, 0.0f},
};

template <KvType KV> void check_ragged_batches() {
  ATTNRT_SEEDED_RNG(rng);
  for (const Mask &mask : kMasks) {
    // GQA, ragged batches of decode / prefill / chunks, key splits of 64.
    check_attention<KV, 64, 64, 4, 16, 32, 16, 64>(rng, random_batch(rng), 2, mask);
    // MHA, v_head_dim != head_dim, tiles smaller than a page.
    check_attention<KV, 64, 32, 1, 32, 16, 4, 32>(rng, random_batch(rng), 3, mask);
    // MQA with small pages.
    check_attention<KV, 16, 16, 8, 4, 16, 16, 16>(rng, random_batch(rng), 1, mask);
  }
}

TEST(QuantizedPagedAttention, Int8SameBitsAsF32OverDequantizedCache) {
  check_ragged_batches<KvType::Int8>();
}
TEST(QuantizedPagedAttention, Fp8SameBitsAsF32OverDequantizedCache) {
  check_ragged_batches<KvType::Fp8E4M3>();
}

// Many decoding sequences with long contexts: the flash-decoding split and merge.
TEST(QuantizedPagedAttention, DecodeBatchWithKeySplits) {
  ATTNRT_SEEDED_RNG(rng);
  for (const Mask &mask : {kMasks[0], kMasks[2]}) {
    std::vector<SeqShape> seqs(random_int(rng, 10, 20));
    for (SeqShape &s : seqs)
      s = {random_int(rng, 1, 600), 1};
    check_attention<KvType::Int8, 128, 128, 4, 16, 64, 16, 128>(rng, seqs, 2, mask);
    check_attention<KvType::Fp8E4M3, 128, 128, 4, 16, 64, 16, 128>(rng, seqs, 2, mask);
  }
}

} // namespace
} // namespace attnrt::cpu
