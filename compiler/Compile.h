// The compile driver: ONNX model -> artifact directory. Every tool that
// compiles (attnc compile, benchmarks) goes through compileModel.
//
//   import -> attn-raise -> attn-check-raised -> attn-insert-kv-cache
//          [-> attn-quantize-kv-cache] -> attn-fuse-residual-norm -> attn-flash-tiling
//          -> attn-fuse-rope-kv-append [-> attn-quantize-weights]
//          -> code generation (codegen/cpu) -> weights.bin (the weight plan
//             evaluated), weights.plan.json, weights.inline.bin, model.cpp,
//             model.h, manifest.json -> system C++ compiler -> libmodel.so
//
// The artifact is assembled in a temporary directory next to the output and
// renamed into place only when everything succeeded, so a failed compile never
// leaves (or destroys) a half-written artifact.
#pragma once

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <string>

namespace attnc {

struct CompileOptions {
  std::string outputDir;
  std::string target = "cpu";  // cpu (cuda: issue 5)
  std::string dtype = "f32";   // f32 (f16/bf16 follow)
  int64_t pageSize = 16;
  int64_t maxBatchTokens = 2048;
  int64_t maxContext = 0;      // 0: the model's learned position table, else 8192
  // Write no weights.bin (the manifest says so); `attnc pack` builds it later
  // from the plan, where the checkpoint lives.
  bool stripWeights = false;
  // Weight-only quantization scheme of attn-quantize-weights (w8, w4g128,
  // ...; passes/Passes.h); empty: none.
  std::string quantize;
  // Quantize the lm_head too (with `quantize`; the embedding stays).
  bool quantizeLmHead = false;
  // Calibration statistics (`attnc calibrate`; runtime/pack/Calibration.h):
  // with `quantize`, the weights are quantized by GPTQ against them instead
  // of rounded to nearest (with stripWeights the file is not read: the
  // packer needs it). Empty: none.
  std::string calibration;
  // KV-cache type of attn-quantize-kv-cache (int8, fp8); empty: the model's
  // dtype.
  std::string kvCache;
};

// Reports problems through the context's diagnostic handler.
mlir::LogicalResult compileModel(const std::string &modelPath, const CompileOptions &options,
                                 mlir::MLIRContext &context);

} // namespace attnc
