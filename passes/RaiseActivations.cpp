// attn-raise-activations: MLP activations, gated MLPs and the token
// embedding lookup become attn ops.
//
//   x * Sigmoid(x)                                    -> silu
//   Gelu (approximate none / tanh), Relu              -> gelu / gelu_tanh / relu
//   0.5 * x * (1 + Erf(x / sqrt 2))                   -> gelu
//   0.5 * x * (1 + Tanh(sqrt(2/pi) (x + 0.044715 x^3))) -> gelu_tanh
//   act(gate) * up, same shapes                        -> gated_activation
//   Gather(constant table [V, H], ids, axis 0)        -> embedding
//   embedding * c (c a scalar constant)                -> embedding {scale = c}
//   c * Tanh(x / c), x = lm_head logits (or x * (1/c)) -> logit_softcap {cap = c}
//   x / c, x = lm_head logits, returned               -> logit_scale {scale = 1/c}
//
// The decomposed GELUs are matched on their constants (within the
// precision the graph is stored in): a Tanh or Erf in any other formula,
// such as Gemma-2's logit softcap c * tanh(s / c), is not an activation.
#include "passes/Passes.h"
#include "passes/RaiseUtils.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

#define GEN_PASS_DEF_RAISEACTIVATIONS
#include "passes/Passes.h.inc"

namespace {

attn::ActivationAttr activationAttr(MLIRContext *ctx, attn::Activation kind) {
  return attn::ActivationAttr::get(ctx, kind);
}

bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

struct RaiseSilu : OpRewritePattern<od::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MulOp op, PatternRewriter &rewriter) const override {
    for (auto [x, s] : {std::pair(op.getA(), op.getB()), {op.getB(), op.getA()}}) {
      auto sigmoid = s.getDefiningOp<od::SigmoidOp>();
      if (!sigmoid)
        continue;
      if (sigmoid.getX() != x)
        continue;
      if (!isFloatTensor(x) || x.getType() != op.getType())
        return rewriter.notifyMatchFailure(op, "x is not a ranked float tensor of the result type");
      rewriter.replaceOpWithNewOp<attn::ActivationOp>(
          op, op.getType(), x, activationAttr(getContext(), attn::Activation::silu));
      return success();
    }
    return rewriter.notifyMatchFailure(op, "not x * Sigmoid(x)");
  }
};

struct RaiseGeluOp : OpRewritePattern<od::GeluOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::GeluOp op, PatternRewriter &rewriter) const override {
    attn::Activation kind;
    if (op.getApproximate() == "none")
      kind = attn::Activation::gelu;
    else if (op.getApproximate() == "tanh")
      kind = attn::Activation::gelu_tanh;
    else
      return rewriter.notifyMatchFailure(op, "unknown approximation");
    if (!isFloatTensor(op.getX()))
      return rewriter.notifyMatchFailure(op, "x is not a ranked float tensor");
    rewriter.replaceOpWithNewOp<attn::ActivationOp>(op, op.getType(), op.getX(),
                                                    activationAttr(getContext(), kind));
    return success();
  }
};

struct RaiseRelu : OpRewritePattern<od::ReluOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::ReluOp op, PatternRewriter &rewriter) const override {
    if (!isFloatTensor(op.getX()))
      return rewriter.notifyMatchFailure(op, "x is not a ranked float tensor");
    rewriter.replaceOpWithNewOp<attn::ActivationOp>(
        op, op.getType(), op.getX(), activationAttr(getContext(), attn::Activation::relu));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Decomposed GELU
//===----------------------------------------------------------------------===//

// The factors of a product tree. Only single-use Muls are looked through: a
// shared partial product is someone else's value too.
void collectFactors(Value v, bool isRoot, SmallVectorImpl<Value> &factors) {
  auto mul = v.getDefiningOp<od::MulOp>();
  if (mul && (isRoot || v.hasOneUse()) && factors.size() < 4) {
    collectFactors(mul.getA(), false, factors);
    collectFactors(mul.getB(), false, factors);
    return;
  }
  factors.push_back(v);
}

// c * x or x * c with c ~ `constant`.
bool isScaledBy(Value v, Value x, double constant) {
  auto mul = v.getDefiningOp<od::MulOp>();
  if (!mul)
    return false;
  Value c = raise::otherOperand(mul, x);
  return c && c != x && raise::approxEqual(c, constant);
}

// x / sqrt(2) or x * (1 / sqrt(2)).
bool isErfArgument(Value v, Value x) {
  if (auto div = v.getDefiningOp<od::DivOp>())
    return div.getA() == x && raise::approxEqual(div.getB(), llvm::numbers::sqrt2);
  return isScaledBy(v, x, 1.0 / llvm::numbers::sqrt2);
}

// x^3 as Pow(x, 3) or x * x * x.
bool isCube(Value v, Value x) {
  if (auto pow = v.getDefiningOp<od::PowOp>())
    return pow.getX() == x && raise::approxEqual(pow.getY(), 3.0);
  auto mul = v.getDefiningOp<od::MulOp>();
  if (!mul)
    return false;
  Value square = raise::otherOperand(mul, x);
  auto sq = square ? square.getDefiningOp<od::MulOp>() : nullptr;
  return sq && sq.getA() == x && sq.getB() == x;
}

// sqrt(2/pi) * (x + 0.044715 * x^3), any operand order.
bool isTanhArgument(Value v, Value x) {
  auto scale = v.getDefiningOp<od::MulOp>();
  if (!scale)
    return false;
  const double sqrt2OverPi = llvm::numbers::sqrt2 / std::sqrt(llvm::numbers::pi);
  for (auto [inner, c] : {std::pair(scale.getA(), scale.getB()), {scale.getB(), scale.getA()}}) {
    if (!raise::approxEqual(c, sqrt2OverPi))
      continue;
    auto add = inner.getDefiningOp<od::AddOp>();
    if (!add)
      return false;
    Value cubic = raise::otherOperand(add, x);
    auto cubicMul = cubic ? cubic.getDefiningOp<od::MulOp>() : nullptr;
    if (!cubicMul)
      return false;
    for (auto [cube, k] : {std::pair(cubicMul.getA(), cubicMul.getB()),
                           {cubicMul.getB(), cubicMul.getA()}})
      if (raise::approxEqual(k, 0.044715) && isCube(cube, x))
        return true;
    return false;
  }
  return false;
}

struct RaiseDecomposedGelu : OpRewritePattern<od::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MulOp op, PatternRewriter &rewriter) const override {
    SmallVector<Value, 4> factors;
    collectFactors(op.getResult(), /*isRoot=*/true, factors);
    if (factors.size() != 3)
      return rewriter.notifyMatchFailure(op, "not a product of three factors");

    // Exactly one 0.5, one (1 + Erf|Tanh(..)) and x.
    Value half, onePlus, x;
    Operation *curve = nullptr;
    for (Value f : factors) {
      if (!half && raise::approxEqual(f, 0.5)) {
        half = f;
        continue;
      }
      if (auto add = f.getDefiningOp<od::AddOp>(); add && !onePlus) {
        for (auto [t, one] : {std::pair(add.getA(), add.getB()), {add.getB(), add.getA()}}) {
          Operation *def = t.getDefiningOp();
          if (isa_and_nonnull<od::ErfOp, od::TanhOp>(def) && raise::approxEqual(one, 1.0)) {
            curve = def;
            onePlus = f;
          }
        }
        if (onePlus)
          continue;
      }
      if (x)
        return rewriter.notifyMatchFailure(op, "not 0.5 * x * (1 + erf|tanh(..))");
      x = f;
    }
    if (!half || !onePlus || !x)
      return rewriter.notifyMatchFailure(op, "not 0.5 * x * (1 + erf|tanh(..))");
    if (!isFloatTensor(x) || x.getType() != op.getType() || onePlus.getType() != op.getType())
      return rewriter.notifyMatchFailure(op, "x, 1 + curve and the result differ in type");

    attn::Activation kind;
    if (auto erf = dyn_cast<od::ErfOp>(curve)) {
      if (!isErfArgument(erf.getX(), x))
        return rewriter.notifyMatchFailure(op, "Erf argument is not x / sqrt(2)");
      kind = attn::Activation::gelu;
    } else {
      if (!isTanhArgument(cast<od::TanhOp>(curve).getX(), x))
        return rewriter.notifyMatchFailure(
            op, "Tanh argument is not sqrt(2/pi) * (x + 0.044715 * x^3)");
      kind = attn::Activation::gelu_tanh;
    }
    rewriter.replaceOpWithNewOp<attn::ActivationOp>(op, op.getType(), x,
                                                    activationAttr(getContext(), kind));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Gated MLP, embedding
//===----------------------------------------------------------------------===//

struct RaiseGatedActivation : OpRewritePattern<od::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MulOp op, PatternRewriter &rewriter) const override {
    for (auto [gated, up] : {std::pair(op.getA(), op.getB()), {op.getB(), op.getA()}}) {
      auto act = gated.getDefiningOp<attn::ActivationOp>();
      if (!act)
        continue;
      // Broadcasting up against the gate is not an elementwise GLU.
      if (up.getType() != op.getType() || act.getType() != op.getType())
        return rewriter.notifyMatchFailure(op, "gate and up differ in shape");
      if (!act->hasOneUse())
        return rewriter.notifyMatchFailure(op, "activation result has other users");
      rewriter.replaceOpWithNewOp<attn::GatedActivationOp>(op, op.getType(), act.getX(), up,
                                                           act.getKindAttr());
      rewriter.eraseOp(act);
      return success();
    }
    return rewriter.notifyMatchFailure(op, "no attn.activation operand");
  }
};

struct RaiseEmbedding : OpRewritePattern<od::GatherOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::GatherOp op, PatternRewriter &rewriter) const override {
    Value table = op.getData(), ids = op.getIndices();
    if (!raise::floatConstantOfRank(table, 2))
      return rewriter.notifyMatchFailure(op, "table is not a 2-D float constant");
    int64_t axis = int64_t(op.getAxis());
    if (axis != 0 && axis != -2)
      return rewriter.notifyMatchFailure(op, "gathers along another axis than rows");
    auto idsType = dyn_cast<RankedTensorType>(ids.getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getType());
    if (!idsType || !resultType || resultType.getRank() != idsType.getRank() + 1)
      return rewriter.notifyMatchFailure(op, "ids are not ranked");
    rewriter.replaceOpWithNewOp<attn::EmbeddingOp>(op, op.getType(), table, ids,
                                                     /*scale=*/nullptr);
    return success();
  }
};

// Gemma scales the looked-up embeddings by sqrt(hidden).
struct RaiseEmbeddingScale : OpRewritePattern<od::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MulOp op, PatternRewriter &rewriter) const override {
    for (auto [lookup, factor] : {std::pair(op.getA(), op.getB()), std::pair(op.getB(), op.getA())}) {
      auto embedding = lookup.getDefiningOp<attn::EmbeddingOp>();
      std::optional<double> scale = raise::scalarConstant(factor);
      if (!embedding || embedding.getScale() || !embedding->hasOneUse() || !scale ||
          embedding.getType() != op.getType())
        continue;
      rewriter.replaceOpWithNewOp<attn::EmbeddingOp>(
          op, op.getType(), embedding.getTable(), embedding.getIds(),
          rewriter.getF32FloatAttr(static_cast<float>(*scale)));
      rewriter.eraseOp(embedding);
      return success();
    }
    return rewriter.notifyMatchFailure(op, "not an embedding times a scalar constant");
  }
};

// Gemma-2's final logit soft-capping: cap * tanh(x / cap).
struct RaiseLogitSoftcap : OpRewritePattern<od::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MulOp op, PatternRewriter &rewriter) const override {
    for (auto [tanhValue, capValue] : {std::pair(op.getA(), op.getB()), std::pair(op.getB(), op.getA())}) {
      auto tanh = tanhValue.getDefiningOp<od::TanhOp>();
      std::optional<double> cap = raise::scalarConstant(capValue);
      if (!tanh || !cap || *cap <= 0 || tanh.getType() != op.getType())
        continue;
      Value x;
      if (auto div = tanh->getOperand(0).getDefiningOp<od::DivOp>()) {
        if (raise::approxEqual(div.getB(), *cap))
          x = div.getA();
      } else if (auto mul = tanh->getOperand(0).getDefiningOp<od::MulOp>()) {
        if (raise::approxEqual(mul.getB(), 1.0 / *cap))
          x = mul.getA();
        else if (raise::approxEqual(mul.getA(), 1.0 / *cap))
          x = mul.getB();
      }
      // Only logits (the lm_head's output): attention scores are capped the
      // same way, and that cap belongs to attn.attention.
      if (!x || x.getType() != op.getType() ||
          !isa_and_nonnull<attn::LinearOp, attn::QuantizedLinearOp>(x.getDefiningOp()))
        continue;
      rewriter.replaceOpWithNewOp<attn::LogitSoftcapOp>(op, op.getType(), x,
                                                        rewriter.getF32FloatAttr(*cap));
      return success();
    }
    return rewriter.notifyMatchFailure(op, "not cap * tanh(x / cap)");
  }
};

// Granite divides the final logits by logits_scaling. Only a Div of an
// attn.linear that the function returns: an in-graph scaling is not logits.
struct RaiseLogitScale : OpRewritePattern<od::DivOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::DivOp op, PatternRewriter &rewriter) const override {
    std::optional<double> divisor = raise::scalarConstant(op.getB());
    if (!divisor || *divisor == 0.0 || !std::isfinite(*divisor))
      return rewriter.notifyMatchFailure(op, "divisor is not a finite nonzero scalar constant");
    Value x = op.getA();
    if (x.getType() != op.getType() ||
        !isa_and_nonnull<attn::LinearOp, attn::QuantizedLinearOp>(x.getDefiningOp()))
      return rewriter.notifyMatchFailure(op, "dividend is not an attn.linear of the result type");
    if (!op->hasOneUse() || !isa<func::ReturnOp>(*op->getUsers().begin()))
      return rewriter.notifyMatchFailure(op, "result is not returned (not the logits)");
    rewriter.replaceOpWithNewOp<attn::LogitScaleOp>(
        op, op.getType(), x, rewriter.getF32FloatAttr(static_cast<float>(1.0 / *divisor)));
    return success();
  }
};

struct RaiseActivationsPass : impl::RaiseActivationsBase<RaiseActivationsPass> {
  void runOnOperation() override {
    if (failed(raise::applyRaisingPatterns(getOperation(), populateRaiseActivationsPatterns)))
      return signalPassFailure();
  }
};

} // namespace

void populateRaiseActivationsPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseSilu, RaiseGeluOp, RaiseRelu, RaiseDecomposedGelu, RaiseGatedActivation,
               RaiseEmbedding, RaiseEmbeddingScale, RaiseLogitSoftcap, RaiseLogitScale>(
      patterns.getContext());
}

} // namespace attnc
