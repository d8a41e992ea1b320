// Verifiers of the onnx dialect. They check what ONNX itself requires and
// what later passes rely on; ranks and static dims are checked only where
// known, because imported values may be unranked until shape inference.
#include "dialects/Onnx/OnnxOps.h"
#include "dialects/Onnx/OnnxTypes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;

namespace attnc::onnx_dialect {
namespace {

// ODS I64Attr getters return uint64_t (the zero-extended value), so every INT
// attribute goes through this before it is compared or printed; otherwise -1
// compares as 2^64-1 and negative values print as huge numbers.
int64_t sv(uint64_t v) { return static_cast<int64_t>(v); }

std::optional<int64_t> rankOf(Value v) {
  if (auto t = dyn_cast<RankedTensorType>(v.getType()))
    return t.getRank();
  return std::nullopt;
}

bool isNone(Value v) { return isa<NoneType>(v.getType()); }

// Numpy-style multidirectional broadcasting of two static-or-dynamic shapes.
bool broadcastable(ArrayRef<int64_t> sa, ArrayRef<int64_t> sb) {
  for (size_t i = 1; i <= std::min(sa.size(), sb.size()); ++i) {
    int64_t da = sa[sa.size() - i], db = sb[sb.size() - i];
    if (!ShapedType::isDynamic(da) && !ShapedType::isDynamic(db) && da != db &&
        da != 1 && db != 1)
      return false;
  }
  return true;
}

LogicalResult checkBroadcastable(Operation *op, Type a, Type b) {
  auto ra = dyn_cast<RankedTensorType>(a), rb = dyn_cast<RankedTensorType>(b);
  if (!ra || !rb || broadcastable(ra.getShape(), rb.getShape()))
    return success();
  return op->emitOpError() << "operand shapes " << ra << " and " << rb
                           << " are not broadcastable";
}

LogicalResult checkAxis(Operation *op, int64_t axis, std::optional<int64_t> rank,
                        StringRef what = "axis") {
  if (!rank)
    return success();
  int64_t r = *rank;
  if (axis < -r || axis >= std::max<int64_t>(r, 1))
    return op->emitOpError() << what << " " << axis << " is out of range for rank " << r;
  return success();
}

LogicalResult checkHeads(Operation *op, int64_t numHeads, int64_t kvNumHeads,
                         StringRef qName, StringRef kvName) {
  if (numHeads <= 0)
    return op->emitOpError() << qName << " must be positive, got " << numHeads;
  if (kvNumHeads <= 0)
    return op->emitOpError() << kvName << " must be positive, got " << kvNumHeads;
  if (numHeads % kvNumHeads != 0)
    return op->emitOpError() << qName << " (" << numHeads
                             << ") is not a multiple of " << kvName << " ("
                             << kvNumHeads << ")";
  return success();
}

LogicalResult checkRankIn(Operation *op, Value v, StringRef name,
                          ArrayRef<int64_t> allowed) {
  auto rank = rankOf(v);
  if (!rank || llvm::is_contained(allowed, *rank))
    return success();
  auto diag = op->emitOpError() << name << " must have rank ";
  llvm::interleave(allowed, diag, [&](int64_t r) { diag << r; }, " or ");
  return diag << ", got rank " << *rank;
}

} // namespace

//===----------------------------------------------------------------------===//
// Shared verifiers (called from the ODS classes in OnnxOps.td)
//===----------------------------------------------------------------------===//

LogicalResult verifyBroadcastBinary(Operation *op) {
  return checkBroadcastable(op, op->getOperand(0).getType(),
                            op->getOperand(1).getType());
}

LogicalResult verifyVariadicElementwise(Operation *op) {
  if (op->getNumOperands() == 0)
    return op->emitOpError("needs at least one input");
  // Broadcasting of several shapes is valid iff every pair is broadcastable.
  OperandRange operands = op->getOperands();
  for (unsigned i = 0; i < operands.size(); ++i)
    for (unsigned j = i + 1; j < operands.size(); ++j)
      if (failed(checkBroadcastable(op, operands[i].getType(), operands[j].getType())))
        return failure();
  return success();
}

LogicalResult verifyAxisOfInput(Operation *op, int64_t axis, Value input) {
  return checkAxis(op, axis, rankOf(input));
}

template <typename ReduceOp>
LogicalResult verifyReduce(ReduceOp op) {
  if (op.getKeepdims() != 0 && op.getKeepdims() != 1)
    return op.emitOpError() << "keepdims must be 0 or 1, got " << sv(op.getKeepdims());
  if (op.getNoopWithEmptyAxes() != 0 && op.getNoopWithEmptyAxes() != 1)
    return op.emitOpError() << "noop_with_empty_axes must be 0 or 1, got "
                            << sv(op.getNoopWithEmptyAxes());
  if (auto axes = dyn_cast<RankedTensorType>(op.getAxes().getType()))
    if (axes.getRank() != 1)
      return op.emitOpError() << "axes must be a 1-D tensor, got " << axes;
  return success();
}

template <typename NormOp>
LogicalResult verifyNormalization(NormOp op, int64_t axis, Value x, Value y,
                                  APFloat epsilon) {
  if (failed(checkAxis(op, axis, rankOf(x))))
    return failure();
  if (epsilon.isNegative() || epsilon.isNaN())
    return op.emitOpError("epsilon must be a non-negative number");
  if (failed(verifyCompatibleShape(x.getType(), y.getType())))
    return op.emitOpError() << "output shape " << y.getType()
                            << " differs from input shape " << x.getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Op-specific verifiers
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  auto valueType = cast<ShapedType>(getValue().getType());
  auto resultType = cast<ShapedType>(getOutput().getType());
  if (valueType.getElementType() != resultType.getElementType() ||
      failed(verifyCompatibleShape(valueType, resultType)))
    return emitOpError() << "value of type " << valueType
                         << " does not match result type " << resultType;
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult PowOp::verify() {
  if (getX().getType() != getZ().getType() &&
      getElementTypeOrSelf(getX().getType()) != getElementTypeOrSelf(getZ().getType()))
    return emitOpError("result element type must match the base");
  return checkBroadcastable(*this, getX().getType(), getY().getType());
}

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError() << "approximate must be \"none\" or \"tanh\", got \""
                         << getApproximate() << "\"";
  return success();
}

LogicalResult WhereOp::verify() {
  if (getElementTypeOrSelf(getX().getType()) != getElementTypeOrSelf(getY().getType()) ||
      getElementTypeOrSelf(getX().getType()) != getElementTypeOrSelf(getOutput().getType()))
    return emitOpError("X, Y and the output must share an element type");
  if (failed(checkBroadcastable(*this, getCondition().getType(), getX().getType())) ||
      failed(checkBroadcastable(*this, getCondition().getType(), getY().getType())) ||
      failed(checkBroadcastable(*this, getX().getType(), getY().getType())))
    return failure();
  return success();
}

LogicalResult CastOp::verify() {
  Type expected = elementTypeFromOnnx(getContext(), getTo());
  if (!expected)
    return emitOpError() << "unsupported target type " << onnxDataTypeName(getTo());
  if (getElementTypeOrSelf(getOutput().getType()) != expected)
    return emitOpError() << "result element type "
                         << getElementTypeOrSelf(getOutput().getType())
                         << " does not match to=" << onnxDataTypeName(getTo());
  if (failed(verifyCompatibleShape(getInput().getType(), getOutput().getType())))
    return emitOpError() << "result shape " << getOutput().getType()
                         << " differs from input shape " << getInput().getType();
  return success();
}

LogicalResult CastLikeOp::verify() {
  if (getElementTypeOrSelf(getTargetType().getType()) !=
      getElementTypeOrSelf(getOutput().getType()))
    return emitOpError("result element type must match target_type");
  return success();
}

// The scale of a linear (de)quantization: a scalar (per tensor), 1-D along
// `axis` (per axis) or, with block_size > 0, x's rank with x's `axis` dim
// divided into blocks.
static LogicalResult verifyQuantizationScale(Operation *op, Value x, Value scale,
                                             Value zeroPoint, int64_t axis,
                                             int64_t blockSize) {
  if (blockSize < 0)
    return op->emitOpError() << "block_size must be non-negative, got " << blockSize;
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto scaleType = dyn_cast<RankedTensorType>(scale.getType());
  if (xType && failed(checkAxis(op, axis, xType.getRank())))
    return failure();
  if (!xType || !scaleType)
    return success();
  int64_t a = axis < 0 ? axis + xType.getRank() : axis;
  if (blockSize > 0) {
    if (scaleType.getRank() != xType.getRank())
      return op->emitOpError() << "blocked quantization needs a scale of x's rank "
                               << xType.getRank() << ", got " << scaleType;
    int64_t n = xType.getDimSize(a), blocks = scaleType.getDimSize(a);
    if (!ShapedType::isDynamic(n) && !ShapedType::isDynamic(blocks) &&
        blocks != (n + blockSize - 1) / blockSize)
      return op->emitOpError() << "scale has " << blocks << " blocks along axis " << a
                               << " but " << n << " elements in blocks of " << blockSize
                               << " need " << (n + blockSize - 1) / blockSize;
  } else if (scaleType.getRank() > 1 ||
             // One element is per tensor too (as onnxruntime reads it).
             (scaleType.getRank() == 1 && scaleType.getDimSize(0) != 1 &&
              failed(verifyCompatibleShape(
                  ArrayRef<int64_t>{scaleType.getDimSize(0)},
                  ArrayRef<int64_t>{xType.getDimSize(a)})))) {
    return op->emitOpError() << "scale " << scaleType
                             << " is neither a scalar nor 1-D along axis " << a;
  }
  if (!isNone(zeroPoint) &&
      failed(verifyCompatibleShape(zeroPoint.getType(), scale.getType())))
    return op->emitOpError("zero point and scale must have the same shape");
  return success();
}

LogicalResult DequantizeLinearOp::verify() {
  if (!isNone(getXZeroPoint()) &&
      getElementTypeOrSelf(getXZeroPoint().getType()) != getElementTypeOrSelf(getX().getType()))
    return emitOpError("x_zero_point must have x's element type");
  Type expected = getElementTypeOrSelf(getXScale().getType());
  if (getOutputDtype())
    expected = elementTypeFromOnnx(getContext(), int64_t(*getOutputDtype()));
  if (getElementTypeOrSelf(getY().getType()) != expected)
    return emitOpError() << "result element type must be " << expected;
  return verifyQuantizationScale(*this, getX(), getXScale(), getXZeroPoint(),
                                 int64_t(getAxis()), int64_t(getBlockSize()));
}

LogicalResult QuantizeLinearOp::verify() {
  Type yElt = getElementTypeOrSelf(getY().getType());
  if (!isNone(getYZeroPoint()) && getElementTypeOrSelf(getYZeroPoint().getType()) != yElt)
    return emitOpError("y_zero_point must have the result's element type");
  if (getOutputDtype() &&
      yElt != elementTypeFromOnnx(getContext(), int64_t(*getOutputDtype())))
    return emitOpError("result element type must match output_dtype");
  if (!isa<IntegerType, Float8E4M3FNType, Float8E4M3FNUZType, Float8E5M2Type,
           Float8E5M2FNUZType>(yElt))
    return emitOpError() << "result must be an integer or float8 tensor, got " << yElt;
  return verifyQuantizationScale(*this, getX(), getYScale(), getYZeroPoint(),
                                 int64_t(getAxis()), int64_t(getBlockSize()));
}

LogicalResult ModOp::verify() {
  int64_t fmod = int64_t(getFmod());
  if (fmod != 0 && fmod != 1)
    return emitOpError() << "fmod must be 0 or 1, got " << fmod;
  if (fmod == 0 && isa<FloatType>(getElementTypeOrSelf(getA().getType())))
    return emitOpError("floating-point Mod needs fmod=1");
  return verifyBroadcastBinary(*this);
}

// The constant values of an axes operand, if it is a dense constant.
static std::optional<SmallVector<int64_t>> constantAxes(Value axes) {
  auto constant = axes.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto dense = dyn_cast<DenseIntElementsAttr>(constant.getValue());
  if (!dense)
    return std::nullopt;
  return llvm::to_vector(llvm::map_range(dense.getValues<APInt>(),
                                         [](const APInt &a) { return a.getSExtValue(); }));
}

// Axes of rank `rank` must be in [-rank, rank) and name each axis once.
static LogicalResult checkAxesList(Operation *op, ArrayRef<int64_t> axes, int64_t rank) {
  llvm::SmallBitVector seen(std::max<int64_t>(rank, 1));
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      return op->emitOpError() << "axis " << a << " is out of range for rank " << rank;
    int64_t n = a < 0 ? a + rank : a;
    if (seen.test(n))
      return op->emitOpError() << "axis " << a << " is given twice";
    seen.set(n);
  }
  return success();
}

LogicalResult UnsqueezeOp::verify() {
  auto axes = constantAxes(getAxes());
  auto rank = rankOf(getData());
  if (!axes || !rank)
    return success();
  // Axes index the result, which has one more dim per axis.
  return checkAxesList(*this, *axes, *rank + int64_t(axes->size()));
}

LogicalResult SqueezeOp::verify() {
  auto rank = rankOf(getData());
  if (isNone(getAxes()) || !rank)
    return success();
  auto axes = constantAxes(getAxes());
  if (!axes)
    return success();
  if (failed(checkAxesList(*this, *axes, *rank)))
    return failure();
  auto type = cast<RankedTensorType>(getData().getType());
  for (int64_t a : *axes) {
    int64_t dim = type.getDimSize(a < 0 ? a + *rank : a);
    if (!ShapedType::isDynamic(dim) && dim != 1)
      return emitOpError() << "cannot squeeze axis " << a << " of size " << dim;
  }
  return success();
}

LogicalResult FlattenOp::verify() {
  // Flatten's axis may also equal the rank (everything goes to the first dim).
  auto rank = rankOf(getInput());
  int64_t axis = int64_t(getAxis());
  if (rank && (axis < -*rank || axis > *rank))
    return emitOpError() << "axis " << axis << " is out of range for rank " << *rank;
  return success();
}

LogicalResult ScatterNDOp::verify() {
  StringRef r = getReduction();
  if (r != "none" && r != "add" && r != "mul" && r != "max" && r != "min")
    return emitOpError() << "reduction must be none, add, mul, max or min, got \"" << r << "\"";
  return success();
}

LogicalResult PadOp::verify() {
  StringRef m = getMode();
  if (m != "constant" && m != "reflect" && m != "edge" && m != "wrap")
    return emitOpError() << "mode must be constant, reflect, edge or wrap, got \"" << m << "\"";
  return success();
}

LogicalResult MatMulOp::verify() {
  auto a = dyn_cast<RankedTensorType>(getA().getType());
  auto b = dyn_cast<RankedTensorType>(getB().getType());
  if ((a && a.getRank() == 0) || (b && b.getRank() == 0))
    return emitOpError("operands must have rank 1 or more");
  if (!a || !b)
    return success();
  int64_t k1 = a.getShape().back();
  int64_t k2 = b.getRank() == 1 ? b.getShape()[0] : b.getShape()[b.getRank() - 2];
  if (!ShapedType::isDynamic(k1) && !ShapedType::isDynamic(k2) && k1 != k2)
    return emitOpError() << "contracting dimensions differ: " << a << " x " << b;
  if (a.getRank() > 2 && b.getRank() > 2 &&
      !broadcastable(a.getShape().drop_back(2), b.getShape().drop_back(2)))
    return emitOpError() << "batch dimensions are not broadcastable: " << a
                         << " x " << b;
  return success();
}

LogicalResult GemmOp::verify() {
  if (failed(checkRankIn(*this, getA(), "A", {2})) ||
      failed(checkRankIn(*this, getB(), "B", {2})))
    return failure();
  auto a = dyn_cast<RankedTensorType>(getA().getType());
  auto b = dyn_cast<RankedTensorType>(getB().getType());
  if (!a || !b)
    return success();
  int64_t ka = a.getDimSize(getTransA() ? 0 : 1), kb = b.getDimSize(getTransB() ? 1 : 0);
  if (!ShapedType::isDynamic(ka) && !ShapedType::isDynamic(kb) && ka != kb)
    return emitOpError() << "contracting dimensions differ: K=" << ka << " in A "
                         << a << " (transA=" << sv(getTransA()) << ") but K=" << kb
                         << " in B " << b << " (transB=" << sv(getTransB()) << ")";
  return success();
}

LogicalResult CumSumOp::verify() {
  if (auto axis = dyn_cast<RankedTensorType>(getAxis().getType()))
    if (axis.getRank() > 1 || (axis.getRank() == 1 && axis.getDimSize(0) != 1))
      return emitOpError() << "axis must be a scalar, got " << axis;
  return success();
}

LogicalResult TriluOp::verify() {
  if (auto r = rankOf(getInput()); r && *r < 2)
    return emitOpError() << "input must have rank 2 or more, got rank " << *r;
  return success();
}

LogicalResult ShapeOp::verify() {
  return checkRankIn(*this, getShape(), "result", {1});
}

LogicalResult ReshapeOp::verify() {
  if (getAllowzero() != 0 && getAllowzero() != 1)
    return emitOpError() << "allowzero must be 0 or 1, got " << sv(getAllowzero());
  return checkRankIn(*this, getShape(), "shape", {1});
}

LogicalResult TransposeOp::verify() {
  auto rank = rankOf(getData());
  if (!getPerm() || !rank)
    return success();
  ArrayRef<int64_t> perm = *getPerm();
  if (int64_t(perm.size()) != *rank)
    return emitOpError() << "perm has " << perm.size()
                         << " entries but the input has rank " << *rank;
  llvm::SmallBitVector seen(*rank);
  for (int64_t p : perm) {
    if (p < 0 || p >= *rank || seen.test(p))
      return emitOpError() << "perm is not a permutation of 0.." << *rank - 1;
    seen.set(p);
  }
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  std::optional<int64_t> rank;
  Type elt = getElementTypeOrSelf(getInputs().front().getType());
  for (Value v : getInputs()) {
    if (getElementTypeOrSelf(v.getType()) != elt)
      return emitOpError("inputs must share an element type");
    if (auto r = rankOf(v)) {
      if (rank && *rank != *r)
        return emitOpError() << "inputs have different ranks (" << *rank
                             << " and " << *r << ")";
      rank = r;
    }
  }
  if (getElementTypeOrSelf(getConcatResult().getType()) != elt)
    return emitOpError("result element type must match the inputs");
  if (failed(checkAxis(*this, sv(getAxis()), rank)))
    return failure();
  if (!rank)
    return success();
  // Every dimension but the concatenated one must agree.
  int64_t axis = sv(getAxis()) < 0 ? sv(getAxis()) + *rank : sv(getAxis());
  SmallVector<int64_t> dims(*rank, ShapedType::kDynamic);
  for (Value v : getInputs()) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t)
      continue;
    for (int64_t d = 0; d < *rank; ++d) {
      int64_t size = t.getDimSize(d);
      if (d == axis || ShapedType::isDynamic(size))
        continue;
      if (!ShapedType::isDynamic(dims[d]) && dims[d] != size)
        return emitOpError() << "inputs differ in dimension " << d << " (" << dims[d]
                             << " and " << size << "), which is not the axis "
                             << sv(getAxis());
      dims[d] = size;
    }
  }
  return success();
}

LogicalResult SplitOp::verify() {
  if (getOutputs().empty())
    return emitOpError("needs at least one output");
  if (getNumOutputs() && !isNone(getSplit()))
    return emitOpError("split and num_outputs must not both be given");
  if (getNumOutputs() && sv(*getNumOutputs()) != int64_t(getOutputs().size()))
    return emitOpError() << "num_outputs is " << sv(*getNumOutputs())
                         << " but the op has " << getOutputs().size() << " results";
  if (failed(checkRankIn(*this, getSplit(), "split", {1})))
    return failure();
  if (auto split = dyn_cast<RankedTensorType>(getSplit().getType());
      split && !split.isDynamicDim(0) &&
      split.getDimSize(0) != int64_t(getOutputs().size()))
    return emitOpError() << "split has " << split.getDimSize(0)
                         << " entries but the op has " << getOutputs().size()
                         << " results";
  return checkAxis(*this, sv(getAxis()), rankOf(getInput()));
}

LogicalResult RangeOp::verify() {
  for (Value v : {getStart(), getLimit(), getDelta()})
    if (auto r = rankOf(v); r && *r != 0)
      return emitOpError() << "start, limit and delta must be scalars, got rank " << *r;
  Type elt = getElementTypeOrSelf(getStart().getType());
  for (Value v : {getLimit(), getDelta(), getOutput()})
    if (getElementTypeOrSelf(v.getType()) != elt)
      return emitOpError("start, limit, delta and the output must share an element type");
  return success();
}

LogicalResult ConstantOfShapeOp::verify() {
  if (failed(checkRankIn(*this, getInput(), "input", {1})))
    return failure();
  if (auto value = getValue()) {
    auto valueType = cast<ShapedType>(value->getType());
    if (valueType.getNumElements() != 1)
      return emitOpError("value must hold exactly one element");
    if (valueType.getElementType() != getElementTypeOrSelf(getOutput().getType()))
      return emitOpError("result element type must match value");
  } else if (!getElementTypeOrSelf(getOutput().getType()).isF32()) {
    return emitOpError("without value the result element type must be f32 "
                       "(the default value is float 0)");
  }
  return success();
}

LogicalResult AttentionOp::verify() {
  auto qRank = rankOf(getQ());
  if (failed(checkRankIn(*this, getQ(), "Q", {3, 4})) ||
      failed(checkRankIn(*this, getK(), "K", {3, 4})) ||
      failed(checkRankIn(*this, getV(), "V", {3, 4})))
    return failure();
  if (qRank == 3 && (!getQNumHeads() || !getKvNumHeads()))
    return emitOpError("3-D Q needs q_num_heads and kv_num_heads");
  if (getQNumHeads() && getKvNumHeads() &&
      failed(checkHeads(*this, *getQNumHeads(), *getKvNumHeads(), "q_num_heads",
                        "kv_num_heads")))
    return failure();
  if (getIsCausal() != 0 && getIsCausal() != 1)
    return emitOpError() << "is_causal must be 0 or 1, got " << sv(getIsCausal());
  if (sv(getQkMatmulOutputMode()) < 0 || sv(getQkMatmulOutputMode()) > 3)
    return emitOpError() << "qk_matmul_output_mode must be in 0..3, got "
                         << sv(getQkMatmulOutputMode());
  if (getSoftcap().isNegative())
    return emitOpError("softcap must be non-negative");
  if (isNone(getPastKey()) != isNone(getPastValue()))
    return emitOpError("past_key and past_value must be given together");
  return success();
}

LogicalResult RotaryEmbeddingOp::verify() {
  if (failed(checkRankIn(*this, getX(), "X", {3, 4})))
    return failure();
  if (rankOf(getX()) == 3 && !getNumHeads())
    return emitOpError("3-D X needs num_heads");
  if (getNumHeads() && sv(*getNumHeads()) <= 0)
    return emitOpError() << "num_heads must be positive, got " << sv(*getNumHeads());
  if (getInterleaved() != 0 && getInterleaved() != 1)
    return emitOpError() << "interleaved must be 0 or 1, got " << sv(getInterleaved());
  int64_t dim = sv(getRotaryEmbeddingDim());
  if (dim < 0 || dim % 2 != 0)
    return emitOpError() << "rotary_embedding_dim must be even and non-negative, got "
                         << dim;
  // The caches are indexed by position_ids (2-D) or already gathered (3-D).
  bool hasIds = !isNone(getPositionIds());
  int64_t cacheRank = hasIds ? 2 : 3;
  for (auto [v, name] : {std::pair{getCosCache(), "cos_cache"},
                         std::pair{getSinCache(), "sin_cache"}})
    if (auto r = rankOf(v); r && *r != cacheRank)
      return emitOpError() << name << " must have rank " << cacheRank
                           << (hasIds ? " when position_ids is given"
                                      : " when position_ids is omitted")
                           << ", got rank " << *r;
  return success();
}

LogicalResult MsGroupQueryAttentionOp::verify() {
  if (failed(checkHeads(*this, getNumHeads(), getKvNumHeads(), "num_heads",
                        "kv_num_heads")) ||
      failed(checkRankIn(*this, getQuery(), "query", {3})))
    return failure();
  if (isNone(getKey()) != isNone(getValue()))
    return emitOpError("key and value must be given together (or both omitted for packed QKV)");
  if (isNone(getSeqlensK()) || isNone(getTotalSequenceLength()))
    return emitOpError("seqlens_k and total_sequence_length are required inputs");
  if (getDoRotary() && (isNone(getCosCache()) || isNone(getSinCache())))
    return emitOpError("do_rotary=1 needs cos_cache and sin_cache");
  if (int64_t w = sv(getLocalWindowSize()); w < -1 || w == 0)
    return emitOpError() << "local_window_size must be -1 (none) or positive, got " << w;
  if (getSoftcap().isNegative())
    return emitOpError("softcap must be non-negative");
  return success();
}

LogicalResult MsMultiHeadAttentionOp::verify() {
  if (sv(getNumHeads()) <= 0)
    return emitOpError() << "num_heads must be positive, got " << sv(getNumHeads());
  if (getUnidirectional() != 0 && getUnidirectional() != 1)
    return emitOpError() << "unidirectional must be 0 or 1, got " << sv(getUnidirectional());
  return checkRankIn(*this, getQuery(), "query", {3, 5});
}

LogicalResult MsRotaryEmbeddingOp::verify() {
  if (failed(checkRankIn(*this, getInput(), "input", {3, 4})) ||
      failed(checkRankIn(*this, getCosCache(), "cos_cache", {2})) ||
      failed(checkRankIn(*this, getSinCache(), "sin_cache", {2})))
    return failure();
  if (getInterleaved() != 0 && getInterleaved() != 1)
    return emitOpError() << "interleaved must be 0 or 1, got " << sv(getInterleaved());
  if (sv(getNumHeads()) < 0)
    return emitOpError() << "num_heads must be non-negative, got " << sv(getNumHeads());
  int64_t dim = sv(getRotaryEmbeddingDim());
  if (dim < 0 || dim % 2 != 0)
    return emitOpError() << "rotary_embedding_dim must be even and non-negative, got "
                         << dim;
  return success();
}

template <typename SkipNormOp>
static LogicalResult verifySkipNorm(SkipNormOp op) {
  if (failed(checkRankIn(op, op.getInput(), "input", {2, 3})) ||
      failed(checkBroadcastable(op, op.getInput().getType(), op.getSkip().getType())))
    return failure();
  if (op.getEpsilon().isNegative())
    return op.emitOpError("epsilon must be non-negative");
  return success();
}

LogicalResult MsSkipSimplifiedLayerNormalizationOp::verify() {
  return verifySkipNorm(*this);
}
LogicalResult MsSkipLayerNormalizationOp::verify() { return verifySkipNorm(*this); }

LogicalResult MsMatMulNBitsOp::verify() {
  int64_t bits = getBits(), blockSize = getBlockSize(), k = getK(), n = getN();
  if (bits < 2 || bits > 8)
    return emitOpError() << "bits must be in 2..8, got " << bits;
  if (blockSize < 16 || !llvm::isPowerOf2_64(blockSize))
    return emitOpError() << "block_size must be a power of two >= 16, got " << blockSize;
  if (k <= 0 || n <= 0)
    return emitOpError() << "K and N must be positive, got K=" << k << " N=" << n;
  if (auto b = dyn_cast<RankedTensorType>(getB().getType()); b && b.hasStaticShape()) {
    int64_t blocks = (k + blockSize - 1) / blockSize;
    int64_t blobBytes = blockSize * bits / 8;
    bool packed3d = b.getRank() == 3 && b.getDimSize(0) == n &&
                    b.getDimSize(1) == blocks && b.getDimSize(2) == blobBytes;
    bool flat = b.getNumElements() == n * blocks * blobBytes;
    if (!packed3d && !flat)
      return emitOpError() << "B has shape " << b << " but N=" << n << ", K=" << k
                           << ", block_size=" << blockSize << ", bits=" << bits
                           << " need [" << n << ", " << blocks << ", " << blobBytes
                           << "] (or that many bytes in another shape)";
  }
  if (auto a = dyn_cast<RankedTensorType>(getA().getType())) {
    if (a.getRank() == 0)
      return emitOpError("A must have rank 1 or more");
    if (!ShapedType::isDynamic(a.getShape().back()) && a.getShape().back() != k)
      return emitOpError() << "A's last dimension is " << a.getShape().back()
                           << " but K=" << k;
  }
  return success();
}

} // namespace attnc::onnx_dialect

#define GET_OP_CLASSES
#include "dialects/Onnx/OnnxOps.cpp.inc"
