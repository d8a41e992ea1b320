// The CUDA target: the same step as CUDA C++ over runtime/cuda/Step.h (the
// attnrt::cuda mirror of the CPU kernel calls), built by nvcc. The model's
// state is an attnrt::cuda::Context (`ctx`: stream, cuBLASLt, the step's
// metadata on the device), the weights copied to device memory once, and a
// device arena; the KV cache is device memory the runtime asks the model for
// (alloc_cache). Storage is f16, bf16 or f32 with f32 arithmetic.
//
// Attention runs runtime/cuda's tensor-core kernel, which implements the
// standard flash_attention body (state init, then per 64-key tile: load,
// scale * Q Kᵀ, optional softcap, online softmax update) in its own
// pipelined loop; the body is checked to be exactly that, and its scale and
// softcap are passed on.
#include "codegen/TargetEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace attnc::codegen {
namespace {

std::string floatLiteral(double v) { return llvm::formatv("{0:e9}f", v).str(); }

constexpr int64_t kKernelTileKeys = 64; // runtime/cuda/Attention.cu kTileKeys

struct StandardBody {
  float scale = 0.0f, softcap = 0.0f;
};

// The attention the kernel computes, if `flash`'s body is the standard tile
// loop over its tiles: one scf.for over load_kv_tile -> tile_scores ->
// [logit_softcap] -> online_softmax carrying the state from
// softmax_state_init to the yield.
FailureOr<StandardBody> matchStandardBody(attn::FlashAttentionOp flash) {
  auto refuse = [&](const Twine &why) {
    flash.emitError() << "the CUDA attention kernel cannot run this flash_attention body: " << why;
    return failure();
  };
  if (flash.getTileKv() != kKernelTileKeys)
    return refuse("tile_kv must be " + Twine(kKernelTileKeys) + " (run attn-flash-tiling with "
                  "target=cuda)");
  Block &body = flash.getBody().front();
  auto init = dyn_cast<attn::SoftmaxStateInitOp>(&body.front());
  scf::ForOp loop;
  for (Operation &op : body.without_terminator()) {
    if (auto l = dyn_cast<scf::ForOp>(&op)) {
      if (loop)
        return refuse("more than one tile loop");
      loop = l;
    } else if (!isa<attn::SoftmaxStateInitOp, arith::ConstantIndexOp, arith::DivUIOp,
                    arith::MulIOp>(&op)) {
      return refuse("unexpected '" + op.getName().getStringRef() + "'");
    }
  }
  if (!init || !loop || init.getQueries() != body.getArgument(0) ||
      loop.getUpperBound() != body.getArgument(2) ||
      SmallVector<Value>(loop.getInitArgs()) != SmallVector<Value>(init->getResults()))
    return refuse("the state must start empty and run through one loop up to the item's last key");
  auto yield = cast<attn::FlashYieldOp>(body.getTerminator());
  if (SmallVector<Value>(yield.getState()) != SmallVector<Value>(loop.getResults()))
    return refuse("the loop's final state must be yielded");

  StandardBody result;
  Block &tile = *loop.getBody();
  auto it = tile.begin();
  auto load = dyn_cast<attn::LoadKvTileOp>(&*it++);
  auto scores = it != tile.end() ? dyn_cast<attn::TileScoresOp>(&*it++) : nullptr;
  if (!load || !scores || load.getStart() != loop.getInductionVar() ||
      scores.getKeys() != load.getKeys() || scores.getQueries() != body.getArgument(0))
    return refuse("each tile must load its keys and values and score the item's queries");
  result.scale = scores.getScale().convertToFloat();
  Value s = scores.getScores();
  if (auto cap = dyn_cast<attn::LogitSoftcapOp>(&*it)) {
    if (cap.getX() != s)
      return refuse("the softcap must apply to the tile's scores");
    result.softcap = cap.getCap().convertToFloat();
    s = cap.getOutput();
    ++it;
  }
  auto update = it != tile.end() ? dyn_cast<attn::OnlineSoftmaxOp>(&*it++) : nullptr;
  if (!update || update.getScores() != s || update.getValues() != load.getValues() ||
      update.getMax() != loop.getRegionIterArgs()[0] ||
      update.getSum() != loop.getRegionIterArgs()[1] ||
      update.getAcc() != loop.getRegionIterArgs()[2])
    return refuse("each tile must update the running state with its scores and values");
  auto tileYield = dyn_cast<scf::YieldOp>(&*it);
  if (!tileYield || SmallVector<Value>(tileYield.getResults()) !=
                        SmallVector<Value>(update->getResults()))
    return refuse("each tile must yield the updated state");
  return result;
}

class CudaTarget final : public TargetEmitter {
public:
  explicit CudaTarget(std::string dtype) : dtype(std::move(dtype)) {}

  const char *name() const override { return "cuda"; }
  const char *sourceName() const override { return "model.cu"; }
  int elemBytes() const override { return dtype == "f32" ? 4 : 2; }
  const char *elemType() const override {
    return dtype == "f32" ? "float" : dtype == "bf16" ? "__nv_bfloat16" : "__half";
  }

  std::string preamble() const override {
    return llvm::formatv("#include \"runtime/cuda/Step.h\"\n\n"
                         "namespace rt = attnrt::cuda;\nusing Elem = {0};\n\n",
                         elemType())
        .str();
  }

  // rt::quantized_linear is part of runtime/cuda/Step.h.
  std::string quantizedLinearIncludes() const override { return ""; }
  // Fused in one kernel for f16 / bf16 decode; f32 would only run the pieces.
  bool fusesQuantizedLinearNeighbours() const override { return dtype != "f32"; }

  std::string modelMembers(bool tables) const override {
    std::string members = "  std::unique_ptr<rt::Context> context;\n";
    if (tables)
      members += "  // RoPE tables, copied to the device (the context owns them).\n"
                 "  const float *keep_f32(const float *values, int64_t n) {\n"
                 "    return static_cast<const float *>(context->upload(values, sizeof(float) * n));\n"
                 "  }\n";
    return members;
  }

  std::string createFunction(const std::string &tableSetup) const override {
    return "int model_create(const void *weights, uint64_t weights_bytes, int32_t num_threads,\n"
           "                 void **instance, char *error, size_t error_len) {\n"
           "  (void)num_threads; // the GPU parallelises each kernel\n"
           "  if (weights_bytes != kWeightsBytes)\n"
           "    return fail(error, error_len, \"the weights do not have the size this model was "
           "compiled for\");\n"
           "  std::unique_ptr<Model> m(new (std::nothrow) Model());\n"
           "  if (!m) return fail(error, error_len, \"out of memory\");\n"
           "  // Decode steps become CUDA graphs (one per batch shape; ATTNC_CUDA_GRAPHS=0: off).\n"
           "  m->context = rt::Context::create(error, error_len, kNumGroups, kPageSize, kNumLayers);\n"
           "  if (!m->context) return 1;\n"
           "  // The weights are copied to the device once; the context owns them.\n"
           "  const char *base = static_cast<const char *>(m->context->upload(weights, "
           "weights_bytes));\n"
           "  if (!base) return fail(error, error_len, \"out of device memory for the weights\");\n"
           "  for (int i = 0; i < kNumWeights; ++i)\n"
           "    m->w[i] = base + kWeightOffsets[i];\n"
           "  m->arena = static_cast<Elem *>(m->context->alloc(sizeof(Elem) * kArenaElems));\n"
           "  if (!m->arena) return fail(error, error_len, \"out of device memory for "
           "activations\");\n" +
           tableSetup + "  *instance = m.release();\n  return 0;\n}\n\n";
  }

  // The operations go in a lambda run_step may replay as a CUDA graph
  // instead of calling (decode steps of a shape seen before).
  // The step is queued (model_submit) and waited for apart (model_finish),
  // so that the runtime queues the next step before this one's tokens are
  // read (runtime/ModelABI.h, ATTNC_FEATURE_OVERLAP).
  const char *stepFunctionName() const override { return "model_submit"; }
  const char *overlapFunctions() const override { return "model_submit, model_finish"; }
  std::string stepPrologue() const override {
    return "  rt::Context &ctx = *m.context;\n"
           "  // The step's metadata on the device (one copy); the host copy plans attention.\n"
           "  const attnc_step_args *a = ctx.begin_step(host);\n"
           "  if (!a) return ctx.submit_step(error, error_len);\n"
           "  // Enqueued, or captured into / replayed from the shape's CUDA graph.\n"
           "  const int rc = ctx.run_step([&]() -> int {\n";
  }
  std::string stepEpilogue() const override {
    return "  return 0;\n  });\n  return rc ? rc : ctx.submit_step(error, error_len);\n";
  }

  std::string extraFunctions() const override {
    return "int model_alloc_cache(void *instance, uint64_t bytes, void **base, char *error,\n"
           "                      size_t error_len) {\n"
           "  rt::Context &ctx = *static_cast<Model *>(instance)->context;\n"
           "  *base = ctx.alloc(bytes); // zero-filled\n"
           "  if (!*base) return fail(error, error_len, \"out of device memory for the KV "
           "cache\");\n"
           "  return 0;\n}\n\n"
           "void model_free_cache(void *instance, void *base) {\n"
           "  static_cast<Model *>(instance)->context->free(base);\n}\n\n"
           "int model_finish(void *instance, char *error, size_t error_len) {\n"
           "  return static_cast<Model *>(instance)->context->finish_step(error, error_len);\n}\n\n"
           "int model_step(void *instance, const attnc_step_args *host, char *error,\n"
           "               size_t error_len) {\n"
           "  return model_submit(instance, host, error, error_len) ? 1\n"
           "                                                        : model_finish(instance, error, "
           "error_len);\n}\n\n";
  }
  const char *cacheAllocators() const override { return "model_alloc_cache, model_free_cache"; }
  // Greedy tokens computed on the device (rt::logits_out, runtime/cuda/Step.h).
  const char *features() const override {
    return "ATTNC_FEATURE_ARGMAX | ATTNC_FEATURE_OVERLAP";
  }
  std::string logitsOut(const std::string &logits, int64_t vocab) const override {
    return "rt::logits_out(ctx, a, " + logits + ", N, " + std::to_string(vocab) + ");\n";
  }

  FailureOr<std::string> flashAttention(const FlashAttentionCall &call) const override {
    attn::FlashAttentionOp op = call.op; // accessors are not const
    FailureOr<StandardBody> body = matchStandardBody(op);
    if (failed(body))
      return failure();
    // A quantized cache's codes are read 16 bytes at a time (runtime/QuantizedKV.h).
    if (op.getKvCacheType() && (call.headDim % 16 != 0 || call.vHeadDim % 16 != 0))
      return op.emitError() << "a " << attn::stringifyKvCacheType(*op.getKvCacheType())
                            << " KV cache on the CUDA target needs head dims that are multiples "
                               "of 16, got "
                            << call.headDim << " and " << call.vHeadDim;
    return llvm::formatv("    args.scale = {0};\n    args.softcap = {1};\n"
                         "    rt::paged_attention<Elem, {2}, {3}, {4}, kPageSize{5}>(ctx, args);\n",
                         floatLiteral(body->scale), floatLiteral(body->softcap), call.headDim,
                         call.vHeadDim, call.groupSize, call.kvTypeArg)
        .str();
  }

private:
  std::string dtype;
};

} // namespace

std::unique_ptr<TargetEmitter> makeCudaTarget(const std::string &dtype) {
  return std::make_unique<CudaTarget>(dtype);
}

} // namespace attnc::codegen
