// quantized_linear(): y = x·Wᵀ + b with W packed by runtime/QuantizedWeights.h,
// against a reference that decodes the packed bytes by the layout contract
// itself (plain loops, double) and multiplies in double. Covers every scheme
// (w8, w8gG and w8gGa, w4gG and w4gGa),
// the decode kernel (T <= 16) and the dequantize + sgemm path (T > 16), row
// and K tails, zero points at both ends of [0, 15], the nibble order, and
// bitwise equality for 1 and 2 threads.
#include "runtime/cpu/QuantLinear.h"

#include "runtime/QuantizedWeights.h"

#include "TestUtil.h"

#include <cmath>

namespace attnrt::cpu {
namespace {
using namespace test;
using quant::Scheme;

enum class Zeros { Random, AllMin, AllMax };

struct Packed {
  Scheme scheme;
  int64_t N = 0, K = 0;
  std::vector<uint8_t> values;
  std::vector<float> scales;
  std::vector<uint8_t> zeros; // asymmetric only
};

Packed random_packed(std::mt19937 &rng, Scheme scheme, int64_t N, int64_t K,
                     Zeros zero_mode = Zeros::Random) {
  Packed p;
  p.scheme = scheme;
  p.N = N;
  p.K = K;
  p.values.resize(size_t(quant::values_bytes(scheme, N, K)));
  // w8 / w8gG: int8 in [-127, 127]; w8gGa: any uint8; w4: any two nibbles
  const bool signed8 = scheme.bits == 8 && !scheme.asymmetric;
  for (uint8_t &v : p.values)
    v = signed8 ? uint8_t(int8_t(random_int(rng, -127, 127))) : uint8_t(random_int(rng, 0, 255));
  p.scales = random_vector(rng, size_t(N * quant::groups_per_row(scheme, K)), 0.001f, 0.1f);
  if (scheme.asymmetric) {
    p.zeros.resize(p.scales.size());
    const int max_zero = scheme.bits == 8 ? 255 : 15;
    for (uint8_t &z : p.zeros)
      z = zero_mode == Zeros::AllMin   ? 0
          : zero_mode == Zeros::AllMax ? uint8_t(max_zero)
                                       : uint8_t(random_int(rng, 0, max_zero));
  }
  return p;
}

// W[n, k] decoded straight from the contract's wording, in double.
std::vector<double> reference_weights(const Packed &p) {
  const int64_t N = p.N, K = p.K;
  std::vector<double> w(size_t(N * K));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      double v;
      if (p.scheme.bits == 8 && p.scheme.group_size == 0) {
        v = double(int8_t(p.values[n * K + k])) * p.scales[n];
      } else if (p.scheme.bits == 8) {
        const int64_t groups = K / p.scheme.group_size, g = k / p.scheme.group_size;
        const uint8_t byte = p.values[n * K + k];
        const int q = p.scheme.asymmetric ? int(byte) : int(int8_t(byte));
        const int z = p.scheme.asymmetric ? p.zeros[n * groups + g] : 0;
        v = double(q - z) * p.scales[n * groups + g];
      } else {
        const int64_t groups = K / p.scheme.group_size, g = k / p.scheme.group_size;
        const uint8_t byte = p.values[n * (K / 2) + k / 2];
        const int q = k % 2 == 0 ? (byte & 0xF) : (byte >> 4); // k = 2j low, 2j + 1 high
        const int z = p.scheme.asymmetric ? p.zeros[n * groups + g] : 8;
        v = double(q - z) * p.scales[n * groups + g];
      }
      w[n * K + k] = v;
    }
  return w;
}

// The group-wise schemes of Bits bits, by group size and zero points.
template <int Bits>
void run_grouped(ThreadPool &pool, const Packed &p, const float *x, int64_t T, const float *bias,
                 float *y) {
  const void *v = p.values.data();
  const float *s = p.scales.data();
  const uint8_t *z = p.scheme.asymmetric ? p.zeros.data() : nullptr;
  const int64_t K = p.K, N = p.N;
  const int G = p.scheme.group_size;
  const bool a = p.scheme.asymmetric;
  if (G == 32)
    a ? quantized_linear<Bits, 32, true>(pool, x, T, K, v, s, z, bias, N, y)
      : quantized_linear<Bits, 32, false>(pool, x, T, K, v, s, z, bias, N, y);
  else if (G == 64)
    a ? quantized_linear<Bits, 64, true>(pool, x, T, K, v, s, z, bias, N, y)
      : quantized_linear<Bits, 64, false>(pool, x, T, K, v, s, z, bias, N, y);
  else
    a ? quantized_linear<Bits, 128, true>(pool, x, T, K, v, s, z, bias, N, y)
      : quantized_linear<Bits, 128, false>(pool, x, T, K, v, s, z, bias, N, y);
}

void run_quantized_linear(ThreadPool &pool, const Packed &p, const float *x, int64_t T,
                          const float *bias, float *y) {
  if (p.scheme.group_size == 0)
    quantized_linear<8, 0, false>(pool, x, T, p.K, p.values.data(), p.scales.data(), nullptr,
                                  bias, p.N, y);
  else if (p.scheme.bits == 8)
    run_grouped<8>(pool, p, x, T, bias, y);
  else
    run_grouped<4>(pool, p, x, T, bias, y);
}

std::string scheme_name(const Scheme &s) {
  return s.group_size == 0 ? "w8"
                           : "w" + std::to_string(s.bits) + "g" + std::to_string(s.group_size) +
                                 (s.asymmetric ? "a" : "");
}

// Runs on a 1-thread and a 2-thread pool; each output within tolerance of the
// double reference (scaled by sum |x_k w_k|, as in LinearTest), and the two
// results bitwise equal. Returns the number of calls checked.
int check(std::mt19937 &rng, const Packed &p, int64_t T, bool with_bias) {
  SCOPED_TRACE(scheme_name(p.scheme) + " T " + std::to_string(T) + " K " + std::to_string(p.K) +
               " N " + std::to_string(p.N) + (with_bias ? " bias" : ""));
  const int64_t K = p.K, N = p.N;
  const std::vector<float> x = random_vector(rng, size_t(T * K));
  const std::vector<float> bias = random_vector(rng, size_t(N));
  const std::vector<double> w = reference_weights(p);
  static ThreadPool one(1), two(2);
  std::vector<float> y1(size_t(T * N), kNaN), y2(size_t(T * N), kNaN);
  run_quantized_linear(one, p, x.data(), T, with_bias ? bias.data() : nullptr, y1.data());
  run_quantized_linear(two, p, x.data(), T, with_bias ? bias.data() : nullptr, y2.data());
  const auto weight = [&](int64_t n, int64_t k) { return w[n * K + k]; };
  EXPECT_EQ(count_linear_mismatches(x.data(), weight, with_bias ? bias.data() : nullptr, T, K, N,
                                    y1.data()),
            0u);
  EXPECT_TRUE(bitwise_equal(y1, y2)) << "1 vs 2 threads";
  return 2;
}

// Decode kernel up to 16 tokens (token blocks of 3, so 1..4 cover full and
// partial blocks), sgemm above.
const int64_t kTokenCounts[] = {1, 2, 3, 4, 16, 17, 64};

TEST(QuantLinear, W8MatchesReference) {
  ATTNRT_SEEDED_RNG(rng);
  // K not a multiple of 8 or 16 (tails of the last vector), K over the
  // 512-wide dequantization chunk with a ragged last chunk (1003), N with
  // row tails (not multiples of 4 or of the 64-row block).
  const int64_t shapes[][2] = {{1, 3}, {13, 5}, {77, 67}, {96, 130}, {520, 9}, {1003, 66}};
  int calls = 0;
  for (const auto &kn : shapes)
    for (int64_t T : kTokenCounts)
      for (bool bias : {false, true})
        calls += check(rng, random_packed(rng, {8, 0, false}, kn[1], kn[0]), T, bias);
  std::printf("[     INFO ] %d w8 calls checked\n", calls);
}

// w4gG / w4gGa and w8gG / w8gGa.
TEST(QuantLinear, GroupedMatchesReference) {
  ATTNRT_SEEDED_RNG(rng);
  int calls = 0;
  for (int bits : {4, 8})
    for (int G : {32, 64, 128})
      for (bool asym : {false, true}) {
        const Scheme scheme{bits, G, asym};
        // One group, a few, and more than one 512-wide chunk with a partial
        // last one (9 * 128 = 1152 = 2 * 512 + 128).
        for (int64_t groups : {1, 3, 9})
          for (int64_t N : {1, 5, 67})
            for (int64_t T : kTokenCounts)
              calls += check(rng, random_packed(rng, scheme, N, groups * G), T, T % 2 == 1);
      }
  std::printf("[     INFO ] %d grouped calls checked\n", calls);
}

// Up to 16 tokens (fused kernel for 1-2, buffered for 3-16) a token's output
// is bitwise the same whatever else shares the call.
TEST(QuantLinear, DecodeIsBatchInvariant) {
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(2);
  for (const Scheme scheme : {Scheme{8, 0, false}, Scheme{4, 64, true}, Scheme{4, 128, false},
                              Scheme{8, 32, false}, Scheme{8, 128, true}}) {
    SCOPED_TRACE(scheme_name(scheme));
    const int64_t K = scheme.group_size == 0 ? 1037 : 1152, N = 70;
    const Packed p = random_packed(rng, scheme, N, K);
    const std::vector<float> x = random_vector(rng, size_t(16 * K)), bias = random_vector(rng, N);
    std::vector<float> all(size_t(16 * N), kNaN);
    run_quantized_linear(pool, p, x.data(), 16, bias.data(), all.data());
    for (int64_t T : {1, 2, 3, 5})
      for (int64_t t0 = 0; t0 + T <= 16; t0 += 7) {
        std::vector<float> some(size_t(T * N), kNaN);
        run_quantized_linear(pool, p, x.data() + t0 * K, T, bias.data(), some.data());
        EXPECT_EQ(std::memcmp(some.data(), all.data() + t0 * N, sizeof(float) * T * N), 0)
            << "tokens " << t0 << ".." << t0 + T - 1 << " of 16, called with T " << T;
      }
  }
}

// Zero points all 0 or all 15 (255 for 8 bits: the ends of the range), where
// q - z spans [0, 15] or [-15, 0].
TEST(QuantLinear, AsymmetricZeroPointsAtTheEnds) {
  ATTNRT_SEEDED_RNG(rng);
  for (int bits : {4, 8})
    for (int G : {32, 128})
      for (Zeros mode : {Zeros::AllMin, Zeros::AllMax})
        for (int64_t T : {1, 3, 17})
          for (bool bias : {false, true})
            check(rng, random_packed(rng, {bits, G, true}, 70, 2 * G, mode), T, bias);
}

// A weight whose only nonzero entry comes from the high nibble of one byte:
// byte j of a row holds k = 2j low and k = 2j + 1 high, checked against a
// hand-computed value (not the reference decoder, which could share a
// misreading).
TEST(QuantLinear, NibbleOrder) {
  ThreadPool pool(2);
  const int64_t K = 64, N = 5, j = 13, row = 3;
  const float scale = 0.5f;
  std::vector<float> x(size_t(3 * K));
  for (int64_t i = 0; i < 3 * K; ++i)
    x[size_t(i)] = float(i % K + 1) + 1000.0f * float(i / K); // distinct per k and token
  for (bool asym : {false, true}) {
    SCOPED_TRACE(asym ? "asymmetric" : "symmetric");
    Packed p;
    p.scheme = {4, 32, asym};
    p.N = N;
    p.K = K;
    // Symmetric zero is 8 (0x88 decodes to zeros); asymmetric zero points 0.
    p.values.assign(size_t(N * K / 2), asym ? 0x00 : 0x88);
    p.values[size_t(row * K / 2 + j)] = asym ? 0xF0 : 0xB8; // high nibble: 15 - 0 or 11 - 8
    p.scales.assign(size_t(N * 2), scale);
    if (asym)
      p.zeros.assign(size_t(N * 2), 0);
    const float q = asym ? 15.0f : 3.0f;
    for (int64_t T : {1, 3}) {
      std::vector<float> y(size_t(T * N), kNaN);
      run_quantized_linear(pool, p, x.data(), T, nullptr, y.data());
      for (int64_t t = 0; t < T; ++t)
        for (int64_t n = 0; n < N; ++n) {
          const float want = n == row ? x[size_t(t * K + 2 * j + 1)] * q * scale : 0.0f;
          EXPECT_EQ(y[size_t(t * N + n)], want) << "t " << t << " n " << n;
        }
    }
  }
}

// in_features % group_size != 0 is outside the contract (the compiler
// refuses such models): the kernel returns without writing y, like empty
// shapes, and K = 0 yields the bias.
TEST(QuantLinear, OutOfContractShapesLeaveOutputAlone) {
  ThreadPool pool(2);
  const std::vector<float> x(size_t(2 * 96), 1.0f), bias = {1.0f, 2.0f, 3.0f};
  const std::vector<uint8_t> values(size_t(3 * 96 / 2), 0x99);
  const std::vector<float> scales(size_t(3 * 3), 1.0f);
  const std::vector<uint8_t> zeros(size_t(3 * 3), 0);
  std::vector<float> y(6, 42.0f);
  quantized_linear<4, 64, false>(pool, x.data(), 2, 96, values.data(), scales.data(), nullptr,
                                 bias.data(), 3, y.data());
  quantized_linear<4, 128, true>(pool, x.data(), 2, 96, values.data(), scales.data(),
                                 zeros.data(), bias.data(), 3, y.data());
  quantized_linear<4, 32, false>(pool, x.data(), 0, 96, values.data(), scales.data(), nullptr,
                                 bias.data(), 3, y.data());
  for (float v : y)
    EXPECT_EQ(v, 42.0f);
  quantized_linear<4, 32, false>(pool, x.data(), 2, 0, values.data(), scales.data(), nullptr,
                                 bias.data(), 3, y.data());
  EXPECT_EQ(y, std::vector<float>({1, 2, 3, 1, 2, 3}));
  // In contract (96 = 3 groups of 32): q - 8 = 1 everywhere, y = 96 + bias.
  quantized_linear<4, 32, false>(pool, x.data(), 2, 96, values.data(), scales.data(), nullptr,
                                 bias.data(), 3, y.data());
  EXPECT_EQ(y, std::vector<float>({97, 98, 99, 97, 98, 99}));
}

// The calibration observer (attnc calibrate) sees every quantized_linear()
// call's input and packed values, once per call, as it sees linear()'s; and
// nothing once removed.
TEST(QuantLinear, CalibrationObserverSeesEachCall) {
  struct Seen {
    const float *x = nullptr, *weight = nullptr;
    int64_t tokens = 0, in = 0, out = 0;
    int calls = 0;
  };
  auto observe = [](void *user, const float *x, int64_t tokens, int64_t in, const float *weight,
                    int64_t out) {
    Seen &seen = *static_cast<Seen *>(user);
    seen = {x, weight, tokens, in, out, seen.calls + 1};
  };
  ATTNRT_SEEDED_RNG(rng);
  ThreadPool pool(2);
  const Packed w4 = random_packed(rng, {4, 32, false}, 5, 64);
  const Packed w8 = random_packed(rng, {8, 0, false}, 5, 64);
  const std::vector<float> x = random_vector(rng, size_t(3 * 64));
  std::vector<float> y(size_t(3 * 5));
  Seen seen;
  attnrt_cpu_observe_linears(observe, &seen);
  for (const Packed *p : {&w4, &w8}) {
    const int before = seen.calls;
    run_quantized_linear(pool, *p, x.data(), 3, nullptr, y.data());
    EXPECT_EQ(seen.calls, before + 1);
    EXPECT_EQ(seen.x, x.data());
    EXPECT_EQ(static_cast<const void *>(seen.weight), static_cast<const void *>(p->values.data()));
    EXPECT_EQ(seen.tokens, 3);
    EXPECT_EQ(seen.in, 64);
    EXPECT_EQ(seen.out, 5);
  }
  attnrt_cpu_observe_linears(nullptr, nullptr);
  run_quantized_linear(pool, w4, x.data(), 3, nullptr, y.data());
  EXPECT_EQ(seen.calls, 2);
}

} // namespace
} // namespace attnrt::cpu
