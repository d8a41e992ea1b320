// attn-fold-weight-transforms: weight transforms become the constants the
// packer would write.
//
//   attn.weight_concat(c0, c1, ...) -> onnx.Constant(dense<bytes>)
//   attn.weight_quantize(c)           -> one onnx.Constant per result
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
    SmallVector<Operation *> transforms;
    getOperation().walk([&](Operation *op) {
      if (isa<attn::WeightConcatOp, attn::WeightQuantizeOp>(op) ||
          attn::isUnaryWeightTransform(op))
        transforms.push_back(op);
    });

    IRRewriter rewriter(&getContext());
    for (Operation *transform : transforms) {
      if (!raise::isPackableWeight(transform->getResult(0)))
        continue;
      rewriter.setInsertionPoint(transform);
      SmallVector<Value> constants;
      for (Value result : transform->getResults()) {
        FailureOr<EvaluatedWeight> weight = evaluateWeight(result);
        if (failed(weight))
          return signalPassFailure();
        auto value = DenseElementsAttr::getFromRawBuffer(weight->type(), weight->bytes());
        constants.push_back(
            od::ConstantOp::create(rewriter, transform->getLoc(), result.getType(), value)
                .getOutput());
      }
      SmallVector<Value> inputs(transform->getOperands());
      rewriter.replaceOp(transform, constants);
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
