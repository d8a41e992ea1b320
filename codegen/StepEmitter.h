// Code generation for a step function (after attn-insert-kv-cache and
// attn-flash-tiling): one source file implementing the model ABI
// (runtime/ModelABI.h) as calls into a target's kernel library, plus the plan
// of the weights blob it reads. The walker is shared by every target: the
// generated step is the same sequence of `rt::kernel(ctx, ...)` calls over the
// same planned activation buffers (liveness-based reuse, sized for
// max_batch_tokens) and packed weights (linear weights out_in), with
// `namespace rt` bound to runtime/cpu or runtime/cuda and `Elem` to the
// storage type. A TargetEmitter (codegen/TargetEmitter.h) supplies what
// differs: the model's state, create/step framing, and the attention kernel.
#pragma once

#include "runtime/pack/WeightPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attnc::codegen {

struct StepEmitOptions {
  std::string modelName;      // for comments and the manifest
  std::string target = "cpu"; // cpu | cuda
  std::string dtype = "f32";  // storage type of activations, weights and cache
  int64_t maxBatchTokens = 2048;
  int64_t maxContext = 0;     // 0: from a learned position table, else 8192
};

struct CacheLayer {
  int32_t group, kvHeads, headDim, vHeadDim, elemBytes;
  int32_t kvType; // ModelABI.h ATTNC_KV_* (runtime/QuantizedKV.h KvType)
};

// What the artifact writer needs besides the source.
struct EmittedModel {
  std::string source;                  // model.cpp (cpu) or model.cu (cuda)
  std::string sourceName;              // that file name
  std::string header;                  // model.h
  // weights.bin: how to build it (offsets, transforms over the model's
  // initializers), and the initializers as the compiled module holds them.
  attnrt::pack::WeightPlan weightPlan;
  std::shared_ptr<attnrt::pack::InitializerSource> initializers;
  std::vector<CacheLayer> layers;      // per attention layer, in layer order
  std::vector<int32_t> groupWindows;   // per cache group (0 = full)
  int32_t vocabSize = 0, hiddenSize = 0, numHeads = 0, numKvHeads = 0, headDim = 0;
  int32_t maxContext = 0, pageSize = 0;
};

// Fails with an error at the op (or option) it cannot generate code for.
mlir::FailureOr<EmittedModel> emitStepModel(mlir::func::FuncOp step,
                                            const StepEmitOptions &options);

} // namespace attnc::codegen
