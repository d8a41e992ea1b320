// attn-raise-linears: projections by a constant weight become attn.linear.
//
//   MatMul(x, W[K, N])                 -> linear in_out
//   MatMul(x, Transpose(E[N, K]))      -> linear out_in on E (tied lm_head:
//                                         the exporter transposes the
//                                         embedding table at run time)
//   Add(linear, b[N]) (either order)   -> the linear's bias
//   Gemm(A, B, C) with constant B, C   -> linear (transB: out_in)
//   com.microsoft MatMulNBits(A, B, scales[, zero_points][, bias]) with
//   constant weights, 4 bits, block_size 32 / 64 / 128
//                                      -> quantized_linear over the weights
//                                         in runtime/QuantizedWeights.h's
//                                         layout (weight_reshape,
//                                         weight_unpack_nibbles: transforms
//                                         the packer evaluates)
//   Add(quantized_linear, b[N])        -> its bias
//
// A MatMul of two activations (q k^T, probs v) or by a weight that is not a
// 2-D constant stays a MatMul: it is not a layer with a weight to pack.
#include "passes/Passes.h"
#include "passes/RaiseUtils.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

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

// MatMulNBits raises when its weights are constants (else it stays, and the
// raised-form check reports it).
bool hasConstantWeights(od::MsMatMulNBitsOp op) {
  auto constant = [](Value v) {
    return isa<NoneType>(v.getType()) || v.getDefiningOp<od::ConstantOp>();
  };
  return op.getB().getDefiningOp<od::ConstantOp>() &&
         op.getScales().getDefiningOp<od::ConstantOp>() && constant(op.getZeroPoints()) &&
         constant(op.getBias());
}

int64_t elementsOf(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() ? t.getNumElements() : -1;
}

// Why a MatMulNBits with constant weights cannot become a quantized_linear
// (the node is refused: the model has no other form of this weight), or
// nullopt. onnxruntime's layout: B uint8 [N, ceil(K / block), block * bits / 8],
// the elements of a block low nibble first; scales [N * blocks]; zero points
// uint8 [N * ceil(blocks / 2)] packed the same way (absent: 2^(bits-1)).
std::optional<std::string> unsupportedMatMulNBits(od::MsMatMulNBitsOp op) {
  std::string why;
  llvm::raw_string_ostream os(why);
  int64_t k = op.getK(), n = op.getN(), bits = op.getBits(), block = op.getBlockSize();
  if (!isa<NoneType>(op.getGIdx().getType()))
    os << "g_idx (act-order) is not supported";
  else if (bits != 4)
    os << "bits=" << bits << " is not supported (only 4-bit weights)";
  else if (block != 32 && block != 64 && block != 128)
    os << "block_size=" << block << " is not supported (32, 64 or 128)";
  else if (k % block != 0)
    os << "K=" << k << " is not a multiple of block_size=" << block;
  if (!why.empty())
    return why;
  int64_t blocks = k / block;
  auto x = dyn_cast<RankedTensorType>(op.getA().getType());
  if (!x || x.getRank() < 2 || x.isDynamicDim(x.getRank() - 1) || x.getShape().back() != k)
    os << "A must have rank >= 2 and last dimension K=" << k << ", got " << op.getA().getType();
  else if (elementsOf(op.getB()) != n * blocks * block / 2)
    os << "B " << op.getB().getType() << " does not hold N * K / 2 = " << n * blocks * block / 2
       << " bytes for K=" << k << ", N=" << n;
  else if (!getElementTypeOrSelf(op.getScales()).isF32())
    os << "scales must be f32, got " << op.getScales().getType();
  else if (elementsOf(op.getScales()) != n * blocks)
    os << "scales " << op.getScales().getType() << " must hold N * K / block_size = " << n * blocks
       << " values";
  else if (!isa<NoneType>(op.getZeroPoints().getType()) &&
           !getElementTypeOrSelf(op.getZeroPoints()).isUnsignedInteger(8))
    os << "zero_points must be packed uint8, got " << op.getZeroPoints().getType();
  else if (!isa<NoneType>(op.getZeroPoints().getType()) &&
           elementsOf(op.getZeroPoints()) != n * ((blocks + 1) / 2))
    os << "zero_points " << op.getZeroPoints().getType() << " must hold N * ceil(blocks / 2) = "
       << n * ((blocks + 1) / 2) << " bytes";
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
    int64_t k = op.getK(), n = op.getN(), group = op.getBlockSize();
    Location loc = op.getLoc();
    auto u8 = rewriter.getIntegerType(8, /*isSigned=*/false);
    // Same bytes: with K a multiple of the block, row n's blocks are its K / 2 bytes.
    auto reshaped = [&](Value v, RankedTensorType type) -> Value {
      if (v.getType() == type)
        return v;
      return attn::WeightReshapeOp::create(rewriter, loc, type, v);
    };
    Value values = reshaped(op.getB(), RankedTensorType::get({n, k / 2}, u8));
    Value scales =
        reshaped(op.getScales(), RankedTensorType::get({n, k / group}, rewriter.getF32Type()));
    Value zeros;
    if (!isa<NoneType>(op.getZeroPoints().getType()))
      zeros = attn::WeightUnpackNibblesOp::create(
          rewriter, loc, RankedTensorType::get({n, k / group}, u8), op.getZeroPoints());
    Value bias = isa<NoneType>(op.getBias().getType()) ? Value() : op.getBias();
    rewriter.replaceOpWithNewOp<attn::QuantizedLinearOp>(op, op.getType(), op.getA(), values,
                                                         scales, zeros, bias, 4, group);
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
    if (refused)
      return signalPassFailure();
    if (failed(raise::applyRaisingPatterns(getOperation(), populateRaiseLinearsPatterns)))
      return signalPassFailure();
  }
};

} // namespace

void populateRaiseLinearsPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseMatMul, FoldBiasAddIntoLinear, RaiseGemm, RaiseMatMulNBits,
               FoldBiasAddIntoQuantizedLinear>(patterns.getContext());
}

} // namespace attnc
