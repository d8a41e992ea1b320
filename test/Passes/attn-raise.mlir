// RUN: attnc-opt %s -split-input-file -attn-raise | FileCheck %s
// The pipeline classifies masks: an unclassifiable mask fails it with the
// classifier's diagnostic instead of being raised or dropped.
// RUN: not attnc-opt %S/attn-classify-masks-invalid.mlir -split-input-file -attn-raise 2>&1 | FileCheck %s --check-prefix=REFUSE
// REFUSE: error: cannot classify the attention mask: the mask lets query i see keys up to i + 2 (not causal)

// The attn-raise pipeline runs shape inference and every raising pass: an
// unranked imported RMSNorm + SwiGLU block comes out as attn ops, with gate
// and up fused into one linear over their concatenated [in, out] weights
// (attn-fuse-projections), split back into halves of 16 for the activation.
// CHECK-LABEL: func.func @mlp_block
// CHECK: %[[N:.*]] = attn.rms_norm %arg0, %{{.*}} {epsilon = 9.99999997E-7 : f32} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
// CHECK: %[[W:.*]] = attn.weight_concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x32xf32>
// CHECK: %[[GU:.*]] = attn.linear %[[N]], %[[W]] {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x8xf32>, tensor<8x32xf32>) -> tensor<?x?x32xf32>
// CHECK: %[[SIZES:.*]] = onnx.Constant() {value = dense<16> : tensor<2xi64>}
// CHECK: %[[S:.*]]:2 = onnx.Split(%[[GU]], %[[SIZES]]) {axis = 2 : i64} : (tensor<?x?x32xf32>, tensor<2xi64>) -> (tensor<?x?x16xf32>, tensor<?x?x16xf32>)
// CHECK: %[[A:.*]] = attn.gated_activation silu %[[S]]#0, %[[S]]#1 : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
// CHECK-NOT: onnx.Sigmoid
// CHECK-NOT: onnx.ReduceMean
// CHECK-NOT: onnx.MatMul
// CHECK: return %[[A]] : tensor<?x?x16xf32>
func.func @mlp_block(%x: tensor<?x?x8xf32> {onnx.dim_params = ["batch", "seq", ""]}) -> tensor<*xf32> {
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %eps = onnx.Constant() {value = dense<1.0e-6> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %w = onnx.Constant() {value = dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>} : () -> tensor<8xf32>
  %wg = onnx.Constant() {value = dense<0.5> : tensor<8x16xf32>} : () -> tensor<8x16xf32>
  %wu = onnx.Constant() {value = dense<0.25> : tensor<8x16xf32>} : () -> tensor<8x16xf32>
  %sq = onnx.Pow(%x, %two) : (tensor<?x?x8xf32>, tensor<f32>) -> tensor<*xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<*xf32>, tensor<1xi64>) -> tensor<*xf32>
  %add = onnx.Add(%mean, %eps) : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %rt = onnx.Sqrt(%add) : (tensor<*xf32>) -> tensor<*xf32>
  %inv = onnx.Reciprocal(%rt) : (tensor<*xf32>) -> tensor<*xf32>
  %nx = onnx.Mul(%x, %inv) : (tensor<?x?x8xf32>, tensor<*xf32>) -> tensor<*xf32>
  %n = onnx.Mul(%w, %nx) : (tensor<8xf32>, tensor<*xf32>) -> tensor<*xf32>
  %g = onnx.MatMul(%n, %wg) : (tensor<*xf32>, tensor<8x16xf32>) -> tensor<*xf32>
  %u = onnx.MatMul(%n, %wu) : (tensor<*xf32>, tensor<8x16xf32>) -> tensor<*xf32>
  %sg = onnx.Sigmoid(%g) : (tensor<*xf32>) -> tensor<*xf32>
  %silu = onnx.Mul(%g, %sg) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %y = onnx.Mul(%silu, %u) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}


// -----

// GPT-2 style learned positions: the exporter's Unsqueeze(Range(0, seq, 1))
// becomes attn.positions (attn-raise-positions) and both Gathers embeddings;
// the Transpose round trip on the token embedding cancels
// (attn-simplify-layouts), so the Add reads the embedding directly.
// CHECK-LABEL: func.func @learned_positions
// CHECK-SAME: -> tensor<?x?x8xf32>
// CHECK-NOT: onnx.Range
// CHECK-NOT: onnx.Unsqueeze
// CHECK: %[[P:.*]] = attn.positions %arg0 : (tensor<?x?xi64>) -> tensor<1x?xi64>
// CHECK: %[[TE:.*]] = attn.embedding %{{.*}}, %arg0 : (tensor<32x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
// CHECK: %[[PE:.*]] = attn.embedding %{{.*}}, %[[P]] : (tensor<16x8xf32>, tensor<1x?xi64>) -> tensor<1x?x8xf32>
// CHECK-NOT: onnx.Transpose
// CHECK: %[[H:.*]] = onnx.Add(%[[TE]], %[[PE]]) : (tensor<?x?x8xf32>, tensor<1x?x8xf32>) -> tensor<?x?x8xf32>
// CHECK: return %[[H]]
func.func @learned_positions(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}) -> tensor<*xf32> {
  %wte = onnx.Constant() {value = dense<0.5> : tensor<32x8xf32>} : () -> tensor<32x8xf32>
  %wpe = onnx.Constant() {value = dense<0.25> : tensor<16x8xf32>} : () -> tensor<16x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %shape = onnx.Shape(%ids) {end = 2 : i64, start = 1 : i64} : (tensor<?x?xi64>) -> tensor<1xi64>
  %seq = onnx.Squeeze(%shape, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %r = onnx.Range(%c0, %seq, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze(%r, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %te = onnx.Gather(%wte, %ids) {axis = 0 : i64} : (tensor<32x8xf32>, tensor<?x?xi64>) -> tensor<*xf32>
  %pe = onnx.Gather(%wpe, %pos) {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x?xi64>) -> tensor<*xf32>
  %t = onnx.Transpose(%te) {perm = array<i64: 1, 0, 2>} : (tensor<*xf32>) -> tensor<*xf32>
  %u = onnx.Transpose(%t) {perm = array<i64: 1, 0, 2>} : (tensor<*xf32>) -> tensor<*xf32>
  %h = onnx.Add(%u, %pe) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %h : tensor<*xf32>
}
