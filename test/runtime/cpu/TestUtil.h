// Helpers shared by the CPU kernel tests: per-run random seeds (printed on
// failure, overridable with ATTNRT_TEST_SEED to reproduce), NaN poisoning and
// tolerance checks against double-precision references.
#ifndef ATTNC_TEST_RUNTIME_CPU_TESTUTIL_H
#define ATTNC_TEST_RUNTIME_CPU_TESTUTIL_H

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace attnrt::cpu::test {

inline uint32_t fresh_seed() {
  if (const char *env = std::getenv("ATTNRT_TEST_SEED"))
    return static_cast<uint32_t>(std::strtoul(env, nullptr, 10));
  return std::random_device{}();
}

// Declare at the top of a test: a generator seeded afresh, with the seed in
// every failure message, and printed up front too, because a kernel that
// reads a released page aborts the whole binary before gtest can report.
#define ATTNRT_SEEDED_RNG(rng)                                                                     \
  const uint32_t rng##_seed = ::attnrt::cpu::test::fresh_seed();                                   \
  std::printf("[     SEED ] %u\n", rng##_seed);                                                    \
  SCOPED_TRACE("seed " + std::to_string(rng##_seed) + " (rerun with ATTNRT_TEST_SEED=" +            \
               std::to_string(rng##_seed) + ")");                                                  \
  std::mt19937 rng(rng##_seed)

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

inline std::vector<float> random_vector(std::mt19937 &rng, size_t n, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

inline int random_int(std::mt19937 &rng, int lo, int hi) { // inclusive
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// |got - want| <= atol + rtol * |want| everywhere (NaN never passes). Reports
// the number of mismatches and the first few.
inline ::testing::AssertionResult all_close(const float *got, const double *want, size_t n,
                                            double rtol = 1e-5, double atol = 1e-6) {
  size_t bad = 0;
  std::string detail;
  for (size_t i = 0; i < n; ++i) {
    const double g = got[i];
    const double err = std::fabs(g - want[i]);
    if (!(err <= atol + rtol * std::fabs(want[i]))) {
      if (++bad <= 5)
        detail += "\n  [" + std::to_string(i) + "] got " + std::to_string(g) + " want " +
                  std::to_string(want[i]) + " (err " + std::to_string(err) + ")";
    }
  }
  if (bad == 0)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << n << " elements differ" << detail;
}

inline ::testing::AssertionResult all_close(const std::vector<float> &got,
                                            const std::vector<double> &want, double rtol = 1e-5,
                                            double atol = 1e-6) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  return all_close(got.data(), want.data(), got.size(), rtol, atol);
}

// Counts the entries of y [T, N] that differ from x [T, K] . W^T (+ bias),
// computed in double with W [N, K] given as `weight(n, k)`, by more than f32
// accumulation allows (relative to the result and to the sum of |terms|);
// reports the first few through ADD_FAILURE.
template <typename Weight>
size_t count_linear_mismatches(const float *x, Weight weight, const float *bias, int64_t T,
                               int64_t K, int64_t N, const float *y) {
  size_t bad = 0;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n) {
      double want = bias ? bias[n] : 0.0, magnitude = std::fabs(want);
      for (int64_t k = 0; k < K; ++k) {
        const double term = double(x[t * K + k]) * double(weight(n, k));
        want += term;
        magnitude += std::fabs(term);
      }
      const double got = y[t * N + n];
      if (!(std::fabs(got - want) <= 1e-5 * std::fabs(want) + 1e-6 * magnitude) && ++bad <= 5)
        ADD_FAILURE() << "y[" << t << "," << n << "] = " << got << ", want " << want;
    }
  return bad;
}

inline bool bitwise_equal(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

} // namespace attnrt::cpu::test

#endif // ATTNC_TEST_RUNTIME_CPU_TESTUTIL_H
