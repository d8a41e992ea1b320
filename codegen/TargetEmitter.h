// What a code generation target adds to the shared step walker
// (codegen/StepEmitter.cpp). The walker emits the step's kernel calls as
// `rt::kernel(ctx, ...)` on `Elem` buffers; a target binds `rt`, `Elem` and
// `ctx`, owns the model's state (weights, activation arena, tables) and the
// create / step framing of runtime/ModelABI.h, and generates the attention.
#pragma once

#include "dialects/Attention/AttnOps.h"

#include "mlir/Support/LLVM.h"

#include <memory>
#include <string>

namespace attnc::codegen {

// An attn.flash_attention as the walker resolved it: `argsSetup` declares
// `args` (rt::PagedAttentionArgs<Elem>) for it; the target writes the call.
struct FlashAttentionCall {
  attn::FlashAttentionOp op;
  int64_t headDim, vHeadDim, groupSize;
  // ", rt::KvType::Int8" / ", rt::KvType::Fp8E4M3": the last template
  // argument of the attention kernel for a quantized cache; empty otherwise.
  std::string kvTypeArg;
};

class TargetEmitter {
public:
  virtual ~TargetEmitter() = default;

  virtual const char *name() const = 0;       // manifest / descriptor target
  virtual const char *sourceName() const = 0; // model.cpp, model.cu
  // Bytes per element of activations and cache, and the C++ type.
  virtual int elemBytes() const = 0;
  virtual const char *elemType() const = 0;

  // #includes and `namespace rt = ...;` of the generated file.
  virtual std::string preamble() const = 0;
  // #includes of the quantized-linear kernels, before the preamble, only in
  // models that have quantized linears.
  virtual std::string quantizedLinearIncludes() const = 0;
  // Members and helpers of the generated `struct Model` besides the shared
  // ones (w[], arena, RoPE tables), and its constructor. With `tables`, also
  // `const float *keep_f32(const float *values, int64_t n)`, which stores a
  // table where the kernels read it (generated only when used: an unused
  // member function is a warning, and warnings are errors).
  virtual std::string modelMembers(bool tables) const = 0;
  // The whole model_create: checks the weights size, makes the Model, points
  // w[] at the weights, allocates the arena, then runs `tableSetup`
  // (statements over `m`), and returns it in *instance.
  virtual std::string createFunction(const std::string &tableSetup) const = 0;
  // Statements that open the step function (define `ctx` and `a`, the
  // step's arguments as the kernels read them, from `host`) and close it.
  virtual std::string stepPrologue() const = 0;
  virtual std::string stepEpilogue() const = 0;
  // Functions after model_destroy (e.g. the KV cache allocator) and the
  // descriptor's alloc_cache, free_cache entries.
  virtual std::string extraFunctions() const = 0;
  virtual const char *cacheAllocators() const = 0;
  // The descriptor's features (ATTNC_FEATURE_* of runtime/ModelABI.h).
  virtual const char *features() const { return "0u"; }
  // The name of the function the step prologue / epilogue frame: model_step,
  // or with ATTNC_FEATURE_OVERLAP model_submit (extraFunctions then defines
  // model_step and model_finish), and the descriptor's submit, finish entries.
  virtual const char *stepFunctionName() const { return "model_step"; }
  virtual const char *overlapFunctions() const { return "nullptr, nullptr"; }
  // The statement handing the step's N rows of `vocab` logits at `logits`
  // (a pointer expression) to the runtime: the rows themselves, or with
  // ATTNC_FEATURE_ARGMAX greedy tokens when attnc_step_args.argmax asks.
  virtual std::string logitsOut(const std::string &logits, int64_t vocab) const {
    return "rt::copy_logits(ctx, a->logits, " + logits + ", N * " + std::to_string(vocab) +
           ");\n";
  }

  // The statements running one attention layer after `args` is set up.
  virtual mlir::FailureOr<std::string> flashAttention(const FlashAttentionCall &call) const = 0;

  // Whether 4-bit quantized linears take their neighbours in:
  // `rt::quantized_linear_fused<Bits, GroupSize, Asymmetric>(ctx, x, norm_weight,
  // norm_offset, norm_eps, scratch, rows, in, values, scales, zeros, bias, out,
  // residual, y)` normalizes x (norm_weight not nullptr) and adds residual (not
  // nullptr), so a residual_add_rms_norm between two of them costs nothing.
  virtual bool fusesQuantizedLinearNeighbours() const { return false; }
};

std::unique_ptr<TargetEmitter> makeCpuTarget();
// dtype: f16, bf16 or f32 (the kernels' storage types).
std::unique_ptr<TargetEmitter> makeCudaTarget(const std::string &dtype);

} // namespace attnc::codegen
