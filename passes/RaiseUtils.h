// Matching helpers shared by the attn-raise-* passes: what counts as a
// constant weight, a scalar constant, and how the raising patterns are driven.
#pragma once

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

namespace attnc::raise {

// A float constant tensor of exactly `rank` static dims.
inline onnx_dialect::ConstantOp floatConstantOfRank(mlir::Value v, int64_t rank) {
  auto c = v.getDefiningOp<onnx_dialect::ConstantOp>();
  if (!c)
    return nullptr;
  auto t = mlir::dyn_cast<mlir::RankedTensorType>(v.getType());
  if (!t || t.getRank() != rank || !t.hasStaticShape() ||
      !mlir::isa<mlir::FloatType>(t.getElementType()))
    return nullptr;
  return c;
}

// The value of a one-element numeric constant (rank 0 or all dims 1).
inline std::optional<double> scalarConstant(mlir::Value v) {
  auto c = v.getDefiningOp<onnx_dialect::ConstantOp>();
  if (!c)
    return std::nullopt;
  mlir::ElementsAttr attr = c.getValue();
  if (attr.getNumElements() != 1)
    return std::nullopt;
  mlir::Type elt = attr.getElementType();
  if (mlir::isa<mlir::FloatType>(elt)) {
    if (auto it = attr.try_value_begin<llvm::APFloat>()) {
      llvm::APFloat f = **it;
      bool lost = false;
      f.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven, &lost);
      return f.convertToDouble();
    }
    return std::nullopt;
  }
  if (elt.isInteger())
    if (auto it = attr.try_value_begin<llvm::APInt>())
      return double((**it).getSExtValue());
  return std::nullopt;
}

inline mlir::RankedTensorType rankedOf(mlir::Value v) {
  return mlir::dyn_cast<mlir::RankedTensorType>(v.getType());
}

// The rank of a ranked value, -1 when unranked.
inline int64_t rankOf(mlir::Value v) {
  auto t = rankedOf(v);
  return t ? t.getRank() : -1;
}

// Dim `dim` of a ranked value (negative counts from the end), when static
// and in range.
inline std::optional<int64_t> staticDim(mlir::Value v, int64_t dim) {
  auto t = rankedOf(v);
  if (!t)
    return std::nullopt;
  if (dim < 0)
    dim += t.getRank();
  if (dim < 0 || dim >= t.getRank())
    return std::nullopt;
  int64_t d = t.getDimSize(dim);
  return mlir::ShapedType::isDynamic(d) ? std::nullopt : std::optional(d);
}

// The bytes of a constant imported as a resource (initializers of more than
// 64 elements) when they are loaded and hold its elements of elementBytes
// each; nullopt otherwise (a weight-stripped compile of an external
// initializer).
inline std::optional<llvm::ArrayRef<char>>
loadedResourceData(mlir::DenseResourceElementsAttr resource, size_t elementBytes) {
  mlir::AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  if (!blob || blob->getData().size() != size_t(resource.getNumElements()) * elementBytes)
    return std::nullopt;
  return blob->getData();
}

// The values of a constant integer tensor (any shape), inline or as a
// loaded resource; nullopt otherwise.
inline std::optional<llvm::SmallVector<int64_t>> intConstants(mlir::Value v) {
  auto c = v.getDefiningOp<onnx_dialect::ConstantOp>();
  if (!c || !c.getValue().getElementType().isInteger())
    return std::nullopt;
  llvm::SmallVector<int64_t> out;
  if (auto resource = mlir::dyn_cast<mlir::DenseResourceElementsAttr>(c.getValue())) {
    auto type = mlir::cast<mlir::IntegerType>(resource.getElementType());
    const unsigned width = type.getWidth();
    if (width != 8 && width != 16 && width != 32 && width != 64)
      return std::nullopt;
    std::optional<llvm::ArrayRef<char>> bytes = loadedResourceData(resource, width / 8);
    if (!bytes)
      return std::nullopt;
    for (size_t offset = 0; offset < bytes->size(); offset += width / 8) {
      llvm::APInt value(width, 0);
      llvm::LoadIntFromMemory(value, reinterpret_cast<const uint8_t *>(bytes->data() + offset),
                              width / 8);
      out.push_back(type.isUnsigned() ? int64_t(value.getZExtValue()) : value.getSExtValue());
    }
    return out;
  }
  auto values = c.getValue().tryGetValues<llvm::APInt>();
  if (!values)
    return std::nullopt;
  for (const llvm::APInt &i : *values)
    out.push_back(i.getSExtValue());
  return out;
}

// The values of a constant float tensor as doubles: inline, or an f32
// resource that is loaded; nullopt otherwise.
inline std::optional<llvm::SmallVector<double>> floatConstants(mlir::Value v) {
  auto c = v.getDefiningOp<onnx_dialect::ConstantOp>();
  if (!c)
    return std::nullopt;
  llvm::SmallVector<double> out;
  if (auto resource = mlir::dyn_cast<mlir::DenseResourceElementsAttr>(c.getValue())) {
    if (!resource.getElementType().isF32())
      return std::nullopt;
    std::optional<llvm::ArrayRef<char>> bytes = loadedResourceData(resource, sizeof(float));
    if (!bytes)
      return std::nullopt;
    for (size_t offset = 0; offset < bytes->size(); offset += sizeof(float)) {
      float f;
      std::memcpy(&f, bytes->data() + offset, sizeof(float));
      out.push_back(f);
    }
    return out;
  }
  auto values = c.getValue().tryGetValues<llvm::APFloat>();
  if (!values)
    return std::nullopt;
  for (llvm::APFloat f : *values) {
    bool lost = false;
    f.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven, &lost);
    out.push_back(f.convertToDouble());
  }
  return out;
}

// A weight the packer can produce: an onnx.Constant, or a weight transform
// (attn.weight_concat, weight_quantize, or one of attn::isUnaryWeightTransform)
// whose inputs all are such weights.
inline bool isPackableWeight(mlir::Value v) {
  mlir::Operation *def = v.getDefiningOp();
  if (mlir::isa_and_nonnull<onnx_dialect::ConstantOp>(def))
    return true;
  if (auto concat = mlir::dyn_cast_or_null<attn::WeightConcatOp>(def))
    return llvm::all_of(concat.getInputs(), isPackableWeight);
  if (auto quantize = mlir::dyn_cast_or_null<attn::WeightQuantizeOp>(def))
    return isPackableWeight(quantize.getWeight());
  if (attn::isUnaryWeightTransform(def))
    return isPackableWeight(def->getOperand(0));
  return false;
}

// A 1-D i64 onnx.Constant (split sizes, reshape targets, axes).
inline mlir::Value i64Constant(mlir::OpBuilder &builder, mlir::Location loc,
                               llvm::ArrayRef<int64_t> values) {
  auto type = mlir::RankedTensorType::get({int64_t(values.size())}, builder.getI64Type());
  return onnx_dialect::ConstantOp::create(builder, loc, type,
                                          mlir::DenseElementsAttr::get(type, values));
}

// Transpose permutation between [b, s, h, d] (token-major, what attn ops
// take) and [b, h, s, d] (head-major, what exporters compute in); it is its
// own inverse.
inline constexpr int64_t kHeadMajorSwap[] = {0, 2, 1, 3};

// Swaps dims 1 and 2 ([b, h, s, d] <-> [b, s, h, d]) of a ranked 4-D value;
// reuses the input of a Transpose that did the opposite swap.
inline mlir::Value swapHeadsAndSeq(mlir::PatternRewriter &rewriter, mlir::Location loc,
                                   mlir::Value x) {
  if (auto t = x.getDefiningOp<onnx_dialect::TransposeOp>();
      t && t.getPerm() && *t.getPerm() == llvm::ArrayRef<int64_t>(kHeadMajorSwap))
    return t.getData();
  auto type = rankedOf(x);
  llvm::SmallVector<int64_t> shape(type.getShape());
  std::swap(shape[1], shape[2]);
  return onnx_dialect::TransposeOp::create(
      rewriter, loc, mlir::RankedTensorType::get(shape, type.getElementType()), x,
      rewriter.getDenseI64ArrayAttr(kHeadMajorSwap));
}

// Exporters write these constants in the model's precision, so a half
// precision graph needs a looser match than a float one; anything further off
// is a different function and must not be raised.
inline bool approxEqual(mlir::Value v, double expected) {
  std::optional<double> got = scalarConstant(v);
  if (!got)
    return false;
  mlir::Type elt = mlir::getElementTypeOrSelf(v.getType());
  double tolerance = elt.isF16() || elt.isBF16() ? 1e-2 : 1e-5;
  return std::fabs(*got - expected) <= tolerance * std::max(1.0, std::fabs(expected));
}

// The operand of a commutative binary op that is not `known`, when the other
// one is `known`.
template <typename OpTy>
mlir::Value otherOperand(OpTy op, mlir::Value known) {
  if (op->getOperand(0) == known)
    return op->getOperand(1);
  if (op->getOperand(1) == known)
    return op->getOperand(0);
  return nullptr;
}

// Raising only replaces matched ops: no folding, no constant CSE and no
// region simplification, so the untouched part of the graph stays as it was
// imported (constants keep their order and duplicates).
inline mlir::GreedyRewriteConfig raisingConfig() {
  mlir::GreedyRewriteConfig config;
  config.enableFolding(false);
  config.enableConstantCSE(false);
  config.setRegionSimplificationLevel(mlir::GreedySimplifyRegionLevel::Disabled);
  return config;
}

// Runs one raising pass's patterns over `op` with raisingConfig().
inline mlir::LogicalResult
applyRaisingPatterns(mlir::Operation *op,
                     void (*populate)(mlir::RewritePatternSet &patterns)) {
  mlir::RewritePatternSet patterns(op->getContext());
  populate(patterns);
  return mlir::applyPatternsGreedily(op, std::move(patterns), raisingConfig());
}

} // namespace attnc::raise
