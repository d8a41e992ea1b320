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
  const auto weight = [&](int64_t n, int64_t k) { return w[n * K + k]; };
  EXPECT_EQ(count_linear_mismatches(x.data(), weight, with_bias ? bias.data() : nullptr, T, K, N,
                                    y.data()),
            0u);
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
