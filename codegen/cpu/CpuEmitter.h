// The CPU flavour of code generation: a step function (after
// attn-insert-kv-cache) becomes one C++ source file implementing the model
// ABI (runtime/ModelABI.h) on the CPU kernel library (runtime/cpu), plus the
// weights blob the generated code reads. Activation buffers are planned at
// compile time (liveness-based reuse, sized for max_batch_tokens), weights
// are packed in the layout the kernels want (linear weights out_in), and every
// kernel is instantiated with the head dims, group size, page and tile sizes
// of its op.
#pragma once

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnc::codegen {

struct CpuEmitOptions {
  std::string modelName;      // for comments and the manifest
  int64_t maxBatchTokens = 2048;
  int64_t maxContext = 0;     // 0: from a learned position table, else 8192
};

struct CacheLayer {
  int32_t group, kvHeads, headDim, vHeadDim;
};

// What the artifact writer needs besides the source.
struct EmittedCpuModel {
  std::string source;                  // model.cpp
  std::string header;                  // model.h
  std::vector<uint8_t> weights;        // weights.bin
  std::vector<CacheLayer> layers;      // per paged_attention, in layer order
  std::vector<int32_t> groupWindows;   // per cache group (0 = full)
  int32_t vocabSize = 0, hiddenSize = 0, numHeads = 0, numKvHeads = 0, headDim = 0;
  int32_t maxContext = 0, pageSize = 0;
};

// Fails with an error at the op it cannot generate code for.
mlir::FailureOr<EmittedCpuModel> emitCpuModel(mlir::func::FuncOp step,
                                              const CpuEmitOptions &options);

} // namespace attnc::codegen
