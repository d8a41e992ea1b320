// RUN: attnc-opt %s -attn-raise | FileCheck %s
// The pipeline classifies masks: an unclassifiable mask fails it with the
// classifier's diagnostic instead of being raised or dropped.
// RUN: not attnc-opt %S/attn-classify-masks-invalid.mlir -split-input-file -attn-raise 2>&1 | FileCheck %s --check-prefix=REFUSE
// REFUSE: error: cannot classify the attention mask: the mask lets query i see keys up to i + 2 (not causal)

// The attn-raise pipeline runs shape inference and every raising pass: an
// unranked imported RMSNorm + SwiGLU block comes out as attn ops, with gate
// and up fused into one linear (attn-fuse-projections ends the pipeline).
// CHECK-LABEL: func.func @mlp_block
// CHECK: %[[N:.*]] = attn.rms_norm %arg0, %{{.*}} {epsilon = 9.99999997E-7 : f32} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
// CHECK: %[[W:.*]] = attn.weight_concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x32xf32>
// CHECK: %[[GU:.*]] = attn.linear %[[N]], %[[W]] {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x8xf32>, tensor<8x32xf32>) -> tensor<?x?x32xf32>
// CHECK: %[[S:.*]]:2 = onnx.Split(%[[GU]], %{{.*}}) {axis = 2 : i64}
// CHECK: attn.gated_activation silu %[[S]]#0, %[[S]]#1
// CHECK-NOT: onnx.Sigmoid
// CHECK-NOT: onnx.ReduceMean
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

