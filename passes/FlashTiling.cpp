// attn-flash-tiling: turns every attn.paged_attention into
// attn.flash_attention, choosing its tiling for the target and spelling the
// loop one work item runs:
//
//   ^bb0(%queries: tensor<?xDxf32>, %key_begin: index, %key_end: index):
//     %max0, %sum0, %acc0 = attn.softmax_state_init %queries
//     %first = (%key_begin / tile_kv) * tile_kv
//     %state:3 = scf.for %start = %first to %key_end step tile_kv
//                    iter_args(%max = %max0, %sum = %sum0, %acc = %acc0) {
//       %keys, %values = attn.load_kv_tile %start
//       %scores = attn.tile_scores %queries, %keys {scale}
//       %capped = attn.logit_softcap %scores {cap}        (softcap layers only)
//       %max', %sum', %acc' = attn.online_softmax %capped, %values, %max, %sum, %acc
//       scf.yield %max', %sum', %acc'
//     }
//     attn.flash_yield %state#0, %state#1, %state#2
//
// The item's key bounds already exclude keys no row may see (causal, window,
// the flash-decoding slice), so fully masked tiles are never visited; tiles
// start at multiples of tile_kv so they are page-aligned.
//
// Tiling:
//   tile_kv      keys per online-softmax tile; a power of two, so it is a
//                multiple or a divisor of the page size
//   query_block  query tokens of one sequence per work item (all query heads
//                of a KV group share each K/V tile load)
//   split_kv     keys per slice when a step has few query tokens per sequence
//                (decode): the slices run in parallel and their partial
//                softmax states are merged (flash-decoding)
// query_block and split_kv 0 leave the choice to the target's planner per step.
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

// The flash_attention that replaces `op`, with its tile loop.
attn::FlashAttentionOp buildFlashAttention(mlir::OpBuilder &b, attn::PagedAttentionOp op,
                                           const Tiling &t) {
  using namespace mlir;
  Location loc = op.getLoc();
  auto flash = attn::FlashAttentionOp::create(
      b, loc, op.getType(), op.getQuery(), op.getKey(), op.getValue(), op.getLayerAttr(),
      op.getCacheGroupAttr(), op.getNumHeadsAttr(), op.getNumKvHeadsAttr(), op.getHeadDimAttr(),
      op.getScaleAttr(), op.getWindowAttr(), op.getSoftcapAttr(), b.getI64IntegerAttr(t.tileKv),
      b.getI64IntegerAttr(t.queryBlock), b.getI64IntegerAttr(t.splitKv),
      /*rope_style=*/nullptr, /*rotary_dim=*/nullptr, /*rope_theta=*/nullptr,
      /*rope_query=*/nullptr, // the keys' rotation: attn-fuse-rope-kv-append
      op.getKvCacheTypeAttr());

  int64_t dyn = ShapedType::kDynamic, headDim = op.getHeadDim();
  int64_t vHeadDim = cast<RankedTensorType>(op.getValue().getType()).getDimSize(2);
  Type f32 = b.getF32Type(), index = b.getIndexType();
  auto rowsType = RankedTensorType::get({dyn}, f32);
  auto accType = RankedTensorType::get({dyn, vHeadDim}, f32);
  auto queriesType = RankedTensorType::get({dyn, headDim}, f32);
  auto keysType = RankedTensorType::get({t.tileKv, headDim}, f32);
  auto valuesType = RankedTensorType::get({t.tileKv, vHeadDim}, f32);
  auto scoresType = RankedTensorType::get({dyn, t.tileKv}, f32);

  OpBuilder::InsertionGuard guard(b);
  Block *body = b.createBlock(&flash.getBody(), {}, {queriesType, index, index}, {loc, loc, loc});
  Value queries = body->getArgument(0), keyBegin = body->getArgument(1),
        keyEnd = body->getArgument(2);
  auto init = attn::SoftmaxStateInitOp::create(b, loc, rowsType, rowsType, accType, queries);
  Value tile = arith::ConstantIndexOp::create(b, loc, t.tileKv);
  Value first = arith::MulIOp::create(b, loc, arith::DivUIOp::create(b, loc, keyBegin, tile), tile);
  float softcap = op.getSoftcap().convertToFloat();
  auto loop = scf::ForOp::create(
      b, loc, first, keyEnd, tile, ValueRange{init.getMax(), init.getSum(), init.getAcc()},
      [&](OpBuilder &lb, Location l, Value start, ValueRange state) {
        auto kv = attn::LoadKvTileOp::create(lb, l, keysType, valuesType, start);
        Value scores = attn::TileScoresOp::create(lb, l, scoresType, queries, kv.getKeys(),
                                                  op.getScaleAttr());
        if (softcap > 0.0f)
          scores = attn::LogitSoftcapOp::create(lb, l, scoresType, scores, op.getSoftcapAttr());
        auto update = attn::OnlineSoftmaxOp::create(lb, l, rowsType, rowsType, accType, scores,
                                                    kv.getValues(), state[0], state[1], state[2]);
        scf::YieldOp::create(lb, l, update.getResults());
      });
  attn::FlashYieldOp::create(b, loc, loop.getResults());
  return flash;
}

// CUDA (runtime/cuda/Attention.cu): the kernels' K/V tiles are 64 keys; how
// many query rows an item takes (16 for decode-sized items, 64 per warp
// group for prefill) and where long decodes are split are decided per step
// by the planner from the step's shape and the multiprocessor count (0).
Tiling cudaTiling(attn::PagedAttentionOp) { return {64, 0, 0}; }

struct FlashTilingPass : impl::FlashTilingBase<FlashTilingPass> {
  using FlashTilingBase::FlashTilingBase;
  void runOnOperation() override {
    if (target != "cpu" && target != "cuda") {
      getOperation().emitError() << "attn-flash-tiling: unknown target '" << target
                                 << "' (supported: cpu, cuda)";
      return signalPassFailure();
    }
    mlir::OpBuilder b(&getContext());
    getOperation().walk([&](attn::PagedAttentionOp op) {
      b.setInsertionPoint(op);
      attn::FlashAttentionOp flash =
          buildFlashAttention(b, op, target == "cuda" ? cudaTiling(op) : cpuTiling(op));
      op.getOutput().replaceAllUsesWith(flash.getOutput());
      op.erase();
    });
  }
};

} // namespace
} // namespace attnc
