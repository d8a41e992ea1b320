// RUN: attnc-opt %s -split-input-file -attn-raise-attention | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-raise-attention | attnc-opt -split-input-file | FileCheck %s

// Eager GQA (4 q heads, 2 kv heads): repeat_kv on k and v folds into
// num_kv_heads = 2, the scale Mul on the scores becomes scale, the annotated
// mask becomes causal + a key padding mask cast from the attention_mask
// argument, and the output Transpose/Reshape reads the token-major result.
// CHECK-LABEL: func.func @eager_gqa_causal_padding
// CHECK-SAME: (%[[XQ:[^:]*]]: tensor<2x8x4x16xf32>, %[[XK:[^:]*]]: tensor<2x8x2x16xf32>, %[[XV:[^:]*]]: tensor<2x8x2x16xf32>, %[[AM:[^:]*]]: tensor<2x8xi64>, %{{.*}}: tensor<2x1x8x8xf32>)
// CHECK: %[[PAD:.*]] = onnx.Cast(%[[AM]]) {to = 9 : i64} : (tensor<2x8xi64>) -> tensor<2x8xi1>
// CHECK: %[[A:.*]] = attn.attention %[[XQ]], %[[XK]], %[[XV]] padding(%[[PAD]]) {head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : (tensor<2x8x4x16xf32>, tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>, tensor<2x8xi1>) -> tensor<2x8x4x16xf32>
// CHECK: %[[R:.*]] = onnx.Reshape(%[[A]], %{{.*}}) : (tensor<2x8x4x16xf32>, tensor<3xi64>) -> tensor<2x8x64xf32>
// CHECK-NOT: onnx.Softmax
// CHECK-NOT: onnx.MatMul
// CHECK-NOT: onnx.Expand
// CHECK: return %[[R]]
func.func @eager_gqa_causal_padding(%xq: tensor<2x8x4x16xf32>, %xk: tensor<2x8x2x16xf32>, %xv: tensor<2x8x2x16xf32>, %am: tensor<2x8xi64>, %mask: tensor<2x1x8x8xf32>) -> tensor<2x8x64xf32> {
  %q = onnx.Transpose(%xq) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
  %k = onnx.Transpose(%xk) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x2x16xf32>) -> tensor<2x2x8x16xf32>
  %v = onnx.Transpose(%xv) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x2x16xf32>) -> tensor<2x2x8x16xf32>
  %axis2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %rep = onnx.Constant() {value = dense<[1, 2, 2, 1, 16]> : tensor<5xi64>} : () -> tensor<5xi64>
  %merge = onnx.Constant() {value = dense<[0, 4, -1, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %ku = onnx.Unsqueeze(%k, %axis2) : (tensor<2x2x8x16xf32>, tensor<1xi64>) -> tensor<2x2x1x8x16xf32>
  %ke = onnx.Expand(%ku, %rep) : (tensor<2x2x1x8x16xf32>, tensor<5xi64>) -> tensor<2x2x2x8x16xf32>
  %kr = onnx.Reshape(%ke, %merge) : (tensor<2x2x2x8x16xf32>, tensor<4xi64>) -> tensor<2x4x8x16xf32>
  %vu = onnx.Unsqueeze(%v, %axis2) : (tensor<2x2x8x16xf32>, tensor<1xi64>) -> tensor<2x2x1x8x16xf32>
  %ve = onnx.Expand(%vu, %rep) : (tensor<2x2x1x8x16xf32>, tensor<5xi64>) -> tensor<2x2x2x8x16xf32>
  %vr = onnx.Reshape(%ve, %merge) : (tensor<2x2x2x8x16xf32>, tensor<4xi64>) -> tensor<2x4x8x16xf32>
  %kt = onnx.Transpose(%kr) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %c = onnx.Constant() {value = dense<2.500000e-01> : tensor<f32>} : () -> tensor<f32>
  %ss = onnx.Mul(%s, %c) : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %m = onnx.Add(%ss, %mask) {attn.mask = {causal = true, padding = true, padding_arg = 3 : i64, window = 0 : i64}} : (tensor<2x4x8x8xf32>, tensor<2x1x8x8xf32>) -> tensor<2x4x8x8xf32>
  %p = onnx.Softmax(%m) : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = onnx.MatMul(%p, %vr) : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  %ot = onnx.Transpose(%o) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x8x16xf32>) -> tensor<2x8x4x16xf32>
  %hid = onnx.Constant() {value = dense<[0, 0, -1]> : tensor<3xi64>} : () -> tensor<3xi64>
  %y = onnx.Reshape(%ot, %hid) : (tensor<2x8x4x16xf32>, tensor<3xi64>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// sdpa MHA without a mask: q and k^T are each scaled by sqrt(scale) (0.5 *
// 0.5 = 1/sqrt(16)), k^T is sdpa's Reshape([-1, t, d]) / Transpose(0,2,1) /
// Reshape([b, h, d, t]) over dynamic dims read from Shape, and the
// Where(IsNaN(p), 0, p) guard is absorbed. No annotation and no mask op:
// causal = false. Head-major inputs get token-major Transposes.
// CHECK-LABEL: func.func @sdpa_mha_unmasked
// CHECK-SAME: (%[[Q:[^:]*]]: tensor<?x4x?x16xf32> {{.*}}, %[[K:[^:]*]]: tensor<?x4x?x16xf32> {{.*}}, %[[V:[^:]*]]: tensor<?x4x?x16xf32> {{.*}})
// CHECK-DAG: %[[QT:.*]] = onnx.Transpose(%[[Q]]) {perm = array<i64: 0, 2, 1, 3>}
// CHECK-DAG: %[[KT:.*]] = onnx.Transpose(%[[K]]) {perm = array<i64: 0, 2, 1, 3>}
// CHECK-DAG: %[[VT:.*]] = onnx.Transpose(%[[V]]) {perm = array<i64: 0, 2, 1, 3>}
// CHECK: %[[A:.*]] = attn.attention %[[QT]], %[[KT]], %[[VT]] {causal = false, head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 2.500000e-01 : f32}
// CHECK-NOT: onnx.IsNaN
// CHECK-NOT: onnx.Softmax
func.func @sdpa_mha_unmasked(%q: tensor<?x4x?x16xf32> {onnx.dim_params = ["batch", "", "seq", ""]}, %k: tensor<?x4x?x16xf32> {onnx.dim_params = ["batch", "", "seq", ""]}, %v: tensor<?x4x?x16xf32> {onnx.dim_params = ["batch", "", "seq", ""]}) -> tensor<?x?x64xf32> {
  %none = onnx.NoValue() : () -> none
  %shape = onnx.Shape(%k) : (tensor<?x4x?x16xf32>) -> tensor<4xi64>
  %d = onnx.Constant() {value = dense<16> : tensor<1xi64>} : () -> tensor<1xi64>
  %m1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %m2 = onnx.Constant() {value = dense<-2> : tensor<1xi64>} : () -> tensor<1xi64>
  %min = onnx.Constant() {value = dense<-9223372036854775808> : tensor<1xi64>} : () -> tensor<1xi64>
  %t = onnx.Slice(%shape, %m2, %m1, %none, %none) : (tensor<4xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<1xi64>
  %bh = onnx.Slice(%shape, %min, %m2, %none, %none) : (tensor<4xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<2xi64>
  %s3 = onnx.Concat(%m1, %t, %d) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %k3 = onnx.Reshape(%k, %s3) : (tensor<?x4x?x16xf32>, tensor<3xi64>) -> tensor<?x?x16xf32>
  %k3t = onnx.Transpose(%k3) {perm = array<i64: 0, 2, 1>} : (tensor<?x?x16xf32>) -> tensor<?x16x?xf32>
  %s4 = onnx.Concat(%bh, %d, %t) {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  %kt = onnx.Reshape(%k3t, %s4) : (tensor<?x16x?xf32>, tensor<4xi64>) -> tensor<?x4x16x?xf32>
  %half = onnx.Constant() {value = dense<5.000000e-01> : tensor<f32>} : () -> tensor<f32>
  %qs = onnx.Mul(%q, %half) : (tensor<?x4x?x16xf32>, tensor<f32>) -> tensor<?x4x?x16xf32>
  %kts = onnx.Mul(%kt, %half) : (tensor<?x4x16x?xf32>, tensor<f32>) -> tensor<?x4x16x?xf32>
  %s = onnx.MatMul(%qs, %kts) : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%s) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %nan = onnx.IsNaN(%p) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xi1>
  %zero = onnx.Constant() {value = dense<0.000000e+00> : tensor<f32>} : () -> tensor<f32>
  %pg = onnx.Where(%nan, %zero, %p) : (tensor<?x4x?x?xi1>, tensor<f32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %o = onnx.MatMul(%pg, %v) : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %ot = onnx.Transpose(%o) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x4x?x16xf32>) -> tensor<?x?x4x16xf32>
  %hid = onnx.Constant() {value = dense<[0, 0, -1]> : tensor<3xi64>} : () -> tensor<3xi64>
  %y = onnx.Reshape(%ot, %hid) : (tensor<?x?x4x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// Gemma-2 eager: scale Mul then softcap Div/Tanh/Mul by 50 before a
// causal + window 4 mask; MQA through MatMul broadcasting one k/v head.
// CHECK-LABEL: func.func @eager_softcap_window_mqa
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 1 : i64, scale = 0.176776692 : f32, softcap = 5.000000e+01 : f32, window = 4 : i64} : (tensor<2x8x4x16xf32>, tensor<2x8x1x16xf32>, tensor<2x8x1x16xf32>) -> tensor<2x8x4x16xf32>
// CHECK-NOT: onnx.Tanh
func.func @eager_softcap_window_mqa(%xq: tensor<2x8x4x16xf32>, %k: tensor<2x1x8x16xf32>, %v: tensor<2x1x8x16xf32>, %mask: tensor<1x1x8x8xf32>) -> tensor<2x8x4x16xf32> {
  %q = onnx.Transpose(%xq) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
  %kt = onnx.Transpose(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x1x8x16xf32>) -> tensor<2x1x16x8xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<2x4x8x16xf32>, tensor<2x1x16x8xf32>) -> tensor<2x4x8x8xf32>
  %c = onnx.Constant() {value = dense<0.176776695> : tensor<f32>} : () -> tensor<f32>
  %ss = onnx.Mul(%s, %c) : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %cap = onnx.Constant() {value = dense<5.000000e+01> : tensor<f32>} : () -> tensor<f32>
  %sd = onnx.Div(%ss, %cap) : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %st = onnx.Tanh(%sd) : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %sc = onnx.Mul(%st, %cap) : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %m = onnx.Add(%sc, %mask) {attn.mask = {causal = true, padding = false, window = 4 : i64}} : (tensor<2x4x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<2x4x8x8xf32>
  %p = onnx.Softmax(%m) : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = onnx.MatMul(%p, %v) : (tensor<2x4x8x8xf32>, tensor<2x1x8x16xf32>) -> tensor<2x4x8x16xf32>
  %ot = onnx.Transpose(%o) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x8x16xf32>) -> tensor<2x8x4x16xf32>
  return %ot : tensor<2x8x4x16xf32>
}

// -----

// repeat_kv written with Tile([1, 1, n, 1, 1]) on the unsqueezed axis (like
// Expand) folds the same way: 4 q heads over 2 kv heads.
// CHECK-LABEL: func.func @tile_repeat_kv
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {causal = false, head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : (tensor<2x8x4x16xf32>, tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>) -> tensor<2x8x4x16xf32>
// CHECK-NOT: onnx.Tile
func.func @tile_repeat_kv(%q: tensor<2x4x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x2x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %axis2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %rep = onnx.Constant() {value = dense<[1, 1, 2, 1, 1]> : tensor<5xi64>} : () -> tensor<5xi64>
  %merge = onnx.Constant() {value = dense<[0, 4, -1, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %ku = onnx.Unsqueeze(%k, %axis2) : (tensor<2x2x8x16xf32>, tensor<1xi64>) -> tensor<2x2x1x8x16xf32>
  %ke = onnx.Tile(%ku, %rep) : (tensor<2x2x1x8x16xf32>, tensor<5xi64>) -> tensor<2x2x2x8x16xf32>
  %kr = onnx.Reshape(%ke, %merge) : (tensor<2x2x2x8x16xf32>, tensor<4xi64>) -> tensor<2x4x8x16xf32>
  %vu = onnx.Unsqueeze(%v, %axis2) : (tensor<2x2x8x16xf32>, tensor<1xi64>) -> tensor<2x2x1x8x16xf32>
  %ve = onnx.Tile(%vu, %rep) : (tensor<2x2x1x8x16xf32>, tensor<5xi64>) -> tensor<2x2x2x8x16xf32>
  %vr = onnx.Reshape(%ve, %merge) : (tensor<2x2x2x8x16xf32>, tensor<4xi64>) -> tensor<2x4x8x16xf32>
  %kt = onnx.Transpose(%kr) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %c = onnx.Constant() {value = dense<4.000000e+00> : tensor<f32>} : () -> tensor<f32>
  %ss = onnx.Div(%s, %c) : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %p = onnx.Softmax(%ss) : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = onnx.MatMul(%p, %vr) : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  %ot = onnx.Transpose(%o) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x8x16xf32>) -> tensor<2x8x4x16xf32>
  %y = onnx.Transpose(%ot) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
  return %y : tensor<2x4x8x16xf32>
}

// -----

// The mask applied by an annotated Where(mask, scores, -inf) (causal only,
// no padding): the scores are the Where's selected operand.
// CHECK-LABEL: func.func @where_mask_causal
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 2.500000e-01 : f32} : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
// CHECK-NOT: onnx.Where
func.func @where_mask_causal(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>, %keep: tensor<1x1x8x8xi1>) -> tensor<2x4x8x16xf32> {
  %kt = onnx.Transpose(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %c = onnx.Constant() {value = dense<2.500000e-01> : tensor<f32>} : () -> tensor<f32>
  %ss = onnx.Mul(%s, %c) : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %ninf = onnx.Constant() {value = dense<0xFF800000> : tensor<f32>} : () -> tensor<f32>
  %m = onnx.Where(%keep, %ss, %ninf) {attn.mask = {causal = true, padding = false, window = 0 : i64}} : (tensor<1x1x8x8xi1>, tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %p = onnx.Softmax(%m) : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = onnx.MatMul(%p, %v) : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// Must not fire: k is repeated from 2 kv heads but v is a full 4-head tensor
// (K and V would need different num_kv_heads).
// CHECK-LABEL: func.func @k_repeated_v_not
// CHECK-NOT: attn.attention
// CHECK: onnx.Softmax
func.func @k_repeated_v_not(%q: tensor<2x4x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %axis2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %rep = onnx.Constant() {value = dense<[1, 2, 2, 1, 16]> : tensor<5xi64>} : () -> tensor<5xi64>
  %merge = onnx.Constant() {value = dense<[0, 4, -1, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %ku = onnx.Unsqueeze(%k, %axis2) : (tensor<2x2x8x16xf32>, tensor<1xi64>) -> tensor<2x2x1x8x16xf32>
  %ke = onnx.Expand(%ku, %rep) : (tensor<2x2x1x8x16xf32>, tensor<5xi64>) -> tensor<2x2x2x8x16xf32>
  %kr = onnx.Reshape(%ke, %merge) : (tensor<2x2x2x8x16xf32>, tensor<4xi64>) -> tensor<2x4x8x16xf32>
  %kt = onnx.Transpose(%kr) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %p = onnx.Softmax(%s) : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = onnx.MatMul(%p, %v) : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// Must not fire: k repeats 2 kv heads twice, v repeats 1 kv head four times.
// CHECK-LABEL: func.func @repeat_factors_disagree
// CHECK-NOT: attn.attention
// CHECK: onnx.Softmax
func.func @repeat_factors_disagree(%q: tensor<2x4x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x1x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %axis2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %krep = onnx.Constant() {value = dense<[1, 2, 2, 1, 16]> : tensor<5xi64>} : () -> tensor<5xi64>
  %vrep = onnx.Constant() {value = dense<[1, 1, 4, 1, 16]> : tensor<5xi64>} : () -> tensor<5xi64>
  %merge = onnx.Constant() {value = dense<[0, 4, -1, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %ku = onnx.Unsqueeze(%k, %axis2) : (tensor<2x2x8x16xf32>, tensor<1xi64>) -> tensor<2x2x1x8x16xf32>
  %ke = onnx.Expand(%ku, %krep) : (tensor<2x2x1x8x16xf32>, tensor<5xi64>) -> tensor<2x2x2x8x16xf32>
  %kr = onnx.Reshape(%ke, %merge) : (tensor<2x2x2x8x16xf32>, tensor<4xi64>) -> tensor<2x4x8x16xf32>
  %vu = onnx.Unsqueeze(%v, %axis2) : (tensor<2x1x8x16xf32>, tensor<1xi64>) -> tensor<2x1x1x8x16xf32>
  %ve = onnx.Expand(%vu, %vrep) : (tensor<2x1x1x8x16xf32>, tensor<5xi64>) -> tensor<2x1x4x8x16xf32>
  %vr = onnx.Reshape(%ve, %merge) : (tensor<2x1x4x8x16xf32>, tensor<4xi64>) -> tensor<2x4x8x16xf32>
  %kt = onnx.Transpose(%kr) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %p = onnx.Softmax(%s) : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = onnx.MatMul(%p, %vr) : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// Must not fire: the softmax runs over the query axis, not the keys.
// CHECK-LABEL: func.func @softmax_wrong_axis
// CHECK-NOT: attn.attention
// CHECK: onnx.Softmax
func.func @softmax_wrong_axis(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %kt = onnx.Transpose(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %p = onnx.Softmax(%s) {axis = 2 : i64} : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = onnx.MatMul(%p, %v) : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// Must not fire: the scores are scaled by a runtime value, not a constant.
// CHECK-LABEL: func.func @scale_not_constant
// CHECK-NOT: attn.attention
// CHECK: onnx.Softmax
func.func @scale_not_constant(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>, %c: tensor<f32>) -> tensor<2x4x8x16xf32> {
  %kt = onnx.Transpose(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %ss = onnx.Mul(%s, %c) : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %p = onnx.Softmax(%ss) : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = onnx.MatMul(%p, %v) : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// Must not fire: the scores pass an Add of a tensor that attn-classify-masks
// did not annotate (an unclassified mask or bias); no annotation never means
// causal, and dropping the Add would change the result.
// CHECK-LABEL: func.func @unannotated_add
// CHECK-NOT: attn.attention
// CHECK: onnx.Softmax
func.func @unannotated_add(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>, %bias: tensor<2x1x8x8xf32>) -> tensor<2x4x8x16xf32> {
  %kt = onnx.Transpose(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %m = onnx.Add(%s, %bias) : (tensor<2x4x8x8xf32>, tensor<2x1x8x8xf32>) -> tensor<2x4x8x8xf32>
  %p = onnx.Softmax(%m) : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = onnx.MatMul(%p, %v) : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// Must not fire: a Mul by a constant after the softcap (between it and the
// softmax) is not a scale attn.attention can express.
// CHECK-LABEL: func.func @scale_after_softcap
// CHECK-NOT: attn.attention
// CHECK: onnx.Softmax
func.func @scale_after_softcap(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %kt = onnx.Transpose(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %cap = onnx.Constant() {value = dense<5.000000e+01> : tensor<f32>} : () -> tensor<f32>
  %sd = onnx.Div(%s, %cap) : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %st = onnx.Tanh(%sd) : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %sc = onnx.Mul(%st, %cap) : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %c = onnx.Constant() {value = dense<2.500000e-01> : tensor<f32>} : () -> tensor<f32>
  %ss = onnx.Mul(%sc, %c) : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %p = onnx.Softmax(%ss) : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = onnx.MatMul(%p, %v) : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// Must not fire: sdpa's k^T chain whose last Reshape is [0, 4, 16, -1]: the 0
// copies b*h (not b) from the [b*h, d, t] tensor, so it does not rebuild
// [b, h, d, t] for more than one head.
// CHECK-LABEL: func.func @sdpa_reshape_not_transpose
// CHECK-NOT: attn.attention
// CHECK: onnx.Softmax
func.func @sdpa_reshape_not_transpose(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %none = onnx.NoValue() : () -> none
  %shape = onnx.Shape(%k) : (tensor<?x4x?x16xf32>) -> tensor<4xi64>
  %d = onnx.Constant() {value = dense<16> : tensor<1xi64>} : () -> tensor<1xi64>
  %m1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %m2 = onnx.Constant() {value = dense<-2> : tensor<1xi64>} : () -> tensor<1xi64>
  %t = onnx.Slice(%shape, %m2, %m1, %none, %none) : (tensor<4xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<1xi64>
  %s3 = onnx.Concat(%m1, %t, %d) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %k3 = onnx.Reshape(%k, %s3) : (tensor<?x4x?x16xf32>, tensor<3xi64>) -> tensor<?x?x16xf32>
  %k3t = onnx.Transpose(%k3) {perm = array<i64: 0, 2, 1>} : (tensor<?x?x16xf32>) -> tensor<?x16x?xf32>
  %s4 = onnx.Constant() {value = dense<[0, 4, 16, -1]> : tensor<4xi64>} : () -> tensor<4xi64>
  %kt = onnx.Reshape(%k3t, %s4) : (tensor<?x16x?xf32>, tensor<4xi64>) -> tensor<?x4x16x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%s) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %o = onnx.MatMul(%p, %v) : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// Keys and values with a past (Concat(past, new) along the sequence, 5 + 3
// keys for 3 queries): a mask that attn-classify-masks checked against kv_seq
// - seq (kv_aligned) raises as causal with the concatenated K/V, query i at
// key position 5 + i as attn.attention defines it.
// CHECK-LABEL: func.func @past_kv_aligned_causal
// CHECK: %[[K:.*]] = onnx.Concat
// CHECK: %[[V:.*]] = onnx.Concat
// CHECK-DAG: %[[KT:.*]] = onnx.Transpose(%[[K]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x8x16xf32>) -> tensor<2x8x4x16xf32>
// CHECK-DAG: %[[VT:.*]] = onnx.Transpose(%[[V]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x8x16xf32>) -> tensor<2x8x4x16xf32>
// CHECK: %[[A:.*]] = attn.attention %{{.*}}, %[[KT]], %[[VT]] {head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 1.000000e+00 : f32} : (tensor<2x3x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x3x4x16xf32>
// CHECK-NOT: onnx.Softmax
// CHECK: return %[[A]]
func.func @past_kv_aligned_causal(%xq: tensor<2x3x4x16xf32>, %xk: tensor<2x3x4x16xf32>, %xv: tensor<2x3x4x16xf32>, %pk: tensor<2x4x5x16xf32>, %pv: tensor<2x4x5x16xf32>, %mask: tensor<2x1x3x8xf32>) -> tensor<2x3x4x16xf32> {
  %q = onnx.Transpose(%xq) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x16xf32>) -> tensor<2x4x3x16xf32>
  %kn = onnx.Transpose(%xk) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x16xf32>) -> tensor<2x4x3x16xf32>
  %vn = onnx.Transpose(%xv) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x16xf32>) -> tensor<2x4x3x16xf32>
  %k = onnx.Concat(%pk, %kn) {axis = -2 : i64} : (tensor<2x4x5x16xf32>, tensor<2x4x3x16xf32>) -> tensor<2x4x8x16xf32>
  %v = onnx.Concat(%pv, %vn) {axis = -2 : i64} : (tensor<2x4x5x16xf32>, tensor<2x4x3x16xf32>) -> tensor<2x4x8x16xf32>
  %kt = onnx.Transpose(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<2x4x3x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x3x8xf32>
  %m = onnx.Add(%s, %mask) {attn.mask = {causal = true, kv_aligned = true, padding = false, window = 0 : i64}} : (tensor<2x4x3x8xf32>, tensor<2x1x3x8xf32>) -> tensor<2x4x3x8xf32>
  %p = onnx.Softmax(%m) : (tensor<2x4x3x8xf32>) -> tensor<2x4x3x8xf32>
  %o = onnx.MatMul(%p, %v) : (tensor<2x4x3x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x3x16xf32>
  %ot = onnx.Transpose(%o) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x3x16xf32>) -> tensor<2x3x4x16xf32>
  return %ot : tensor<2x3x4x16xf32>
}

// -----

// Must not fire: the same causal mask without kv_aligned is a bound by index
// (k <= q), which for 3 queries over 8 keys is not attn.attention's alignment.
// CHECK-LABEL: func.func @past_causal_by_index
// CHECK-NOT: attn.attention
// CHECK: onnx.Softmax
func.func @past_causal_by_index(%xq: tensor<2x3x4x16xf32>, %xk: tensor<2x3x4x16xf32>, %xv: tensor<2x3x4x16xf32>, %pk: tensor<2x4x5x16xf32>, %pv: tensor<2x4x5x16xf32>, %mask: tensor<2x1x3x8xf32>) -> tensor<2x3x4x16xf32> {
  %q = onnx.Transpose(%xq) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x16xf32>) -> tensor<2x4x3x16xf32>
  %kn = onnx.Transpose(%xk) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x16xf32>) -> tensor<2x4x3x16xf32>
  %vn = onnx.Transpose(%xv) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x16xf32>) -> tensor<2x4x3x16xf32>
  %k = onnx.Concat(%pk, %kn) {axis = -2 : i64} : (tensor<2x4x5x16xf32>, tensor<2x4x3x16xf32>) -> tensor<2x4x8x16xf32>
  %v = onnx.Concat(%pv, %vn) {axis = -2 : i64} : (tensor<2x4x5x16xf32>, tensor<2x4x3x16xf32>) -> tensor<2x4x8x16xf32>
  %kt = onnx.Transpose(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<2x4x3x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x3x8xf32>
  %m = onnx.Add(%s, %mask) {attn.mask = {causal = true, padding = false, window = 0 : i64}} : (tensor<2x4x3x8xf32>, tensor<2x1x3x8xf32>) -> tensor<2x4x3x8xf32>
  %p = onnx.Softmax(%m) : (tensor<2x4x3x8xf32>) -> tensor<2x4x3x8xf32>
  %o = onnx.MatMul(%p, %v) : (tensor<2x4x3x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x3x16xf32>
  %ot = onnx.Transpose(%o) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x3x16xf32>) -> tensor<2x3x4x16xf32>
  return %ot : tensor<2x3x4x16xf32>
}
