#include "runtime/pack/WeightPlan.h"

#include "runtime/pack/Gptq.h"

#include "runtime/Error.h"
#include "runtime/JsonReader.h"
#include "runtime/Manifest.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <sstream>
#include <limits>
#include <list>

namespace attnrt::pack {
namespace {

const char *opName(WeightExpr::Op op) {
  switch (op) {
  case WeightExpr::Op::Initializer:
    return "initializer";
  case WeightExpr::Op::Inline:
    return "inline";
  case WeightExpr::Op::Concat:
    return "concat";
  case WeightExpr::Op::Transpose2d:
    return "transpose2d";
  case WeightExpr::Op::Cast:
    return "cast";
  case WeightExpr::Op::Quantize:
    return "quantize";
  case WeightExpr::Op::Reshape:
    return "reshape";
  case WeightExpr::Op::UnpackNibbles:
    return "unpack_nibbles";
  case WeightExpr::Op::PackNibbles:
    return "pack_nibbles";
  case WeightExpr::Op::WidenNibbles:
    return "widen_nibbles";
  case WeightExpr::Op::Broadcast:
    return "broadcast";
  case WeightExpr::Op::ToUnsigned:
    return "to_unsigned";
  }
  return "?";
}

// The shape functions of WeightTransforms validate views; they read no data,
// so a placeholder pointer stands in for it while checking a plan.
TensorView shapeOnlyView(const WeightExpr &e) {
  static const std::uint8_t placeholder = 0;
  return TensorView{&placeholder, e.shape, dtypeSize(e.dtype)};
}

Status checkExpr(const WeightExpr &e, const WeightPlan &plan, const std::string &path) {
  auto fail = [&](const std::string &what) { return Status::failure(path + ": " + what); };
  if (dtypeSize(e.dtype) == 0)
    return fail("unknown dtype '" + e.dtype + "'");
  // Bounded so that byteSize cannot overflow on a hostile plan.
  std::uint64_t bytes = dtypeSize(e.dtype);
  for (std::int64_t d : e.shape)
    if (d < 0 || __builtin_mul_overflow(bytes, std::uint64_t(d), &bytes) || bytes > (1ull << 62))
      return fail("invalid shape " + formatShape(e.shape));
  switch (e.op) {
  case WeightExpr::Op::Initializer:
    if (e.name.empty() || !e.inputs.empty())
      return fail("an initializer needs a name and no inputs");
    return Status::success();
  case WeightExpr::Op::Inline:
    if (!e.inputs.empty() || e.inlineOffset > plan.inlineData.size() ||
        e.byteSize() > plan.inlineData.size() - e.inlineOffset)
      return fail("inline bytes [" + std::to_string(e.inlineOffset) + ", +" +
                  std::to_string(e.byteSize()) + ") lie outside the inline file (" +
                  std::to_string(plan.inlineData.size()) + " bytes)");
    return Status::success();
  case WeightExpr::Op::Concat: {
    if (e.inputs.empty())
      return fail("concat has no inputs");
    std::vector<TensorView> views;
    for (std::size_t i = 0; i < e.inputs.size(); ++i) {
      const WeightExpr &input = e.inputs[i];
      if (Status s = checkExpr(input, plan, path + ".inputs[" + std::to_string(i) + "]"); !s.ok())
        return s;
      if (input.dtype != e.dtype)
        return fail("concat input " + std::to_string(i) + " is " + input.dtype + ", not " +
                    e.dtype);
      views.push_back(shapeOnlyView(input));
    }
    std::vector<std::int64_t> shape;
    if (Status s = concatShape(views, e.axis, shape); !s.ok())
      return fail(s.message());
    if (shape != e.shape)
      return fail("concat gives " + formatShape(shape) + " but the plan says " +
                  formatShape(e.shape));
    return Status::success();
  }
  case WeightExpr::Op::Transpose2d: {
    if (e.inputs.size() != 1)
      return fail("transpose2d needs one input");
    if (Status s = checkExpr(e.inputs[0], plan, path + ".input"); !s.ok())
      return s;
    if (e.inputs[0].dtype != e.dtype)
      return fail("transpose2d input is " + e.inputs[0].dtype + ", not " + e.dtype);
    std::vector<std::int64_t> shape;
    if (Status s = transpose2dShape(shapeOnlyView(e.inputs[0]), shape); !s.ok())
      return fail(s.message());
    if (shape != e.shape)
      return fail("transpose2d gives " + formatShape(shape) + " but the plan says " +
                  formatShape(e.shape));
    return Status::success();
  }
  case WeightExpr::Op::Cast: {
    if (e.inputs.size() != 1)
      return fail("cast needs one input");
    if (Status s = checkExpr(e.inputs[0], plan, path + ".input"); !s.ok())
      return s;
    if (!isCastableFloat(e.inputs[0].dtype) || !isCastableFloat(e.dtype))
      return fail("cast supports f32, f16 and bf16, not " + e.inputs[0].dtype + " -> " + e.dtype);
    if (e.inputs[0].shape != e.shape)
      return fail("cast keeps the shape " + formatShape(e.inputs[0].shape) +
                  " but the plan says " + formatShape(e.shape));
    return Status::success();
  }
  case WeightExpr::Op::Quantize: {
    if (e.inputs.size() != 1)
      return fail("quantize needs one input");
    if (Status s = checkExpr(e.inputs[0], plan, path + ".input"); !s.ok())
      return s;
    if (!isCastableFloat(e.inputs[0].dtype))
      return fail("quantize reads f32, f16 or bf16, not " + e.inputs[0].dtype);
    std::vector<std::int64_t> shape;
    std::string dtype;
    if (Status s = quantizedPartShape(e.inputs[0].shape, e.quantize, e.part, shape, dtype);
        !s.ok())
      return fail(s.message());
    if (shape != e.shape || dtype != e.dtype)
      return fail(std::string("quantize ") + quantizedPartName(e.part) + " gives " + dtype +
                  " " + formatShape(shape) + " but the plan says " + e.dtype + " " +
                  formatShape(e.shape));
    return Status::success();
  }
  case WeightExpr::Op::Reshape:
  case WeightExpr::Op::Broadcast:
  case WeightExpr::Op::UnpackNibbles:
  case WeightExpr::Op::PackNibbles:
  case WeightExpr::Op::WidenNibbles:
  case WeightExpr::Op::ToUnsigned: {
    const std::string name = opName(e.op);
    const bool keepsDtype = e.op == WeightExpr::Op::Reshape || e.op == WeightExpr::Op::Broadcast;
    if (e.inputs.size() != 1)
      return fail(name + " needs one input");
    if (Status s = checkExpr(e.inputs[0], plan, path + ".input"); !s.ok())
      return s;
    const WeightExpr &in = e.inputs[0];
    // Reshape and broadcast keep the dtype; the nibble transforms give u8
    // (from u8, or from i4 / u4 for widen_nibbles), to_unsigned u8 from i8.
    if (keepsDtype ? in.dtype != e.dtype : e.dtype != "u8")
      return fail(name + " gives " + (keepsDtype ? in.dtype : "u8") + ", not " + e.dtype);
    const char *reads = e.op == WeightExpr::Op::WidenNibbles ? "i4 or u4"
                        : e.op == WeightExpr::Op::ToUnsigned ? "i8"
                                                             : e.dtype.c_str();
    if (e.op == WeightExpr::Op::WidenNibbles   ? in.dtype != "i4" && in.dtype != "u4"
        : e.op == WeightExpr::Op::ToUnsigned ? in.dtype != "i8"
                                             : in.dtype != e.dtype)
      return fail(name + " reads " + reads + ", not " + in.dtype);
    Status shape = Status::success();
    switch (e.op) {
    case WeightExpr::Op::Reshape:
      if (shapeOnlyView(in).numElements() != shapeOnlyView(e).numElements())
        shape = Status::failure("reshape of " + formatShape(in.shape) + " to " +
                                formatShape(e.shape) + " changes the element count");
      break;
    case WeightExpr::Op::Broadcast:
      shape = broadcastShapeCheck(shapeOnlyView(in), e.shape);
      break;
    case WeightExpr::Op::UnpackNibbles:
      shape = unpackNibblesShapeCheck(shapeOnlyView(in), e.shape);
      break;
    case WeightExpr::Op::PackNibbles:
      shape = packNibblesShapeCheck(shapeOnlyView(in), e.shape);
      break;
    default:
      if (in.shape != e.shape)
        shape = Status::failure(name + " keeps the shape " + formatShape(in.shape) +
                                " but the plan says " + formatShape(e.shape));
    }
    return shape.ok() ? shape : fail(shape.message());
  }
  }
  return fail("unknown op");
}

Json exprJson(const WeightExpr &e); // the plan's JSON of an expression (below)

// The last weight GPTQ quantized, whole: the plan asks for its values,
// scales and zero points as separate blobs, one after the other.
struct GptqCache {
  std::string key; // the input expression and the parameters, not the part
  QuantizedWeight weight;
};

class Evaluator {
public:
  Evaluator(const WeightPlan &plan, InitializerSource &source, const Calibration *calibration,
            GptqCache &gptq)
      : plan_(plan), source_(source), calibration_(calibration), gptq_(gptq) {}

  // Writes `e` into out[0, e.byteSize()).
  Status into(const WeightExpr &e, void *out) {
    switch (e.op) {
    case WeightExpr::Op::Initializer:
    case WeightExpr::Op::Inline: {
      TensorView view;
      if (Status s = leaf(e, view); !s.ok())
        return s;
      if (view.byteSize())
        std::memcpy(out, view.data, view.byteSize());
      return Status::success();
    }
    case WeightExpr::Op::Concat: {
      std::vector<TensorView> views(e.inputs.size());
      for (std::size_t i = 0; i < e.inputs.size(); ++i)
        if (Status s = view(e.inputs[i], views[i]); !s.ok())
          return s;
      return concat(views, e.axis, out, e.byteSize());
    }
    case WeightExpr::Op::Quantize:
      if (e.quantize.method == QuantizeMethod::Gptq)
        return gptq(e, out);
      [[fallthrough]];
    default: {
      if (e.inputs.size() != 1)
        return Status::failure(std::string(opName(e.op)) + " needs one input");
      TensorView input;
      if (Status s = view(e.inputs[0], input); !s.ok())
        return s;
      return applyTransform(e, input, out, e.byteSize());
    }
    }
  }

private:
  Status gptq(const WeightExpr &e, void *out) {
    if (e.inputs.size() != 1)
      return Status::failure("quantize needs one input");
    std::string key = exprJson(e.inputs[0]).dump() + " " + std::to_string(e.quantize.bits) + " " +
                      std::to_string(e.quantize.groupSize) + (e.quantize.asymmetric ? " a" : " s");
    if (gptq_.key != key) {
      std::vector<std::string> names = initializerNames(e.inputs[0]);
      const std::string weight = names.empty() ? std::string("(no initializer)") : names[0];
      if (!calibration_)
        return Status::failure("the weight plan quantizes " + weight +
                               " with GPTQ: it needs the calibration statistics it was "
                               "compiled with (--calibration FILE)");
      const LinearInputStatistics *statistics = nullptr;
      for (const std::string &name : names)
        if ((statistics = calibration_->find(name)))
          break;
      if (!statistics)
        return Status::failure("the calibration statistics have no linear reading " + weight +
                               " (measured on another model?)");
      TensorView input;
      if (Status s = view(e.inputs[0], input); !s.ok())
        return s;
      gptq_.key.clear();
      if (Status s = gptqQuantizeWeight(input, e.inputs[0].dtype, e.quantize, *statistics,
                                        gptq_.weight);
          !s.ok())
        return Status::failure(weight + ": " + s.message());
      gptq_.key = std::move(key);
    }
    const Tensor &part = gptq_.weight.part(e.part);
    if (part.bytes.size() != e.byteSize())
      return Status::failure(std::string("GPTQ's ") + quantizedPartName(e.part) + " hold " +
                             std::to_string(part.bytes.size()) + " bytes, the plan expects " +
                             std::to_string(e.byteSize()));
    if (!part.bytes.empty())
      std::memcpy(out, part.bytes.data(), part.bytes.size());
    return Status::success();
  }

  // A view of `e`: leaves in place, transforms materialised (kept until the
  // blob is written).
  Status view(const WeightExpr &e, TensorView &out) {
    if (e.op == WeightExpr::Op::Initializer || e.op == WeightExpr::Op::Inline)
      return leaf(e, out);
    Tensor &t = scratch_.emplace_back();
    t.shape = e.shape;
    t.elementSize = dtypeSize(e.dtype);
    t.bytes.resize(e.byteSize());
    if (Status s = into(e, t.bytes.data()); !s.ok())
      return s;
    out = t.view();
    return Status::success();
  }

  Status leaf(const WeightExpr &e, TensorView &out) {
    if (e.op == WeightExpr::Op::Inline) {
      out = TensorView{plan_.inlineData.data() + e.inlineOffset, e.shape, dtypeSize(e.dtype)};
      return Status::success();
    }
    if (Status s = source_.lookup(e.name, e.dtype, e.shape, out); !s.ok())
      return s;
    if (out.byteSize() != e.byteSize() || (!out.data && out.byteSize() != 0))
      return Status::failure("initializer '" + e.name + "': the source returned " +
                             std::to_string(out.byteSize()) + " bytes, expected " +
                             std::to_string(e.byteSize()));
    return Status::success();
  }

  const WeightPlan &plan_;
  InitializerSource &source_;
  const Calibration *calibration_;
  GptqCache &gptq_;
  std::list<Tensor> scratch_;  // stable addresses: views point into them
};

// Typed access to the plan's JSON with errors naming the file and key path.
// The JSON reader plus the expression grammar of the plan.
class Reader : public JsonReader {
public:
  using JsonReader::JsonReader;

  WeightExpr expr(const Json &j, const std::string &path, int depth) const {
    if (depth > 64)
      fail(path, "expressions nest too deeply");
    WeightExpr e;
    std::string op = string(j, path, "op");
    e.dtype = string(j, path, "dtype");
    const Json &shape = member(j, path, "shape");
    if (!shape.is_array())
      fail(join(path, "shape"), "expected an array");
    for (std::size_t i = 0; i < shape.size(); ++i)
      e.shape.push_back(integerValue(shape[i], join(path, "shape") + "[" + std::to_string(i) + "]", 0));
    if (op == "initializer") {
      e.op = WeightExpr::Op::Initializer;
      e.name = string(j, path, "name");
    } else if (op == "inline") {
      e.op = WeightExpr::Op::Inline;
      e.inlineOffset = std::uint64_t(integer(j, path, "offset", 0));
    } else if (op == "concat") {
      e.op = WeightExpr::Op::Concat;
      e.axis = integer(j, path, "axis", 0);
      const Json &inputs = member(j, path, "inputs");
      if (!inputs.is_array())
        fail(join(path, "inputs"), "expected an array");
      for (std::size_t i = 0; i < inputs.size(); ++i)
        e.inputs.push_back(
            expr(inputs[i], join(path, "inputs") + "[" + std::to_string(i) + "]", depth + 1));
    } else if (op == "transpose2d") {
      e.op = WeightExpr::Op::Transpose2d;
      e.inputs.push_back(expr(member(j, path, "input"), join(path, "input"), depth + 1));
    } else if (op == "reshape" || op == "broadcast" || op == "unpack_nibbles" ||
               op == "pack_nibbles" || op == "widen_nibbles" || op == "to_unsigned") {
      e.op = op == "reshape"          ? WeightExpr::Op::Reshape
             : op == "broadcast"      ? WeightExpr::Op::Broadcast
             : op == "to_unsigned"    ? WeightExpr::Op::ToUnsigned
             : op == "unpack_nibbles" ? WeightExpr::Op::UnpackNibbles
             : op == "pack_nibbles"   ? WeightExpr::Op::PackNibbles
                                      : WeightExpr::Op::WidenNibbles;
      e.inputs.push_back(expr(member(j, path, "input"), join(path, "input"), depth + 1));
    } else if (op == "cast") {
      e.op = WeightExpr::Op::Cast;
      e.inputs.push_back(expr(member(j, path, "input"), join(path, "input"), depth + 1));
    } else if (op == "quantize") {
      e.op = WeightExpr::Op::Quantize;
      e.quantize.bits = int(integer(j, path, "bits", 0));
      e.quantize.groupSize = integer(j, path, "group_size", 0);
      const Json &asymmetric = member(j, path, "asymmetric");
      if (!asymmetric.is_boolean())
        fail(join(path, "asymmetric"), "expected true or false");
      e.quantize.asymmetric = asymmetric.get<bool>();
      std::string part = string(j, path, "part");
      if (!parseQuantizedPart(part, e.part))
        fail(join(path, "part"), "unknown part '" + part + "' (values, scales, zeros)");
      // "method" is optional: round to nearest unless it says "gptq".
      if (j.contains("method")) {
        std::string method = string(j, path, "method");
        if (method == "gptq")
          e.quantize.method = QuantizeMethod::Gptq;
        else if (method != "rtn")
          fail(join(path, "method"), "unknown method '" + method + "' (rtn, gptq)");
      }
      e.inputs.push_back(expr(member(j, path, "input"), join(path, "input"), depth + 1));
    } else {
      fail(join(path, "op"), "unknown op '" + op + "'");
    }
    return e;
  }
};

Json exprJson(const WeightExpr &e) {
  Json j = Json::object();
  j["op"] = opName(e.op);
  j["dtype"] = e.dtype;
  j["shape"] = e.shape;
  switch (e.op) {
  case WeightExpr::Op::Initializer:
    j["name"] = e.name;
    break;
  case WeightExpr::Op::Inline:
    j["offset"] = e.inlineOffset;
    break;
  case WeightExpr::Op::Concat: {
    j["axis"] = e.axis;
    Json inputs = Json::array();
    for (const WeightExpr &input : e.inputs)
      inputs.push_back(exprJson(input));
    j["inputs"] = std::move(inputs);
    break;
  }
  case WeightExpr::Op::Quantize:
    j["bits"] = e.quantize.bits;
    j["group_size"] = e.quantize.groupSize;
    j["asymmetric"] = e.quantize.asymmetric;
    j["part"] = quantizedPartName(e.part);
    if (e.quantize.method == QuantizeMethod::Gptq) // absent: rtn (plans stay as they were)
      j["method"] = "gptq";
    [[fallthrough]];
  case WeightExpr::Op::Transpose2d:
  case WeightExpr::Op::Cast:
  case WeightExpr::Op::Reshape:
  case WeightExpr::Op::Broadcast:
  case WeightExpr::Op::UnpackNibbles:
  case WeightExpr::Op::PackNibbles:
  case WeightExpr::Op::WidenNibbles:
  case WeightExpr::Op::ToUnsigned:
    j["input"] = e.inputs.empty() ? Json::object() : exprJson(e.inputs[0]);
    break;
  }
  return j;
}

} // namespace

Status applyTransform(const WeightExpr &e, const TensorView &input, void *out,
                      std::size_t outBytes) {
  const std::string &from = e.inputs.empty() ? std::string() : e.inputs[0].dtype;
  switch (e.op) {
  case WeightExpr::Op::Transpose2d:
    return transpose2d(input, out, outBytes);
  case WeightExpr::Op::Cast:
    return castFloat(input, from, e.dtype, out, outBytes);
  case WeightExpr::Op::Quantize:
    return quantizeWeight(input, from, e.quantize, e.part, out, outBytes);
  case WeightExpr::Op::Reshape:
    return reshape(input, e.shape, out, outBytes);
  case WeightExpr::Op::Broadcast:
    return broadcast(input, e.shape, out, outBytes);
  case WeightExpr::Op::UnpackNibbles:
    return unpackNibbles(input, e.shape, out, outBytes);
  case WeightExpr::Op::PackNibbles:
    return packNibbles(input, e.shape, out, outBytes);
  case WeightExpr::Op::WidenNibbles:
    return widenNibbles(input, from, out, outBytes);
  case WeightExpr::Op::ToUnsigned:
    return toUnsigned(input, from, out, outBytes);
  default:
    return Status::failure(std::string(opName(e.op)) + " is not a single-input transform");
  }
}

std::size_t dtypeSize(const std::string &dtype) {
  if (dtype == "f32" || dtype == "i32" || dtype == "u32")
    return 4;
  if (dtype == "f16" || dtype == "bf16" || dtype == "i16" || dtype == "u16")
    return 2;
  if (dtype == "f64" || dtype == "i64" || dtype == "u64")
    return 8;
  if (dtype == "i8" || dtype == "u8" || dtype == "bool")
    return 1;
  if (dtype == "i4" || dtype == "u4") // one value a byte, in its low nibble
    return 1;
  return 0;
}

std::size_t WeightExpr::byteSize() const {
  std::size_t n = dtypeSize(dtype);
  for (std::int64_t d : shape)
    n *= std::size_t(d);
  return n;
}

std::string formatShape(const std::vector<std::int64_t> &shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Status checkPlan(const WeightPlan &plan) {
  std::uint64_t end = 0;
  for (std::size_t i = 0; i < plan.blobs.size(); ++i) {
    const PlannedBlob &blob = plan.blobs[i];
    std::string path = "blobs[" + std::to_string(i) + "]";
    if (Status s = checkExpr(blob.source, plan, path + ".source"); !s.ok())
      return s;
    std::uint64_t bytes = blob.source.byteSize();
    if (blob.offset < end)
      return Status::failure(path + ": offset " + std::to_string(blob.offset) +
                             " overlaps the previous blob (ends at " + std::to_string(end) + ")");
    if (blob.offset > plan.weightsBytes || bytes > plan.weightsBytes - blob.offset)
      return Status::failure(path + ": [" + std::to_string(blob.offset) + ", +" +
                             std::to_string(bytes) + ") lies past the end of the weights (" +
                             std::to_string(plan.weightsBytes) + " bytes)");
    end = blob.offset + bytes;
  }
  return Status::success();
}

Status checkExpression(const WeightExpr &expr, const WeightPlan &plan) {
  return checkExpr(expr, plan, "expression");
}

Status evaluatePlan(const WeightPlan &plan, InitializerSource &source, void *out,
                    std::size_t outBytes, const Calibration *calibration) {
  if (Status s = checkPlan(plan); !s.ok())
    return Status::failure("invalid weight plan: " + s.message());
  if (outBytes != plan.weightsBytes || (!out && outBytes != 0))
    return Status::failure("the output holds " + std::to_string(outBytes) +
                           " bytes but the plan needs " + std::to_string(plan.weightsBytes));
  auto *bytes = static_cast<std::uint8_t *>(out);
  std::uint64_t end = 0;
  GptqCache gptq;
  for (const PlannedBlob &blob : plan.blobs) {
    std::memset(bytes + end, 0, blob.offset - end);  // alignment padding
    Evaluator evaluator(plan, source, calibration, gptq);
    if (Status s = evaluator.into(blob.source, bytes + blob.offset); !s.ok())
      return s;
    end = blob.offset + blob.source.byteSize();
  }
  std::memset(bytes + end, 0, plan.weightsBytes - end);
  return Status::success();
}

namespace {
void collectInitializerNames(const WeightExpr &e, std::vector<std::string> &names) {
  if (e.op == WeightExpr::Op::Initializer)
    names.push_back(e.name);
  for (const WeightExpr &input : e.inputs)
    collectInitializerNames(input, names);
}

std::size_t useGptqIn(WeightExpr &e) {
  std::size_t n = 0;
  if (e.op == WeightExpr::Op::Quantize) {
    e.quantize.method = QuantizeMethod::Gptq;
    ++n;
  }
  for (WeightExpr &input : e.inputs)
    n += useGptqIn(input);
  return n;
}
} // namespace

std::vector<std::string> initializerNames(const WeightExpr &expr) {
  std::vector<std::string> names;
  collectInitializerNames(expr, names);
  return names;
}

std::size_t useGptq(WeightPlan &plan) {
  std::size_t n = 0;
  for (PlannedBlob &blob : plan.blobs)
    n += useGptqIn(blob.source);
  return n;
}

WeightPlan loadArtifactPlan(const std::string &dir) {
  auto read = [](const std::string &path, std::string &text) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return false;
    std::ostringstream s;
    s << in.rdbuf();
    text = s.str();
    return !in.bad();
  };
  const std::string planPath = artifactPath(dir, kWeightPlanFile);
  std::string planText, inlineText;
  if (!read(planPath, planText))
    throw Error(ErrorCode::Io, dir + " has no " + kWeightPlanFile +
                                   " (compiled by an attnc without weight plans?); recompile it");
  std::uint64_t inlineBytes = 0;
  WeightPlan plan = parseWeightPlan(planText, planPath, inlineBytes);
  const std::string inlinePath = artifactPath(dir, kWeightInlineFile);
  if (!read(inlinePath, inlineText))
    throw Error(ErrorCode::Io, inlinePath + ": cannot read the artifact's inline weights");
  if (inlineText.size() != inlineBytes)
    throw Error(ErrorCode::Corrupt, inlinePath + " holds " + std::to_string(inlineText.size()) +
                                        " bytes but " + kWeightPlanFile + " says " +
                                        std::to_string(inlineBytes));
  plan.inlineData.assign(inlineText.begin(), inlineText.end());
  return plan;
}

std::string serializeWeightPlan(const WeightPlan &plan) {
  // One blob per line: plans have one entry per weight, and a line each keeps
  // them readable and diffable.
  auto dump = [](const Json &j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); };
  std::string text = "{\n";
  text += "  \"format\": " + std::to_string(kWeightPlanFormat) + ",\n";
  text += "  \"weights_bytes\": " + std::to_string(plan.weightsBytes) + ",\n";
  text += std::string("  \"inline_file\": \"") + kWeightInlineFile + "\",\n";
  text += "  \"inline_bytes\": " + std::to_string(plan.inlineData.size()) + ",\n";
  text += "  \"blobs\": [";
  for (std::size_t i = 0; i < plan.blobs.size(); ++i) {
    Json b = Json::object();
    b["offset"] = plan.blobs[i].offset;
    b["source"] = exprJson(plan.blobs[i].source);
    text += (i ? ",\n    " : "\n    ") + dump(b);
  }
  text += plan.blobs.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return text;
}

WeightPlan parseWeightPlan(const std::string &text, const std::string &fileName,
                           std::uint64_t &inlineBytes) {
  Reader read(fileName);
  Json root = read.parseObject(text);
  std::int64_t format = read.integer(root, "", "format", 0);
  if (format != kWeightPlanFormat)
    throw Error(ErrorCode::Version, fileName + ": weight plan format " + std::to_string(format) +
                                        " but this packer reads format " +
                                        std::to_string(kWeightPlanFormat) +
                                        "; use the attnc that compiled the artifact");
  WeightPlan plan;
  plan.weightsBytes = std::uint64_t(read.integer(root, "", "weights_bytes", 0));
  if (read.string(root, "", "inline_file") != kWeightInlineFile)
    read.fail("inline_file", std::string("expected \"") + kWeightInlineFile + "\"");
  inlineBytes = std::uint64_t(read.integer(root, "", "inline_bytes", 0));
  const Json &blobs = read.member(root, "", "blobs");
  if (!blobs.is_array())
    read.fail("blobs", "expected an array");
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    std::string path = "blobs[" + std::to_string(i) + "]";
    PlannedBlob blob;
    blob.offset = std::uint64_t(read.integer(blobs[i], path, "offset", 0));
    blob.source = read.expr(read.member(blobs[i], path, "source"), path + ".source", 0);
    plan.blobs.push_back(std::move(blob));
  }
  return plan;
}

} // namespace attnrt::pack
