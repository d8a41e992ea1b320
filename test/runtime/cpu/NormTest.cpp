// rms_norm (LLaMA and Gemma weight offsets), layer_norm (with and without
// bias) and the fused residual_add_rms_norm against double references, in and
// out of place, on fresh random rows.
#include "runtime/cpu/Norm.h"

#include "TestUtil.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace attnrt::cpu {
namespace {
using namespace test;

std::vector<double> reference_rms_norm(const std::vector<float> &x, const std::vector<float> &w,
                                       double offset, double eps, int64_t rows, int64_t dim) {
  std::vector<double> y(rows * dim);
  for (int64_t r = 0; r < rows; ++r) {
    double ss = 0;
    for (int64_t i = 0; i < dim; ++i)
      ss += double(x[r * dim + i]) * x[r * dim + i];
    const double inv = 1.0 / std::sqrt(ss / dim + eps);
    for (int64_t i = 0; i < dim; ++i)
      y[r * dim + i] = x[r * dim + i] * inv * (w[i] + offset);
  }
  return y;
}

TEST(Norm, RmsNorm) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(3);
  for (int64_t dim : {1, 7, 64, 1000, 4096})
    for (float offset : {0.0f, 1.0f}) {
      SCOPED_TRACE("dim " + std::to_string(dim) + " offset " + std::to_string(offset));
      const int64_t rows = random_int(rng, 1, 9);
      const std::vector<float> x = random_vector(rng, rows * dim, -3, 3);
      const std::vector<float> w = random_vector(rng, dim);
      const float eps = 1e-6f;
      const std::vector<double> want = reference_rms_norm(x, w, offset, eps, rows, dim);
      std::vector<float> y(rows * dim, kNaN);
      rms_norm(pool, x.data(), w.data(), offset, eps, rows, dim, y.data());
      EXPECT_TRUE(all_close(y, want));
      std::vector<float> in_place = x;
      rms_norm(pool, in_place.data(), w.data(), offset, eps, rows, dim, in_place.data());
      EXPECT_TRUE(all_close(in_place, want));
    }
}

TEST(Norm, ResidualAddRmsNorm) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(2);
  for (int64_t dim : {5, 256, 2048}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    const int64_t rows = random_int(rng, 1, 33);
    const std::vector<float> a = random_vector(rng, rows * dim, -3, 3);
    const std::vector<float> b = random_vector(rng, rows * dim, -3, 3);
    const std::vector<float> w = random_vector(rng, dim);
    std::vector<float> sum(rows * dim);
    std::vector<double> want_sum(rows * dim);
    for (size_t i = 0; i < sum.size(); ++i) {
      sum[i] = a[i] + b[i];
      want_sum[i] = sum[i]; // the float32 add, exactly
    }
    // The norm reads the float32 residual it just wrote, as the graph does.
    const std::vector<double> want_y = reference_rms_norm(sum, w, 0.0, 1e-5, rows, dim);

    std::vector<float> residual(rows * dim, kNaN), y(rows * dim, kNaN);
    residual_add_rms_norm(pool, a.data(), b.data(), w.data(), 0.0f, 1e-5f, rows, dim,
                          residual.data(), y.data());
    EXPECT_TRUE(all_close(residual, want_sum, 0, 0)) << "residual";
    EXPECT_TRUE(all_close(y, want_y)) << "normed";

    // In place: the residual stream a is updated to a + b.
    std::vector<float> stream = a;
    std::fill(y.begin(), y.end(), kNaN);
    residual_add_rms_norm(pool, stream.data(), b.data(), w.data(), 0.0f, 1e-5f, rows, dim,
                          stream.data(), y.data());
    EXPECT_TRUE(all_close(stream, want_sum, 0, 0)) << "in-place residual";
    EXPECT_TRUE(all_close(y, want_y)) << "in-place normed";
  }
}

TEST(Norm, LayerNorm) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(2);
  for (int64_t dim : {3, 64, 768, 3000})
    for (bool with_bias : {false, true}) {
      SCOPED_TRACE("dim " + std::to_string(dim) + (with_bias ? " bias" : ""));
      const int64_t rows = random_int(rng, 1, 12);
      // An offset mean checks the two-pass variance (no E[x²] - E[x]² loss).
      std::vector<float> x = random_vector(rng, rows * dim, -2, 2);
      for (float &v : x)
        v += 10.0f;
      const std::vector<float> w = random_vector(rng, dim), bias = random_vector(rng, dim);
      const float eps = 1e-5f;
      std::vector<double> want(rows * dim), tolerance(rows * dim);
      for (int64_t r = 0; r < rows; ++r) {
        double mean = 0, var = 0, max_abs = 0;
        for (int64_t i = 0; i < dim; ++i) {
          mean += x[r * dim + i];
          max_abs = std::max(max_abs, std::fabs(double(x[r * dim + i])));
        }
        mean /= dim;
        for (int64_t i = 0; i < dim; ++i)
          var += (x[r * dim + i] - mean) * (x[r * dim + i] - mean);
        var /= dim;
        const double inv_std = 1.0 / std::sqrt(var + eps);
        for (int64_t i = 0; i < dim; ++i) {
          want[r * dim + i] = (x[r * dim + i] - mean) * inv_std * w[i] + (with_bias ? bias[i] : 0.0);
          // Centering values near 10 in float32 costs a few ulps of |x|,
          // amplified by 1/std: the input's conditioning, not the kernel's.
          tolerance[r * dim + i] = 1e-5 * std::fabs(want[r * dim + i]) +
                                   8 * FLT_EPSILON * max_abs * inv_std * std::fabs(w[i]) + 1e-6;
        }
      }
      std::vector<float> y(rows * dim, kNaN);
      layer_norm(pool, x.data(), w.data(), with_bias ? bias.data() : nullptr, eps, rows, dim,
                 y.data());
      size_t bad = 0;
      for (size_t i = 0; i < y.size(); ++i)
        if (!(std::fabs(y[i] - want[i]) <= tolerance[i]) && ++bad <= 5)
          ADD_FAILURE() << "y[" << i << "] = " << y[i] << ", want " << want[i];
      EXPECT_EQ(bad, 0u);
    }
}

} // namespace
} // namespace attnrt::cpu
