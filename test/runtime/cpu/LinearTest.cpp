// linear(): y = x·Wᵀ + b against a double reference, for decode (T = 1,
// sgemv) and batches (sgemm), odd sizes that are not multiples of the column
// blocks, with and without bias; bitwise identical for 1 and 4 threads.
#include "runtime/cpu/Linear.h"

#include "TestUtil.h"

#include <cmath>

namespace attnrt::cpu {
namespace {
using namespace test;

// Checks each output against the double reference with a tolerance scaled by
// sum |x_k w_k| (float accumulation error grows with it, not with |y|).
void check_linear(std::mt19937 &rng, ThreadPool &pool, int64_t T, int64_t K, int64_t N,
                  bool with_bias) {
  SCOPED_TRACE("T " + std::to_string(T) + " K " + std::to_string(K) + " N " + std::to_string(N) +
               (with_bias ? " bias" : ""));
  const std::vector<float> x = random_vector(rng, T * K);
  const std::vector<float> w = random_vector(rng, N * K);
  const std::vector<float> bias = random_vector(rng, N);
  std::vector<float> y(T * N, kNaN);
  linear(pool, x.data(), T, K, w.data(), with_bias ? bias.data() : nullptr, N, y.data());
  size_t bad = 0;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n) {
      double want = with_bias ? bias[n] : 0.0, magnitude = std::fabs(want);
      for (int64_t k = 0; k < K; ++k) {
        want += double(x[t * K + k]) * w[n * K + k];
        magnitude += std::fabs(double(x[t * K + k]) * w[n * K + k]);
      }
      const double got = y[t * N + n];
      if (!(std::fabs(got - want) <= 1e-5 * std::fabs(want) + 1e-6 * magnitude) && ++bad <= 5)
        ADD_FAILURE() << "y[" << t << "," << n << "] = " << got << ", want " << want;
    }
  EXPECT_EQ(bad, 0u);
}

TEST(Linear, MatchesDoubleReference) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(3);
  for (int64_t T : {1, 2, 4, 5, 17}) // sgemv per row up to 4, sgemm above
    for (bool bias : {false, true}) {
      check_linear(rng, pool, T, 64, 64, bias);
      check_linear(rng, pool, T, 77, 300, bias);  // N not a multiple of the column block
      check_linear(rng, pool, T, 513, 1000, bias);
    }
}

TEST(Linear, SameBitsForOneAndManyThreads) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool one(1), four(4);
  for (int64_t T : {1, 5, 64}) {
    const int64_t K = 384, N = 1100;
    const std::vector<float> x = random_vector(rng, T * K), w = random_vector(rng, N * K),
                             b = random_vector(rng, N);
    std::vector<float> y1(T * N, kNaN), y4(T * N, kNaN);
    linear(one, x.data(), T, K, w.data(), b.data(), N, y1.data());
    linear(four, x.data(), T, K, w.data(), b.data(), N, y4.data());
    EXPECT_TRUE(bitwise_equal(y1, y4)) << "T " << T;
  }
}

} // namespace
} // namespace attnrt::cpu
