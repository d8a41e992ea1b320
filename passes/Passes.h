#pragma once

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

#include "dialects/Attention/AttnDialect.h"
#include "dialects/Onnx/OnnxDialect.h"

#include <memory>

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

} // namespace attnc
