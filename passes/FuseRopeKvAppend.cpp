// attn-fuse-rope-kv-append: the RoPE of a layer's new keys moves into its
// attn.flash_attention, which appends the keys to the cache: the targets then
// rotate each key on its way into its page (one kernel, the key buffer left
// as it is) instead of copying it, rotating the copy and appending that. The
// query's rope of the same rotation joins when nothing else reads the rotated
// query (rope_query: the same kernel rotates it in place).
//
// Not fused: table-driven ropes (cos/sin tables; no fused kernel), ropes at
// other positions than the step's, and rotated keys or queries something else
// also reads (the rotated value would still have to exist).
#include "passes/Passes.h"

#include "dialects/Attention/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace attnc {

#define GEN_PASS_DEF_FUSEROPEKVAPPEND
#include "passes/Passes.h.inc"

namespace {

// Whether v is the step function's `positions` input: the positions the
// op appends the keys at.
bool isStepPositions(mlir::Value v) {
  auto arg = mlir::dyn_cast<mlir::BlockArgument>(v);
  if (!arg)
    return false;
  auto func = mlir::dyn_cast<mlir::func::FuncOp>(arg.getOwner()->getParentOp());
  if (!func || arg.getOwner() != &func.getBody().front())
    return false;
  auto role = func.getArgAttrOfType<mlir::StringAttr>(arg.getArgNumber(), "attn.step_input");
  return role && role.getValue() == "positions";
}

// The rope producing `v` when the fused op can take over its rotation.
attn::RopeOp fusibleRope(mlir::Value v) {
  auto rope = v.getDefiningOp<attn::RopeOp>();
  if (!rope || !rope.getTheta() || rope.getCosTable() || !rope.getOutput().hasOneUse() ||
      !isStepPositions(rope.getPositions()) || rope.getX().getType() != rope.getType())
    return nullptr;
  return rope;
}

struct FuseRopeKvAppendPass : impl::FuseRopeKvAppendBase<FuseRopeKvAppendPass> {
  void runOnOperation() override {
    getOperation().walk([](attn::FlashAttentionOp op) {
      if (op.hasKeyRope())
        return;
      attn::RopeOp keyRope = fusibleRope(op.getKey());
      if (!keyRope)
        return;
      mlir::Value positions = keyRope.getPositions();
      op.setRopeStyleAttr(keyRope.getStyleAttr());
      op.setRotaryDimAttr(keyRope.getRotaryDimAttr());
      op.setRopeThetaAttr(keyRope.getThetaAttr());
      op.getKeyMutable().assign(keyRope.getX());
      keyRope.erase();

      // The query joins when it is rotated the same way at the same positions.
      attn::RopeOp queryRope = fusibleRope(op.getQuery());
      if (queryRope && queryRope.getStyle() == *op.getRopeStyle() &&
          queryRope.getRotaryDim() == *op.getRotaryDim() &&
          queryRope.getThetaAttr() == op.getRopeThetaAttr() &&
          queryRope.getPositions() == positions) {
        op.setRopeQuery(true);
        op.getQueryMutable().assign(queryRope.getX());
        queryRope.erase();
      }
    });
  }
};

} // namespace
} // namespace attnc
