// attn-fold-weight-transforms: weight transforms become the constants the
// packer would write.
//
//   attn.weight_concat(c0, c1, ...) -> onnx.Constant(dense<bytes>)
//
// The bytes come from compiler/WeightEvaluation, i.e. from runtime/pack, the
// code the artifact's packer runs. The constant is a copy of the weights, so
// this is a debugging aid for small models and no pipeline runs it. A weight
// transform over anything but constants (and other such transforms) stays.
#include "passes/Passes.h"
#include "passes/RaiseUtils.h"

#include "compiler/WeightEvaluation.h"
#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

#define GEN_PASS_DEF_FOLDWEIGHTTRANSFORMS
#include "passes/Passes.h.inc"

namespace {

struct FoldWeightTransformsPass : impl::FoldWeightTransformsBase<FoldWeightTransformsPass> {
  void runOnOperation() override {
    // Program order: an inner transform is folded before the ones reading it.
    SmallVector<attn::WeightConcatOp> concats;
    getOperation().walk([&](attn::WeightConcatOp op) { concats.push_back(op); });

    IRRewriter rewriter(&getContext());
    for (attn::WeightConcatOp concat : concats) {
      if (!raise::isPackableWeight(concat.getOutput()))
        continue;
      FailureOr<EvaluatedWeight> weight = evaluateWeight(concat.getOutput());
      if (failed(weight))
        return signalPassFailure();
      auto value = DenseElementsAttr::getFromRawBuffer(weight->type(), weight->bytes());
      rewriter.setInsertionPoint(concat);
      auto constant = od::ConstantOp::create(rewriter, concat.getLoc(), concat.getType(), value);
      SmallVector<Value> inputs(concat.getInputs());
      rewriter.replaceOp(concat, constant.getOutput());
      // Constants only the folded transform read are now dead.
      for (Value input : inputs)
        if (Operation *def = input.getDefiningOp();
            def && isa<od::ConstantOp>(def) && def->use_empty())
          rewriter.eraseOp(def);
    }
  }
};

} // namespace
} // namespace attnc
