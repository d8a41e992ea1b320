// RUN: attnc-opt %s -split-input-file -attn-raise-residuals | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-raise-residuals | attnc-opt -split-input-file | FileCheck %s

// Pre-norm block: the stream (an embedding) plus a projection's output.
// CHECK-LABEL: func.func @pre_norm
// CHECK: %[[E:.*]] = attn.embedding
// CHECK: %[[P:.*]] = attn.linear
// CHECK: attn.residual_add %[[E]], %[[P]] : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
// CHECK-NOT: onnx.Add
func.func @pre_norm(%ids: tensor<?x?xi64>, %table: tensor<16x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x?x8xf32> {
  %e = attn.embedding %table, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %p = attn.linear %e, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r = onnx.Add(%p, %e) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %r : tensor<?x?x8xf32>
}

// -----

// Post-sublayer norm (Gemma-2/3): the update is a norm of the projection.
// CHECK-LABEL: func.func @post_norm
// CHECK: %[[N:.*]] = attn.rms_norm
// CHECK: attn.residual_add %arg0, %[[N]]
func.func @post_norm(%h: tensor<?x?x8xf32>, %w: tensor<8x8xf32>, %g: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %p = attn.linear %h, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %n = attn.rms_norm %p, %g {epsilon = 1.0e-6 : f32} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %r = onnx.Add(%h, %n) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %r : tensor<?x?x8xf32>
}

// -----

// Parallel block (Falcon, GPT-NeoX): attention and MLP outputs are summed
// first; that sum is the update, and the sum itself is not a residual.
// CHECK-LABEL: func.func @parallel_block
// CHECK: %[[A:.*]] = attn.linear
// CHECK: %[[M:.*]] = attn.linear
// CHECK: %[[S:.*]] = onnx.Add(%[[M]], %[[A]])
// CHECK: attn.residual_add %arg0, %[[S]]
func.func @parallel_block(%h: tensor<?x?x8xf32>, %wa: tensor<8x8xf32>, %wm: tensor<8x8xf32>) -> tensor<?x?x8xf32> {
  %a = attn.linear %h, %wa {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %m = attn.linear %h, %wm {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %s = onnx.Add(%m, %a) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %r = onnx.Add(%s, %h) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %r : tensor<?x?x8xf32>
}

// -----

// GPT-2's Gemm projections work on [batch*seq, hidden] and are reshaped back.
// CHECK-LABEL: func.func @reshaped_projection
// CHECK: %[[R:.*]] = onnx.Reshape
// CHECK: attn.residual_add %arg0, %[[R]]
func.func @reshaped_projection(%h: tensor<?x?x8xf32>, %flat: tensor<?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x?x8xf32> {
  %p = attn.linear %flat, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %shape = onnx.Constant() {value = dense<[1, -1, 8]> : tensor<3xi64>} : () -> tensor<3xi64>
  %p3 = onnx.Reshape(%p, %shape) : (tensor<?x8xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  %r = onnx.Add(%h, %p3) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %r : tensor<?x?x8xf32>
}

// -----

// Must not fire: token + position embeddings (GPT-2) are not a sublayer.
// CHECK-LABEL: func.func @embedding_sum_stays
// CHECK: onnx.Add
// CHECK-NOT: attn.residual_add
func.func @embedding_sum_stays(%ids: tensor<?x?xi64>, %pos: tensor<?x?xi64>, %wte: tensor<16x8xf32>, %wpe: tensor<32x8xf32>) -> tensor<?x?x8xf32> {
  %t = attn.embedding %wte, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %p = attn.embedding %wpe, %pos : (tensor<32x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %r = onnx.Add(%t, %p) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %r : tensor<?x?x8xf32>
}

// -----

// Must not fire: a constant bias and a broadcasting Add are not residuals.
// CHECK-LABEL: func.func @bias_and_broadcast_stay
// CHECK-COUNT-2: onnx.Add
// CHECK-NOT: attn.residual_add
func.func @bias_and_broadcast_stay(%h: tensor<?x?x8xf32>, %w: tensor<8x8xf32>, %row: tensor<1x1x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %p = attn.linear %h, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %b = onnx.Constant() {value = dense<1.0> : tensor<1x1x8xf32>} : () -> tensor<1x1x8xf32>
  %r1 = onnx.Add(%p, %b) : (tensor<?x?x8xf32>, tensor<1x1x8xf32>) -> tensor<?x?x8xf32>
  %r2 = onnx.Add(%p, %row) : (tensor<?x?x8xf32>, tensor<1x1x8xf32>) -> tensor<?x?x8xf32>
  return %r1, %r2 : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Granite: the sublayer output times residual_multiplier (either operand
// order of the Mul and of the Add) is the update; the factor becomes the
// add's `scale` and the Mul disappears.
// CHECK-LABEL: func.func @scaled_update
// CHECK: %[[P:.*]] = attn.linear
// CHECK: %[[R:.*]] = attn.residual_add %arg0, %[[P]] {scale = 2.200000e-01 : f32}
// CHECK: %[[Q:.*]] = attn.linear
// CHECK: attn.residual_add %[[R]], %[[Q]] {scale = 2.200000e-01 : f32}
// CHECK-NOT: onnx.Mul
// CHECK-NOT: onnx.Add
func.func @scaled_update(%h: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x?x8xf32> {
  %c = onnx.Constant() {value = dense<0.22> : tensor<f32>} : () -> tensor<f32>
  %p = attn.linear %h, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %s = onnx.Mul(%p, %c) : (tensor<?x?x8xf32>, tensor<f32>) -> tensor<?x?x8xf32>
  %r = onnx.Add(%h, %s) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %q = attn.linear %r, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %t = onnx.Mul(%c, %q) : (tensor<f32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %r2 = onnx.Add(%t, %r) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %r2 : tensor<?x?x8xf32>
}

// -----

// Must not fire: a scaled projection whose product has another user (the
// Mul must stay, so the add is not folded into it), a product by a
// non-constant, and a scaled non-sublayer value.
// CHECK-LABEL: func.func @scaled_update_not_fired
// CHECK-NOT: attn.residual_add
// CHECK-COUNT-3: onnx.Add
// CHECK-NOT: attn.residual_add
func.func @scaled_update_not_fired(%h: tensor<?x?x8xf32>, %w: tensor<8x8xf32>, %k: tensor<f32>, %x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %c = onnx.Constant() {value = dense<0.22> : tensor<f32>} : () -> tensor<f32>
  %p = attn.linear %h, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %s = onnx.Mul(%p, %c) : (tensor<?x?x8xf32>, tensor<f32>) -> tensor<?x?x8xf32>
  %r1 = onnx.Add(%h, %s) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %sk = onnx.Mul(%p, %k) : (tensor<?x?x8xf32>, tensor<f32>) -> tensor<?x?x8xf32>
  %r2 = onnx.Add(%h, %sk) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %sx = onnx.Mul(%x, %c) : (tensor<?x?x8xf32>, tensor<f32>) -> tensor<?x?x8xf32>
  %r3 = onnx.Add(%h, %sx) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %r1, %r2, %r3, %s : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>
}
