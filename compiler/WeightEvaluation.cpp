#include "compiler/WeightEvaluation.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>
#include <map>
#include <optional>
#include <utility>

using namespace mlir;
namespace od = attnc::onnx_dialect;
namespace pack = attnrt::pack;

namespace attnc {
namespace {

// Bytes per element of a type stored one element per whole number of bytes.
std::optional<size_t> storageBytes(Type elementType) {
  unsigned bits = 0;
  if (auto f = dyn_cast<FloatType>(elementType))
    bits = f.getWidth();
  else if (auto i = dyn_cast<IntegerType>(elementType))
    bits = i.getWidth();
  if (bits == 4 && isa<IntegerType>(elementType))
    return 1; // one value a byte (the importer unpacks ONNX's INT4 / UINT4)
  if (bits < 8 || bits % 8 != 0)
    return std::nullopt;
  return bits / 8;
}

std::vector<int64_t> shapeOf(RankedTensorType type) {
  return std::vector<int64_t>(type.getShape().begin(), type.getShape().end());
}

FailureOr<EvaluatedWeight> evaluateConstant(od::ConstantOp constant, RankedTensorType type,
                                            size_t elementSize) {
  ElementsAttr value = constant.getValue();
  size_t expected = size_t(type.getNumElements()) * elementSize;
  if (auto dense = dyn_cast<DenseIntOrFPElementsAttr>(value)) {
    ArrayRef<char> raw = dense.getRawData();
    if (dense.isSplat()) {
      // A splat stores its one element once.
      pack::Tensor owned{{}, shapeOf(type), elementSize};
      owned.bytes.resize(expected);
      for (size_t offset = 0; offset < expected; offset += elementSize)
        std::memcpy(owned.bytes.data() + offset, raw.data(), elementSize);
      return EvaluatedWeight(type, std::move(owned));
    }
    if (raw.size() != expected)
      return constant.emitError() << "dense data holds " << raw.size() << " bytes but "
                                  << type << " needs " << expected;
    return EvaluatedWeight(type, pack::TensorView{raw.data(), shapeOf(type), elementSize});
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return constant.emitError() << "the data of resource blob '"
                                  << resource.getRawHandle().getKey()
                                  << "' is not available (elided weights?)";
    ArrayRef<char> raw = blob->getData();
    if (raw.size() != expected)
      return constant.emitError() << "resource blob '" << resource.getRawHandle().getKey()
                                  << "' holds " << raw.size() << " bytes but " << type
                                  << " needs " << expected;
    return EvaluatedWeight(type, pack::TensorView{raw.data(), shapeOf(type), elementSize});
  }
  return constant.emitError() << "cannot read the bytes of a " << value.getType()
                              << " constant of this attribute kind";
}


// The plan's name for a weight element type; nullopt for types the plan
// cannot express (sub-byte, complex, ...).
std::optional<std::string> planDtype(Type elementType) {
  if (elementType.isF32())
    return "f32";
  if (elementType.isF16())
    return "f16";
  if (elementType.isBF16())
    return "bf16";
  if (elementType.isF64())
    return "f64";
  if (auto i = dyn_cast<IntegerType>(elementType)) {
    if (i.getWidth() == 1)
      return std::nullopt; // MLIR stores i1 bit-packed
    if (i.getWidth() != 4 && i.getWidth() != 8 && i.getWidth() != 16 && i.getWidth() != 32 &&
        i.getWidth() != 64)
      return std::nullopt;
    return (i.isUnsigned() ? "u" : "i") + std::to_string(i.getWidth());
  }
  return std::nullopt;
}

// The graph initializer an onnx.Constant stands for: the importer names the
// resource blob and the op's location after the initializer. Anything else
// (Constant nodes, folded constants, a blob MLIR renamed) is not one.
std::optional<std::string> initializerName(od::ConstantOp constant) {
  auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
  if (!resource)
    return std::nullopt;
  StringRef key = resource.getRawHandle().getKey();
  bool named = false;
  LocationAttr(constant.getLoc()).walk([&](Location loc) {
    if (auto nameLoc = dyn_cast<NameLoc>(loc); nameLoc && nameLoc.getName() == key)
      named = true;
    return WalkResult::advance();
  });
  return named ? std::optional<std::string>(key.str()) : std::nullopt;
}

// The packer's parameters of an attn.weight_quantize, and which of its
// results `result` is.
pack::QuantizeParams quantizeParams(attn::WeightQuantizeOp op) {
  return pack::QuantizeParams{int(op.getBits()), int64_t(op.getGroupSize()), op.getAsymmetric()};
}
pack::QuantizedPart quantizedPart(attn::WeightQuantizeOp op, Value result) {
  if (result == op.getValues())
    return pack::QuantizedPart::Values;
  return result == op.getScales() ? pack::QuantizedPart::Scales : pack::QuantizedPart::Zeros;
}

// The packer op of a single-input weight transform, or nullopt.
std::optional<pack::WeightExpr::Op> unaryTransform(Operation *def) {
  using Op = pack::WeightExpr::Op;
  if (!def)
    return std::nullopt;
  return llvm::TypeSwitch<Operation *, std::optional<Op>>(def)
      .Case([](attn::WeightReshapeOp) { return Op::Reshape; })
      .Case([](attn::WeightBroadcastOp) { return Op::Broadcast; })
      .Case([](attn::WeightToUnsignedOp) { return Op::ToUnsigned; })
      .Case([](attn::WeightUnpackNibblesOp) { return Op::UnpackNibbles; })
      .Case([](attn::WeightPackNibblesOp) { return Op::PackNibbles; })
      .Case([](attn::WeightWidenNibblesOp) { return Op::WidenNibbles; })
      .Case([](attn::WeightTransposeOp) { return Op::Transpose2d; })
      .Case([](attn::WeightCastOp) { return Op::Cast; })
      .Default([](Operation *) { return std::nullopt; });
}

} // namespace

FailureOr<EvaluatedWeight> evaluateWeight(Value weight) {
  Operation *def = weight.getDefiningOp();
  Location loc = def ? def->getLoc() : weight.getLoc();
  auto type = dyn_cast<RankedTensorType>(weight.getType());
  if (!type || !type.hasStaticShape())
    return emitError(loc) << "weight type " << weight.getType() << " is not a static tensor";
  std::optional<size_t> elementSize = storageBytes(type.getElementType());
  if (!elementSize)
    return emitError(loc) << "weight element type " << type.getElementType()
                          << " has no whole-byte storage";

  if (auto constant = dyn_cast_or_null<od::ConstantOp>(def))
    return evaluateConstant(constant, type, *elementSize);

  if (auto concat = dyn_cast_or_null<attn::WeightConcatOp>(def)) {
    SmallVector<EvaluatedWeight> inputs;
    for (Value input : concat.getInputs()) {
      FailureOr<EvaluatedWeight> evaluated = evaluateWeight(input);
      if (failed(evaluated))
        return failure();
      inputs.push_back(std::move(*evaluated));
    }
    std::vector<pack::TensorView> views;
    for (const EvaluatedWeight &input : inputs)
      views.push_back(input.view());
    pack::Tensor result;
    pack::Status status = pack::concat(views, int64_t(concat.getAxis()), result);
    if (!status.ok())
      return concat.emitError() << "cannot concatenate the weights: " << status.message();
    if (result.shape != shapeOf(type))
      return concat.emitError() << "the packer's concatenation does not have the type " << type;
    return EvaluatedWeight(type, std::move(result));
  }

  if (auto quantize = dyn_cast_or_null<attn::WeightQuantizeOp>(def)) {
    FailureOr<EvaluatedWeight> input = evaluateWeight(quantize.getWeight());
    if (failed(input))
      return failure();
    std::optional<std::string> inputDtype = planDtype(input->type().getElementType());
    // The packer quantizes [out, in]: an in_out weight is transposed first.
    pack::TensorView view = input->view();
    pack::Tensor transposed;
    if (quantize.getWeightLayout() == attn::WeightLayout::in_out) {
      if (pack::Status status = pack::transpose2d(view, transposed); !status.ok())
        return quantize.emitError() << "cannot transpose the weight: " << status.message();
      view = transposed.view();
    }
    pack::QuantizeParams params = quantizeParams(quantize);
    pack::QuantizedPart part = quantizedPart(quantize, weight);
    pack::Tensor result;
    std::string dtype;
    pack::Status status =
        pack::quantizedPartShape(view.shape, params, part, result.shape, dtype);
    if (status.ok() && result.shape != shapeOf(type))
      status = pack::Status::failure("the packer's result is " + pack::formatShape(result.shape));
    if (status.ok()) {
      result.elementSize = pack::dtypeSize(dtype);
      result.bytes.resize(size_t(type.getNumElements()) * result.elementSize);
      status = pack::quantizeWeight(view, inputDtype.value_or("?"), params, part,
                                    result.bytes.data(), result.bytes.size());
    }
    if (!status.ok())
      return quantize.emitError() << "cannot quantize the weight: " << status.message();
    return EvaluatedWeight(type, std::move(result));
  }

  if (std::optional<pack::WeightExpr::Op> op = unaryTransform(def)) {
    FailureOr<EvaluatedWeight> input = evaluateWeight(def->getOperand(0));
    if (failed(input))
      return failure();
    // The packer's code on the packer's description of this one step.
    pack::WeightExpr step;
    step.op = *op;
    step.dtype = planDtype(type.getElementType()).value_or("?");
    step.shape = shapeOf(type);
    step.inputs.emplace_back();
    step.inputs[0].dtype = planDtype(input->type().getElementType()).value_or("?");
    step.inputs[0].shape = shapeOf(input->type());
    pack::Tensor result{{}, shapeOf(type), *elementSize};
    result.bytes.resize(size_t(type.getNumElements()) * *elementSize);
    pack::Status status =
        pack::applyTransform(step, input->view(), result.bytes.data(), result.bytes.size());
    if (!status.ok())
      return def->emitError() << "cannot transform the weight: " << status.message();
    return EvaluatedWeight(type, std::move(result));
  }

  return emitError(loc) << "weight is not a constant or a weight transform over constants";
}

//===----------------------------------------------------------------------===//
// Weight plans
//===----------------------------------------------------------------------===//

// Serves the initializers a plan names from the module's resource blobs.
class WeightPlanBuilder::ModuleInitializers : public pack::InitializerSource {
public:
  struct Entry {
    std::string dtype;
    std::vector<int64_t> shape;
    const void *data = nullptr; // null: the blob's data is not available
  };

  // Records `name`; false when another constant already claimed it with
  // other contents or type.
  bool add(const std::string &name, Entry entry) {
    auto [it, inserted] = entries.try_emplace(name, entry);
    return inserted || (it->second.dtype == entry.dtype && it->second.shape == entry.shape &&
                        it->second.data == entry.data);
  }

  pack::Status lookup(const std::string &name, const std::string &dtype,
                      const std::vector<int64_t> &shape, pack::TensorView &view) override {
    auto it = entries.find(name);
    if (it == entries.end())
      return pack::Status::failure("initializer '" + name + "' is not in the compiled module");
    const Entry &e = it->second;
    if (e.dtype != dtype || e.shape != shape)
      return pack::Status::failure("initializer '" + name + "' is " + e.dtype + " " +
                                   pack::formatShape(e.shape) + " but the plan expects " + dtype +
                                   " " + pack::formatShape(shape));
    if (!e.data)
      return pack::Status::failure("the data of initializer '" + name +
                                   "' is not available (elided weights?)");
    view = pack::TensorView{e.data, e.shape, pack::dtypeSize(e.dtype)};
    return pack::Status::success();
  }

private:
  std::map<std::string, Entry> entries;
};

WeightPlanBuilder::WeightPlanBuilder() : source_(std::make_shared<ModuleInitializers>()) {}

std::shared_ptr<pack::InitializerSource> WeightPlanBuilder::initializers() const {
  return source_;
}

FailureOr<pack::WeightExpr> WeightPlanBuilder::describe(Value weight) {
  Operation *def = weight.getDefiningOp();
  Location loc = def ? def->getLoc() : weight.getLoc();
  auto type = dyn_cast<RankedTensorType>(weight.getType());
  if (!type || !type.hasStaticShape())
    return emitError(loc) << "weight type " << weight.getType() << " is not a static tensor";
  std::optional<std::string> dtype = planDtype(type.getElementType());
  if (!dtype)
    return emitError(loc) << "weight element type " << type.getElementType()
                          << " has no whole-byte storage";
  pack::WeightExpr expr;
  expr.dtype = *dtype;
  expr.shape = shapeOf(type);

  if (auto constant = dyn_cast_or_null<od::ConstantOp>(def)) {
    if (std::optional<std::string> name = initializerName(constant)) {
      // Named, not read: a weight-stripped compile never touches its bytes.
      AsmResourceBlob *blob =
          cast<DenseResourceElementsAttr>(constant.getValue()).getRawHandle().getBlob();
      const void *data = nullptr;
      if (blob) {
        if (blob->getData().size() != expr.byteSize())
          return constant.emitError() << "resource blob '" << *name << "' holds "
                                      << blob->getData().size() << " bytes but " << type
                                      << " needs " << expr.byteSize();
        data = blob->getData().data();
      }
      if (!source_->add(*name, {expr.dtype, expr.shape, data}))
        return constant.emitError() << "two different constants claim initializer '" << *name
                                    << "'";
      expr.op = pack::WeightExpr::Op::Initializer;
      expr.name = *name;
      return expr;
    }
    // Not an initializer: the artifact keeps these bytes itself.
    FailureOr<EvaluatedWeight> evaluated = evaluateWeight(weight);
    if (failed(evaluated))
      return failure();
    ArrayRef<char> bytes = evaluated->bytes();
    expr.op = pack::WeightExpr::Op::Inline;
    expr.inlineOffset = plan_.inlineData.size();
    plan_.inlineData.insert(plan_.inlineData.end(), bytes.begin(), bytes.end());
    return expr;
  }

  if (auto concat = dyn_cast_or_null<attn::WeightConcatOp>(def)) {
    expr.op = pack::WeightExpr::Op::Concat;
    expr.axis = int64_t(concat.getAxis());
    for (Value input : concat.getInputs()) {
      FailureOr<pack::WeightExpr> described = describe(input);
      if (failed(described))
        return failure();
      expr.inputs.push_back(std::move(*described));
    }
    return expr;
  }

  if (auto quantize = dyn_cast_or_null<attn::WeightQuantizeOp>(def)) {
    FailureOr<pack::WeightExpr> input = describe(quantize.getWeight());
    if (failed(input))
      return failure();
    if (quantize.getWeightLayout() == attn::WeightLayout::in_out) {
      pack::WeightExpr transposed;
      transposed.op = pack::WeightExpr::Op::Transpose2d;
      transposed.dtype = input->dtype;
      transposed.shape = {input->shape[1], input->shape[0]};
      transposed.inputs.push_back(std::move(*input));
      input = std::move(transposed);
    }
    expr.op = pack::WeightExpr::Op::Quantize;
    expr.quantize = quantizeParams(quantize);
    expr.part = quantizedPart(quantize, weight);
    expr.inputs.push_back(std::move(*input));
    return expr;
  }

  if (std::optional<pack::WeightExpr::Op> op = unaryTransform(def)) {
    FailureOr<pack::WeightExpr> input = describe(def->getOperand(0));
    if (failed(input))
      return failure();
    expr.op = *op;
    expr.inputs.push_back(std::move(*input));
    return expr;
  }

  return emitError(loc) << "weight is not a constant or a weight transform over constants";
}

FailureOr<uint64_t> WeightPlanBuilder::addBlob(Value weight, bool transposeToOutIn,
                                               size_t alignment, StringRef castTo) {
  FailureOr<pack::WeightExpr> expr = describe(weight);
  if (failed(expr))
    return failure();
  if (transposeToOutIn) {
    pack::WeightExpr transposed;
    transposed.op = pack::WeightExpr::Op::Transpose2d;
    transposed.dtype = expr->dtype;
    if (expr->shape.size() != 2) {
      emitError(weight.getLoc()) << "cannot transpose weight: transpose2d needs a 2-D tensor, got "
                                 << pack::formatShape(expr->shape);
      return failure();
    }
    transposed.shape = {expr->shape[1], expr->shape[0]};
    transposed.inputs.push_back(std::move(*expr));
    expr = std::move(transposed);
  }
  if (!castTo.empty() && castTo != expr->dtype) {
    pack::WeightExpr cast;
    cast.op = pack::WeightExpr::Op::Cast;
    cast.dtype = castTo.str();
    cast.shape = expr->shape;
    cast.inputs.push_back(std::move(*expr));
    expr = std::move(cast);
  }
  // Checked as it is added, so a transform the packer would refuse fails
  // here, at its op.
  pack::Status status = pack::checkExpression(*expr, plan_);
  if (!status.ok()) {
    Operation *def = weight.getDefiningOp();
    (def ? def->emitError() : emitError(weight.getLoc()))
        << "the packer cannot rebuild this weight: " << status.message();
    return failure();
  }
  uint64_t offset = llvm::alignTo(plan_.weightsBytes, alignment);
  plan_.weightsBytes = offset + expr->byteSize();
  plan_.blobs.push_back({offset, std::move(*expr)});
  return offset;
}

} // namespace attnc
