// Weight plans: JSON round trip, evaluation (transforms, inline bytes, zero
// padding) against values computed by hand, and the checks that reject
// inconsistent plans before anything is written.
#include "runtime/Error.h"
#include "runtime/pack/WeightPlan.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

namespace attnrt::pack {
namespace {

// Initializers held in memory, as the compiler's or the packer's source.
class MapSource : public InitializerSource {
public:
  void add(const std::string &name, std::vector<std::int64_t> shape, std::vector<float> values) {
    tensors[name] = {std::move(shape), std::move(values)};
  }
  Status lookup(const std::string &name, const std::string &dtype,
                const std::vector<std::int64_t> &shape, TensorView &view) override {
    auto it = tensors.find(name);
    if (it == tensors.end())
      return Status::failure("initializer '" + name + "' is missing");
    if (dtype != "f32" || shape != it->second.first)
      return Status::failure("initializer '" + name + "' has another shape");
    view = TensorView{it->second.second.data(), shape, 4};
    return Status::success();
  }
  std::map<std::string, std::pair<std::vector<std::int64_t>, std::vector<float>>> tensors;
};

WeightExpr leaf(const std::string &name, std::vector<std::int64_t> shape) {
  WeightExpr e;
  e.op = WeightExpr::Op::Initializer;
  e.dtype = "f32";
  e.shape = std::move(shape);
  e.name = name;
  return e;
}

WeightExpr node(WeightExpr::Op op, std::vector<std::int64_t> shape, std::vector<WeightExpr> inputs,
                std::int64_t axis = 0) {
  WeightExpr e;
  e.op = op;
  e.dtype = "f32";
  e.shape = std::move(shape);
  e.inputs = std::move(inputs);
  e.axis = axis;
  return e;
}

// a [2, 3], b [1, 3]: blob 0 = transpose(concat(a, b)) [3, 3] at 0; blob 1 =
// two inline floats at 64 (bytes 36..64 are padding).
WeightPlan samplePlan() {
  WeightPlan plan;
  plan.blobs.push_back(
      {0, node(WeightExpr::Op::Transpose2d, {3, 3},
               {node(WeightExpr::Op::Concat, {3, 3}, {leaf("a", {2, 3}), leaf("b", {1, 3})})})});
  WeightExpr inl;
  inl.op = WeightExpr::Op::Inline;
  inl.dtype = "f32";
  inl.shape = {2};
  inl.inlineOffset = 4;
  plan.blobs.push_back({64, inl});
  plan.weightsBytes = 72;
  float inlineValues[3] = {-1.0f, 10.0f, 20.0f};
  plan.inlineData.resize(sizeof inlineValues);
  std::memcpy(plan.inlineData.data(), inlineValues, sizeof inlineValues);
  return plan;
}

MapSource sampleSource() {
  MapSource source;
  source.add("a", {2, 3}, {1, 2, 3, 4, 5, 6});
  source.add("b", {1, 3}, {7, 8, 9});
  return source;
}

TEST(WeightPlan, EvaluatesTransformsInlineBytesAndPadding) {
  WeightPlan plan = samplePlan();
  MapSource source = sampleSource();
  std::vector<std::uint8_t> out(plan.weightsBytes, 0xff);
  Status s = evaluatePlan(plan, source, out.data(), out.size());
  ASSERT_TRUE(s.ok()) << s.message();
  float blob0[9];
  std::memcpy(blob0, out.data(), sizeof blob0);
  const float expected[9] = {1, 4, 7, 2, 5, 8, 3, 6, 9};  // columns of [a; b]
  for (int i = 0; i < 9; ++i)
    EXPECT_EQ(blob0[i], expected[i]) << i;
  for (std::size_t i = 36; i < 64; ++i)
    EXPECT_EQ(out[i], 0) << "padding byte " << i;
  float blob1[2];
  std::memcpy(blob1, out.data() + 64, sizeof blob1);
  EXPECT_EQ(blob1[0], 10.0f);
  EXPECT_EQ(blob1[1], 20.0f);
}

TEST(WeightPlan, JsonRoundTrip) {
  WeightPlan plan = samplePlan();
  std::uint64_t inlineBytes = 0;
  WeightPlan parsed = parseWeightPlan(serializeWeightPlan(plan), "plan.json", inlineBytes);
  EXPECT_EQ(inlineBytes, plan.inlineData.size());
  EXPECT_TRUE(parsed.inlineData.empty()) << "the caller reads the inline file";
  parsed.inlineData = plan.inlineData;
  EXPECT_EQ(serializeWeightPlan(parsed), serializeWeightPlan(plan));
}

TEST(WeightPlan, ParseErrorsNameTheKey) {
  std::uint64_t inlineBytes = 0;
  try {
    parseWeightPlan(R"({"format": 1, "weights_bytes": 4, "inline_file": "weights.inline.bin",
                        "inline_bytes": 0, "blobs": [{"offset": 0, "source":
                        {"op": "rotate", "dtype": "f32", "shape": [1]}}]})",
                    "plan.json", inlineBytes);
    FAIL() << "an unknown op was accepted";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("blobs[0].source.op"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parseWeightPlan(R"({"format": 2})", "plan.json", inlineBytes), Error);
}

TEST(WeightPlan, RejectsInconsistentPlans) {
  MapSource source = sampleSource();
  std::vector<std::uint8_t> out(72);

  WeightPlan overlapping = samplePlan();
  overlapping.blobs[1].offset = 32;
  EXPECT_NE(checkPlan(overlapping).message().find("overlaps"), std::string::npos);

  WeightPlan wrongShape = samplePlan();
  wrongShape.blobs[0].source.inputs[0].shape = {2, 3};
  EXPECT_NE(checkPlan(wrongShape).message().find("concat gives [3, 3]"), std::string::npos)
      << checkPlan(wrongShape).message();

  WeightPlan pastEnd = samplePlan();
  pastEnd.weightsBytes = 70;
  EXPECT_FALSE(checkPlan(pastEnd).ok());
  std::vector<std::uint8_t> small(70);
  EXPECT_FALSE(evaluatePlan(pastEnd, source, small.data(), small.size()).ok());

  WeightPlan badInline = samplePlan();
  badInline.blobs[1].source.inlineOffset = 8;  // 8 + 8 > 12 bytes
  EXPECT_NE(checkPlan(badInline).message().find("inline"), std::string::npos);

  WeightPlan missing = samplePlan();
  missing.blobs[0].source.inputs[0].inputs[1].name = "c";
  Status s = evaluatePlan(missing, source, out.data(), out.size());
  EXPECT_NE(s.message().find("initializer 'c'"), std::string::npos) << s.message();
}

} // namespace
} // namespace attnrt::pack
