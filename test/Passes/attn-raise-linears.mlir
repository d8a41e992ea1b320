// RUN: attnc-opt %s -split-input-file -attn-raise-linears | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-raise-linears | attnc-opt -split-input-file | FileCheck %s

// MatMul by a constant [in, out] weight is a linear in in_out layout.
// CHECK-LABEL: func.func @matmul_constant_weight
// CHECK: %[[W:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<4x6xf32>}
// CHECK-NOT: onnx.MatMul
// CHECK: %[[Y:.*]] = attn.linear %arg0, %[[W]] {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x4xf32>, tensor<4x6xf32>) -> tensor<?x?x6xf32>
// CHECK: return %[[Y]]
func.func @matmul_constant_weight(%x: tensor<?x?x4xf32>) -> tensor<?x?x6xf32> {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4x6xf32>} : () -> tensor<4x6xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x?x4xf32>, tensor<4x6xf32>) -> tensor<?x?x6xf32>
  return %y : tensor<?x?x6xf32>
}

// -----

// A constant [out] added after the MatMul, in either operand order, is the
// linear's bias.
// CHECK-LABEL: func.func @matmul_bias
// CHECK: %[[W:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<4x6xf32>}
// CHECK: %[[B:.*]] = onnx.Constant() {value = dense<5.000000e-01> : tensor<6xf32>}
// CHECK-NOT: onnx.Add
// CHECK: attn.linear %arg0, %[[W]] bias(%[[B]]) {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x4xf32>, tensor<4x6xf32>, tensor<6xf32>) -> tensor<?x?x6xf32>
// CHECK: attn.linear %arg0, %[[W]] bias(%[[B]]) {weight_layout = #attn<weight_layout in_out>}
func.func @matmul_bias(%x: tensor<?x?x4xf32>) -> (tensor<?x?x6xf32>, tensor<?x?x6xf32>) {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4x6xf32>} : () -> tensor<4x6xf32>
  %b = onnx.Constant() {value = dense<0.5> : tensor<6xf32>} : () -> tensor<6xf32>
  %m = onnx.MatMul(%x, %w) : (tensor<?x?x4xf32>, tensor<4x6xf32>) -> tensor<?x?x6xf32>
  %y = onnx.Add(%m, %b) : (tensor<?x?x6xf32>, tensor<6xf32>) -> tensor<?x?x6xf32>
  %m2 = onnx.MatMul(%x, %w) : (tensor<?x?x4xf32>, tensor<4x6xf32>) -> tensor<?x?x6xf32>
  %y2 = onnx.Add(%b, %m2) : (tensor<6xf32>, tensor<?x?x6xf32>) -> tensor<?x?x6xf32>
  return %y, %y2 : tensor<?x?x6xf32>, tensor<?x?x6xf32>
}

// -----

// An addend that is not a constant [out] (a residual, a [1, out] constant)
// stays an Add after the linear.
// CHECK-LABEL: func.func @add_not_a_bias
// CHECK: %[[L1:.*]] = attn.linear %arg0, %{{.*}} {weight_layout = #attn<weight_layout in_out>} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
// CHECK: onnx.Add(%[[L1]], %arg0)
// CHECK: %[[L2:.*]] = attn.linear %arg0, %{{.*}} {weight_layout = #attn<weight_layout in_out>} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
// CHECK: onnx.Add(%[[L2]], %{{.*}}) : (tensor<2x4xf32>, tensor<1x4xf32>)
// CHECK-NOT: bias(
func.func @add_not_a_bias(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4x4xf32>} : () -> tensor<4x4xf32>
  %b = onnx.Constant() {value = dense<0.5> : tensor<1x4xf32>} : () -> tensor<1x4xf32>
  %m = onnx.MatMul(%x, %w) : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %y = onnx.Add(%m, %x) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %m2 = onnx.MatMul(%x, %w) : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %y2 = onnx.Add(%m2, %b) : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  return %y, %y2 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// The bias is not folded when the un-biased projection is also used.
// CHECK-LABEL: func.func @bias_linear_shared
// CHECK: %[[L:.*]] = attn.linear %arg0, %{{.*}} {weight_layout = #attn<weight_layout in_out>}
// CHECK: onnx.Add(%[[L]], %{{.*}})
// CHECK: return %[[L]]
func.func @bias_linear_shared(%x: tensor<2x4xf32>) -> (tensor<2x6xf32>, tensor<2x6xf32>) {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4x6xf32>} : () -> tensor<4x6xf32>
  %b = onnx.Constant() {value = dense<0.5> : tensor<6xf32>} : () -> tensor<6xf32>
  %m = onnx.MatMul(%x, %w) : (tensor<2x4xf32>, tensor<4x6xf32>) -> tensor<2x6xf32>
  %y = onnx.Add(%m, %b) : (tensor<2x6xf32>, tensor<6xf32>) -> tensor<2x6xf32>
  return %m, %y : tensor<2x6xf32>, tensor<2x6xf32>
}

// -----

// A tied lm_head multiplies by the transposed embedding table: a linear on
// the table itself, out_in.
// CHECK-LABEL: func.func @tied_lm_head
// CHECK: %[[E:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<16x4xf32>}
// CHECK-NOT: onnx.MatMul
// CHECK: attn.linear %arg0, %[[E]] {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x4xf32>, tensor<16x4xf32>) -> tensor<?x?x16xf32>
func.func @tied_lm_head(%x: tensor<?x?x4xf32>) -> tensor<?x?x16xf32> {
  %e = onnx.Constant() {value = dense<1.0> : tensor<16x4xf32>} : () -> tensor<16x4xf32>
  %t = onnx.Transpose(%e) {perm = array<i64: 1, 0>} : (tensor<16x4xf32>) -> tensor<4x16xf32>
  %y = onnx.MatMul(%x, %t) : (tensor<?x?x4xf32>, tensor<4x16xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// Attention's q k^T multiplies two activations: not a linear. Neither is a
// weight that is a function argument, a 3-D constant, or a 1-D x.
// CHECK-LABEL: func.func @matmul_not_linear
// CHECK-NOT: attn.linear
// CHECK-COUNT-4: onnx.MatMul
func.func @matmul_not_linear(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %x: tensor<2x4xf32>, %w: tensor<4x4xf32>, %v: tensor<4xf32>) -> (tensor<?x4x?x?xf32>, tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<4xf32>) {
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %w3 = onnx.Constant() {value = dense<1.0> : tensor<3x4x4xf32>} : () -> tensor<3x4x4xf32>
  %z = onnx.MatMul(%x, %w3) : (tensor<2x4xf32>, tensor<3x4x4xf32>) -> tensor<3x2x4xf32>
  %c = onnx.Constant() {value = dense<1.0> : tensor<4x4xf32>} : () -> tensor<4x4xf32>
  %u = onnx.MatMul(%v, %c) : (tensor<4xf32>, tensor<4x4xf32>) -> tensor<4xf32>
  return %s, %y, %z, %u : tensor<?x4x?x?xf32>, tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<4xf32>
}

// -----

// Gemm with a constant B and C: transB stores the weight [out, in].
// CHECK-LABEL: func.func @gemm
// CHECK: %[[W:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<4x6xf32>}
// CHECK: %[[WT:.*]] = onnx.Constant() {value = dense<2.000000e+00> : tensor<6x4xf32>}
// CHECK: %[[B:.*]] = onnx.Constant() {value = dense<5.000000e-01> : tensor<6xf32>}
// CHECK-NOT: onnx.Gemm
// CHECK: attn.linear %arg0, %[[W]] bias(%[[B]]) {weight_layout = #attn<weight_layout in_out>} : (tensor<?x4xf32>, tensor<4x6xf32>, tensor<6xf32>) -> tensor<?x6xf32>
// CHECK: attn.linear %arg0, %[[WT]] {weight_layout = #attn<weight_layout out_in>} : (tensor<?x4xf32>, tensor<6x4xf32>) -> tensor<?x6xf32>
func.func @gemm(%x: tensor<?x4xf32>) -> (tensor<?x6xf32>, tensor<?x6xf32>) {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4x6xf32>} : () -> tensor<4x6xf32>
  %wt = onnx.Constant() {value = dense<2.0> : tensor<6x4xf32>} : () -> tensor<6x4xf32>
  %b = onnx.Constant() {value = dense<0.5> : tensor<6xf32>} : () -> tensor<6xf32>
  %none = onnx.NoValue() : () -> none
  %y = onnx.Gemm(%x, %w, %b) : (tensor<?x4xf32>, tensor<4x6xf32>, tensor<6xf32>) -> tensor<?x6xf32>
  %z = onnx.Gemm(%x, %wt, %none) {transB = 1 : i64} : (tensor<?x4xf32>, tensor<6x4xf32>, none) -> tensor<?x6xf32>
  return %y, %z : tensor<?x6xf32>, tensor<?x6xf32>
}

// -----

// Gemm with a run-time B, a scaled product, a transposed A or a C that is
// not [out] is not a linear.
// CHECK-LABEL: func.func @gemm_not_linear
// CHECK-NOT: attn.linear
// CHECK-COUNT-4: onnx.Gemm
func.func @gemm_not_linear(%x: tensor<4x4xf32>, %wr: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4x4xf32>} : () -> tensor<4x4xf32>
  %c = onnx.Constant() {value = dense<1.0> : tensor<4x4xf32>} : () -> tensor<4x4xf32>
  %none = onnx.NoValue() : () -> none
  %a = onnx.Gemm(%x, %wr, %none) : (tensor<4x4xf32>, tensor<4x4xf32>, none) -> tensor<4x4xf32>
  %b = onnx.Gemm(%x, %w, %none) {alpha = 2.0 : f32} : (tensor<4x4xf32>, tensor<4x4xf32>, none) -> tensor<4x4xf32>
  %d = onnx.Gemm(%x, %w, %none) {transA = 1 : i64} : (tensor<4x4xf32>, tensor<4x4xf32>, none) -> tensor<4x4xf32>
  %e = onnx.Gemm(%x, %w, %c) : (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %a, %b, %d, %e : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}
