// The CPU target: C++ over the CPU kernel library (runtime/cpu), built by
// the system compiler. The model's state is a thread pool (`ctx`), the
// weights read in place from the mapped weights.bin, and a host arena; the
// KV cache is host memory the runtime allocates. Attention runs the tile
// loop attn-flash-tiling spelled in the IR, translated into C++ over
// runtime/cpu/Attention.h's FlashWorkItem.
#include "codegen/TargetEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace attnc::codegen {
namespace {

std::string floatLiteral(double v) { return llvm::formatv("{0:e9}f", v).str(); }

// The tile loop of an attn.flash_attention body (attn-flash-tiling) as the
// body of the C++ lambda runtime/cpu/Attention.h's run_flash_attention runs
// per work item. The item (a FlashWorkItem) holds the online-softmax state in
// place, so the translation checks that the IR threads one state through the
// loop (init -> iter_args -> online_softmax -> yield -> flash_yield) and one
// tile through load -> scores -> softcap -> update; anything else is refused.
class FlashBodyTranslator {
public:
  explicit FlashBodyTranslator(attn::FlashAttentionOp flash) : flash(flash) {}

  FailureOr<std::string> translate() {
    Block &body = flash.getBody().front();
    queries = body.getArgument(0);
    index[body.getArgument(1)] = "item.key_begin()";
    index[body.getArgument(2)] = "item.key_end()";
    if (failed(block(body, "      ")))
      return failure();
    auto yield = cast<attn::FlashYieldOp>(body.getTerminator());
    if (!isState(yield.getState()))
      return yield.emitError("flash_attention must yield the loop's online-softmax state");
    return out;
  }

private:
  LogicalResult block(Block &b, StringRef indent) {
    for (Operation &op : b.without_terminator())
      if (failed(translate(&op, indent)))
        return failure();
    return success();
  }

  bool isState(ValueRange values) const {
    return values.size() == 3 && SmallVector<Value>(values) == state;
  }

  FailureOr<std::string> indexExpr(Operation *user, Value v) {
    auto found = index.find(v);
    if (found == index.end())
      return user->emitError("flash_attention body: unsupported index operand");
    return found->second;
  }

  LogicalResult translate(Operation *op, StringRef indent) {
    if (auto c = dyn_cast<arith::ConstantIndexOp>(op)) {
      index[c.getResult()] = std::to_string(c.value());
      return success();
    }
    if (isa<arith::DivUIOp, arith::MulIOp, arith::AddIOp>(op)) {
      FailureOr<std::string> a = indexExpr(op, op->getOperand(0)), b = indexExpr(op, op->getOperand(1));
      if (failed(a) || failed(b))
        return failure();
      const char *sign = isa<arith::DivUIOp>(op) ? " / " : isa<arith::MulIOp>(op) ? " * " : " + ";
      index[op->getResult(0)] = "(" + *a + sign + *b + ")";
      return success();
    }
    if (auto init = dyn_cast<attn::SoftmaxStateInitOp>(op)) {
      if (init.getQueries() != queries || !state.empty())
        return op->emitError("flash_attention body: one state of the item's queries expected");
      state = {init.getMax(), init.getSum(), init.getAcc()};
      out += (indent + "item.init_state();\n").str();
      return success();
    }
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      if (loopVar || !isState(loop.getInitArgs()))
        return op->emitError("flash_attention body: one tile loop carrying the state expected");
      FailureOr<std::string> lb = indexExpr(op, loop.getLowerBound()),
                             ub = indexExpr(op, loop.getUpperBound()),
                             step = indexExpr(op, loop.getStep());
      if (failed(lb) || failed(ub) || failed(step))
        return failure();
      loopVar = loop.getInductionVar();
      index[loopVar] = "tile_start";
      state = SmallVector<Value>(loop.getRegionIterArgs());
      out += llvm::formatv("{0}for (int32_t tile_start = {1}; tile_start < {2}; tile_start += {3}) {{\n",
                           indent, *lb, *ub, *step)
                 .str();
      if (failed(block(*loop.getBody(), (indent + "  ").str())))
        return failure();
      auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
      if (!isState(yield.getResults()))
        return yield.emitError("flash_attention body: the loop must yield the updated state");
      out += (indent + "}\n").str();
      state = SmallVector<Value>(loop.getResults());
      return success();
    }
    if (auto load = dyn_cast<attn::LoadKvTileOp>(op)) {
      if (load.getStart() != loopVar)
        return op->emitError("flash_attention body: tiles must start at the loop variable");
      tileKeys = load.getKeys();
      tileValues = load.getValues();
      out += (indent + "item.load_kv_tile(tile_start);\n").str();
      return success();
    }
    if (auto scoresOp = dyn_cast<attn::TileScoresOp>(op)) {
      if (scoresOp.getQueries() != queries || scoresOp.getKeys() != tileKeys)
        return op->emitError("flash_attention body: scores of the item's queries against the "
                             "loaded tile expected");
      scores = scoresOp.getScores();
      out += llvm::formatv("{0}item.tile_scores({1});\n", indent,
                           floatLiteral(scoresOp.getScale().convertToFloat()))
                 .str();
      return success();
    }
    if (auto cap = dyn_cast<attn::LogitSoftcapOp>(op)) {
      if (cap.getX() != scores)
        return op->emitError("flash_attention body: softcap of the tile's scores expected");
      scores = cap.getOutput();
      out += llvm::formatv("{0}item.softcap_scores({1});\n", indent,
                           floatLiteral(cap.getCap().convertToFloat()))
                 .str();
      return success();
    }
    if (auto update = dyn_cast<attn::OnlineSoftmaxOp>(op)) {
      if (update.getScores() != scores || update.getValues() != tileValues ||
          !isState({update.getMax(), update.getSum(), update.getAcc()}))
        return op->emitError("flash_attention body: the update must read the tile's scores and "
                             "values and the running state");
      state = {update.getNewMax(), update.getNewSum(), update.getNewAcc()};
      out += (indent + "item.online_softmax();\n").str();
      return success();
    }
    return op->emitError() << "flash_attention body: '" << op->getName()
                           << "' is not supported by the CPU target";
  }

  attn::FlashAttentionOp flash;
  std::string out;
  llvm::DenseMap<Value, std::string> index; // index values -> C++ expressions
  Value queries, loopVar, tileKeys, tileValues, scores;
  SmallVector<Value> state; // the current (max, sum, acc)
};

class CpuTarget final : public TargetEmitter {
public:
  const char *name() const override { return "cpu"; }
  const char *sourceName() const override { return "model.cpp"; }
  int elemBytes() const override { return 4; }
  const char *elemType() const override { return "float"; }

  std::string preamble() const override {
    return "#include \"runtime/cpu/Attention.h\"\n#include \"runtime/cpu/Copy.h\"\n"
           "#include \"runtime/cpu/Elementwise.h\"\n#include \"runtime/cpu/Linear.h\"\n"
           "#include \"runtime/cpu/Norm.h\"\n#include \"runtime/cpu/PagedKV.h\"\n"
           "#include \"runtime/cpu/Rope.h\"\n#include \"runtime/cpu/ThreadPool.h\"\n\n"
           "namespace rt = attnrt::cpu;\nusing Elem = float;\n\n";
  }

  std::string quantizedLinearIncludes() const override {
    return "#include \"runtime/cpu/QuantLinear.h\"\n";
  }

  std::string modelMembers(bool tables) const override {
    std::string members = "  explicit Model(int threads) : pool(threads) {}\n"
                          "  rt::ThreadPool pool;\n"
                          "  std::unique_ptr<Elem[]> arena_storage;\n";
    if (tables)
      members += "  std::vector<std::vector<float>> tables; // RoPE tables\n"
                 "  const float *keep_f32(const float *values, int64_t n) {\n"
                 "    tables.emplace_back(values, values + n);\n"
                 "    return tables.back().data();\n  }\n";
    return members;
  }

  std::string createFunction(const std::string &tableSetup) const override {
    return "int model_create(const void *weights, uint64_t weights_bytes, int32_t num_threads,\n"
           "                 void **instance, char *error, size_t error_len) {\n"
           "  if (weights_bytes != kWeightsBytes)\n"
           "    return fail(error, error_len, \"the weights do not have the size this model was "
           "compiled for\");\n"
           "  std::unique_ptr<Model> m(new (std::nothrow) Model(num_threads));\n"
           "  if (!m) return fail(error, error_len, \"out of memory\");\n"
           "  // Weights are read in place from the mapped weights.bin.\n"
           "  const char *base = static_cast<const char *>(weights);\n"
           "  for (int i = 0; i < kNumWeights; ++i)\n"
           "    m->w[i] = base + kWeightOffsets[i];\n"
           "  m->arena_storage.reset(new (std::nothrow) Elem[kArenaElems]);\n"
           "  if (!m->arena_storage) return fail(error, error_len, \"out of memory for "
           "activations\");\n"
           "  m->arena = m->arena_storage.get();\n" +
           tableSetup +
           "  rt::configure_blas_threads();\n"
           "  *instance = m.release();\n  return 0;\n}\n\n";
  }

  std::string stepPrologue() const override {
    return "  rt::ThreadPool &ctx = m.pool;\n  const attnc_step_args *a = host;\n";
  }
  std::string stepEpilogue() const override { return "  return 0;\n"; }
  std::string extraFunctions() const override { return ""; }
  const char *cacheAllocators() const override { return "nullptr, nullptr"; }

  FailureOr<std::string> flashAttention(const FlashAttentionCall &call) const override {
    attn::FlashAttentionOp op = call.op; // accessors are not const
    if (op.getQueryBlock() <= 0 || op.getSplitKv() <= 0)
      return op.emitError("the CPU attention needs a query block and a flash-decoding split "
                          "(run attn-flash-tiling with target=cpu)");
    FailureOr<std::string> tileLoop = FlashBodyTranslator(op).translate();
    if (failed(tileLoop))
      return failure();
    // The tiling attn-flash-tiling chose, and the tile loop it wrote.
    return llvm::formatv("    rt::run_flash_attention<Elem, {0}, {1}, {2}, kPageSize, {3}, {4}, "
                         "{5}{7}>(\n        ctx, args, [&](auto &item) {{\n{6}    });\n",
                         call.headDim, call.vHeadDim, call.groupSize, op.getTileKv(),
                         op.getQueryBlock(), op.getSplitKv(), *tileLoop, call.kvTypeArg)
        .str();
  }
};

} // namespace

std::unique_ptr<TargetEmitter> makeCpuTarget() { return std::make_unique<CpuTarget>(); }

} // namespace attnc::codegen
