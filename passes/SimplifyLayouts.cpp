// attn-simplify-layouts: removes the layout shuffles exporters put around the
// raised ops, so that every activation keeps its two token dims [batch, seq]
// in front. After this, what is left between attn ops only rearranges the
// trailing (per-token) dims - which is what KV-cache insertion needs to turn
// [batch, seq] into one ragged token dim.
//
//   Transpose(Transpose(x, p), q)          -> Transpose(x, p∘q)
//   Transpose(x, identity)                 -> x
//   norm/activation(Transpose(x, p))       -> Transpose(norm(x), p)   (p keeps the last dim)
//   Split/Slice(Transpose(x, p), axis a)   -> Transpose(Split/Slice(x, axis p[a]), p)
//   GatherND(x, [[i]])                     -> Slice(x, axis 0, [i, i+1))
//   Reshape(linear(Reshape(x, [n, k])), [b, s, m]) -> linear(Reshape(x, [b, s, k]))
//   Reshape(x) to x's own shape            -> x
//
// The last two need symbolic shapes (ShapeAnalysis), the others are local.
#include "passes/Passes.h"
#include "passes/RaiseUtils.h"
#include "passes/ShapeAnalysis.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

#define GEN_PASS_DEF_SIMPLIFYLAYOUTS
#include "passes/Passes.h.inc"

namespace {

using raise::intConstants;
using raise::rankedOf;

// The permutation of a Transpose (ONNX: reversed dims when absent).
SmallVector<int64_t> permOf(od::TransposeOp t) {
  if (t.getPerm())
    return SmallVector<int64_t>(*t.getPerm());
  int64_t rank = raise::rankOf(t.getData());
  SmallVector<int64_t> perm;
  for (int64_t i = rank - 1; i >= 0; --i)
    perm.push_back(i);
  return perm;
}

bool isIdentity(ArrayRef<int64_t> perm) {
  for (auto [i, p] : llvm::enumerate(perm))
    if (int64_t(i) != p)
      return false;
  return true;
}

RankedTensorType permutedType(RankedTensorType type, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return RankedTensorType::get(shape, type.getElementType());
}

Value makeI64Constant(OpBuilder &rewriter, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, rewriter.getI64Type());
  return od::ConstantOp::create(rewriter, loc, type, DenseElementsAttr::get(type, values));
}

struct ComposeTransposes : OpRewritePattern<od::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(od::TransposeOp op, PatternRewriter &rewriter) const override {
    SmallVector<int64_t> perm = permOf(op);
    if (perm.empty() || !rankedOf(op.getData()))
      return rewriter.notifyMatchFailure(op, "unranked");
    if (isIdentity(perm) && op.getData().getType() == op.getType()) {
      rewriter.replaceOp(op, op.getData());
      return success();
    }
    auto inner = op.getData().getDefiningOp<od::TransposeOp>();
    if (!inner)
      return rewriter.notifyMatchFailure(op, "input is not a Transpose");
    // Output dim i is the inner output's dim perm[i], i.e. x's dim inner[perm[i]].
    SmallVector<int64_t> innerPerm = permOf(inner), composed;
    for (int64_t p : perm)
      composed.push_back(innerPerm[p]);
    rewriter.replaceOpWithNewOp<od::TransposeOp>(op, op.getType(), inner.getData(),
                                                 rewriter.getDenseI64ArrayAttr(composed));
    return success();
  }
};

// Ops that work on the last dim alone commute with a Transpose that keeps it.
struct PushTransposeBelowRowOp : RewritePattern {
  PushTransposeBelowRowOp(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!isa<attn::RmsNormOp, attn::LayerNormOp, attn::ActivationOp, attn::LogitSoftcapOp,
             attn::LogitScaleOp>(op))
      return failure();
    auto transpose = op->getOperand(0).getDefiningOp<od::TransposeOp>();
    if (!transpose)
      return rewriter.notifyMatchFailure(op, "input is not a Transpose");
    auto inType = rankedOf(transpose.getData());
    auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    SmallVector<int64_t> perm = permOf(transpose);
    if (!inType || !outType || perm.empty() || perm.back() != int64_t(perm.size()) - 1)
      return rewriter.notifyMatchFailure(op, "the Transpose moves the last dim");
    SmallVector<int64_t> inverse(perm.size());
    for (auto [i, p] : llvm::enumerate(perm))
      inverse[p] = i;
    Operation *moved = rewriter.clone(*op);
    moved->setOperand(0, transpose.getData());
    moved->getResult(0).setType(permutedType(outType, inverse));
    rewriter.replaceOpWithNewOp<od::TransposeOp>(op, outType, moved->getResult(0),
                                                 rewriter.getDenseI64ArrayAttr(perm));
    return success();
  }
};

struct PushTransposeBelowSplit : OpRewritePattern<od::SplitOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(od::SplitOp op, PatternRewriter &rewriter) const override {
    auto transpose = op.getInput().getDefiningOp<od::TransposeOp>();
    if (!transpose || !rankedOf(transpose.getData()))
      return rewriter.notifyMatchFailure(op, "input is not a ranked Transpose");
    SmallVector<int64_t> perm = permOf(transpose), inverse(perm.size());
    for (auto [i, p] : llvm::enumerate(perm))
      inverse[p] = i;
    int64_t rank = perm.size();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += rank;
    SmallVector<Type> types;
    for (Value r : op.getOutputs()) {
      auto t = dyn_cast<RankedTensorType>(r.getType());
      if (!t)
        return rewriter.notifyMatchFailure(op, "unranked result");
      types.push_back(permutedType(t, inverse));
    }
    auto split = od::SplitOp::create(rewriter, op.getLoc(), types, transpose.getData(),
                                     op.getSplit(), rewriter.getI64IntegerAttr(perm[axis]),
                                     op.getNumOutputsAttr());
    SmallVector<Value> results;
    for (auto [r, old] : llvm::zip(split.getOutputs(), op.getOutputs()))
      results.push_back(od::TransposeOp::create(rewriter, op.getLoc(), old.getType(), r,
                                                rewriter.getDenseI64ArrayAttr(perm)));
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct PushTransposeBelowSlice : OpRewritePattern<od::SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(od::SliceOp op, PatternRewriter &rewriter) const override {
    auto transpose = op.getData().getDefiningOp<od::TransposeOp>();
    auto outType = dyn_cast<RankedTensorType>(op.getType());
    if (!transpose || !rankedOf(transpose.getData()) || !outType)
      return rewriter.notifyMatchFailure(op, "input is not a ranked Transpose");
    auto axes = intConstants(op.getAxes());
    if (!axes)
      return rewriter.notifyMatchFailure(op, "axes are not constant");
    SmallVector<int64_t> perm = permOf(transpose), inverse(perm.size());
    for (auto [i, p] : llvm::enumerate(perm))
      inverse[p] = i;
    SmallVector<int64_t> newAxes;
    for (int64_t a : *axes)
      newAxes.push_back(perm[a < 0 ? a + int64_t(perm.size()) : a]);
    auto slice = od::SliceOp::create(
        rewriter, op.getLoc(), permutedType(outType, inverse), transpose.getData(),
        op.getStarts(), op.getEnds(), makeI64Constant(rewriter, op.getLoc(), newAxes),
        op.getSteps());
    rewriter.replaceOpWithNewOp<od::TransposeOp>(op, outType, slice.getResult(),
                                                 rewriter.getDenseI64ArrayAttr(perm));
    return success();
  }
};

// GatherND with one constant index along dim 0 picks a slice of dim 0.
struct GatherNDToSlice : OpRewritePattern<od::GatherNDOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(od::GatherNDOp op, PatternRewriter &rewriter) const override {
    auto indicesType = rankedOf(op.getIndices());
    auto index = intConstants(op.getIndices());
    auto dataType = rankedOf(op.getData());
    auto outType = dyn_cast<RankedTensorType>(op.getType());
    if (op.getBatchDims() != 0 || !indicesType || indicesType.getShape() != ArrayRef<int64_t>{1, 1} ||
        !index || !dataType || !outType || outType.getRank() != dataType.getRank())
      return rewriter.notifyMatchFailure(op, "not a single constant index along dim 0");
    int64_t i = (*index)[0];
    auto dim0 = raise::staticDim(op.getData(), 0);
    if (!dim0 || i < -*dim0 || i >= *dim0)
      return rewriter.notifyMatchFailure(op, "index out of range");
    if (i < 0)
      i += *dim0;
    Location loc = op.getLoc();
    rewriter.replaceOpWithNewOp<od::SliceOp>(
        op, outType, op.getData(), makeI64Constant(rewriter, loc, {i}),
        makeI64Constant(rewriter, loc, {i + 1}), makeI64Constant(rewriter, loc, {0}),
        makeI64Constant(rewriter, loc, {1}));
    return success();
  }
};

void populateLocalPatterns(RewritePatternSet &patterns) {
  patterns.add<ComposeTransposes, PushTransposeBelowRowOp, PushTransposeBelowSplit,
               PushTransposeBelowSlice, GatherNDToSlice>(patterns.getContext());
}

// A Reshape target as a constant in terms of `input`'s dims (0 copies the dim
// at the same position, at most one -1), or nullopt.
std::optional<SmallVector<int64_t>> reshapeTarget(ArrayRef<SymDim> target,
                                                  const SymVector &input) {
  SmallVector<int64_t> out;
  bool inferred = false;
  for (auto [i, d] : llvm::enumerate(target)) {
    if (auto k = d.getConstant())
      out.push_back(*k);
    else if (i < input.size() && input[i] == d)
      out.push_back(0);
    else if (!inferred) {
      out.push_back(-1);
      inferred = true;
    } else
      return std::nullopt;
  }
  return out;
}

SymDim productOf(ArrayRef<SymDim> dims) {
  SymDim p = SymDim::constant(1);
  for (const SymDim &d : dims)
    p = p * d;
  return p;
}

// The rewrites that need symbolic shapes; returns whether anything changed.
bool simplifyReshapes(func::FuncOp func) {
  ShapeAnalysis analysis(func);
  if (failed(analysis.run()))
    return false;
  IRRewriter rewriter(func.getContext());
  bool changed = false;
  SmallVector<od::ReshapeOp> reshapes;
  func.walk([&](od::ReshapeOp r) { reshapes.push_back(r); });
  for (od::ReshapeOp reshape : reshapes) {
    const SymVector *in = analysis.shapeOf(reshape.getData());
    const SymVector *out = analysis.shapeOf(reshape.getReshaped());
    if (!in || !out)
      continue;
    // A Reshape to the input's own shape.
    if (*in == *out && reshape.getData().getType() == reshape.getType()) {
      rewriter.replaceOp(reshape, reshape.getData());
      changed = true;
      continue;
    }
    // Reshape(linear(Reshape(x, [n, k])), [lead..., m]): the linear works per
    // row, so it can run on x reshaped to [lead..., k] directly.
    auto linear = reshape.getData().getDefiningOp<attn::LinearOp>();
    if (!linear || !linear->hasOneUse() || out->empty())
      continue;
    auto flatten = linear.getX().getDefiningOp<od::ReshapeOp>();
    if (!flatten)
      continue;
    const SymVector *flat = analysis.shapeOf(flatten.getReshaped());
    const SymVector *x = analysis.shapeOf(flatten.getData());
    auto xType = rankedOf(flatten.getData());
    auto outType = dyn_cast<RankedTensorType>(reshape.getType());
    if (!flat || !x || flat->empty() || !xType || !outType)
      continue;
    ArrayRef<SymDim> lead = ArrayRef<SymDim>(*out).drop_back();
    if (productOf(lead) != productOf(ArrayRef<SymDim>(*flat).drop_back()))
      continue;
    SymVector target(lead.begin(), lead.end());
    target.push_back(SymDim::constant(linear.getInFeatures()));
    rewriter.setInsertionPoint(reshape);
    Value input = flatten.getData();
    if (target != *x) {
      auto k = reshapeTarget(target, *x);
      if (!k)
        continue;
      SmallVector<int64_t> shape(outType.getShape());
      shape.back() = linear.getInFeatures();
      input = od::ReshapeOp::create(
          rewriter, reshape.getLoc(), RankedTensorType::get(shape, xType.getElementType()),
          input, makeI64Constant(rewriter, reshape.getLoc(), *k), /*allowzero=*/nullptr);
    }
    auto fused = attn::LinearOp::create(rewriter, linear.getLoc(), outType, input,
                                        linear.getWeight(), linear.getBias(),
                                        linear.getWeightLayoutAttr());
    rewriter.replaceOp(reshape, fused.getResult());
    rewriter.eraseOp(linear);
    if (flatten->use_empty())
      rewriter.eraseOp(flatten);
    changed = true;
  }
  return changed;
}

struct SimplifyLayoutsPass : impl::SimplifyLayoutsBase<SimplifyLayoutsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Each round may expose more (a removed Reshape lets Transposes meet).
    for (int round = 0; round < 4; ++round) {
      if (failed(raise::applyRaisingPatterns(func, populateLocalPatterns)))
        return signalPassFailure();
      if (!simplifyReshapes(func))
        break;
    }
  }
};

} // namespace

void populateSimplifyLayoutsPatterns(RewritePatternSet &patterns) {
  populateLocalPatterns(patterns);
}

} // namespace attnc
