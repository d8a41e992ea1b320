// RUN: attnc-opt %s -split-input-file -attn-raise-activations | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-raise-activations | attnc-opt -split-input-file | FileCheck %s

// x * Sigmoid(x) is SiLU, in either operand order.
// CHECK-LABEL: func.func @silu
// CHECK-NOT: onnx.Sigmoid
// CHECK: %[[A:.*]] = attn.activation silu %arg0 : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
// CHECK: %[[B:.*]] = attn.activation silu %arg0 : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
// CHECK: return %[[A]], %[[B]]
func.func @silu(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %s = onnx.Sigmoid(%x) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %a = onnx.Mul(%x, %s) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %b = onnx.Mul(%s, %x) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %a, %b : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Sigmoid of another value than the one multiplied is a gate, not SiLU.
// CHECK-LABEL: func.func @sigmoid_of_other_value
// CHECK-NOT: attn.
// CHECK: onnx.Sigmoid(%arg1)
// CHECK: onnx.Mul(%arg0, %{{.*}})
func.func @sigmoid_of_other_value(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %s = onnx.Sigmoid(%y) : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %a = onnx.Mul(%x, %s) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a : tensor<4x8xf32>
}

// -----

// onnx.Gelu (both approximations) and Relu map to their kinds.
// CHECK-LABEL: func.func @gelu_ops
// CHECK: attn.activation gelu %arg0
// CHECK: attn.activation gelu_tanh %arg0
// CHECK: attn.activation relu %arg0
func.func @gelu_ops(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %a = onnx.Gelu(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = onnx.Gelu(%x) {approximate = "tanh"} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %c = onnx.Relu(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b, %c : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// The exact GELU written out: 0.5 * x * (1 + Erf(x / sqrt(2))).
// CHECK-LABEL: func.func @gelu_erf
// CHECK-NOT: onnx.Erf
// CHECK: %[[G:.*]] = attn.activation gelu %arg0 : (tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK: return %[[G]]
func.func @gelu_erf(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %half = onnx.Constant() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %one = onnx.Constant() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %sqrt2 = onnx.Constant() {value = dense<1.41421354> : tensor<f32>} : () -> tensor<f32>
  %hx = onnx.Mul(%half, %x) : (tensor<f32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %d = onnx.Div(%x, %sqrt2) : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %e = onnx.Erf(%d) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %p = onnx.Add(%e, %one) : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %y = onnx.Mul(%hx, %p) : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// The same with x * (1 / sqrt(2)) and the 0.5 applied last.
// CHECK-LABEL: func.func @gelu_erf_scaled_last
// CHECK: attn.activation gelu %arg0
func.func @gelu_erf_scaled_last(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %half = onnx.Constant() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %one = onnx.Constant() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %rsqrt2 = onnx.Constant() {value = dense<0.707106769> : tensor<f32>} : () -> tensor<f32>
  %d = onnx.Mul(%rsqrt2, %x) : (tensor<f32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %e = onnx.Erf(%d) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %p = onnx.Add(%one, %e) : (tensor<f32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %xp = onnx.Mul(%x, %p) : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %y = onnx.Mul(%xp, %half) : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// GPT-2's gelu_new as the dynamo exporter writes it.
// CHECK-LABEL: func.func @gelu_new_tanh
// CHECK-NOT: onnx.Tanh
// CHECK-NOT: onnx.Pow
// CHECK: %[[G:.*]] = attn.activation gelu_tanh %arg0 : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
// CHECK: return %[[G]]
func.func @gelu_new_tanh(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %half = onnx.Constant() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %one = onnx.Constant() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %three = onnx.Constant() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  %k = onnx.Constant() {value = dense<4.471500e-02> : tensor<f32>} : () -> tensor<f32>
  %c = onnx.Constant() {value = dense<0.797884583> : tensor<f32>} : () -> tensor<f32>
  %hx = onnx.Mul(%x, %half) : (tensor<?x?x8xf32>, tensor<f32>) -> tensor<?x?x8xf32>
  %cube = onnx.Pow(%x, %three) : (tensor<?x?x8xf32>, tensor<f32>) -> tensor<?x?x8xf32>
  %kc = onnx.Mul(%cube, %k) : (tensor<?x?x8xf32>, tensor<f32>) -> tensor<?x?x8xf32>
  %inner = onnx.Add(%x, %kc) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %arg = onnx.Mul(%inner, %c) : (tensor<?x?x8xf32>, tensor<f32>) -> tensor<?x?x8xf32>
  %t = onnx.Tanh(%arg) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %p = onnx.Add(%t, %one) : (tensor<?x?x8xf32>, tensor<f32>) -> tensor<?x?x8xf32>
  %y = onnx.Mul(%hx, %p) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// A wrong cubic coefficient (0.05) or a wrong sqrt(2/pi) is another curve.
// CHECK-LABEL: func.func @gelu_tanh_wrong_constants
// CHECK-NOT: attn.activation
// CHECK-COUNT-2: onnx.Tanh
func.func @gelu_tanh_wrong_constants(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %half = onnx.Constant() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %one = onnx.Constant() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %three = onnx.Constant() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  %k = onnx.Constant() {value = dense<4.471500e-02> : tensor<f32>} : () -> tensor<f32>
  %kbad = onnx.Constant() {value = dense<5.0e-02> : tensor<f32>} : () -> tensor<f32>
  %c = onnx.Constant() {value = dense<0.797884583> : tensor<f32>} : () -> tensor<f32>
  %cbad = onnx.Constant() {value = dense<0.7978> : tensor<f32>} : () -> tensor<f32>
  %hx = onnx.Mul(%x, %half) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %cube = onnx.Pow(%x, %three) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %kc = onnx.Mul(%cube, %kbad) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %inner = onnx.Add(%x, %kc) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %arg = onnx.Mul(%inner, %c) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %t = onnx.Tanh(%arg) : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %p = onnx.Add(%t, %one) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %y = onnx.Mul(%hx, %p) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %hx2 = onnx.Mul(%x, %half) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %kc2 = onnx.Mul(%cube, %k) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %inner2 = onnx.Add(%x, %kc2) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %arg2 = onnx.Mul(%inner2, %cbad) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %t2 = onnx.Tanh(%arg2) : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %p2 = onnx.Add(%t2, %one) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %y2 = onnx.Mul(%hx2, %p2) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y, %y2 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// An erf GELU scaled by 0.6 instead of 0.5, or whose Erf reads another
// value, is not GELU.
// CHECK-LABEL: func.func @gelu_erf_not_raised
// CHECK-NOT: attn.activation
// CHECK-COUNT-2: onnx.Erf
func.func @gelu_erf_not_raised(%x: tensor<4x8xf32>, %z: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %half = onnx.Constant() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %bad = onnx.Constant() {value = dense<0.6> : tensor<f32>} : () -> tensor<f32>
  %one = onnx.Constant() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %sqrt2 = onnx.Constant() {value = dense<1.41421354> : tensor<f32>} : () -> tensor<f32>
  %hx = onnx.Mul(%x, %bad) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %d = onnx.Div(%x, %sqrt2) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %e = onnx.Erf(%d) : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %p = onnx.Add(%e, %one) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %y = onnx.Mul(%hx, %p) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %hx2 = onnx.Mul(%x, %half) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %d2 = onnx.Div(%z, %sqrt2) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %e2 = onnx.Erf(%d2) : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %p2 = onnx.Add(%e2, %one) : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %y2 = onnx.Mul(%hx2, %p2) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y, %y2 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Gemma-2's logit softcap c * tanh(s / c) is not an activation.
// CHECK-LABEL: func.func @softcap_tanh_stays
// CHECK-NOT: attn.
// CHECK: onnx.Tanh
func.func @softcap_tanh_stays(%s: tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32> {
  %cap = onnx.Constant() {value = dense<5.0> : tensor<f32>} : () -> tensor<f32>
  %d = onnx.Div(%s, %cap) : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %t = onnx.Tanh(%d) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %y = onnx.Mul(%t, %cap) : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  return %y : tensor<?x4x?x?xf32>
}

// -----

// SwiGLU: silu(gate) * up; GeGLU with up first.
// CHECK-LABEL: func.func @gated
// CHECK-NOT: onnx.Mul
// CHECK: attn.gated_activation silu %arg0, %arg1 : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
// CHECK: attn.gated_activation gelu_tanh %arg0, %arg1 : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
func.func @gated(%gate: tensor<?x?x8xf32>, %up: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %s = onnx.Sigmoid(%gate) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %silu = onnx.Mul(%gate, %s) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %a = onnx.Mul(%silu, %up) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %g = onnx.Gelu(%gate) {approximate = "tanh"} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %b = onnx.Mul(%up, %g) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %a, %b : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// A broadcast product (up of another shape) or an activation also used
// elsewhere stays an activation followed by a Mul.
// CHECK-LABEL: func.func @not_gated
// CHECK-NOT: attn.gated_activation
// CHECK: %[[A:.*]] = attn.activation silu %arg0
// CHECK: onnx.Mul(%[[A]], %arg1)
// CHECK: %[[B:.*]] = attn.activation relu %arg0
// CHECK: onnx.Mul(%[[B]], %arg2)
// CHECK: return {{.*}}, %[[B]]
func.func @not_gated(%gate: tensor<2x8xf32>, %up: tensor<8xf32>, %up2: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %s = onnx.Sigmoid(%gate) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %silu = onnx.Mul(%gate, %s) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %a = onnx.Mul(%silu, %up) : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %r = onnx.Relu(%gate) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %b = onnx.Mul(%r, %up2) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %a, %b, %r : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Gather of rows of a constant table by integer ids is the embedding.
// CHECK-LABEL: func.func @embedding
// CHECK: %[[T:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<16x4xf32>}
// CHECK-NOT: onnx.Gather
// CHECK: attn.embedding %[[T]], %arg0 : (tensor<16x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
func.func @embedding(%ids: tensor<?x?xi64>) -> tensor<?x?x4xf32> {
  %t = onnx.Constant() {value = dense<1.0> : tensor<16x4xf32>} : () -> tensor<16x4xf32>
  %y = onnx.Gather(%t, %ids) : (tensor<16x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Gathers from a run-time table, along columns, or of integer shapes stay.
// CHECK-LABEL: func.func @gather_not_embedding
// CHECK-NOT: attn.embedding
// CHECK-COUNT-3: onnx.Gather
func.func @gather_not_embedding(%table: tensor<16x4xf32>, %ids: tensor<?x?xi64>, %shape: tensor<3xi64>) -> (tensor<?x?x4xf32>, tensor<16x?x?xf32>, tensor<1xi64>) {
  %t = onnx.Constant() {value = dense<1.0> : tensor<16x4xf32>} : () -> tensor<16x4xf32>
  %i = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %a = onnx.Gather(%table, %ids) : (tensor<16x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
  %b = onnx.Gather(%t, %ids) {axis = 1 : i64} : (tensor<16x4xf32>, tensor<?x?xi64>) -> tensor<16x?x?xf32>
  %c = onnx.Gather(%shape, %i) : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %a, %b, %c : tensor<?x?x4xf32>, tensor<16x?x?xf32>, tensor<1xi64>
}

// -----

// Gemma's embedding scaled by sqrt(hidden) (a scalar constant, either operand
// order, also a one-element [1, 1, 1] constant) folds into the embedding.
// CHECK-LABEL: func.func @embedding_scale
// CHECK-NOT: onnx.Mul
// CHECK: %[[A:.*]] = attn.embedding %{{.*}}, %arg0 {scale = 8.000000e+00 : f32} : (tensor<16x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
// CHECK: %[[B:.*]] = attn.embedding %{{.*}}, %arg0 {scale = 5.000000e-01 : f32} : (tensor<16x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
// CHECK: %[[C:.*]] = attn.embedding %{{.*}}, %arg0 {scale = 2.000000e+00 : f32} : (tensor<16x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
// CHECK-NOT: onnx.Mul
// CHECK: return %[[A]], %[[B]], %[[C]]
func.func @embedding_scale(%ids: tensor<?x?xi64>) -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>) {
  %t = onnx.Constant() {value = dense<1.0> : tensor<16x64xf32>} : () -> tensor<16x64xf32>
  %sqrt_hidden = onnx.Constant() {value = dense<8.0> : tensor<f32>} : () -> tensor<f32>
  %half = onnx.Constant() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<1x1x1xf32>} : () -> tensor<1x1x1xf32>
  %e0 = onnx.Gather(%t, %ids) : (tensor<16x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  %a = onnx.Mul(%e0, %sqrt_hidden) : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %e1 = onnx.Gather(%t, %ids) : (tensor<16x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  %b = onnx.Mul(%half, %e1) : (tensor<f32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %e2 = onnx.Gather(%t, %ids) : (tensor<16x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  %c = onnx.Mul(%e2, %two) : (tensor<?x?x64xf32>, tensor<1x1x1xf32>) -> tensor<?x?x64xf32>
  return %a, %b, %c : tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>
}

// -----

// A per-channel factor (a [64] vector) or a run-time scalar is not a scale;
// an embedding also used unscaled keeps its Mul (the unscaled rows are needed).
// CHECK-LABEL: func.func @embedding_scale_not_raised
// CHECK-NOT: scale =
// CHECK: %[[E0:.*]] = attn.embedding %{{.*}}, %arg0 : (tensor<16x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
// CHECK: onnx.Mul(%[[E0]], %{{.*}}) : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
// CHECK: %[[E1:.*]] = attn.embedding %{{.*}}, %arg0 : (tensor<16x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
// CHECK: onnx.Mul(%[[E1]], %arg1) : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
// CHECK: %[[E2:.*]] = attn.embedding %{{.*}}, %arg0 : (tensor<16x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
// CHECK: onnx.Mul(%[[E2]], %{{.*}}) : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
// CHECK-NOT: scale =
// CHECK: return {{.*}}, %[[E2]]
func.func @embedding_scale_not_raised(%ids: tensor<?x?xi64>, %s: tensor<f32>) -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>) {
  %t = onnx.Constant() {value = dense<1.0> : tensor<16x64xf32>} : () -> tensor<16x64xf32>
  %channels = onnx.Constant() {value = dense<[1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0]> : tensor<64xf32>} : () -> tensor<64xf32>
  %sqrt_hidden = onnx.Constant() {value = dense<8.0> : tensor<f32>} : () -> tensor<f32>
  %e0 = onnx.Gather(%t, %ids) : (tensor<16x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  %a = onnx.Mul(%e0, %channels) : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %e1 = onnx.Gather(%t, %ids) : (tensor<16x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  %b = onnx.Mul(%e1, %s) : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %e2 = onnx.Gather(%t, %ids) : (tensor<16x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  %c = onnx.Mul(%e2, %sqrt_hidden) : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  return %a, %b, %c, %e2 : tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>
}

// -----

// Gemma-2's final logit softcap on the lm_head's logits, c * tanh(x / c) and
// tanh(x * (1/c)) * c, becomes attn.logit_softcap.
// CHECK-LABEL: func.func @logit_softcap
// CHECK-NOT: onnx.Tanh
// CHECK: %[[L:.*]] = attn.linear
// CHECK: %[[A:.*]] = attn.logit_softcap %[[L]] {cap = 3.000000e+01 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
// CHECK: %[[B:.*]] = attn.logit_softcap %[[L]] {cap = 1.000000e+01 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
// CHECK-NOT: onnx.Tanh
// CHECK: return %[[A]], %[[B]]
func.func @logit_softcap(%h: tensor<?x?x64xf32>, %w: tensor<256x64xf32>) -> (tensor<?x?x256xf32>, tensor<?x?x256xf32>) {
  %cap = onnx.Constant() {value = dense<30.0> : tensor<f32>} : () -> tensor<f32>
  %cap10 = onnx.Constant() {value = dense<10.0> : tensor<f32>} : () -> tensor<f32>
  %inv10 = onnx.Constant() {value = dense<0.1> : tensor<f32>} : () -> tensor<f32>
  %logits = attn.linear %h, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x64xf32>, tensor<256x64xf32>) -> tensor<?x?x256xf32>
  %d = onnx.Div(%logits, %cap) : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  %t = onnx.Tanh(%d) : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %a = onnx.Mul(%cap, %t) : (tensor<f32>, tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %m = onnx.Mul(%inv10, %logits) : (tensor<f32>, tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %t2 = onnx.Tanh(%m) : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %b = onnx.Mul(%t2, %cap10) : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  return %a, %b : tensor<?x?x256xf32>, tensor<?x?x256xf32>
}

// -----

// Different constants inside and outside the Tanh (30 * tanh(x / 20),
// 30 * tanh(x * 0.05)) are not a softcap.
// CHECK-LABEL: func.func @logit_softcap_mismatched_constants
// CHECK-NOT: attn.logit_softcap
// CHECK-COUNT-2: onnx.Tanh
func.func @logit_softcap_mismatched_constants(%h: tensor<?x?x64xf32>, %w: tensor<256x64xf32>) -> (tensor<?x?x256xf32>, tensor<?x?x256xf32>) {
  %cap = onnx.Constant() {value = dense<30.0> : tensor<f32>} : () -> tensor<f32>
  %other = onnx.Constant() {value = dense<20.0> : tensor<f32>} : () -> tensor<f32>
  %inv20 = onnx.Constant() {value = dense<0.05> : tensor<f32>} : () -> tensor<f32>
  %logits = attn.linear %h, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x64xf32>, tensor<256x64xf32>) -> tensor<?x?x256xf32>
  %d = onnx.Div(%logits, %other) : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  %t = onnx.Tanh(%d) : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %a = onnx.Mul(%t, %cap) : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  %m = onnx.Mul(%logits, %inv20) : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  %t2 = onnx.Tanh(%m) : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %b = onnx.Mul(%t2, %cap) : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  return %a, %b : tensor<?x?x256xf32>, tensor<?x?x256xf32>
}

// -----

// Gemma-2's attention-score softcap (Tanh of q k^T / c, not of an attn.linear)
// stays for attn-raise-attention to fold into attn.attention.
// CHECK-LABEL: func.func @score_softcap_stays
// CHECK-NOT: attn.
// CHECK: onnx.MatMul
// CHECK: onnx.Div
// CHECK: onnx.Tanh
// CHECK: onnx.Mul
func.func @score_softcap_stays(%q: tensor<?x4x?x16xf32>, %kt: tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32> {
  %cap = onnx.Constant() {value = dense<50.0> : tensor<f32>} : () -> tensor<f32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %d = onnx.Div(%s, %cap) : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %t = onnx.Tanh(%d) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %y = onnx.Mul(%t, %cap) : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  return %y : tensor<?x4x?x?xf32>
}

// -----

// Granite divides the returned lm_head logits by logits_scaling: that Div
// becomes attn.logit_scale {scale = 1 / logits_scaling}.
// CHECK-LABEL: func.func @logit_scale
// CHECK: %[[L:.*]] = attn.linear
// CHECK: %[[S:.*]] = attn.logit_scale %[[L]] {scale = 1.250000e-01 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
// CHECK-NOT: onnx.Div
// CHECK: return %[[S]]
func.func @logit_scale(%h: tensor<?x?x64xf32>, %w: tensor<256x64xf32>) -> tensor<?x?x256xf32> {
  %c = onnx.Constant() {value = dense<8.0> : tensor<f32>} : () -> tensor<f32>
  %logits = attn.linear %h, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x64xf32>, tensor<256x64xf32>) -> tensor<?x?x256xf32>
  %d = onnx.Div(%logits, %c) : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  return %d : tensor<?x?x256xf32>
}

// -----

// Must not fire: a Div of a linear that is not returned (it feeds further
// computation, so it is not the logits), a Div by a non-constant, a Div of
// something other than a linear, and a Div by zero.
// CHECK-LABEL: func.func @logit_scale_not_logits
// CHECK-NOT: attn.logit_scale
// CHECK-COUNT-4: onnx.Div
// CHECK-NOT: attn.logit_scale
func.func @logit_scale_not_logits(%h: tensor<?x?x64xf32>, %w: tensor<256x64xf32>, %k: tensor<f32>, %x: tensor<?x?x256xf32>) -> (tensor<?x?x256xf32>, tensor<?x?x256xf32>, tensor<?x?x256xf32>, tensor<?x?x256xf32>) {
  %c = onnx.Constant() {value = dense<8.0> : tensor<f32>} : () -> tensor<f32>
  %z = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %logits = attn.linear %h, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x64xf32>, tensor<256x64xf32>) -> tensor<?x?x256xf32>
  %inner = onnx.Div(%logits, %c) : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  %e = onnx.Exp(%inner) : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %byinput = onnx.Div(%logits, %k) : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  %notlinear = onnx.Div(%x, %c) : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  %byzero = onnx.Div(%logits, %z) : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  return %e, %byinput, %notlinear, %byzero : tensor<?x?x256xf32>, tensor<?x?x256xf32>, tensor<?x?x256xf32>, tensor<?x?x256xf32>
}
