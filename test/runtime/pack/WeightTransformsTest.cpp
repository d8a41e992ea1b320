// The packer's weight transforms against a straightforward element-by-element
// computation on random data: every output element is located through its
// multi-index, independently of the chunked copies the library does.
#include "runtime/pack/WeightTransforms.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace attnrt::pack {
namespace {

std::vector<std::uint8_t> randomBytes(std::mt19937 &rng, std::size_t n) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<std::uint8_t> v(n);
  for (auto &b : v)
    b = std::uint8_t(byte(rng));
  return v;
}

std::int64_t numElements(const std::vector<std::int64_t> &shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape)
    n *= d;
  return n;
}

// Row-major multi-index of flat index `flat`.
std::vector<std::int64_t> unflatten(std::int64_t flat, const std::vector<std::int64_t> &shape) {
  std::vector<std::int64_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

std::int64_t flatten(const std::vector<std::int64_t> &index,
                     const std::vector<std::int64_t> &shape) {
  std::int64_t flat = 0;
  for (std::size_t d = 0; d < shape.size(); ++d)
    flat = flat * shape[d] + index[d];
  return flat;
}

// Output element `i` comes from the input whose range along `axis` holds
// the output's coordinate there.
std::vector<std::uint8_t> referenceConcat(const std::vector<std::vector<std::uint8_t>> &data,
                                          const std::vector<std::vector<std::int64_t>> &shapes,
                                          std::int64_t axis, std::size_t elementSize,
                                          const std::vector<std::int64_t> &outShape) {
  std::vector<std::uint8_t> out(std::size_t(numElements(outShape)) * elementSize);
  for (std::int64_t i = 0; i < numElements(outShape); ++i) {
    std::vector<std::int64_t> index = unflatten(i, outShape);
    std::size_t input = 0;
    while (index[axis] >= shapes[input][axis]) {
      index[axis] -= shapes[input][axis];
      ++input;
    }
    std::memcpy(&out[std::size_t(i) * elementSize],
                &data[input][std::size_t(flatten(index, shapes[input])) * elementSize],
                elementSize);
  }
  return out;
}

struct ConcatCase {
  std::vector<std::vector<std::int64_t>> shapes;
  std::int64_t axis;
};

TEST(WeightTransforms, ConcatMatchesElementwiseReference) {
  std::mt19937 rng(1234);
  const std::vector<ConcatCase> cases = {
      {{{5}, {3}, {1}}, 0},
      {{{4, 6}, {2, 6}, {2, 6}}, 0},          // out_in QKV weights
      {{{6, 4}, {6, 2}, {6, 2}}, 1},          // in_out QKV weights
      {{{3, 7}, {3, 1}}, 1},
      {{{2, 3, 4}, {2, 5, 4}}, 1},
      {{{2, 3, 4}, {2, 3, 1}, {2, 3, 2}}, 2},
      {{{1, 2, 3, 4}, {2, 2, 3, 4}}, 0},
      {{{2, 2, 3, 4}, {2, 2, 0, 4}, {2, 2, 2, 4}}, 2}, // an empty input
      {{{3, 3}}, 1},                                   // one input
  };
  for (std::size_t elementSize : {1u, 2u, 3u, 4u, 8u, 16u}) {
    for (const ConcatCase &c : cases) {
      std::vector<std::vector<std::uint8_t>> data;
      std::vector<TensorView> views;
      for (const auto &shape : c.shapes)
        data.push_back(randomBytes(rng, std::size_t(numElements(shape)) * elementSize));
      for (std::size_t i = 0; i < c.shapes.size(); ++i)
        views.push_back(TensorView{data[i].data(), c.shapes[i], elementSize});

      Tensor out;
      Status status = concat(views, c.axis, out);
      ASSERT_TRUE(status.ok()) << status.message();
      std::vector<std::int64_t> want = c.shapes[0];
      want[c.axis] = 0;
      for (const auto &shape : c.shapes)
        want[c.axis] += shape[c.axis];
      EXPECT_EQ(out.shape, want);
      EXPECT_EQ(out.elementSize, elementSize);
      EXPECT_EQ(out.bytes, referenceConcat(data, c.shapes, c.axis, elementSize, want))
          << "element size " << elementSize << ", axis " << c.axis;
    }
  }
}

TEST(WeightTransforms, ConcatWritesIntoCallerMemoryAtAnyAlignment) {
  std::mt19937 rng(7);
  std::vector<std::int64_t> a{3, 5}, b{3, 2};
  const std::size_t elementSize = 4;
  // Inputs and output one byte past an aligned address.
  std::vector<std::uint8_t> bufA = randomBytes(rng, 1 + 15 * elementSize);
  std::vector<std::uint8_t> bufB = randomBytes(rng, 1 + 6 * elementSize);
  std::vector<std::uint8_t> out(1 + 21 * elementSize, 0);
  std::vector<TensorView> views{{bufA.data() + 1, a, elementSize}, {bufB.data() + 1, b, elementSize}};
  Status status = concat(views, 1, out.data() + 1, out.size() - 1);
  ASSERT_TRUE(status.ok()) << status.message();
  auto want = referenceConcat({std::vector<std::uint8_t>(bufA.begin() + 1, bufA.end()),
                               std::vector<std::uint8_t>(bufB.begin() + 1, bufB.end())},
                              {a, b}, 1, elementSize, {3, 7});
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin() + 1, out.end()), want);
}

TEST(WeightTransforms, ConcatRejectsMismatchedInputs) {
  std::vector<std::uint8_t> bytes(64);
  std::vector<std::int64_t> shape;
  auto view = [&](std::vector<std::int64_t> s, std::size_t e = 4) {
    return TensorView{bytes.data(), std::move(s), e};
  };
  EXPECT_FALSE(concatShape({}, 0, shape).ok());
  EXPECT_FALSE(concatShape({view({2, 3}), view({2, 4})}, 0, shape).ok()); // dim 1 differs
  EXPECT_TRUE(concatShape({view({2, 3}), view({2, 4})}, 1, shape).ok());
  EXPECT_EQ(shape, (std::vector<std::int64_t>{2, 7}));
  EXPECT_FALSE(concatShape({view({2, 3}), view({2, 3}, 2)}, 0, shape).ok()); // element size
  EXPECT_FALSE(concatShape({view({2, 3}), view({6})}, 0, shape).ok());       // rank
  EXPECT_FALSE(concatShape({view({2, 3})}, 2, shape).ok());                  // axis
  EXPECT_FALSE(concatShape({view({2, 3})}, -1, shape).ok());
  EXPECT_FALSE(concatShape({view({2, -3})}, 0, shape).ok());
  EXPECT_FALSE(concatShape({view({2, 3}, 0)}, 0, shape).ok());
  std::vector<std::uint8_t> out(4 * 12);
  Status wrongSize = concat({view({2, 3}), view({2, 3})}, 0, out.data(), out.size() - 1);
  EXPECT_FALSE(wrongSize.ok());
  EXPECT_NE(wrongSize.message().find("needs 48"), std::string::npos) << wrongSize.message();
  EXPECT_TRUE(concat({view({2, 3}), view({2, 3})}, 0, out.data(), out.size()).ok());
}

TEST(WeightTransforms, TransposeMatchesElementwiseReference) {
  std::mt19937 rng(42);
  for (std::size_t elementSize : {1u, 2u, 3u, 4u, 8u, 12u})
    for (auto [rows, cols] : {std::pair<std::int64_t, std::int64_t>{1, 1}, {1, 7}, {7, 1},
                              {5, 3}, {33, 65}, {64, 32}, {0, 4}}) {
      std::vector<std::uint8_t> in = randomBytes(rng, std::size_t(rows * cols) * elementSize);
      Tensor out;
      Status status = transpose2d(TensorView{in.data(), {rows, cols}, elementSize}, out);
      ASSERT_TRUE(status.ok()) << status.message();
      EXPECT_EQ(out.shape, (std::vector<std::int64_t>{cols, rows}));
      std::vector<std::uint8_t> want(in.size());
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c)
          std::memcpy(&want[std::size_t(c * rows + r) * elementSize],
                      &in[std::size_t(r * cols + c) * elementSize], elementSize);
      EXPECT_EQ(out.bytes, want) << rows << "x" << cols << ", element size " << elementSize;
    }
}

TEST(WeightTransforms, TransposeUnalignedAndTwiceIsIdentity) {
  std::mt19937 rng(3);
  const std::int64_t rows = 9, cols = 13;
  const std::size_t elementSize = 2;
  std::vector<std::uint8_t> in = randomBytes(rng, 1 + rows * cols * elementSize);
  std::vector<std::uint8_t> once(1 + in.size()), twice(in.size() - 1);
  ASSERT_TRUE(transpose2d(TensorView{in.data() + 1, {rows, cols}, elementSize}, once.data() + 1,
                          in.size() - 1)
                  .ok());
  ASSERT_TRUE(
      transpose2d(TensorView{once.data() + 1, {cols, rows}, elementSize}, twice.data(), twice.size())
          .ok());
  EXPECT_EQ(twice, std::vector<std::uint8_t>(in.begin() + 1, in.end()));
}

TEST(WeightTransforms, TransposeRejectsBadArguments) {
  std::vector<std::uint8_t> bytes(64);
  std::vector<std::int64_t> shape;
  EXPECT_FALSE(transpose2dShape(TensorView{bytes.data(), {2, 2, 2}, 4}, shape).ok());
  EXPECT_FALSE(transpose2dShape(TensorView{bytes.data(), {4}, 4}, shape).ok());
  EXPECT_FALSE(transpose2d(TensorView{bytes.data(), {2, 3}, 4}, bytes.data(), 24).ok()); // in place
  std::vector<std::uint8_t> out(24);
  EXPECT_FALSE(transpose2d(TensorView{bytes.data(), {2, 3}, 4}, out.data(), 20).ok());
  EXPECT_TRUE(transpose2d(TensorView{bytes.data(), {2, 3}, 4}, out.data(), 24).ok());
}

} // namespace
} // namespace attnrt::pack

// Float casts round to nearest even like the compiler's own conversions:
// f16 against GCC's _Float16 (IEEE binary16, hardware or soft-float
// rounding), bf16 against rounding the value at bf16's ulp with nearbyint.
namespace {

template <typename To, typename From> To bitCast(From from) {
  static_assert(sizeof(To) == sizeof(From));
  To to;
  std::memcpy(&to, &from, sizeof to);
  return to;
}

std::vector<float> castInputs() {
  std::vector<float> values = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.0f, 65520.0f, 1e6f,
                               -1e6f, 6.1035156e-05f, 5.9604645e-08f, 2.9802322e-08f,
                               2.98023259e-08f, 1e-10f, 3.3895314e38f,
                               std::numeric_limits<float>::infinity(),
                               -std::numeric_limits<float>::infinity(),
                               std::numeric_limits<float>::denorm_min()};
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> mantissa(-2.0f, 2.0f);
  std::uniform_int_distribution<int> exponent(-30, 20);
  for (int i = 0; i < 20000; ++i)
    values.push_back(std::ldexp(mantissa(rng), exponent(rng)));
  for (int i = 0; i < 2000; ++i) { // exact ties between two representable halves
    float h = std::ldexp(float(1024 + rng() % 1024), -10 + int(rng() % 20));
    values.push_back(h + std::ldexp(1.0f, -11 + int(std::ilogb(h))));
  }
  return values;
}

std::uint16_t bf16Reference(float f) {
  if (f == 0.0f || std::isinf(f))
    return std::uint16_t(bitCast<std::uint32_t>(f) >> 16);
  const float ulp = std::ldexp(1.0f, std::max(std::ilogb(f), -126) - 7); // subnormals: fixed ulp
  const float rounded = std::nearbyint(f / ulp) * ulp; // default rounding: ties to even
  return std::uint16_t(bitCast<std::uint32_t>(rounded) >> 16);
}

} // namespace

TEST(WeightTransforms, CastToF16MatchesTheCompilersConversion) {
  std::vector<float> in = castInputs();
  std::vector<std::uint16_t> out(in.size());
  attnrt::pack::TensorView view{in.data(), {std::int64_t(in.size())}, 4};
  ASSERT_TRUE(attnrt::pack::castFloat(view, "f32", "f16", out.data(), out.size() * 2).ok());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::uint16_t expected = bitCast<std::uint16_t>(static_cast<_Float16>(in[i]));
    ASSERT_EQ(out[i], expected) << "value " << in[i] << " (index " << i << ")";
  }
  // And back: every f16 converts to the float the compiler gives.
  std::vector<std::uint16_t> all(1 << 16);
  for (std::size_t i = 0; i < all.size(); ++i)
    all[i] = std::uint16_t(i);
  std::vector<float> back(all.size());
  attnrt::pack::TensorView halves{all.data(), {std::int64_t(all.size())}, 2};
  ASSERT_TRUE(attnrt::pack::castFloat(halves, "f16", "f32", back.data(), back.size() * 4).ok());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const float expected = static_cast<float>(bitCast<_Float16>(all[i]));
    if (std::isnan(expected))
      ASSERT_TRUE(std::isnan(back[i])) << i;
    else
      ASSERT_EQ(bitCast<std::uint32_t>(back[i]), bitCast<std::uint32_t>(expected)) << i;
  }
}

TEST(WeightTransforms, CastToBf16RoundsToNearestEven) {
  std::vector<float> in = castInputs();
  in.push_back(std::numeric_limits<float>::quiet_NaN());
  std::vector<std::uint16_t> out(in.size());
  attnrt::pack::TensorView view{in.data(), {std::int64_t(in.size())}, 4};
  ASSERT_TRUE(attnrt::pack::castFloat(view, "f32", "bf16", out.data(), out.size() * 2).ok());
  for (std::size_t i = 0; i + 1 < in.size(); ++i)
    ASSERT_EQ(out[i], bf16Reference(in[i])) << "value " << in[i] << " (index " << i << ")";
  EXPECT_EQ(out.back() & 0x7f80, 0x7f80); // NaN stays NaN
  EXPECT_NE(out.back() & 0x7f, 0);
}

TEST(WeightTransforms, CastRejectsUnknownTypesAndWrongSizes) {
  float in[4] = {1, 2, 3, 4};
  std::uint16_t out[4];
  attnrt::pack::TensorView view{in, {4}, 4};
  EXPECT_FALSE(attnrt::pack::castFloat(view, "f32", "i8", out, sizeof out).ok());
  EXPECT_FALSE(attnrt::pack::castFloat(view, "f32", "f16", out, sizeof out - 2).ok());
  attnrt::pack::TensorView wrongSize{in, {4}, 2};
  EXPECT_FALSE(attnrt::pack::castFloat(wrongSize, "f32", "f16", out, sizeof out).ok());
}
