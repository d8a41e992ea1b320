// attn-fuse-residual-norm: residual_add + rms_norm(sum) -> one
// attn.residual_add_rms_norm (sum and normalised output), the pre-norm
// decoder's "add the sublayer output, normalise for the next sublayer" in one
// pass over the hidden states. Scaled adds (Granite) and LayerNorm have no
// fused kernel and are left alone.
#include "passes/Passes.h"

#include "dialects/Attention/AttnOps.h"

#include "mlir/IR/Dominance.h"

namespace attnc {

#define GEN_PASS_DEF_FUSERESIDUALNORM
#include "passes/Passes.h.inc"

namespace {

struct FuseResidualNormPass : impl::FuseResidualNormBase<FuseResidualNormPass> {
  void runOnOperation() override {
    mlir::DominanceInfo dominance(getOperation());
    llvm::SmallVector<attn::RmsNormOp> norms;
    getOperation().walk([&](attn::RmsNormOp norm) { norms.push_back(norm); });
    for (attn::RmsNormOp norm : norms) {
      auto add = norm.getX().getDefiningOp<attn::ResidualAddOp>();
      if (!add || add.getScale() || add.getType() != norm.getType())
        continue;
      // The fused op replaces the add, so the norm's weight must exist there.
      mlir::Value weight = norm.getWeight();
      if (!dominance.properlyDominates(weight, add))
        continue;
      mlir::OpBuilder b(add);
      auto fused = attn::ResidualAddRmsNormOp::create(
          b, add.getLoc(), add.getType(), norm.getType(), add.getResidual(), add.getUpdate(),
          weight, norm.getEpsilonAttr(), norm.getWeightOffsetAttr());
      norm.getOutput().replaceAllUsesWith(fused.getOutput());
      norm.erase();
      add.getOutput().replaceAllUsesWith(fused.getSum());
      add.erase();
    }
  }
};

} // namespace
} // namespace attnc
