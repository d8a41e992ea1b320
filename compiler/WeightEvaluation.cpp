#include "compiler/WeightEvaluation.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>
#include <optional>

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

  return emitError(loc) << "weight is not a constant or a weight transform over constants";
}

} // namespace attnc
