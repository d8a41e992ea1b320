// attn-raise-linears: projections by a constant weight become attn.linear.
//
//   MatMul(x, W[K, N])                 -> linear in_out
//   MatMul(x, Transpose(E[N, K]))      -> linear out_in on E (tied lm_head:
//                                         the exporter transposes the
//                                         embedding table at run time)
//   Add(linear, b[N]) (either order)   -> the linear's bias
//   Gemm(A, B, C) with constant B, C   -> linear (transB: out_in)
//   com.microsoft MatMulNBits(A, B, scales[, zero_points][, g_idx][, bias])
//   with constant weights, 4 or 8 bits, block_size 32 / 64 / 128 (8 bits:
//   uint8 codes, the asymmetric w8gGa scheme, zero point 128 when absent);
//   a g_idx only in block order (g_idx[k] = k / block_size: what GPTQ
//   exporters write without act-order)
//                                      -> quantized_linear over the weights
//                                         in runtime/QuantizedWeights.h's
//                                         layout (weight_reshape,
//                                         weight_unpack_nibbles: transforms
//                                         the packer evaluates)
//   MatMul(A, DequantizeLinear(codes[K, N], scale[, zero point])) with
//   constant inputs: int4 / uint4 / int8 / uint8 in blocks of 32 / 64 / 128
//   along K (opset 21 block_size, axis 0), or 8-bit codes with one scale per
//   column (axis 1) or per tensor; int8 with zero points not all 0 as
//   uint8 (weight_to_unsigned: codes and zero points + 128)
//                                      -> quantized_linear over the codes
//                                         (weight_transpose to [N, K],
//                                         weight_widen_nibbles and
//                                         weight_pack_nibbles to the
//                                         kernels' nibbles, weight_cast of
//                                         f16 / bf16 scales,
//                                         weight_broadcast of per-tensor
//                                         scales to [N] and of uint8's
//                                         column / tensor scales and zero
//                                         points to the w8gGa groups)
//   Add(quantized_linear, b[N])        -> its bias
//
// A MatMul of two activations (q k^T, probs v) or by a weight that is not a
// 2-D constant stays a MatMul: it is not a layer with a weight to pack.
#include "passes/Passes.h"
#include "passes/RaiseUtils.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

#define GEN_PASS_DEF_RAISELINEARS
#include "passes/Passes.h.inc"

namespace {

bool isFloatOfRankAtLeast(Value v, int64_t rank) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getRank() >= rank && isa<FloatType>(t.getElementType());
}

// A bias for out features: a constant [out] of the linear's element type.
bool isBiasFor(Value bias, Value output, int64_t outFeatures) {
  auto c = raise::floatConstantOfRank(bias, 1);
  return c && cast<RankedTensorType>(bias.getType()).getDimSize(0) == outFeatures &&
         getElementTypeOrSelf(bias) == getElementTypeOrSelf(output);
}

struct RaiseMatMul : OpRewritePattern<od::MatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MatMulOp op, PatternRewriter &rewriter) const override {
    Value x = op.getA(), b = op.getB();
    // A 1-D x drops its dim in MatMul, which a linear does not.
    if (!isFloatOfRankAtLeast(x, 2))
      return rewriter.notifyMatchFailure(op, "x is not a float tensor of rank >= 2");
    Value weight;
    attn::WeightLayout layout;
    if (raise::floatConstantOfRank(b, 2)) {
      weight = b;
      layout = attn::WeightLayout::in_out;
    } else if (auto transpose = b.getDefiningOp<od::TransposeOp>();
               transpose && raise::floatConstantOfRank(transpose.getData(), 2) &&
               (!transpose.getPerm() ||
                llvm::equal(*transpose.getPerm(), ArrayRef<int64_t>{1, 0}))) {
      weight = transpose.getData();
      layout = attn::WeightLayout::out_in;
    } else {
      return rewriter.notifyMatchFailure(op, "weight is not a 2-D constant (or its transpose)");
    }
    auto result = dyn_cast<RankedTensorType>(op.getType());
    if (!result || result.getRank() != cast<RankedTensorType>(x.getType()).getRank())
      return rewriter.notifyMatchFailure(op, "result rank differs from x's");
    rewriter.replaceOpWithNewOp<attn::LinearOp>(op, op.getType(), x, weight, Value(),
                                                attn::WeightLayoutAttr::get(getContext(), layout));
    return success();
  }
};

// linear(x) + b[out] -> linear(x) with bias b.
struct FoldBiasAddIntoLinear : OpRewritePattern<od::AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::AddOp add, PatternRewriter &rewriter) const override {
    for (auto [linearSide, biasSide] :
         {std::pair(add.getA(), add.getB()), {add.getB(), add.getA()}}) {
      auto linear = linearSide.getDefiningOp<attn::LinearOp>();
      if (!linear)
        continue;
      if (linear.getBias())
        return rewriter.notifyMatchFailure(add, "linear already has a bias");
      if (!linear->hasOneUse())
        return rewriter.notifyMatchFailure(add, "linear result has other users");
      int64_t out = linear.getOutFeatures();
      if (!isBiasFor(biasSide, linear.getOutput(), out))
        return rewriter.notifyMatchFailure(add, "addend is not a constant [out_features]");
      if (add.getType() != linear.getType())
        return rewriter.notifyMatchFailure(add, "bias add changes the result type");
      rewriter.replaceOpWithNewOp<attn::LinearOp>(add, add.getType(), linear.getX(),
                                                  linear.getWeight(), biasSide,
                                                  linear.getWeightLayoutAttr());
      rewriter.eraseOp(linear);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no attn.linear operand");
  }
};

struct RaiseGemm : OpRewritePattern<od::GemmOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::GemmOp op, PatternRewriter &rewriter) const override {
    Value x = op.getA(), weight = op.getB(), c = op.getC();
    if (int64_t(op.getTransA()) != 0)
      return rewriter.notifyMatchFailure(op, "transA: x is stored transposed");
    if (!op.getAlpha().isExactlyValue(1.0))
      return rewriter.notifyMatchFailure(op, "alpha is not 1");
    if (!isFloatOfRankAtLeast(x, 2))
      return rewriter.notifyMatchFailure(op, "x is not a 2-D float tensor");
    if (!raise::floatConstantOfRank(weight, 2))
      return rewriter.notifyMatchFailure(op, "B is not a 2-D constant");
    bool transB = int64_t(op.getTransB()) != 0;
    auto layout = transB ? attn::WeightLayout::out_in : attn::WeightLayout::in_out;
    int64_t out = cast<RankedTensorType>(weight.getType()).getDimSize(transB ? 0 : 1);
    Value bias;
    if (!isa<NoneType>(c.getType())) {
      if (!op.getBeta().isExactlyValue(1.0))
        return rewriter.notifyMatchFailure(op, "beta is not 1");
      if (!isBiasFor(c, op.getY(), out))
        return rewriter.notifyMatchFailure(op, "C is not a constant [out_features]");
      bias = c;
    }
    rewriter.replaceOpWithNewOp<attn::LinearOp>(op, op.getType(), x, weight, bias,
                                                attn::WeightLayoutAttr::get(getContext(), layout));
    return success();
  }
};

// Scales of pre-quantized weights: the kernels' f32, or f16 / bf16 that a
// weight transform converts to it exactly.
bool isScaleType(Type t) { return t.isF32() || t.isF16() || t.isBF16(); }
Value scalesInF32(PatternRewriter &rewriter, Location loc, Value scales) {
  auto type = cast<RankedTensorType>(scales.getType());
  if (type.getElementType().isF32())
    return scales;
  return attn::WeightCastOp::create(rewriter, loc, type.clone(rewriter.getF32Type()), scales);
}

// The same zero point for every group of an [n, groups] weight.
Value constantZeros(PatternRewriter &rewriter, Location loc, int64_t n, int64_t groups,
                    int64_t value) {
  auto type = RankedTensorType::get({n, groups}, rewriter.getIntegerType(8, /*isSigned=*/false));
  return od::ConstantOp::create(
      rewriter, loc, type,
      DenseElementsAttr::get(type, rewriter.getIntegerAttr(type.getElementType(), value)));
}

// MatMulNBits raises when its weights are constants (else it stays, and the
// raised-form check reports it).
bool hasConstantWeights(od::MsMatMulNBitsOp op) {
  auto constant = [](Value v) {
    return isa<NoneType>(v.getType()) || v.getDefiningOp<od::ConstantOp>();
  };
  return op.getB().getDefiningOp<od::ConstantOp>() &&
         op.getScales().getDefiningOp<od::ConstantOp>() && constant(op.getZeroPoints()) &&
         constant(op.getGIdx()) && constant(op.getBias());
}

// Why a MatMulNBits' g_idx (each input's group) is not the block order
// g_idx[k] = k / block, which every group-wise kernel assumes; nullopt when
// it is. Act-order (GPTQ's desc_act) permutes the inputs' groups: the
// kernels would need x gathered into that order.
std::optional<std::string> outOfBlockOrder(od::MsMatMulNBitsOp op) {
  std::string why;
  llvm::raw_string_ostream os(why);
  int64_t k = op.getK(), block = op.getBlockSize();
  std::optional<SmallVector<int64_t>> groups = raise::intConstants(op.getGIdx());
  if (!groups) {
    os << "g_idx " << op.getGIdx().getType()
       << " must be an integer constant whose values are in the model";
    return why;
  }
  if (int64_t(groups->size()) != k) {
    os << "g_idx " << op.getGIdx().getType() << " must hold K=" << k << " values";
    return why;
  }
  for (int64_t i = 0; i < k; ++i)
    if ((*groups)[i] != i / block) {
      os << "g_idx[" << i << "] = " << (*groups)[i] << " where the block order has " << i / block
         << ": act-order (inputs permuted across groups) is not supported";
      return why;
    }
  return std::nullopt;
}

int64_t elementsOf(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() ? t.getNumElements() : -1;
}

// Why a MatMulNBits with constant weights cannot become a quantized_linear
// (the node is refused: the model has no other form of this weight), or
// nullopt. onnxruntime's layout: B uint8 [N, ceil(K / block), block * bits / 8],
// 4-bit elements of a block low nibble first; scales [N * blocks]; zero
// points uint8 [N * ceil(blocks * bits / 8)] packed the same way (absent:
// 2^(bits-1)).
std::optional<std::string> unsupportedMatMulNBits(od::MsMatMulNBitsOp op) {
  std::string why;
  llvm::raw_string_ostream os(why);
  int64_t k = op.getK(), n = op.getN(), bits = op.getBits(), block = op.getBlockSize();
  if (bits != 4 && bits != 8)
    os << "bits=" << bits << " is not supported (4 or 8)";
  else if (block != 32 && block != 64 && block != 128)
    os << "block_size=" << block << " is not supported (32, 64 or 128)";
  else if (k % block != 0)
    os << "K=" << k << " is not a multiple of block_size=" << block;
  if (!why.empty())
    return why;
  if (!isa<NoneType>(op.getGIdx().getType()))
    if (std::optional<std::string> order = outOfBlockOrder(op))
      return order;
  int64_t blocks = k / block, zeroBytes = (blocks * bits + 7) / 8;
  auto x = dyn_cast<RankedTensorType>(op.getA().getType());
  if (!x || x.getRank() < 2 || x.isDynamicDim(x.getRank() - 1) || x.getShape().back() != k)
    os << "A must have rank >= 2 and last dimension K=" << k << ", got " << op.getA().getType();
  else if (elementsOf(op.getB()) != n * k * bits / 8)
    os << "B " << op.getB().getType() << " does not hold N * K * bits / 8 = " << n * k * bits / 8
       << " bytes for K=" << k << ", N=" << n;
  else if (!isScaleType(getElementTypeOrSelf(op.getScales())))
    os << "scales must be f32, f16 or bf16, got " << op.getScales().getType();
  else if (elementsOf(op.getScales()) != n * blocks)
    os << "scales " << op.getScales().getType() << " must hold N * K / block_size = " << n * blocks
       << " values";
  else if (!isa<NoneType>(op.getZeroPoints().getType()) &&
           !getElementTypeOrSelf(op.getZeroPoints()).isUnsignedInteger(8))
    os << "zero_points must be packed uint8, got " << op.getZeroPoints().getType();
  else if (!isa<NoneType>(op.getZeroPoints().getType()) &&
           elementsOf(op.getZeroPoints()) != n * zeroBytes)
    os << "zero_points " << op.getZeroPoints().getType() << " must hold N * ceil(blocks * bits / 8) = "
       << n * zeroBytes << " bytes";
  else if (!isa<NoneType>(op.getBias().getType()) && !isBiasFor(op.getBias(), op.getY(), n))
    os << "bias must be a constant [N=" << n << "] of A's element type, got "
       << op.getBias().getType();
  else if (auto y = dyn_cast<RankedTensorType>(op.getY().getType());
           !y || y.getRank() != x.getRank() || y.getElementType() != x.getElementType())
    os << "the result " << op.getY().getType() << " does not match A " << x;
  if (!why.empty())
    return why;
  return std::nullopt;
}

struct RaiseMatMulNBits : OpRewritePattern<od::MsMatMulNBitsOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MsMatMulNBitsOp op, PatternRewriter &rewriter) const override {
    if (!hasConstantWeights(op))
      return rewriter.notifyMatchFailure(op, "weights are not constants");
    if (unsupportedMatMulNBits(op))
      return rewriter.notifyMatchFailure(op, "unsupported MatMulNBits");
    int64_t k = op.getK(), n = op.getN(), group = op.getBlockSize(), bits = op.getBits();
    Location loc = op.getLoc();
    auto u8 = rewriter.getIntegerType(8, /*isSigned=*/false);
    // Same bytes: with K a multiple of the block, row n's blocks are its
    // K * bits / 8 bytes.
    auto reshaped = [&](Value v, RankedTensorType type) -> Value {
      if (v.getType() == type)
        return v;
      return attn::WeightReshapeOp::create(rewriter, loc, type, v);
    };
    Value values = reshaped(op.getB(), RankedTensorType::get({n, k * bits / 8}, u8));
    Value scales = reshaped(scalesInF32(rewriter, loc, op.getScales()),
                            RankedTensorType::get({n, k / group}, rewriter.getF32Type()));
    auto zerosType = RankedTensorType::get({n, k / group}, u8);
    Value zeros;
    if (!isa<NoneType>(op.getZeroPoints().getType()))
      zeros = bits == 4 ? Value(attn::WeightUnpackNibblesOp::create(rewriter, loc, zerosType,
                                                                    op.getZeroPoints()))
                        : reshaped(op.getZeroPoints(), zerosType);
    else if (bits == 8) // uint8 codes without zero points: 128
      zeros = constantZeros(rewriter, loc, n, k / group, 128);
    Value bias = isa<NoneType>(op.getBias().getType()) ? Value() : op.getBias();
    rewriter.replaceOpWithNewOp<attn::QuantizedLinearOp>(op, op.getType(), op.getA(), values,
                                                         scales, zeros, bias, bits, group);
    return success();
  }
};

// A DequantizeLinear (opset 21) of constant [K, N] codes that a MatMul reads
// as its weight, as one of runtime/QuantizedWeights.h's schemes.
struct DequantizedWeight {
  int64_t bits = 0, group = 0; // group 0: one scale per output channel
  bool asymmetric = false;     // zero points in the kernels' zeros operand
  // How the DequantizeLinear spreads its scales (and zero points): blocks
  // along K ([K / block, N]), one per column ([N]) or one for the tensor.
  enum Spread { Blocks, PerColumn, PerTensor } spread = Blocks;
  bool toUnsigned = false; // int8 codes and zero points read as uint8 (+ 128)
};

// The largest group size of the kernels that divides K, or 0.
int64_t groupDividing(int64_t k) {
  for (int64_t g : {128, 64, 32})
    if (k % g == 0)
      return g;
  return 0;
}

bool isConstantOrNone(Value v) {
  return isa<NoneType>(v.getType()) || v.getDefiningOp<od::ConstantOp>();
}

// The DequantizeLinear a MatMul's weight comes from, when its inputs are
// constants (else the MatMul is no quantized layer of this model).
od::DequantizeLinearOp dequantizedWeightOf(od::MatMulOp op) {
  Value b = op.getB();
  // A float Cast of it (f16 / bf16 scales in an f32 model) is the same
  // weight: the kernels multiply by the scale in f32.
  if (auto cast = b.getDefiningOp<od::CastOp>();
      cast && isa<FloatType>(getElementTypeOrSelf(cast.getInput())) &&
      isa<FloatType>(getElementTypeOrSelf(cast.getOutput())))
    b = cast.getInput();
  auto dq = b.getDefiningOp<od::DequantizeLinearOp>();
  if (!dq || !dq.getX().getDefiningOp<od::ConstantOp>() ||
      !dq.getXScale().getDefiningOp<od::ConstantOp>() || !isConstantOrNone(dq.getXZeroPoint()))
    return {};
  return dq;
}

// Whether every zero point of a constant is 0 (false when its bytes are not
// available, as in a weight-stripped compile).
bool allZero(Value zeroPoint) {
  auto constant = zeroPoint.getDefiningOp<od::ConstantOp>();
  if (!constant)
    return false;
  ElementsAttr value = constant.getValue();
  if (auto dense = dyn_cast<DenseIntElementsAttr>(value))
    return llvm::all_of(dense.getValues<APInt>(), [](const APInt &v) { return v.isZero(); });
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return llvm::all_of(blob->getData(), [](char c) { return c == 0; });
  return false;
}

// The scheme of a MatMul(A, DequantizeLinear(codes, scale[, zero point])),
// or why it has none (the node is refused: nothing else computes it).
FailureOr<DequantizedWeight> dequantizedScheme(od::MatMulOp op, od::DequantizeLinearOp dq,
                                               std::string &why) {
  llvm::raw_string_ostream os(why);
  auto codes = dyn_cast<RankedTensorType>(dq.getX().getType());
  auto scale = dyn_cast<RankedTensorType>(dq.getXScale().getType());
  auto x = dyn_cast<RankedTensorType>(op.getA().getType());
  if (!codes || !codes.hasStaticShape() || codes.getRank() != 2 || !scale ||
      !scale.hasStaticShape()) {
    os << "the codes must be a constant [K, N], got " << dq.getX().getType();
    return failure();
  }
  int64_t k = codes.getDimSize(0), n = codes.getDimSize(1);
  auto element = dyn_cast<IntegerType>(codes.getElementType());
  int64_t bits = element ? element.getWidth() : 0;
  bool isSigned = element && !element.isUnsigned();
  // I64Attr getters are unsigned: axis -1 (the last, i.e. 1) must be read signed.
  int64_t block = dq.getBlockSize(), axis = static_cast<int64_t>(dq.getAxis());
  if (axis < 0)
    axis += 2;
  bool hasZeros = !isa<NoneType>(dq.getXZeroPoint().getType());
  Type scaleType = scale.getElementType();
  DequantizedWeight w{bits, block, false};
  // One scale for the whole tensor: rank 0, or [1] (the same when N = 1).
  bool perTensor = block == 0 && scale.getNumElements() == 1 && scale.getRank() <= 1;
  bool perColumn = block == 0 && !perTensor && axis == 1 && scale.getShape() == ArrayRef<int64_t>{n};
  w.spread = block > 0 ? DequantizedWeight::Blocks
             : perTensor ? DequantizedWeight::PerTensor
                         : DequantizedWeight::PerColumn;
  // 8-bit codes with zero points run as w8gGa: uint8 as they are, int8 with
  // zero points not all 0 (or unreadable, as in a weight-stripped compile)
  // shifted to uint8, codes and zero points alike.
  w.toUnsigned = bits == 8 && isSigned && hasZeros && !allZero(dq.getXZeroPoint());
  bool zeroPoints8 = bits == 8 && (!isSigned || w.toUnsigned);
  if (bits != 4 && bits != 8)
    os << "codes of type " << codes.getElementType()
       << " are not supported (int4, uint4 or int8)";
  else if (!isScaleType(scaleType))
    os << "the scale must be f32, f16 or bf16, got " << dq.getXScale().getType();
  else if (!x || x.getRank() < 2 || x.getShape().back() != k)
    os << "MatMul's A must have rank >= 2 and last dimension K=" << k << ", got "
       << op.getA().getType();
  else if (auto y = dyn_cast<RankedTensorType>(op.getType());
           !y || y.getRank() != x.getRank() || y.getElementType() != x.getElementType())
    os << "the MatMul result " << op.getType() << " does not match A " << op.getA().getType();
  else if (bits == 4 && block == 0)
    os << "4-bit codes need blocks along K (block_size 32, 64 or 128 on axis 0), got "
       << (scale.getRank() == 0 ? "one scale per tensor" : "one scale per axis " +
                                                               std::to_string(axis));
  else if (block != 0 && block != 32 && block != 64 && block != 128)
    os << "block_size=" << block << " is not supported (32, 64 or 128)";
  else if (block > 0 && axis != 0)
    os << "blocks must run along K (axis 0), got axis " << dq.getAxis();
  else if (block > 0 && k % block != 0)
    os << "K=" << k << " is not a multiple of block_size=" << block;
  else if (block > 0 && scale.getShape() != ArrayRef<int64_t>{k / block, n})
    os << "the scale " << dq.getXScale().getType() << " must be [K / block_size, N] = ["
       << k / block << ", " << n << "]";
  else if (block == 0 && !perTensor && !perColumn)
    os << "8-bit codes need one scale per output column (axis 1, scale [N=" << n
       << "]), one per tensor, or blocks along K, got axis " << axis << " and a scale "
       << dq.getXScale().getType();
  else if (block == 0 && zeroPoints8 && groupDividing(k) == 0)
    os << (isSigned ? "int8 codes with zero points" : "uint8 codes") << " and one scale per "
       << (perTensor ? "tensor" : "column")
       << " need K divisible by 32 (their zero points become the kernels' groups of 32, 64 "
          "or 128), got K="
       << k;
  if (!why.empty())
    return failure();
  // int4 without zero points is the symmetric 4-bit scheme (u = q + 8), int8
  // the symmetric 8-bit one; unsigned codes without them have zero point 0.
  w.asymmetric = bits == 4 ? hasZeros || !isSigned : zeroPoints8;
  // Zero points by column or tensor: w8gGa, the scale and zero point
  // repeated over the row's groups.
  if (zeroPoints8 && block == 0)
    w.group = groupDividing(k);
  return w;
}

struct RaiseDequantizedMatMul : OpRewritePattern<od::MatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MatMulOp op, PatternRewriter &rewriter) const override {
    od::DequantizeLinearOp dq = dequantizedWeightOf(op);
    if (!dq)
      return rewriter.notifyMatchFailure(op, "the weight is no DequantizeLinear of constants");
    std::string why;
    FailureOr<DequantizedWeight> scheme = dequantizedScheme(op, dq, why);
    if (failed(scheme))
      return rewriter.notifyMatchFailure(op, why);
    auto codes = cast<RankedTensorType>(dq.getX().getType());
    int64_t k = codes.getDimSize(0), n = codes.getDimSize(1), group = scheme->group;
    Location loc = dq.getLoc();
    auto u8 = rewriter.getIntegerType(8, /*isSigned=*/false);
    // [K, N] in the model, [N, K] rows for the kernels.
    auto transposed = [&](Value v) -> Value {
      auto t = cast<RankedTensorType>(v.getType());
      return attn::WeightTransposeOp::create(
          rewriter, loc,
          RankedTensorType::get({t.getDimSize(1), t.getDimSize(0)}, t.getElementType()), v);
    };
    auto widened = [&](Value v) -> Value {
      return attn::WeightWidenNibblesOp::create(
          rewriter, loc, RankedTensorType::get(cast<ShapedType>(v.getType()).getShape(), u8), v);
    };
    // A column's or the tensor's scale (zero point) as the kernels read it:
    // [N] per row (w8) or [N, K / group] (w8gGa).
    auto spread = [&](Value v) -> Value {
      auto t = cast<RankedTensorType>(v.getType());
      if (scheme->spread == DequantizedWeight::PerTensor && t.getRank() != 0)
        v = attn::WeightReshapeOp::create(rewriter, loc,
                                          RankedTensorType::get({}, t.getElementType()), v);
      SmallVector<int64_t> shape{n};
      if (group > 0)
        shape.push_back(k / group);
      return attn::WeightBroadcastOp::create(
          rewriter, loc, RankedTensorType::get(shape, t.getElementType()), v);
    };
    Value scales = scalesInF32(rewriter, loc, dq.getXScale());
    Value values, zeros;
    bool hasZeros = !isa<NoneType>(dq.getXZeroPoint().getType());
    auto unsignedCodes = [&](Value v) -> Value {
      if (!scheme->toUnsigned)
        return v;
      return attn::WeightToUnsignedOp::create(
          rewriter, loc, RankedTensorType::get(cast<ShapedType>(v.getType()).getShape(), u8), v);
    };
    if (scheme->bits == 8) {
      values = unsignedCodes(transposed(dq.getX()));
      if (scheme->asymmetric && hasZeros) // uint8, or int8 made so
        zeros = unsignedCodes(scheme->spread == DequantizedWeight::Blocks
                                  ? transposed(dq.getXZeroPoint())
                                  : spread(dq.getXZeroPoint()));
    } else {
      values = attn::WeightPackNibblesOp::create(
          rewriter, loc, RankedTensorType::get({n, k / 2}, u8), widened(transposed(dq.getX())));
      if (hasZeros)
        zeros = widened(transposed(dq.getXZeroPoint()));
    }
    if (scheme->spread == DequantizedWeight::Blocks)
      scales = transposed(scales);
    else if (scheme->spread == DequantizedWeight::PerTensor || group > 0)
      scales = spread(scales); // a per-column int8 scale is already [N]
    if (scheme->asymmetric && !zeros) // unsigned codes without zero points: 0
      zeros = constantZeros(rewriter, loc, n, k / group, 0);
    Operation *weight = op.getB().getDefiningOp(); // the DequantizeLinear or its Cast
    rewriter.replaceOpWithNewOp<attn::QuantizedLinearOp>(op, op.getType(), op.getA(), values,
                                                         scales, zeros, Value(), scheme->bits,
                                                         group);
    if (weight != dq && weight->use_empty())
      rewriter.eraseOp(weight);
    if (dq->use_empty())
      rewriter.eraseOp(dq);
    return success();
  }
};

// quantized_linear(x) + b[out] -> quantized_linear(x) with bias b.
struct FoldBiasAddIntoQuantizedLinear : OpRewritePattern<od::AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::AddOp add, PatternRewriter &rewriter) const override {
    for (auto [linearSide, biasSide] :
         {std::pair(add.getA(), add.getB()), {add.getB(), add.getA()}}) {
      auto linear = linearSide.getDefiningOp<attn::QuantizedLinearOp>();
      if (!linear || linear.getBias() || !linear->hasOneUse() ||
          !isBiasFor(biasSide, linear.getOutput(), linear.getOutFeatures()) ||
          add.getType() != linear.getType())
        continue;
      rewriter.replaceOpWithNewOp<attn::QuantizedLinearOp>(
          add, add.getType(), linear.getX(), linear.getValues(), linear.getScales(),
          linear.getZeros(), biasSide, linear.getBits(), linear.getGroupSize());
      rewriter.eraseOp(linear);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no attn.quantized_linear with a foldable bias");
  }
};

struct RaiseLinearsPass : impl::RaiseLinearsBase<RaiseLinearsPass> {
  void runOnOperation() override {
    // A pre-quantized weight that cannot be read is an error, not a node
    // left for later: nothing else computes MatMulNBits.
    bool refused = false;
    getOperation()->walk([&](od::MsMatMulNBitsOp op) {
      if (!hasConstantWeights(op))
        return;
      if (std::optional<std::string> why = unsupportedMatMulNBits(op)) {
        op.emitError() << "cannot import MatMulNBits: " << *why;
        refused = true;
      }
    });
    getOperation()->walk([&](od::MatMulOp op) {
      od::DequantizeLinearOp dq = dequantizedWeightOf(op);
      std::string why;
      if (dq && failed(dequantizedScheme(op, dq, why))) {
        dq.emitError() << "cannot import DequantizeLinear as MatMul's weight: " << why;
        refused = true;
      }
    });
    if (refused)
      return signalPassFailure();
    if (failed(raise::applyRaisingPatterns(getOperation(), populateRaiseLinearsPatterns)))
      return signalPassFailure();
  }
};

} // namespace

void populateRaiseLinearsPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseMatMul, FoldBiasAddIntoLinear, RaiseGemm, RaiseMatMulNBits,
               RaiseDequantizedMatMul, FoldBiasAddIntoQuantizedLinear>(patterns.getContext());
}

} // namespace attnc
