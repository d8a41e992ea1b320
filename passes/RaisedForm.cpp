#include "passes/RaisedForm.h"
#include "passes/RaiseUtils.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {
namespace {

bool isAttnResult(Value v) {
  Operation *def = v.getDefiningOp();
  return def && isa<attn::AttnDialect>(def->getDialect());
}

// Every axis (normalised) is a per-token axis, i.e. >= 2.
bool perTokenAxes(ArrayRef<int64_t> axes, int64_t rank) {
  return llvm::all_of(axes, [&](int64_t a) { return (a < 0 ? a + rank : a) >= 2; });
}

bool isHeadSwap(Operation *op) {
  auto t = dyn_cast_or_null<od::TransposeOp>(op);
  return t && t.getPerm() && *t.getPerm() == ArrayRef<int64_t>{0, 2, 1, 3};
}

// Read only as attention's K or V.
bool readOnlyAsKeyOrValue(Operation *op) {
  return llvm::all_of(op->getUses(), [](OpOperand &use) {
    auto attention = dyn_cast<attn::AttentionOp>(use.getOwner());
    return attention && (attention.getKey() == use.get() || attention.getValue() == use.get()) &&
           attention.getQuery() != use.get();
  });
}

// A Transpose(0, 2, 1, 3) of a KV-cache concat, read only as attention's K or V.
bool isKvCacheRead(Operation *op) {
  return isHeadSwap(op) && readOnlyAsKeyOrValue(op) &&
         isKvCacheConcat(op->getOperand(0).getDefiningOp());
}

// An integer scalar (at most one element) computed only for attn.positions'
// offset, through other such scalars.
bool feedsOnlyPositionOffsets(Operation *op) {
  if (op->getNumResults() == 0)
    return false;
  for (Value r : op->getResults()) {
    auto t = dyn_cast<RankedTensorType>(r.getType());
    if (!t || !t.getElementType().isInteger() || !t.hasStaticShape() || t.getNumElements() > 1)
      return false;
    for (OpOperand &use : r.getUses()) {
      Operation *user = use.getOwner();
      if (auto p = dyn_cast<attn::PositionsOp>(user)) {
        if (p.getOffset() != use.get())
          return false;
      } else if (!isa<od::OnnxDialect>(user->getDialect()) || !feedsOnlyPositionOffsets(user)) {
        return false;
      }
    }
  }
  return true;
}

} // namespace

bool isKvCacheConcat(Operation *op) {
  auto concat = dyn_cast_or_null<od::ConcatOp>(op);
  if (!concat || concat.getInputs().size() != 2 || raise::rankOf(concat.getResult()) != 4)
    return false;
  int64_t axis = static_cast<int64_t>(concat.getAxis());
  if (axis != 2 && axis != -2)
    return false;
  if (!isa<BlockArgument>(concat.getInputs()[0]) ||
      !isHeadSwap(concat.getInputs()[1].getDefiningOp()))
    return false;
  return llvm::all_of(concat->getUsers(), [](Operation *user) {
    return isa<func::ReturnOp>(user) || (isHeadSwap(user) && readOnlyAsKeyOrValue(user));
  });
}

std::string unraisedReason(Operation *op) {
  // An unregistered op has no dialect: it is not raised either.
  Dialect *dialect = op->getDialect();
  if (dialect && !isa<od::OnnxDialect>(dialect))
    return "";
  if (isa<od::ShapeOp, od::SqueezeOp, od::UnsqueezeOp, od::GatherOp, od::AddOp, od::CastOp>(op) &&
      feedsOnlyPositionOffsets(op))
    return "";
  if (isKvCacheConcat(op) || isKvCacheRead(op))
    return "";
  if (isHeadSwap(op) && !op->use_empty() && llvm::all_of(op->getUsers(), [](Operation *user) {
        return isKvCacheConcat(user);
      }))
    return ""; // the new keys / values going head-major into the cache concat
  return llvm::TypeSwitch<Operation *, std::string>(op)
      .Case<od::ConstantOp, od::NoValueOp>([](Operation *) { return ""; })
      .Case<od::ReshapeOp>([](od::ReshapeOp r) -> std::string {
        auto target = raise::intConstants(r.getShape());
        // With allowzero=1 a 0 in the target is a zero-sized dim, not a copy.
        if (raise::rankOf(r.getData()) >= 2 && target && target->size() >= 2 &&
            (*target)[0] == 0 && (*target)[1] == 0 && r.getAllowzero() == 0)
          return "";
        return "a Reshape that does not keep the [batch, seq] dims";
      })
      .Case<od::SplitOp>([](od::SplitOp s) -> std::string {
        int64_t rank = raise::rankOf(s.getInput());
        if (rank >= 3 && perTokenAxes({static_cast<int64_t>(s.getAxis())}, rank))
          return "";
        return "a Split across the [batch, seq] dims";
      })
      .Case<od::SliceOp>([](od::SliceOp s) -> std::string {
        int64_t rank = raise::rankOf(s.getData());
        auto axes = raise::intConstants(s.getAxes());
        if (rank >= 3 && axes && perTokenAxes(*axes, rank))
          return "";
        return "a Slice across the [batch, seq] dims (or with non-constant axes)";
      })
      .Case<od::CastOp>([](od::CastOp c) -> std::string {
        bool feedsPaddingOnly = llvm::all_of(c->getUses(), [](OpOperand &use) {
          auto attention = dyn_cast<attn::AttentionOp>(use.getOwner());
          return attention && attention.getKeyPaddingMask() == use.get();
        });
        if (isa<BlockArgument>(c.getInput()) && feedsPaddingOnly)
          return "";
        return "a Cast that is not an attention padding mask";
      })
      .Case<od::AddOp>([](od::AddOp a) -> std::string {
        if (isAttnResult(a.getA()) && isAttnResult(a.getB()))
          return "";
        return "an Add of values that are not attn results";
      })
      .Default([](Operation *op) { return "not raised to the attn dialect"; });
}

} // namespace attnc
