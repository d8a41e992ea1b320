// attn-raise-positions: the token positions exporters compute as
//
//   Unsqueeze(Range(0, n, 1), [0])      n = dim 1 of a [batch, seq] input
//   Unsqueeze(Add(Range(0, n, 1), p), [0])   p a scalar (the past length of a
//                                            graph with past_key_values inputs)
//
// become attn.positions(input) : [1, seq] (offset(p) for the second form). KV-cache insertion later replaces
// that op by the step's per-token positions, so position ids never have to be
// recognised again. The length must be provably the input's seq dim
// (ShapeAnalysis); a Range over anything else is left alone.
#include "passes/Passes.h"
#include "passes/RaiseUtils.h"
#include "passes/ShapeAnalysis.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

#define GEN_PASS_DEF_RAISEPOSITIONS
#include "passes/Passes.h.inc"

namespace {

// A rank-2 i32/i64 argument of `func` (what attn.positions takes: a boolean
// mask of the same shape is not one) whose dim 1 is `length`.
Value tokenGridOfLength(func::FuncOp func, const ShapeAnalysis &analysis, const SymDim &length) {
  for (BlockArgument arg : func.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    const SymVector *shape = analysis.shapeOf(arg);
    if (type && type.getRank() == 2 &&
        (type.getElementType().isSignlessInteger(32) ||
         type.getElementType().isSignlessInteger(64)) &&
        shape && (*shape)[1] == length && !(*shape)[1].isConstant())
      return arg;
  }
  return nullptr;
}

struct RaisePositionsPass : impl::RaisePositionsBase<RaisePositionsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    ShapeAnalysis analysis(func);
    if (failed(analysis.run()))
      return;
    IRRewriter rewriter(func.getContext());
    SmallVector<od::UnsqueezeOp> candidates;
    func.walk([&](od::UnsqueezeOp u) { candidates.push_back(u); });
    for (od::UnsqueezeOp unsqueeze : candidates) {
      Value offset;
      auto range = unsqueeze.getData().getDefiningOp<od::RangeOp>();
      if (auto add = unsqueeze.getData().getDefiningOp<od::AddOp>()) {
        // Range + scalar, either order; the scalar is the positions' offset.
        for (auto [r, o] : {std::pair(add.getA(), add.getB()), std::pair(add.getB(), add.getA())}) {
          auto t = dyn_cast<RankedTensorType>(o.getType());
          if (r.getDefiningOp<od::RangeOp>() && t && t.getElementType().isSignlessInteger(64) &&
              t.hasStaticShape() && t.getNumElements() == 1 && t.getRank() <= 1) {
            range = r.getDefiningOp<od::RangeOp>();
            offset = o;
            break;
          }
        }
      }
      auto axes = raise::intConstants(unsqueeze.getAxes());
      auto type = dyn_cast<RankedTensorType>(unsqueeze.getType());
      if (!range || !axes || *axes != SmallVector<int64_t>{0} || !type || type.getRank() != 2)
        continue;
      auto start = raise::intConstants(range.getStart());
      auto delta = raise::intConstants(range.getDelta());
      const SymVector *limit = analysis.contentsOf(range.getLimit());
      if (!start || !delta || *start != SmallVector<int64_t>{0} ||
          *delta != SmallVector<int64_t>{1} || !limit || limit->size() != 1)
        continue;
      Value tokens = tokenGridOfLength(func, analysis, (*limit)[0]);
      if (!tokens)
        continue;
      rewriter.setInsertionPoint(unsqueeze);
      rewriter.replaceOpWithNewOp<attn::PositionsOp>(unsqueeze, type, tokens, offset);
    }
    // The Range and its length computation are dead now.
    Block &body = func.getBody().front();
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (isa<od::RangeOp, od::SqueezeOp, od::ShapeOp, od::AddOp>(op) && op.use_empty())
        rewriter.eraseOp(&op);
  }
};

} // namespace
} // namespace attnc
