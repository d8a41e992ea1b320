// pack::quantizeWeight: exact values, scales and zero points for small
// weights worked out by hand (ties to even, all-zero groups, nibble order),
// the shape checks, a property test on random weights (every representable
// element within half a step of its original), the 4-bit clipped-range
// search against its definition, and the "quantize" op of weight plans.
#include "runtime/Error.h"
#include "runtime/pack/WeightPlan.h"
#include "runtime/pack/WeightTransforms.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

namespace attnrt::pack {
namespace {

struct Quantized {
  std::vector<std::uint8_t> values, zeros;
  std::vector<float> scales;
};

std::vector<std::uint8_t> part(const std::vector<float> &w, std::vector<std::int64_t> shape,
                               const QuantizeParams &params, QuantizedPart which) {
  TensorView view{w.data(), shape, 4};
  std::vector<std::int64_t> partShape;
  std::string dtype;
  Status s = quantizedPartShape(shape, params, which, partShape, dtype);
  EXPECT_TRUE(s.ok()) << s.message();
  std::size_t n = dtypeSize(dtype);
  for (std::int64_t d : partShape)
    n *= std::size_t(d);
  std::vector<std::uint8_t> out(n);
  s = quantizeWeight(view, "f32", params, which, out.data(), out.size());
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

Quantized quantize(const std::vector<float> &w, std::vector<std::int64_t> shape,
                   const QuantizeParams &params) {
  Quantized q;
  q.values = part(w, shape, params, QuantizedPart::Values);
  std::vector<std::uint8_t> scales = part(w, shape, params, QuantizedPart::Scales);
  q.scales.resize(scales.size() / 4);
  std::memcpy(q.scales.data(), scales.data(), scales.size());
  if (params.asymmetric)
    q.zeros = part(w, shape, params, QuantizedPart::Zeros);
  return q;
}

std::vector<std::int8_t> asSigned(const std::vector<std::uint8_t> &bytes) {
  return std::vector<std::int8_t>(bytes.begin(), bytes.end());
}

// Plans whose blobs come from inline data only: any initializer lookup fails.
struct NoInitializers : InitializerSource {
  Status lookup(const std::string &name, const std::string &, const std::vector<std::int64_t> &,
                TensorView &) override {
    return Status::failure("no initializer " + name);
  }
};

TEST(WeightQuantize, Int8PerChannelTiesToEvenAndZeroRow) {
  // Row 0: max |w| = 127, s = 1, the halves round to even. Row 1: all zero
  // (s = 1, q = 0). Row 2: s = 2, the minimum maps to -127.
  std::vector<float> w = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 127.0f,
                          0, 0, 0, 0, 0, 0,
                          -254.0f, 1.0f, 3.0f, 5.0f, 0, 0};
  Quantized q = quantize(w, {3, 6}, {8, 0, false});
  EXPECT_EQ(asSigned(q.values),
            (std::vector<std::int8_t>{0, 2, 2, 0, -2, 127, 0, 0, 0, 0, 0, 0, -127, 0, 2, 2, 0, 0}));
  EXPECT_EQ(q.scales, (std::vector<float>{1.0f, 1.0f, 2.0f}));
}

TEST(WeightQuantize, Int4SymmetricNibbleOrder) {
  // Group 0: s = 1, q = 7, -7, 4 (3.5 to even), 0 -> nibbles q + 8 = 15, 1,
  // 12, 8; element 2j in the low nibble of byte j. Group 1: zeros -> s = 1,
  // nibbles 8.
  std::vector<float> w = {7.0f, -7.0f, 3.5f, 0.0f, 0, 0, 0, 0};
  Quantized q = quantize(w, {1, 8}, {4, 4, false});
  EXPECT_EQ(q.values, (std::vector<std::uint8_t>{0x1f, 0x8c, 0x88, 0x88}));
  EXPECT_EQ(q.scales, (std::vector<float>{1.0f, 1.0f}));
}

TEST(WeightQuantize, Int4AsymmetricZeroPoints) {
  // lo = min(w, 0), hi = max(w, 0), s = (hi - lo) / 15, z = round(-lo / s).
  //   [0, 1.5, 3, 15]:   s 1, z 0,  u 0, 2, 3, 15
  //   [-3, 0, 6, 12]:    s 1, z 3,  u 0, 3, 9, 15
  //   [-15, -7.5, 0, 0]: s 1, z 15, u 0, 7 (round(-7.5) = -8, then + 15), 15, 15
  //   zeros:             s 1, z 0,  u 0
  std::vector<float> w = {0, 1.5f, 3, 15, -3, 0, 6, 12, -15, -7.5f, 0, 0, 0, 0, 0, 0};
  Quantized q = quantize(w, {2, 8}, {4, 4, true});
  EXPECT_EQ(q.values, (std::vector<std::uint8_t>{0x20, 0xf3, 0x30, 0xf9, 0x70, 0xff, 0x00, 0x00}));
  EXPECT_EQ(q.scales, (std::vector<float>{1, 1, 1, 1}));
  EXPECT_EQ(q.zeros, (std::vector<std::uint8_t>{0, 3, 15, 0}));
}

TEST(WeightQuantize, Int8GroupsSymmetricAndAsymmetric) {
  // Symmetric groups of 4: s = max |w| / 127 per group; int8 values.
  //   [127, -63.5, 0, 1]: s 1, q 127, -64 (ties to even), 0, 1
  //   [0, 0, 0, 0]:       s 1, q 0
  std::vector<float> w = {127, -63.5f, 0, 1, 0, 0, 0, 0};
  Quantized q = quantize(w, {1, 8}, {8, 4, false});
  EXPECT_EQ(asSigned(q.values), (std::vector<std::int8_t>{127, -64, 0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(q.scales, (std::vector<float>{1, 1}));
  // Asymmetric: s = (hi - lo) / 255, z = round(-lo / s), u = round(w / s) + z in [0, 255].
  //   [-55, 0, 100, 200]: s 1, z 55,  u 0, 55, 155, 255
  //   [-255, -127.5, 0, 0]: s 1, z 255, u 0, 127 (round(-127.5) = -128, + 255), 255, 255
  std::vector<float> a = {-55, 0, 100, 200, -255, -127.5f, 0, 0};
  Quantized qa = quantize(a, {1, 8}, {8, 4, true});
  EXPECT_EQ(qa.values, (std::vector<std::uint8_t>{0, 55, 155, 255, 0, 127, 255, 255}));
  EXPECT_EQ(qa.scales, (std::vector<float>{1, 1}));
  EXPECT_EQ(qa.zeros, (std::vector<std::uint8_t>{55, 255}));
}

TEST(WeightQuantize, HalfInputsQuantizeLikeTheirFloatValues) {
  // 1.0, -2.0, 0.5, 3.0 as f16: the same bytes as from f32.
  std::vector<std::uint16_t> half = {0x3c00, 0xc000, 0x3800, 0x4200};
  std::vector<float> full = {1.0f, -2.0f, 0.5f, 3.0f};
  QuantizeParams params{4, 4, true};
  for (QuantizedPart which : {QuantizedPart::Values, QuantizedPart::Scales, QuantizedPart::Zeros}) {
    std::vector<std::uint8_t> expected = part(full, {1, 4}, params, which);
    std::vector<std::uint8_t> got(expected.size());
    Status s = quantizeWeight(TensorView{half.data(), {1, 4}, 2}, "f16", params, which, got.data(),
                              got.size());
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(got, expected) << quantizedPartName(which);
  }
}

TEST(WeightQuantize, RejectsBadParameters) {
  std::vector<std::int64_t> shape;
  std::string dtype;
  auto fails = [&](std::vector<std::int64_t> weight, QuantizeParams params, QuantizedPart which,
                   const std::string &needle) {
    Status s = quantizedPartShape(weight, params, which, shape, dtype);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  };
  fails({8, 96}, {4, 64, false}, QuantizedPart::Values, "group size 64 does not divide the input dimension 96");
  fails({8, 64}, {3, 0, false}, QuantizedPart::Values, "4 and 8 bits, not 3");
  fails({8, 63}, {4, 0, false}, QuantizedPart::Values, "must be even");
  fails({8, 64}, {8, 0, true}, QuantizedPart::Values, "only supported in groups");
  fails({8, 64}, {4, 0, true}, QuantizedPart::Values, "only supported in groups");
  fails({8, 64}, {4, 32, false}, QuantizedPart::Zeros, "no zero points");
  fails({8, 64, 2}, {8, 0, false}, QuantizedPart::Values, "2-D");

  float inf = INFINITY;
  std::vector<std::uint8_t> out(2);
  Status s = quantizeWeight(TensorView{&inf, {1, 1}, 4}, "f32", {8, 0, false},
                            QuantizedPart::Values, out.data(), 1);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("non-finite value at [0, 0]"), std::string::npos) << s.message();
}

// Dequantizes element (r, k) the way the kernels do.
float dequantize(const Quantized &q, const QuantizeParams &p, std::int64_t cols, std::int64_t r,
                 std::int64_t k) {
  std::int64_t group = p.groupSize ? p.groupSize : cols, groups = cols / group;
  std::int64_t g = r * groups + k / group;
  float s = q.scales[std::size_t(g)];
  if (p.bits == 8)
    return float(std::int8_t(q.values[std::size_t(r * cols + k)])) * s;
  std::uint8_t byte = q.values[std::size_t((r * cols + k) / 2)];
  int nibble = k % 2 ? byte >> 4 : byte & 0xf;
  int zero = p.asymmetric ? q.zeros[std::size_t(g)] : 8;
  return float(nibble - zero) * s;
}

// Random weights: every element the code can represent is within half a step
// of its original (8 bits: all of them; 4 bits: those inside the group's
// clipped range, the rest clamped to its end), zero-point codes span the
// group's own range.
TEST(WeightQuantize, RandomWeightsWithinHalfAStep) {
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  const QuantizeParams schemes[] = {{8, 0, false}, {8, 32, false}, {4, 0, false},
                                    {4, 32, false}, {4, 64, false}, {4, 32, true},
                                    {4, 128, true}};
  for (const QuantizeParams &p : schemes) {
    const std::int64_t rows = 7, cols = 256;
    std::vector<float> w(std::size_t(rows * cols));
    for (float &x : w)
      x = normal(rng) + (p.asymmetric ? 0.03f : 0.0f); // shifted: zero points matter
    Quantized q = quantize(w, {rows, cols}, p);
    std::int64_t group = p.groupSize ? p.groupSize : cols;
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t k = 0; k < cols; ++k) {
        std::int64_t first = r * cols + k / group * group, g = r * (cols / group) + k / group;
        float lo = 0, hi = 0;
        for (std::int64_t i = 0; i < group; ++i) {
          lo = std::min(lo, w[std::size_t(first + i)]);
          hi = std::max(hi, w[std::size_t(first + i)]);
        }
        float s = q.scales[std::size_t(g)];
        float x = w[std::size_t(r * cols + k)], y = dequantize(q, p, cols, r, k);
        // The representable range: codes [qmin, qmax] minus the zero point.
        int zero = p.bits == 8 ? 0 : p.asymmetric ? q.zeros[std::size_t(g)] : 8;
        float low = float((p.bits == 8 ? -127 : 0) - zero) * s,
              high = float((p.bits == 8 ? 127 : 15) - zero) * s;
        float tol = s / 2 * (1 + 1e-5f) + 1e-12f;
        if (x >= low - s / 2 && x <= high + s / 2)
          ASSERT_LE(std::fabs(x - y), tol)
              << "bits " << p.bits << " group " << p.groupSize << " at " << r << ", " << k;
        else
          ASSERT_EQ(y, x < low ? low : high) << "clamped to the range's end";
        if (p.bits == 8)
          ASSERT_LE(std::fabs(x - y), tol) << "8 bits keep the full range";
        if (p.asymmetric) {
          ASSERT_GE(y, lo - tol);
          ASSERT_LE(y, hi + tol);
        }
      }
  }
}

// 4-bit groups take, of the ranges clipped to 1.00, 0.95, ..., 0.50 of the
// full one (runtime/QuantizedWeights.h), the one with the least squared
// error (the first on a tie): each candidate's code is formed here from the
// contract's formulas and its error summed, and the chosen scale must be
// the argmin's. Over the weights the clipping must pay: Gaussian groups of
// 128 lose at least 15% of the full range's squared error (symmetric).
TEST(WeightQuantize, Int4ClippedRangeMinimizesGroupError) {
  std::mt19937 rng(99);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (bool asymmetric : {false, true}) {
    const QuantizeParams p{4, 128, asymmetric};
    const std::int64_t rows = 16, cols = 512, group = 128;
    std::vector<float> w(std::size_t(rows * cols));
    for (float &x : w)
      x = normal(rng) + (asymmetric ? 0.01f : 0.0f);
    Quantized q = quantize(w, {rows, cols}, p);
    double chosenError = 0, fullError = 0;
    for (std::int64_t g = 0; g < rows * cols / group; ++g) {
      const float *v = w.data() + g * group;
      float lo = 0, hi = 0, amax = 0;
      for (std::int64_t i = 0; i < group; ++i)
        lo = std::min(lo, v[i]), hi = std::max(hi, v[i]), amax = std::max(amax, std::fabs(v[i]));
      double bestError = 0;
      float bestScale = 0;
      for (int c = 0; c <= 10; ++c) {
        const float clip = 1.0f - 0.05f * float(c);
        float scale = asymmetric ? (clip * hi - clip * lo) / 15.0f : clip * amax / 7.0f;
        double zero = asymmetric ? std::nearbyint(-double(clip * lo) / double(scale)) : 8.0;
        double error = 0;
        for (std::int64_t i = 0; i < group; ++i) {
          double u = std::nearbyint(double(v[i]) / double(scale)) + zero;
          u = std::min(15.0, std::max(0.0, u));
          double d = double(v[i]) - (u - zero) * double(scale);
          error += d * d;
        }
        if (c == 0)
          fullError += error;
        if (c == 0 || error < bestError)
          bestError = error, bestScale = scale;
      }
      chosenError += bestError;
      ASSERT_EQ(q.scales[std::size_t(g)], bestScale)
          << (asymmetric ? "asymmetric" : "symmetric") << " group " << g;
    }
    double achieved = 0; // the stored code's own error
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t k = 0; k < cols; ++k) {
        double d = double(w[std::size_t(r * cols + k)]) - double(dequantize(q, p, cols, r, k));
        achieved += d * d;
      }
    EXPECT_NEAR(achieved, chosenError, 1e-6 * chosenError);
    if (!asymmetric)
      EXPECT_LT(chosenError, 0.85 * fullError);
    else
      EXPECT_LT(chosenError, fullError);
  }
}

TEST(WeightQuantize, PlanQuantizeOpRoundTripsAndEvaluates) {
  WeightExpr weight;
  weight.op = WeightExpr::Op::Inline;
  weight.dtype = "f32";
  weight.shape = {1, 8};
  WeightPlan plan;
  std::vector<float> w = {7.0f, -7.0f, 3.5f, 0.0f, 0, 0, 0, 0};
  plan.inlineData.resize(w.size() * 4);
  std::memcpy(plan.inlineData.data(), w.data(), plan.inlineData.size());
  auto quantizePart = [&](QuantizedPart which, std::string dtype, std::vector<std::int64_t> shape) {
    WeightExpr e;
    e.op = WeightExpr::Op::Quantize;
    e.dtype = std::move(dtype);
    e.shape = std::move(shape);
    e.quantize = {4, 4, false};
    e.part = which;
    e.inputs.push_back(weight);
    return e;
  };
  plan.blobs.push_back({0, quantizePart(QuantizedPart::Values, "u8", {1, 4})});
  plan.blobs.push_back({64, quantizePart(QuantizedPart::Scales, "f32", {1, 2})});
  plan.weightsBytes = 72;
  ASSERT_TRUE(checkPlan(plan).ok()) << checkPlan(plan).message();

  std::uint64_t inlineBytes = 0;
  std::string text = serializeWeightPlan(plan);
  EXPECT_NE(text.find(R"("op":"quantize")"), std::string::npos) << text;
  WeightPlan parsed = parseWeightPlan(text, "weights.plan.json", inlineBytes);
  EXPECT_EQ(inlineBytes, plan.inlineData.size());
  parsed.inlineData = plan.inlineData;
  EXPECT_EQ(serializeWeightPlan(parsed), text);
  EXPECT_EQ(parsed.blobs[1].source.part, QuantizedPart::Scales);
  EXPECT_EQ(parsed.blobs[1].source.quantize.groupSize, 4);

  NoInitializers none;
  std::vector<std::uint8_t> bytes(plan.weightsBytes);
  Status s = evaluatePlan(plan, none, bytes.data(), bytes.size());
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 4),
            (std::vector<std::uint8_t>{0x1f, 0x8c, 0x88, 0x88}));
  float scales[2];
  std::memcpy(scales, bytes.data() + 64, 8);
  EXPECT_EQ(scales[0], 1.0f);
  EXPECT_EQ(scales[1], 1.0f);

  // A plan whose quantize shape disagrees with the transform is refused.
  plan.blobs[1].source.shape = {1, 3};
  Status bad = checkPlan(plan);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("quantize scales gives f32 [1, 2]"), std::string::npos)
      << bad.message();
  // An unknown part in the JSON is a parse error naming the key.
  std::string corrupt = text;
  corrupt.replace(corrupt.find(R"("part":"scales")"), 15, R"("part":"bogus!")");
  EXPECT_THROW(parseWeightPlan(corrupt, "weights.plan.json", inlineBytes), Error);
}

// An expression of `op` over `inputs` (none: inline bytes at `inlineOffset`).
WeightExpr expr(WeightExpr::Op op, std::string dtype, std::vector<std::int64_t> shape,
                std::vector<WeightExpr> inputs = {}, std::uint64_t inlineOffset = 0) {
  WeightExpr e;
  e.op = op;
  e.dtype = std::move(dtype);
  e.shape = std::move(shape);
  e.inputs = std::move(inputs);
  e.inlineOffset = inlineOffset;
  return e;
}

// The plan (inline data only) checked, serialized with each of `ops`,
// parsed back to the same text, and evaluated: weights.bin's bytes.
std::vector<std::uint8_t> roundTripAndEvaluate(const WeightPlan &plan,
                                               std::initializer_list<const char *> ops) {
  EXPECT_TRUE(checkPlan(plan).ok()) << checkPlan(plan).message();
  std::uint64_t inlineBytes = 0;
  std::string text = serializeWeightPlan(plan);
  for (const char *op : ops)
    EXPECT_NE(text.find(std::string(R"("op":")") + op + "\""), std::string::npos) << text;
  WeightPlan parsed = parseWeightPlan(text, "weights.plan.json", inlineBytes);
  parsed.inlineData = plan.inlineData;
  EXPECT_EQ(serializeWeightPlan(parsed), text);
  NoInitializers none;
  std::vector<std::uint8_t> bytes(plan.weightsBytes);
  Status s = evaluatePlan(parsed, none, bytes.data(), bytes.size());
  EXPECT_TRUE(s.ok()) << s.message();
  return bytes;
}

// Pre-quantized (MatMulNBits) weights: reshape keeps the bytes, unpack_nibbles
// gives one 4-bit value a byte, low nibble first, each row from its own
// ceil(cols / 2) bytes; both round-trip through the JSON and are checked.
TEST(WeightQuantize, PlanReshapeAndUnpackNibbles) {
  using Op = WeightExpr::Op;
  WeightPlan plan;
  plan.inlineData = {0x21, 0x03, 0x54, 0x06};
  WeightExpr packed = expr(Op::Inline, "u8", {4});
  plan.blobs.push_back({0, expr(Op::Reshape, "u8", {2, 2}, {packed})});
  plan.blobs.push_back({8, expr(Op::UnpackNibbles, "u8", {2, 3}, {packed})});
  plan.weightsBytes = 14;
  EXPECT_EQ(roundTripAndEvaluate(plan, {"reshape", "unpack_nibbles"}),
            (std::vector<std::uint8_t>{0x21, 0x03, 0x54, 0x06, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6}));

  // Shapes that do not fit the input are refused.
  plan.blobs[0].source.shape = {3, 2};
  EXPECT_NE(checkPlan(plan).message().find("changes the element count"), std::string::npos)
      << checkPlan(plan).message();
  plan.blobs[0].source.shape = {2, 2};
  plan.blobs[1].source.shape = {2, 5};
  EXPECT_NE(checkPlan(plan).message().find("rows * ceil(cols / 2)"), std::string::npos)
      << checkPlan(plan).message();
}

// DequantizeLinear weights: int4 codes (one a byte) transposed, widened to
// unsigned nibbles (q + 8) and packed two a byte; f16 scales cast to f32.
// The plan round-trips through the JSON, evaluates, and refuses bad shapes,
// dtypes and values that do not fit a nibble.
TEST(WeightQuantize, PlanDequantizeLinearTransforms) {
  using Op = WeightExpr::Op;
  WeightPlan plan;
  // i4 [4, 2] = [[1, 6], [2, -2], [-8, 0], [7, -8]], two's complement nibbles;
  // then f16 0.5, 1.5.
  plan.inlineData = {0x1, 0x6, 0x2, 0xE, 0x8, 0x0, 0x7, 0x8, 0x00, 0x38, 0x00, 0x3E};
  WeightExpr transposed = expr(Op::Transpose2d, "i4", {2, 4}, {expr(Op::Inline, "i4", {4, 2})});
  WeightExpr widened = expr(Op::WidenNibbles, "u8", {2, 4}, {transposed});
  plan.blobs.push_back({0, expr(Op::PackNibbles, "u8", {2, 2}, {widened})});
  plan.blobs.push_back({4, expr(Op::Cast, "f32", {2}, {expr(Op::Inline, "f16", {2}, {}, 8)})});
  plan.weightsBytes = 12;
  std::vector<std::uint8_t> bytes =
      roundTripAndEvaluate(plan, {"transpose2d", "widen_nibbles", "pack_nibbles", "cast"});
  // Rows 1 2 -8 7 -> 9 10 0 15 -> 0xA9 0xF0; 6 -2 0 -8 -> 14 6 8 0 -> 0x6E 0x08.
  EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 4),
            (std::vector<std::uint8_t>{0xA9, 0xF0, 0x6E, 0x08}));
  float f32[2];
  std::memcpy(f32, bytes.data() + 4, sizeof f32);
  EXPECT_EQ(f32[0], 0.5f);
  EXPECT_EQ(f32[1], 1.5f);

  // widen_nibbles reads i4 / u4 only; pack_nibbles gives [rows, ceil(cols / 2)].
  plan.blobs[0].source.inputs[0].inputs[0].dtype = "u8";
  plan.blobs[0].source.inputs[0].inputs[0].inputs[0].dtype = "u8";
  EXPECT_NE(checkPlan(plan).message().find("widen_nibbles reads i4 or u4"), std::string::npos)
      << checkPlan(plan).message();
  plan.blobs[0].source.inputs[0].inputs[0].dtype = "i4";
  plan.blobs[0].source.inputs[0].inputs[0].inputs[0].dtype = "i4";
  plan.blobs[0].source.shape = {2, 3};
  EXPECT_NE(checkPlan(plan).message().find("ceil(cols / 2)"), std::string::npos)
      << checkPlan(plan).message();

  // A value past 15 does not fit a nibble.
  const std::uint8_t wide[2] = {3, 16};
  std::uint8_t out = 0;
  Status s = packNibbles(TensorView{wide, {1, 2}, 1}, {1, 1}, &out, 1);
  EXPECT_NE(s.message().find("does not fit 4 bits"), std::string::npos) << s.message();
}

// Per-tensor and per-column DequantizeLinear scales: broadcast repeats each
// element over the trailing dimensions (a scalar fills the result); int8
// codes with zero points become uint8 (to_unsigned). Broadcast is checked
// against an element-by-element reference on random bytes of several sizes,
// round-tripped through the plan's JSON, and refused when the input's shape
// is not the result's leading dimensions or the dtype changes.
TEST(WeightQuantize, PlanBroadcastAndToUnsigned) {
  using Op = WeightExpr::Op;
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> byte(0, 255);
  struct Case {
    std::vector<std::int64_t> in, out;
  };
  for (std::size_t size : {1u, 2u, 4u})
    for (const Case &c : {Case{{}, {5}}, Case{{}, {3, 4}}, Case{{3}, {3, 4}}, Case{{3}, {3}},
                          Case{{2, 3}, {2, 3, 2, 2}}, Case{{4}, {4, 0}}}) {
      std::int64_t inN = 1, outN = 1;
      for (std::int64_t d : c.in)
        inN *= d;
      for (std::int64_t d : c.out)
        outN *= d;
      std::vector<std::uint8_t> in(std::size_t(inN) * size);
      for (auto &b : in)
        b = std::uint8_t(byte(rng));
      std::vector<std::uint8_t> out(std::size_t(outN) * size), want(out.size());
      const std::int64_t repeat = inN ? outN / inN : 0;
      for (std::int64_t i = 0; i < outN; ++i) // out[i] = in[i / repeat]
        std::memcpy(&want[std::size_t(i) * size], &in[std::size_t(i / repeat) * size], size);
      Status s = broadcast(TensorView{in.data(), c.in, size}, c.out, out.data(), out.size());
      ASSERT_TRUE(s.ok()) << s.message();
      EXPECT_EQ(out, want) << "element size " << size;
    }

  WeightPlan plan;
  plan.inlineData = {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40, 7}; // f32 1, 2; u8 7
  plan.blobs.push_back({0, expr(Op::Broadcast, "f32", {2, 3}, {expr(Op::Inline, "f32", {2})})});
  plan.blobs.push_back({24, expr(Op::Broadcast, "u8", {2, 2}, {expr(Op::Inline, "u8", {}, {}, 8)})});
  plan.weightsBytes = 28;
  std::vector<std::uint8_t> bytes = roundTripAndEvaluate(plan, {"broadcast"});
  float f32[6];
  std::memcpy(f32, bytes.data(), sizeof f32);
  EXPECT_EQ(std::vector<float>(f32, f32 + 6), (std::vector<float>{1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin() + 24, bytes.end()),
            (std::vector<std::uint8_t>{7, 7, 7, 7}));

  plan.blobs[0].source.shape = {3, 2};
  EXPECT_NE(checkPlan(plan).message().find("leading dimensions"), std::string::npos)
      << checkPlan(plan).message();
  plan.blobs[0].source.shape = {2, 3};
  plan.blobs[0].source.dtype = "f16";
  EXPECT_NE(checkPlan(plan).message().find("broadcast gives f32, not f16"), std::string::npos)
      << checkPlan(plan).message();
  // to_unsigned: int8 q -> u8 q + 128, i8 only.
  WeightPlan codes;
  codes.inlineData = {0x80, 0xFF, 0x00, 0x7F}; // -128, -1, 0, 127
  codes.blobs.push_back({0, expr(Op::ToUnsigned, "u8", {2, 2}, {expr(Op::Inline, "i8", {2, 2})})});
  codes.weightsBytes = 4;
  EXPECT_EQ(roundTripAndEvaluate(codes, {"to_unsigned"}),
            (std::vector<std::uint8_t>{0, 127, 128, 255}));
  codes.blobs[0].source.inputs[0].dtype = "u8";
  EXPECT_NE(checkPlan(codes).message().find("to_unsigned reads i8, not u8"), std::string::npos)
      << checkPlan(codes).message();

  std::uint8_t small[4];
  const float one = 1;
  EXPECT_NE(broadcast(TensorView{&one, {}, 4}, {2}, small, 4).message().find("holds 4 bytes"),
            std::string::npos);
}

} // namespace
} // namespace attnrt::pack
