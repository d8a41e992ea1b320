// attn-flash-tiling: chooses, per attention layer and target, the tiling of
// the flash-attention loop that the kernels run:
//
//   tile_kv      keys per online-softmax tile (running max, running sum and
//                rescaled accumulator are updated once per tile); a power of
//                two, so it is a multiple or a divisor of the page size and
//                tiles start on page boundaries. Causal and window bounds
//                clamp the tile loop, so fully masked tiles are never visited.
//   query_block  query tokens of one sequence per work item (all query heads
//                of a KV group share each K/V tile load)
//   split_kv     keys per split when a step has few query tokens per sequence
//                (decode): the splits run in parallel and their partial
//                softmax states are merged (flash-decoding)
//
// CPU: a K and a V tile together fill about half of a 32 KiB L1 data cache.
#include "passes/Passes.h"

#include "dialects/Attention/AttnOps.h"

#include "llvm/Support/MathExtras.h"

namespace attnc {

#define GEN_PASS_DEF_FLASHTILING
#include "passes/Passes.h.inc"

namespace {

struct Tiling {
  int64_t tileKv, queryBlock, splitKv;
};

Tiling cpuTiling(attn::PagedAttentionOp op) {
  auto value = llvm::cast<mlir::RankedTensorType>(op.getValue().getType());
  int64_t rowBytes = 4 * (op.getHeadDim() + value.getDimSize(2)); // one key + one value, f32
  constexpr int64_t kTileBudget = 16 * 1024;
  int64_t tile = int64_t(llvm::bit_floor(uint64_t(std::max<int64_t>(1, kTileBudget / rowBytes))));
  tile = std::clamp<int64_t>(tile, 16, 128);
  return {tile, 16, std::max<int64_t>(512, tile)};
}

struct FlashTilingPass : impl::FlashTilingBase<FlashTilingPass> {
  using FlashTilingBase::FlashTilingBase;
  void runOnOperation() override {
    if (target != "cpu") {
      getOperation().emitError() << "attn-flash-tiling: unknown target '" << target
                                 << "' (supported: cpu)";
      return signalPassFailure();
    }
    mlir::Builder b(&getContext());
    getOperation().walk([&](attn::PagedAttentionOp op) {
      Tiling t = cpuTiling(op);
      op->setAttr("tile_kv", b.getI64IntegerAttr(t.tileKv));
      op->setAttr("query_block", b.getI64IntegerAttr(t.queryBlock));
      op->setAttr("split_kv", b.getI64IntegerAttr(t.splitKv));
    });
  }
};

} // namespace
} // namespace attnc
