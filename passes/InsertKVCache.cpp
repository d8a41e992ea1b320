// attn-insert-kv-cache: turns a raised (batch, seq) graph into a step
// function over a flat, ragged batch of tokens reading and appending a paged
// KV cache (runtime/ModelABI.h). Prefill, chunked prefill and decode are all
// this one function with different step metadata.
//
//   func @main(input_ids [b, s], attention_mask [b, s]) -> logits [b, s, V]
// becomes
//   func @main(token_ids [t], positions [t], logit_tokens [n]) -> logits [n, V]
//
// * Every activation [b, s, ...] (or [1, s, ...]: position-derived values)
//   loses its leading dim and becomes [t, ...]; per-token Reshape targets,
//   Split and Slice axes shift by one. This is sound because attn-raise
//   leaves only per-token data movement between attn ops (RaisedForm.h),
//   which the pass checks first.
// * attn.positions becomes the `positions` argument.
// * attn.attention becomes attn.paged_attention with a layer index (program
//   order) and a cache group (one per distinct window, full attention first).
//   Padding masks disappear: a ragged batch has no padding.
// * attn.select_tokens(logit_tokens) goes before the per-token tail that
//   produces the logits (final norm, lm_head, softcap), so logits are only
//   computed for the rows the runtime asks for.
//
// * Graphs exported with a KV cache (optimum naming): inputs
//   past_key_values.N.key / .value [b, kv_heads, past, head_dim] and outputs
//   present.N.key / .value. Layer N's (program order) attention reads
//   Transpose(Concat(past, Transpose(new K/V))) (the raised form's KV-cache
//   concat, RaisedForm.h) and present.N returns that Concat: the paged cache
//   is that concat, so attention reads the new K/V (paged_attention appends
//   them and reads the cached ones), the present outputs leave the step's
//   results (the runtime owns the cache) and the past inputs are dropped.
//   attn.positions' offset must be the past length. A past input used any
//   other way, for another layer, or a present output that is not exactly
//   its layer's concat is an error naming it.
//
// Anything the step function cannot express (non-causal attention, an
// attention bias, sink tokens, an input other than input_ids /
// attention_mask / position_ids / past_key_values.N.key|value) is an error
// naming the op or input.
#include "passes/Passes.h"
#include "passes/RaiseUtils.h"
#include "passes/RaisedForm.h"
#include "passes/ShapeAnalysis.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/Builders.h"

#include <map>

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

#define GEN_PASS_DEF_INSERTKVCACHE
#include "passes/Passes.h.inc"

namespace {

StringRef inputName(func::FuncOp func, unsigned index) {
  if (auto name = func.getArgAttrOfType<StringAttr>(index, "onnx.name"))
    return name.getValue();
  return "";
}

Value makeI64Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, b.getI64Type());
  return od::ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, values));
}

// [d0, d1, rest...] -> [?, rest...]
RankedTensorType dropTokenDim(RankedTensorType type) {
  SmallVector<int64_t> shape{ShapedType::kDynamic};
  llvm::append_range(shape, type.getShape().drop_front(2));
  return RankedTensorType::get(shape, type.getElementType());
}

// past_key_values.N.key -> (N, true), past_key_values.N.value -> (N, false);
// present.N.* likewise with `prefix` "present.".
std::optional<std::pair<int64_t, bool>> cacheName(StringRef name, StringRef prefix) {
  if (!name.consume_front(prefix))
    return std::nullopt;
  auto [index, kind] = name.split('.');
  int64_t layer;
  if (index.getAsInteger(10, layer) || layer < 0 || (kind != "key" && kind != "value"))
    return std::nullopt;
  return std::pair(layer, kind == "key");
}

class KVCacheInsertion {
public:
  explicit KVCacheInsertion(func::FuncOp func) : func(func), analysis(func) {}

  LogicalResult run();

private:
  LogicalResult findInputs();
  LogicalResult mapPastOntoCache();
  LogicalResult checkAttention(attn::AttentionOp op);
  bool isTokenValue(Value v) const;
  LogicalResult rewriteOp(Operation *op, OpBuilder &builder);
  void selectLogitRows(OpBuilder &builder);

  func::FuncOp func;
  ShapeAnalysis analysis;
  SymDim batch, seq;
  BlockArgument inputIds, attentionMask, positionIds;
  // past_key_values.N.key/value inputs: argument number -> (N, is key).
  std::map<unsigned, std::pair<int64_t, bool>> pastInputs;
  std::optional<SymDim> pastLength;
  Value tokenIds, positions, logitTokens;
  std::map<int64_t, int64_t> groupOfWindow;
  int64_t nextLayer = 0;
  SmallVector<Operation *> toErase;
};

LogicalResult KVCacheInsertion::findInputs() {
  for (BlockArgument arg : func.getArguments()) {
    StringRef name = inputName(func, arg.getArgNumber());
    if (name == "input_ids")
      inputIds = arg;
    else if (name == "attention_mask")
      attentionMask = arg;
    else if (name == "position_ids")
      positionIds = arg;
    else if (auto cache = cacheName(name, "past_key_values."))
      pastInputs[arg.getArgNumber()] = *cache;
    else
      return func.emitError() << "input '" << name
                              << "' has no place in a step function (expected input_ids, "
                                 "attention_mask, position_ids, past_key_values.N.key/value)";
  }
  if (!inputIds)
    return func.emitError("the model has no 'input_ids' input");
  auto type = raise::rankedOf(inputIds);
  const SymVector *shape = analysis.shapeOf(inputIds);
  if (!type || type.getRank() != 2 || !type.getElementType().isInteger() || !shape)
    return func.emitError() << "'input_ids' must be an integer [batch, seq] tensor, got "
                            << inputIds.getType();
  batch = (*shape)[0];
  seq = (*shape)[1];
  if (seq.isConstant())
    return func.emitError("'input_ids' needs a symbolic sequence dim");
  if (pastInputs.empty() && func.getNumResults() != 1)
    return func.emitError() << "expected one output (logits), got " << func.getNumResults();
  return success();
}

LogicalResult KVCacheInsertion::mapPastOntoCache() {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  auto resultName = [&](unsigned i) -> StringRef {
    if (auto n = func.getResultAttrOfType<StringAttr>(i, "onnx.name"))
      return n.getValue();
    return "";
  };
  if (pastInputs.empty())
    return success();
  if (func.getNumResults() < 1)
    return func.emitError("expected the logits as the first output");
  // The past length every past input agrees on.
  for (auto &[argNo, cache] : pastInputs) {
    BlockArgument arg = func.getArgument(argNo);
    const SymVector *shape = analysis.shapeOf(arg);
    if (!shape || shape->size() != 4 || (pastLength && *pastLength != (*shape)[2]))
      return func.emitError() << "input '" << inputName(func, argNo)
                              << "' is not a [batch, kv_heads, past, head_dim] tensor with "
                                 "the same past length as the other past inputs";
    pastLength = (*shape)[2];
  }

  // Layer N's attention reads the cache concats of past_key_values.N.
  std::map<std::pair<int64_t, bool>, Operation *> concatOf; // (layer, is key) -> Concat
  int64_t layer = 0;
  SmallVector<Operation *> dead;
  LogicalResult status = success();
  func.walk([&](attn::AttentionOp op) {
    for (bool isKey : {true, false}) {
      OpOperand &operand = isKey ? op.getKeyMutable() : op.getValueMutable();
      Operation *read = operand.get().getDefiningOp();
      Operation *concat = read && read->getNumOperands() == 1
                              ? read->getOperand(0).getDefiningOp()
                              : nullptr;
      if (!concat || !isKvCacheConcat(concat)) {
        status = op.emitError() << "the " << (isKey ? "key" : "value") << " of layer " << layer
                                << " does not read a past_key_values input through a KV-cache "
                                   "concat, but the model has past inputs";
        return;
      }
      auto past = cast<BlockArgument>(concat->getOperand(0));
      auto it = pastInputs.find(past.getArgNumber());
      std::string name = inputName(func, past.getArgNumber()).str();
      if (it == pastInputs.end() || it->second != std::pair(layer, isKey)) {
        status = op.emitError() << "input '" << name << "' is concatenated with the "
                                << (isKey ? "keys" : "values") << " of layer " << layer
                                << " (expected past_key_values." << layer << "."
                                << (isKey ? "key" : "value") << ")";
        return;
      }
      // Besides the concat, only its shape may be read (the past length,
      // for the positions' offset; checked again once that is gone).
      if (llvm::any_of(past.getUsers(),
                       [&](Operation *u) { return u != concat && !isa<od::ShapeOp>(u); })) {
        status = func.emitError() << "input '" << name
                                  << "' is used for something other than its layer's cache concat";
        return;
      }
      // The new keys/values, token-major, are what paged_attention appends.
      operand.set(concat->getOperand(1).getDefiningOp()->getOperand(0));
      concatOf[{layer, isKey}] = concat;
      if (read->use_empty())
        dead.push_back(read);
    }
    ++layer;
  });
  if (failed(status))
    return failure();
  for (auto &[argNo, cache] : pastInputs)
    if (!concatOf.count(cache))
      return func.emitError() << "input '" << inputName(func, argNo)
                              << "' does not feed its layer's attention";

  // present.N.key/value return exactly layer N's concats; they leave the step.
  llvm::BitVector dropResults(func.getNumResults());
  for (unsigned i = 1; i < func.getNumResults(); ++i) {
    StringRef name = resultName(i);
    auto cache = cacheName(name, "present.");
    auto it = cache ? concatOf.find(*cache) : concatOf.end();
    if (it == concatOf.end() || ret.getOperand(i).getDefiningOp() != it->second)
      return func.emitError() << "output '" << name
                              << "' is not a present.N.key/value output returning layer N's "
                                 "KV-cache concat (the step function returns only the logits)";
    dropResults.set(i);
  }
  ret->eraseOperands(dropResults);
  if (failed(func.eraseResults(dropResults)))
    return failure();
  for (Operation *read : dead)
    read->erase();
  for (auto &[key, concat] : concatOf) {
    Operation *swap = concat->getOperand(1).getDefiningOp();
    if (concat->use_empty())
      concat->erase();
    if (swap->use_empty())
      swap->erase();
  }

  // Positions offset by the past length are the step's absolute positions.
  status = success();
  func.walk([&](attn::PositionsOp p) {
    if (Value offset = p.getOffset()) {
      const SymVector *contents = analysis.contentsOf(offset);
      if (!contents || contents->size() != 1 || (*contents)[0] != *pastLength)
        status = p.emitError("the positions' offset is not provably the past length");
    }
  });
  return status;
}

LogicalResult KVCacheInsertion::checkAttention(attn::AttentionOp op) {
  if (!op.getCausal())
    return op.emitError("non-causal attention cannot run incrementally over a KV cache");
  if (op.getBias())
    return op.emitError("an attention bias is not supported by the paged KV cache yet");
  if (op.getSinkTokens() != 0)
    return op.emitError("sink tokens are not supported by the paged KV cache yet");
  if (Value mask = op.getKeyPaddingMask()) {
    Value source = mask;
    if (auto cast = mask.getDefiningOp<od::CastOp>())
      source = cast.getInput();
    if (source != attentionMask || !attentionMask)
      return op.emitError("the key padding mask does not come from the 'attention_mask' input");
  }
  return success();
}

// [batch, seq, ...] or [1, seq, ...] (position-derived) activations.
bool KVCacheInsertion::isTokenValue(Value v) const {
  const SymVector *shape = analysis.shapeOf(v);
  if (!shape || shape->size() < 2 || !isa<RankedTensorType>(v.getType()))
    return false;
  return (*shape)[1] == seq && ((*shape)[0] == batch || (*shape)[0] == SymDim::constant(1));
}

LogicalResult KVCacheInsertion::rewriteOp(Operation *op, OpBuilder &builder) {
  builder.setInsertionPoint(op);
  if (auto p = dyn_cast<attn::PositionsOp>(op)) {
    p.getPositions().replaceAllUsesWith(positions);
    toErase.push_back(op);
    return success();
  }
  if (auto attention = dyn_cast<attn::AttentionOp>(op)) {
    int64_t window = static_cast<int64_t>(attention.getWindow());
    auto it = groupOfWindow.find(window); // numbered by run()
    auto resultType = dropTokenDim(cast<RankedTensorType>(attention.getType()));
    auto paged = attn::PagedAttentionOp::create(
        builder, attention.getLoc(), resultType, attention.getQuery(), attention.getKey(),
        attention.getValue(), builder.getI64IntegerAttr(nextLayer++),
        builder.getI64IntegerAttr(it->second), attention.getNumHeadsAttr(),
        attention.getNumKvHeadsAttr(), attention.getHeadDimAttr(), attention.getScaleAttr(),
        attention.getWindowAttr(), attention.getSoftcapAttr(),
        /*kv_cache_type=*/nullptr); // attn-quantize-kv-cache
    attention.getOutput().replaceAllUsesWith(paged.getOutput());
    toErase.push_back(op);
    return success();
  }
  // The padding mask's Cast dies with the attention ops.
  if (isa<od::CastOp>(op) && attentionMask && op->getOperand(0) == attentionMask)
    return success();
  bool producesTokens = llvm::any_of(op->getResults(), [&](Value r) { return isTokenValue(r); });
  bool readsTokens = llvm::any_of(op->getOperands(), [&](Value v) { return isTokenValue(v); });
  if (!producesTokens && readsTokens)
    return op->emitError() << "'" << op->getName()
                           << "' reads token activations but is not per-token";
  if (!producesTokens)
    return success();

  // Per-token data movement: shift the token dims out of shapes and axes.
  if (auto reshape = dyn_cast<od::ReshapeOp>(op)) {
    auto target = raise::intConstants(reshape.getShape());
    SmallVector<int64_t> shifted(target->begin() + 1, target->end());
    reshape.getShapeMutable().assign(makeI64Constant(builder, op->getLoc(), shifted));
  } else if (auto split = dyn_cast<od::SplitOp>(op)) {
    split.setAxis(static_cast<int64_t>(split.getAxis()) - 1); // normalised by run()
  } else if (auto slice = dyn_cast<od::SliceOp>(op)) {
    SmallVector<int64_t> axes = *raise::intConstants(slice.getAxes()); // normalised by run()
    for (int64_t &a : axes)
      a -= 1;
    slice.getAxesMutable().assign(makeI64Constant(builder, op->getLoc(), axes));
  } else if (auto add = dyn_cast<od::AddOp>(op)) {
    if (!isTokenValue(add.getA()) || !isTokenValue(add.getB()))
      return op->emitError("an Add of a token activation and a non-token value cannot be "
                           "split into tokens");
  } else if (!isa<attn::AttnDialect>(op->getDialect())) {
    return op->emitError() << "'" << op->getName() << "' cannot be split into tokens";
  }
  for (Value r : op->getResults())
    if (isTokenValue(r))
      r.setType(dropTokenDim(cast<RankedTensorType>(r.getType())));
  return success();
}

// Walks back from the returned logits through the per-token tail (softcap, scale,
// lm_head, final norm) and selects the wanted rows before it.
void KVCacheInsertion::selectLogitRows(OpBuilder &builder) {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  Value head = ret.getOperand(0);
  Operation *first = nullptr;
  while (Operation *def = head.getDefiningOp()) {
    if (!isa<attn::LogitSoftcapOp, attn::LogitScaleOp, attn::LinearOp, attn::QuantizedLinearOp,
             attn::RmsNormOp,
             attn::LayerNormOp>(def) ||
        !def->getResult(0).hasOneUse())
      break;
    first = def;
    head = def->getOperand(0);
    if (isa<attn::RmsNormOp, attn::LayerNormOp>(def))
      break; // the final norm starts the tail
  }
  Operation *insertBefore = first ? first : ret.getOperation();
  builder.setInsertionPoint(insertBefore);
  auto selected = attn::SelectTokensOp::create(builder, ret.getLoc(), head.getType(), head,
                                               logitTokens);
  if (first)
    first->setOperand(0, selected);
  else
    ret.setOperand(0, selected);
}

LogicalResult KVCacheInsertion::run() {
  if (failed(analysis.run()) || failed(findInputs()) || failed(mapPastOntoCache()))
    return failure();
  bool ok = true;
  func.walk([&](attn::AttentionOp op) { ok &= succeeded(checkAttention(op)); });
  if (!ok)
    return failure();
  // Number the cache groups before rewriting: numbering in program order
  // would make a windowed first layer (Gemma-2) group 0, but full attention
  // comes first; groupOfWindow is ordered by window, and 0 (none) is least.
  func.walk([&](attn::AttentionOp op) {
    groupOfWindow.try_emplace(static_cast<int64_t>(op.getWindow()), 0);
  });
  int64_t group = 0;
  for (auto &entry : groupOfWindow)
    entry.second = group++;
  Block &body = func.getBody().front();
  OpBuilder builder(func.getContext());

  // Check the raised form and normalise negative axes while the types still
  // hold the (batch, seq) dims.
  for (Operation &op : body.without_terminator()) {
    if (!llvm::any_of(op.getResults(), [&](Value r) { return isTokenValue(r); }))
      continue;
    if (std::string reason = unraisedReason(&op); !reason.empty())
      return op.emitError() << "'" << op.getName() << "' remains after raising: " << reason;
    builder.setInsertionPoint(&op);
    if (auto split = dyn_cast<od::SplitOp>(op)) {
      int64_t axis = static_cast<int64_t>(split.getAxis());
      if (axis < 0)
        split.setAxis(axis + raise::rankOf(split.getInput()));
    } else if (auto slice = dyn_cast<od::SliceOp>(op)) {
      int64_t rank = raise::rankOf(slice.getData());
      SmallVector<int64_t> axes = *raise::intConstants(slice.getAxes());
      for (int64_t &a : axes)
        a = a < 0 ? a + rank : a;
      slice.getAxesMutable().assign(makeI64Constant(builder, op.getLoc(), axes));
    }
  }

  // The step's inputs, in ModelABI.h order.
  auto i64Tokens = RankedTensorType::get({ShapedType::kDynamic}, builder.getI64Type());
  unsigned firstNew = func.getNumArguments();
  for (StringRef name : {"token_ids", "positions", "logit_tokens"}) {
    if (failed(func.insertArgument(func.getNumArguments(), i64Tokens,
                                   builder.getDictionaryAttr(builder.getNamedAttr(
                                       "attn.step_input", builder.getStringAttr(name))),
                                   func.getLoc())))
      return failure();
  }
  tokenIds = func.getArgument(firstNew);
  positions = func.getArgument(firstNew + 1);
  logitTokens = func.getArgument(firstNew + 2);
  inputIds.replaceAllUsesWith(tokenIds);
  if (positionIds)
    positionIds.replaceAllUsesWith(positions);

  for (Operation &op : llvm::make_early_inc_range(body.without_terminator()))
    if (failed(rewriteOp(&op, builder)))
      return failure();
  for (Operation *op : llvm::reverse(toErase))
    op->erase();
  // Padding-mask Casts (and whatever else only fed erased ops) are dead now.
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (op->use_empty() && !isa<attn::PagedAttentionOp>(op))
      op->erase();
  for (auto &[argNo, cache] : pastInputs)
    if (!func.getArgument(argNo).use_empty())
      return (*func.getArgument(argNo).getUsers().begin())->emitError()
             << "input '" << inputName(func, argNo)
             << "' is used for something other than its layer's cache concat";
  if (attentionMask && !attentionMask.use_empty())
    return (*attentionMask.getUsers().begin())->emitError(
        "'attention_mask' is used for something other than a padding mask");

  selectLogitRows(builder);

  // Drop the (batch, seq) inputs and fix the signature.
  llvm::BitVector erase(func.getNumArguments());
  for (unsigned i = 0; i < firstNew; ++i)
    erase.set(i);
  if (failed(func.eraseArguments(erase)))
    return failure();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                 ret.getOperandTypes()));
  return success();
}

struct InsertKVCachePass : impl::InsertKVCacheBase<InsertKVCachePass> {
  using InsertKVCacheBase::InsertKVCacheBase;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (failed(KVCacheInsertion(func).run()))
      return signalPassFailure();
    Builder b(func.getContext());
    func->setAttr("attn.page_size", b.getI64IntegerAttr(pageSize));
  }
};

} // namespace
} // namespace attnc
