// attn-raise-norms: RMSNorm and LayerNorm, fused (RMSNormalization-23,
// SimplifiedLayerNormalization, LayerNormalization) or decomposed, become
// attn.rms_norm / attn.layer_norm; onnxruntime's Skip(Simplified)LayerNormalization
// become attn.residual_add + the norm.
//
// A norm is raised only when it is exactly the op's semantics: a reduction
// over the last dim alone (keepdims, so the statistic broadcasts back), a
// one-element constant epsilon, and constant 1-D weights of the normalised
// dim's size. Anything else (another axis, a per-channel epsilon, a weight
// computed at run time) is left to the generic elementwise path.
#include "passes/Passes.h"
#include "passes/RaiseUtils.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

#define GEN_PASS_DEF_RAISENORMS
#include "passes/Passes.h.inc"

namespace {

// The normalised dim of a ranked float value, when static.
std::optional<int64_t> lastDim(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || t.getRank() == 0 || !isa<FloatType>(t.getElementType()))
    return std::nullopt;
  int64_t d = t.getDimSize(t.getRank() - 1);
  return ShapedType::isDynamic(d) ? std::nullopt : std::optional(d);
}

// A norm weight or bias: a constant [dim] of x's element type.
bool isNormParameter(Value param, Value x, int64_t dim) {
  auto c = raise::floatConstantOfRank(param, 1);
  return c && cast<RankedTensorType>(param.getType()).getDimSize(0) == dim &&
         getElementTypeOrSelf(param) == getElementTypeOrSelf(x);
}

// ONNX normalisation ops normalise over [axis, rank); only axis = rank - 1
// is a norm over the last dim.
bool isLastAxis(int64_t axis, Value x) {
  auto t = dyn_cast<RankedTensorType>(x.getType());
  if (!t || t.getRank() == 0)
    return false;
  return axis == -1 || axis == t.getRank() - 1;
}

FloatAttr f32Attr(Builder &b, double v) { return b.getF32FloatAttr(float(v)); }

//===----------------------------------------------------------------------===//
// Decomposed RMSNorm (torch dynamo):
//   x * Reciprocal(Sqrt(ReduceMean(Pow(x, 2), [-1]) + eps)) * weight
// with Div(x, Sqrt(..)) for the reciprocal, Mul(x, x) for the square, either
// operand order of the commutative ops, and Gemma's (1 + w) weight.
// Decomposed LayerNorm is the same on d = x - ReduceMean(x, [-1]), plus an
// optional constant bias Add.
//===----------------------------------------------------------------------===//

struct NormalizedInput {
  Value x;
  double epsilon;
};

// mean(x^2) over the last dim, keepdims; returns x.
Value meanOfSquares(Value v) {
  auto mean = v.getDefiningOp<od::ReduceMeanOp>();
  if (!mean || mean.getKeepdims() != 1)
    return nullptr;
  Value squared = mean.getData();
  Value x;
  if (auto pow = squared.getDefiningOp<od::PowOp>()) {
    if (raise::scalarConstant(pow.getY()) == 2.0)
      x = pow.getX();
  } else if (auto mul = squared.getDefiningOp<od::MulOp>()) {
    if (mul.getA() == mul.getB())
      x = mul.getA();
  }
  if (!x || x.getType() != squared.getType())
    return nullptr;
  // Exactly one axis, the last: a mean over more dims is another statistic.
  std::optional<double> axis = raise::scalarConstant(mean.getAxes());
  if (!axis || !isLastAxis(int64_t(*axis), x))
    return nullptr;
  return x;
}

// 1 / sqrt(mean(x^2) + eps) as the Sqrt's operand: returns x and eps.
std::optional<NormalizedInput> rmsOfSqrt(od::SqrtOp sqrt) {
  if (!sqrt)
    return std::nullopt;
  auto add = sqrt.getX().getDefiningOp<od::AddOp>();
  if (!add)
    return std::nullopt;
  for (auto [meanSide, epsSide] : {std::pair(add.getA(), add.getB()), {add.getB(), add.getA()}}) {
    // The type check also rejects a one-element epsilon of higher rank,
    // which would broadcast the statistic up.
    Value x = meanOfSquares(meanSide);
    if (!x || meanSide.getType() != add.getType())
      continue;
    std::optional<double> eps = raise::scalarConstant(epsSide);
    if (!eps)
      continue;
    return NormalizedInput{x, *eps};
  }
  return std::nullopt;
}

// x * rsqrt(mean(x^2) + eps), in its Mul/Reciprocal and Div spellings.
std::optional<NormalizedInput> rmsNormalized(Value v) {
  if (auto div = v.getDefiningOp<od::DivOp>()) {
    auto n = rmsOfSqrt(div.getB().getDefiningOp<od::SqrtOp>());
    if (n && n->x == div.getA())
      return n;
    return std::nullopt;
  }
  auto mul = v.getDefiningOp<od::MulOp>();
  if (!mul)
    return std::nullopt;
  for (auto [xSide, rSide] : {std::pair(mul.getA(), mul.getB()), {mul.getB(), mul.getA()}}) {
    auto reciprocal = rSide.getDefiningOp<od::ReciprocalOp>();
    if (!reciprocal)
      continue;
    auto n = rmsOfSqrt(reciprocal.getX().getDefiningOp<od::SqrtOp>());
    if (n && n->x == xSide)
      return n;
  }
  return std::nullopt;
}

// x when v = x - mean(x over the last dim, keepdims).
Value centredInput(Value v) {
  auto sub = v.getDefiningOp<od::SubOp>();
  if (!sub)
    return nullptr;
  auto mean = sub.getB().getDefiningOp<od::ReduceMeanOp>();
  Value x = sub.getA();
  if (!mean || mean.getData() != x || mean.getKeepdims() != 1 || x.getType() != v.getType())
    return nullptr;
  std::optional<double> axis = raise::scalarConstant(mean.getAxes());
  return axis && isLastAxis(int64_t(*axis), x) ? x : nullptr;
}

struct NormWeight {
  Value weight;
  double offset;
};

// The scale: a constant [dim], or Gemma's w + 1 (either order) kept as the
// raw w with offset 1 so later passes (quantization, packing) see the
// checkpoint's tensor.
std::optional<NormWeight> rmsWeight(Value v, Value x, int64_t dim) {
  if (isNormParameter(v, x, dim))
    return NormWeight{v, 0.0};
  auto add = v.getDefiningOp<od::AddOp>();
  if (!add)
    return std::nullopt;
  for (auto [w, one] : {std::pair(add.getA(), add.getB()), {add.getB(), add.getA()}})
    if (isNormParameter(w, x, dim) && w.getType() == add.getType() &&
        raise::scalarConstant(one) == 1.0)
      return NormWeight{w, 1.0};
  return std::nullopt;
}

struct RaiseDecomposedNorm : OpRewritePattern<od::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MulOp root, PatternRewriter &rewriter) const override {
    for (auto [normedSide, weightSide] :
         {std::pair(root.getA(), root.getB()), {root.getB(), root.getA()}}) {
      std::optional<NormalizedInput> n = rmsNormalized(normedSide);
      if (!n)
        continue;
      std::optional<int64_t> dim = lastDim(n->x);
      if (!dim)
        return rewriter.notifyMatchFailure(root, "normalised dim is not static");
      if (n->x.getType() != root.getType() || normedSide.getType() != root.getType())
        return rewriter.notifyMatchFailure(root, "weight multiply changes the shape");
      std::optional<NormWeight> w = rmsWeight(weightSide, n->x, *dim);
      if (!w)
        return rewriter.notifyMatchFailure(
            root, "weight is not a constant of the normalised dim's size (or its + 1 form)");
      if (n->epsilon < 0)
        return rewriter.notifyMatchFailure(root, "negative epsilon");
      // The RMS of a centred value is a LayerNorm's deviation; raising it as
      // rms_norm(x - mean) would hide the LayerNorm from later passes.
      if (Value centred = centredInput(n->x)) {
        if (w->offset != 0.0)
          return rewriter.notifyMatchFailure(root, "LayerNorm with a (1 + w) weight");
        rewriter.replaceOpWithNewOp<attn::LayerNormOp>(root, root.getType(), centred, w->weight,
                                                       Value(), f32Attr(rewriter, n->epsilon));
        return success();
      }
      rewriter.replaceOpWithNewOp<attn::RmsNormOp>(root, root.getType(), n->x, w->weight,
                                                   f32Attr(rewriter, n->epsilon),
                                                   f32Attr(rewriter, w->offset));
      return success();
    }
    return rewriter.notifyMatchFailure(
        root, "no x * rsqrt(mean(x^2, last dim) + scalar eps) operand");
  }
};

// layer_norm(x) + b[dim] -> layer_norm with bias b (the decomposed form's
// trailing Add).
struct FoldBiasAddIntoLayerNorm : OpRewritePattern<od::AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::AddOp add, PatternRewriter &rewriter) const override {
    for (auto [normSide, biasSide] :
         {std::pair(add.getA(), add.getB()), {add.getB(), add.getA()}}) {
      auto norm = normSide.getDefiningOp<attn::LayerNormOp>();
      if (!norm)
        continue;
      if (norm.getBias())
        return rewriter.notifyMatchFailure(add, "layer_norm already has a bias");
      if (!norm->hasOneUse())
        return rewriter.notifyMatchFailure(add, "layer_norm result has other users");
      std::optional<int64_t> dim = lastDim(norm.getX());
      if (!dim || !isNormParameter(biasSide, norm.getX(), *dim) ||
          add.getType() != norm.getType())
        return rewriter.notifyMatchFailure(add, "addend is not a constant of the normalised dim's size");
      rewriter.replaceOpWithNewOp<attn::LayerNormOp>(add, add.getType(), norm.getX(),
                                                     norm.getWeight(), biasSide,
                                                     norm.getEpsilonAttr());
      rewriter.eraseOp(norm);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no attn.layer_norm operand");
  }
};

//===----------------------------------------------------------------------===//
// Fused forms
//===----------------------------------------------------------------------===//

// RMSNormalization (opset 23) and SimplifiedLayerNormalization (onnxruntime)
// share their operands and attributes.
template <typename OpTy>
struct RaiseFusedRmsNorm : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    Value x = op.getX();
    if (!isLastAxis(int64_t(op.getAxis()), x))
      return rewriter.notifyMatchFailure(op, "normalises more than the last dim");
    std::optional<int64_t> dim = lastDim(x);
    if (!dim)
      return rewriter.notifyMatchFailure(op, "normalised dim is not static");
    if (!isNormParameter(op.getScale(), x, *dim))
      return rewriter.notifyMatchFailure(op, "scale is not a constant of the normalised dim's size");
    if (op->getNumResults() > 1 && !op->getResult(1).use_empty())
      return rewriter.notifyMatchFailure(op, "inv_std_var is used");
    Value y = op->getResult(0);
    if (y.getType() != x.getType())
      return rewriter.notifyMatchFailure(op, "result type differs from x");
    auto norm = attn::RmsNormOp::create(rewriter, op.getLoc(), y.getType(), x, op.getScale(),
                                        rewriter.getF32FloatAttr(op.getEpsilon().convertToFloat()),
                                        rewriter.getF32FloatAttr(0.0f));
    rewriter.replaceAllUsesWith(y, norm.getResult());
    rewriter.eraseOp(op);
    return success();
  }
};

struct RaiseLayerNormalization : OpRewritePattern<od::LayerNormalizationOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::LayerNormalizationOp op,
                                PatternRewriter &rewriter) const override {
    Value x = op.getX();
    if (!isLastAxis(int64_t(op.getAxis()), x))
      return rewriter.notifyMatchFailure(op, "normalises more than the last dim");
    std::optional<int64_t> dim = lastDim(x);
    if (!dim)
      return rewriter.notifyMatchFailure(op, "normalised dim is not static");
    if (!isNormParameter(op.getScale(), x, *dim))
      return rewriter.notifyMatchFailure(op, "scale is not a constant of the normalised dim's size");
    Value bias = op.getB();
    if (isa<NoneType>(bias.getType()))
      bias = nullptr;
    else if (!isNormParameter(bias, x, *dim))
      return rewriter.notifyMatchFailure(op, "bias is not a constant of the normalised dim's size");
    if (!op.getMean().use_empty() || !op.getInvStdDev().use_empty())
      return rewriter.notifyMatchFailure(op, "mean or inv_std_dev is used");
    if (op.getY().getType() != x.getType())
      return rewriter.notifyMatchFailure(op, "result type differs from x");
    auto norm = attn::LayerNormOp::create(
        rewriter, op.getLoc(), op.getY().getType(), x, op.getScale(), bias,
        rewriter.getF32FloatAttr(op.getEpsilon().convertToFloat()));
    rewriter.replaceAllUsesWith(op.getY(), norm.getResult());
    rewriter.eraseOp(op);
    return success();
  }
};

// onnxruntime's fused residual + norm (com.microsoft SkipSimplifiedLayerNormalization
// and SkipLayerNormalization, from the transformer optimizer and the genai
// builder):
//   output              = norm(input + skip (+ bias))
//   input_skip_bias_sum = input + skip (+ bias)
// becomes sum = attn.residual_add(input, skip) and attn.rms_norm /
// attn.layer_norm of sum. A bias (a per-channel add on the residual stream)
// has no attn spelling, so ops with one stay; so do ops whose mean or
// inv_std_var is used, whose skip broadcasts (a [hidden] or [1, hidden] skip
// is not a residual), or whose gamma / beta are not constants of the
// normalised dim's size.
template <typename OpTy>
LogicalResult matchSkipNorm(OpTy op, PatternRewriter &rewriter, int64_t &dim) {
  Value input = op.getInput();
  auto type = dyn_cast<RankedTensorType>(input.getType());
  std::optional<int64_t> d = lastDim(input);
  if (!type || !d)
    return rewriter.notifyMatchFailure(op, "input is not a float tensor with a static last dim");
  if (op.getSkip().getType() != type)
    return rewriter.notifyMatchFailure(op, "skip broadcasts or differs in type from input");
  if (!isa<NoneType>(op.getBias().getType()))
    return rewriter.notifyMatchFailure(
        op, "bias present: no attn op expresses a bias add on the residual sum");
  if (!isNormParameter(op.getGamma(), input, *d))
    return rewriter.notifyMatchFailure(op, "gamma is not a constant of the normalised dim's size");
  if (!op.getMean().use_empty() || !op.getInvStdVar().use_empty())
    return rewriter.notifyMatchFailure(op, "mean or inv_std_var is used");
  if (op.getOutput().getType() != type)
    return rewriter.notifyMatchFailure(op, "output type differs from input");
  Value sum = op.getInputSkipBiasSum();
  if (!sum.use_empty() && sum.getType() != type)
    return rewriter.notifyMatchFailure(op, "input_skip_bias_sum type differs from input");
  float eps = op.getEpsilon().convertToFloat();
  if (!(eps >= 0.0f) || std::isinf(eps))
    return rewriter.notifyMatchFailure(op, "epsilon is negative or not finite");
  dim = *d;
  return success();
}

// Replaces the op's output by `norm` and its input_skip_bias_sum by `sum`.
void replaceSkipNorm(Operation *op, Value norm, Value sum, PatternRewriter &rewriter) {
  rewriter.replaceAllUsesWith(op->getResult(0), norm);
  rewriter.replaceAllUsesWith(op->getResult(3), sum);
  rewriter.eraseOp(op);
}

struct RaiseSkipSimplifiedLayerNorm : OpRewritePattern<od::MsSkipSimplifiedLayerNormalizationOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MsSkipSimplifiedLayerNormalizationOp op,
                                PatternRewriter &rewriter) const override {
    int64_t dim = 0;
    if (failed(matchSkipNorm(op, rewriter, dim)))
      return failure();
    Type type = op.getInput().getType();
    auto sum = attn::ResidualAddOp::create(rewriter, op.getLoc(), type, op.getInput(), op.getSkip(),
                                            /*scale=*/nullptr);
    auto norm = attn::RmsNormOp::create(rewriter, op.getLoc(), type, sum.getResult(), op.getGamma(),
                                        rewriter.getF32FloatAttr(op.getEpsilon().convertToFloat()),
                                        rewriter.getF32FloatAttr(0.0f));
    replaceSkipNorm(op, norm.getResult(), sum.getResult(), rewriter);
    return success();
  }
};

struct RaiseSkipLayerNorm : OpRewritePattern<od::MsSkipLayerNormalizationOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MsSkipLayerNormalizationOp op,
                                PatternRewriter &rewriter) const override {
    int64_t dim = 0;
    if (failed(matchSkipNorm(op, rewriter, dim)))
      return failure();
    Value beta = op.getBeta();
    if (isa<NoneType>(beta.getType()))
      beta = nullptr;
    else if (!isNormParameter(beta, op.getInput(), dim))
      return rewriter.notifyMatchFailure(op, "beta is not a constant of the normalised dim's size");
    Type type = op.getInput().getType();
    auto sum = attn::ResidualAddOp::create(rewriter, op.getLoc(), type, op.getInput(), op.getSkip(),
                                            /*scale=*/nullptr);
    auto norm = attn::LayerNormOp::create(rewriter, op.getLoc(), type, sum.getResult(), op.getGamma(),
                                          beta,
                                          rewriter.getF32FloatAttr(op.getEpsilon().convertToFloat()));
    replaceSkipNorm(op, norm.getResult(), sum.getResult(), rewriter);
    return success();
  }
};

struct RaiseNormsPass : impl::RaiseNormsBase<RaiseNormsPass> {
  void runOnOperation() override {
    if (failed(raise::applyRaisingPatterns(getOperation(), populateRaiseNormsPatterns)))
      return signalPassFailure();
  }
};

} // namespace

void populateRaiseNormsPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseDecomposedNorm, FoldBiasAddIntoLayerNorm, RaiseFusedRmsNorm<od::RMSNormalizationOp>,
               RaiseFusedRmsNorm<od::SimplifiedLayerNormalizationOp>, RaiseLayerNormalization,
               RaiseSkipSimplifiedLayerNorm, RaiseSkipLayerNorm>(
      patterns.getContext());
}

} // namespace attnc
