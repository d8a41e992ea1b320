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
//   onnx.Concat, onnx.Transpose        the KV-cache concat of a graph exported with past_key_values
//                                      inputs: Concat(past input [b, kvh, past, d],
//                                      Transpose(new K/V [b, s, kvh, d])) along the sequence axis,
//                                      returned (present.N) and/or read by attention through
//                                      Transpose(0, 2, 1, 3) (isKvCacheConcat)
//   Shape, Squeeze, Unsqueeze, Gather, integer scalars that only feed attn.positions' offset
//   Add, Cast                          (the past length)
//
// Code generation and KV-cache insertion rely on this list; keep it short and
// keep README.md's copy in sync.
#pragma once

#include "mlir/IR/Operation.h"

#include <string>

namespace attnc {

// Empty when `op` may remain after raising; otherwise why it may not.
std::string unraisedReason(mlir::Operation *op);

// Whether `op` is the KV-cache concat of a graph with past_key_values inputs:
// an onnx.Concat of a rank-4 function argument (the past, head-major) and a
// Transpose(0, 2, 1, 3) of the new keys or values, along axis 2, whose every
// user is the function's return or a Transpose(0, 2, 1, 3) read only as the
// key or value of attn.attention.
bool isKvCacheConcat(mlir::Operation *op);

} // namespace attnc
