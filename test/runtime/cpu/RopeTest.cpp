// RoPE: half-split and interleaved pairing, full and partial rotary_dim, per
// token positions, against a double reference that takes HF's float32 angle
// (float32 inv_freq times float32 position) and rotates in double; the
// table-driven variant gives the same bits as the theta variant.
#include "runtime/cpu/Rope.h"

#include "TestUtil.h"

#include <cmath>

namespace attnrt::cpu {
namespace {
using namespace test;

TEST(Rope, InvFreqMatchesExactPowers) {
  for (double theta : {10000.0, 500000.0, 1000000.0})
    for (int rotary_dim : {16, 32, 64, 128}) {
      std::vector<float> inv_freq(rotary_dim / 2);
      rope_inv_freq(theta, rotary_dim, inv_freq.data());
      EXPECT_EQ(inv_freq[0], 1.0f);
      for (int i = 0; i < rotary_dim / 2; ++i) {
        const double exact = std::pow(theta, -2.0 * i / rotary_dim);
        // float32 exponent, pow and reciprocal: a few ulps of float32 from exact
        // (the exponent rounding is amplified by ln(theta) ~ 14).
        EXPECT_NEAR(inv_freq[i], exact, exact * 2e-6) << "theta " << theta << " i " << i;
      }
    }
}

template <int HeadDim, int RotaryDim, RopeStyle Style> void check_rope(std::mt19937 &rng) {
  SCOPED_TRACE("head_dim " + std::to_string(HeadDim) + " rotary_dim " + std::to_string(RotaryDim) +
               (Style == RopeStyle::HalfSplit ? " half-split" : " interleaved"));
  ThreadPool pool(3);
  const int64_t T = random_int(rng, 1, 40);
  const int heads = random_int(rng, 1, 6);
  const double theta = 10000.0;
  std::vector<int32_t> positions(T);
  for (auto &p : positions)
    p = random_int(rng, 0, 8191);
  std::vector<float> inv_freq(RotaryDim / 2);
  rope_inv_freq(theta, RotaryDim, inv_freq.data());

  const std::vector<float> x = random_vector(rng, T * heads * HeadDim, -2, 2);
  std::vector<double> want(x.begin(), x.end());
  constexpr int kHalf = RotaryDim / 2;
  for (int64_t t = 0; t < T; ++t)
    for (int h = 0; h < heads; ++h) {
      const int64_t base = (t * heads + h) * HeadDim;
      for (int i = 0; i < kHalf; ++i) {
        const float angle = static_cast<float>(positions[t]) * inv_freq[i]; // HF's float32 angle
        const double c = std::cos(double(angle)), s = std::sin(double(angle));
        const int64_t i0 = Style == RopeStyle::HalfSplit ? base + i : base + 2 * i;
        const int64_t i1 = Style == RopeStyle::HalfSplit ? base + i + kHalf : base + 2 * i + 1;
        want[i0] = double(x[i0]) * c - double(x[i1]) * s;
        want[i1] = double(x[i1]) * c + double(x[i0]) * s;
      }
    }

  std::vector<float> got = x;
  rope<float, HeadDim, RotaryDim, Style>(pool, got.data(), T, heads, positions.data(),
                                         inv_freq.data());
  EXPECT_TRUE(all_close(got, want, 1e-5, 2e-6));
  for (int64_t t = 0; t < T; ++t) // the non-rotary tail is bit-for-bit untouched
    for (int h = 0; h < heads; ++h)
      for (int d = RotaryDim; d < HeadDim; ++d) {
        const int64_t i = (t * heads + h) * HeadDim + d;
        ASSERT_EQ(std::memcmp(&got[i], &x[i], sizeof(float)), 0);
      }

  // Tables built from the same float32 angles give the same bits.
  const int max_pos = 8192;
  std::vector<float> cos_table(max_pos * kHalf), sin_table(max_pos * kHalf);
  for (int p = 0; p < max_pos; ++p)
    for (int i = 0; i < kHalf; ++i) {
      const float angle = static_cast<float>(p) * inv_freq[i];
      cos_table[p * kHalf + i] = std::cos(angle);
      sin_table[p * kHalf + i] = std::sin(angle);
    }
  std::vector<float> from_table = x;
  rope_from_table<float, HeadDim, RotaryDim, Style>(pool, from_table.data(), T, heads,
                                                    positions.data(), cos_table.data(),
                                                    sin_table.data());
  EXPECT_TRUE(bitwise_equal(from_table, got));
}

TEST(Rope, HalfSplit) {
  ATTNRT_SEEDED_RNG(rng);
  check_rope<64, 64, RopeStyle::HalfSplit>(rng);
  check_rope<128, 128, RopeStyle::HalfSplit>(rng);
  check_rope<16, 16, RopeStyle::HalfSplit>(rng);
}

TEST(Rope, Interleaved) {
  ATTNRT_SEEDED_RNG(rng);
  check_rope<64, 64, RopeStyle::Interleaved>(rng);
  check_rope<128, 128, RopeStyle::Interleaved>(rng);
}

TEST(Rope, PartialRotaryLeavesTailUntouched) {
  ATTNRT_SEEDED_RNG(rng);
  check_rope<64, 32, RopeStyle::HalfSplit>(rng);  // Phi-2 / GPT-NeoX rotary_pct
  check_rope<80, 32, RopeStyle::HalfSplit>(rng);
  check_rope<256, 64, RopeStyle::Interleaved>(rng); // GPT-J rotary_dim 64
}

} // namespace
} // namespace attnrt::cpu
