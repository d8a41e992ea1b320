// attn-raise-residuals: the residual stream's Adds become attn.residual_add.
//
//   Add(stream, update) -> residual_add(stream, update)
//
// when both are non-constant activations of one [batch, seq, hidden] type and
// `update` is a sublayer's output: an attn.linear (o_proj, down_proj, fc2,
// possibly behind the Reshape of 2-D Gemm projections), the sum of two of
// them (parallel blocks: Falcon, GPT-NeoX), or an attn norm on the plain
// stream (Gemma-2/3 post-sublayer norms). Other Adds (GPT-2's token +
// position embeddings, anything unraised) stay.
//
//   Add(stream, Mul(update, c)) -> residual_add(stream, update) {scale = c}
//
// with c a scalar constant and update a sublayer output as above (Granite's
// residual_multiplier); the Mul must have no other user.
#include "passes/Passes.h"
#include "passes/RaiseUtils.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

#define GEN_PASS_DEF_RAISERESIDUALS
#include "passes/Passes.h.inc"

namespace {

// What one side of a residual Add is.
enum class Side { Projection, ParallelSum, Norm, Other };

Side classify(Value v);

// A sublayer output times a scalar constant (Granite): the product's
// operands, or nothing.
std::optional<std::pair<Value, double>> scaledUpdate(Value v) {
  auto mul = v.getDefiningOp<od::MulOp>();
  if (!mul || !mul->hasOneUse())
    return std::nullopt;
  for (auto [x, factor] : {std::pair(mul.getA(), mul.getB()), std::pair(mul.getB(), mul.getA())}) {
    std::optional<double> c = raise::scalarConstant(factor);
    if (c && x.getType() == v.getType() && classify(x) != Side::Other)
      return std::pair(x, *c);
  }
  return std::nullopt;
}

Side classify(Value v) {
  Operation *def = v.getDefiningOp();
  // 2-D Gemm projections (GPT-2) are reshaped back to [batch, seq, hidden].
  if (auto reshape = dyn_cast_or_null<od::ReshapeOp>(def))
    def = reshape.getData().getDefiningOp();
  if (isa_and_nonnull<attn::LinearOp, attn::QuantizedLinearOp>(def))
    return Side::Projection;
  if (isa_and_nonnull<attn::RmsNormOp, attn::LayerNormOp>(def))
    return Side::Norm;
  // Parallel blocks (Falcon, GPT-NeoX) sum the attention and MLP outputs
  // before adding the residual.
  if (auto add = dyn_cast_or_null<od::AddOp>(def))
    if (classify(add.getA()) == Side::Projection && classify(add.getB()) == Side::Projection)
      return Side::ParallelSum;
  return Side::Other;
}

bool isProjection(Side s) { return s == Side::Projection || s == Side::ParallelSum; }

struct RaiseResidualAdd : OpRewritePattern<od::AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::AddOp add, PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(add.getType());
    if (!type || type.getRank() != 3 || !isa<FloatType>(type.getElementType()) ||
        ShapedType::isDynamic(type.getDimSize(2)))
      return rewriter.notifyMatchFailure(add, "not a [batch, seq, hidden] float activation");
    Value a = add.getA(), b = add.getB();
    if (a.getType() != type || b.getType() != type)
      return rewriter.notifyMatchFailure(add, "operands broadcast or differ in type");
    if (a.getDefiningOp<od::ConstantOp>() || b.getDefiningOp<od::ConstantOp>())
      return rewriter.notifyMatchFailure(add, "one side is a constant (a bias, not a residual)");
    Side sa = classify(a), sb = classify(b);
    // Granite: stream + c * update.
    std::optional<std::pair<Value, double>> scaledA = scaledUpdate(a), scaledB = scaledUpdate(b);
    if (scaledA && scaledB)
      return rewriter.notifyMatchFailure(add, "both sides are scaled sublayer outputs");
    if (scaledA || scaledB) {
      Value stream = scaledB ? a : b;
      auto [update, scale] = scaledB ? *scaledB : *scaledA;
      if (isProjection(classify(stream)))
        return rewriter.notifyMatchFailure(add, "the stream side is itself a sublayer output");
      Operation *mul = (scaledB ? b : a).getDefiningOp();
      rewriter.replaceOpWithNewOp<attn::ResidualAddOp>(
          add, type, stream, update, rewriter.getF32FloatAttr(static_cast<float>(scale)));
      rewriter.eraseOp(mul);
      return success();
    }
    // The update is the projection (or the parallel sum of two); a norm is
    // the update only when the other side is the plain stream (Gemma's
    // post-sublayer norms).
    if (isProjection(sa) && isProjection(sb))
      return rewriter.notifyMatchFailure(add, "both sides are sublayer outputs (a parallel sum)");
    Value stream, update;
    if (isProjection(sb) || (sb == Side::Norm && sa == Side::Other)) {
      stream = a;
      update = b;
    } else if (isProjection(sa) || (sa == Side::Norm && sb == Side::Other)) {
      stream = b;
      update = a;
    } else {
      return rewriter.notifyMatchFailure(add, "no side is a sublayer output");
    }
    rewriter.replaceOpWithNewOp<attn::ResidualAddOp>(add, type, stream, update,
                                                     /*scale=*/nullptr);
    return success();
  }
};

struct RaiseResidualsPass : impl::RaiseResidualsBase<RaiseResidualsPass> {
  void runOnOperation() override {
    if (failed(raise::applyRaisingPatterns(getOperation(), populateRaiseResidualsPatterns)))
      return signalPassFailure();
  }
};

} // namespace

void populateRaiseResidualsPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseResidualAdd>(patterns.getContext());
}

} // namespace attnc
