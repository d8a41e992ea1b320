#pragma once

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

#include "dialects/Attention/AttnDialect.h"
#include "dialects/Onnx/OnnxDialect.h"
#include "runtime/QuantizedKV.h"

#include <cstdint>
#include <memory>
#include <optional>

namespace attnc {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

// The raising patterns, for pipelines that combine them.
void populateRaiseNormsPatterns(mlir::RewritePatternSet &patterns);
void populateRaiseLinearsPatterns(mlir::RewritePatternSet &patterns);
void populateRaiseActivationsPatterns(mlir::RewritePatternSet &patterns);
void populateRaiseRopePatterns(mlir::RewritePatternSet &patterns);
void populateRaiseAttentionPatterns(mlir::RewritePatternSet &patterns);
void populateRaiseResidualsPatterns(mlir::RewritePatternSet &patterns);
void populateFuseProjectionsPatterns(mlir::RewritePatternSet &patterns);
// The local (shape-analysis free) rewrites of attn-simplify-layouts.
void populateSimplifyLayoutsPatterns(mlir::RewritePatternSet &patterns);
// The decomposed MatMul/Softmax/MatMul form; part of populateRaiseAttentionPatterns.
void populateRaiseDecomposedAttentionPatterns(mlir::RewritePatternSet &patterns);

// A weight-only quantization scheme of attn-quantize-weights / attnc compile
// --quantize: w8 (8-bit, per output channel), w4gG (4-bit, groups of G), w4gGa
// (asymmetric, with zero points); nullopt for any other name.
struct QuantizationScheme {
  int bits = 8;
  int64_t groupSize = 0; // 0: per output channel
  bool asymmetric = false;
};
std::optional<QuantizationScheme> parseQuantizationScheme(llvm::StringRef name);
// The accepted names, for error messages.
inline constexpr const char *kQuantizationSchemes =
    "w8, w8g128, w8g64, w8g32, w8g128a, w8g64a, w8g32a, w4g128, w4g64, w4g32, w4g128a, w4g64a, "
    "w4g32a";

// A quantized KV-cache type of attn-quantize-kv-cache / attnc compile
// --kv-cache: int8, fp8 (e4m3; also fp8_e4m3); nullopt for any other name.
std::optional<attnrt::KvType> parseKvCacheType(llvm::StringRef name);
inline constexpr const char *kKvCacheTypes = "int8, fp8";

} // namespace attnc
