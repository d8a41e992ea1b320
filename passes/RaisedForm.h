// What a fully raised function may still contain besides attn ops.
//
// After attn-raise, everything that computes is an attn op. The onnx ops that
// may remain only move data within a token or combine two attn results:
//
//   onnx.Constant, onnx.NoValue        weights, shape operands
//   onnx.Reshape                       target keeps dims 0 and 1 (0, 0, ...): splits/merges heads
//   onnx.Split, onnx.Slice             along a per-token axis (>= 2): fused QKV / gate-up outputs
//   onnx.Cast                          a [batch, seq] input to i1 that only feeds attention's padding
//   onnx.Add                           two attn results (parallel attention + MLP, token + position
//                                      embeddings)
//
// Code generation and KV-cache insertion rely on this list; keep it short and
// keep README.md's copy in sync.
#pragma once

#include "mlir/IR/Operation.h"

#include <string>

namespace attnc {

// Empty when `op` may remain after raising; otherwise why it may not.
std::string unraisedReason(mlir::Operation *op);

} // namespace attnc
