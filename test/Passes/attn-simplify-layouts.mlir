// RUN: attnc-opt %s -split-input-file -attn-simplify-layouts | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-simplify-layouts | attnc-opt -split-input-file | FileCheck %s

// A head-major round trip Transpose(0,2,1,3) . Transpose(0,2,1,3) cancels.
// CHECK-LABEL: func.func @transposes_cancel
// CHECK-NOT: onnx.Transpose
// CHECK: return %arg0
func.func @transposes_cancel(%x: tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32> {
  %t = onnx.Transpose(%x) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32>
  %u = onnx.Transpose(%t) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x4x?x16xf32>) -> tensor<?x?x4x16xf32>
  return %u : tensor<?x?x4x16xf32>
}

// -----

// Two transposes that do not cancel compose into one: (2,0,1,3) then
// (1,0,2,3) is (0,2,1,3); a Transpose without perm reverses the dims.
// CHECK-LABEL: func.func @transposes_compose
// CHECK: %[[A:.*]] = onnx.Transpose(%arg0) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x6x16xf32>) -> tensor<2x6x8x16xf32>
// CHECK: %[[B:.*]] = onnx.Transpose(%arg1) {perm = array<i64: 1, 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
// CHECK: return %[[A]], %[[B]]
func.func @transposes_compose(%x: tensor<2x8x6x16xf32>, %y: tensor<2x3x4xf32>) -> (tensor<2x6x8x16xf32>, tensor<3x2x4xf32>) {
  %t = onnx.Transpose(%x) {perm = array<i64: 2, 0, 1, 3>} : (tensor<2x8x6x16xf32>) -> tensor<6x2x8x16xf32>
  %u = onnx.Transpose(%t) {perm = array<i64: 1, 0, 2, 3>} : (tensor<6x2x8x16xf32>) -> tensor<2x6x8x16xf32>
  %r = onnx.Transpose(%y) : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  %v = onnx.Transpose(%r) {perm = array<i64: 1, 2, 0>} : (tensor<4x3x2xf32>) -> tensor<3x2x4xf32>
  return %u, %v : tensor<2x6x8x16xf32>, tensor<3x2x4xf32>
}

// -----

// An identity permutation is no Transpose at all.
// CHECK-LABEL: func.func @identity_transpose
// CHECK-NOT: onnx.Transpose
// CHECK: return %arg0
func.func @identity_transpose(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %t = onnx.Transpose(%x) {perm = array<i64: 0, 1, 2>} : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %t : tensor<?x?x64xf32>
}

// -----

// A per-head norm (Qwen3 q_norm) on head-major values: the Transpose keeps the
// last dim, so the norm runs on the token-major input and the transposes around
// it cancel.
// CHECK-LABEL: func.func @transpose_below_rms_norm
// CHECK-NOT: onnx.Transpose
// CHECK: %[[N:.*]] = attn.rms_norm %arg0, %arg1 {epsilon = 9.99999997E-7 : f32} : (tensor<?x?x4x16xf32>, tensor<16xf32>) -> tensor<?x?x4x16xf32>
// CHECK-NOT: onnx.Transpose
// CHECK: return %[[N]]
func.func @transpose_below_rms_norm(%x: tensor<?x?x4x16xf32>, %w: tensor<16xf32>) -> tensor<?x?x4x16xf32> {
  %t = onnx.Transpose(%x) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32>
  %n = attn.rms_norm %t, %w {epsilon = 1.0e-6 : f32} : (tensor<?x4x?x16xf32>, tensor<16xf32>) -> tensor<?x4x?x16xf32>
  %u = onnx.Transpose(%n) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x4x?x16xf32>) -> tensor<?x?x4x16xf32>
  return %u : tensor<?x?x4x16xf32>
}

// -----

// The logit scale works on elements alone, so it commutes with a Transpose
// like the row ops, and the transposes around it cancel.
// CHECK-LABEL: func.func @transpose_below_logit_scale
// CHECK-NOT: onnx.Transpose
// CHECK: %[[S:.*]] = attn.logit_scale %arg0 {scale = 1.250000e-01 : f32} : (tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
// CHECK-NOT: onnx.Transpose
// CHECK: return %[[S]]
func.func @transpose_below_logit_scale(%x: tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32> {
  %t = onnx.Transpose(%x) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32>
  %n = attn.logit_scale %t {scale = 0.125 : f32} : (tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %u = onnx.Transpose(%n) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x4x?x16xf32>) -> tensor<?x?x4x16xf32>
  return %u : tensor<?x?x4x16xf32>
}

// -----

// Alone, the Transpose just moves below the norm (and an activation), which
// then see the untransposed type.
// CHECK-LABEL: func.func @transpose_moves_below
// CHECK: %[[N:.*]] = attn.rms_norm %arg0, %arg1 {epsilon = 9.99999997E-7 : f32} : (tensor<2x8x4x16xf32>, tensor<16xf32>) -> tensor<2x8x4x16xf32>
// CHECK: %[[A:.*]] = attn.activation silu %[[N]] : (tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
// CHECK: %[[T:.*]] = onnx.Transpose(%[[A]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
// CHECK: return %[[T]]
func.func @transpose_moves_below(%x: tensor<2x8x4x16xf32>, %w: tensor<16xf32>) -> tensor<2x4x8x16xf32> {
  %t = onnx.Transpose(%x) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
  %n = attn.rms_norm %t, %w {epsilon = 1.0e-6 : f32} : (tensor<2x4x8x16xf32>, tensor<16xf32>) -> tensor<2x4x8x16xf32>
  %a = attn.activation silu %n : (tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %a : tensor<2x4x8x16xf32>
}

// -----

// A Transpose that moves the last dim changes what the norm normalises over:
// it stays above the norm.
// CHECK-LABEL: func.func @transpose_moves_last_dim
// CHECK: %[[T:.*]] = onnx.Transpose(%arg0) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x16x8xf32>) -> tensor<2x4x8x16xf32>
// CHECK: %[[N:.*]] = attn.rms_norm %[[T]], %arg1
// CHECK: return %[[N]]
func.func @transpose_moves_last_dim(%x: tensor<2x4x16x8xf32>, %w: tensor<16xf32>) -> tensor<2x4x8x16xf32> {
  %t = onnx.Transpose(%x) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x16x8xf32>) -> tensor<2x4x8x16xf32>
  %n = attn.rms_norm %t, %w {epsilon = 1.0e-6 : f32} : (tensor<2x4x8x16xf32>, tensor<16xf32>) -> tensor<2x4x8x16xf32>
  return %n : tensor<2x4x8x16xf32>
}

// -----

// GPT-NeoX's fused QKV: Reshape to heads, Transpose to head-major, Split the
// head dim, Transpose each part back: one Split on axis 3 of the token-major
// heads, no Transpose left.
// CHECK-LABEL: func.func @gptneox_qkv_split
// CHECK-NOT: onnx.Transpose
// CHECK: %[[H:.*]] = onnx.Reshape(%arg0, %{{.*}}) {allowzero = 1 : i64} : (tensor<?x?x192xf32>, tensor<4xi64>) -> tensor<?x?x4x48xf32>
// CHECK: %[[S:.*]]:3 = onnx.Split(%[[H]], %{{.*}}) {axis = 3 : i64, num_outputs = 3 : i64} : (tensor<?x?x4x48xf32>, none) -> (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>)
// CHECK-NOT: onnx.Transpose
// CHECK: return %[[S]]#0, %[[S]]#1, %[[S]]#2
func.func @gptneox_qkv_split(%qkv: tensor<?x?x192xf32>) -> (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>) {
  %target = onnx.Constant() {value = dense<[0, 0, 4, 48]> : tensor<4xi64>} : () -> tensor<4xi64>
  %none = onnx.NoValue() : () -> none
  %h = onnx.Reshape(%qkv, %target) {allowzero = 1 : i64} : (tensor<?x?x192xf32>, tensor<4xi64>) -> tensor<?x?x4x48xf32>
  %t = onnx.Transpose(%h) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x48xf32>) -> tensor<?x4x?x48xf32>
  %s:3 = onnx.Split(%t, %none) {axis = 3 : i64, num_outputs = 3 : i64} : (tensor<?x4x?x48xf32>, none) -> (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>)
  %q = onnx.Transpose(%s#0) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x4x?x16xf32>) -> tensor<?x?x4x16xf32>
  %k = onnx.Transpose(%s#1) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x4x?x16xf32>) -> tensor<?x?x4x16xf32>
  %v = onnx.Transpose(%s#2) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x4x?x16xf32>) -> tensor<?x?x4x16xf32>
  return %q, %k, %v : tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>
}

// -----

// A Split on a negative axis, with explicit sizes, below a Transpose that
// stays (its results are used head-major): the axis is mapped through the
// permutation and the sizes are kept.
// CHECK-LABEL: func.func @split_negative_axis
// CHECK: %[[C:.*]] = onnx.Constant() {value = dense<[16, 32]> : tensor<2xi64>}
// CHECK: %[[S:.*]]:2 = onnx.Split(%arg0, %[[C]]) {axis = 3 : i64} : (tensor<2x8x4x48xf32>, tensor<2xi64>) -> (tensor<2x8x4x16xf32>, tensor<2x8x4x32xf32>)
// CHECK: %[[A:.*]] = onnx.Transpose(%[[S]]#0) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
// CHECK: %[[B:.*]] = onnx.Transpose(%[[S]]#1) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x32xf32>) -> tensor<2x4x8x32xf32>
// CHECK: return %[[A]], %[[B]]
func.func @split_negative_axis(%x: tensor<2x8x4x48xf32>) -> (tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) {
  %sizes = onnx.Constant() {value = dense<[16, 32]> : tensor<2xi64>} : () -> tensor<2xi64>
  %t = onnx.Transpose(%x) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x48xf32>) -> tensor<2x4x8x48xf32>
  %s:2 = onnx.Split(%t, %sizes) {axis = -1 : i64} : (tensor<2x4x8x48xf32>, tensor<2xi64>) -> (tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>)
  return %s#0, %s#1 : tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
}

// -----

// A Slice below a Transpose slices the untransposed axis (here head 1..3 of
// the head-major dim 1, i.e. token-major dim 2).
// CHECK-LABEL: func.func @slice_below_transpose
// CHECK: %[[AX:.*]] = onnx.Constant() {value = dense<2> : tensor<1xi64>}
// CHECK: %[[S:.*]] = onnx.Slice(%arg0, %{{.*}}, %{{.*}}, %[[AX]], %{{.*}}) : (tensor<2x8x4x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x8x2x16xf32>
// CHECK-NOT: onnx.Transpose
// CHECK: return %[[S]]
func.func @slice_below_transpose(%x: tensor<2x8x4x16xf32>) -> tensor<2x8x2x16xf32> {
  %starts = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %ends = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %axes = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %steps = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %t = onnx.Transpose(%x) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
  %s = onnx.Slice(%t, %starts, %ends, %axes, %steps) : (tensor<2x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x2x8x16xf32>
  %u = onnx.Transpose(%s) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x2x8x16xf32>) -> tensor<2x8x2x16xf32>
  return %u : tensor<2x8x2x16xf32>
}

// -----

// Falcon's multi-query K and V: heads moved to the front, one head picked by
// GatherND [[i]], moved back in two steps: a Slice of head i (axis 2) of the
// token-major heads, no Transpose and no GatherND left.
// CHECK-LABEL: func.func @falcon_gathernd_heads
// CHECK-NOT: onnx.Transpose
// CHECK-NOT: onnx.GatherND
// CHECK-DAG: %[[K0:.*]] = onnx.Constant() {value = dense<4> : tensor<1xi64>}
// CHECK-DAG: %[[K1:.*]] = onnx.Constant() {value = dense<5> : tensor<1xi64>}
// CHECK-DAG: %[[AX:.*]] = onnx.Constant() {value = dense<2> : tensor<1xi64>}
// CHECK: %[[K:.*]] = onnx.Slice(%arg0, %[[K0]], %[[K1]], %[[AX]], %{{.*}}) : (tensor<?x?x6x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x1x16xf32>
// CHECK: %[[V:.*]] = onnx.Slice(%arg0, {{.*}}) : (tensor<?x?x6x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x1x16xf32>
// CHECK-NOT: onnx.Transpose
// CHECK-NOT: onnx.GatherND
// CHECK: return %[[K]], %[[V]]
func.func @falcon_gathernd_heads(%x: tensor<?x?x6x16xf32>) -> (tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>) {
  %ik = onnx.Constant() {value = dense<4> : tensor<1x1xi64>} : () -> tensor<1x1xi64>
  %iv = onnx.Constant() {value = dense<-1> : tensor<1x1xi64>} : () -> tensor<1x1xi64>
  %t = onnx.Transpose(%x) {perm = array<i64: 2, 0, 1, 3>} : (tensor<?x?x6x16xf32>) -> tensor<6x?x?x16xf32>
  %gk = onnx.GatherND(%t, %ik) : (tensor<6x?x?x16xf32>, tensor<1x1xi64>) -> tensor<1x?x?x16xf32>
  %gv = onnx.GatherND(%t, %iv) : (tensor<6x?x?x16xf32>, tensor<1x1xi64>) -> tensor<1x?x?x16xf32>
  %k1 = onnx.Transpose(%gk) {perm = array<i64: 1, 0, 2, 3>} : (tensor<1x?x?x16xf32>) -> tensor<?x1x?x16xf32>
  %v1 = onnx.Transpose(%gv) {perm = array<i64: 1, 0, 2, 3>} : (tensor<1x?x?x16xf32>) -> tensor<?x1x?x16xf32>
  %k = onnx.Transpose(%k1) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x1x?x16xf32>) -> tensor<?x?x1x16xf32>
  %v = onnx.Transpose(%v1) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x1x?x16xf32>) -> tensor<?x?x1x16xf32>
  return %k, %v : tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>
}

// -----

// The negative index -1 of the V head above picks the last head, [5, 6).
// CHECK-LABEL: func.func @gathernd_negative_index
// CHECK-DAG: %[[S:.*]] = onnx.Constant() {value = dense<5> : tensor<1xi64>}
// CHECK-DAG: %[[E:.*]] = onnx.Constant() {value = dense<6> : tensor<1xi64>}
// CHECK-DAG: %[[AX:.*]] = onnx.Constant() {value = dense<0> : tensor<1xi64>}
// CHECK: onnx.Slice(%arg0, %[[S]], %[[E]], %[[AX]], %{{.*}}) : (tensor<6x?x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x16xf32>
// CHECK-NOT: onnx.GatherND
func.func @gathernd_negative_index(%x: tensor<6x?x16xf32>) -> tensor<1x?x16xf32> {
  %i = onnx.Constant() {value = dense<-1> : tensor<1x1xi64>} : () -> tensor<1x1xi64>
  %g = onnx.GatherND(%x, %i) : (tensor<6x?x16xf32>, tensor<1x1xi64>) -> tensor<1x?x16xf32>
  return %g : tensor<1x?x16xf32>
}

// -----

// GatherND with batch_dims, with two indices ([[1], [3]]), with an index
// pair ([[1, 2]]) or with run-time indices is a real gather: it stays.
// CHECK-LABEL: func.func @gathernd_not_slice
// CHECK-NOT: onnx.Slice
// CHECK-COUNT-4: onnx.GatherND
func.func @gathernd_not_slice(%x: tensor<6x4x16xf32>, %idx: tensor<1x1xi64>) -> (tensor<6x16xf32>, tensor<2x4x16xf32>, tensor<1x16xf32>, tensor<1x4x16xf32>) {
  %b = onnx.Constant() {value = dense<1> : tensor<6x1xi64>} : () -> tensor<6x1xi64>
  %two = onnx.Constant() {value = dense<[[1], [3]]> : tensor<2x1xi64>} : () -> tensor<2x1xi64>
  %pair = onnx.Constant() {value = dense<[[1, 2]]> : tensor<1x2xi64>} : () -> tensor<1x2xi64>
  %g0 = onnx.GatherND(%x, %b) {batch_dims = 1 : i64} : (tensor<6x4x16xf32>, tensor<6x1xi64>) -> tensor<6x16xf32>
  %g1 = onnx.GatherND(%x, %two) : (tensor<6x4x16xf32>, tensor<2x1xi64>) -> tensor<2x4x16xf32>
  %g2 = onnx.GatherND(%x, %pair) : (tensor<6x4x16xf32>, tensor<1x2xi64>) -> tensor<1x16xf32>
  %g3 = onnx.GatherND(%x, %idx) : (tensor<6x4x16xf32>, tensor<1x1xi64>) -> tensor<1x4x16xf32>
  return %g0, %g1, %g2, %g3 : tensor<6x16xf32>, tensor<2x4x16xf32>, tensor<1x16xf32>, tensor<1x4x16xf32>
}

// -----

// GPT-2's Conv1D: flatten to [b*s, 64], a 2-D linear, unflatten to
// [b, s, 192] with b and s read from the input's shape: the linear runs on
// the [b, s, 64] input directly.
// CHECK-LABEL: func.func @gpt2_flattened_linear
// CHECK-NOT: onnx.Reshape
// CHECK: %[[L:.*]] = attn.linear %arg0, %{{.*}} bias(%{{.*}}) {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x64xf32>, tensor<64x192xf32>, tensor<192xf32>) -> tensor<?x?x192xf32>
// CHECK-NOT: onnx.Reshape
// CHECK: return %[[L]]
func.func @gpt2_flattened_linear(%x: tensor<?x?x64xf32> {onnx.dim_params = ["batch", "seq", ""]}) -> tensor<?x?x192xf32> {
  %w = onnx.Constant() {value = dense<0.5> : tensor<64x192xf32>} : () -> tensor<64x192xf32>
  %bias = onnx.Constant() {value = dense<0.25> : tensor<192xf32>} : () -> tensor<192xf32>
  %flat_shape = onnx.Constant() {value = dense<[-1, 64]> : tensor<2xi64>} : () -> tensor<2xi64>
  %i0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %i1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %m = onnx.Constant() {value = dense<192> : tensor<1xi64>} : () -> tensor<1xi64>
  %flat = onnx.Reshape(%x, %flat_shape) {allowzero = 1 : i64} : (tensor<?x?x64xf32>, tensor<2xi64>) -> tensor<?x64xf32>
  %y = attn.linear %flat, %w bias(%bias) {weight_layout = #attn<weight_layout in_out>} : (tensor<?x64xf32>, tensor<64x192xf32>, tensor<192xf32>) -> tensor<?x192xf32>
  %shape = onnx.Shape(%x) : (tensor<?x?x64xf32>) -> tensor<3xi64>
  %b = onnx.Gather(%shape, %i0) : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %s = onnx.Gather(%shape, %i1) : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %target = onnx.Concat(%b, %s, %m) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %out = onnx.Reshape(%y, %target) {allowzero = 1 : i64} : (tensor<?x192xf32>, tensor<3xi64>) -> tensor<?x?x192xf32>
  return %out : tensor<?x?x192xf32>
}

// -----

// GPT-2's attention output projection: the flatten also merges the heads,
// so a head-merging Reshape to [b, s, 64] (target 0, 0, 64) stays in front of
// the linear.
// CHECK-LABEL: func.func @gpt2_flattened_heads_linear
// CHECK: %[[T:.*]] = onnx.Constant() {value = dense<[0, 0, 64]> : tensor<3xi64>}
// CHECK: %[[M:.*]] = onnx.Reshape(%arg0, %[[T]]) : (tensor<?x?x4x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
// CHECK: %[[L:.*]] = attn.linear %[[M]], %{{.*}} {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
// CHECK-NOT: onnx.Reshape
// CHECK: return %[[L]]
func.func @gpt2_flattened_heads_linear(%x: tensor<?x?x4x16xf32> {onnx.dim_params = ["batch", "seq", "", ""]}) -> tensor<?x?x64xf32> {
  %w = onnx.Constant() {value = dense<0.5> : tensor<64x64xf32>} : () -> tensor<64x64xf32>
  %flat_shape = onnx.Constant() {value = dense<[-1, 64]> : tensor<2xi64>} : () -> tensor<2xi64>
  %i0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %i1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %m = onnx.Constant() {value = dense<64> : tensor<1xi64>} : () -> tensor<1xi64>
  %flat = onnx.Reshape(%x, %flat_shape) : (tensor<?x?x4x16xf32>, tensor<2xi64>) -> tensor<?x64xf32>
  %y = attn.linear %flat, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %shape = onnx.Shape(%x) : (tensor<?x?x4x16xf32>) -> tensor<4xi64>
  %b = onnx.Gather(%shape, %i0) : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %s = onnx.Gather(%shape, %i1) : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %target = onnx.Concat(%b, %s, %m) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %out = onnx.Reshape(%y, %target) {allowzero = 1 : i64} : (tensor<?x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  return %out : tensor<?x?x64xf32>
}

// -----

// A Reshape to the input's own shape ([-1, seq] of the ids, seq from the
// shape; [0, 0, 64] of hidden states) is removed.
// CHECK-LABEL: func.func @reshape_to_own_shape
// CHECK-NOT: onnx.Reshape
// CHECK: return %arg0, %arg1
func.func @reshape_to_own_shape(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}, %h: tensor<?x?x64xf32> {onnx.dim_params = ["batch", "seq", ""]}) -> (tensor<?x?xi64>, tensor<?x?x64xf32>) {
  %minus1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %keep = onnx.Constant() {value = dense<[0, 0, 64]> : tensor<3xi64>} : () -> tensor<3xi64>
  %seq = onnx.Shape(%ids) {end = 2 : i64, start = 1 : i64} : (tensor<?x?xi64>) -> tensor<1xi64>
  %target = onnx.Concat(%minus1, %seq) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %r = onnx.Reshape(%ids, %target) {allowzero = 1 : i64} : (tensor<?x?xi64>, tensor<2xi64>) -> tensor<?x?xi64>
  %k = onnx.Reshape(%h, %keep) : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  return %r, %k : tensor<?x?xi64>, tensor<?x?x64xf32>
}

// -----

// Reshapes that really move the token dims stay: [b, s] to [s, b] (the same
// type, another shape), and an unflatten to [b, 2s, 96] after the 2-D linear
// (its rows regrouped, not [b, s, 192]); the [b, s] Reshape beside them goes.
// CHECK-LABEL: func.func @reshape_changes_tokens
// CHECK: %[[SWAP:.*]] = onnx.Reshape(%arg0, %{{.*}}) {allowzero = 1 : i64} : (tensor<?x?xi64>, tensor<2xi64>) -> tensor<?x?xi64>
// CHECK: %[[FLAT:.*]] = onnx.Reshape(%arg1, %{{.*}}) {allowzero = 1 : i64} : (tensor<?x?x64xf32>, tensor<2xi64>) -> tensor<?x64xf32>
// CHECK: %[[L:.*]] = attn.linear %[[FLAT]], %{{.*}} {weight_layout = #attn<weight_layout in_out>} : (tensor<?x64xf32>, tensor<64x192xf32>) -> tensor<?x192xf32>
// CHECK: %[[OUT:.*]] = onnx.Reshape(%[[L]], %{{.*}}) {allowzero = 1 : i64} : (tensor<?x192xf32>, tensor<3xi64>) -> tensor<?x?x96xf32>
// CHECK-NOT: onnx.Reshape
// CHECK: return %[[SWAP]], %arg0, %[[OUT]]
func.func @reshape_changes_tokens(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}, %x: tensor<?x?x64xf32> {onnx.dim_params = ["batch", "seq", ""]}) -> (tensor<?x?xi64>, tensor<?x?xi64>, tensor<?x?x96xf32>) {
  %w = onnx.Constant() {value = dense<0.5> : tensor<64x192xf32>} : () -> tensor<64x192xf32>
  %flat_shape = onnx.Constant() {value = dense<[-1, 64]> : tensor<2xi64>} : () -> tensor<2xi64>
  %minus1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %half = onnx.Constant() {value = dense<96> : tensor<1xi64>} : () -> tensor<1xi64>
  %b = onnx.Shape(%ids) {end = 1 : i64} : (tensor<?x?xi64>) -> tensor<1xi64>
  %s = onnx.Shape(%ids) {end = 2 : i64, start = 1 : i64} : (tensor<?x?xi64>) -> tensor<1xi64>
  %sb = onnx.Concat(%s, %b) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %swap = onnx.Reshape(%ids, %sb) {allowzero = 1 : i64} : (tensor<?x?xi64>, tensor<2xi64>) -> tensor<?x?xi64>
  %flat = onnx.Reshape(%x, %flat_shape) {allowzero = 1 : i64} : (tensor<?x?x64xf32>, tensor<2xi64>) -> tensor<?x64xf32>
  %y = attn.linear %flat, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x64xf32>, tensor<64x192xf32>) -> tensor<?x192xf32>
  %regroup = onnx.Concat(%b, %minus1, %half) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %rows = onnx.Reshape(%y, %regroup) {allowzero = 1 : i64} : (tensor<?x192xf32>, tensor<3xi64>) -> tensor<?x?x96xf32>
  %bs = onnx.Concat(%b, %s) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %keep = onnx.Reshape(%ids, %bs) {allowzero = 1 : i64} : (tensor<?x?xi64>, tensor<2xi64>) -> tensor<?x?xi64>
  return %swap, %keep, %rows : tensor<?x?xi64>, tensor<?x?xi64>, tensor<?x?x96xf32>
}
