// Activations, gated activations (two buffers and one fused [T, 2I] buffer),
// embedding gather, residual add (plain and scaled), logit softcap and logit
// scale against double references.
#include "runtime/cpu/Elementwise.h"

#include "TestUtil.h"

#include <cmath>
#include <iterator>

namespace attnrt::cpu {
namespace {
using namespace test;

template <Activation Act> double reference_activation(double x) {
  switch (Act) {
  case Activation::Silu:
    return x / (1.0 + std::exp(-x));
  case Activation::Gelu:
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  case Activation::GeluTanh:
    return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  case Activation::Relu:
    return x > 0 ? x : 0;
  }
  return 0;
}

template <Activation Act> void check_activation(std::mt19937 &rng, ThreadPool &pool) {
  const int64_t n = random_int(rng, 1, 40000);
  std::vector<float> x = random_vector(rng, n, -10, 10);
  x[0] = 0.0f;
  std::vector<double> want(n);
  for (int64_t i = 0; i < n; ++i)
    want[i] = reference_activation<Act>(x[i]);
  std::vector<float> y(n, kNaN);
  activation<Act>(pool, x.data(), y.data(), n);
  // Near the zeros of silu/gelu (x ~ -5..-10) values are tiny: atol covers them.
  EXPECT_TRUE(all_close(y, want, 1e-5, 1e-6)) << "activation " << int(Act);
  activation<Act>(pool, x.data(), x.data(), n); // in place
  EXPECT_TRUE(all_close(x, want, 1e-5, 1e-6)) << "in-place activation " << int(Act);
}

TEST(Elementwise, Activations) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(3);
  check_activation<Activation::Silu>(rng, pool);
  check_activation<Activation::Gelu>(rng, pool);
  check_activation<Activation::GeluTanh>(rng, pool);
  check_activation<Activation::Relu>(rng, pool);
}

template <Activation Act> void check_gated(std::mt19937 &rng, ThreadPool &pool) {
  const int64_t T = random_int(rng, 1, 20), I = random_int(rng, 1, 700);
  std::vector<float> gate = random_vector(rng, T * I, -6, 6);
  const std::vector<float> up = random_vector(rng, T * I);
  // Both ends of the range: exp underflowing (|x| > 87) and zero.
  const float special[] = {0.0f, -20.0f, 20.0f, -95.0f, 95.0f};
  for (size_t k = 0; k < std::size(special) && k < gate.size(); ++k)
    gate[(k * 7919) % gate.size()] = special[k];
  std::vector<double> want(T * I);
  for (int64_t i = 0; i < T * I; ++i)
    want[i] = reference_activation<Act>(gate[i]) * up[i];

  std::vector<float> out(T * I, kNaN);
  gated_activation<Act>(pool, gate.data(), I, up.data(), I, out.data(), T, I);
  EXPECT_TRUE(all_close(out, want, 1e-5, 1e-6)) << "separate buffers, act " << int(Act);

  std::vector<float> fused(T * 2 * I);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < I; ++i) {
      fused[t * 2 * I + i] = gate[t * I + i];
      fused[t * 2 * I + I + i] = up[t * I + i];
    }
  std::fill(out.begin(), out.end(), kNaN);
  gated_activation_fused<Act>(pool, fused.data(), out.data(), T, I);
  EXPECT_TRUE(all_close(out, want, 1e-5, 1e-6)) << "fused buffer, act " << int(Act);

  std::vector<float> in_place = gate; // out aliasing gate (gate_stride == width)
  gated_activation<Act>(pool, in_place.data(), I, up.data(), I, in_place.data(), T, I);
  EXPECT_TRUE(all_close(in_place, want, 1e-5, 1e-6)) << "in place, act " << int(Act);
}

TEST(Elementwise, GatedActivations) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(2);
  check_gated<Activation::Silu>(rng, pool);
  check_gated<Activation::Gelu>(rng, pool);
  check_gated<Activation::GeluTanh>(rng, pool);
  check_gated<Activation::Relu>(rng, pool);
}

TEST(Elementwise, Embedding) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(2);
  const int64_t vocab = 300, dim = 48, T = 37;
  const std::vector<float> table = random_vector(rng, vocab * dim);
  std::vector<int32_t> ids(T);
  for (auto &id : ids)
    id = random_int(rng, 0, vocab - 1);
  for (float scale : {1.0f, std::sqrt(48.0f)}) {
    std::vector<float> out(T * dim, kNaN);
    ASSERT_TRUE(embedding(pool, ids.data(), T, table.data(), vocab, dim, scale, out.data()));
    std::vector<double> want(T * dim);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t i = 0; i < dim; ++i)
        want[t * dim + i] = double(table[ids[t] * dim + i]) * scale;
    EXPECT_TRUE(all_close(out, want, scale == 1.0f ? 0 : 1e-6, 0)) << "scale " << scale;
  }
  // An out-of-range id is refused and nothing is written.
  ids[T / 2] = vocab;
  std::vector<float> out(T * dim, kNaN);
  EXPECT_FALSE(embedding(pool, ids.data(), T, table.data(), vocab, dim, 1.0f, out.data()));
  ids[T / 2] = -1;
  EXPECT_FALSE(embedding(pool, ids.data(), T, table.data(), vocab, dim, 1.0f, out.data()));
  for (float v : out)
    ASSERT_TRUE(std::isnan(v));
}

TEST(Elementwise, ResidualAddAndSoftcap) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(2);
  const int64_t n = random_int(rng, 1, 50000);
  const std::vector<float> a = random_vector(rng, n, -5, 5), b = random_vector(rng, n, -5, 5);
  std::vector<double> want(n);
  for (int64_t i = 0; i < n; ++i)
    want[i] = double(a[i]) + b[i];
  std::vector<float> out(n, kNaN);
  residual_add(pool, a.data(), b.data(), out.data(), n);
  EXPECT_TRUE(all_close(out, want, 1e-7, 0));
  std::vector<float> stream = a;
  residual_add(pool, stream.data(), b.data(), stream.data(), n);
  EXPECT_TRUE(all_close(stream, want, 1e-7, 0));

  std::vector<float> logits = random_vector(rng, n, -100, 100);
  const float cap = 30.0f;
  std::vector<double> capped(n);
  for (int64_t i = 0; i < n; ++i)
    capped[i] = cap * std::tanh(double(logits[i]) / cap);
  softcap(pool, logits.data(), n, cap);
  EXPECT_TRUE(all_close(logits, capped, 1e-5, 1e-6));
}

TEST(Elementwise, ScaledResidualAddAndLogitScale) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(2);
  const int64_t n = random_int(rng, 1, 50000);
  const std::vector<float> a = random_vector(rng, n, -5, 5), b = random_vector(rng, n, -5, 5);
  const float scale = 0.22f;
  std::vector<double> want(n);
  for (int64_t i = 0; i < n; ++i)
    want[i] = double(a[i]) + double(scale) * b[i];
  std::vector<float> out(n, kNaN);
  residual_add_scaled(pool, a.data(), b.data(), out.data(), n, scale);
  EXPECT_TRUE(all_close(out, want, 1e-6, 1e-6));
  std::vector<float> stream = a; // in place, out aliasing the stream
  residual_add_scaled(pool, stream.data(), b.data(), stream.data(), n, scale);
  EXPECT_TRUE(all_close(stream, want, 1e-6, 1e-6));

  std::vector<float> logits = random_vector(rng, n, -100, 100);
  std::vector<double> scaled(n);
  for (int64_t i = 0; i < n; ++i)
    scaled[i] = double(logits[i]) / 8.0;
  scale_inplace(pool, logits.data(), n, 1.0f / 8.0f);
  EXPECT_TRUE(all_close(logits, scaled, 1e-7, 0));
}

} // namespace
} // namespace attnrt::cpu
