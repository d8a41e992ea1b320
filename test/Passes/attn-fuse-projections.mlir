// RUN: attnc-opt %s -split-input-file -attn-fuse-projections | FileCheck %s
// Re-parsing the result and fusing again changes nothing (a fused linear is
// alone in its group).
// RUN: attnc-opt %s -split-input-file -attn-fuse-projections | attnc-opt -split-input-file -attn-fuse-projections | FileCheck %s

// Q, K and V (GQA: 8, 4, 4 out features, out_in [out, in]) reading one
// normed input become one linear over the weights concatenated along axis 0,
// split back along the last axis in program order.
// CHECK-LABEL: func.func @qkv_out_in
// CHECK: %[[WQ:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<8x8xf32>}
// CHECK: %[[WK:.*]] = onnx.Constant() {value = dense<2.000000e+00> : tensor<4x8xf32>}
// CHECK: %[[WV:.*]] = onnx.Constant() {value = dense<3.000000e+00> : tensor<4x8xf32>}
// CHECK: %[[N:.*]] = attn.rms_norm
// CHECK: %[[W:.*]] = attn.weight_concat %[[WQ]], %[[WK]], %[[WV]] {axis = 0 : i64} : (tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<16x8xf32>
// CHECK: %[[QKV:.*]] = attn.linear %[[N]], %[[W]] {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x8xf32>, tensor<16x8xf32>) -> tensor<?x?x16xf32>
// CHECK: %[[SIZES:.*]] = onnx.Constant() {value = dense<[8, 4, 4]> : tensor<3xi64>} : () -> tensor<3xi64>
// CHECK: %[[S:.*]]:3 = onnx.Split(%[[QKV]], %[[SIZES]]) {axis = 2 : i64} : (tensor<?x?x16xf32>, tensor<3xi64>) -> (tensor<?x?x8xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
// CHECK-NOT: attn.linear
// CHECK: return %[[S]]#0, %[[S]]#1, %[[S]]#2
func.func @qkv_out_in(%h: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) {
  %g = onnx.Constant() {value = dense<1.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %wq = onnx.Constant() {value = dense<1.0> : tensor<8x8xf32>} : () -> tensor<8x8xf32>
  %wk = onnx.Constant() {value = dense<2.0> : tensor<4x8xf32>} : () -> tensor<4x8xf32>
  %wv = onnx.Constant() {value = dense<3.0> : tensor<4x8xf32>} : () -> tensor<4x8xf32>
  %n = attn.rms_norm %h, %g {epsilon = 1.0e-6 : f32} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %q = attn.linear %n, %wq {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %k = attn.linear %n, %wk {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x8xf32>, tensor<4x8xf32>) -> tensor<?x?x4xf32>
  %v = attn.linear %n, %wv {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x8xf32>, tensor<4x8xf32>) -> tensor<?x?x4xf32>
  return %q, %k, %v : tensor<?x?x8xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>
}

// -----

// in_out [in, out] weights (ONNX MatMul) concatenate along axis 1; biases
// (Qwen2's q/k/v bias) concatenate along axis 0 into the fused linear's bias.
// CHECK-LABEL: func.func @qkv_in_out_bias
// CHECK-DAG: %[[WQ:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<8x8xf16>}
// CHECK-DAG: %[[WK:.*]] = onnx.Constant() {value = dense<2.000000e+00> : tensor<8x2xf16>}
// CHECK-DAG: %[[WV:.*]] = onnx.Constant() {value = dense<3.000000e+00> : tensor<8x2xf16>}
// CHECK-DAG: %[[BQ:.*]] = onnx.Constant() {value = dense<5.000000e-01> : tensor<8xf16>}
// CHECK-DAG: %[[BK:.*]] = onnx.Constant() {value = dense<2.500000e-01> : tensor<2xf16>}
// CHECK-DAG: %[[BV:.*]] = onnx.Constant() {value = dense<1.250000e-01> : tensor<2xf16>}
// CHECK: %[[W:.*]] = attn.weight_concat %[[WQ]], %[[WK]], %[[WV]] {axis = 1 : i64} : (tensor<8x8xf16>, tensor<8x2xf16>, tensor<8x2xf16>) -> tensor<8x12xf16>
// CHECK: %[[B:.*]] = attn.weight_concat %[[BQ]], %[[BK]], %[[BV]] {axis = 0 : i64} : (tensor<8xf16>, tensor<2xf16>, tensor<2xf16>) -> tensor<12xf16>
// CHECK: %[[QKV:.*]] = attn.linear %arg0, %[[W]] bias(%[[B]]) {weight_layout = #attn<weight_layout in_out>} : (tensor<2x5x8xf16>, tensor<8x12xf16>, tensor<12xf16>) -> tensor<2x5x12xf16>
// CHECK: %[[SIZES:.*]] = onnx.Constant() {value = dense<[8, 2, 2]> : tensor<3xi64>}
// CHECK: %[[S:.*]]:3 = onnx.Split(%[[QKV]], %[[SIZES]]) {axis = 2 : i64} : (tensor<2x5x12xf16>, tensor<3xi64>) -> (tensor<2x5x8xf16>, tensor<2x5x2xf16>, tensor<2x5x2xf16>)
// CHECK: %[[QQ:.*]] = onnx.Mul(%[[S]]#0, %[[S]]#0)
// CHECK: return %[[QQ]], %[[S]]#1, %[[S]]#2
func.func @qkv_in_out_bias(%x: tensor<2x5x8xf16>) -> (tensor<2x5x8xf16>, tensor<2x5x2xf16>, tensor<2x5x2xf16>) {
  %wq = onnx.Constant() {value = dense<1.0> : tensor<8x8xf16>} : () -> tensor<8x8xf16>
  %wk = onnx.Constant() {value = dense<2.0> : tensor<8x2xf16>} : () -> tensor<8x2xf16>
  %wv = onnx.Constant() {value = dense<3.0> : tensor<8x2xf16>} : () -> tensor<8x2xf16>
  %bq = onnx.Constant() {value = dense<0.5> : tensor<8xf16>} : () -> tensor<8xf16>
  %bk = onnx.Constant() {value = dense<0.25> : tensor<2xf16>} : () -> tensor<2xf16>
  %bv = onnx.Constant() {value = dense<0.125> : tensor<2xf16>} : () -> tensor<2xf16>
  %q = attn.linear %x, %wq bias(%bq) {weight_layout = #attn<weight_layout in_out>} : (tensor<2x5x8xf16>, tensor<8x8xf16>, tensor<8xf16>) -> tensor<2x5x8xf16>
  %k = attn.linear %x, %wk bias(%bk) {weight_layout = #attn<weight_layout in_out>} : (tensor<2x5x8xf16>, tensor<8x2xf16>, tensor<2xf16>) -> tensor<2x5x2xf16>
  %v = attn.linear %x, %wv bias(%bv) {weight_layout = #attn<weight_layout in_out>} : (tensor<2x5x8xf16>, tensor<8x2xf16>, tensor<2xf16>) -> tensor<2x5x2xf16>
  %qq = onnx.Mul(%q, %q) : (tensor<2x5x8xf16>, tensor<2x5x8xf16>) -> tensor<2x5x8xf16>
  return %qq, %k, %v : tensor<2x5x8xf16>, tensor<2x5x2xf16>, tensor<2x5x2xf16>
}

// -----

// Gate and up of a gated MLP fuse the same way; the down projection reads
// another value and stays.
// CHECK-LABEL: func.func @gate_up
// CHECK: %[[W:.*]] = attn.weight_concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<16x8xf32>, tensor<16x8xf32>) -> tensor<32x8xf32>
// CHECK: %[[GU:.*]] = attn.linear %arg0, %[[W]] {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x8xf32>, tensor<32x8xf32>) -> tensor<?x?x32xf32>
// CHECK: %[[S:.*]]:2 = onnx.Split(%[[GU]], %{{.*}}) {axis = 2 : i64} : (tensor<?x?x32xf32>, tensor<2xi64>) -> (tensor<?x?x16xf32>, tensor<?x?x16xf32>)
// CHECK: %[[A:.*]] = attn.gated_activation silu %[[S]]#0, %[[S]]#1
// CHECK: attn.linear %[[A]], %{{.*}} {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x16xf32>, tensor<8x16xf32>) -> tensor<?x?x8xf32>
func.func @gate_up(%h: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %wg = onnx.Constant() {value = dense<1.0> : tensor<16x8xf32>} : () -> tensor<16x8xf32>
  %wu = onnx.Constant() {value = dense<2.0> : tensor<16x8xf32>} : () -> tensor<16x8xf32>
  %wd = onnx.Constant() {value = dense<3.0> : tensor<8x16xf32>} : () -> tensor<8x16xf32>
  %gate = attn.linear %h, %wg {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x8xf32>, tensor<16x8xf32>) -> tensor<?x?x16xf32>
  %up = attn.linear %h, %wu {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x8xf32>, tensor<16x8xf32>) -> tensor<?x?x16xf32>
  %a = attn.gated_activation silu %gate, %up : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %d = attn.linear %a, %wd {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x16xf32>, tensor<8x16xf32>) -> tensor<?x?x8xf32>
  return %d : tensor<?x?x8xf32>
}

// -----

// The fused linear sits where the first linear was, so it dominates every
// use; a weight constant defined after that point (a Constant node of the
// graph body) moves up to it. Linears order the split results, whatever
// order their users come in.
// CHECK-LABEL: func.func @program_order
// CHECK: %[[WA:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<4x8xf32>}
// CHECK: %[[WB:.*]] = onnx.Constant() {value = dense<2.000000e+00> : tensor<6x8xf32>}
// CHECK: %[[W:.*]] = attn.weight_concat %[[WA]], %[[WB]] {axis = 0 : i64} : (tensor<4x8xf32>, tensor<6x8xf32>) -> tensor<10x8xf32>
// CHECK: %[[L:.*]] = attn.linear %arg0, %[[W]]
// CHECK: %[[SIZES:.*]] = onnx.Constant() {value = dense<[4, 6]> : tensor<2xi64>}
// CHECK: %[[S:.*]]:2 = onnx.Split(%[[L]], %[[SIZES]]) {axis = 1 : i64} : (tensor<3x10xf32>, tensor<2xi64>) -> (tensor<3x4xf32>, tensor<3x6xf32>)
// CHECK: %[[R:.*]] = onnx.Relu(%[[S]]#0)
// CHECK: return %[[R]], %[[S]]#1
func.func @program_order(%x: tensor<3x8xf32>) -> (tensor<3x4xf32>, tensor<3x6xf32>) {
  %wa = onnx.Constant() {value = dense<1.0> : tensor<4x8xf32>} : () -> tensor<4x8xf32>
  %a = attn.linear %x, %wa {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  %r = onnx.Relu(%a) : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %wb = onnx.Constant() {value = dense<2.0> : tensor<6x8xf32>} : () -> tensor<6x8xf32>
  %b = attn.linear %x, %wb {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<6x8xf32>) -> tensor<3x6xf32>
  return %r, %b : tensor<3x4xf32>, tensor<3x6xf32>
}

// -----

// A linear whose weight is already a weight transform (a fused projection)
// fuses like any other: the concatenation nests.
// CHECK-LABEL: func.func @nested_weight_transform
// CHECK: %[[INNER:.*]] = attn.weight_concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<4x4xf32>
// CHECK: %[[OUTER:.*]] = attn.weight_concat %[[INNER]], %{{.*}} {axis = 0 : i64} : (tensor<4x4xf32>, tensor<3x4xf32>) -> tensor<7x4xf32>
// CHECK: attn.linear %arg0, %[[OUTER]] {weight_layout = #attn<weight_layout out_in>} : (tensor<5x4xf32>, tensor<7x4xf32>) -> tensor<5x7xf32>
// CHECK: onnx.Split({{.*}}) {axis = 1 : i64} : (tensor<5x7xf32>, tensor<2xi64>) -> (tensor<5x4xf32>, tensor<5x3xf32>)
func.func @nested_weight_transform(%x: tensor<5x4xf32>) -> (tensor<5x4xf32>, tensor<5x3xf32>) {
  %w0 = onnx.Constant() {value = dense<1.0> : tensor<2x4xf32>} : () -> tensor<2x4xf32>
  %w1 = onnx.Constant() {value = dense<2.0> : tensor<2x4xf32>} : () -> tensor<2x4xf32>
  %w2 = onnx.Constant() {value = dense<3.0> : tensor<3x4xf32>} : () -> tensor<3x4xf32>
  %w01 = attn.weight_concat %w0, %w1 {axis = 0 : i64} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<4x4xf32>
  %a = attn.linear %x, %w01 {weight_layout = #attn<weight_layout out_in>} : (tensor<5x4xf32>, tensor<4x4xf32>) -> tensor<5x4xf32>
  %b = attn.linear %x, %w2 {weight_layout = #attn<weight_layout out_in>} : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<5x3xf32>
  return %a, %b : tensor<5x4xf32>, tensor<5x3xf32>
}

// -----

// Two groups read one input: the biased pair and the unbiased pair fuse
// separately, never with each other; the linears reading the split results
// read different values and stay apart.
// CHECK-LABEL: func.func @two_groups
// CHECK: attn.weight_concat {{.*}} -> tensor<4x8xf32>
// CHECK: %[[L0:.*]] = attn.linear %arg0, %{{.*}} {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
// CHECK: onnx.Split(%[[L0]], %{{.*}}) {axis = 1 : i64} : (tensor<3x4xf32>, tensor<2xi64>) -> (tensor<3x2xf32>, tensor<3x2xf32>)
// CHECK: attn.weight_concat {{.*}} -> tensor<6x8xf32>
// CHECK: attn.weight_concat {{.*}} -> tensor<6xf32>
// CHECK: %[[L1:.*]] = attn.linear %arg0, %{{.*}} bias(%{{.*}}) {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<6x8xf32>, tensor<6xf32>) -> tensor<3x6xf32>
// CHECK: onnx.Split(%[[L1]], %{{.*}}) {axis = 1 : i64} : (tensor<3x6xf32>, tensor<2xi64>) -> (tensor<3x3xf32>, tensor<3x3xf32>)
// CHECK-COUNT-2: attn.linear
// CHECK-NOT: attn.linear
func.func @two_groups(%x: tensor<3x8xf32>) -> (tensor<3x3xf32>, tensor<3x3xf32>, tensor<3x8xf32>, tensor<3x8xf32>) {
  %w2 = onnx.Constant() {value = dense<1.0> : tensor<2x8xf32>} : () -> tensor<2x8xf32>
  %w3 = onnx.Constant() {value = dense<1.0> : tensor<3x8xf32>} : () -> tensor<3x8xf32>
  %b3 = onnx.Constant() {value = dense<1.0> : tensor<3xf32>} : () -> tensor<3xf32>
  %a = attn.linear %x, %w2 {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<2x8xf32>) -> tensor<3x2xf32>
  %b = attn.linear %x, %w3 bias(%b3) {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  %c = attn.linear %x, %w2 {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<2x8xf32>) -> tensor<3x2xf32>
  %d = attn.linear %x, %w3 bias(%b3) {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  %e = attn.linear %a, %w2 {weight_layout = #attn<weight_layout in_out>} : (tensor<3x2xf32>, tensor<2x8xf32>) -> tensor<3x8xf32>
  %f = attn.linear %c, %w2 {weight_layout = #attn<weight_layout in_out>} : (tensor<3x2xf32>, tensor<2x8xf32>) -> tensor<3x8xf32>
  return %b, %d, %e, %f : tensor<3x3xf32>, tensor<3x3xf32>, tensor<3x8xf32>, tensor<3x8xf32>
}

// -----

// Must not fire: the linears read different inputs.
// CHECK-LABEL: func.func @different_inputs
// CHECK-NOT: attn.weight_concat
// CHECK-NOT: onnx.Split
// CHECK-COUNT-2: attn.linear
func.func @different_inputs(%x: tensor<3x8xf32>, %y: tensor<3x8xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4x8xf32>} : () -> tensor<4x8xf32>
  %a = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  %b = attn.linear %y, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  return %a, %b : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// Must not fire: one weight is out_in, the other in_out.
// CHECK-LABEL: func.func @different_layouts
// CHECK-NOT: attn.weight_concat
// CHECK-NOT: onnx.Split
// CHECK: attn.linear %arg0, %{{.*}} {weight_layout = #attn<weight_layout out_in>}
// CHECK: attn.linear %arg0, %{{.*}} {weight_layout = #attn<weight_layout in_out>}
func.func @different_layouts(%x: tensor<3x8xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %wa = onnx.Constant() {value = dense<1.0> : tensor<4x8xf32>} : () -> tensor<4x8xf32>
  %wb = onnx.Constant() {value = dense<1.0> : tensor<8x4xf32>} : () -> tensor<8x4xf32>
  %a = attn.linear %x, %wa {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  %b = attn.linear %x, %wb {weight_layout = #attn<weight_layout in_out>} : (tensor<3x8xf32>, tensor<8x4xf32>) -> tensor<3x4xf32>
  return %a, %b : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// Must not fire: only one of the two linears has a bias.
// CHECK-LABEL: func.func @bias_on_one
// CHECK-NOT: attn.weight_concat
// CHECK-NOT: onnx.Split
// CHECK: attn.linear %arg0, %{{.*}} bias(%{{.*}})
// CHECK: attn.linear %arg0, %{{.*}} {weight_layout
func.func @bias_on_one(%x: tensor<3x8xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4x8xf32>} : () -> tensor<4x8xf32>
  %bias = onnx.Constant() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %a = attn.linear %x, %w bias(%bias) {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %b = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  return %a, %b : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// Must not fire: a single linear has nothing to fuse with (its input's
// other user is not a linear).
// CHECK-LABEL: func.func @single_linear
// CHECK-NOT: attn.weight_concat
// CHECK-NOT: onnx.Split
// CHECK: attn.linear %arg0
// CHECK: onnx.Relu(%arg0)
func.func @single_linear(%x: tensor<3x8xf32>) -> (tensor<3x4xf32>, tensor<3x8xf32>) {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4x8xf32>} : () -> tensor<4x8xf32>
  %a = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  %r = onnx.Relu(%x) : (tensor<3x8xf32>) -> tensor<3x8xf32>
  return %a, %r : tensor<3x4xf32>, tensor<3x8xf32>
}

// -----

// Must not fire: a weight that is not a constant or weight transform (a
// function argument) has no bytes for the packer to concatenate.
// CHECK-LABEL: func.func @weight_not_constant
// CHECK-NOT: attn.weight_concat
// CHECK-NOT: onnx.Split
// CHECK-COUNT-2: attn.linear %arg0
func.func @weight_not_constant(%x: tensor<3x8xf32>, %wb: tensor<4x8xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %wa = onnx.Constant() {value = dense<1.0> : tensor<4x8xf32>} : () -> tensor<4x8xf32>
  %a = attn.linear %x, %wa {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  %b = attn.linear %x, %wb {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  return %a, %b : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// Must not fire: the weights' element types differ (f32 and f16), so they
// cannot be one tensor.
// CHECK-LABEL: func.func @mixed_element_types
// CHECK-NOT: attn.weight_concat
// CHECK-NOT: onnx.Split
// CHECK: attn.linear %arg0, %{{.*}} {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf32>)
// CHECK: attn.linear %arg0, %{{.*}} {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf16>)
func.func @mixed_element_types(%x: tensor<3x8xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %wa = onnx.Constant() {value = dense<1.0> : tensor<4x8xf32>} : () -> tensor<4x8xf32>
  %wb = onnx.Constant() {value = dense<1.0> : tensor<4x8xf16>} : () -> tensor<4x8xf16>
  %a = attn.linear %x, %wa {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  %b = attn.linear %x, %wb {weight_layout = #attn<weight_layout out_in>} : (tensor<3x8xf32>, tensor<4x8xf16>) -> tensor<3x4xf32>
  return %a, %b : tensor<3x4xf32>, tensor<3x4xf32>
}
