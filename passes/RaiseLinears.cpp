// attn-raise-linears: projections by a constant weight become attn.linear.
//
//   MatMul(x, W[K, N])                 -> linear in_out
//   MatMul(x, Transpose(E[N, K]))      -> linear out_in on E (tied lm_head:
//                                         the exporter transposes the
//                                         embedding table at run time)
//   Add(linear, b[N]) (either order)   -> the linear's bias
//   Gemm(A, B, C) with constant B, C   -> linear (transB: out_in)
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

struct RaiseLinearsPass : impl::RaiseLinearsBase<RaiseLinearsPass> {
  void runOnOperation() override {
    if (failed(raise::applyRaisingPatterns(getOperation(), populateRaiseLinearsPatterns)))
      return signalPassFailure();
  }
};

} // namespace

void populateRaiseLinearsPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseMatMul, FoldBiasAddIntoLinear, RaiseGemm>(patterns.getContext());
}

} // namespace attnc
