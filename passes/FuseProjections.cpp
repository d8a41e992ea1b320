// attn-fuse-projections: linears reading the same input become one linear.
//
//   q = linear(x, Wq), k = linear(x, Wk), v = linear(x, Wv)
//     -> qkv = linear(x, weight_concat(Wq, Wk, Wv))
//        q, k, v = onnx.Split(qkv, [nq, nk, nv]) along the last axis
//
// The weights are concatenated along their out dim (axis 0 of out_in
// [out, in], axis 1 of in_out [in, out]) and the biases, when every linear
// has one, along axis 0. attn.weight_concat only records the concatenation:
// the packer (runtime/pack) produces the bytes, so no weight is copied into
// the IR.
//
// A group is every linear of one block reading the same value with the same
// weight layout, weight / bias / result element types, result shape outside
// the last dim, and bias presence, whose weights (and biases) are constants
// or weight transforms; it fuses in program order at its first linear. This
// fuses Q/K/V and gate/up; a Falcon-style parallel block, whose one norm
// feeds both query_key_value and dense_h_to_4h, fuses those two as well.
// Linears that differ in any of these stay apart, and a linear alone in its
// group is left as it is.
#include "passes/Passes.h"
#include "passes/RaiseUtils.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

#define GEN_PASS_DEF_FUSEPROJECTIONS
#include "passes/Passes.h.inc"

namespace {

// Why a linear cannot take part in any fusion, or null when it can.
const char *unfusableReason(attn::LinearOp linear) {
  auto result = dyn_cast<RankedTensorType>(linear.getType());
  if (!result || result.getRank() < 1 || result.isDynamicDim(result.getRank() - 1))
    return "result is not ranked with a static last dim";
  if (!raise::isPackableWeight(linear.getWeight()))
    return "weight is not a constant or a weight transform";
  if (linear.getBias() && !raise::isPackableWeight(linear.getBias()))
    return "bias is not a constant or a weight transform";
  if (linear.getBias() && raise::rankOf(linear.getBias()) != 1)
    return "bias is not 1-D";
  return nullptr;
}

// Two linears reading one value fuse when the concatenated weight (and
// bias) is well formed and one Split can hand back both results.
bool compatible(attn::LinearOp a, attn::LinearOp b) {
  if (a.getWeightLayout() != b.getWeightLayout() ||
      getElementTypeOrSelf(a.getWeight()) != getElementTypeOrSelf(b.getWeight()) ||
      getElementTypeOrSelf(a.getType()) != getElementTypeOrSelf(b.getType()) ||
      bool(a.getBias()) != bool(b.getBias()))
    return false;
  if (a.getBias() && getElementTypeOrSelf(a.getBias()) != getElementTypeOrSelf(b.getBias()))
    return false;
  if (a.getInFeatures() != b.getInFeatures())
    return false;
  auto ra = cast<RankedTensorType>(a.getType()), rb = cast<RankedTensorType>(b.getType());
  return ra.getShape().drop_back() == rb.getShape().drop_back();
}

// The linears of `linear`'s group in program order (itself included).
SmallVector<attn::LinearOp> groupOf(attn::LinearOp linear) {
  SmallVector<attn::LinearOp> group;
  Value x = linear.getX();
  for (OpOperand &use : x.getUses()) {
    auto other = dyn_cast<attn::LinearOp>(use.getOwner());
    if (!other || use.getOperandNumber() != other.getXMutable().getOperandNumber() ||
        other->getBlock() != linear->getBlock() || unfusableReason(other) ||
        !compatible(linear, other) || llvm::is_contained(group, other))
      continue;
    group.push_back(other);
  }
  llvm::sort(group, [](attn::LinearOp a, attn::LinearOp b) {
    return a->isBeforeInBlock(b.getOperation());
  });
  return group;
}

// Whether `v` is, or can be made, available before `point`: constants
// defined later in the block (onnx.Constant nodes of the graph body) and
// weight transforms over them can move up.
bool canHoistAbove(Value v, Operation *point) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return true; // a block argument of the function (or an enclosing region)
  if (def->getBlock() != point->getBlock()) {
    Operation *ancestor = def->getBlock()->findAncestorOpInBlock(*point);
    return ancestor && def->isBeforeInBlock(ancestor);
  }
  if (def->isBeforeInBlock(point))
    return true;
  return isa<od::ConstantOp, attn::WeightConcatOp>(def) &&
         llvm::all_of(def->getOperands(), [&](Value in) { return canHoistAbove(in, point); });
}

// Moves what canHoistAbove allowed above `point`, inputs first.
void hoistAbove(PatternRewriter &rewriter, Value v, Operation *point) {
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != point->getBlock() || def->isBeforeInBlock(point))
    return;
  for (Value operand : def->getOperands())
    hoistAbove(rewriter, operand, point);
  rewriter.moveOpBefore(def, point);
}

struct FuseSameInputLinears : OpRewritePattern<attn::LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(attn::LinearOp linear, PatternRewriter &rewriter) const override {
    if (const char *reason = unfusableReason(linear))
      return rewriter.notifyMatchFailure(linear, reason);
    SmallVector<attn::LinearOp> group = groupOf(linear);
    if (group.size() < 2)
      return rewriter.notifyMatchFailure(linear, "no other compatible linear reads its input");
    // The group fuses once, at its first linear: x and the weights dominate
    // it, and every user of the group's results comes after it.
    if (group.front() != linear)
      return rewriter.notifyMatchFailure(linear, "not the first linear of its group");

    bool biased = bool(linear.getBias());
    bool outIn = linear.getWeightLayout() == attn::WeightLayout::out_in;
    int64_t outAxis = outIn ? 0 : 1;
    SmallVector<Value> weights, biases, results;
    SmallVector<Type> resultTypes;
    SmallVector<int64_t> sizes;
    SmallVector<Location> locs;
    for (attn::LinearOp member : group) {
      weights.push_back(member.getWeight());
      if (biased)
        biases.push_back(member.getBias());
      results.push_back(member.getOutput());
      resultTypes.push_back(member.getType());
      sizes.push_back(member.getOutFeatures());
      locs.push_back(member.getLoc());
    }
    for (Value v : llvm::concat<Value>(weights, biases))
      if (!canHoistAbove(v, linear))
        return rewriter.notifyMatchFailure(linear,
                                           "a weight cannot be made available at the first linear");
    for (Value v : llvm::concat<Value>(weights, biases))
      hoistAbove(rewriter, v, linear);

    int64_t total = 0;
    for (int64_t n : sizes)
      total += n;
    Location loc = rewriter.getFusedLoc(locs);
    rewriter.setInsertionPoint(linear);

    auto weightType = cast<RankedTensorType>(linear.getWeight().getType());
    SmallVector<int64_t> fusedWeightShape(weightType.getShape());
    fusedWeightShape[outAxis] = total;
    Value fusedWeight = attn::WeightConcatOp::create(
        rewriter, loc, RankedTensorType::get(fusedWeightShape, weightType.getElementType()),
        weights, rewriter.getI64IntegerAttr(outAxis));
    Value fusedBias;
    if (biased)
      fusedBias = attn::WeightConcatOp::create(
          rewriter, loc,
          RankedTensorType::get({total}, getElementTypeOrSelf(linear.getBias())), biases,
          rewriter.getI64IntegerAttr(0));

    auto resultType = cast<RankedTensorType>(linear.getType());
    SmallVector<int64_t> fusedShape(resultType.getShape());
    fusedShape.back() = total;
    auto fused = attn::LinearOp::create(
        rewriter, loc, RankedTensorType::get(fusedShape, resultType.getElementType()),
        linear.getX(), fusedWeight, fusedBias, linear.getWeightLayoutAttr());
    auto split = od::SplitOp::create(rewriter, loc, resultTypes, fused.getOutput(),
                                     raise::i64Constant(rewriter, loc, sizes),
                                     /*axis=*/resultType.getRank() - 1,
                                     /*num_outputs=*/IntegerAttr());
    for (auto [member, part] : llvm::zip_equal(group, split.getResults()))
      rewriter.replaceOp(member, part);
    return success();
  }
};

struct FuseProjectionsPass : impl::FuseProjectionsBase<FuseProjectionsPass> {
  void runOnOperation() override {
    if (failed(raise::applyRaisingPatterns(getOperation(), populateFuseProjectionsPatterns)))
      return signalPassFailure();
  }
};

} // namespace

void populateFuseProjectionsPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseSameInputLinears>(patterns.getContext());
}

} // namespace attnc
